"""lib/keys.py: a customer-managed key per region."""

from __future__ import annotations

import pytest

from tests.unit.conftest import REGIONS, policy_of, regional_key

ACCOUNT = "${data.aws_caller_identity.caller.account_id}"
CRYPTO = {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"}


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_key_per_region_with_rotation_and_alias(dev, role, region):
    key = dev.get("aws_kms_key", f"key-{role}/key")
    assert key["provider"] == f"aws.{role}"
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 7
    alias = dev.get("aws_kms_alias", f"key-{role}/alias")
    assert alias["name"] == f"alias/tap-data-{role}-dev"
    assert alias["target_key_id"] == dev.ref("aws_kms_key", f"key-{role}/key", "key_id")
    assert alias["provider"] == f"aws.{role}"


def test_prod_keeps_deleted_keys_for_30_days(prod):
    for role, _ in REGIONS:
        assert prod.get("aws_kms_key", f"key-{role}/key")["deletion_window_in_days"] == 30


def test_only_prod_keys_refuse_destruction(dev, staging, prod):
    for role, _ in REGIONS:
        assert prod.get("aws_kms_key", f"key-{role}/key")["lifecycle"] == {"prevent_destroy": True}
        for stack in (dev, staging):
            assert stack.get("aws_kms_key", f"key-{role}/key")["lifecycle"] == {"prevent_destroy": False}


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_key_policy(dev, role, region):
    policy = policy_of(dev.get("aws_kms_key", f"key-{role}/key"))
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    admin = by_sid["AccountAdministration"]
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert "kms:*" not in admin["Action"] and "*" not in admin["Action"]
    assert {"kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DescribeKey"} <= set(admin["Action"])
    assert "Condition" not in admin  # administration must never lock the account out
    # ...but it holds no cryptographic operation: administrators cannot read the data.
    assert not set(admin["Action"]) & CRYPTO

    use = by_sid["AccountUseThroughStackServices"]
    assert use["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert set(use["Action"]) >= CRYPTO
    assert use["Condition"] == {
        "StringEquals": {
            "kms:CallerAccount": ACCOUNT,
            "kms:ViaService": [
                f"{service}.{region}.amazonaws.com"
                # backup: the vaults' encryption and the backups into them (lib/backup.py)
                for service in ("backup", "dynamodb", "lambda", "s3", "sns", "ssm")
            ],
        }
    }
    # Every statement that allows a cryptographic operation is conditioned.
    for stmt in policy["Statement"]:
        if set(stmt["Action"]) & CRYPTO:
            assert stmt.get("Condition"), stmt["Sid"]

    logs = by_sid["CloudWatchLogsEncryption"]
    assert logs["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        f"arn:aws:logs:{region}:{ACCOUNT}:log-group:*"
    )
    assert set(logs["Action"]) == {
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
    }
    alarms = by_sid["AlarmNotificationsToEncryptedTopic"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:*"},
    }
    # S3 delivers server access logs only into SSE-S3 buckets: no key grant for it.
    assert "S3ServerAccessLogDelivery" not in by_sid
    assert all(s.get("Principal") != {"Service": "logging.s3.amazonaws.com"} for s in policy["Statement"])


# KMS operations that carry an encryption context (the KMS developer guide's table for the
# kms:EncryptionContext:* condition keys); DescribeKey, for one, never does.
ENCRYPTION_CONTEXT_OPERATIONS = {
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:RetireGrant",
}


def test_no_grant_is_conditioned_on_a_context_its_action_never_carries(each_profile):
    """A statement that conditions on kms:EncryptionContext:* grants nothing for an action
    without an encryption context: such a grant is dead (and misleads a reviewer)."""
    for key in each_profile.resources("aws_kms_key").values():
        for stmt in policy_of(key)["Statement"]:
            keys = [k for block in stmt.get("Condition", {}).values() for k in block]
            if any(k.startswith("kms:EncryptionContext:") for k in keys):
                dead = set(stmt["Action"]) - ENCRYPTION_CONTEXT_OPERATIONS
                assert not dead, f"{stmt['Sid']}: {sorted(dead)} never carry an encryption context"


def test_a_key_refuses_to_encrypt_a_resource_of_another_region():
    """KMS keys are regional: a replica, bucket, topic or parameter given the other region's key
    synthesizes, and fails on AWS when created ("The key must be created in the same region as
    the replica": AWS::DynamoDB::GlobalTable ReplicaSSESpecification)."""
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from lib.region import Region

    stack = TerraformStack(Testing.app(), "keys")
    east, west = (Region(r, name, AwsProvider(stack, r, region=name, alias=r)) for r, name in REGIONS)
    key = regional_key(stack, east)
    # The same-region case is what the synthesized stacks use: test_table, test_storage and
    # test_monitoring assert each resource references its own region's key.
    with pytest.raises(ValueError, match="KMS key of us-east-1 cannot encrypt a resource in us-west-2"):
        key.arn_for(west)

"""lib/backup.py: a vault per region, encrypted with that region's key, that no principal may
erase from (locked in compliance mode in prod), and each region's daily plan of its table (or
replica) and receipts bucket, copied to the other region's vault by a role that reads only those."""

from __future__ import annotations

import pytest

from tests.unit.conftest import REGIONS, policy_of

ACCOUNT = "${data.aws_caller_identity.caller.account_id}"
PEER = {"primary": "secondary", "secondary": "primary"}
REGION = dict(REGIONS)


def _vault_ref(stack, role: str, attribute: str) -> str:
    return stack.ref("aws_backup_vault", f"backup-vault-{role}/vault", attribute)


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_a_vault_per_region_encrypted_with_that_regions_key(dev, role, region):
    vault = dev.get("aws_backup_vault", f"backup-vault-{role}/vault")
    assert vault["provider"] == f"aws.{role}"
    assert vault["name"] == f"tap-backups-{role}-dev"
    assert vault["kms_key_arn"] == dev.ref("aws_kms_key", f"key-{role}/key", "arn")
    regions = {p["alias"]: p["region"] for p in dev.json["provider"]["aws"]}
    assert regions[role] == region


def test_dev_and_staging_vaults_are_destroyable_and_prods_are_kept(dev, staging, prod):
    for stack, destroyable in ((dev, True), (staging, True), (prod, False)):
        for role in PEER:
            vault = stack.get("aws_backup_vault", f"backup-vault-{role}/vault")
            assert vault["force_destroy"] is destroyable
            assert vault["lifecycle"] == {"prevent_destroy": not destroyable}


@pytest.mark.parametrize("role", list(PEER))
def test_the_vault_policy_denies_erasing_a_recovery_point_to_every_principal(each_profile, role):
    body = each_profile.get("aws_backup_vault_policy", f"backup-vault-{role}/policy")
    assert body["provider"] == f"aws.{role}"
    assert body["backup_vault_name"] == _vault_ref(each_profile, role, "name")
    assert policy_of(body) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NoRecoveryPointErasure",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"],
                "Resource": "*",
            }
        ],
    }


def test_the_vault_policy_leaves_the_policy_itself_manageable(dev):
    """PutBackupVaultAccessPolicy is how the deploy role creates and updates the policy
    (hashicorp/aws vault_policy.go): a deny of it would freeze the policy for the pipeline."""
    for role in PEER:
        (deny,) = policy_of(dev.get("aws_backup_vault_policy", f"backup-vault-{role}/policy"))["Statement"]
        assert not {"backup:PutBackupVaultAccessPolicy", "backup:DeleteBackupVaultAccessPolicy"} & set(
            deny["Action"]
        )


def test_only_prods_vaults_are_locked_in_compliance_mode_in_both_regions(dev, staging, prod):
    assert dev.count("aws_backup_vault_lock_configuration") == 0
    assert staging.count("aws_backup_vault_lock_configuration") == 0
    for role in PEER:
        lock = prod.get("aws_backup_vault_lock_configuration", f"backup-vault-{role}/lock")
        assert lock == {
            "provider": f"aws.{role}",
            "backup_vault_name": _vault_ref(prod, role, "name"),
            # compliance mode with AWS's shortest grace time ("ChangeableForDays to 3 or greater")
            "changeable_for_days": 3,
            "min_retention_days": 35,
            "lifecycle": {"prevent_destroy": True},
        }


@pytest.mark.parametrize(
    ("profile", "days", "copy_days"), [("dev", 1, 1), ("staging", 7, 7), ("prod", 35, 35)]
)
@pytest.mark.parametrize("role", list(PEER))
def test_a_daily_plan_per_region_copies_to_the_other_regions_vault(request, profile, days, copy_days, role):
    stack = request.getfixturevalue(profile)
    plan = stack.get("aws_backup_plan", f"backup-{role}/plan")
    assert plan["provider"] == f"aws.{role}"
    assert plan["name"] == f"tap-backups-{role}-{stack.stack_id.removeprefix('TapStack')}"
    assert plan["rule"] == [
        {
            "rule_name": "daily",
            "target_vault_name": _vault_ref(stack, role, "name"),
            "schedule": "cron(0 5 ? * * *)",
            "start_window": 60,
            "completion_window": 480,
            "lifecycle": {"delete_after": days},
            "copy_action": [
                {
                    "destination_vault_arn": _vault_ref(stack, PEER[role], "arn"),
                    "lifecycle": {"delete_after": copy_days},
                }
            ],
        }
    ]


def test_prods_backups_and_copies_are_kept_at_least_the_locks_minimum(prod):
    """A locked vault refuses a backup or copy kept less than its minimum."""
    for role, destination in PEER.items():
        (rule,) = prod.get("aws_backup_plan", f"backup-{role}/plan")["rule"]
        minimum = prod.get("aws_backup_vault_lock_configuration", f"backup-vault-{destination}/lock")
        own = prod.get("aws_backup_vault_lock_configuration", f"backup-vault-{role}/lock")
        assert rule["lifecycle"]["delete_after"] >= own["min_retention_days"]
        assert rule["copy_action"][0]["lifecycle"]["delete_after"] >= minimum["min_retention_days"]


@pytest.mark.parametrize(
    ("role", "table"),
    [
        ("primary", ("aws_dynamodb_table", "payments-table/table")),
        ("secondary", ("aws_dynamodb_table_replica", "payments-table/replica")),
    ],
)
def test_each_region_backs_up_its_table_and_its_receipts(dev, role, table):
    selection = dev.get("aws_backup_selection", f"backup-{role}/selection")
    assert selection["provider"] == f"aws.{role}"
    assert selection["name"] == f"tap-backups-{role}-dev"
    assert selection["plan_id"] == dev.ref("aws_backup_plan", f"backup-{role}/plan", "id")
    assert selection["iam_role_arn"] == dev.ref("aws_iam_role", f"backup-{role}/role/role", "arn")
    assert selection["resources"] == [
        dev.ref(*table, "arn"),
        dev.ref("aws_s3_bucket", f"receipts-{role}/bucket", "arn"),
    ]
    # CreateBackupSelection checks that AWS Backup can assume the role: after its policy is on.
    assert selection["depends_on"] == [
        dev.address("aws_iam_role_policy_attachment", f"backup-{role}/role/attachment")
    ]


@pytest.mark.parametrize("role", list(PEER))
def test_the_role_trusts_aws_backup_for_this_account_only(dev, role):
    body = dev.get("aws_iam_role", f"backup-{role}/role/role")
    assert body["name"] == f"tap-backups-{role}-dev"
    assert policy_of(body, "assume_role_policy")["Statement"] == [
        {
            "Sid": "AllowServiceAssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "backup.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }
    ]


@pytest.mark.parametrize(
    ("role", "table"),
    [
        ("primary", ("aws_dynamodb_table", "payments-table/table")),
        ("secondary", ("aws_dynamodb_table_replica", "payments-table/replica")),
    ],
)
def test_the_role_reads_its_regions_sources_and_copies_between_the_two_vaults(dev, role, table):
    policy = policy_of(dev.get("aws_iam_policy", f"backup-{role}/role/policy"))
    bucket = dev.ref("aws_s3_bucket", f"receipts-{role}/bucket", "arn")
    here, there = REGION[role], REGION[PEER[role]]
    assert policy["Statement"] == [
        {
            "Sid": "BackupTable",
            "Effect": "Allow",
            "Action": ["dynamodb:DescribeTable", "dynamodb:ListTagsOfResource", "dynamodb:StartAwsBackupJob"],
            "Resource": [dev.ref(*table, "arn")],
        },
        {
            "Sid": "ReadReceiptsBucket",
            "Effect": "Allow",
            "Action": [
                "s3:GetBucketAcl",
                "s3:GetBucketLocation",
                "s3:GetBucketTagging",
                "s3:GetBucketVersioning",
                "s3:GetInventoryConfiguration",
                "s3:ListBucket",
                "s3:ListBucketVersions",
                "s3:PutInventoryConfiguration",
            ],
            "Resource": [bucket],
        },
        {
            "Sid": "ReadReceiptObjects",
            "Effect": "Allow",
            "Action": [
                "s3:GetObject",
                "s3:GetObjectAcl",
                "s3:GetObjectTagging",
                "s3:GetObjectVersion",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
            ],
            "Resource": [f"{bucket}/*"],
        },
        {
            "Sid": "RegionKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
            "Resource": [dev.ref("aws_kms_key", f"key-{role}/key", "arn")],
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": [
                        f"backup.{here}.amazonaws.com",
                        f"dynamodb.{here}.amazonaws.com",
                        f"s3.{here}.amazonaws.com",
                    ]
                }
            },
        },
        {
            "Sid": "CopyRegionKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
            "Resource": [dev.ref("aws_kms_key", f"key-{PEER[role]}/key", "arn")],
            "Condition": {"StringEquals": {"kms:ViaService": f"backup.{there}.amazonaws.com"}},
        },
        {
            "Sid": "CopyBetweenVaults",
            "Effect": "Allow",
            "Action": ["backup:CopyIntoBackupVault", "backup:DescribeBackupVault"],
            "Resource": [_vault_ref(dev, role, "arn"), _vault_ref(dev, PEER[role], "arn")],
        },
        {
            "Sid": "RecoveryPoints",
            "Effect": "Allow",
            "Action": ["backup:CopyFromBackupVault", "backup:TagResource"],
            "Resource": [
                f"arn:aws:backup:{here}:{ACCOUNT}:recovery-point:*",
                f"arn:aws:backup:{there}:{ACCOUNT}:recovery-point:*",
            ],
        },
    ]


def test_no_role_of_the_stack_may_erase_or_restore_a_backup(each_profile):
    """The backups' protection does not rest on the vault policy alone."""
    forbidden = {
        "backup:DeleteRecoveryPoint",
        "backup:UpdateRecoveryPointLifecycle",
        "backup:DeleteBackupVaultLockConfiguration",
        "backup:StartRestoreJob",
        "dynamodb:DeleteBackup",
    }
    for body in each_profile.resources("aws_iam_policy").values():
        actions = {a for s in policy_of(body)["Statement"] for a in s["Action"]}
        assert not actions & forbidden, body["name"]


def test_a_pair_without_us_east_1_backs_up_in_its_own_two_regions_only(eu):
    regions = {f"aws.{p['alias']}": p["region"] for p in eu.json["provider"]["aws"]}
    vaults = eu.resources("aws_backup_vault").values()
    assert sorted(regions[v["provider"]] for v in vaults) == ["eu-central-1", "eu-west-1"]
    assert sorted(regions[p["provider"]] for p in eu.resources("aws_backup_plan").values()) == [
        "eu-central-1",
        "eu-west-1",
    ]


def test_names_fit_aws_backups_limits(longest):
    """Vault, plan and selection names: 1-50 letters, digits, hyphens and underscores (the
    provider's validation: vault.go ``StringLenBetween(2, 50)``, selection.go
    ``StringLenBetween(1, 50)``); the role's: IAM's 64."""
    for type_ in ("aws_backup_vault", "aws_backup_plan", "aws_backup_selection"):
        names = [body["name"] for body in longest.resources(type_).values()]
        assert names and all(len(n) <= 50 for n in names), (type_, names)
    roles = [
        r["name"] for r in longest.resources("aws_iam_role").values() if r["name"].startswith("tap-backups")
    ]
    assert len(roles) == 2 and all(len(n) <= 64 for n in roles)


def test_the_outputs_name_each_regions_vault_and_plan(dev):
    def encoded(type_: str, path: str, attribute: str) -> str:
        return ", ".join(f'"{role}" = {dev.ref(type_, path.format(role), attribute)[2:-1]}' for role in PEER)

    vaults, plans = "backup-vault-{}/vault", "backup-{}/plan"
    expected = {
        "backup_vault_names": encoded("aws_backup_vault", vaults, "name"),
        "backup_vault_arns": encoded("aws_backup_vault", vaults, "arn"),
        "backup_plan_ids": encoded("aws_backup_plan", plans, "id"),
    }
    for name, pairs in expected.items():
        assert dev.output(name)["value"] == f"${{jsonencode({{{pairs}}})}}", name
        assert "JSON" in dev.output(name)["description"]


def test_the_module_documents_who_can_erase_and_what_it_costs():
    """The README paragraph's source: the module says why dev and staging differ, and the cost."""
    from lib import backup

    doc = " ".join((backup.__doc__ or "").split())
    for phrase in ("irreversible after 3 days", "GB-month", "cross-region transfer", "force_destroy"):
        assert phrase in doc, phrase

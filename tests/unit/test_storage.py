"""lib/storage.py: receipt buckets and cross-region replication."""

from __future__ import annotations

import pytest

from tests.unit.conftest import REGIONS, policy_of, regional_key

ACCOUNT = "${data.aws_caller_identity.caller.account_id}"


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_bucket_name_includes_the_account_id(dev, role, region):
    bucket = dev.get("aws_s3_bucket", f"receipts-{role}/bucket")
    assert bucket["bucket"] == f"tap-receipts-{role}-dev-{ACCOUNT}"
    assert bucket["provider"] == f"aws.{role}"


def test_force_destroy_only_outside_prod(dev, staging, prod):
    for role, _ in REGIONS:
        assert dev.get("aws_s3_bucket", f"receipts-{role}/bucket")["force_destroy"] is True
        assert staging.get("aws_s3_bucket", f"receipts-{role}/bucket")["force_destroy"] is True
        assert prod.get("aws_s3_bucket", f"receipts-{role}/bucket")["force_destroy"] is False


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_versioning_encryption_and_public_access_block(dev, role, region):
    bucket_id = dev.ref("aws_s3_bucket", f"receipts-{role}/bucket", "id")
    versioning = dev.get("aws_s3_bucket_versioning", f"receipts-{role}/versioning")
    assert versioning["bucket"] == bucket_id
    assert versioning["versioning_configuration"] == {"status": "Enabled"}

    sse = dev.get("aws_s3_bucket_server_side_encryption_configuration", f"receipts-{role}/encryption")
    assert sse["bucket"] == bucket_id
    assert sse["rule"] == [
        {
            "apply_server_side_encryption_by_default": {
                "sse_algorithm": "aws:kms",
                "kms_master_key_id": dev.ref("aws_kms_key", f"key-{role}/key", "arn"),
            },
            "bucket_key_enabled": True,
        }
    ]

    block = dev.get("aws_s3_bucket_public_access_block", f"receipts-{role}/public-access-block")
    assert block["bucket"] == bucket_id
    for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        assert block[flag] is True, flag


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_lifecycle_expires_noncurrent_versions(dev, role, region):
    lifecycle = dev.get("aws_s3_bucket_lifecycle_configuration", f"receipts-{role}/lifecycle")
    (rule,) = lifecycle["rule"]
    assert rule["status"] == "Enabled"
    assert rule["filter"] == [{"prefix": ""}]
    assert rule["noncurrent_version_transition"] == [{"noncurrent_days": 30, "storage_class": "STANDARD_IA"}]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 365}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert lifecycle["depends_on"] == [dev.address("aws_s3_bucket_versioning", f"receipts-{role}/versioning")]


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_bucket_policy_denies_plain_http(dev, role, region):
    arn = dev.ref("aws_s3_bucket", f"receipts-{role}/bucket", "arn")
    (deny,) = policy_of(dev.get("aws_s3_bucket_policy", f"receipts-{role}/tls-only"))["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == {"AWS": "*"}
    assert deny["Action"] == ["s3:*"]
    assert deny["Resource"] == [arn, f"{arn}/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


DIRECTIONS = (
    ("primary", "secondary", "us-east-1", "us-west-2"),
    ("secondary", "primary", "us-west-2", "us-east-1"),
)


@pytest.mark.parametrize(("source", "destination", "source_region", "destination_region"), DIRECTIONS)
def test_replication_rule_each_way(dev, source, destination, source_region, destination_region):
    replication = dev.get(
        "aws_s3_bucket_replication_configuration", f"receipts-replication-{source}/configuration"
    )
    assert replication["provider"] == f"aws.{source}"
    assert replication["bucket"] == dev.ref("aws_s3_bucket", f"receipts-{source}/bucket", "id")
    assert replication["role"] == dev.ref("aws_iam_role", f"receipts-replication-{source}/role/role", "arn")
    (rule,) = replication["rule"]
    assert rule["id"] == f"receipts-to-{destination}"
    assert rule["status"] == "Enabled"
    assert rule["filter"] == {"prefix": "receipts/"}
    assert rule["delete_marker_replication"] == {"status": "Enabled"}
    assert rule["source_selection_criteria"] == {"sse_kms_encrypted_objects": {"status": "Enabled"}}
    assert rule["destination"] == {
        "bucket": dev.ref("aws_s3_bucket", f"receipts-{destination}/bucket", "arn"),
        "storage_class": "STANDARD",
        "encryption_configuration": {
            "replica_kms_key_id": dev.ref("aws_kms_key", f"key-{destination}/key", "arn")
        },
        "replication_time": {"status": "Enabled", "time": {"minutes": 15}},
        "metrics": {"status": "Enabled", "event_threshold": {"minutes": 15}},
    }
    # S3 refuses replication until versioning is on at BOTH ends.
    assert sorted(replication["depends_on"]) == sorted(
        dev.address("aws_s3_bucket_versioning", f"receipts-{role}/versioning") for role, _ in REGIONS
    )


@pytest.mark.parametrize(("source", "destination", "source_region", "destination_region"), DIRECTIONS)
def test_replication_role_is_scoped(dev, source, destination, source_region, destination_region):
    path = f"receipts-replication-{source}/role"
    role = dev.get("aws_iam_role", f"{path}/role")
    assert role["name"] == f"tap-receipts-replication-{source}-dev"
    trust = policy_of(role, "assume_role_policy")["Statement"][0]
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}

    source_arn = dev.ref("aws_s3_bucket", f"receipts-{source}/bucket", "arn")
    destination_arn = dev.ref("aws_s3_bucket", f"receipts-{destination}/bucket", "arn")
    statements = {s["Sid"]: s for s in policy_of(dev.get("aws_iam_policy", f"{path}/policy"))["Statement"]}
    assert statements["ReadSourceConfiguration"]["Resource"] == [source_arn]
    assert statements["ReadSourceVersions"]["Resource"] == [f"{source_arn}/*"]
    assert statements["WriteDestinationReplicas"]["Resource"] == [f"{destination_arn}/*"]
    assert statements["WriteDestinationReplicas"]["Action"] == [
        "s3:ReplicateObject",
        "s3:ReplicateDelete",
        "s3:ReplicateTags",
    ]
    assert statements["DecryptSourceObjects"]["Resource"] == [
        dev.ref("aws_kms_key", f"key-{source}/key", "arn")
    ]
    assert statements["DecryptSourceObjects"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"s3.{source_region}.amazonaws.com"}
    }
    assert statements["EncryptReplicas"]["Resource"] == [
        dev.ref("aws_kms_key", f"key-{destination}/key", "arn")
    ]
    assert statements["EncryptReplicas"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"s3.{destination_region}.amazonaws.com"}
    }

    attachment = dev.get("aws_iam_role_policy_attachment", f"{path}/attachment")
    assert attachment["role"] == dev.ref("aws_iam_role", f"{path}/role", "name")
    assert attachment["policy_arn"] == dev.ref("aws_iam_policy", f"{path}/policy", "arn")


def test_only_prod_buckets_refuse_destruction(dev, staging, prod):
    for kind in ("receipts", "access-logs"):
        for role, _ in REGIONS:
            path = f"{kind}-{role}/bucket"
            assert prod.get("aws_s3_bucket", path)["lifecycle"] == {"prevent_destroy": True}
            assert prod.get("aws_s3_bucket", path)["force_destroy"] is False
            for stack in (dev, staging):
                assert stack.get("aws_s3_bucket", path)["lifecycle"] == {"prevent_destroy": False}
                assert stack.get("aws_s3_bucket", path)["force_destroy"] is True


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_receipt_access_is_logged_to_the_regions_log_bucket(dev, role, region):
    logging = dev.get("aws_s3_bucket_logging", f"receipts-{role}/access-logging")
    assert logging["provider"] == f"aws.{role}"
    assert logging["bucket"] == dev.ref("aws_s3_bucket", f"receipts-{role}/bucket", "id")
    assert logging["target_bucket"] == dev.ref("aws_s3_bucket", f"access-logs-{role}/bucket", "id")
    assert logging["target_prefix"] == "access-logs/"
    assert logging["depends_on"] == [dev.address("aws_s3_bucket_policy", f"access-logs-{role}/tls-only")]


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_access_log_bucket(dev, role, region):
    bucket = dev.get("aws_s3_bucket", f"access-logs-{role}/bucket")
    name = f"tap-access-logs-{role}-dev-{ACCOUNT}"
    assert bucket["bucket"] == name
    bucket_id = dev.ref("aws_s3_bucket", f"access-logs-{role}/bucket", "id")
    sse = dev.get("aws_s3_bucket_server_side_encryption_configuration", f"access-logs-{role}/encryption")
    assert sse["bucket"] == bucket_id
    assert sse["rule"] == [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}]
    block = dev.get("aws_s3_bucket_public_access_block", f"access-logs-{role}/public-access-block")
    assert block["bucket"] == bucket_id and block["restrict_public_buckets"] is True

    (rule,) = dev.get("aws_s3_bucket_lifecycle_configuration", f"access-logs-{role}/lifecycle")["rule"]
    assert rule["expiration"] == [{"days": 7}]  # the profile's log retention
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 1}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]

    deny, delivery = policy_of(dev.get("aws_s3_bucket_policy", f"access-logs-{role}/tls-only"))["Statement"]
    assert deny["Sid"] == "DenyInsecureTransport"
    assert delivery == {
        "Sid": "S3ServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": ["s3:PutObject"],
        "Resource": f"arn:aws:s3:::{name}/access-logs/*",
        "Condition": {
            "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::tap-receipts-{role}-dev-{ACCOUNT}"},
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
        },
    }


def _bucket_of(synth, reference: str) -> str:
    """``${aws_s3_bucket.<id>.id}`` -> ``<id>``."""
    return reference.removeprefix("${aws_s3_bucket.").split(".")[0]


def test_access_log_targets_use_sse_s3(each_profile):
    """S3 does not deliver server access logs into a bucket whose default encryption is SSE-KMS
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html):
    with it, logging is "on" and no log ever arrives."""
    encryption = {
        _bucket_of(each_profile, body["bucket"]): body["rule"][0]["apply_server_side_encryption_by_default"]
        for body in each_profile.resources("aws_s3_bucket_server_side_encryption_configuration").values()
    }
    targets = [
        _bucket_of(each_profile, body["target_bucket"])
        for body in each_profile.resources("aws_s3_bucket_logging").values()
    ]
    assert len(targets) == 2
    for target in targets:
        assert encryption[target] == {"sse_algorithm": "AES256"}, target
    # ...and every other bucket keeps its customer-managed key.
    others = [b for b in encryption if b not in targets]
    assert len(others) == 2
    assert all(encryption[b]["sse_algorithm"] == "aws:kms" for b in others)


def test_access_logs_follow_the_profile_retention(prod):
    (rule,) = prod.get("aws_s3_bucket_lifecycle_configuration", "access-logs-primary/lifecycle")["rule"]
    assert rule["expiration"] == [{"days": 365}]


def test_an_access_log_bucket_with_a_kms_key_is_refused():
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from lib.region import Region
    from lib.storage import AccessLogBucket, BucketSettings

    stack = TerraformStack(Testing.app(), "logs")
    region = Region("primary", "us-east-1", AwsProvider(stack, "aws", region="us-east-1", alias="primary"))
    settings = BucketSettings(
        region=region, name="logs", key=regional_key(stack, region), force_destroy=True, prevent_destroy=False
    )
    with pytest.raises(ValueError, match="cannot be delivered into an SSE-KMS bucket"):
        AccessLogBucket(
            stack, "logs", settings=settings, source_bucket="receipts", account_id="1", retention_days=7
        )


def test_a_receipt_bucket_without_the_region_key_is_refused():
    """Receipts are payment data: SSE-S3 would leave them outside the customer-managed key's
    policy and rotation (and the replication rule decrypts and re-encrypts with the keys)."""
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from lib.region import Region
    from lib.storage import BucketSettings, ReceiptBucket

    stack = TerraformStack(Testing.app(), "receipts")
    region = Region("primary", "us-east-1", AwsProvider(stack, "aws", region="us-east-1", alias="primary"))
    settings = BucketSettings(region=region, name="r", key=None, force_destroy=True, prevent_destroy=False)
    with pytest.raises(ValueError, match="receipts are encrypted with the region's customer-managed key"):
        ReceiptBucket(stack, "receipts", settings=settings, access_logs=None)

"""KMS keys, the DynamoDB global table and the S3 receipt buckets, as deployed."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from lib.api_contract import CUSTOMER_INDEX
from lib.config import Profile
from tests.integration.conftest import ROLES, ClientFactory, Deployment
from tests.integration.support import as_list, attached_policy_document, eventually, policy_document

pytestmark = pytest.mark.integration

GSI_NAME = CUSTOMER_INDEX


# --------------------------------------------------------------------------- KMS


def test_region_key_is_an_enabled_rotating_customer_managed_key(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    kms = client("kms", region)
    key_arn = deployment.key_arn(role)
    metadata = kms.describe_key(KeyId=key_arn)["KeyMetadata"]
    assert metadata["Arn"] == key_arn
    assert metadata["AWSAccountId"] == deployment.account_id
    assert metadata["Enabled"] is True
    assert metadata["KeyState"] == "Enabled"
    assert metadata["KeyManager"] == "CUSTOMER"
    assert metadata["Origin"] == "AWS_KMS"
    assert metadata["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert metadata["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert metadata["Description"].startswith(f"{deployment.name('data', role)}: ")
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is True

    aliases = kms.list_aliases(KeyId=key_arn)["Aliases"]
    assert [a["AliasName"] for a in aliases] == [f"alias/{deployment.name('data', role)}"]
    assert aliases[0]["TargetKeyId"] == metadata["KeyId"]


def test_key_policy_grants_no_wildcard_actions(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    document = policy_document(
        client("kms", region).get_key_policy(KeyId=deployment.key_arn(role), PolicyName="default")["Policy"]
    )
    statements = {s["Sid"]: s for s in document["Statement"]}
    assert list(statements) == [
        "AccountAdministration",
        "AccountUseThroughStackServices",
        "CloudWatchLogsEncryption",
        "AlarmNotificationsToEncryptedTopic",
    ]  # no grant for S3's log delivery: it writes only into SSE-S3 buckets
    crypto = {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"}
    for stmt in document["Statement"]:
        assert stmt["Effect"] == "Allow"
        for action in as_list(stmt["Action"]):
            assert action != "*" and not action.endswith(":*"), stmt
        if crypto & set(as_list(stmt["Action"])):  # data keys only under conditions
            assert stmt["Condition"], stmt
    root = deployment.arn("iam", None, "root")
    assert as_list(statements["AccountAdministration"]["Principal"]["AWS"]) == [root]
    assert not crypto & set(as_list(statements["AccountAdministration"]["Action"]))
    use = statements["AccountUseThroughStackServices"]["Condition"]["StringEquals"]
    assert use["kms:CallerAccount"] == deployment.account_id
    assert f"s3.{region}.amazonaws.com" in as_list(use["kms:ViaService"])
    logs = statements["CloudWatchLogsEncryption"]
    assert logs["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}


# --------------------------------------------------------------------------- DynamoDB


def test_table_is_active_encrypted_and_streaming_in_each_region(
    deployment: Deployment, client: ClientFactory, profile: Profile, role: str, region: str
) -> None:
    table = client("dynamodb", region).describe_table(TableName=deployment.table_name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["TableArn"] == deployment.table_arn(role)
    assert table["KeySchema"] == [{"AttributeName": "payment_id", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["GlobalTableVersion"] == "2019.11.21"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["LatestStreamArn"].startswith(f"{deployment.table_arn(role)}/stream/")
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert table["SSEDescription"]["SSEType"] == "KMS"
    assert table["SSEDescription"]["KMSMasterKeyArn"] == deployment.key_arn(role)
    assert table["DeletionProtectionEnabled"] is profile.deletion_protection

    attributes = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    assert attributes == {"payment_id": "S", "customer_id": "S", "created_at": "S"}
    [gsi] = table["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == GSI_NAME
    assert gsi["IndexStatus"] == "ACTIVE"
    assert gsi["KeySchema"] == [
        {"AttributeName": "customer_id", "KeyType": "HASH"},
        {"AttributeName": "created_at", "KeyType": "RANGE"},
    ]
    assert gsi["Projection"] == {"ProjectionType": "ALL"}


def test_primary_reports_the_secondary_replica_active_with_its_own_key(
    deployment: Deployment, client: ClientFactory, primary_region: str, secondary_region: str
) -> None:
    table = client("dynamodb", primary_region).describe_table(TableName=deployment.table_name)["Table"]
    replicas = {r["RegionName"]: r for r in table["Replicas"]}
    assert set(replicas) <= {primary_region, secondary_region}, replicas
    replica = replicas[secondary_region]
    assert replica["ReplicaStatus"] == "ACTIVE"
    assert replica["KMSMasterKeyId"] == deployment.key_arn("secondary")


def test_point_in_time_recovery_is_enabled_in_each_region(
    deployment: Deployment, client: ClientFactory, region: str
) -> None:
    backups = client("dynamodb", region).describe_continuous_backups(TableName=deployment.table_name)[
        "ContinuousBackupsDescription"
    ]
    assert backups["ContinuousBackupsStatus"] == "ENABLED"
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


@pytest.mark.parametrize(("source", "target"), [("primary", "secondary"), ("secondary", "primary")])
def test_item_written_in_one_region_is_readable_in_the_other(
    deployment: Deployment, client: ClientFactory, source: str, target: str
) -> None:
    """Multi-active: a write in either region replicates to the other."""
    writer = client("dynamodb", deployment.region(source))
    reader = client("dynamodb", deployment.region(target))
    payment_id = f"it-{source}-{uuid.uuid4().hex}"
    item = {
        "payment_id": {"S": payment_id},
        "customer_id": {"S": f"it-customer-{uuid.uuid4().hex}"},
        "created_at": {"S": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
        "amount": {"N": "12.34"},
        "currency": {"S": "EUR"},
        "status": {"S": "ACCEPTED"},
        "region": {"S": deployment.region(source)},
    }
    writer.put_item(TableName=deployment.table_name, Item=item)
    try:
        replicated = eventually(
            lambda: reader.get_item(
                TableName=deployment.table_name, Key={"payment_id": {"S": payment_id}}, ConsistentRead=True
            ).get("Item"),
            f"{payment_id} to replicate from {source} to {target}",
        )
        assert replicated == item
    finally:
        writer.delete_item(TableName=deployment.table_name, Key={"payment_id": {"S": payment_id}})


# --------------------------------------------------------------------------- S3


def test_bucket_names_follow_the_convention(deployment: Deployment) -> None:
    for role in ROLES:
        assert deployment.bucket(role) == f"{deployment.name('receipts', role)}-{deployment.account_id}"


def test_bucket_is_in_its_region(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    location = client("s3", region).get_bucket_location(Bucket=deployment.bucket(role))["LocationConstraint"]
    # us-east-1 is reported as an empty location constraint.
    assert (location or "us-east-1") == region


def test_bucket_is_versioned_kms_encrypted_and_private(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    s3 = client("s3", region)
    bucket = deployment.bucket(role)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"

    [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": deployment.key_arn(role),
    }
    assert rule["BucketKeyEnabled"] is True

    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }


def test_bucket_lifecycle_expires_noncurrent_versions(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    [rule] = client("s3", region).get_bucket_lifecycle_configuration(Bucket=deployment.bucket(role))["Rules"]
    assert rule["ID"] == "noncurrent-versions"
    assert rule["Status"] == "Enabled"
    assert rule["Filter"].get("Prefix", "") == ""
    assert rule["NoncurrentVersionTransitions"] == [{"NoncurrentDays": 30, "StorageClass": "STANDARD_IA"}]
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 365
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}


def test_bucket_policy_denies_requests_without_tls(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    policy = json.loads(client("s3", region).get_bucket_policy(Bucket=deployment.bucket(role))["Policy"])
    [stmt] = policy["Statement"]
    assert stmt["Effect"] == "Deny"
    assert stmt["Principal"] in ("*", {"AWS": "*"})
    assert as_list(stmt["Action"]) == ["s3:*"]
    arn = deployment.bucket_arn(role)
    assert sorted(as_list(stmt["Resource"])) == [arn, f"{arn}/*"]
    assert stmt["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


OTHER_ROLE = {"primary": "secondary", "secondary": "primary"}


def test_each_bucket_replicates_receipts_to_the_other_region(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    """Primary -> secondary for DR; secondary -> primary so failback loses nothing."""
    other = OTHER_ROLE[role]
    config = client("s3", region).get_bucket_replication(Bucket=deployment.bucket(role))[
        "ReplicationConfiguration"
    ]
    assert config["Role"] == deployment.arn(
        "iam", None, f"role/{deployment.name('receipts-replication', role)}"
    )
    [rule] = config["Rules"]
    assert rule["ID"] == f"receipts-to-{other}"
    assert rule["Status"] == "Enabled"
    assert rule["Priority"] == 1
    assert rule["Filter"] == {"Prefix": "receipts/"}
    assert rule["DeleteMarkerReplication"] == {"Status": "Enabled"}
    assert rule["SourceSelectionCriteria"]["SseKmsEncryptedObjects"] == {"Status": "Enabled"}
    destination = rule["Destination"]
    assert destination["Bucket"] == deployment.bucket_arn(other)
    assert destination["StorageClass"] == "STANDARD"
    assert destination["EncryptionConfiguration"] == {"ReplicaKmsKeyID": deployment.key_arn(other)}
    assert destination["ReplicationTime"] == {"Status": "Enabled", "Time": {"Minutes": 15}}
    assert destination["Metrics"] == {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}


def test_each_replication_role_is_scoped_to_the_two_buckets_and_keys(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    other = OTHER_ROLE[role]
    iam = client("iam", region)
    role_name = deployment.name("receipts-replication", role)
    trust = policy_document(iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "s3.amazonaws.com"}]
    document = attached_policy_document(iam, role_name)
    source, destination = deployment.bucket_arn(role), deployment.bucket_arn(other)
    resources = {s["Sid"]: as_list(s["Resource"]) for s in document["Statement"]}
    assert resources == {
        "ReadSourceConfiguration": [source],
        "ReadSourceVersions": [f"{source}/*"],
        "WriteDestinationReplicas": [f"{destination}/*"],
        "DecryptSourceObjects": [deployment.key_arn(role)],
        "EncryptReplicas": [deployment.key_arn(other)],
    }
    via = {s["Sid"]: s.get("Condition", {}).get("StringEquals", {}) for s in document["Statement"]}
    assert via["DecryptSourceObjects"] == {"kms:ViaService": f"s3.{region}.amazonaws.com"}
    assert via["EncryptReplicas"] == {"kms:ViaService": f"s3.{deployment.region(other)}.amazonaws.com"}

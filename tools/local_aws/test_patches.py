"""Tests for the moto patches of the local AWS emulator (tools/local_aws/patches).

Starts the patched moto server in-process on a free port and talks to it
with boto3, as Terraform and the application would:

    .venv/bin/python -m pytest tools/local_aws/test_patches.py -p no:cacheprovider
"""

from __future__ import annotations

import importlib.util
import io
import json
import socket
import urllib.request
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from tools.local_aws.patches.apigateway_regional_domains import zone_id_for
from tools.local_aws.patches.s3_bucket_policy_conditions import statement_applies
from tools.local_aws.patches.s3_object_replication import matching_rule

EAST, WEST = "us-east-1", "us-west-2"
TABLE = "payments"
INDEX = "customer_id-created_at-index"


def _load_server_module():
    path = Path(__file__).with_name("server.py")
    spec = importlib.util.spec_from_file_location("local_aws_server", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint():
    _load_server_module().apply_patches()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def reset(endpoint):
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))


def _boto(service: str, region: str, endpoint: str, config: Config | None = None):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - the emulator's dummy credentials
        config=config,
    )


@pytest.fixture
def client(endpoint):
    return lambda service, region: _boto(service, region, endpoint)


@pytest.fixture
def ddb(client):
    return {EAST: client("dynamodb", EAST), WEST: client("dynamodb", WEST)}


@pytest.fixture
def keys(client):
    return {r: client("kms", r).create_key()["KeyMetadata"]["Arn"] for r in (EAST, WEST)}


def _create_table(ddb, east_key: str) -> None:
    """The table as the provider's CreateTable sends it."""
    ddb[EAST].create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "payment_id", "AttributeType": "S"},
            {"AttributeName": "customer_id", "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": INDEX,
                "KeySchema": [
                    {"AttributeName": "customer_id", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": east_key},
        Tags=[{"Key": "Project", "Value": "payments"}],
    )


@pytest.fixture
def global_table(ddb, keys):
    _create_table(ddb, keys[EAST])
    ddb[EAST].update_table(
        TableName=TABLE,
        ReplicaUpdates=[{"Create": {"RegionName": WEST, "KMSMasterKeyId": keys[WEST]}}],
    )
    return ddb


def _describe(ddb, region: str) -> dict:
    return ddb[region].describe_table(TableName=TABLE)["Table"]


def _assert_gone_everywhere(ddb) -> None:
    for region in (EAST, WEST):
        assert ddb[region].list_tables()["TableNames"] == []
        with pytest.raises(ClientError) as err:
            ddb[region].describe_table(TableName=TABLE)
        assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_update_table_response_reports_the_new_replica_active(ddb, keys):
    _create_table(ddb, keys[EAST])
    response = ddb[EAST].update_table(
        TableName=TABLE,
        ReplicaUpdates=[{"Create": {"RegionName": WEST, "KMSMasterKeyId": keys[WEST]}}],
    )["TableDescription"]
    assert [(r["RegionName"], r["ReplicaStatus"]) for r in response["Replicas"]] == [(WEST, "ACTIVE")]


def test_each_region_lists_the_other_as_an_active_replica(global_table, keys):
    east, west = _describe(global_table, EAST), _describe(global_table, WEST)

    assert east["GlobalTableVersion"] == west["GlobalTableVersion"] == "2019.11.21"
    [east_sees] = east["Replicas"]
    assert east_sees["RegionName"] == WEST
    assert east_sees["ReplicaStatus"] == "ACTIVE"
    assert east_sees["KMSMasterKeyId"] == keys[WEST]
    [west_sees] = west["Replicas"]
    assert west_sees["RegionName"] == EAST
    assert west_sees["ReplicaStatus"] == "ACTIVE"
    assert west_sees["KMSMasterKeyId"] == keys[EAST]


def test_replica_copies_the_table_definition_with_its_own_key(global_table, keys):
    east, west = _describe(global_table, EAST), _describe(global_table, WEST)

    assert west["TableArn"] == east["TableArn"].replace(EAST, WEST)
    assert west["TableStatus"] == "ACTIVE"
    for field in ("KeySchema", "BillingModeSummary", "StreamSpecification"):
        assert west[field] == east[field]
    assert sorted(map(str, west["AttributeDefinitions"])) == sorted(map(str, east["AttributeDefinitions"]))
    assert [(g["IndexName"], g["KeySchema"], g["Projection"]) for g in west["GlobalSecondaryIndexes"]] == [
        (g["IndexName"], g["KeySchema"], g["Projection"]) for g in east["GlobalSecondaryIndexes"]
    ]
    assert west["LatestStreamArn"].startswith(west["TableArn"] + "/stream/")
    assert west["SSEDescription"] == {
        "Status": "ENABLED",
        "SSEType": "KMS",
        "KMSMasterKeyArn": keys[WEST],
    }
    assert east["SSEDescription"]["KMSMasterKeyArn"] == keys[EAST]


def test_items_written_in_either_region_are_visible_in_the_other(global_table):
    ddb = global_table
    item = {"payment_id": {"S": "p-1"}, "customer_id": {"S": "c-1"}, "created_at": {"S": "2024"}}
    ddb[EAST].put_item(TableName=TABLE, Item=item)
    assert ddb[WEST].get_item(TableName=TABLE, Key={"payment_id": {"S": "p-1"}})["Item"] == item

    ddb[WEST].put_item(TableName=TABLE, Item={**item, "payment_id": {"S": "p-2"}})
    found = ddb[EAST].query(
        TableName=TABLE,
        IndexName=INDEX,
        KeyConditionExpression="customer_id = :c",
        ExpressionAttributeValues={":c": {"S": "c-1"}},
    )["Items"]
    assert sorted(i["payment_id"]["S"] for i in found) == ["p-1", "p-2"]
    assert _describe(ddb, WEST)["ItemCount"] == 2

    ddb[WEST].delete_item(TableName=TABLE, Key={"payment_id": {"S": "p-1"}})
    assert "Item" not in ddb[EAST].get_item(TableName=TABLE, Key={"payment_id": {"S": "p-1"}})


def test_failed_transaction_rolls_back_in_place_and_keeps_regions_shared(global_table):
    ddb = global_table
    ddb[EAST].put_item(TableName=TABLE, Item={"payment_id": {"S": "p-1"}})
    with pytest.raises(ClientError) as err:
        ddb[EAST].transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {"payment_id": {"S": "p-2"}}}},
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {"payment_id": {"S": "p-1"}},
                        "ConditionExpression": "attribute_not_exists(payment_id)",
                    }
                },
            ]
        )
    assert err.value.response["Error"]["Code"] == "TransactionCanceledException"
    for region in (EAST, WEST):
        assert [i["payment_id"]["S"] for i in ddb[region].scan(TableName=TABLE)["Items"]] == ["p-1"]

    ddb[EAST].put_item(TableName=TABLE, Item={"payment_id": {"S": "p-3"}})
    assert "Item" in ddb[WEST].get_item(TableName=TABLE, Key={"payment_id": {"S": "p-3"}})


def test_pitr_answers_in_the_replica_region(global_table):
    ddb = global_table
    ddb[WEST].update_continuous_backups(
        TableName=TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    west = ddb[WEST].describe_continuous_backups(TableName=TABLE)["ContinuousBackupsDescription"]
    east = ddb[EAST].describe_continuous_backups(TableName=TABLE)["ContinuousBackupsDescription"]
    assert west["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert east["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"


def test_tags_work_on_the_replica_arn_and_retagging_replaces(global_table):
    ddb = global_table
    arn = _describe(ddb, WEST)["TableArn"]
    assert ddb[WEST].list_tags_of_resource(ResourceArn=arn)["Tags"] == []

    ddb[WEST].tag_resource(ResourceArn=arn, Tags=[{"Key": "Project", "Value": "payments"}])
    ddb[WEST].tag_resource(ResourceArn=arn, Tags=[{"Key": "Project", "Value": "renamed"}])
    assert ddb[WEST].list_tags_of_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "Project", "Value": "renamed"}
    ]
    east_arn = _describe(ddb, EAST)["TableArn"]
    assert ddb[EAST].list_tags_of_resource(ResourceArn=east_arn)["Tags"] == [
        {"Key": "Project", "Value": "payments"}
    ]


def test_gsi_changes_propagate_to_the_replica(global_table):
    ddb = global_table
    ddb[EAST].update_table(
        TableName=TABLE,
        AttributeDefinitions=[
            {"AttributeName": "payment_id", "AttributeType": "S"},
            {"AttributeName": "customer_id", "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "S"},
            {"AttributeName": "status", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "status-index",
                    "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            }
        ],
    )
    west = _describe(ddb, WEST)
    assert sorted(g["IndexName"] for g in west["GlobalSecondaryIndexes"]) == [INDEX, "status-index"]


def test_replica_delete_removes_it_and_the_table_is_plain_again(global_table):
    ddb = global_table
    ddb[EAST].put_item(TableName=TABLE, Item={"payment_id": {"S": "p-1"}})
    ddb[EAST].update_table(TableName=TABLE, ReplicaUpdates=[{"Delete": {"RegionName": WEST}}])

    assert ddb[WEST].list_tables()["TableNames"] == []
    east = _describe(ddb, EAST)
    assert "Replicas" not in east and "GlobalTableVersion" not in east
    assert east["ItemCount"] == 1

    ddb[EAST].delete_table(TableName=TABLE)
    _assert_gone_everywhere(ddb)


def test_deleting_the_source_table_directly_removes_its_replicas(global_table):
    global_table[EAST].delete_table(TableName=TABLE)
    _assert_gone_everywhere(global_table)


def test_deleting_the_replica_table_directly_keeps_the_source(global_table):
    ddb = global_table
    ddb[WEST].delete_table(TableName=TABLE)
    assert ddb[WEST].list_tables()["TableNames"] == []
    assert "Replicas" not in _describe(ddb, EAST)


def test_replica_key_must_exist_in_the_replica_region(ddb, keys):
    _create_table(ddb, keys[EAST])
    with pytest.raises(ClientError) as err:
        ddb[EAST].update_table(
            TableName=TABLE,
            ReplicaUpdates=[{"Create": {"RegionName": WEST, "KMSMasterKeyId": keys[EAST]}}],
        )
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert ddb[WEST].list_tables()["TableNames"] == []
    assert "Replicas" not in _describe(ddb, EAST)


def test_acm_certificates_are_issued_without_waiting(client):
    acm = client("acm", EAST)
    arn = acm.request_certificate(DomainName="pay.example.com", ValidationMethod="DNS")["CertificateArn"]
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED"


def _create_function(client, **extra):
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    role = client("iam", EAST).create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    aws_lambda = client("lambda", EAST)
    aws_lambda.create_function(
        FunctionName="fn",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
        **extra,
    )
    return aws_lambda


def test_lambda_dead_letter_config_is_stored_returned_and_removable(client):
    target = "arn:aws:sqs:us-east-1:123456789012:fn-dlq"
    aws_lambda = _create_function(client, DeadLetterConfig={"TargetArn": target})
    assert aws_lambda.get_function(FunctionName="fn")["Configuration"]["DeadLetterConfig"] == {
        "TargetArn": target
    }
    aws_lambda.update_function_configuration(FunctionName="fn", Description="other change")
    assert aws_lambda.get_function_configuration(FunctionName="fn")["DeadLetterConfig"] == {
        "TargetArn": target
    }
    aws_lambda.update_function_configuration(FunctionName="fn", DeadLetterConfig={"TargetArn": ""})
    assert "DeadLetterConfig" not in aws_lambda.get_function_configuration(FunctionName="fn")


def test_lambda_logging_config_is_stored_and_returned(client):
    aws_lambda = _create_function(client, LoggingConfig={"LogFormat": "Text", "LogGroup": "/payments/fn"})
    config = aws_lambda.get_function(FunctionName="fn")["Configuration"]
    assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/payments/fn"}

    aws_lambda.update_function_configuration(FunctionName="fn", LoggingConfig={"LogFormat": "JSON"})
    config = aws_lambda.get_function_configuration(FunctionName="fn")
    assert config["LoggingConfig"] == {
        "LogFormat": "JSON",
        "LogGroup": "/payments/fn",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "INFO",
    }


def _receipts_rule(destination: str, replica_key: str, **destination_extra) -> dict:
    """The stack's replication rule (receipts/ prefix, SSE-KMS objects, delete markers)."""
    return {
        "ID": "receipts",
        "Priority": 1,
        "Status": "Enabled",
        "Filter": {"Prefix": "receipts/"},
        "DeleteMarkerReplication": {"Status": "Enabled"},
        "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
        "Destination": {
            "Bucket": f"arn:aws:s3:::{destination}",
            "StorageClass": "STANDARD",
            "EncryptionConfiguration": {"ReplicaKmsKeyID": replica_key},
            **destination_extra,
        },
    }


def test_s3_replication_rules_read_back_as_put(client):
    s3 = client("s3", EAST)
    for bucket in ("src", "dst"):
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    rule = _receipts_rule(
        "dst",
        "arn:aws:kms:us-west-2:123456789012:key/k",
        Metrics={"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
        ReplicationTime={"Status": "Enabled", "Time": {"Minutes": 15}},
    )
    s3.put_bucket_replication(
        Bucket="src",
        ReplicationConfiguration={"Role": "arn:aws:iam::123456789012:role/r", "Rules": [rule]},
    )
    [read] = s3.get_bucket_replication(Bucket="src")["ReplicationConfiguration"]["Rules"]
    assert read == rule


def test_apigateway_account_role_can_be_cleared(client):
    apigw = client("apigateway", EAST)
    role = "arn:aws:iam::123456789012:role/apigw-logs"
    apigw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
    assert apigw.get_account()["cloudwatchRoleArn"] == role
    # What the provider sends on destroy with reset_on_delete = true.
    apigw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn"}])
    assert "cloudwatchRoleArn" not in apigw.get_account()


def test_an_emulator_crash_fails_fast_with_the_python_error(endpoint):
    retrying = Config(retries={"max_attempts": 5, "mode": "standard"})
    apigw = _boto("apigateway", EAST, endpoint, retrying)
    with pytest.raises(ClientError) as err:  # moto: NotImplementedError
        apigw.update_account(patchOperations=[{"op": "copy", "path": "/features", "from": "/x"}])
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert err.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert err.value.response["Error"]["Code"] == "EmulatorInternalError"
    assert "NotImplementedError" in err.value.response["Error"]["Message"]


TLS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": ["s3:*"],
            "Resource": ["arn:aws:s3:::receipts", "arn:aws:s3:::receipts/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


def test_tls_only_bucket_policy_allows_sdk_requests(client):
    s3 = client("s3", EAST)
    s3.create_bucket(Bucket="receipts")
    s3.put_bucket_policy(Bucket="receipts", Policy=json.dumps(TLS_ONLY))
    s3.put_object(Bucket="receipts", Key="receipts/p-1.json", Body=b"{}")
    assert s3.get_object(Bucket="receipts", Key="receipts/p-1.json")["Body"].read() == b"{}"
    deleted = s3.delete_objects(Bucket="receipts", Delete={"Objects": [{"Key": "receipts/p-1.json"}]})
    assert deleted.get("Errors", []) == [] and len(deleted["Deleted"]) == 1


def test_unconditional_deny_still_denies(client):
    s3 = client("s3", EAST)
    s3.create_bucket(Bucket="locked")
    deny = {**TLS_ONLY["Statement"][0], "Resource": ["arn:aws:s3:::locked/*"]}
    del deny["Condition"]
    s3.put_bucket_policy(Bucket="locked", Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
    with pytest.raises(ClientError) as error:
        s3.put_object(Bucket="locked", Key="k", Body=b"x")
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.parametrize(
    ("condition", "applies"),
    [
        ({"Bool": {"aws:SecureTransport": "false"}}, False),
        ({"Bool": {"aws:SecureTransport": "true"}}, True),
        ({"Bool": {"aws:SecureTransport": ["false", "true"]}}, True),
        ({"StringEquals": {"aws:SecureTransport": "true"}}, True),
        ({"StringNotEquals": {"aws:SecureTransport": "true"}}, False),
        ({"StringEquals": {"aws:SourceVpce": "vpce-1"}}, False),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, True),  # left to moto
    ],
)
def test_bucket_policy_conditions_are_evaluated(condition, applies):
    assert statement_applies({"Effect": "Deny", "Condition": condition}) is applies


def _replicated_buckets(client, keys):
    """A versioned source (us-east-1) replicating receipts/ to a versioned destination."""
    east, west = client("s3", EAST), client("s3", WEST)
    east.create_bucket(Bucket="source")
    west.create_bucket(Bucket="destination", CreateBucketConfiguration={"LocationConstraint": WEST})
    for s3, bucket in ((east, "source"), (west, "destination")):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    east.put_bucket_encryption(
        Bucket="source",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": keys[EAST],
                    }
                }
            ]
        },
    )
    east.put_bucket_replication(
        Bucket="source",
        ReplicationConfiguration={
            "Role": "arn:aws:iam::123456789012:role/replication",
            "Rules": [_receipts_rule("destination", keys[WEST])],
        },
    )
    return east, west


def test_objects_replicate_with_the_replica_key(client, keys):
    east, west = _replicated_buckets(client, keys)
    east.put_object(
        Bucket="source", Key="receipts/p-1.json", Body=b'{"id": 1}', ContentType="application/json"
    )
    east.put_object(Bucket="source", Key="other/p-2.json", Body=b"{}")

    source = east.head_object(Bucket="source", Key="receipts/p-1.json")
    replica = west.head_object(Bucket="destination", Key="receipts/p-1.json")
    assert source["ReplicationStatus"] == "COMPLETED"
    assert replica["ReplicationStatus"] == "REPLICA"
    assert replica["ServerSideEncryption"] == "aws:kms"
    assert replica["SSEKMSKeyId"] == keys[WEST]
    assert replica["ContentType"] == "application/json"
    assert west.get_object(Bucket="destination", Key="receipts/p-1.json")["Body"].read() == b'{"id": 1}'
    with pytest.raises(ClientError):  # outside the rule's prefix
        west.head_object(Bucket="destination", Key="other/p-2.json")


def test_delete_markers_replicate_but_version_deletes_do_not(client, keys):
    east, west = _replicated_buckets(client, keys)
    version = east.put_object(Bucket="source", Key="receipts/p-1.json", Body=b"1")["VersionId"]
    east.delete_object(Bucket="source", Key="receipts/p-1.json", VersionId=version)
    assert west.get_object(Bucket="destination", Key="receipts/p-1.json")["Body"].read() == b"1"

    east.put_object(Bucket="source", Key="receipts/p-2.json", Body=b"2")
    east.delete_object(Bucket="source", Key="receipts/p-2.json")
    with pytest.raises(ClientError) as error:
        west.get_object(Bucket="destination", Key="receipts/p-2.json")
    assert error.value.response["Error"]["Code"] == "NoSuchKey"


def test_kms_objects_need_sse_kms_selection():
    rule = {
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "Priority": "1",
        "Destination": {"Bucket": "arn:aws:s3:::d"},
    }
    assert matching_rule({"Rule": [rule]}, "k", kms_encrypted=False) is rule
    assert matching_rule({"Rule": [rule]}, "k", kms_encrypted=True) is None
    selected = {**rule, "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}}}
    assert matching_rule({"Rule": [selected]}, "k", kms_encrypted=True) is selected
    assert matching_rule({"Rule": [{**rule, "Status": "Disabled"}]}, "k", kms_encrypted=False) is None
    assert matching_rule(None, "k", kms_encrypted=False) is None


def test_regional_domains_report_their_regions_api_gateway_zone(client):
    zones = {}
    for region in (EAST, WEST):
        apigw = client("apigateway", region)
        domain = apigw.create_domain_name(
            domainName="api.payments.acme-corp.io",
            regionalCertificateArn=f"arn:aws:acm:{region}:123456789012:certificate/abc",
            endpointConfiguration={"types": ["REGIONAL"]},
        )
        assert domain["regionalDomainName"].endswith(f".execute-api.{region}.amazonaws.com")
        assert "distributionDomainName" not in domain and "distributionHostedZoneId" not in domain
        zones[region] = domain["regionalHostedZoneId"]
    assert zones == {EAST: "Z1UJRXOUMOOFQ8", WEST: "Z2OJLYMUO9EFXC"}
    assert zone_id_for("xx-nowhere-1") == zone_id_for("xx-nowhere-1") != zone_id_for("xx-nowhere-2")


def test_suspended_bucket_with_delete_markers_can_be_emptied(client):
    """What force_destroy does after Terraform suspended versioning."""
    s3 = client("s3", EAST)
    s3.create_bucket(Bucket="history")
    s3.put_bucket_versioning(Bucket="history", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="history", Key="receipts/p-1.json", Body=b"1")
    s3.delete_object(Bucket="history", Key="receipts/p-1.json")  # a delete marker
    s3.put_bucket_versioning(Bucket="history", VersioningConfiguration={"Status": "Suspended"})
    versions = s3.list_object_versions(Bucket="history")
    objects = [
        {"Key": v["Key"], "VersionId": v["VersionId"]}
        for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])
    ]
    deleted = s3.delete_objects(Bucket="history", Delete={"Objects": objects})
    assert deleted.get("Errors", []) == []
    s3.delete_bucket(Bucket="history")
    assert "history" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


@pytest.mark.parametrize("suffix", ["", ":*"])
def test_query_logging_accepts_the_log_group_arn_as_aws_documents_it(client, suffix):
    logs = client("logs", EAST)
    logs.create_log_group(logGroupName="/aws/route53/pay.example.com")
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/aws/route53/")["logGroups"]
    arn = group["arn"].removesuffix(":*") + suffix
    route53 = client("route53", EAST)
    zone = route53.create_hosted_zone(Name="pay.example.com", CallerReference="q")["HostedZone"]["Id"]
    zone_id = zone.split("/")[-1]
    created = route53.create_query_logging_config(HostedZoneId=zone_id, CloudWatchLogsLogGroupArn=arn)
    config_id = created["QueryLoggingConfig"]["Id"]
    read = route53.get_query_logging_config(Id=config_id)["QueryLoggingConfig"]
    assert read["CloudWatchLogsLogGroupArn"] == arn  # as given: Terraform compares it
    other = route53.create_hosted_zone(Name="other.example.com", CallerReference="o")["HostedZone"]["Id"]
    listed = route53.list_query_logging_configs(HostedZoneId=zone_id)["QueryLoggingConfigs"]
    assert [c["Id"] for c in listed] == [config_id]
    assert route53.list_query_logging_configs(HostedZoneId=other.split("/")[-1])["QueryLoggingConfigs"] == []


def test_query_logging_still_needs_an_existing_log_group(client):
    route53 = client("route53", EAST)
    zone = route53.create_hosted_zone(Name="pay.example.com", CallerReference="q")["HostedZone"]["Id"]
    with pytest.raises(ClientError, match="NoSuchCloudWatchLogsLogGroup"):
        route53.create_query_logging_config(
            HostedZoneId=zone.split("/")[-1],
            CloudWatchLogsLogGroupArn="arn:aws:logs:us-east-1:123456789012:log-group:/aws/route53/missing",
        )

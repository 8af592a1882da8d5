"""Tests for the moto patches of the local AWS emulator (local_aws/patches).

Starts the patched moto server in-process on a free port and talks to it
with boto3, as Terraform and the application would:

    .venv/bin/python -m pytest tests/harness -p no:cacheprovider   (make test-harness)
"""

from __future__ import annotations

import ast
import io
import json
import urllib.request
import zipfile
from pathlib import Path

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from flows.leftovers import find_leftovers
from lib.config import StackConfig
from local_aws.dataplane.s3_object_replication import matching_rules
from local_aws.patches.apigateway_regional_domains import zone_id_for
from local_aws.patches.emulator_endpoints import IDENTITY_PATH
from local_aws.patches.s3_bucket_policy_conditions import statement_applies
from tests.harness.conftest import boto, payments_table

EAST, WEST = "us-east-1", "us-west-2"
TABLE = "payments"
INDEX = "customer_id-created_at-index"


def _load_server_module():
    from local_aws import server

    return server


@pytest.fixture(autouse=True)
def reset(endpoint):
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))


@pytest.fixture
def client(endpoint):
    return lambda service, region: boto(service, region, endpoint)


@pytest.fixture
def ddb(client):
    return {EAST: client("dynamodb", EAST), WEST: client("dynamodb", WEST)}


@pytest.fixture
def keys(client):
    return {r: client("kms", r).create_key()["KeyMetadata"]["Arn"] for r in (EAST, WEST)}


def _create_table(ddb, east_key: str) -> None:
    """The table as the provider's CreateTable sends it."""
    ddb[EAST].create_table(
        **payments_table(
            TABLE,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": east_key},
            Tags=[{"Key": "Project", "Value": "payments"}],
        )
    )


@pytest.fixture
def global_table(ddb, keys, monkeypatch):
    monkeypatch.setenv("EMULATOR_DDB_REPLICATION_LAG", "0")  # synchronous; the lag: test_replication_lag.py
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


def test_acm_issues_a_certificate_once_its_validation_cname_is_in_dns_and_not_before(client):
    """ "Add this record to your DNS configuration to prove that you own or control the domain"
    (API_DnsValidationChallenge): no record, or a wrong value, keeps it PENDING_VALIDATION; the
    record ACM asked for issues it at once (no fixed wait)."""
    acm, route53 = client("acm", EAST), client("route53", EAST)
    arn = acm.request_certificate(DomainName="pay.example.com", ValidationMethod="DNS")["CertificateArn"]
    [option] = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"]
    record = option["ResourceRecord"]
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "PENDING_VALIDATION"

    zone = route53.create_hosted_zone(Name="example.com", CallerReference="acm")["HostedZone"]["Id"]

    def cname(action: str, value: str) -> None:
        route53.change_resource_record_sets(
            HostedZoneId=zone,
            ChangeBatch={
                "Changes": [
                    {
                        "Action": action,
                        "ResourceRecordSet": {
                            "Name": record["Name"],
                            "Type": "CNAME",
                            "TTL": 60,
                            "ResourceRecords": [{"Value": value}],
                        },
                    }
                ]
            },
        )

    cname("CREATE", "_wrong.acm-validations.aws.")
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "PENDING_VALIDATION"
    cname("UPSERT", record["Value"])
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


def test_a_second_lambda_permission_with_one_statement_id_is_refused(client):
    """An aws_lambda_permission created again (a stopped apply, a retried request) must fail as on
    AWS, not add a second statement with the same id."""
    aws_lambda = _create_function(client)
    grant = {"FunctionName": "fn", "Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com"}
    aws_lambda.add_permission(StatementId="AllowApi", **grant)
    with pytest.raises(ClientError) as error:
        aws_lambda.add_permission(StatementId="AllowApi", **grant)
    assert error.value.response["Error"]["Code"] == "ResourceConflictException"
    assert "The statement id (AllowApi) provided already exists" in error.value.response["Error"]["Message"]
    aws_lambda.add_permission(StatementId="AllowOther", **grant)  # another id is fine
    statements = json.loads(aws_lambda.get_policy(FunctionName="fn")["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["AllowApi", "AllowOther"]
    aws_lambda.remove_permission(FunctionName="fn", StatementId="AllowApi")
    aws_lambda.add_permission(StatementId="AllowApi", **grant)  # removed, so free again


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
    apigw = boto("apigateway", EAST, endpoint, retrying)
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
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, True),  # unknown here: a deny applies
        ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::receipts"}}, False),  # no such key in the context
    ],
)
def test_bucket_policy_conditions_are_evaluated(condition, applies):
    assert statement_applies({"Effect": "Deny", "Condition": condition}) is applies


@pytest.mark.parametrize(
    ("condition", "applies"),
    [
        ({"StringLike": {"aws:SecureTransport": "t*"}}, True),
        ({"ArnEquals": {"aws:SecureTransport": "true"}}, True),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, False),  # unknown here: an allow grants nothing
        ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::receipts"}}, False),
    ],
)
def test_an_allow_never_grants_more_than_aws_would(condition, applies):
    assert statement_applies({"Effect": "Allow", "Condition": condition}) is applies


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
    assert matching_rules({"Rule": [rule]}, "k", kms_encrypted=False) == [rule]
    assert matching_rules({"Rule": [rule]}, "k", kms_encrypted=True) == []
    selected = {**rule, "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}}}
    assert matching_rules({"Rule": [selected]}, "k", kms_encrypted=True) == [selected]
    assert matching_rules({"Rule": [{**rule, "Status": "Disabled"}]}, "k", kms_encrypted=False) == []
    assert matching_rules(None, "k", kms_encrypted=False) == []


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


def test_a_plain_delete_in_a_suspended_bucket_replaces_only_the_null_version(client):
    """AWS (versioning-suspended buckets): a DELETE "Can only remove an object whose version ID
    is null" and "Inserts a delete marker into the bucket" with a version id of null; a DELETE
    with a version id removes that version only (what force_destroy sends)."""
    s3 = client("s3", EAST)
    s3.create_bucket(Bucket="history")
    s3.put_object(Bucket="history", Key="k", Body=b"unversioned")  # version id null
    s3.put_bucket_versioning(Bucket="history", VersioningConfiguration={"Status": "Enabled"})
    kept = s3.put_object(Bucket="history", Key="k", Body=b"versioned")["VersionId"]
    s3.put_bucket_versioning(Bucket="history", VersioningConfiguration={"Status": "Suspended"})

    deleted = s3.delete_object(Bucket="history", Key="k")
    assert (deleted["DeleteMarker"], deleted["VersionId"]) == (True, "null")
    listed = s3.list_object_versions(Bucket="history")
    assert [v["VersionId"] for v in listed["Versions"]] == [kept]
    assert [(m["VersionId"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == [("null", True)]
    with pytest.raises(ClientError):
        s3.head_object(Bucket="history", Key="k")
    assert s3.get_object(Bucket="history", Key="k", VersionId=kept)["Body"].read() == b"versioned"

    s3.delete_object(Bucket="history", Key="k")  # again: the null marker is replaced, not added
    assert len(s3.list_object_versions(Bucket="history")["DeleteMarkers"]) == 1
    gone = s3.delete_objects(Bucket="history", Delete={"Objects": [{"Key": "k", "VersionId": "null"}]})
    assert gone.get("Errors", []) == []
    assert s3.get_object(Bucket="history", Key="k")["Body"].read() == b"versioned"
    s3.delete_objects(Bucket="history", Delete={"Objects": [{"Key": "k", "VersionId": kept}]})
    assert "Versions" not in s3.list_object_versions(Bucket="history")
    s3.delete_bucket(Bucket="history")


def _plain_replication(client, rule: dict, destination_versioning: str | None = "Enabled"):
    """A versioned source (us-east-1) with one rule to a destination bucket in us-west-2."""
    east, west = client("s3", EAST), client("s3", WEST)
    east.create_bucket(Bucket="source")
    east.put_bucket_versioning(Bucket="source", VersioningConfiguration={"Status": "Enabled"})
    west.create_bucket(Bucket="destination", CreateBucketConfiguration={"LocationConstraint": WEST})
    if destination_versioning:
        west.put_bucket_versioning(
            Bucket="destination", VersioningConfiguration={"Status": destination_versioning}
        )
    rule = {"ID": "r", "Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::destination"}, **rule}
    east.put_bucket_replication(
        Bucket="source",
        ReplicationConfiguration={"Role": "arn:aws:iam::123456789012:role/replication", "Rules": [rule]},
    )
    return east, west


def test_a_v1_rule_replicates_delete_markers(client):
    """AWS: "If you don't specify the Filter element, Amazon S3 assumes that the replication
    configuration is version V1, and it replicates delete markers that resulted from user
    actions." """
    east, west = _plain_replication(client, {"Prefix": "receipts/"})
    east.put_object(Bucket="source", Key="receipts/p-1.json", Body=b"1")
    marker = east.delete_object(Bucket="source", Key="receipts/p-1.json")["VersionId"]
    listed = west.list_object_versions(Bucket="destination")
    assert [m["VersionId"] for m in listed.get("DeleteMarkers", [])] == [marker]
    with pytest.raises(ClientError):
        west.head_object(Bucket="destination", Key="receipts/p-1.json")


def test_a_tag_filter_replicates_only_objects_with_the_tag(client):
    """AWS (ReplicationRuleFilter Tag): "The rule applies only to objects that have the tag in
    their tag set." (And: the prefix and every tag)."""
    tagged = {"And": {"Prefix": "receipts/", "Tags": [{"Key": "copy", "Value": "yes"}]}}
    east, west = _plain_replication(
        client, {"Priority": 1, "Filter": tagged, "DeleteMarkerReplication": {"Status": "Disabled"}}
    )
    east.put_object(Bucket="source", Key="receipts/tagged.json", Body=b"1", Tagging="copy=yes")
    east.put_object(Bucket="source", Key="receipts/untagged.json", Body=b"2")
    east.put_object(Bucket="source", Key="other/tagged.json", Body=b"3", Tagging="copy=yes")
    assert (
        west.head_object(Bucket="destination", Key="receipts/tagged.json")["ReplicationStatus"] == "REPLICA"
    )
    for key in ("receipts/untagged.json", "other/tagged.json"):
        assert "ReplicationStatus" not in east.head_object(Bucket="source", Key=key)
        with pytest.raises(ClientError):
            west.head_object(Bucket="destination", Key=key)


def test_a_replica_keeps_the_source_storage_class_by_default(client):
    """AWS (Destination StorageClass): "By default, Amazon S3 uses the storage class of the
    source object to create the object replica." """
    east, west = _plain_replication(
        client, {"Priority": 1, "Filter": {"Prefix": ""}, "DeleteMarkerReplication": {"Status": "Disabled"}}
    )
    east.put_object(Bucket="source", Key="cold.json", Body=b"1", StorageClass="STANDARD_IA")
    assert west.head_object(Bucket="destination", Key="cold.json")["StorageClass"] == "STANDARD_IA"


@pytest.mark.parametrize("versioning", [None, "Suspended"])
def test_replication_to_an_unversioned_destination_is_refused(client, versioning):
    """AWS: "Both source and destination buckets must have versioning enabled." (refused with
    InvalidRequest "Destination bucket must have versioning enabled.": undocumented, assumed
    from AWS's answer in Terraform runs)."""
    with pytest.raises(ClientError) as error:
        _plain_replication(client, {"Prefix": ""}, destination_versioning=versioning)
    assert error.value.response["Error"]["Code"] == "InvalidRequest"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("destination", ["deleted", "suspended"])
def test_a_missing_or_unversioned_destination_fails_replication(client, destination):
    """AWS failure reasons DstBucketNotFound ("Amazon S3 is unable to find the destination
    bucket") and DstBucketUnversioned: the source says FAILED, no replica is written. A deleted
    bucket is not the temporary "bucket or Region is unavailable" that stays PENDING."""
    rule = {"Priority": 1, "Filter": {"Prefix": ""}, "DeleteMarkerReplication": {"Status": "Enabled"}}
    east, west = _plain_replication(client, rule)
    if destination == "deleted":
        west.delete_bucket(Bucket="destination")
    else:  # versioning suspended once the configuration was in place
        west.put_bucket_versioning(Bucket="destination", VersioningConfiguration={"Status": "Suspended"})
    east.put_object(Bucket="source", Key="k", Body=b"1")
    east.delete_object(Bucket="source", Key="k")  # a delete marker: nothing written either
    east.put_object(Bucket="source", Key="k2", Body=b"2")
    assert east.head_object(Bucket="source", Key="k2")["ReplicationStatus"] == "FAILED"
    if destination == "suspended":
        assert west.list_objects_v2(Bucket="destination").get("KeyCount") == 0


@pytest.mark.parametrize("suffix", ["", ":*"])
def test_query_logging_accepts_the_log_group_arn_as_aws_documents_it(client, suffix):
    logs = client("logs", EAST)
    _allow_route53_query_logs(logs)
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
    _allow_route53_query_logs(client("logs", EAST))
    route53 = client("route53", EAST)
    zone = route53.create_hosted_zone(Name="pay.example.com", CallerReference="q")["HostedZone"]["Id"]
    with pytest.raises(ClientError, match="NoSuchCloudWatchLogsLogGroup"):
        route53.create_query_logging_config(
            HostedZoneId=zone.split("/")[-1],
            CloudWatchLogsLogGroupArn="arn:aws:logs:us-east-1:123456789012:log-group:/aws/route53/missing",
        )


# --- stricter than moto: what AWS refuses ------------------------------------------------------

ACCOUNT = "123456789012"


def _route53_policy(resource: str, condition: dict | None = None) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "route53.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": resource,
    }
    if condition is not None:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _allow_route53_query_logs(logs, name: str = "route53-query-logs") -> None:
    """The one policy the account-settings owner creates (lib/account.py)."""
    logs.put_resource_policy(
        policyName=name,
        policyDocument=_route53_policy(
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/route53/*",
            {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnLike": {"aws:SourceArn": "arn:aws:route53:::hostedzone/*"},
            },
        ),
    )


def _zone_and_group(client, name: str = "pay.example.com") -> tuple[str, str]:
    logs = client("logs", EAST)
    logs.create_log_group(logGroupName=f"/aws/route53/{name}")
    (group,) = logs.describe_log_groups(logGroupNamePrefix=f"/aws/route53/{name}")["logGroups"]
    zone = client("route53", EAST).create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"]
    return zone.split("/")[-1], group["arn"].removesuffix(":*")


@pytest.mark.parametrize(
    ("policy", "allowed"),
    [
        (None, False),  # no resource policy at all: AWS refuses
        (_route53_policy(f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/route53/*"), True),
        (_route53_policy(f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/other/*"), False),
        (
            _route53_policy(
                f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/route53/*",
                {"StringEquals": {"aws:SourceAccount": "999999999999"}},
            ),
            False,
        ),
        (
            _route53_policy(
                f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/route53/*",
                {"ArnLike": {"aws:SourceArn": "arn:aws:route53:::hostedzone/ZOTHER"}},
            ),
            False,
        ),
        (
            _route53_policy(
                f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/route53/*",
                {"Bool": {"aws:SecureTransport": "true"}},  # an operator the patch does not know
            ),
            False,
        ),
    ],
    ids=["none", "covers", "other-prefix", "other-account", "other-zone", "unknown-operator"],
)
def test_query_logging_needs_a_resource_policy_letting_route53_write(client, policy, allowed):
    if policy is not None:
        client("logs", EAST).put_resource_policy(policyName="p", policyDocument=policy)
    zone_id, group_arn = _zone_and_group(client)
    route53 = client("route53", EAST)
    if allowed:
        route53.create_query_logging_config(HostedZoneId=zone_id, CloudWatchLogsLogGroupArn=group_arn)
        return
    with pytest.raises(ClientError) as error:
        route53.create_query_logging_config(HostedZoneId=zone_id, CloudWatchLogsLogGroupArn=group_arn)
    assert error.value.response["Error"]["Code"] == "InsufficientCloudWatchLogsResourcePolicy"


def test_one_shared_policy_serves_every_environments_zone(client):
    _allow_route53_query_logs(client("logs", EAST))
    route53 = client("route53", EAST)
    for name in ("tap-dev.payments-dr.net", "tap-pr7.payments-dr.net"):
        zone_id, group_arn = _zone_and_group(client, name)
        route53.create_query_logging_config(HostedZoneId=zone_id, CloudWatchLogsLogGroupArn=group_arn)
    assert len(route53.list_query_logging_configs()["QueryLoggingConfigs"]) == 2


def test_ten_logs_resource_policies_per_region_at_most(client):
    """AWS: 10 per region and account, "can't be changed" (moto enforces it; kept under test)."""
    logs = client("logs", EAST)
    for number in range(10):
        logs.put_resource_policy(policyName=f"p{number}", policyDocument=_route53_policy("*"))
    logs.put_resource_policy(policyName="p0", policyDocument=_route53_policy("*"))  # an update is fine
    with pytest.raises(ClientError) as error:
        logs.put_resource_policy(policyName="p10", policyDocument=_route53_policy("*"))
    assert error.value.response["Error"]["Code"] == "LimitExceededException"
    client("logs", WEST).put_resource_policy(
        policyName="p10", policyDocument=_route53_policy("*")
    )  # per region


@pytest.mark.parametrize(("length", "accepted"), [(64, True), (65, False)])
def test_acm_refuses_a_first_domain_name_over_64_characters(client, length, accepted):
    name = "a" * (length - len(".payments.io")) + ".payments.io"
    assert len(name) == length
    acm = client("acm", EAST)
    if accepted:
        arn = acm.request_certificate(DomainName=name, ValidationMethod="DNS")["CertificateArn"]
        assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainName"] == name
        return
    with pytest.raises(ClientError) as error:
        acm.request_certificate(DomainName=name, ValidationMethod="DNS")
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert acm.list_certificates()["CertificateSummaryList"] == []


def _function(client, region: str, name: str) -> None:
    iam = client("iam", region)
    try:
        role = iam.get_role(RoleName="fn")["Role"]["Arn"]
    except ClientError:
        role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    client("lambda", region).create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="handler.handler",
        Code={"ZipFile": package.getvalue()},
    )  # fmt: skip


def test_lambda_keeps_100_unreserved_and_reports_the_account_settings(client, monkeypatch):
    monkeypatch.setenv("EMULATOR_LAMBDA_CONCURRENCY_LIMIT", "150")  # a small account
    lam = client("lambda", WEST)
    for name in ("a", "b"):
        _function(client, WEST, name)
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 150
    lam.put_function_concurrency(FunctionName="a", ReservedConcurrentExecutions=30)
    limits = lam.get_account_settings()["AccountLimit"]
    assert (limits["ConcurrentExecutions"], limits["UnreservedConcurrentExecutions"]) == (150, 120)
    with pytest.raises(ClientError) as error:  # 150 - 30 - 21 = 99 < 100
        lam.put_function_concurrency(FunctionName="b", ReservedConcurrentExecutions=21)
    assert error.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "below its minimum value of [100]" in error.value.response["Error"]["Message"]
    lam.put_function_concurrency(FunctionName="a", ReservedConcurrentExecutions=50)  # its own is given back
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 100
    assert lam.get_account_settings()["AccountUsage"]["FunctionCount"] == 2
    # per region: us-east-1 still has its whole pool
    assert (
        client("lambda", EAST).get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 150
    )


def test_a_new_account_cannot_reserve_any_concurrency(client, monkeypatch):
    monkeypatch.setenv("EMULATOR_LAMBDA_CONCURRENCY_LIMIT", "10")
    _function(client, EAST, "a")
    with pytest.raises(ClientError, match="below its minimum value"):
        client("lambda", EAST).put_function_concurrency(FunctionName="a", ReservedConcurrentExecutions=5)


def _stage(client, region: str = EAST) -> tuple:
    apigw = client("apigateway", region)
    api = apigw.create_rest_api(name="api")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = apigw.create_deployment(restApiId=api)["id"]
    apigw.create_stage(restApiId=api, stageName="v1", deploymentId=deployment)
    return apigw, api


LOGGING_ON = [
    [
        {
            "op": "replace",
            "path": "/accessLogSettings/destinationArn",
            "value": "arn:aws:logs:us-east-1:1:log-group:a",
        }
    ],
    [{"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"}],
    [{"op": "replace", "path": "/*/*/logging/dataTrace", "value": "true"}],
]


@pytest.mark.parametrize("operations", LOGGING_ON, ids=["access-logs", "execution-logs", "data-trace"])
def test_stage_logging_needs_the_accounts_cloudwatch_role(client, operations):
    apigw, api = _stage(client)
    with pytest.raises(ClientError) as error:
        apigw.update_stage(restApiId=api, stageName="v1", patchOperations=operations)
    assert error.value.response["Error"]["Code"] == "BadRequestException"
    assert (
        "CloudWatch Logs role ARN must be set in account settings" in error.value.response["Error"]["Message"]
    )
    apigw.update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": "arn:aws:iam::1:role/logs"}]
    )
    apigw.update_stage(restApiId=api, stageName="v1", patchOperations=operations)


def test_logging_off_and_other_stage_settings_need_no_role(client):
    apigw, api = _stage(client)
    apigw.update_stage(
        restApiId=api,
        stageName="v1",
        patchOperations=[
            {"op": "replace", "path": "/*/*/logging/loglevel", "value": "OFF"},
            {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
            {"op": "replace", "path": "/tracingEnabled", "value": "true"},
        ],
    )


def test_the_cloudwatch_role_is_per_region(client):
    client("apigateway", WEST).update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": "arn:aws:iam::1:role/logs"}]
    )
    apigw, api = _stage(client, EAST)
    with pytest.raises(ClientError, match="CloudWatch Logs role ARN must be set"):
        apigw.update_stage(restApiId=api, stageName="v1", patchOperations=LOGGING_ON[0])


def test_a_protected_replica_cannot_be_removed_from_its_global_table(global_table):
    """Deletion protection is per replica; removing a protected replica through its global
    table (what aws_dynamodb_table_replica's destroy does) is a deletion like any other."""
    ddb = global_table
    ddb[WEST].update_table(TableName=TABLE, DeletionProtectionEnabled=True)
    with pytest.raises(ClientError) as error:
        ddb[EAST].update_table(TableName=TABLE, ReplicaUpdates=[{"Delete": {"RegionName": WEST}}])
    assert "DeletionProtectionEnabled is set to True" in error.value.response["Error"]["Message"]
    assert _describe(ddb, EAST)["Replicas"][0]["RegionName"] == WEST
    ddb[WEST].update_table(TableName=TABLE, DeletionProtectionEnabled=False)
    ddb[EAST].update_table(TableName=TABLE, ReplicaUpdates=[{"Delete": {"RegionName": WEST}}])
    assert "Replicas" not in _describe(ddb, EAST) or _describe(ddb, EAST)["Replicas"] == []


def test_a_replica_reports_a_table_class_only_when_overridden(ddb, keys):
    """aws_dynamodb_table_replica reads ReplicaTableClassSummary into table_class_override,
    which forces a new replica: a summary the replica never asked for replaced it on every plan."""
    _create_table(ddb, keys[EAST])
    ddb[EAST].update_table(
        TableName=TABLE, ReplicaUpdates=[{"Create": {"RegionName": WEST, "KMSMasterKeyId": keys[WEST]}}]
    )
    (replica,) = _describe(ddb, EAST)["Replicas"]
    assert "ReplicaTableClassSummary" not in replica
    ddb[EAST].update_table(TableName=TABLE, ReplicaUpdates=[{"Delete": {"RegionName": WEST}}])
    ddb[EAST].update_table(
        TableName=TABLE,
        ReplicaUpdates=[
            {
                "Create": {
                    "RegionName": WEST,
                    "KMSMasterKeyId": keys[WEST],
                    "TableClassOverride": "STANDARD_INFREQUENT_ACCESS",
                }
            }
        ],
    )
    (replica,) = _describe(ddb, EAST)["Replicas"]
    assert replica["ReplicaTableClassSummary"] == {"TableClass": "STANDARD_INFREQUENT_ACCESS"}


def test_removing_a_region_without_replica_answers_as_aws(global_table):
    """Destroying aws_dynamodb_table_replica and then its table makes the table remove the
    replica again (from its refreshed state): AWS answers a ValidationException the provider
    recognises and skips; any other answer failed the destroy."""
    ddb = global_table
    ddb[EAST].update_table(TableName=TABLE, ReplicaUpdates=[{"Delete": {"RegionName": WEST}}])
    with pytest.raises(ClientError) as error:
        ddb[EAST].update_table(TableName=TABLE, ReplicaUpdates=[{"Delete": {"RegionName": WEST}}])
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert error.value.response["Error"]["Message"].endswith("of the request was not found.")
    ddb[EAST].delete_table(TableName=TABLE)
    _assert_gone_everywhere(ddb)


def _provisioned_global_table(ddb, read: int = 5, write: int = 5, **override) -> None:
    ddb[EAST].create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": read, "WriteCapacityUnits": write},
    )
    ddb[EAST].update_table(TableName=TABLE, ReplicaUpdates=[{"Create": {"RegionName": WEST, **override}}])


def _capacity(ddb, region: str) -> tuple[int, int]:
    throughput = _describe(ddb, region)["ProvisionedThroughput"]
    return throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]


def test_a_replicas_read_capacity_override_stays_with_that_replica(ddb):
    """AWS: "You can independently configure read capacity settings for each replica in a global
    table by using the ProvisionedThroughputOverride parameter at the replica level. By default,
    changes to provisioned read capacity are applied to all replicas in the global table." and
    "Overridable setting values are changed if the setting is modified on any other replica." """
    _provisioned_global_table(ddb, read=5, write=5, ProvisionedThroughputOverride={"ReadCapacityUnits": 8})
    assert (_capacity(ddb, EAST), _capacity(ddb, WEST)) == ((5, 5), (8, 5))

    ddb[EAST].update_table(
        TableName=TABLE,
        ReplicaUpdates=[
            {"Update": {"RegionName": WEST, "ProvisionedThroughputOverride": {"ReadCapacityUnits": 20}}}
        ],
    )
    assert (_capacity(ddb, EAST), _capacity(ddb, WEST)) == ((5, 5), (20, 5))
    [west] = _describe(ddb, EAST)["Replicas"]
    assert west["ProvisionedThroughputOverride"] == {"ReadCapacityUnits": 20}

    ddb[EAST].update_table(
        TableName=TABLE, ProvisionedThroughput={"ReadCapacityUnits": 30, "WriteCapacityUnits": 7}
    )
    assert (_capacity(ddb, EAST), _capacity(ddb, WEST)) == ((30, 7), (30, 7))
    assert "ProvisionedThroughputOverride" not in _describe(ddb, EAST)["Replicas"][0]


def test_a_read_capacity_override_needs_provisioned_capacity(global_table):
    """Undocumented: assumed refused (ValidationException) on an on-demand table."""
    with pytest.raises(ClientError) as error:
        global_table[EAST].update_table(
            TableName=TABLE,
            ReplicaUpdates=[
                {"Update": {"RegionName": WEST, "ProvisionedThroughputOverride": {"ReadCapacityUnits": 2}}}
            ],
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"


def test_adding_a_replica_turns_streams_on_and_they_stay_on(ddb, keys):
    """AWS: "Streams are therefore enabled by default on all replicas in an MREC global table,
    and cannot be disabled on those replicas." """
    ddb[EAST].create_table(**payments_table(TABLE))  # no stream
    ddb[EAST].update_table(TableName=TABLE, ReplicaUpdates=[{"Create": {"RegionName": WEST}}])
    for region in (EAST, WEST):
        description = _describe(ddb, region)
        assert description["StreamSpecification"] == {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        with pytest.raises(ClientError) as error:
            ddb[region].update_table(TableName=TABLE, StreamSpecification={"StreamEnabled": False})
        assert error.value.response["Error"]["Code"] == "ValidationException"
        ddb[region].put_item(TableName=TABLE, Item={"payment_id": {"S": f"p-{region}"}})


def test_a_new_replica_starts_with_the_tables_ttl(ddb):
    """AWS: "TTL settings are automatically synchronized for all replicas in a global table." """
    ddb[EAST].create_table(**payments_table(TABLE))
    ddb[EAST].update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
    ddb[EAST].update_table(TableName=TABLE, ReplicaUpdates=[{"Create": {"RegionName": WEST}}])
    assert ddb[WEST].describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "ttl",
    }


def test_a_table_whose_stream_was_disabled_still_takes_writes(ddb):
    """AWS: "If you disable a stream, any shards that are open will be closed." (moto crashed
    with KeyError: 'StreamViewType' on the next write)."""
    ddb[EAST].create_table(
        **payments_table(TABLE, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    )
    ddb[EAST].update_table(TableName=TABLE, StreamSpecification={"StreamEnabled": False})
    ddb[EAST].put_item(TableName=TABLE, Item={"payment_id": {"S": "p-1"}})
    assert "Item" in ddb[EAST].get_item(TableName=TABLE, Key={"payment_id": {"S": "p-1"}})


# --- the leftover check ------------------------------------------------------------------------


def test_leftovers_find_log_groups_alarms_and_singletons_of_one_environment_only(
    client, endpoint, monkeypatch
):
    for name, value in (
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ):
        monkeypatch.setenv(name, value)
    logs = client("logs", EAST)
    for group in (
        "aws-waf-logs-tap-payments-api-waf-primary-dev",  # WAF's required prefix
        "/aws/route53/tap-dev.payments-dr.net",  # the zone's query logs
        "API-Gateway-Execution-Logs_abc123/v1",  # API Gateway names it after the API id
        "/aws/lambda/tap-payments-api-primary-dev-peer",  # another environment's
    ):
        logs.create_log_group(logGroupName=group)
    client("cloudwatch", EAST).put_metric_alarm(
        AlarmName="tap-alarms-primary-dev-lambda-errors",
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
    )
    client("dynamodb", EAST).create_table(
        TableName="tap-payments-dev-peer",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
    )
    _allow_route53_query_logs(logs, "tap-route53-query-logs")
    found = find_leftovers(StackConfig.from_env({}), api_ids=["abc123"])
    assert sorted(found) == sorted(
        [
            "log group aws-waf-logs-tap-payments-api-waf-primary-dev (us-east-1)",
            "log group /aws/route53/tap-dev.payments-dr.net (us-east-1)",
            "log group API-Gateway-Execution-Logs_abc123/v1 (us-east-1)",
            "alarm tap-alarms-primary-dev-lambda-errors (us-east-1)",
            "logs resource policy tap-route53-query-logs (us-east-1)",  # dev owns the settings
        ]
    )
    # The peer owns no account settings: the shared policy is not its leftover.
    peer = find_leftovers(
        StackConfig.from_env({"ENVIRONMENT_SUFFIX": "dev-peer", "MANAGE_ACCOUNT_SETTINGS": "false"})
    )
    assert sorted(peer) == [
        "dynamodb table tap-payments-dev-peer (us-east-1)",
        "log group /aws/lambda/tap-payments-api-primary-dev-peer (us-east-1)",
    ]


def test_api_gateway_tags_any_taggable_resource(client):
    """A redeploy with a new default tag (COMMIT_AUTHOR) retags REST APIs and domain names."""
    apigw = client("apigateway", WEST)
    api = apigw.create_rest_api(name="api", tags={"Author": "a"})["id"]
    domain = apigw.create_domain_name(domainName="api.pay.example.com", tags={"Author": "a"})["domainName"]
    key = apigw.create_api_key(name="k", tags={"Author": "a"})["id"]
    plan = apigw.create_usage_plan(name="p", tags={"Author": "a"})["id"]
    arns = [
        f"arn:aws:apigateway:{WEST}::/restapis/{api}",
        f"arn:aws:apigateway:{WEST}::/domainnames/{domain}",
        f"arn:aws:apigateway:{WEST}::/apikeys/{key}",
        f"arn:aws:apigateway:{WEST}::/usageplans/{plan}",
    ]
    for arn in arns:
        apigw.tag_resource(resourceArn=arn, tags={"Author": "b", "Team": "dr"})
        assert apigw.get_tags(resourceArn=arn)["tags"] == {"Author": "b", "Team": "dr"}, arn
        apigw.untag_resource(resourceArn=arn, tagKeys=["Team"])
        assert apigw.get_tags(resourceArn=arn)["tags"] == {"Author": "b"}, arn
    assert apigw.get_rest_api(restApiId=api)["tags"] == {"Author": "b"}
    with pytest.raises(ClientError) as error:
        apigw.get_tags(resourceArn=f"arn:aws:apigateway:{WEST}::/restapis/nosuchapi")
    assert error.value.response["Error"]["Code"] == "NotFoundException"


def test_a_second_resource_with_the_same_path_under_one_parent_is_refused(client):
    """A CreateResource retried after its lost response must not leave two /payments/{payment_id}."""
    apigw = client("apigateway", EAST)
    api = apigw.create_rest_api(name="api")["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/")
    payments = apigw.create_resource(restApiId=api, parentId=root, pathPart="payments")["id"]
    apigw.create_resource(restApiId=api, parentId=payments, pathPart="{payment_id}")
    with pytest.raises(ClientError) as error:
        apigw.create_resource(restApiId=api, parentId=payments, pathPart="{payment_id}")
    assert error.value.response["Error"]["Code"] == "ConflictException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert "{payment_id}" in error.value.response["Error"]["Message"]
    # The same path part under another parent, and another API, are still fine.
    apigw.create_resource(restApiId=api, parentId=root, pathPart="{payment_id}")
    other = apigw.create_rest_api(name="other")["id"]
    other_root = next(r["id"] for r in apigw.get_resources(restApiId=other)["items"] if r["path"] == "/")
    apigw.create_resource(restApiId=other, parentId=other_root, pathPart="payments")
    paths = sorted(r["path"] for r in apigw.get_resources(restApiId=api)["items"])
    assert paths == ["/", "/payments", "/payments/{payment_id}", "/{payment_id}"]


def test_the_server_answers_its_own_start_token_and_everything_else_as_before(endpoint, client, monkeypatch):
    """emulator.sh start succeeds only when *its* server answers its token (two starts racing for
    one port must not share an emulator)."""
    monkeypatch.setattr(DomainDispatcherApplication, "__call__", DomainDispatcherApplication.__call__)
    server = _load_server_module()
    server.serve_identity("start-token-1")
    with urllib.request.urlopen(f"{endpoint}{IDENTITY_PATH}") as answer:
        assert answer.read() == b"start-token-1"
    assert client("sts", EAST).get_caller_identity()["Account"] == "123456789012"  # AWS unchanged


def test_requests_an_sdk_retried_are_logged(endpoint, client, monkeypatch, capfd):
    """A retried create is how a duplicate or an "already exists" appears: the log names it."""
    monkeypatch.setattr(DomainDispatcherApplication, "__call__", DomainDispatcherApplication.__call__)
    _load_server_module().serve_identity("t")
    sts = client("sts", EAST)
    sts.get_caller_identity()  # a first attempt: not logged

    def as_retry(request, **_):
        request.headers["amz-sdk-request"] = "attempt=2; max=3"

    sts.meta.events.register_last("before-send.sts.GetCallerIdentity", as_retry)
    sts.get_caller_identity()
    logged = [line for line in capfd.readouterr().out.splitlines() if "retried by the client" in line]
    assert logged == ["local_aws: retried by the client (attempt=2; max=3): POST /"]


def test_every_patch_cites_the_aws_documentation_it_models():
    """A patch models documented AWS behaviour, so its docstring names the page it follows."""
    patches = Path(__file__).resolve().parents[2] / "local_aws" / "patches"
    docstrings = {
        path.name: ast.get_docstring(ast.parse(path.read_text())) or ""
        for path in sorted(patches.glob("*.py"))
        if not path.name.startswith("_")
    }
    assert len(docstrings) >= 20
    assert [name for name, doc in docstrings.items() if "https://docs.aws.amazon.com/" not in doc] == []


def _switch_alarm(cloudwatch, name: str = "tap-failover-switch-dev", **settings) -> None:
    config = {
        "Namespace": "Tap/DR",
        "MetricName": "FailoverRequested",
        "Dimensions": [{"Name": "Environment", "Value": "dev"}],
        "Statistic": "Maximum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "ignore",
        **settings,
    }
    cloudwatch.put_metric_alarm(AlarmName=name, **{k: v for k, v in config.items() if v is not None})


def test_a_cloudwatch_metric_health_check_keeps_its_alarm_and_insufficient_data_status(client):
    """The failover switch: without its alarm the checkers could not follow it, and Terraform
    would read the alarm back as empty (patches/route53_health_check_alarms.py)."""
    route53 = client("route53", EAST)
    _switch_alarm(client("cloudwatch", WEST))
    config = {
        "Type": "CLOUDWATCH_METRIC",
        "AlarmIdentifier": {"Region": WEST, "Name": "tap-failover-switch-dev"},
        "InsufficientDataHealthStatus": "Healthy",
    }
    check = route53.create_health_check(CallerReference="switch", HealthCheckConfig=config)["HealthCheck"]
    read = route53.get_health_check(HealthCheckId=check["Id"])["HealthCheck"]["HealthCheckConfig"]
    assert read["AlarmIdentifier"] == {"Region": WEST, "Name": "tap-failover-switch-dev"}
    assert read["InsufficientDataHealthStatus"] == "Healthy"
    assert "Port" not in read and "RequestInterval" not in read  # no endpoint to probe
    route53.update_health_check(HealthCheckId=check["Id"], InsufficientDataHealthStatus="LastKnownStatus")
    read = route53.get_health_check(HealthCheckId=check["Id"])["HealthCheck"]["HealthCheckConfig"]
    assert read["InsufficientDataHealthStatus"] == "LastKnownStatus"
    assert read["AlarmIdentifier"]["Name"] == "tap-failover-switch-dev"
    with pytest.raises(ClientError, match="InvalidInput"):
        route53.create_health_check(
            CallerReference="no-alarm", HealthCheckConfig={"Type": "CLOUDWATCH_METRIC"}
        )


def test_a_cloudwatch_metric_health_check_holds_the_alarms_criteria_as_they_were(client):
    """Route 53 copies the alarm's criteria (HealthCheck.CloudWatchAlarmConfiguration) and "doesn't
    automatically update the alarm settings in the health check": a later PutMetricAlarm leaves
    the copy; UpdateHealthCheck with the AlarmIdentifier reads the alarm again."""
    route53, cloudwatch = client("route53", EAST), client("cloudwatch", WEST)
    _switch_alarm(cloudwatch)
    identifier = {"Region": WEST, "Name": "tap-failover-switch-dev"}
    created = route53.create_health_check(
        CallerReference="held", HealthCheckConfig={"Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": identifier}
    )["HealthCheck"]
    expected = {
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Period": 60,
        "MetricName": "FailoverRequested",
        "Namespace": "Tap/DR",
        "Statistic": "Maximum",
        "Dimensions": [{"Name": "Environment", "Value": "dev"}],
    }
    assert created["CloudWatchAlarmConfiguration"] == expected

    _switch_alarm(cloudwatch, Threshold=5.0, Period=300)  # changed out of band
    held = route53.get_health_check(HealthCheckId=created["Id"])["HealthCheck"]
    assert held["CloudWatchAlarmConfiguration"] == expected
    [listed] = [c for c in route53.list_health_checks()["HealthChecks"] if c["Id"] == created["Id"]]
    assert listed["CloudWatchAlarmConfiguration"] == expected

    route53.update_health_check(HealthCheckId=created["Id"], Inverted=False)  # no alarm named: no re-read
    held = route53.get_health_check(HealthCheckId=created["Id"])["HealthCheck"]
    assert held["CloudWatchAlarmConfiguration"] == expected
    route53.update_health_check(HealthCheckId=created["Id"], AlarmIdentifier=identifier)
    held = route53.get_health_check(HealthCheckId=created["Id"])["HealthCheck"]
    assert held["CloudWatchAlarmConfiguration"] == {**expected, "Threshold": 5.0, "Period": 300}


@pytest.mark.parametrize(
    ("settings", "why"),
    [
        ({"Period": 10}, "high-resolution"),
        ({"Statistic": None, "ExtendedStatistic": "p99"}, "extended statistic"),
        (None, "does not exist"),
    ],
)
def test_route53_refuses_an_alarm_it_does_not_support(client, settings, why):
    """AlarmIdentifier: "Standard-resolution metrics. High-resolution metrics aren't supported ...
    Extended statistics aren't supported." (the error itself is undocumented: assumed refused)."""
    if settings is not None:
        _switch_alarm(client("cloudwatch", WEST), "unsupported", **settings)
    with pytest.raises(ClientError, match=why):
        client("route53", EAST).create_health_check(
            CallerReference=f"unsupported-{why}",
            HealthCheckConfig={
                "Type": "CLOUDWATCH_METRIC",
                "AlarmIdentifier": {"Region": WEST, "Name": "unsupported"},
            },
        )
    assert client("route53", EAST).list_health_checks()["HealthChecks"] == []  # nothing half made


@pytest.mark.parametrize("key", ["AWS_REGION", "AWS_DEFAULT_REGION", "_HANDLER", "AWS_SESSION_TOKEN"])
def test_lambda_refuses_a_reserved_environment_variable(client, key):
    """Lambda: "The keys for these environment variables are reserved and cannot be set in your
    function configuration." (configuration-envvars.html), at create and at update alike."""
    aws_lambda = _create_function(client, Environment={"Variables": {"GREETING": "hi"}})
    with pytest.raises(ClientError) as error:
        aws_lambda.update_function_configuration(
            FunctionName="fn", Environment={"Variables": {"GREETING": "hi", key: "x"}}
        )
    assert error.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.value.response["Error"]["Message"].endswith(f"Reserved keys used in this request: {key}")
    variables = aws_lambda.get_function_configuration(FunctionName="fn")["Environment"]["Variables"]
    assert variables == {"GREETING": "hi"}
    with pytest.raises(ClientError) as error:
        aws_lambda.create_function(
            FunctionName="other",
            Runtime="python3.12",
            Role=aws_lambda.get_function_configuration(FunctionName="fn")["Role"],
            Handler="handler.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
            Environment={"Variables": {key: "x"}},
        )
    assert error.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert [f["FunctionName"] for f in aws_lambda.list_functions()["Functions"]] == ["fn"]


def test_lambda_accepts_the_variables_it_documents_as_not_reserved(client):
    """Lambda: "The following additional environment variables aren't reserved and can be extended
    in your function configuration" (LANG, PATH, TZ ...)."""
    variables = {"LANG": "en_GB.UTF-8", "PATH": "/opt/bin:/usr/bin", "TZ": "Europe/Paris", "GREETING": "hi"}
    aws_lambda = _create_function(client, Environment={"Variables": variables})
    assert aws_lambda.get_function_configuration(FunctionName="fn")["Environment"]["Variables"] == variables


def test_update_gateway_response_patches_status_parameters_and_templates(client):
    """API Gateway: "UpdateGatewayResponse: Updates a GatewayResponse of a specified response type
    on the given RestApi." (moto has no such action: it answered 501)."""
    apigw = client("apigateway", EAST)
    api = apigw.create_rest_api(name="api")["id"]
    apigw.put_gateway_response(
        restApiId=api,
        responseType="DEFAULT_4XX",
        responseParameters={"gatewayresponse.header.x-old": "'old'"},
        responseTemplates={"application/json": '{"error": $context.error.messageString}'},
    )
    updated = apigw.update_gateway_response(
        restApiId=api,
        responseType="DEFAULT_4XX",
        patchOperations=[
            {"op": "replace", "path": "/statusCode", "value": "418"},
            {"op": "remove", "path": "/responseParameters/gatewayresponse.header.x-old"},
            {"op": "add", "path": "/responseParameters/gatewayresponse.header.x-new", "value": "'new'"},
            {"op": "replace", "path": "/responseTemplates/application~1json", "value": '{"e": 1}'},
        ],
    )
    expected = {
        "statusCode": "418",
        "responseParameters": {"gatewayresponse.header.x-new": "'new'"},
        "responseTemplates": {"application/json": '{"e": 1}'},
    }
    assert {key: updated[key] for key in expected} == expected
    stored = apigw.get_gateway_response(restApiId=api, responseType="DEFAULT_4XX")
    assert {key: stored[key] for key in expected} == expected
    # A type never put is updated from its default.
    apigw.update_gateway_response(
        restApiId=api,
        responseType="THROTTLED",
        patchOperations=[{"op": "replace", "path": "/statusCode", "value": "503"}],
    )
    assert apigw.get_gateway_response(restApiId=api, responseType="THROTTLED")["statusCode"] == "503"
    with pytest.raises(ClientError) as error:
        apigw.update_gateway_response(
            restApiId=api,
            responseType="THROTTLED",
            patchOperations=[{"op": "replace", "path": "/nonsense", "value": "x"}],
        )
    assert error.value.response["Error"]["Code"] == "BadRequestException"


def test_disable_execute_api_endpoint_reads_the_patch_value_as_a_boolean(client):
    """The documented switch is ``op=replace,path=/disableExecuteApiEndpoint,value='True'``
    (rest-api-disable-default-endpoint.html); "False" switches it back (moto read any string as true)."""
    apigw = client("apigateway", EAST)
    api = apigw.create_rest_api(name="api")["id"]
    for value, expected in (("True", True), ("False", False), ("true", True), ("false", False)):
        apigw.update_rest_api(
            restApiId=api,
            patchOperations=[{"op": "replace", "path": "/disableExecuteApiEndpoint", "value": value}],
        )
        assert apigw.get_rest_api(restApiId=api)["disableExecuteApiEndpoint"] is expected, value


def test_create_rest_api_keeps_its_binary_media_types(client):
    """CreateRestApi: "binaryMediaTypes: The list of binary media types supported by the RestApi"
    (moto dropped them)."""
    apigw = client("apigateway", EAST)
    created = apigw.create_rest_api(name="api", binaryMediaTypes=["image/png", "application/octet-stream"])
    assert created["binaryMediaTypes"] == ["image/png", "application/octet-stream"]
    stored = apigw.get_rest_api(restApiId=created["id"])
    assert stored["binaryMediaTypes"] == ["image/png", "application/octet-stream"]


def test_a_rest_apis_policy_is_answered_json_escaped_as_the_provider_reads_it(client):
    """patches/apigateway_policy_escaped.py: without it every terraform read of an API with a
    resource policy failed "invalid character 'S' after top-level value" (the provider wraps the
    answer in quotes and unquotes it, as real answers need)."""
    api = client("apigateway", "us-east-1").create_rest_api(name="escaped")
    policy = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "execute-api:Invoke",
                    "Resource": f"arn:aws:execute-api:us-east-1:123456789012:{api['id']}/v1/GET/health",
                    "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}},
                }
            ],
            "Version": "2012-10-17",
        },
        separators=(",", ":"),
    )
    updated = client("apigateway", "us-east-1").update_rest_api(
        restApiId=api["id"], patchOperations=[{"op": "replace", "path": "/policy", "value": policy}]
    )
    answered = client("apigateway", "us-east-1").get_rest_api(restApiId=api["id"])["policy"]
    assert updated["policy"] == answered
    assert answered.startswith('{\\"Statement\\":[{\\"Effect\\":\\"Deny\\"') and "192.0.2.0\\/24" in answered
    # what the provider does (flattenAPIPolicy): quote, normalise, unquote -> the policy as given
    assert json.loads(f'"{answered}"') == policy

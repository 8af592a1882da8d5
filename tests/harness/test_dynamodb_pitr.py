"""DynamoDB point-in-time recovery as AWS documents it (local_aws/patches/dynamodb_point_in_time.py
and dynamodb_restore.py), with boto3 against the in-process emulator.

moto restores the table as it is NOW whatever the time asked for; the first test fails on that.
The emulator runs at EMULATOR_TIME_SCALE=1000 here, so LatestRestorableDateTime trails the
clock by 0.3 s (AWS's 5 minutes) and a restore to a time just past needs no long wait.
"""

from __future__ import annotations

import datetime
import math
import time
import urllib.request
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local_aws.patches import dynamodb_restore
from local_aws.regions import OUTAGES
from tests.harness.conftest import boto, payments_table, wait_for

EAST, WEST = "us-east-1", "us-west-2"
TABLE = "payments"
SCALE = 1000.0
LAG = 300.0 / SCALE  # real seconds LatestRestorableDateTime trails the clock
INVALID_TIME = (
    "An invalid restore time was specified. RestoreDateTime must be between "
    "EarliestRestorableDateTime and LatestRestorableDateTime."
)


@pytest.fixture(autouse=True)
def fast_clock(endpoint, monkeypatch):
    monkeypatch.setenv("EMULATOR_TIME_SCALE", str(int(SCALE)))
    monkeypatch.setenv("EMULATOR_DDB_REPLICATION_LAG", "0")  # synchronous: the lag is test_replication_lag's
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))


@pytest.fixture
def ddb(endpoint):
    return {region: boto("dynamodb", region, endpoint) for region in (EAST, WEST)}


@pytest.fixture
def keys(endpoint):
    return {r: boto("kms", r, endpoint).create_key()["KeyMetadata"]["Arn"] for r in (EAST, WEST)}


def _item(payment_id: str, amount: str) -> dict[str, Any]:
    return {"payment_id": {"S": payment_id}, "amount": {"N": amount}}


def _enable(client, table: str = TABLE, **spec: Any) -> dict[str, Any]:
    return client.update_continuous_backups(
        TableName=table,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, **spec},
    )["ContinuousBackupsDescription"]


def _pitr(client, table: str = TABLE) -> dict[str, Any]:
    return client.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"
    ]


def _next_second() -> None:
    """Sleep into the next whole second: writes before and after it fall in different seconds."""
    time.sleep(math.floor(time.time()) + 1.01 - time.time())


def _restorable(client, when: float, table: str = TABLE) -> None:
    wait_for(
        f"LatestRestorableDateTime to reach {when}",
        lambda: _pitr(client, table)["LatestRestorableDateTime"].timestamp() >= when,
    )


def _at(when: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(when, datetime.UTC)


def _active(client, table: str) -> dict[str, Any]:
    return wait_for(
        f"{table} ACTIVE",
        lambda: (d := client.describe_table(TableName=table)["Table"])["TableStatus"] == "ACTIVE" and d,
    )


def _items(client, table: str) -> dict[str, dict[str, Any]]:
    return {i["payment_id"]["S"]: i for i in client.scan(TableName=table)["Items"]}


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


@pytest.fixture
def table(ddb):
    ddb[EAST].create_table(**payments_table(TABLE))
    return ddb[EAST]


def test_a_restore_returns_the_items_as_they_were_not_as_they_are(table):
    """Write, overwrite and delete after T: the restore to T has the old values (moto copies
    the table as it is now: amount 99, c present, b gone)."""
    _enable(table)
    _next_second()
    table.put_item(TableName=TABLE, Item=_item("a", "10"))
    table.put_item(TableName=TABLE, Item=_item("b", "20"))
    good = time.time()
    _next_second()
    table.put_item(TableName=TABLE, Item=_item("a", "99"))
    table.delete_item(TableName=TABLE, Key={"payment_id": {"S": "b"}})
    table.put_item(TableName=TABLE, Item=_item("c", "30"))
    _restorable(table, good)

    table.restore_table_to_point_in_time(
        SourceTableName=TABLE, TargetTableName="payments-at-t", RestoreDateTime=_at(good)
    )
    _active(table, "payments-at-t")

    restored = _items(table, "payments-at-t")
    assert sorted(restored) == ["a", "b"]
    assert restored["a"]["amount"] == {"N": "10"}
    assert restored["b"]["amount"] == {"N": "20"}
    assert sorted(_items(table, TABLE)) == ["a", "c"]  # the source is untouched


def test_every_kind_of_write_is_history_and_a_cancelled_transaction_is_not(table):
    _enable(table)
    _next_second()
    table.batch_write_item(
        RequestItems={TABLE: [{"PutRequest": {"Item": _item(p, "1")}} for p in ("a", "b", "c", "d")]}
    )
    table.update_item(
        TableName=TABLE,
        Key={"payment_id": {"S": "a"}},
        UpdateExpression="SET amount = :v",
        ExpressionAttributeValues={":v": {"N": "2"}},
    )
    table.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": _item("e", "5")}},
            {"Delete": {"TableName": TABLE, "Key": {"payment_id": {"S": "b"}}}},
        ]
    )
    table.execute_statement(Statement="DELETE FROM \"payments\" WHERE payment_id = 'c'")
    with pytest.raises(ClientError):  # cancelled: the put of y never happened
        table.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": _item("y", "9")}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"payment_id": {"S": "d"}},
                        "ConditionExpression": "amount = :no",
                        "ExpressionAttributeValues": {":no": {"N": "404"}},
                    }
                },
            ]
        )
    good = time.time()
    _next_second()
    table.batch_write_item(RequestItems={TABLE: [{"DeleteRequest": {"Key": {"payment_id": {"S": "a"}}}}]})
    _restorable(table, good)

    table.restore_table_to_point_in_time(
        SourceTableName=TABLE, TargetTableName="restored", RestoreDateTime=_at(good)
    )
    _active(table, "restored")

    restored = _items(table, "restored")
    assert sorted(restored) == ["a", "d", "e"]
    assert restored["a"]["amount"] == {"N": "2"}


def test_describe_continuous_backups_reports_the_window_and_the_period(table):
    before = time.time()
    enabled = _enable(table, RecoveryPeriodInDays=7)["PointInTimeRecoveryDescription"]
    after = time.time()

    assert enabled["PointInTimeRecoveryStatus"] == "ENABLED"
    assert enabled["RecoveryPeriodInDays"] == 7
    earliest = enabled["EarliestRestorableDateTime"].timestamp()
    assert before - 0.01 <= earliest <= after + 0.01
    assert earliest <= enabled["LatestRestorableDateTime"].timestamp() <= after + 0.01

    wait_for("the lag to pass", lambda: time.time() > after + 2 * LAG)
    start = time.time()
    pitr = _pitr(table)
    end = time.time()
    assert pitr["EarliestRestorableDateTime"].timestamp() == pytest.approx(earliest, abs=0.01)
    assert start - LAG - 0.01 <= pitr["LatestRestorableDateTime"].timestamp() <= end - LAG + 0.01
    assert pitr["RecoveryPeriodInDays"] == 7


def test_a_recovery_period_outside_1_to_35_days_is_refused(table, endpoint):
    unchecked = boto("dynamodb", EAST, endpoint, Config(parameter_validation=False))
    for days in (0, 36):
        with pytest.raises(ClientError) as err:
            _enable(unchecked, RecoveryPeriodInDays=days)
        code, message = _error(err)
        assert code == "ValidationException"
        assert "recoveryPeriodInDays" in message
    assert _pitr(table)["PointInTimeRecoveryStatus"] == "DISABLED"
    assert _enable(table)["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 35


def test_a_time_outside_the_window_is_refused_as_aws_words_it(table):
    _enable(table)
    earliest = _pitr(table)["EarliestRestorableDateTime"].timestamp()
    for when in (earliest - 5, time.time() + 60):
        with pytest.raises(ClientError) as err:
            table.restore_table_to_point_in_time(
                SourceTableName=TABLE, TargetTableName="never", RestoreDateTime=_at(when)
            )
        assert _error(err) == ("InvalidRestoreTimeException", INVALID_TIME)
    assert "never" not in table.list_tables()["TableNames"]


def test_disabling_pitr_and_enabling_it_again_resets_the_start(table):
    _enable(table)
    _next_second()
    table.put_item(TableName=TABLE, Item=_item("a", "1"))
    old = time.time()
    table.update_continuous_backups(
        TableName=TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}
    )
    assert _pitr(table) == {"PointInTimeRecoveryStatus": "DISABLED"}
    _next_second()
    restarted = _enable(table)["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"]

    assert restarted.timestamp() > old
    with pytest.raises(ClientError) as err:
        table.restore_table_to_point_in_time(
            SourceTableName=TABLE, TargetTableName="old", RestoreDateTime=_at(old)
        )
    assert _error(err)[0] == "InvalidRestoreTimeException"


def test_a_source_without_pitr_or_a_bad_request_is_refused(table):
    with pytest.raises(ClientError) as err:
        table.restore_table_to_point_in_time(
            SourceTableName=TABLE, TargetTableName="xyz", UseLatestRestorableTime=True
        )
    assert _error(err) == (
        "PointInTimeRecoveryUnavailableException",
        "Point in time recovery has not yet been enabled for this source table.",
    )
    _enable(table)
    for when in ({}, {"UseLatestRestorableTime": True, "RestoreDateTime": _at(time.time())}):
        with pytest.raises(ClientError) as err:
            table.restore_table_to_point_in_time(SourceTableName=TABLE, TargetTableName="xyz", **when)
        assert _error(err)[0] == "ValidationException"
    with pytest.raises(ClientError) as err:
        table.restore_table_to_point_in_time(
            SourceTableName="missing", TargetTableName="xyz", UseLatestRestorableTime=True
        )
    assert _error(err)[0] == "TableNotFoundException"


def test_a_target_that_exists_is_refused(table):
    _enable(table)
    with pytest.raises(ClientError) as err:
        table.restore_table_to_point_in_time(
            SourceTableName=TABLE, TargetTableName=TABLE, UseLatestRestorableTime=True
        )
    assert _error(err)[0] == "TableAlreadyExistsException"


def test_the_restored_table_is_creating_then_active_and_unreadable_until_then(table, monkeypatch):
    _enable(table)
    monkeypatch.setattr(dynamodb_restore, "RESTORE_SECONDS", 3600.0)
    created = table.restore_table_to_point_in_time(
        SourceTableName=TABLE, TargetTableName="restoring", UseLatestRestorableTime=True
    )["TableDescription"]

    assert created["TableStatus"] == "CREATING"
    assert created["RestoreSummary"]["RestoreInProgress"] is True
    assert (
        created["RestoreSummary"]["SourceTableArn"]
        == table.describe_table(TableName=TABLE)["Table"]["TableArn"]
    )
    assert table.describe_table(TableName="restoring")["Table"]["TableStatus"] == "CREATING"
    for call in (
        lambda: table.get_item(TableName="restoring", Key={"payment_id": {"S": "a"}}),
        lambda: table.put_item(TableName="restoring", Item=_item("a", "1")),
        lambda: table.scan(TableName="restoring"),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert _error(err)[0] == "ResourceNotFoundException"

    monkeypatch.setattr(dynamodb_restore, "now", lambda: time.time() + 3601.0)
    described = table.describe_table(TableName="restoring")["Table"]
    assert described["TableStatus"] == "ACTIVE"
    assert described["RestoreSummary"]["RestoreInProgress"] is False
    assert table.scan(TableName="restoring")["Items"] == []


def test_the_restored_table_has_the_schema_and_none_of_what_is_set_up_manually(ddb, keys):
    east = ddb[EAST]
    east.create_table(
        **payments_table(
            TABLE,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": keys[EAST]},
            Tags=[{"Key": "Project", "Value": "payments"}],
        )
    )
    east.update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
    _enable(east)
    east.restore_table_to_point_in_time(
        SourceTableName=TABLE, TargetTableName="restored", UseLatestRestorableTime=True
    )
    source, restored = east.describe_table(TableName=TABLE)["Table"], _active(east, "restored")

    assert restored["KeySchema"] == source["KeySchema"]
    assert sorted(map(str, restored["AttributeDefinitions"])) == sorted(
        map(str, source["AttributeDefinitions"])
    )
    assert [
        (g["IndexName"], g["KeySchema"], g["Projection"]) for g in restored["GlobalSecondaryIndexes"]
    ] == [(g["IndexName"], g["KeySchema"], g["Projection"]) for g in source["GlobalSecondaryIndexes"]]
    assert restored["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert restored["SSEDescription"]["KMSMasterKeyArn"] == keys[EAST]
    assert "StreamSpecification" not in restored
    assert "LatestStreamArn" not in restored
    assert restored["DeletionProtectionEnabled"] is False
    assert east.list_tags_of_resource(ResourceArn=restored["TableArn"])["Tags"] == []
    ttl = east.describe_time_to_live(TableName="restored")["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "DISABLED"
    assert _pitr(east, "restored")["PointInTimeRecoveryStatus"] == "DISABLED"


def test_overrides_set_billing_indexes_and_encryption(table, keys):
    _enable(table)
    table.restore_table_to_point_in_time(
        SourceTableName=TABLE,
        TargetTableName="lean",
        UseLatestRestorableTime=True,
        BillingModeOverride="PROVISIONED",
        ProvisionedThroughputOverride={"ReadCapacityUnits": 5, "WriteCapacityUnits": 6},
        GlobalSecondaryIndexOverride=[],
        SSESpecificationOverride={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": keys[EAST]},
    )
    lean = _active(table, "lean")
    assert lean["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert lean["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert lean["ProvisionedThroughput"]["WriteCapacityUnits"] == 6
    assert lean.get("GlobalSecondaryIndexes", []) == []
    assert lean["SSEDescription"]["KMSMasterKeyArn"] == keys[EAST]

    index = table.describe_table(TableName=TABLE)["Table"]["GlobalSecondaryIndexes"][0]
    wrong = {
        "IndexName": index["IndexName"],
        "KeySchema": index["KeySchema"][:1],
        "Projection": index["Projection"],
    }
    for gsis in ([{**wrong, "IndexName": "no-such-index"}], [wrong]):
        with pytest.raises(ClientError) as err:
            table.restore_table_to_point_in_time(
                SourceTableName=TABLE,
                TargetTableName="bad",
                UseLatestRestorableTime=True,
                GlobalSecondaryIndexOverride=gsis,
            )
        assert _error(err)[0] == "ValidationException"


def test_a_cross_region_restore_takes_the_arn_and_an_encryption_override(ddb, keys):
    east, west = ddb[EAST], ddb[WEST]
    east.create_table(**payments_table(TABLE))
    source_arn = east.describe_table(TableName=TABLE)["Table"]["TableArn"]
    _enable(east)
    _next_second()
    east.put_item(TableName=TABLE, Item=_item("a", "10"))
    good = time.time()
    _next_second()
    east.put_item(TableName=TABLE, Item=_item("a", "99"))
    _restorable(east, good)

    for sse in (None, {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": keys[EAST]}):
        with pytest.raises(ClientError) as err:  # no override; a key of the source's region
            west.restore_table_to_point_in_time(
                SourceTableArn=source_arn,
                TargetTableName="payments-west",
                RestoreDateTime=_at(good),
                **({"SSESpecificationOverride": sse} if sse else {}),
            )
        assert _error(err)[0] == "ValidationException"
    override = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": keys[WEST]}
    OUTAGES.set(EAST, True)
    try:
        with pytest.raises(ClientError) as err:
            west.restore_table_to_point_in_time(
                SourceTableArn=source_arn,
                TargetTableName="payments-west",
                RestoreDateTime=_at(good),
                SSESpecificationOverride=override,
            )
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    finally:
        OUTAGES.set(EAST, False)

    created = west.restore_table_to_point_in_time(
        SourceTableArn=source_arn,
        TargetTableName="payments-west",
        RestoreDateTime=_at(good),
        SSESpecificationOverride=override,
    )["TableDescription"]
    assert created["TableArn"].startswith(f"arn:aws:dynamodb:{WEST}:")
    assert created["RestoreSummary"]["SourceTableArn"] == source_arn
    restored = _active(west, "payments-west")
    assert restored["SSEDescription"]["KMSMasterKeyArn"] == keys[WEST]
    assert _items(west, "payments-west")["a"]["amount"] == {"N": "10"}
    assert "payments-west" not in east.list_tables()["TableNames"]


def test_replicated_writes_are_the_replica_regions_own_history(ddb, keys):
    east, west = ddb[EAST], ddb[WEST]
    east.create_table(
        **payments_table(
            TABLE,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": keys[EAST]},
        )
    )
    east.update_table(
        TableName=TABLE, ReplicaUpdates=[{"Create": {"RegionName": WEST, "KMSMasterKeyId": keys[WEST]}}]
    )
    _enable(west)  # PITR is per replica: only the west replica keeps a history
    _next_second()
    east.put_item(TableName=TABLE, Item=_item("a", "10"))  # written in east, replicated to west
    good = time.time()
    _next_second()
    east.put_item(TableName=TABLE, Item=_item("a", "99"))
    east.put_item(TableName=TABLE, Item=_item("b", "1"))
    _restorable(west, good)

    west.restore_table_to_point_in_time(
        SourceTableName=TABLE, TargetTableName="payments-west-at-t", RestoreDateTime=_at(good)
    )
    _active(west, "payments-west-at-t")

    assert {k: v["amount"] for k, v in _items(west, "payments-west-at-t").items()} == {"a": {"N": "10"}}
    assert _pitr(east)["PointInTimeRecoveryStatus"] == "DISABLED"

"""Asynchronous replication in the emulator: DynamoDB global tables with a lag, held back by a
region's outage, last writer wins; S3 replication held back by an outage.

Starts the patched moto server in-process (as test_patches.py does) and talks to it with boto3.
Waits are bounded polls; the only timing assumption is that a request takes far less than the
1 s lag that the "not there yet" checks rely on.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from botocore.exceptions import ClientError

from local_aws.dataplane import dynamodb_global_tables, s3_object_replication
from local_aws.dataplane.dynamodb_replication import replication_lag
from local_aws.regions import OUTAGES
from tests.harness.conftest import boto, payments_table, wait_for

EAST, WEST = "us-east-1", "us-west-2"
TABLE = "payments"
INDEX = "customer_id-created_at-index"
LAG = "EMULATOR_DDB_REPLICATION_LAG"
TIMEOUT = 15.0  # seconds: the bound of every wait for replication

T = TypeVar("T")


def _eventually(probe: Callable[[], T], what: str, timeout: float = TIMEOUT) -> T:
    return wait_for(what, probe, timeout)


def _reset(endpoint: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))


@pytest.fixture(autouse=True)
def fresh(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A reset emulator, AWS's pace (no EMULATOR_TIME_SCALE), a 1 s lag, every region up."""
    monkeypatch.delenv("EMULATOR_TIME_SCALE", raising=False)
    monkeypatch.setenv(LAG, "1")
    _reset(endpoint)
    try:
        yield
    finally:
        for region in OUTAGES.down():
            OUTAGES.set(region, False)


@pytest.fixture
def ddb(endpoint: str) -> dict[str, Any]:
    return {region: boto("dynamodb", region, endpoint) for region in (EAST, WEST)}


def _create_table(ddb: dict[str, Any]) -> None:
    ddb[EAST].create_table(**payments_table(TABLE))


def _add_replica(ddb: dict[str, Any]) -> None:
    ddb[EAST].update_table(TableName=TABLE, ReplicaUpdates=[{"Create": {"RegionName": WEST}}])


@pytest.fixture
def global_table(ddb: dict[str, Any]) -> dict[str, Any]:
    _create_table(ddb)
    _add_replica(ddb)
    return ddb


def _payment(payment_id: str, **attributes: str) -> dict[str, dict[str, str]]:
    item = {"payment_id": payment_id, "customer_id": "c-1", "created_at": "2024", **attributes}
    return {name: {"S": value} for name, value in item.items()}


def _get(ddb: dict[str, Any], region: str, payment_id: str) -> dict | None:
    return ddb[region].get_item(TableName=TABLE, Key={"payment_id": {"S": payment_id}}).get("Item")


def _ids(ddb: dict[str, Any], region: str) -> list[str]:
    return sorted(i["payment_id"]["S"] for i in ddb[region].scan(TableName=TABLE)["Items"])


def _by_customer(ddb: dict[str, Any], region: str) -> list[str]:
    items = ddb[region].query(
        TableName=TABLE,
        IndexName=INDEX,
        KeyConditionExpression="customer_id = :c",
        ExpressionAttributeValues={":c": {"S": "c-1"}},
    )["Items"]
    return sorted(i["payment_id"]["S"] for i in items)


def test_the_lag_is_in_aws_seconds_divided_by_the_time_scale():
    assert replication_lag({}) == 1.0  # AWS: usually within a second
    assert replication_lag({LAG: "2", "EMULATOR_TIME_SCALE": "4"}) == 0.5
    assert replication_lag({LAG: "0"}) == 0
    for wrong in ("-1", "soon", "nan"):
        with pytest.raises(ValueError, match=LAG):
            replication_lag({LAG: wrong})


def test_a_write_reaches_the_other_region_after_the_lag_gsi_included(global_table):
    ddb = global_table
    ddb[EAST].put_item(TableName=TABLE, Item=_payment("p-1"))

    assert _get(ddb, EAST, "p-1") == _payment("p-1")
    assert _get(ddb, WEST, "p-1") is None  # not yet: the lag is 1 s
    assert dynamodb_global_tables.pending() == {WEST: 1}

    assert _eventually(lambda: _get(ddb, WEST, "p-1"), "p-1 in us-west-2") == _payment("p-1")
    assert _by_customer(ddb, WEST) == ["p-1"]
    assert dynamodb_global_tables.pending() == {}


def test_every_kind_of_write_replicates_in_the_order_it_was_made(global_table, monkeypatch):
    monkeypatch.setenv(LAG, "0.2")
    ddb = global_table
    east = ddb[EAST]
    east.put_item(TableName=TABLE, Item=_payment("p-1", status="new"))
    east.update_item(
        TableName=TABLE,
        Key={"payment_id": {"S": "p-1"}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "settled"}},
    )
    east.batch_write_item(
        RequestItems={TABLE: [{"PutRequest": {"Item": _payment(p)}} for p in ("p-2", "p-3", "p-4")]}
    )
    east.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": _payment("p-5")}},
            {"Delete": {"TableName": TABLE, "Key": {"payment_id": {"S": "p-3"}}}},
        ]
    )
    east.delete_item(TableName=TABLE, Key={"payment_id": {"S": "p-2"}})
    east.put_item(TableName=TABLE, Item=_payment("p-2", status="again"))
    partiql = "INSERT INTO payments VALUE {'payment_id': 'p-6', 'customer_id': 'c-1', 'created_at': '2'}"
    east.execute_statement(Statement=partiql)

    expected = ["p-1", "p-2", "p-4", "p-5", "p-6"]
    assert _ids(ddb, EAST) == expected
    _eventually(lambda: _ids(ddb, WEST) == expected, "the writes in us-west-2")
    _eventually(lambda: not dynamodb_global_tables.pending(), "nothing pending")
    assert _get(ddb, WEST, "p-1")["status"] == {"S": "settled"}
    assert _get(ddb, WEST, "p-2")["status"] == {"S": "again"}
    assert _by_customer(ddb, WEST) == expected


def test_a_cancelled_transaction_replicates_nothing(global_table):
    ddb = global_table
    with pytest.raises(ClientError) as err:
        ddb[EAST].transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": _payment("p-1")}},
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": _payment("p-2"),
                        "ConditionExpression": "attribute_exists(payment_id)",
                    }
                },
            ]
        )
    assert err.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert dynamodb_global_tables.pending() == {}
    assert _ids(ddb, EAST) == _ids(ddb, WEST) == []


def test_a_transactions_items_replicate_one_by_one(global_table):
    """ "Transactional writes are not replicated as a unit across Regions, meaning only some of
    the writes in a transaction may be returned by read operations in other replicas at a given
    point in time." (V2globaltables_HowItWorks): each item is its own record, so a reader of the
    replica can be served between them."""
    ddb = global_table
    OUTAGES.set(WEST, True)
    ddb[EAST].transact_write_items(
        TransactItems=[{"Put": {"TableName": TABLE, "Item": _payment(f"p-{n}")}} for n in (1, 2)]
    )
    assert dynamodb_global_tables.flush() == 2
    assert dynamodb_global_tables.pending() == {WEST: 2}  # two records, not one for the call
    OUTAGES.set(WEST, False)
    _eventually(lambda: _ids(ddb, WEST) == ["p-1", "p-2"], "both items in us-west-2")


def test_writes_made_before_the_primarys_outage_wait_for_it_to_return(global_table):
    ddb = global_table
    ddb[EAST].put_item(TableName=TABLE, Item=_payment("p-1"))
    OUTAGES.set(EAST, True)

    assert dynamodb_global_tables.flush() == 1  # the lag no longer matters; the outage does
    assert dynamodb_global_tables.pending() == {WEST: 1}
    assert _get(ddb, WEST, "p-1") is None

    OUTAGES.set(EAST, False)
    _eventually(lambda: _get(ddb, WEST, "p-1"), "p-1 in us-west-2 after the restore")
    assert dynamodb_global_tables.pending() == {}


def test_writes_in_the_secondary_during_the_outage_replicate_back_in_order(global_table):
    ddb = global_table
    OUTAGES.set(EAST, True)
    for n in range(1, 4):
        ddb[WEST].put_item(TableName=TABLE, Item=_payment("p-1", attempt=str(n)))
    ddb[WEST].put_item(TableName=TABLE, Item=_payment("p-2"))

    assert dynamodb_global_tables.flush() == 4
    assert dynamodb_global_tables.pending() == {EAST: 4}
    assert _ids(ddb, EAST) == []

    OUTAGES.set(EAST, False)
    _eventually(lambda: _ids(ddb, EAST) == ["p-1", "p-2"], "the secondary's writes in us-east-1")
    assert _get(ddb, EAST, "p-1")["attempt"] == {"S": "3"}
    assert _by_customer(ddb, EAST) == ["p-1", "p-2"]


def test_conflicting_writes_converge_on_the_later_one_in_both_regions(global_table, monkeypatch):
    ddb = global_table
    monkeypatch.setenv(LAG, "0")
    ddb[EAST].put_item(TableName=TABLE, Item=_payment("p-2"))  # in both regions at once
    monkeypatch.setenv(LAG, "1")
    ddb[EAST].put_item(TableName=TABLE, Item=_payment("p-1", status="from-east"))
    ddb[WEST].put_item(TableName=TABLE, Item=_payment("p-1", status="from-west"))  # later
    ddb[WEST].put_item(TableName=TABLE, Item=_payment("p-2", status="from-west"))
    ddb[EAST].delete_item(TableName=TABLE, Key={"payment_id": {"S": "p-2"}})  # later: no item

    for region in (EAST, WEST):
        _eventually(
            lambda region=region: (_get(ddb, region, "p-1") or {}).get("status") == {"S": "from-west"},
            f"the later write of p-1 in {region}",
        )
    _eventually(lambda: not dynamodb_global_tables.pending(), "nothing pending")
    for region in (EAST, WEST):
        assert _get(ddb, region, "p-1")["status"] == {"S": "from-west"}
        assert _get(ddb, region, "p-2") is None


def test_a_conflict_across_an_outage_keeps_the_later_write(global_table):
    """us-east-1 wrote before it went out; us-west-2 took over and wrote the same item later:
    after the restore both hold the secondary's write."""
    ddb = global_table
    ddb[EAST].put_item(TableName=TABLE, Item=_payment("p-1", status="primary"))
    OUTAGES.set(EAST, True)
    ddb[WEST].put_item(TableName=TABLE, Item=_payment("p-1", status="secondary"))
    OUTAGES.set(EAST, False)

    assert dynamodb_global_tables.flush() == 0
    for region in (EAST, WEST):
        assert _get(ddb, region, "p-1")["status"] == {"S": "secondary"}


def test_a_lag_of_zero_replicates_before_the_write_returns(global_table, monkeypatch):
    monkeypatch.setenv(LAG, "0")
    ddb = global_table
    ddb[EAST].put_item(TableName=TABLE, Item=_payment("p-1"))
    assert _get(ddb, WEST, "p-1") == _payment("p-1")
    ddb[WEST].delete_item(TableName=TABLE, Key={"payment_id": {"S": "p-1"}})
    assert _get(ddb, EAST, "p-1") is None
    assert dynamodb_global_tables.pending() == {}


def test_a_new_replica_starts_with_the_items_of_its_source(ddb):
    _create_table(ddb)
    ddb[EAST].put_item(TableName=TABLE, Item=_payment("p-1"))
    _add_replica(ddb)
    assert _get(ddb, WEST, "p-1") == _payment("p-1")
    assert _by_customer(ddb, WEST) == ["p-1"]


def test_a_moto_reset_drops_pending_replication(global_table, endpoint):
    ddb = global_table
    OUTAGES.set(WEST, True)
    ddb[EAST].put_item(TableName=TABLE, Item=_payment("p-1"))
    assert dynamodb_global_tables.pending() == {WEST: 1}

    _reset(endpoint)
    assert dynamodb_global_tables.pending() == {}
    OUTAGES.set(WEST, False)
    assert dynamodb_global_tables.flush() == 0
    assert ddb[WEST].list_tables()["TableNames"] == []


def _replicated_buckets(endpoint: str) -> tuple[Any, Any]:
    """A versioned source (us-east-1) replicating receipts/ (and delete markers) to us-west-2."""
    east, west = boto("s3", EAST, endpoint), boto("s3", WEST, endpoint)
    east.create_bucket(Bucket="source")
    west.create_bucket(Bucket="destination", CreateBucketConfiguration={"LocationConstraint": WEST})
    for s3, bucket in ((east, "source"), (west, "destination")):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    east.put_bucket_replication(
        Bucket="source",
        ReplicationConfiguration={
            "Role": "arn:aws:iam::123456789012:role/replication",
            "Rules": [
                {
                    "ID": "receipts",
                    "Status": "Enabled",
                    "Priority": 1,
                    "Filter": {"Prefix": "receipts/"},
                    "DeleteMarkerReplication": {"Status": "Enabled"},
                    "Destination": {"Bucket": "arn:aws:s3:::destination"},
                }
            ],
        },
    )
    return east, west


def _replica(west: Any, key: str) -> dict | None:
    try:
        return west.head_object(Bucket="destination", Key=key)
    except ClientError:
        return None


def test_s3_objects_wait_pending_while_the_destination_is_out(endpoint):
    east, west = _replicated_buckets(endpoint)
    east.put_object(Bucket="source", Key="receipts/p-0.json", Body=b"0")
    assert east.head_object(Bucket="source", Key="receipts/p-0.json")["ReplicationStatus"] == "COMPLETED"

    OUTAGES.set(WEST, True)
    east.put_object(Bucket="source", Key="receipts/p-1.json", Body=b"1")
    east.put_object(Bucket="source", Key="receipts/p-2.json", Body=b"2")
    east.delete_object(Bucket="source", Key="receipts/p-2.json")  # a delete marker, after the put
    assert east.head_object(Bucket="source", Key="receipts/p-1.json")["ReplicationStatus"] == "PENDING"
    assert s3_object_replication.pending() == {WEST: 3}
    assert _replica(west, "receipts/p-1.json") is None

    OUTAGES.set(WEST, False)
    replica = _eventually(lambda: _replica(west, "receipts/p-1.json"), "the replica of p-1")
    assert replica["ReplicationStatus"] == "REPLICA"
    assert west.get_object(Bucket="destination", Key="receipts/p-1.json")["Body"].read() == b"1"
    assert east.head_object(Bucket="source", Key="receipts/p-1.json")["ReplicationStatus"] == "COMPLETED"
    _eventually(lambda: not s3_object_replication.pending(), "nothing pending")
    assert _replica(west, "receipts/p-2.json") is None  # put, then the delete marker: in order
    versions = west.list_object_versions(Bucket="destination", Prefix="receipts/p-2.json")
    assert len(versions["Versions"]) == 1 and len(versions["DeleteMarkers"]) == 1


def test_s3_objects_written_while_the_source_is_out_replicate_after(endpoint):
    east, west = _replicated_buckets(endpoint)
    OUTAGES.set(EAST, True)
    east.put_object(Bucket="source", Key="receipts/p-1.json", Body=b"1")
    assert east.head_object(Bucket="source", Key="receipts/p-1.json")["ReplicationStatus"] == "PENDING"
    assert _replica(west, "receipts/p-1.json") is None

    OUTAGES.set(EAST, False)
    _eventually(lambda: _replica(west, "receipts/p-1.json"), "the replica of p-1")
    assert east.head_object(Bucket="source", Key="receipts/p-1.json")["ReplicationStatus"] == "COMPLETED"


def test_a_moto_reset_drops_pending_s3_replication(endpoint):
    east, _ = _replicated_buckets(endpoint)
    OUTAGES.set(WEST, True)
    east.put_object(Bucket="source", Key="receipts/p-1.json", Body=b"1")
    assert s3_object_replication.pending() == {WEST: 1}
    _reset(endpoint)
    assert s3_object_replication.pending() == {}

"""DynamoDB global tables (version 2019.11.21) and S3 replication, as a client sees them, written
from AWS's documentation alone (every test quotes the sentence it is derived from).

The emulator is a black box (``tests/harness/local_cloud.py``): boto3 against its endpoint plus
its documented outage switch (a region switched out answers 503 to every call signed for it).
Its documented differences from AWS: time runs ``LOCAL_CLOUD_TIME_SCALE`` times faster, DynamoDB
replication lag included. Waits are polled against generous deadlines; nothing asserts timings.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

LOCAL_CLOUD_TIME_SCALE = 60

EAST = "us-east-1"
WEST = "us-west-2"
THIRD = "eu-west-1"


WAIT = 20.0  # real seconds: the deadline of any wait for something that must happen
QUIET = 1.5  # real seconds: how long something that must not happen is watched for


# -- waiting ------------------------------------------------------------------------------------


def wait_for(what: str, probe: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = WAIT) -> Any:
    """Poll ``probe`` until ``ok(observed)``; fail with the last observation at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        observed = probe()
        if ok(observed):
            return observed
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}; last observed: {observed!r}")
        time.sleep(0.1)


def holds(what: str, probe: Callable[[], Any], ok: Callable[[Any], bool], seconds: float = QUIET) -> None:
    """``ok(probe())`` stays true for ``seconds`` (polled)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        observed = probe()
        assert ok(observed), f"{what} stopped holding; observed: {observed!r}"
        time.sleep(0.1)


def error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


# -- DynamoDB -------------------------------------------------------------------------------------


def describe(cloud: Any, region: str, table: str) -> dict[str, Any] | None:
    try:
        return cloud.client("dynamodb", region).describe_table(TableName=table)["Table"]
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise


def replica_status(description: dict[str, Any] | None, region: str) -> str | None:
    for replica in (description or {}).get("Replicas", []):
        if replica.get("RegionName") == region:
            return replica.get("ReplicaStatus")
    return None


def create_table(cloud: Any, table: str) -> None:
    """A PAY_PER_REQUEST table with streams NEW_AND_OLD_IMAGES in us-east-1, ACTIVE."""
    cloud.client("dynamodb", EAST).create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    wait_for(
        f"{table} ACTIVE", lambda: describe(cloud, EAST, table), lambda d: d and d["TableStatus"] == "ACTIVE"
    )


def add_replica(cloud: Any, table: str, region: str) -> None:
    """UpdateTable ReplicaUpdates Create, then wait until the replica is ACTIVE on both sides."""
    cloud.client("dynamodb", EAST).update_table(
        TableName=table, ReplicaUpdates=[{"Create": {"RegionName": region}}]
    )
    wait_for(
        f"replica {region} of {table} ACTIVE",
        lambda: (replica_status(describe(cloud, EAST, table), region), describe(cloud, region, table)),
        lambda seen: seen[0] == "ACTIVE" and seen[1] is not None and seen[1]["TableStatus"] == "ACTIVE",
        timeout=60,
    )


def get_item(cloud: Any, region: str, table: str, pk: str) -> dict[str, Any] | None:
    return cloud.client("dynamodb", region).get_item(TableName=table, Key={"pk": {"S": pk}}).get("Item")


def put_item(cloud: Any, region: str, table: str, pk: str, **attributes: str) -> dict[str, Any]:
    item = {"pk": {"S": pk}, **{name: {"S": value} for name, value in attributes.items()}}
    cloud.client("dynamodb", region).put_item(TableName=table, Item=item)
    return item


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def global_table(local_cloud: Any) -> str:
    """A version 2019.11.21 global table: us-east-1 with a us-west-2 replica added by UpdateTable.
    One item (``before-replica``) is written before the replica is added."""
    table = "docs-global"
    create_table(local_cloud, table)
    put_item(local_cloud, EAST, table, "before-replica", note="written before the replica existed")
    add_replica(local_cloud, table, WEST)
    return table


@pytest.fixture
def region_restored(local_cloud: Any) -> Iterator[None]:
    """Whatever a test switches out comes back, even when the test fails."""
    yield
    for region in local_cloud.status()["regions_out"]:
        local_cloud.outage(region, down=False)


# -- DynamoDB: replicas and their description ---------------------------------------------------


def test_describe_table_shows_version_and_replicas(local_cloud: Any, global_table: str) -> None:
    """ "To determine if a table is a global tables version 2019.11.21 (Current) replica, invoke the
    describe-table command for the table. If the output contains the GlobalTableVersion attribute
    with a value of "2019.11.21", the table is a version 2019.11.21 (Current) global table
    replica." (its example output lists "Replicas": [{"RegionName": "us-west-2", "ReplicaStatus":
    "ACTIVE"}]) — https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/globaltables.DetermineVersion.html

    Both tables are replicas of one global table, so each describes itself as 2019.11.21 and names
    the other Region among its replicas."""
    east = describe(local_cloud, EAST, global_table)
    west = describe(local_cloud, WEST, global_table)
    assert east is not None and west is not None
    assert east.get("GlobalTableVersion") == "2019.11.21", east
    assert west.get("GlobalTableVersion") == "2019.11.21", west
    assert replica_status(east, WEST) == "ACTIVE", east.get("Replicas")
    assert replica_status(west, EAST) == "ACTIVE", west.get("Replicas")


def test_item_written_before_the_replica_is_in_the_new_replica(local_cloud: Any, global_table: str) -> None:
    """ "All replicas in a global table share the same table name, primary key schema, and item
    data." and "You create a MREC global table by adding a replica to an existing DynamoDB
    table." — https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html"""
    item = wait_for(
        "the pre-existing item in the new us-west-2 replica",
        lambda: get_item(local_cloud, WEST, global_table, "before-replica"),
        lambda got: got is not None,
    )
    assert item == {"pk": {"S": "before-replica"}, "note": {"S": "written before the replica existed"}}


def test_item_written_in_east_is_read_in_west(local_cloud: Any, global_table: str) -> None:
    """ "When an application writes data to a replica in one Region, DynamoDB automatically
    replicates the write to all other replicas in the global table." and "Item changes in an MREC
    global table replica are asynchronously replicated to all other replicas, typically within a
    second or less." — https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html"""
    pk = unique("east")
    written = put_item(local_cloud, EAST, global_table, pk, colour="blue", size="7")
    replicated = wait_for(
        "the us-east-1 write in us-west-2",
        lambda: get_item(local_cloud, WEST, global_table, pk),
        lambda got: got is not None,
    )
    assert replicated == written


def test_replication_metadata_is_hidden(local_cloud: Any, global_table: str) -> None:
    """ "The metadata attributes required to control replication are hidden which helps prevent
    writing of them which would cause issues with replication." —
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/globaltables.DetermineVersion.html

    (Version 2017.11.29 added aws:rep:deleting, aws:rep:updatetime and aws:rep:updateregion to
    every item; version 2019.11.21 must not show them in either Region.)"""
    pk = unique("hidden")
    put_item(local_cloud, EAST, global_table, pk, a="1")
    wait_for("the item in us-west-2", lambda: get_item(local_cloud, WEST, global_table, pk), lambda got: got)
    for region in (EAST, WEST):
        item = get_item(local_cloud, region, global_table, pk) or {}
        scanned = local_cloud.client("dynamodb", region).scan(
            TableName=global_table, FilterExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": pk}}
        )["Items"]
        for seen in [item, *scanned]:
            assert not [name for name in seen if name.startswith("aws:rep")], (region, seen)
            assert set(seen) == {"pk", "a"}, (region, seen)


def test_update_and_delete_in_west_replicate_to_east(local_cloud: Any, global_table: str) -> None:
    """ "When an application writes data to a replica in one Region, DynamoDB automatically
    replicates the write to all other replicas in the global table." —
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html

    Replication is not one-way from the table the global table was made from: a put, an update and
    a delete made in the added us-west-2 replica all reach us-east-1."""
    west = local_cloud.client("dynamodb", WEST)
    pk = unique("west")
    put_item(local_cloud, WEST, global_table, pk, stage="put")
    wait_for("the put in us-east-1", lambda: get_item(local_cloud, EAST, global_table, pk), lambda got: got)
    west.update_item(
        TableName=global_table,
        Key={"pk": {"S": pk}},
        UpdateExpression="SET stage = :s, extra = :e",
        ExpressionAttributeValues={":s": {"S": "updated"}, ":e": {"S": "yes"}},
    )
    wait_for(
        "the update in us-east-1",
        lambda: get_item(local_cloud, EAST, global_table, pk),
        lambda got: got == {"pk": {"S": pk}, "stage": {"S": "updated"}, "extra": {"S": "yes"}},
    )
    west.delete_item(TableName=global_table, Key={"pk": {"S": pk}})
    wait_for(
        "the delete in us-east-1",
        lambda: get_item(local_cloud, EAST, global_table, pk),
        lambda got: got is None,
    )


# -- DynamoDB: conflicts --------------------------------------------------------------------------


def test_last_writer_wins_in_both_regions(local_cloud: Any, global_table: str) -> None:
    """ "If the same item is modified in multiple Regions simultaneously, DynamoDB will resolve the
    conflict by using the modification with the latest internal timestamp on a per-item basis,
    referred to as a "last writer wins" conflict resolution method. An item will eventually
    converge in all replicas to the version created by the last write." — https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html

    Two items, each written in both Regions back to back (the second write issued as soon as the
    first returns, well inside the replication window): one ends with us-west-2's write, the other
    with us-east-1's, and both Regions agree. Applying whichever replicated write arrives last
    would leave the Regions disagreeing, or the earlier write winning."""
    west_last, east_last = unique("lww-w"), unique("lww-e")
    put_item(local_cloud, EAST, global_table, west_last, v="first-from-east")
    put_item(local_cloud, WEST, global_table, west_last, v="last-from-west")
    put_item(local_cloud, WEST, global_table, east_last, v="first-from-west")
    put_item(local_cloud, EAST, global_table, east_last, v="last-from-east")
    for pk, expected in ((west_last, "last-from-west"), (east_last, "last-from-east")):
        values = wait_for(
            f"{pk} converged to {expected} in both Regions",
            lambda pk=pk: tuple(
                (get_item(local_cloud, r, global_table, pk) or {}).get("v") for r in (EAST, WEST)
            ),
            lambda seen, expected=expected: seen == ({"S": expected}, {"S": expected}),
        )
        holds(
            f"{pk} stays {expected}",
            lambda pk=pk: tuple(
                (get_item(local_cloud, r, global_table, pk) or {}).get("v") for r in (EAST, WEST)
            ),
            lambda seen, values=values: seen == values,
            seconds=0.5,
        )


def test_write_held_back_by_an_outage_loses_to_a_newer_write(
    local_cloud: Any, global_table: str, region_restored: None
) -> None:
    """ "If the same item is modified in multiple Regions simultaneously, DynamoDB will resolve the
    conflict by using the modification with the latest internal timestamp on a per-item basis" ...
    "An item will eventually converge in all replicas to the version created by the last write."
    and "any data not yet replicated to other Regions will be replicated when the replica becomes
    healthy." — https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html

    An older us-west-2 write waits out a us-east-1 outage; the moment us-east-1 is back a newer
    write is made there. When the held-back write is delivered it must not overwrite the newer one,
    in either Region."""
    pk = unique("held-back")
    local_cloud.outage(EAST, down=True)
    put_item(local_cloud, WEST, global_table, pk, v="older-from-west")
    time.sleep(0.5)
    local_cloud.outage(EAST, down=False)
    put_item(local_cloud, EAST, global_table, pk, v="newer-from-east")
    wait_for(
        "both Regions on the newer write",
        lambda: tuple((get_item(local_cloud, r, global_table, pk) or {}).get("v") for r in (EAST, WEST)),
        lambda seen: seen == ({"S": "newer-from-east"}, {"S": "newer-from-east"}),
    )
    holds(
        "both Regions stay on the newer write",
        lambda: tuple((get_item(local_cloud, r, global_table, pk) or {}).get("v") for r in (EAST, WEST)),
        lambda seen: seen == ({"S": "newer-from-east"}, {"S": "newer-from-east"}),
        seconds=1.0,
    )


def test_simultaneous_writes_converge_to_one_version(local_cloud: Any, global_table: str) -> None:
    """ "An item will eventually converge in all replicas to the version created by the last
    write." — https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html

    Writes issued at the same instant in both Regions (which one is last is DynamoDB's call): each
    item ends with one of the two versions, the same in both Regions."""
    keys = [unique("sim") for _ in range(4)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(region: str) -> None:
        try:
            barrier.wait(timeout=10)
            for pk in keys:
                put_item(local_cloud, region, global_table, pk, v=f"from-{region}")
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(region,)) for region in (EAST, WEST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    for pk in keys:
        wait_for(
            f"{pk} identical in both Regions",
            lambda pk=pk: [get_item(local_cloud, r, global_table, pk) for r in (EAST, WEST)],
            lambda seen: (
                seen[0] is not None
                and seen[0] == seen[1]
                and seen[0]["v"]["S"] in {f"from-{EAST}", f"from-{WEST}"}
            ),
        )


# -- DynamoDB: transactions -----------------------------------------------------------------------


def test_transaction_items_reach_the_other_region(local_cloud: Any, global_table: str) -> None:
    """ "Transactional writes are not replicated as a unit across Regions, meaning only some of the
    writes in a transaction may be returned by read operations in other replicas at a given point
    in time." ... "Changes will only be replicated to other Regions once they've been committed in
    the source Region." — https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html

    Every item of a committed TransactWriteItems in us-east-1 is eventually read in us-west-2 (no
    assertion on whether they arrive together: the docs allow either)."""
    keys = [unique("tx") for _ in range(3)]
    local_cloud.client("dynamodb", EAST).transact_write_items(
        TransactItems=[
            {"Put": {"TableName": global_table, "Item": {"pk": {"S": pk}, "n": {"S": pk}}}} for pk in keys
        ]
    )
    for pk in keys:
        got = wait_for(
            f"{pk} in us-west-2", lambda pk=pk: get_item(local_cloud, WEST, global_table, pk), bool
        )
        assert got == {"pk": {"S": pk}, "n": {"S": pk}}


def test_cancelled_transaction_is_not_replicated(local_cloud: Any, global_table: str) -> None:
    """ "Changes will only be replicated to other Regions once they've been committed in the source
    Region." — https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html

    A TransactWriteItems cancelled by a failed ConditionCheck commits nothing, so its Put never
    shows up in us-west-2 (checked after a later write has replicated, and for a while after)."""
    east = local_cloud.client("dynamodb", EAST)
    doomed, sentinel = unique("tx-cancelled"), unique("tx-sentinel")
    with pytest.raises(ClientError) as cancelled:
        east.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": global_table, "Item": {"pk": {"S": doomed}}}},
                {
                    "ConditionCheck": {
                        "TableName": global_table,
                        "Key": {"pk": {"S": unique("missing")}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert error_code(cancelled.value) == "TransactionCanceledException", cancelled.value.response
    assert get_item(local_cloud, EAST, global_table, doomed) is None
    put_item(local_cloud, EAST, global_table, sentinel)
    wait_for("a later write in us-west-2", lambda: get_item(local_cloud, WEST, global_table, sentinel), bool)
    holds(
        "the cancelled Put is absent in us-west-2",
        lambda: get_item(local_cloud, WEST, global_table, doomed),
        lambda g: g is None,
    )


# -- DynamoDB: a Region switched out --------------------------------------------------------------


def test_writes_made_while_replica_region_is_out_arrive_when_it_returns(
    local_cloud: Any, global_table: str, region_restored: None
) -> None:
    """ "In the unlikely event a replica in a MREC global table becomes isolated or impaired, any
    data not yet replicated to other Regions will be replicated when the replica becomes healthy."
    and "If a workload in a single AWS Region becomes impaired, you can shift application traffic
    to a different Region and perform reads and writes to a different replica table in the same
    global table." — https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html

    us-west-2 is switched out: us-east-1 keeps taking writes; when us-west-2 comes back the write it
    missed is read there."""
    pk = unique("outage-west")
    local_cloud.outage(WEST, down=True)
    with pytest.raises(ClientError):  # the emulator's documented outage: 503 for calls signed for it
        get_item(local_cloud, WEST, global_table, pk)
    written = put_item(local_cloud, EAST, global_table, pk, while_out="us-west-2")
    time.sleep(1.0)  # many times the (scaled) replication lag, with us-west-2 still out
    local_cloud.outage(WEST, down=False)
    replicated = wait_for(
        "the write made during the outage in us-west-2",
        lambda: get_item(local_cloud, WEST, global_table, pk),
        lambda got: got is not None,
    )
    assert replicated == written


def test_writes_in_replica_while_original_region_is_out_reach_it_later(
    local_cloud: Any, global_table: str, region_restored: None
) -> None:
    """ "In the unlikely event a replica in a MREC global table becomes isolated or impaired, any
    data not yet replicated to other Regions will be replicated when the replica becomes healthy."
    — https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html
    (an earlier text of the same page: "It also resumes propagating writes from other replica
    tables to the Region that is now back online.")

    us-east-1 (where the table was first created) is switched out: a put and a delete made in the
    us-west-2 replica meanwhile are both applied in us-east-1 once it is back."""
    added, removed = unique("outage-east-add"), unique("outage-east-del")
    put_item(local_cloud, EAST, global_table, removed, doomed="yes")
    wait_for("the doomed item in us-west-2", lambda: get_item(local_cloud, WEST, global_table, removed), bool)
    local_cloud.outage(EAST, down=True)
    with pytest.raises(ClientError):
        get_item(local_cloud, EAST, global_table, added)
    written = put_item(local_cloud, WEST, global_table, added, while_out="us-east-1")
    local_cloud.client("dynamodb", WEST).delete_item(TableName=global_table, Key={"pk": {"S": removed}})
    time.sleep(1.0)
    local_cloud.outage(EAST, down=False)
    wait_for(
        "the us-west-2 put and delete applied in us-east-1",
        lambda: (
            get_item(local_cloud, EAST, global_table, added),
            get_item(local_cloud, EAST, global_table, removed),
        ),
        lambda seen: seen == (written, None),
    )


# -- DynamoDB: settings ---------------------------------------------------------------------------


def test_deletion_protection_is_per_replica(local_cloud: Any, global_table: str) -> None:
    """ "You should enable deletion protection on global table replicas you want protected against
    accidental deletion. You must enable deletion protection on each replica." —
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/globaltables-bestpractices.html
    and "The following settings are never synchronized between replicas: Deletion protection" —
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html"""
    east = local_cloud.client("dynamodb", EAST)
    east.update_table(TableName=global_table, DeletionProtectionEnabled=True)
    try:
        wait_for(
            "deletion protection on in us-east-1",
            lambda: describe(local_cloud, EAST, global_table),
            lambda d: d.get("DeletionProtectionEnabled") is True and d["TableStatus"] == "ACTIVE",
        )
        with pytest.raises(ClientError):
            east.delete_table(TableName=global_table)
        holds(
            "deletion protection still off in us-west-2",
            lambda: describe(local_cloud, WEST, global_table),
            lambda d: d is not None and not d.get("DeletionProtectionEnabled", False),
        )
    finally:
        east.update_table(TableName=global_table, DeletionProtectionEnabled=False)
        wait_for(
            "deletion protection off again",
            lambda: describe(local_cloud, EAST, global_table),
            lambda d: not d.get("DeletionProtectionEnabled") and d["TableStatus"] == "ACTIVE",
        )


def test_ttl_setting_is_synchronized(local_cloud: Any, global_table: str) -> None:
    """ "TTL settings are automatically synchronized for all replicas in a global table." — https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html"""
    east = local_cloud.client("dynamodb", EAST)
    east.update_time_to_live(
        TableName=global_table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    on = east.describe_time_to_live(TableName=global_table)["TimeToLiveDescription"]
    assert on.get("TimeToLiveStatus") in {"ENABLING", "ENABLED"}, on
    wait_for(
        "TTL on expires_at in us-west-2",
        lambda: local_cloud.client("dynamodb", WEST).describe_time_to_live(TableName=global_table)[
            "TimeToLiveDescription"
        ],
        lambda d: (
            d.get("TimeToLiveStatus") in {"ENABLING", "ENABLED"} and d.get("AttributeName") == "expires_at"
        ),
    )


# Kept the last test on the shared global table: if the emulator lets the replica's stream be switched
# off, writes in us-west-2 may stop working afterwards.
def test_streams_are_on_in_the_replica_and_cannot_be_disabled(local_cloud: Any, global_table: str) -> None:
    """ "Streams are therefore enabled by default on all replicas in an MREC global table, and
    cannot be disabled on those replicas." — https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html"""
    west = describe(local_cloud, WEST, global_table)
    assert west is not None
    assert west.get("StreamSpecification", {}).get("StreamEnabled") is True, west.get("StreamSpecification")
    assert west.get("LatestStreamArn"), west
    client = local_cloud.client("dynamodb", WEST)
    try:
        with pytest.raises(ClientError):
            client.update_table(TableName=global_table, StreamSpecification={"StreamEnabled": False})
    finally:  # best effort: put the stream back if the emulator let it be switched off
        stream = (describe(local_cloud, WEST, global_table) or {}).get("StreamSpecification", {})
        if not stream.get("StreamEnabled"):
            with contextlib.suppress(ClientError):
                client.update_table(
                    TableName=global_table,
                    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
                )


def test_deleting_a_replica_removes_it_from_its_region(local_cloud: Any) -> None:
    """ "An existing replica to be deleted. The request invokes the DeleteTableReplica action in the
    destination Region, deleting the replica and all if its items in the destination Region." —
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ReplicationGroupUpdate.html"""
    table = "docs-global-removed"
    create_table(local_cloud, table)
    add_replica(local_cloud, table, WEST)
    put_item(local_cloud, EAST, table, "kept", v="1")
    wait_for("the item in us-west-2", lambda: get_item(local_cloud, WEST, table, "kept"), bool)
    local_cloud.client("dynamodb", EAST).update_table(
        TableName=table, ReplicaUpdates=[{"Delete": {"RegionName": WEST}}]
    )
    wait_for(
        "the us-west-2 replica gone, and gone from the us-east-1 description",
        lambda: (
            describe(local_cloud, WEST, table),
            replica_status(describe(local_cloud, EAST, table), WEST),
        ),
        lambda seen: seen == (None, None),
    )
    assert get_item(local_cloud, EAST, table, "kept") == {"pk": {"S": "kept"}, "v": {"S": "1"}}


# -- S3 -------------------------------------------------------------------------------------------


def s3(cloud: Any, region: str) -> Any:
    return cloud.client("s3", region, s3={"addressing_style": "path"})


def make_bucket(cloud: Any, region: str, *, versioned: bool = True) -> str:
    name = f"docs-repl-{uuid.uuid4().hex[:12]}-{region}"
    client = s3(cloud, region)
    if region == "us-east-1":
        client.create_bucket(Bucket=name)
    else:
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if versioned:
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def rule(
    destination: str,
    *,
    rule_id: str = "rule-1",
    priority: int = 1,
    prefix: str = "",
    delete_markers: bool = False,
    status: str = "Enabled",
    storage_class: str | None = None,
    replica_kms_key: str | None = None,
) -> dict[str, Any]:
    """One rule of the current (Filter) schema: Filter, Priority and DeleteMarkerReplication."""
    built: dict[str, Any] = {
        "ID": rule_id,
        "Priority": priority,
        "Status": status,
        "Filter": {"Prefix": prefix},
        "DeleteMarkerReplication": {"Status": "Enabled" if delete_markers else "Disabled"},
        "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
    }
    if storage_class:
        built["Destination"]["StorageClass"] = storage_class
    if replica_kms_key:
        built["SourceSelectionCriteria"] = {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
        built["Destination"]["EncryptionConfiguration"] = {"ReplicaKmsKeyID": replica_kms_key}
    return built


def configure(cloud: Any, region: str, bucket: str, role: str, *rules: dict[str, Any]) -> None:
    s3(cloud, region).put_bucket_replication(
        Bucket=bucket, ReplicationConfiguration={"Role": role, "Rules": list(rules)}
    )


def head(
    cloud: Any, region: str, bucket: str, key: str, version_id: str | None = None
) -> dict[str, Any] | None:
    """HeadObject, or None when there is no such object (or version)."""
    extra = {"VersionId": version_id} if version_id else {}
    try:
        return s3(cloud, region).head_object(Bucket=bucket, Key=key, **extra)
    except ClientError as exc:
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (404, 405):
            return None
        raise


def replication_status(cloud: Any, region: str, bucket: str, key: str) -> str | None:
    return (head(cloud, region, bucket, key) or {}).get("ReplicationStatus")


def put(cloud: Any, region: str, bucket: str, key: str, body: bytes = b"payload", **extra: Any) -> str:
    return s3(cloud, region).put_object(Bucket=bucket, Key=key, Body=body, **extra)["VersionId"]


def wait_replicated(
    cloud: Any, source: tuple[str, str], destination: tuple[str, str], key: str
) -> dict[str, Any]:
    """Wait for COMPLETED on the source and a REPLICA in the destination; the replica's HEAD."""
    wait_for(
        f"{key} COMPLETED in {source[1]}",
        lambda: replication_status(cloud, *source, key),
        lambda status: status == "COMPLETED",
    )
    return wait_for(
        f"{key} REPLICA in {destination[1]}",
        lambda: head(cloud, *destination, key),
        lambda got: got is not None and got.get("ReplicationStatus") == "REPLICA",
    )


def versions(
    cloud: Any, region: str, bucket: str, key: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    listed = s3(cloud, region).list_object_versions(Bucket=bucket, Prefix=key)
    return (
        [v for v in listed.get("Versions", []) if v["Key"] == key],
        [m for m in listed.get("DeleteMarkers", []) if m["Key"] == key],
    )


@pytest.fixture(scope="module")
def role(local_cloud: Any) -> str:
    """The IAM role S3 assumes to replicate (trusting s3.amazonaws.com, with the documented
    replication permissions)."""
    iam = local_cloud.client("iam")
    arn = iam.create_role(
        RoleName="docs-s3-replication",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "s3.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="docs-s3-replication",
        PolicyName="replicate",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                        "Resource": "arn:aws:s3:::*",
                    },
                    {
                        "Effect": "Allow",
                        "Action": [
                            "s3:GetObjectVersionForReplication",
                            "s3:GetObjectVersionAcl",
                            "s3:GetObjectVersionTagging",
                            "s3:ReplicateObject",
                            "s3:ReplicateDelete",
                            "s3:ReplicateTags",
                        ],
                        "Resource": "arn:aws:s3:::*/*",
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                        "Resource": "*",
                    },
                ],
            }
        ),
    )
    return arn


@pytest.fixture
def pair(local_cloud: Any, role: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """A versioned source bucket in us-east-1 and a versioned destination in us-west-2, as
    ((region, bucket), (region, bucket)); the test puts its own replication configuration."""
    return (EAST, make_bucket(local_cloud, EAST)), (WEST, make_bucket(local_cloud, WEST))


def test_new_object_is_completed_at_source_and_replica_at_destination(
    local_cloud: Any, role: str, pair: Any
) -> None:
    """ "The replication status of a source object will return either PENDING, COMPLETED, or
    FAILED. The replication status of a replica will return REPLICA." and "When you request an
    object from a destination bucket, if the object in your request is a replica that Amazon S3
    created, Amazon S3 returns the x-amz-replication-status header with the value REPLICA." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html"""
    source, destination = pair
    configure(local_cloud, *source, role, rule(destination[1]))
    put(local_cloud, *source, "report.txt", b"quarterly numbers")
    first = replication_status(local_cloud, *source, "report.txt")
    assert first in {"PENDING", "COMPLETED"}, first
    wait_replicated(local_cloud, source, destination, "report.txt")
    body = s3(local_cloud, destination[0]).get_object(Bucket=destination[1], Key="report.txt")
    assert body["Body"].read() == b"quarterly numbers"
    assert body.get("ReplicationStatus") == "REPLICA"


def test_replica_keeps_the_source_version_id(local_cloud: Any, role: str, pair: Any) -> None:
    """ "You can use replication to make copies of your objects that retain all metadata, such as
    the original object creation time and version IDs. This capability is important if you need to
    ensure that your replica is identical to the source object." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication.html ("Why use
    replication")"""
    source, destination = pair
    configure(local_cloud, *source, role, rule(destination[1]))
    version = put(local_cloud, *source, "versioned.txt", b"same version everywhere")
    replica = wait_replicated(local_cloud, source, destination, "versioned.txt")
    assert replica["VersionId"] == version
    assert [v["VersionId"] for v in versions(local_cloud, *destination, "versioned.txt")[0]] == [version]


def test_replica_carries_metadata_and_tags(local_cloud: Any, role: str, pair: Any) -> None:
    """By default Amazon S3 replicates "Object metadata from the source objects to the replicas" and
    "Object tags, if there are any." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html"""
    source, destination = pair
    configure(local_cloud, *source, role, rule(destination[1]))
    put(
        local_cloud,
        *source,
        "tagged.txt",
        b"tagged body",
        Metadata={"owner": "finance"},
        ContentType="text/plain",
        Tagging="team=blue",
    )
    tagset = [{"Key": "team", "Value": "blue"}]
    assert s3(local_cloud, EAST).get_object_tagging(Bucket=source[1], Key="tagged.txt")["TagSet"] == tagset
    replica = wait_replicated(local_cloud, source, destination, "tagged.txt")
    assert replica.get("Metadata") == {"owner": "finance"}
    assert replica.get("ContentType") == "text/plain"
    assert (
        s3(local_cloud, WEST).get_object_tagging(Bucket=destination[1], Key="tagged.txt")["TagSet"] == tagset
    )


def test_two_way_rules_do_not_replicate_replicas_back(local_cloud: Any, role: str, pair: Any) -> None:
    """By default Amazon S3 doesn't replicate "Objects in the source bucket that are replicas that
    were created by another replication rule." — https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html

    With a rule each way, an object written in either bucket is replicated once: the copy that
    arrives is a REPLICA and is not sent back (the original keeps one version and COMPLETED)."""
    (east, a), (west, b) = pair
    configure(local_cloud, east, a, role, rule(b))
    configure(local_cloud, west, b, role, rule(a))
    put(local_cloud, east, a, "from-a.txt", b"a")
    put(local_cloud, west, b, "from-b.txt", b"b")
    wait_replicated(local_cloud, (east, a), (west, b), "from-a.txt")
    wait_replicated(local_cloud, (west, b), (east, a), "from-b.txt")

    def state() -> Any:
        return (
            replication_status(local_cloud, east, a, "from-a.txt"),
            replication_status(local_cloud, west, b, "from-a.txt"),
            replication_status(local_cloud, west, b, "from-b.txt"),
            replication_status(local_cloud, east, a, "from-b.txt"),
            len(versions(local_cloud, east, a, "from-a.txt")[0]),
            len(versions(local_cloud, west, b, "from-a.txt")[0]),
            len(versions(local_cloud, west, b, "from-b.txt")[0]),
            len(versions(local_cloud, east, a, "from-b.txt")[0]),
        )

    holds(
        "one replication each way",
        state,
        lambda s: s == ("COMPLETED", "REPLICA", "COMPLETED", "REPLICA", 1, 1, 1, 1),
    )


def test_delete_marker_is_not_replicated_by_default(local_cloud: Any, role: str, pair: Any) -> None:
    """ "By default, when S3 Replication is enabled and an object is deleted in the source bucket,
    Amazon S3 adds a delete marker in the source bucket only. This action helps protect data in
    the destination buckets from accidental or malicious deletions." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/delete-marker-replication.html"""
    source, destination = pair
    configure(local_cloud, *source, role, rule(destination[1], delete_markers=False))
    put(local_cloud, *source, "keep.txt", b"keep me")
    wait_replicated(local_cloud, source, destination, "keep.txt")
    s3(local_cloud, source[0]).delete_object(Bucket=source[1], Key="keep.txt")
    assert head(local_cloud, *source, "keep.txt") is None
    put(local_cloud, *source, "later.txt")
    wait_replicated(local_cloud, source, destination, "later.txt")
    holds(
        "the destination still serving the object, with no delete marker",
        lambda: (
            head(local_cloud, *destination, "keep.txt") is not None,
            versions(local_cloud, *destination, "keep.txt")[1],
        ),
        lambda seen: seen == (True, []),
    )


def test_delete_marker_is_replicated_when_enabled(local_cloud: Any, role: str, pair: Any) -> None:
    """ "If you have delete marker replication enabled, these markers are copied to the destination
    buckets, and Amazon S3 behaves as if the object was deleted in both the source and destination
    buckets." — https://docs.aws.amazon.com/AmazonS3/latest/userguide/delete-marker-replication.html"""
    source, destination = pair
    configure(local_cloud, *source, role, rule(destination[1], delete_markers=True))
    put(local_cloud, *source, "gone.txt", b"soon deleted")
    replica = wait_replicated(local_cloud, source, destination, "gone.txt")
    s3(local_cloud, source[0]).delete_object(Bucket=source[1], Key="gone.txt")
    kept, markers = wait_for(
        "a delete marker in the destination",
        lambda: versions(local_cloud, *destination, "gone.txt"),
        lambda seen: len(seen[1]) == 1,
    )
    assert markers[0]["IsLatest"] is True
    assert [v["VersionId"] for v in kept] == [replica["VersionId"]], (
        "a marker hides the object, deletes no version"
    )
    assert head(local_cloud, *destination, "gone.txt") is None


def test_deleting_a_version_is_never_replicated(local_cloud: Any, role: str, pair: Any) -> None:
    """ "If you specify an object version ID to delete in a DELETE request, Amazon S3 deletes that
    object version in the source bucket. But it doesn't replicate the deletion in the destination
    buckets. In other words, it doesn't delete the same object version from the destination
    buckets. This protects data from malicious deletions." — https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html

    Checked with delete marker replication enabled, so nothing else stops a delete from going."""
    source, destination = pair
    configure(local_cloud, *source, role, rule(destination[1], delete_markers=True))
    version = put(local_cloud, *source, "precious.txt", b"precious")
    replica = wait_replicated(local_cloud, source, destination, "precious.txt")
    s3(local_cloud, source[0]).delete_object(Bucket=source[1], Key="precious.txt", VersionId=version)
    assert head(local_cloud, *source, "precious.txt", version) is None
    put(local_cloud, *source, "later.txt")
    wait_replicated(local_cloud, source, destination, "later.txt")
    holds(
        "the replica's version still in the destination, with no delete marker",
        lambda: (
            [v["VersionId"] for v in versions(local_cloud, *destination, "precious.txt")[0]],
            versions(local_cloud, *destination, "precious.txt")[1],
            head(local_cloud, *destination, "precious.txt") is not None,
        ),
        lambda seen: seen == ([replica["VersionId"]], [], True),
    )


def test_prefix_filter_selects_what_is_replicated(local_cloud: Any, role: str, pair: Any) -> None:
    """ "When you request an object from the source bucket, Amazon S3 returns the
    x-amz-replication-status header if the object in your request is eligible for replication. For
    example, suppose that you specify the object prefix TaxDocs in your replication configuration
    to tell Amazon S3 to replicate only objects with the key name prefix TaxDocs. Any objects that
    you upload that have this key name prefix—for example, TaxDocs/document1.pdf—will be
    replicated." — https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html"""
    source, destination = pair
    configure(local_cloud, *source, role, rule(destination[1], prefix="TaxDocs/"))
    put(local_cloud, *source, "Other/document2.pdf")
    put(local_cloud, *source, "TaxDocs/document1.pdf")
    wait_replicated(local_cloud, source, destination, "TaxDocs/document1.pdf")
    holds(
        "Other/document2.pdf not replicated and without a replication status",
        lambda: (
            head(local_cloud, *destination, "Other/document2.pdf"),
            "ReplicationStatus" in (head(local_cloud, *source, "Other/document2.pdf") or {}),
        ),
        lambda seen: seen == (None, False),
    )


def test_objects_existing_before_the_configuration_are_not_replicated(
    local_cloud: Any, role: str, pair: Any
) -> None:
    """By default Amazon S3 doesn't replicate "Objects that existed before you added the
    replication configuration to the bucket. In other words, Amazon S3 doesn't replicate objects
    retroactively." — https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html"""
    source, destination = pair
    put(local_cloud, *source, "old.txt", b"from before")
    configure(local_cloud, *source, role, rule(destination[1]))
    put(local_cloud, *source, "new.txt", b"from after")
    wait_replicated(local_cloud, source, destination, "new.txt")
    holds(
        "old.txt not in the destination",
        lambda: head(local_cloud, *destination, "old.txt"),
        lambda g: g is None,
    )


def test_disabled_rule_replicates_nothing(local_cloud: Any, role: str, pair: Any) -> None:
    """ "Status indicates whether the rule is enabled or disabled. If a rule is disabled, Amazon S3
    doesn't perform the actions specified in the rule." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-add-config.html"""
    source, destination = pair
    configure(
        local_cloud,
        *source,
        role,
        rule(destination[1], rule_id="off", priority=2, prefix="off/", status="Disabled"),
        rule(destination[1], rule_id="on", priority=1, prefix="on/"),
    )
    put(local_cloud, *source, "off/x.txt")
    put(local_cloud, *source, "on/y.txt")
    wait_replicated(local_cloud, source, destination, "on/y.txt")
    holds(
        "off/x.txt not replicated", lambda: head(local_cloud, *destination, "off/x.txt"), lambda g: g is None
    )


def test_highest_priority_rule_decides_for_the_same_destination(
    local_cloud: Any, role: str, pair: Any
) -> None:
    """ "Priority indicates which rule has precedence whenever two or more replication rules
    conflict. Amazon S3 will attempt to replicate objects according to all replication rules.
    However, if there are two or more rules with the same destination bucket, then objects will be
    replicated according to the rule with the highest priority. The higher the number, the higher
    the priority." — https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-add-config.html

    Both rules match docs/…; the priority-2 rule's storage class is the one its replica gets, while
    an object only the priority-1 rule matches gets that rule's class."""
    source, destination = pair
    configure(
        local_cloud,
        *source,
        role,
        rule(destination[1], rule_id="low", priority=1, prefix="", storage_class="ONEZONE_IA"),
        rule(destination[1], rule_id="high", priority=2, prefix="docs/", storage_class="STANDARD_IA"),
    )
    put(local_cloud, *source, "docs/both.txt")
    put(local_cloud, *source, "misc/low-only.txt")
    both = wait_replicated(local_cloud, source, destination, "docs/both.txt")
    low = wait_replicated(local_cloud, source, destination, "misc/low-only.txt")
    assert both.get("StorageClass") == "STANDARD_IA", both.get("StorageClass")
    assert low.get("StorageClass") == "ONEZONE_IA", low.get("StorageClass")


def test_every_rule_replicates_to_its_own_destination(local_cloud: Any, role: str) -> None:
    """ "Amazon S3 will attempt to replicate objects according to all replication rules. However, if
    there are two or more rules with the same destination bucket, then objects will be replicated
    according to the rule with the highest priority." and "You can add multiple destination
    buckets in a single replication configuration" —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-add-config.html

    Two rules matching the same object, each with its own destination (us-west-2 and eu-west-1):
    priority only arbitrates between rules sharing a destination, so both get a replica."""
    source = make_bucket(local_cloud, EAST)
    west = make_bucket(local_cloud, WEST)
    third = make_bucket(local_cloud, THIRD)
    configure(
        local_cloud,
        EAST,
        source,
        role,
        rule(west, rule_id="to-west", priority=1),
        rule(third, rule_id="to-third", priority=2),
    )
    put(local_cloud, EAST, source, "both.txt")
    wait_for(
        "a REPLICA in each destination",
        lambda: (
            (head(local_cloud, WEST, west, "both.txt") or {}).get("ReplicationStatus"),
            (head(local_cloud, THIRD, third, "both.txt") or {}).get("ReplicationStatus"),
        ),
        lambda seen: seen == ("REPLICA", "REPLICA"),
    )
    assert replication_status(local_cloud, EAST, source, "both.txt") == "COMPLETED"


@pytest.mark.parametrize("unversioned", ["source", "destination"])
def test_replication_needs_versioning_on_both_buckets(local_cloud: Any, role: str, unversioned: str) -> None:
    """ "Both source and destination buckets must have versioning enabled." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication.html ("Requirements for
    replication"); a replication failure reason is "DstBucketUnversioned: Versioning is not enabled
    for the S3 destination bucket." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-failure-codes.html

    AWS does not say here whether PutBucketReplication refuses the configuration or replication
    then fails; either is accepted, but no replica may appear and the source may not say
    COMPLETED."""
    source = make_bucket(local_cloud, EAST, versioned=unversioned != "source")
    destination = make_bucket(local_cloud, WEST, versioned=unversioned != "destination")
    try:
        configure(local_cloud, EAST, source, role, rule(destination))
    except ClientError:
        return  # refused up front: replication cannot happen
    put(local_cloud, EAST, source, "doc.txt")
    holds(
        "no replica, and no COMPLETED",
        lambda: (
            head(local_cloud, WEST, destination, "doc.txt"),
            replication_status(local_cloud, EAST, source, "doc.txt"),
        ),
        lambda seen: seen[0] is None and seen[1] != "COMPLETED",
        seconds=3.0,
    )


@pytest.fixture(scope="module")
def kms_keys(local_cloud: Any) -> dict[str, str]:
    """A symmetric KMS key in each of us-east-1 and us-west-2: {region: key ARN}."""
    return {
        region: local_cloud.client("kms", region).create_key(Description=f"docs replication {region}")[
            "KeyMetadata"
        ]["Arn"]
        for region in (EAST, WEST)
    }


def test_sse_kms_objects_are_not_replicated_without_opt_in(
    local_cloud: Any, role: str, pair: Any, kms_keys: dict[str, str]
) -> None:
    """ "By default, Amazon S3 doesn't replicate objects that are encrypted with SSE-KMS or
    DSSE-KMS." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html"""
    source, destination = pair
    configure(local_cloud, *source, role, rule(destination[1]))
    put(
        local_cloud, *source, "secret.txt", b"kms", ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_keys[EAST]
    )
    put(local_cloud, *source, "plain.txt", b"plain")
    wait_replicated(local_cloud, source, destination, "plain.txt")
    holds(
        "secret.txt not replicated",
        lambda: head(local_cloud, *destination, "secret.txt"),
        lambda g: g is None,
    )


def test_sse_kms_objects_replicate_under_the_replica_key_with_opt_in(
    local_cloud: Any, role: str, pair: Any, kms_keys: dict[str, str]
) -> None:
    """ "Explicitly opt in by enabling replication of objects encrypted by using KMS keys (SSE-KMS
    or DSSE-KMS). To opt in, add the SourceSelectionCriteria element" ... "This replication
    configuration has one rule. The rule applies to objects with the Tax key prefix. Amazon S3
    uses the specified AWS KMS key ID to encrypt these object replicas." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html"""
    source, destination = pair
    configure(local_cloud, *source, role, rule(destination[1], replica_kms_key=kms_keys[WEST]))
    put(
        local_cloud, *source, "secret.txt", b"kms", ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_keys[EAST]
    )
    replica = wait_replicated(local_cloud, source, destination, "secret.txt")
    assert replica.get("ServerSideEncryption") == "aws:kms", replica
    west_key_id = kms_keys[WEST].rsplit("/", 1)[-1]
    assert replica.get("SSEKMSKeyId", "").rsplit("/", 1)[-1] == west_key_id, replica.get("SSEKMSKeyId")
    body = s3(local_cloud, WEST).get_object(Bucket=destination[1], Key="secret.txt")["Body"].read()
    assert body == b"kms"


# -- S3: a destination Region switched out --------------------------------------------------------


def test_replication_stays_pending_while_destination_region_is_out(
    local_cloud: Any, role: str, pair: Any, region_restored: None
) -> None:
    """ "Objects transition to a FAILED state for issues such as missing replication role
    permissions, AWS KMS permissions, or bucket permissions. For temporary failures, such as if a
    bucket or Region is unavailable, replication status will not transition to FAILED, but will
    remain PENDING. After the resource is back online, S3 will resume replicating those objects."
    — https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html"""
    source, destination = pair
    configure(local_cloud, *source, role, rule(destination[1]))
    local_cloud.outage(WEST, down=True)
    put(local_cloud, *source, "during-outage.txt", b"written while us-west-2 was out")
    holds(
        "PENDING while us-west-2 is out",
        lambda: replication_status(local_cloud, *source, "during-outage.txt"),
        lambda status: status == "PENDING",
        seconds=3.0,
    )
    local_cloud.outage(WEST, down=False)
    replica = wait_replicated(local_cloud, source, destination, "during-outage.txt")
    assert replica["ContentLength"] == len(b"written while us-west-2 was out")


def test_source_stays_pending_until_every_destination_has_it(
    local_cloud: Any, role: str, region_restored: None
) -> None:
    """ "When you replicate objects to multiple destination buckets, the x-amz-replication-status
    header acts differently. The header of the source object only returns a value of COMPLETED
    when replication is successful to all destinations. The header remains at the PENDING value
    until replication has completed for all destinations." — https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html

    Destinations in us-west-2 and eu-west-1; us-west-2 is out: eu-west-1 gets its replica but the
    source says PENDING until us-west-2 is back and has its own."""
    source = make_bucket(local_cloud, EAST)
    west = make_bucket(local_cloud, WEST)
    third = make_bucket(local_cloud, THIRD)
    configure(
        local_cloud,
        EAST,
        source,
        role,
        rule(west, rule_id="to-west", priority=1),
        rule(third, rule_id="to-third", priority=2),
    )
    local_cloud.outage(WEST, down=True)
    put(local_cloud, EAST, source, "fanout.txt")
    wait_for(
        "the eu-west-1 replica",
        lambda: head(local_cloud, THIRD, third, "fanout.txt"),
        lambda got: got is not None and got.get("ReplicationStatus") == "REPLICA",
    )
    holds(
        "the source PENDING while us-west-2 lacks its replica",
        lambda: replication_status(local_cloud, EAST, source, "fanout.txt"),
        lambda status: status == "PENDING",
    )
    local_cloud.outage(WEST, down=False)
    wait_replicated(local_cloud, (EAST, source), (WEST, west), "fanout.txt")

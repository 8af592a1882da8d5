"""Gap: moto 5.2.5 has no DynamoDB global tables (version 2019.11.21).

moto's ``UpdateTable`` handler drops ``ReplicaUpdates`` and ``DescribeTable``
never reports ``Replicas``, so the AWS provider's ``aws_dynamodb_table``
(``replica { ... }`` block) polls DescribeTable for the replica to become
ACTIVE until its 30 minute create timeout.

This patch models a global table as a ``ReplicaGroup``: one ordinary moto
``Table`` per region, registered in that region's DynamoDB backend, each with
its own items, kept in step by asynchronous replication (below), so:

* ``UpdateTable`` ``ReplicaUpdates`` ``Create`` builds the replica in the
  target region's backend (same key schema, attributes, GSIs, LSIs, billing
  mode, stream spec; SSE with the replica's ``KMSMasterKeyId``, which must
  name a key that exists in that region, as on AWS) holding a copy of the
  source's items, as AWS fills a new replica from a table with data.  It is ACTIVE at once.
  It starts with the source's TTL and read capacity, or its own ``ProvisionedThroughputOverride``
  ("When adding a new replica to a global table, the read capacity of the source table or
  replica is used as the initial value unless a replica-level override is explicitly
  specified.").  ``Update`` changes the replica's KMS key, and its read capacity with a
  ``ProvisionedThroughputOverride`` (that replica only: "You can independently configure read
  capacity settings for each replica in a global table by using the
  ProvisionedThroughputOverride parameter at the replica level."; PROVISIONED tables only,
  undocumented: assumed ValidationException otherwise); ``Delete`` removes the replica (refused
  while the replica has deletion protection; a region without a replica gets AWS's
  "Replica ... was not found" ValidationException).
* ``DescribeTable`` in any member region lists the *other* regions under
  ``Replicas`` (``ReplicaStatus: ACTIVE``, ``KMSMasterKeyId``, GSIs) and
  reports ``GlobalTableVersion: 2019.11.21``, as AWS does (a table-class summary only
  for a replica created with ``TableClassOverride``, a ``ProvisionedThroughputOverride``
  only for a replica that has one).
* PITR, tags and deletion protection are per-region ("The following settings are never
  synchronized between replicas: Deletion protection, Point-in-time Recovery, Tags, ..."),
  and work because the replica is a real table in its region's backend.
* streams: "Streams are therefore enabled by default on all replicas in an MREC global table,
  and cannot be disabled on those replicas."  Adding a replica to a table without a stream
  switches one on (``NEW_AND_OLD_IMAGES``, undocumented: assumed) on both; ``UpdateTable``
  disabling the stream of any member is refused with a ValidationException (undocumented:
  assumed; the message is the one AWS answered in
  terraform-aws-modules/terraform-aws-dynamodb-table#30).  A write emits a stream record
  only in the region it was made in.
* settings "always synchronized between replicas" are applied to every replica when changed
  in one region: attribute definitions, GSI create/update/delete, billing (capacity) mode,
  provisioned throughput (write capacity always; read capacity too: "By default, changes to
  provisioned read capacity are applied to all replicas in the global table.", replacing a
  replica's override: "Overridable setting values are changed if the setting is modified on
  any other replica."), and TTL ("TTL settings are automatically synchronized for all
  replicas in a global table.").  (An older text of the page said a read capacity adjusted
  for one replica "is not transferred to the other side"; the current one limits that to
  the replica-level override, as modelled here.)
* ``DeleteTable`` of a replica removes that replica only.  ``DeleteTable``
  of the table the replicas were created from also deletes its replicas
  (AWS would keep them as a global table of their own; the emulator
  removes them so nothing is left behind).
* a failed ``TransactWriteItems`` rolls back the written table in place (moto
  swaps in a deep copy of the table, which would detach it from its global table).

Replication (multi-Region eventual consistency, the default mode of version 2019.11.21):

* a write (PutItem, UpdateItem, DeleteItem, each item of BatchWriteItem, TransactWriteItems,
  PartiQL statements) applies to the region it is made in; the item as it then is (or its
  absence) is sent to every other replica and applied there after
  ``EMULATOR_DDB_REPLICATION_LAG`` seconds (AWS seconds, default 1.0: AWS propagates a new
  item "usually within a second"), divided by ``EMULATOR_TIME_SCALE``.  A lag of 0
  applies it before the write returns (synchronous).
* each item is one record per destination, replaced whole there, and GetItem/Query/Scan run
  between records: a read of the replica can see some of the items of one BatchWriteItem or
  TransactWriteItems and not the others yet, as on AWS: "Transactional writes are not
  replicated as a unit across Regions, meaning only some of the writes in a transaction may be
  returned by read operations in other replicas at a given point in time." (V2globaltables_HowItWorks).
* per source and destination region, records are applied in the order they were written.
  While either region is out (``OUTAGES``, ``make outage-local``) its records wait, none
  lost; they are applied, in order, once both regions are back.  That backlog is the RPO a
  game day measures: ``pending()`` counts the writes not yet applied per destination.
* conflicts: every write carries its timestamp; a replicated item older than the one the
  destination holds is dropped, so concurrent writes of one item in two regions converge on
  the later one everywhere ("last writer wins", as AWS reconciles them).
* the destination's GSIs follow, since the item lands in a real moto table.
* ``pending()`` and ``flush()`` (apply everything the outages allow, now) are for tests;
  ``/moto-api/reset`` drops pending records.  One daemon thread applies records; it idles
  when nothing is pending.

Not modelled: ``ReplicationLatency`` metrics, a stream record in the destination for a
replicated write, MRSC (strongly consistent) global tables, writes in flight to a third region
when a new replica is created from another one, GSI-level and on-demand throughput overrides,
auto scaling settings, and TTL deleting expired items.

AWS: global tables version 2019.11.21, replicas created with UpdateTable ``ReplicaUpdates`` and
reported in DescribeTable ``Replicas``, a new item usually propagated within a second, "last
writer wins" reconciliation, streams, TTL, read/write throughput and settings synchronization:
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html
and https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html;
MREC: items replicated individually, conflicts resolved by the write's timestamp:
https://docs.aws.amazon.com/prescriptive-guidance/latest/dynamodb-global-tables/overview.html
"""

from __future__ import annotations

import copy
import functools
import inspect
import math
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.dynamodb.exceptions import (
    DeletionProtectedException,
    MockValidationException,
    ResourceInUseException,
)
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.kms import kms_backends

from local_aws.regions import OUTAGES, time_scale

GLOBAL_TABLE_VERSION = "2019.11.21"
STREAM_VIEW_TYPE = "NEW_AND_OLD_IMAGES"  # undocumented: assumed for a stream a new replica switches on
# Undocumented: assumed ValidationException; the message is AWS's answer as quoted in
# terraform-aws-modules/terraform-aws-dynamodb-table#30 (a Terraform apply against AWS).
STREAM_REQUIRED = (
    "One or more parameter values were invalid: Disabling Stream is not allowed for a Global Table replica."
)

LAG_VARIABLE = "EMULATOR_DDB_REPLICATION_LAG"
DEFAULT_LAG = 1.0  # AWS seconds: "usually within a second"
MAX_LAG = 3600.0
OUTAGE_POLL = 0.05  # seconds between looks at OUTAGES while a region holds records back


def replication_lag(environ: dict[str, str] | None = None) -> float:
    """The replication lag in emulator seconds: ``EMULATOR_DDB_REPLICATION_LAG`` (AWS seconds,
    default 1.0) divided by ``EMULATOR_TIME_SCALE``.  0 replicates synchronously."""
    env = os.environ if environ is None else environ
    raw = env.get(LAG_VARIABLE, "").strip() or str(DEFAULT_LAG)
    try:
        lag = float(raw)
    except ValueError:
        raise ValueError(f"{LAG_VARIABLE} must be a number of seconds >= 0, got {raw!r}") from None
    if not (math.isfinite(lag) and 0 <= lag <= MAX_LAG):
        raise ValueError(f"{LAG_VARIABLE} must be between 0 and {MAX_LAG:.0f} seconds, got {raw!r}")
    return lag / time_scale(environ)


Key = tuple[DynamoType, DynamoType | None]  # (hash key, range key) of an item
Version = tuple[float, str]  # (timestamp of the write, region written): later wins
NEVER: Version = (0.0, "")


@dataclass
class Change:
    """One item as a write left it, for one destination replica."""

    table: Table  # the destination replica
    key: Key
    item: Item | None  # None: the write deleted it
    version: Version


@dataclass
class Record:
    """One item's write on its way from ``source`` to ``destination``."""

    account_id: str
    source: str
    destination: str
    due: float  # time.monotonic() at which it may be applied
    changes: list[Change] = field(default_factory=list)


class Replicator:
    """Per (account, source, destination) queues of records, applied in order by one daemon
    thread once due and while neither region is out.  ``lock`` also serialises the writes
    to global tables with the replication into them (last writer wins needs both)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._wake = threading.Condition(self.lock)
        self._queues: dict[tuple[str, str, str], deque[Record]] = {}
        self._thread: threading.Thread | None = None
        self._clock = 0.0

    def stamp(self, region: str) -> Version:
        """A write's timestamp: wall clock, strictly increasing across the process."""
        with self.lock:
            self._clock = max(time.time(), self._clock + 1e-6)
            return (self._clock, region)

    def send(self, record: Record, lag: float) -> None:
        with self.lock:
            route = (record.account_id, record.source, record.destination)
            if lag <= 0 and not self._queues.get(route) and self._open(record):
                self._apply(record)  # synchronous: before the write returns
                return
            self._queues.setdefault(route, deque()).append(record)
            self._start()
            self._wake.notify_all()

    def pending(self) -> dict[str, int]:
        """Writes not yet applied, per destination region."""
        with self.lock:
            counts: dict[str, int] = {}
            for (_, _, destination), queue in self._queues.items():
                if queue:
                    counts[destination] = counts.get(destination, 0) + len(queue)
            return counts

    def flush(self) -> int:
        """Apply every record now, lag or not, except those an outage holds; return how many
        are still pending."""
        with self.lock:
            self._drain(force=True)
            return sum(self.pending().values())

    def drop(self, account_id: str, region: str) -> None:
        """Forget the records from or to ``region`` (moto reset)."""
        with self.lock:
            for key in [k for k in self._queues if k[0] == account_id and region in k[1:]]:
                del self._queues[key]

    def discard(self, table: Table) -> None:
        """Forget the changes bound for ``table`` (a replica removed from its global table)."""
        with self.lock:
            for key, queue in list(self._queues.items()):
                for record in queue:
                    record.changes = [c for c in record.changes if c.table is not table]
                kept = deque(r for r in queue if r.changes)
                if kept:
                    self._queues[key] = kept
                else:
                    del self._queues[key]

    @staticmethod
    def _open(record: Record) -> bool:
        return not (OUTAGES.is_down(record.source) or OUTAGES.is_down(record.destination))

    def _drain(self, force: bool) -> float | None:
        """Apply what is due (everything if ``force``); return how long to sleep (None: idle)."""
        now = time.monotonic()
        wait: float | None = None
        for key, queue in list(self._queues.items()):
            while queue:
                head = queue[0]
                if not self._open(head):
                    wait = OUTAGE_POLL if wait is None else min(wait, OUTAGE_POLL)
                    break
                if not force and head.due > now:
                    wait = head.due - now if wait is None else min(wait, head.due - now)
                    break
                queue.popleft()
                self._apply(head)
            if not queue:
                self._queues.pop(key, None)
        return wait

    @staticmethod
    def _apply(record: Record) -> None:
        for change in record.changes:
            try:
                apply_change(change)
            except Exception as error:  # never let one item stop the queue
                print(f"local_aws: DynamoDB replication of {change.key} failed: {error!r}", file=sys.stderr)

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._run, name="ddb-global-table-replication", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        with self.lock:
            while True:
                self._wake.wait(self._drain(force=False))


REPLICATOR = Replicator()


def pending() -> dict[str, int]:
    """Global-table writes not yet applied, per destination region (the RPO backlog)."""
    return REPLICATOR.pending()


def flush() -> int:
    """Apply every pending write the outages allow, now; return how many are still pending."""
    return REPLICATOR.flush()


def _versions(table: Table) -> dict[Key, Version]:
    """Each item's last write (local or replicated) in ``table``."""
    return table.__dict__.setdefault("replica_versions", {})


def apply_change(change: Change) -> None:
    """Put (or delete) one replicated item in its destination, unless the destination left
    the global table or holds a later write of it (last writer wins)."""
    table = change.table
    group = _group(table)
    if group is None or group.tables.get(table.region_name) is not table:
        return
    versions = _versions(table)
    if versions.get(change.key, NEVER) >= change.version:
        return
    versions[change.key] = change.version
    hash_key, range_key = change.key
    item = change.item  # this replica's own copy, put whole: a read sees the old item or the new
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
    elif item is None:
        table.items.get(hash_key, {}).pop(range_key, None)
    else:
        table.items[hash_key][range_key] = item


class Write:
    """The items one API call changed in global tables, sent when it completes."""

    def __init__(self) -> None:
        self.keys: dict[tuple[int, Key], tuple[Table, Key]] = {}

    def mark(self, table: Table, key: Key) -> None:
        self.keys.setdefault((id(table), key), (table, key))

    def commit(self) -> None:
        if not self.keys:
            return
        lag = replication_lag()
        due = time.monotonic() + lag
        records: list[Record] = []
        for table, key in self.keys.values():
            group = _group(table)
            if group is None or group.tables.get(table.region_name) is not table:
                continue
            item = table.get_item(*key)
            version = REPLICATOR.stamp(table.region_name)
            _versions(table)[key] = version
            for peer in group.peers(table.region_name):  # one record per item: replicated individually
                record = Record(table.account_id, table.region_name, peer.region_name, due=due)
                record.changes.append(Change(peer, key, copy.deepcopy(item), version))
                records.append(record)
        for record in records:
            REPLICATOR.send(record, lag)


_local = threading.local()


@contextmanager
def writing(commit_on_error: bool = True) -> Iterator[Write]:
    """One API call's write: the outermost call collects the changed items and, when it
    returns, sends them.  A failed transaction (rolled back) sends nothing."""
    outer: Write | None = getattr(_local, "write", None)
    if outer is not None:
        yield outer
        return
    with REPLICATOR.lock:
        write = _local.write = Write()
        try:
            yield write
        except BaseException:
            if commit_on_error:  # whatever did change (moto does not undo) replicates
                write.commit()
            raise
        else:
            write.commit()
        finally:
            _local.write = None


def _mark(table: Table, key: Key) -> None:
    if _group(table) is None:
        return
    with writing() as write:
        write.mark(table, key)


class ReplicaGroup:
    """The per-region tables of one global table (each with its own items)."""

    def __init__(self, origin: Table):
        self.origin_region = origin.region_name  # where the replicas were created from
        self.tables: dict[str, Table] = {origin.region_name: origin}
        origin.replica_group = self

    def __deepcopy__(self, memo: dict[int, Any]) -> ReplicaGroup:
        # moto deep-copies tables for backups and transaction snapshots; the
        # copies keep pointing at the one live group (and don't copy peers).
        return self

    def peers(self, region: str) -> list[Table]:
        return [t for r, t in sorted(self.tables.items()) if r != region]

    def add(self, table: Table) -> None:
        table.replica_group = self
        self.tables[table.region_name] = table

    def remove(self, region: str) -> None:
        table = self.tables.pop(region)
        table.replica_group = None
        REPLICATOR.discard(table)
        if len(self.tables) == 1:  # no replicas left: a plain table again
            self.tables.popitem()[1].replica_group = None
        elif region == self.origin_region:
            self.origin_region = min(self.tables)


def _group(table: Table) -> ReplicaGroup | None:
    return getattr(table, "replica_group", None)


def _backend(table: Table, region: str) -> DynamoDBBackend:
    return dynamodb_backends[table.account_id][region]


def _kms_key_arn(account_id: str, region: str, key_id: str) -> str:
    """Resolve a key id/ARN/alias in ``region``'s KMS to its ARN, as AWS checks it."""
    if key_id.startswith("arn:") and key_id.split(":")[3] != region:
        raise MockValidationException(f"KMSMasterKeyId {key_id} is not in the replica region {region}")
    try:
        return kms_backends[account_id][region].describe_key(key_id).arn
    except Exception:
        raise MockValidationException(f"KMSMasterKeyId {key_id} does not exist in region {region}") from None


def _sse_for_replica(source: Table, region: str, kms_key_id: str | None) -> dict | None:
    if not (source.sse_specification and source.sse_specification.get("Enabled")):
        return None
    sse: dict[str, Any] = {"Enabled": True, "SSEType": "KMS"}
    if kms_key_id:  # else moto picks the region's alias/aws/dynamodb key
        sse["KMSMasterKeyId"] = _kms_key_arn(source.account_id, region, kms_key_id)
    return sse


def _read_override(table: Table, spec: dict[str, Any]) -> int | None:
    """A replica's ProvisionedThroughputOverride read capacity, if the request sets one."""
    units = (spec.get("ProvisionedThroughputOverride") or {}).get("ReadCapacityUnits")
    if units is not None and table.billing_mode != "PROVISIONED":
        raise MockValidationException(
            "ProvisionedThroughputOverride is only valid for a table in PROVISIONED billing mode"
        )
    return units


def create_replica(source: Table, region: str, spec: dict[str, Any]) -> Table:
    kms_key_id = spec.get("KMSMasterKeyId")
    read_override = _read_override(source, spec)
    group = _group(source)
    if region == source.region_name or (group and region in group.tables):
        raise MockValidationException(
            f"Cannot create a replica of table {source.name} in {region}: "
            f"the table already exists in that region"
        )
    target = _backend(source, region)
    if source.name in target.tables:
        raise ResourceInUseException(f"Table already exists: {source.name}")
    provisioned = source.billing_mode == "PROVISIONED"
    throughput = {
        "ReadCapacityUnits": read_override or source.throughput["ReadCapacityUnits"],
        "WriteCapacityUnits": source.throughput["WriteCapacityUnits"],
    }
    streams = source.stream_specification
    if not (streams or {}).get("StreamEnabled"):  # MREC replicates through streams
        streams = {"StreamEnabled": True, "StreamViewType": STREAM_VIEW_TYPE}
    gsis = [
        {
            "IndexName": gsi.name,
            "KeySchema": copy.deepcopy(gsi.schema),
            "Projection": copy.deepcopy(gsi.projection),
            **({"ProvisionedThroughput": copy.deepcopy(gsi.throughput)} if provisioned else {}),
        }
        for gsi in source.global_indexes
    ]
    replica = target.create_table(
        source.name,
        schema=copy.deepcopy(source.schema),
        throughput=throughput if provisioned else None,
        attr=copy.deepcopy(source.attr),
        global_indexes=gsis,
        indexes=[copy.deepcopy(lsi.describe()) for lsi in source.indexes],
        streams=copy.deepcopy(streams),
        billing_mode=source.billing_mode or "PROVISIONED",
        sse_specification=_sse_for_replica(source, region, kms_key_id),
        tags=[],  # AWS does not copy tags to a new replica
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    replica.table_class_override = spec.get("TableClassOverride")
    replica.read_capacity_override = read_override
    replica.ttl = copy.deepcopy(source.ttl)
    if streams is not source.stream_specification:
        source.set_stream_specification(copy.deepcopy(streams))
    with REPLICATOR.lock:  # the source's items as they are now, with their write times
        replica.items = copy.deepcopy(source.items)
        replica.replica_versions = dict(_versions(source))
        (group or ReplicaGroup(source)).add(replica)
    return replica


# AWS's answer to a Delete (or Update) of a region that holds no replica, quoted by the AWS
# provider, which tolerates it when destroying a table whose replica an
# aws_dynamodb_table_replica already removed (hashicorp/terraform-provider-aws,
# internal/service/dynamodb/table.go, resourceTableDelete).
REPLICA_NOT_FOUND = (
    "Replica specified in the Replica Update or Replica Delete action of the request was not found."
)


def delete_replica(source: Table, region: str) -> None:
    group = _group(source)
    if region == source.region_name:
        raise MockValidationException(
            f"Cannot delete replica in region {region}: it is the region of table {source.name}"
        )
    if group is None or region not in group.tables:
        raise MockValidationException(REPLICA_NOT_FOUND)
    replica = group.tables[region]
    if replica.deletion_protection_enabled:
        raise DeletionProtectedException(replica.name)
    _backend(source, region).tables.pop(replica.name)
    group.remove(region)


def update_replica(source: Table, region: str, spec: dict[str, Any]) -> None:
    group = _group(source)
    if group is None or region not in group.tables:
        raise MockValidationException(REPLICA_NOT_FOUND)
    replica = group.tables[region]
    kms_key_id = spec.get("KMSMasterKeyId")
    if kms_key_id and replica.sse_specification:
        replica.sse_specification["KMSMasterKeyId"] = _kms_key_arn(source.account_id, region, kms_key_id)
    read_override = _read_override(replica, spec)
    if read_override is not None:  # this replica only: not transferred to the others
        replica.read_capacity_override = read_override
        replica.throughput = {**replica.throughput, "ReadCapacityUnits": read_override}


def update_table_replicas(self: DynamoDBBackend, name: str, replica_updates: list[dict[str, Any]]) -> None:
    """New backend method: apply UpdateTable's ReplicaUpdates."""
    source = self.get_table(name)
    for update in replica_updates:
        if "Create" in update:
            create_replica(source, update["Create"]["RegionName"], update["Create"])
        elif "Update" in update:
            update_replica(source, update["Update"]["RegionName"], update["Update"])
        elif "Delete" in update:
            delete_replica(source, update["Delete"]["RegionName"])


def _describe_replica(table: Table) -> dict[str, Any]:
    replica: dict[str, Any] = {"RegionName": table.region_name, "ReplicaStatus": "ACTIVE"}
    if table.sse_specification and table.sse_specification.get("KMSMasterKeyId"):
        replica["KMSMasterKeyId"] = table.sse_specification["KMSMasterKeyId"]
    if table.global_indexes:
        replica["GlobalSecondaryIndexes"] = [{"IndexName": g.name} for g in table.global_indexes]
    # Only a replica created with a TableClassOverride has a class summary of its own
    # (ReplicaDescription.ReplicaTableClassSummary is optional): the provider reads it into
    # aws_dynamodb_table_replica.table_class_override, which forces a new replica on change.
    override = getattr(table, "table_class_override", None)
    if override:
        replica["ReplicaTableClassSummary"] = {"TableClass": override}
    read_override = getattr(table, "read_capacity_override", None)
    if read_override is not None:
        replica["ProvisionedThroughputOverride"] = {"ReadCapacityUnits": read_override}
    return replica


def _patch_describe(original):
    @functools.wraps(original)
    def describe(self: Table, base_key: str = "TableDescription") -> dict[str, Any]:
        result = original(self, base_key=base_key)
        group = _group(self)
        if group is not None:
            result[base_key]["GlobalTableVersion"] = GLOBAL_TABLE_VERSION
            result[base_key]["Replicas"] = [_describe_replica(peer) for peer in group.peers(self.region_name)]
        return result

    return describe


def _patch_update_table(original):
    signature = inspect.signature(original)
    table_wide = ("attr_definitions", "global_index", "throughput", "billing_mode")

    @functools.wraps(original)
    def update_table(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Table:
        arguments = signature.bind(self, *args, **kwargs).arguments
        stream = arguments.get("stream_spec")
        if stream and not stream.get("StreamEnabled") and _group(self.get_table(arguments["name"])):
            raise MockValidationException(STREAM_REQUIRED)
        table = original(self, *args, **kwargs)
        group = _group(table)
        changes = {name: arguments.get(name) for name in table_wide}
        if group is not None and any(changes.values()):
            for peer in group.peers(table.region_name):  # AWS applies these to every replica
                original(
                    _backend(peer, peer.region_name),
                    name=peer.name,
                    **copy.deepcopy(changes),
                    stream_spec=None,
                    deletion_protection_enabled=None,
                    warm_throughput=None,
                )
        if group is not None and changes["throughput"]:  # a read override gives way to it
            for member in group.tables.values():
                member.read_capacity_override = None
        return table

    return update_table


def _patch_update_time_to_live(original):
    @functools.wraps(original)
    def update_time_to_live(self: DynamoDBBackend, table_name: str, ttl_spec: dict[str, Any]) -> None:
        original(self, table_name, ttl_spec)
        table = self.get_table(table_name)
        group = _group(table)
        for peer in group.peers(table.region_name) if group else []:  # synchronized for all replicas
            peer.ttl = copy.deepcopy(table.ttl)

    return update_time_to_live


def _patch_delete_table(original):
    @functools.wraps(original)
    def delete_table(self: DynamoDBBackend, name: str) -> Table:
        table = original(self, name)  # raises first if deletion protection is on
        group = _group(table)
        if group is not None:
            if table.region_name == group.origin_region:
                for peer in group.peers(table.region_name):  # see module docstring
                    _backend(peer, peer.region_name).tables.pop(peer.name, None)
                    group.remove(peer.region_name)
            if table.region_name in group.tables:
                group.remove(table.region_name)
        return table

    return delete_table


def _patch_transact_write_items(original):
    @functools.wraps(original)
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        with writing(commit_on_error=False):  # all or nothing: a cancelled one sends nothing
            before = dict(self.tables)
            touched = {
                op.get("TableName") for item in transact_items for op in item.values() if isinstance(op, dict)
            }
            snapshots = {
                name: copy.deepcopy(table.items)
                for name, table in before.items()
                if _group(table) is not None and (name in touched or table.table_arn in touched)
            }
            try:
                return original(self, transact_items)
            except Exception:
                for name, items in snapshots.items():
                    table = before[name]
                    self.tables[name] = table  # undo moto's swap to a detached deep copy
                    table.items.clear()
                    table.items.update(items)  # in place: the table stays in its global table
                raise

    return transact_write_items


def _patch_writes(original: Callable[..., Any]) -> Callable[..., Any]:
    """A backend write (PutItem, DeleteItem, PartiQL): its changes replicate when it returns."""

    @functools.wraps(original)
    def write(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with writing():
            return original(self, *args, **kwargs)

    return write


def _patch_reads(original: Callable[..., Any]) -> Callable[..., Any]:
    """GetItem, Query, Scan: between two writes or replicated records, never inside one."""

    @functools.wraps(original)
    def read(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with REPLICATOR.lock:
            return original(self, *args, **kwargs)

    return read


def _patch_update_item(original: Callable[..., Item]) -> Callable[..., Item]:
    """UpdateItem edits the stored item in place: mark it once the update is done."""

    @functools.wraps(original)
    def update_item(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Item:
        with writing():
            item = original(self, *args, **kwargs)
            name = kwargs["table_name"] if "table_name" in kwargs else args[0]
            _mark(self.get_table(name), (item.hash_key, item.range_key))
            return item

    return update_item


def _patch_table_put_item(original: Callable[..., Item]) -> Callable[..., Item]:
    @functools.wraps(original)
    def put_item(self: Table, *args: Any, **kwargs: Any) -> Item:
        item = original(self, *args, **kwargs)
        _mark(self, (item.hash_key, item.range_key))
        return item

    return put_item


def _patch_table_delete_item(original: Callable[..., Item | None]) -> Callable[..., Item | None]:
    @functools.wraps(original)
    def delete_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
        item = original(self, hash_key, range_key)
        if item is not None:
            _mark(self, (hash_key, range_key))
        return item

    return delete_item


def _patch_reset(original: Callable[[DynamoDBBackend], None]) -> Callable[[DynamoDBBackend], None]:
    @functools.wraps(original)
    def reset(self: DynamoDBBackend) -> None:
        REPLICATOR.drop(self.account_id, self.region_name)  # /moto-api/reset: nothing left in flight
        original(self)

    return reset


def _patch_handler_update_table(original):
    @functools.wraps(original)
    def update_table(self: DynamoHandler):
        replica_updates = self.body.get("ReplicaUpdates")
        if replica_updates:
            self.dynamodb_backend.update_table_replicas(self.body["TableName"], replica_updates)
        return original(self)

    return update_table


def apply() -> None:
    replication_lag()  # a bad EMULATOR_DDB_REPLICATION_LAG fails at start, not on a write
    Table.replica_group = None  # class default: not a global table
    Table.describe = _patch_describe(Table.describe)
    Table.put_item = _patch_table_put_item(Table.put_item)
    Table.delete_item = _patch_table_delete_item(Table.delete_item)
    DynamoDBBackend.update_table_replicas = update_table_replicas
    DynamoDBBackend.update_table = _patch_update_table(DynamoDBBackend.update_table)
    DynamoDBBackend.delete_table = _patch_delete_table(DynamoDBBackend.delete_table)
    DynamoDBBackend.update_time_to_live = _patch_update_time_to_live(DynamoDBBackend.update_time_to_live)
    DynamoDBBackend.transact_write_items = _patch_transact_write_items(DynamoDBBackend.transact_write_items)
    DynamoDBBackend.update_item = _patch_update_item(DynamoDBBackend.update_item)
    for name in (
        "put_item",
        "delete_item",
        "execute_statement",
        "execute_transaction",
        "batch_execute_statement",
    ):
        setattr(DynamoDBBackend, name, _patch_writes(getattr(DynamoDBBackend, name)))
    for name in ("get_item", "query", "scan"):
        setattr(DynamoDBBackend, name, _patch_reads(getattr(DynamoDBBackend, name)))
    DynamoDBBackend.reset = _patch_reset(DynamoDBBackend.reset)
    DynamoHandler.update_table = _patch_handler_update_table(DynamoHandler.update_table)

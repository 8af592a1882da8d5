"""DynamoDB global tables: the replication between the replicas of one global table.

A global table is a ``ReplicaGroup``: one ordinary moto ``Table`` per region, each with its own
items, kept in step by asynchronous replication (multi-Region eventual consistency, the default
mode of version 2019.11.21). The group's replicas are managed in ``dynamodb_replicas``; the
writes that feed this replication are hooked in ``dynamodb_global_tables``.

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
  game day measures: ``dynamodb_global_tables.pending()`` counts the writes not yet applied
  per destination.
* conflicts: every write carries its timestamp; a replicated item older than the one the
  destination holds is dropped, so concurrent writes of one item in two regions converge on
  the later one everywhere ("last writer wins", as AWS reconciles them).
* the destination's GSIs follow, since the item lands in a real moto table; a replicated write
  enters the destination's point-in-time history (``patches/dynamodb_point_in_time.py``) when it
  lands there, as that region's own write.
* ``dynamodb_global_tables.pending()`` and ``flush()`` (apply everything the outages allow,
  now) are for tests; ``/moto-api/reset`` drops pending records.  One daemon thread applies
  records; it idles when nothing is pending.

Not modelled: ``ReplicationLatency`` metrics, a stream record in the destination for a replicated
write, writes in flight to a third region when a new replica is created from another one.

AWS: a new item usually propagated within a second, "last writer wins" reconciliation:
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html;
MREC: items replicated individually, conflicts resolved by the write's timestamp:
https://docs.aws.amazon.com/prescriptive-guidance/latest/dynamodb-global-tables/overview.html
"""

from __future__ import annotations

import copy
import math
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from local_aws.patches import dynamodb_point_in_time as point_in_time
from local_aws.regions import OUTAGES, time_scale

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


def item_versions(table: Table) -> dict[Key, Version]:
    """Each item's last write (local or replicated) in ``table``."""
    return table.__dict__.setdefault("replica_versions", {})


def apply_change(change: Change) -> None:
    """Put (or delete) one replicated item in its destination, unless the destination left
    the global table or holds a later write of it (last writer wins)."""
    table = change.table
    group = group_of(table)
    if group is None or group.tables.get(table.region_name) is not table:
        return
    versions = item_versions(table)
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
    point_in_time.record(table, change.key)  # the replica region's own PITR history


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
            group = group_of(table)
            if group is None or group.tables.get(table.region_name) is not table:
                continue
            item = table.get_item(*key)
            version = REPLICATOR.stamp(table.region_name)
            item_versions(table)[key] = version
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


def mark(table: Table, key: Key) -> None:
    if group_of(table) is None:
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


def group_of(table: Table) -> ReplicaGroup | None:
    return getattr(table, "replica_group", None)

"""Gap: moto 5.2.5 has no DynamoDB global tables (version 2019.11.21).

moto's ``UpdateTable`` handler drops ``ReplicaUpdates`` and ``DescribeTable``
never reports ``Replicas``, so the AWS provider's ``aws_dynamodb_table``
(``replica { ... }`` block) polls DescribeTable for the replica to become
ACTIVE until its 30 minute create timeout.

This patch models a global table as a ``ReplicaGroup``: one ordinary moto
``Table`` per region, registered in that region's DynamoDB backend, each with
its own items, kept in step by asynchronous replication.  ``apply()`` hooks it into moto:

* the replicas and the settings kept in step between them (``UpdateTable`` ``ReplicaUpdates``,
  ``DescribeTable`` ``Replicas``, synchronized settings, streams, ``DeleteTable``):
  ``dynamodb_replicas``;
* the replication itself (records, lag, outages, last writer wins): ``dynamodb_replication``;
* here, the writes that feed it: each API call that writes a global table (PutItem,
  UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems, PartiQL) sends the items it
  changed when it returns, and reads (GetItem, Query, Scan) run between writes and replicated
  records, never inside one.  ``pending()`` and ``flush()`` are the replication's backlog for
  tests and game days; ``/moto-api/reset`` drops it.
* a failed ``TransactWriteItems`` rolls back the written table in place (moto
  swaps in a deep copy of the table, which would detach it from its global table).

AWS: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

from local_aws.dataplane import dynamodb_replicas as replicas
from local_aws.dataplane.dynamodb_replication import REPLICATOR, group_of, mark, replication_lag, writing


def pending() -> dict[str, int]:
    """Global-table writes not yet applied, per destination region (the RPO backlog)."""
    return REPLICATOR.pending()


def flush() -> int:
    """Apply every pending write the outages allow, now; return how many are still pending."""
    return REPLICATOR.flush()


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
                if group_of(table) is not None and (name in touched or table.table_arn in touched)
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
            mark(self.get_table(name), (item.hash_key, item.range_key))
            return item

    return update_item


def _patch_table_put_item(original: Callable[..., Item]) -> Callable[..., Item]:
    @functools.wraps(original)
    def put_item(self: Table, *args: Any, **kwargs: Any) -> Item:
        item = original(self, *args, **kwargs)
        mark(self, (item.hash_key, item.range_key))
        return item

    return put_item


def _patch_table_delete_item(original: Callable[..., Item | None]) -> Callable[..., Item | None]:
    @functools.wraps(original)
    def delete_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
        item = original(self, hash_key, range_key)
        if item is not None:
            mark(self, (hash_key, range_key))
        return item

    return delete_item


def _patch_reset(original: Callable[[DynamoDBBackend], None]) -> Callable[[DynamoDBBackend], None]:
    @functools.wraps(original)
    def reset(self: DynamoDBBackend) -> None:
        REPLICATOR.drop(self.account_id, self.region_name)  # /moto-api/reset: nothing left in flight
        original(self)

    return reset


def apply() -> None:
    replication_lag()  # a bad EMULATOR_DDB_REPLICATION_LAG fails at start, not on a write
    Table.replica_group = None  # class default: not a global table
    Table.describe = replicas.patch_describe(Table.describe)
    Table.put_item = _patch_table_put_item(Table.put_item)
    Table.delete_item = _patch_table_delete_item(Table.delete_item)
    DynamoDBBackend.update_table_replicas = replicas.update_table_replicas
    DynamoDBBackend.update_table = replicas.patch_update_table(DynamoDBBackend.update_table)
    DynamoDBBackend.delete_table = replicas.patch_delete_table(DynamoDBBackend.delete_table)
    DynamoDBBackend.update_time_to_live = replicas.patch_update_time_to_live(
        DynamoDBBackend.update_time_to_live
    )
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
    DynamoHandler.update_table = replicas.patch_handler_update_table(DynamoHandler.update_table)

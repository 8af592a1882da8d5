"""Gap: moto 5.2.5 has no DynamoDB global tables (version 2019.11.21).

moto's ``UpdateTable`` handler drops ``ReplicaUpdates`` and ``DescribeTable``
never reports ``Replicas``, so the AWS provider's ``aws_dynamodb_table``
(``replica { ... }`` block) polls DescribeTable for the replica to become
ACTIVE until its 30 minute create timeout.

This patch models a global table as a ``ReplicaGroup``: one ordinary moto
``Table`` per region, registered in that region's DynamoDB backend, sharing a
single item store, so:

* ``UpdateTable`` ``ReplicaUpdates`` ``Create`` builds the replica in the
  target region's backend (same key schema, attributes, GSIs, LSIs, billing
  mode, stream spec; SSE with the replica's ``KMSMasterKeyId``, which must
  name a key that exists in that region, as on AWS).  It is ACTIVE at once.
  ``Update`` changes the replica's KMS key; ``Delete`` removes the replica (refused
  while the replica has deletion protection; a region without a replica gets AWS's
  "Replica ... was not found" ValidationException).
* ``DescribeTable`` in any member region lists the *other* regions under
  ``Replicas`` (``ReplicaStatus: ACTIVE``, ``KMSMasterKeyId``, GSIs) and
  reports ``GlobalTableVersion: 2019.11.21``, as AWS does (a table-class summary only
  for a replica created with ``TableClassOverride``).
* items written in any region are visible in every region; PITR, tags,
  streams and deletion protection are per-region, as on AWS, and work
  because the replica is a real table in its region's backend.  (A write
  emits a stream record only in the region it was made in.)
* table-wide ``UpdateTable`` changes (attribute definitions, GSI
  create/update/delete, billing mode, provisioned throughput) made in one
  region are applied to every replica, as AWS propagates them.
* ``DeleteTable`` of a replica removes that replica only.  ``DeleteTable``
  of the table the replicas were created from also deletes its replicas
  (AWS would keep them as a global table of their own; the emulator
  removes them so nothing is left behind).
* a failed ``TransactWriteItems`` rolls back the shared item store in place
  (moto swaps in a deep copy of the table, which would split the store).

AWS: global tables version 2019.11.21, replicas created with UpdateTable ``ReplicaUpdates`` and
reported in DescribeTable ``Replicas``:
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html
and https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html
"""

from __future__ import annotations

import copy
import functools
import inspect
from typing import Any

from moto.dynamodb.exceptions import (
    DeletionProtectedException,
    MockValidationException,
    ResourceInUseException,
)
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.kms import kms_backends

GLOBAL_TABLE_VERSION = "2019.11.21"


class ReplicaGroup:
    """The per-region tables of one global table; they share one item store."""

    def __init__(self, origin: Table):
        self.origin_region = origin.region_name  # where the replicas were created from
        self.items = origin.items
        self.tables: dict[str, Table] = {origin.region_name: origin}
        origin.replica_group = self

    def __deepcopy__(self, memo: dict[int, Any]) -> ReplicaGroup:
        # moto deep-copies tables for backups and transaction snapshots; the
        # copies keep pointing at the one live group (and don't copy peers).
        return self

    def peers(self, region: str) -> list[Table]:
        return [t for r, t in sorted(self.tables.items()) if r != region]

    def add(self, table: Table) -> None:
        table.items = self.items
        table.replica_group = self
        self.tables[table.region_name] = table

    def remove(self, region: str) -> None:
        self.tables.pop(region).replica_group = None
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


def create_replica(
    source: Table, region: str, kms_key_id: str | None, table_class_override: str | None = None
) -> Table:
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
        "ReadCapacityUnits": source.throughput["ReadCapacityUnits"],
        "WriteCapacityUnits": source.throughput["WriteCapacityUnits"],
    }
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
        streams=copy.deepcopy(source.stream_specification),
        billing_mode=source.billing_mode or "PROVISIONED",
        sse_specification=_sse_for_replica(source, region, kms_key_id),
        tags=[],  # AWS does not copy tags to a new replica
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    replica.table_class_override = table_class_override
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


def update_replica(source: Table, region: str, kms_key_id: str | None) -> None:
    group = _group(source)
    if group is None or region not in group.tables:
        raise MockValidationException(REPLICA_NOT_FOUND)
    replica = group.tables[region]
    if kms_key_id and replica.sse_specification:
        replica.sse_specification["KMSMasterKeyId"] = _kms_key_arn(source.account_id, region, kms_key_id)


def update_table_replicas(self: DynamoDBBackend, name: str, replica_updates: list[dict[str, Any]]) -> None:
    """New backend method: apply UpdateTable's ReplicaUpdates."""
    source = self.get_table(name)
    for update in replica_updates:
        if "Create" in update:
            spec = update["Create"]
            create_replica(
                source, spec["RegionName"], spec.get("KMSMasterKeyId"), spec.get("TableClassOverride")
            )
        elif "Update" in update:
            spec = update["Update"]
            update_replica(source, spec["RegionName"], spec.get("KMSMasterKeyId"))
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
        table = original(self, *args, **kwargs)
        group = _group(table)
        arguments = signature.bind(self, *args, **kwargs).arguments
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
        return table

    return update_table


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
                table.items.update(items)  # in place: every region sees the rollback
            raise

    return transact_write_items


def _patch_handler_update_table(original):
    @functools.wraps(original)
    def update_table(self: DynamoHandler):
        replica_updates = self.body.get("ReplicaUpdates")
        if replica_updates:
            self.dynamodb_backend.update_table_replicas(self.body["TableName"], replica_updates)
        return original(self)

    return update_table


def apply() -> None:
    Table.replica_group = None  # class default: not a global table
    Table.describe = _patch_describe(Table.describe)
    DynamoDBBackend.update_table_replicas = update_table_replicas
    DynamoDBBackend.update_table = _patch_update_table(DynamoDBBackend.update_table)
    DynamoDBBackend.delete_table = _patch_delete_table(DynamoDBBackend.delete_table)
    DynamoDBBackend.transact_write_items = _patch_transact_write_items(DynamoDBBackend.transact_write_items)
    DynamoHandler.update_table = _patch_handler_update_table(DynamoHandler.update_table)

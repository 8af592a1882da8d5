"""DynamoDB global tables (version 2019.11.21): the replicas of one global table and their settings.

moto's ``UpdateTable`` handler drops ``ReplicaUpdates`` and ``DescribeTable`` never reports
``Replicas``. Each replica here is an ordinary moto ``Table`` in its region's backend, a member of
the global table's ``ReplicaGroup`` (``dynamodb_replication``, which keeps their items in step);
``dynamodb_global_tables.apply`` hooks the functions below into moto:

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

Not modelled: MRSC (strongly consistent) global tables, GSI-level and on-demand throughput
overrides, auto scaling settings, and TTL deleting expired items.

AWS: global tables version 2019.11.21, replicas created with UpdateTable ``ReplicaUpdates`` and
reported in DescribeTable ``Replicas``, streams, TTL, read/write throughput and settings
synchronization:
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

from local_aws.dataplane.dynamodb_replication import REPLICATOR, ReplicaGroup, group_of, item_versions

GLOBAL_TABLE_VERSION = "2019.11.21"
STREAM_VIEW_TYPE = "NEW_AND_OLD_IMAGES"  # undocumented: assumed for a stream a new replica switches on
# Undocumented: assumed ValidationException; the message is AWS's answer as quoted in
# terraform-aws-modules/terraform-aws-dynamodb-table#30 (a Terraform apply against AWS).
STREAM_REQUIRED = (
    "One or more parameter values were invalid: Disabling Stream is not allowed for a Global Table replica."
)


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
    group = group_of(source)
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
        replica.replica_versions = dict(item_versions(source))
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
    group = group_of(source)
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
    group = group_of(source)
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


def patch_describe(original):
    @functools.wraps(original)
    def describe(self: Table, base_key: str = "TableDescription") -> dict[str, Any]:
        result = original(self, base_key=base_key)
        group = group_of(self)
        if group is not None:
            result[base_key]["GlobalTableVersion"] = GLOBAL_TABLE_VERSION
            result[base_key]["Replicas"] = [_describe_replica(peer) for peer in group.peers(self.region_name)]
        return result

    return describe


def patch_update_table(original):
    signature = inspect.signature(original)
    table_wide = ("attr_definitions", "global_index", "throughput", "billing_mode")

    @functools.wraps(original)
    def update_table(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Table:
        arguments = signature.bind(self, *args, **kwargs).arguments
        stream = arguments.get("stream_spec")
        if stream and not stream.get("StreamEnabled") and group_of(self.get_table(arguments["name"])):
            raise MockValidationException(STREAM_REQUIRED)
        table = original(self, *args, **kwargs)
        group = group_of(table)
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


def patch_update_time_to_live(original):
    @functools.wraps(original)
    def update_time_to_live(self: DynamoDBBackend, table_name: str, ttl_spec: dict[str, Any]) -> None:
        original(self, table_name, ttl_spec)
        table = self.get_table(table_name)
        group = group_of(table)
        for peer in group.peers(table.region_name) if group else []:  # synchronized for all replicas
            peer.ttl = copy.deepcopy(table.ttl)

    return update_time_to_live


def patch_delete_table(original):
    @functools.wraps(original)
    def delete_table(self: DynamoDBBackend, name: str) -> Table:
        table = original(self, name)  # raises first if deletion protection is on
        group = group_of(table)
        if group is not None:
            if table.region_name == group.origin_region:
                for peer in group.peers(table.region_name):  # see module docstring
                    _backend(peer, peer.region_name).tables.pop(peer.name, None)
                    group.remove(peer.region_name)
            if table.region_name in group.tables:
                group.remove(table.region_name)
        return table

    return delete_table


def patch_handler_update_table(original):
    @functools.wraps(original)
    def update_table(self: DynamoHandler):
        replica_updates = self.body.get("ReplicaUpdates")
        if replica_updates:
            self.dynamodb_backend.update_table_replicas(self.body["TableName"], replica_updates)
        return original(self)

    return update_table

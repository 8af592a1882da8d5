"""Gap: moto's RestoreTableToPointInTime copies the table as it is now, whatever the time.

moto 5.2.5 reads only ``SourceTableName`` and ``TargetTableName`` and copies every item the
source holds now ("will copy all items from the source without respect to other arguments"),
so a restore to before a bad write returns the bad data, and ``SourceTableArn`` (the only way to
name a table in another region) is ignored. This patch answers the operation as AWS documents
it, from the history ``dynamodb_point_in_time.py`` keeps:

* when: ``RestoreDateTime`` or ``UseLatestRestorableTime`` ("Restore the table to the latest
  possible time."), within the window: otherwise ``InvalidRestoreTimeException``, "An invalid
  restore time was specified. RestoreDateTime must be between EarliestRestorableDateTime and
  LatestRestorableDateTime." (https://docs.aws.amazon.com/botocore/latest/reference/services/dynamodb/client/exceptions/InvalidRestoreTimeException.html);
  a source without PITR: ``PointInTimeRecoveryUnavailableException``, "Point in time recovery
  has not yet been enabled for this source table."
  (https://docs.aws.amazon.com/botocore/latest/reference/services/dynamodb/client/exceptions/PointInTimeRecoveryUnavailableException.html).
  Both times or neither, both source names or
  neither: ``ValidationException`` (undocumented: assumed refused).
* what: "DynamoDB restores your table data to the state based on the selected date and time
  (day:hour:minute:second) to a new table." A deleted item is absent and an overwritten item has
  its old value; every write made before the end of the selected second counts (undocumented:
  assumed, so a tool must pick a second before the bad write's). "Along with data, the following
  are also included on the new restored table using point in time recovery: Global secondary
  indexes (GSIs), Local secondary indexes (LSIs), Provisioned read and write capacity,
  Encryption settings. All these settings come from the current settings of the source table at
  the time of restore." with ``BillingModeOverride``, ``ProvisionedThroughputOverride``,
  ``GlobalSecondaryIndexOverride`` / ``LocalSecondaryIndexOverride`` ("The indexes provided
  should match existing secondary indexes. You can choose to exclude some or all of the indexes
  at the time of restore.": an index the source lacks, or with another key schema, is refused)
  and ``SSESpecificationOverride`` (a KMS key must exist in the target region). "You must
  manually set up the following on the restored table: Auto scaling policies, IAM policies,
  Amazon CloudWatch metrics and alarms, Tags, Stream settings, Time to Live (TTL) settings,
  Point in time recovery settings": the new table has no tags, no stream, TTL and PITR
  disabled, no deletion protection
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_RestoreTableToPointInTime.html).
* where: the request's region. ``SourceTableArn`` may name a table in another region: "You can
  restore the table to a different AWS Region from where the source table resides." with
  "The ``sse-specification-override`` parameter is mandatory for cross-Region restores" and "The
  ``source-table-arn`` parameter must be provided for cross-Region restores."
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery.Tutorial.html):
  a cross-region restore without ``SSESpecificationOverride`` is ``ValidationException``. A
  source region switched out (the emulator's outage) answers 503 ``ServiceUnavailable``
  (undocumented: assumed, a region that is down serves no restore from its backups). A target
  name that exists: ``TableAlreadyExistsException`` ("A target table with the specified name
  already exists.").
* the new table: "The table that is being restored is shown with the status **Creating** and
  restore in progress as **true**. After the restore process is finished, the status ... changes
  to **Active**." (PointInTimeRecovery.Tutorial, above). It is CREATING, with ``RestoreSummary``
  ``RestoreInProgress: true``, for ``RESTORE_SECONDS`` (1 real second: AWS takes minutes or
  more, so a tool must poll for ACTIVE), and until then item reads and writes answer
  ``ResourceNotFoundException`` ("The resource might not be specified correctly, or its status
  might not be ACTIVE.",
  https://docs.aws.amazon.com/botocore/latest/reference/services/dynamodb/client/exceptions/ResourceNotFoundException.html).

Not modelled: the restore's duration on AWS, ``OnDemandThroughputOverride``, warm throughput,
restores from a deleted table's system backup, the 50 concurrent restores per account.
"""

from __future__ import annotations

import calendar
import copy
import datetime
import functools
import math
import time
from collections.abc import Callable
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.dynamodb.exceptions import (
    MockValidationException,
    ResourceNotFoundException,
    TableAlreadyExistsException,
    TableNotFoundException,
)
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler, DynamoResult
from moto.kms import kms_backends

from local_aws.patches import dynamodb_point_in_time as pitr
from local_aws.regions import OUTAGES

ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#"
RESTORE_SECONDS = 1.0  # real seconds a restored table stays CREATING
RESTORING = "local_aws_restoring_until"  # a restored table's end of CREATING (epoch seconds)
SUMMARY = "local_aws_restore_summary"  # its RestoreSummary
ITEM_OPERATIONS = ("get_item", "put_item", "delete_item", "update_item", "query", "scan")


class InvalidRestoreTimeException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__(
            ERROR_PREFIX + "InvalidRestoreTimeException",
            "An invalid restore time was specified. RestoreDateTime must be between "
            "EarliestRestorableDateTime and LatestRestorableDateTime.",
        )


class PointInTimeRecoveryUnavailableException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__(
            ERROR_PREFIX + "PointInTimeRecoveryUnavailableException",
            "Point in time recovery has not yet been enabled for this source table.",
        )


class SourceRegionUnavailable(JsonRESTError):
    code = 503

    def __init__(self, region: str) -> None:
        super().__init__("ServiceUnavailable", f"The source table's Region {region} is unavailable.")


def _epoch(value: Any) -> float:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return calendar.timegm(value.timetuple()) + value.microsecond / 1e6
        return value.timestamp()
    return float(value)


def _source(handler: DynamoHandler, body: dict[str, Any]) -> Table:
    name, arn = body.get("SourceTableName"), body.get("SourceTableArn")
    if bool(name) == bool(arn):
        raise MockValidationException("Exactly one of SourceTableName and SourceTableArn must be specified")
    if name:
        account, region, table_name = handler.current_account, handler.region, name
    else:
        parts = str(arn).split(":", 5)
        if len(parts) != 6 or parts[2] != "dynamodb" or not parts[5].startswith("table/"):
            raise MockValidationException(f"Invalid SourceTableArn: {arn}")
        region, account, table_name = parts[3], parts[4], parts[5].removeprefix("table/")
        if account != handler.current_account:
            raise TableNotFoundException(str(arn))
        if region != handler.region and OUTAGES.is_down(region):
            raise SourceRegionUnavailable(region)
    try:
        return dynamodb_backends[account][region].get_table(table_name)
    except ResourceNotFoundException:
        raise TableNotFoundException(table_name) from None


def _restore_time(source: Table, body: dict[str, Any]) -> float:
    latest_wanted, date = body.get("UseLatestRestorableTime"), body.get("RestoreDateTime")
    bounds = pitr.window(source)
    if bounds is None:
        raise PointInTimeRecoveryUnavailableException()
    if bool(latest_wanted) == (date is not None):
        raise MockValidationException(
            "Exactly one of RestoreDateTime and UseLatestRestorableTime (true) must be specified"
        )
    when = bounds[1] if latest_wanted else _epoch(date)
    if not bounds[0] <= when <= bounds[1]:
        raise InvalidRestoreTimeException()
    return when


def _kms_key_arn(account: str, region: str, key_id: str) -> str:
    if key_id.startswith("arn:") and key_id.split(":")[3] != region:
        raise MockValidationException(f"KMSMasterKeyId {key_id} is not in the Region {region}")
    try:
        return kms_backends[account][region].describe_key(key_id).arn
    except Exception:
        raise MockValidationException(f"KMSMasterKeyId {key_id} does not exist in Region {region}") from None


def _sse(source: Table, backend: DynamoDBBackend, body: dict[str, Any], cross_region: bool) -> Any:
    override = body.get("SSESpecificationOverride")
    if override is None:
        if cross_region:
            raise MockValidationException("SSESpecificationOverride is required for a cross-Region restore")
        return copy.deepcopy(source.sse_specification)
    if not override.get("Enabled"):
        return None  # an AWS owned key
    sse = {"Enabled": True, "SSEType": "KMS"}
    if override.get("KMSMasterKeyId"):  # else moto takes the region's alias/aws/dynamodb
        sse["KMSMasterKeyId"] = _kms_key_arn(
            backend.account_id, backend.region_name, override["KMSMasterKeyId"]
        )
    return sse


def _indexes(existing: list[Any], override: list[dict[str, Any]] | None, kind: str) -> list[dict[str, Any]]:
    """The source's indexes as CreateTable takes them, or the override, each of which must be one
    of them (same name, same key schema)."""
    current = {index.name: index.describe() for index in existing}
    if override is None:
        return [copy.deepcopy(spec) for spec in current.values()]
    for spec in override:
        known = current.get(spec.get("IndexName"))
        if known is None or known["KeySchema"] != spec.get("KeySchema"):
            raise MockValidationException(
                f"{kind} {spec.get('IndexName')} does not match an index of the source table"
            )
    return copy.deepcopy(override)


def _throughput(source: Table, billing: str, body: dict[str, Any]) -> dict[str, int] | None:
    if billing == "PAY_PER_REQUEST":
        return None
    override = body.get("ProvisionedThroughputOverride")
    if override:
        return dict(override)
    if source.billing_mode == "PAY_PER_REQUEST":
        raise MockValidationException("ProvisionedThroughputOverride is required for PROVISIONED billing")
    return {k: v for k, v in source.throughput.items() if k in ("ReadCapacityUnits", "WriteCapacityUnits")}


def restore(
    backend: DynamoDBBackend,
    source: Table,
    target: str,
    when: float,
    body: dict[str, Any],
    *,
    cross_region: bool,
) -> Table:
    """Create ``target`` in ``backend``'s region with ``source``'s items as at ``when``."""
    if target in backend.tables:
        raise TableAlreadyExistsException(target)
    billing = body.get("BillingModeOverride") or source.billing_mode or "PROVISIONED"
    table = backend.create_table(
        name=target,
        schema=copy.deepcopy(source.schema),
        throughput=_throughput(source, billing, body),
        attr=copy.deepcopy(source.attr),
        global_indexes=_indexes(source.global_indexes, body.get("GlobalSecondaryIndexOverride"), "GSI"),
        indexes=_indexes(source.indexes, body.get("LocalSecondaryIndexOverride"), "LSI"),
        streams=None,  # "Stream settings" are set up manually
        billing_mode=billing,
        sse_specification=_sse(source, backend, body, cross_region),
        tags=[],  # so are "Tags"
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    for item in pitr.items_at(source, when):  # straight into the store: the restore is no write
        if table.range_key_attr:
            table.items[item.hash_key][item.range_key] = item
        else:
            table.items[item.hash_key] = item
    table.__dict__[RESTORING] = now() + RESTORE_SECONDS
    table.__dict__[SUMMARY] = {
        "SourceTableArn": source.table_arn,
        "RestoreDateTime": datetime.datetime.fromtimestamp(math.floor(when), datetime.UTC).replace(
            tzinfo=None
        ),
    }
    return table


def now() -> float:
    """The clock that ends CREATING (a test moves it on)."""
    return time.time()


def restoring(table: Table) -> bool:
    return now() < table.__dict__.get(RESTORING, 0.0)


def restore_table_to_point_in_time(self: DynamoHandler) -> DynamoResult:
    body = self.body
    source = _source(self, body)
    when = _restore_time(source, body)
    cross_region = source.region_name != self.region
    table = restore(
        self.dynamodb_backend, source, body["TargetTableName"], when, body, cross_region=cross_region
    )
    return DynamoResult(table.describe())


def _patch_describe(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(original)
    def describe(self: Table, base_key: str = "TableDescription") -> dict[str, Any]:
        result = original(self, base_key=base_key)
        summary = self.__dict__.get(SUMMARY)
        if summary is not None:
            in_progress = restoring(self)
            result[base_key]["RestoreSummary"] = {**summary, "RestoreInProgress": in_progress}
            if in_progress:
                result[base_key]["TableStatus"] = "CREATING"
        return result

    return describe


def _refuse_while_creating(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def operation(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        name = kwargs["table_name"] if "table_name" in kwargs else args[0]
        table = self.tables.get(name) or next((t for t in self.tables.values() if t.table_arn == name), None)
        if table is not None and restoring(table):
            raise ResourceNotFoundException()
        return original(self, *args, **kwargs)

    return operation


def apply() -> None:
    Table.describe = _patch_describe(Table.describe)  # type: ignore[method-assign]
    for name in ITEM_OPERATIONS:
        setattr(DynamoDBBackend, name, _refuse_while_creating(getattr(DynamoDBBackend, name)))
    original = DynamoHandler.restore_table_to_point_in_time
    DynamoHandler.restore_table_to_point_in_time = functools.wraps(original)(restore_table_to_point_in_time)  # type: ignore[method-assign]

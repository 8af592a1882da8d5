"""The restore half of dr/restore.py: the payments table as it was at a time T, in a NEW table of
one region, named and tagged for what it is, waited for until ACTIVE.

Each step after the AWS sentence it follows:

- **T** is a whole second in UTC: "DynamoDB restores your table data to the state based on the
  selected date and time (day:hour:minute:second) to a new table."
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_RestoreTableToPointInTime.html).
  A write made within the second T counts as made at T (undocumented: assumed, as the emulator
  does): choose a T at least one second before the bad write.
- **The window is checked before the restore.** "Restores the specified table to the specified
  point in time within ``EarliestRestorableDateTime`` and ``LatestRestorableDateTime``" (same
  page), and "``LatestRestorableDateTime`` is typically 5 minutes before the current time."
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PointInTimeRecoveryDescription.html):
  ``DescribeContinuousBackups`` gives both, and a T outside them is refused in one line before
  ``RestoreTableToPointInTime`` is called.
- **The source is the table in the surviving region.** The payments table is a global table
  whose replica in each region has point-in-time recovery of its own (lib/table.py), so the
  replica of the region chosen (``--region-role``) is restored within that region, by its ARN
  (``SourceTableArn``): no call and no backup of the other region is involved. DynamoDB also
  restores across regions ("You can restore the table to the same AWS Region or to a different
  Region from where the source table resides.",
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery.Tutorial.html),
  but that reads the other region's backups: not what a recovery from a region in trouble
  should rest on. The restored table keeps the source's encryption ("Encryption settings ... come
  from the current settings of the source table at the time of restore": the region's key).
- **One name per T:** ``<table>-restore-<T as yyyymmddThhmmssZ>``. A second run for the same T
  finds the table the first made (its ``RestoreSummary`` names this source and this T) and
  waits for it instead of restoring twice; a table of that name that is another restore is
  refused.
- **Tags are set afterwards:** "You must manually set up the following on the restored table:
  ... Tags" (API_RestoreTableToPointInTime): ``TagResource`` once ACTIVE with what it is, from
  which table, to which T and by whom, in the characters DynamoDB allows ("letters, white space,
  and numbers, plus the following special characters: + - = . _ : /",
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TaggingRestrictions.html).
- **ACTIVE, bounded:** "The table that is being restored is shown with the status Creating and
  restore in progress as true. After the restore process is finished, the status ... changes to
  Active." (PointInTimeRecovery.Tutorial): polled until then, at most ``wait`` seconds.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

NAME_FORMAT = "%Y%m%dT%H%M%SZ"
ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
TAG_PREFIX = "restore:"
WHAT = "point-in-time restore of the payments table for a bad-data repair by dr.restore: inspect then delete"
TAG_VALUE_MAX = 256
_NOT_TAGGABLE = re.compile(r"[^\w\s+\-=.:/]")


class RestoreError(Exception):
    """The restore cannot go on: the message is one line for the operator (exit 1)."""


class RestoreRefused(RestoreError):
    """Refused before anything was restored or written (a bad T, a name taken): exit 2."""


def parse_restore_point(text: str) -> datetime:
    """``--to``: an ISO-8601 UTC time to the second (``2026-05-01T12:00:00Z`` or ``+00:00``)."""
    example = "an ISO-8601 UTC time to the second, e.g. 2026-05-01T12:00:00Z"
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise RestoreRefused(f"--to {text!r} is not {example}") from None
    if when.tzinfo is None or when.utcoffset() != UTC.utcoffset(None):
        raise RestoreRefused(f"--to {text!r} is not in UTC: give {example}")
    if when.microsecond:
        raise RestoreRefused(f"--to {text!r} has a fraction of a second: DynamoDB restores to the second")
    return when.astimezone(UTC)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime(ISO_FORMAT)


def restored_table_name(table: str, when: datetime) -> str:
    """The new table's name: the live table's, ``-restore-`` and T (one name per T)."""
    return f"{table}-restore-{when.astimezone(UTC).strftime(NAME_FORMAT)}"


@dataclass(frozen=True)
class Window:
    """What DescribeContinuousBackups says may be restored, now."""

    earliest: datetime
    latest: datetime

    def holds(self, when: datetime) -> bool:
        return self.earliest <= when <= self.latest


def restorable_window(dynamodb: Any, table: str) -> Window:
    """The table's restorable window; a one-line ``RestoreError`` without point-in-time recovery."""
    described = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    pitr = described.get("PointInTimeRecoveryDescription", {})
    if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
        raise RestoreRefused(f"point-in-time recovery is not enabled on {table}: nothing to restore from")
    return Window(_utc(pitr["EarliestRestorableDateTime"]), _utc(pitr["LatestRestorableDateTime"]))


def check_window(window: Window, when: datetime, table: str, region: str) -> None:
    """Refuse a T the table cannot be restored to, before any restore is started."""
    if window.holds(when):
        return
    later = when > window.latest
    hint = (
        "the latest restorable time trails now by about 5 minutes: wait, or choose an earlier T"
        if later
        else "the earliest restorable time is when point-in-time recovery was enabled, or the start of its "
        "recovery period (35 days at most): choose a later T"
    )
    raise RestoreRefused(
        f"--to {iso(when)} is outside the restorable window of {table} in {region} "
        f"[{iso(window.earliest)}, {iso(window.latest)}]: {hint}"
    )


def wait_restorable(
    dynamodb: Any,
    table: str,
    when: datetime,
    *,
    wait: float,
    poll: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Window:
    """Wait (``wait`` seconds at most) until T is inside the table's window (the game day restores
    to a T a few seconds old, which becomes restorable only once the lag has passed)."""
    deadline = clock() + wait
    while True:
        window = restorable_window(dynamodb, table)
        if window.holds(when) or when < window.earliest or clock() >= deadline:
            return window
        sleep(poll)


@dataclass(frozen=True)
class Restored:
    """The restored table: its name and ARN, and whether an earlier run had made it."""

    name: str
    arn: str
    source_arn: str
    reused: bool


def restore(
    dynamodb: Any,
    *,
    table: str,
    region: str,
    when: datetime,
    caller: str,
    wait: float,
    poll: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Restored:
    """Restore ``table`` (this region's replica) to ``when`` into its restore table, or pick up
    the one an earlier run started; wait for it ACTIVE; tag it. The window is checked first."""
    source_arn = dynamodb.describe_table(TableName=table)["Table"]["TableArn"]
    name = restored_table_name(table, when)
    existing = _described(dynamodb, name)
    if existing is None:
        check_window(restorable_window(dynamodb, table), when, table, region)
        started = dynamodb.restore_table_to_point_in_time(
            SourceTableArn=source_arn, TargetTableName=name, RestoreDateTime=when
        )["TableDescription"]
        arn, reused = started["TableArn"], False
    else:
        _check_same_restore(existing, name, source_arn, when)
        arn, reused = existing["TableArn"], True
    _wait_active(dynamodb, name, wait=wait, poll=poll, clock=clock, sleep=sleep)
    tags = {"what": WHAT, "from": source_arn, "to": iso(when), "by": caller}
    dynamodb.tag_resource(
        ResourceArn=arn,
        Tags=[{"Key": TAG_PREFIX + key, "Value": _taggable(value)} for key, value in tags.items()],
    )
    return Restored(name, arn, source_arn, reused)


def _described(dynamodb: Any, name: str) -> dict[str, Any] | None:
    try:
        return dynamodb.describe_table(TableName=name)["Table"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise


def _check_same_restore(described: dict[str, Any], name: str, source_arn: str, when: datetime) -> None:
    """A table already named for this T must be this restore: this source, this T."""
    summary = described.get("RestoreSummary") or {}
    restored_to = summary.get("RestoreDateTime")
    same = summary.get("SourceTableArn") == source_arn and (
        restored_to is not None and _utc(restored_to).replace(microsecond=0) == when
    )
    if not same:
        raise RestoreRefused(
            f"a table named {name} exists and is not a restore of {source_arn} to {iso(when)}: "
            "look at it, and delete it if it is not needed"
        )


def _wait_active(
    dynamodb: Any,
    name: str,
    *,
    wait: float,
    poll: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> None:
    deadline = clock() + wait
    while True:
        described = _described(dynamodb, name) or {}
        restoring = (described.get("RestoreSummary") or {}).get("RestoreInProgress", False)
        if described.get("TableStatus") == "ACTIVE" and not restoring:
            return
        if clock() >= deadline:
            raise RestoreError(
                f"{name} is still {described.get('TableStatus', 'not found')} after {wait:g} s: run the "
                "same command again later, it picks the restore up where it is"
            )
        sleep(poll)


def _utc(value: Any) -> datetime:
    """A timestamp as botocore parses it (an aware datetime), in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), UTC)


def _taggable(value: str) -> str:
    return _NOT_TAGGABLE.sub("_", value)[:TAG_VALUE_MAX]

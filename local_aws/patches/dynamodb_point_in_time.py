"""Gap: moto keeps no item history, so point-in-time recovery has nothing to restore from.

moto 5.2.5 stores PITR as a flag: ``DescribeContinuousBackups`` answers the
``EarliestRestorableDateTime`` and ``LatestRestorableDateTime`` of the moment PITR was enabled,
frozen, and ``RestoreTableToPointInTime`` copies the table as it is now ("will copy all items
from the source without respect to other arguments", its docstring), so a restore "to before the
bad write" succeeds with the bad data. This patch keeps what PITR keeps, per table, per region:

* the history: while PITR is enabled on a table, each item as every write left it, with the time
  of the write: PutItem, UpdateItem, DeleteItem, each item of BatchWriteItem, TransactWriteItems
  (once committed: a cancelled one wrote nothing), PartiQL, and a replicated write landing in a
  global table's replica (``record()``, called by ``dataplane/dynamodb_replication.py``), which
  is that region's own write. Enabling PITR takes the items present then as the start ("DynamoDB
  maintains incremental backups of your table"); disabling it drops the history, and enabling it
  again starts a new one: "If you disable point-in-time recovery and later enable it on a table,
  you reset the start time for which you can recover that table."
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/pointintimerecovery_restores.html)
* the window (``window()``): "After you enable point-in-time recovery, you can restore to any
  point in time within ``EarliestRestorableDateTime`` and ``LatestRestorableDateTime``.
  ``LatestRestorableDateTime`` is typically 5 minutes before the current time."
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery_Howitworks.html)
  and "Your table data is only recoverable to any point-in-time from within the configured
  recovery period." (RecoveryPeriodInDays,
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PointInTimeRecoveryDescription.html).
  So the earliest is the later of the time PITR was enabled and now minus the recovery period
  (and never earlier than a shorter period already dropped); the latest is now minus 5 minutes,
  but never before the earliest ("you can only immediately restore that table using the
  ``LatestRestorableDateTime``"). Both durations are AWS time, divided by
  ``EMULATOR_TIME_SCALE`` like every other emulator clock: at scale 10 the lag is 30 real
  seconds and a 35-day period 3.5 real days, so a game day restores to "just before the bad
  write" 30 s after it (undocumented: assumed the lag is exactly 5 minutes, the longest
  "typically" reading, so a tool that restores too soon fails here too).
* ``UpdateContinuousBackups`` keeps ``RecoveryPeriodInDays`` (default 35, "If no value is
  provided, the value will default to 35.") and refuses one outside "Minimum value of 1.
  Maximum value of 35." with ``ValidationException`` (the wording is AWS's usual constraint
  message, undocumented here: assumed); ``DescribeContinuousBackups`` answers the window as of
  the call, with the period.

``dynamodb_restore.py`` restores from this history (``items_at()``). Not modelled: the system
backup kept when a PITR table is deleted, TTL deletions (the emulator never expires items),
history older than the window being discarded (it is kept, never served).
"""

from __future__ import annotations

import copy
import functools
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from local_aws.regions import time_scale

LAG = 300.0  # AWS seconds: "typically 5 minutes before the current time"
DAY = 86400.0  # AWS seconds
DEFAULT_PERIOD = 35  # days
MIN_PERIOD, MAX_PERIOD = 1, 35
ATTRIBUTE = "point_in_time_recovery"  # a table's Recovery, in its __dict__ (deep-copied with it)

Key = tuple[DynamoType, DynamoType | None]  # (hash key, range key)


@dataclass
class Recovery:
    """One table's PITR: since when, for how long, and every item version since then."""

    enabled_at: float  # epoch seconds
    period_days: int
    kept_from: float = 0.0  # a shorter period, once set, dropped what was older
    history: dict[Key, list[tuple[float, Item | None]]] = field(default_factory=dict)

    def __deepcopy__(self, memo: dict[int, Any]) -> Recovery:
        # moto deep-copies a table for its backups and for a transaction's rollback: the copy
        # shares the one history (a cancelled transaction records nothing).
        return self


_lock = threading.RLock()
_clock = [0.0]


def _now() -> float:
    """Wall clock, strictly increasing across the process (two records never share a time)."""
    with _lock:
        _clock[0] = max(time.time(), _clock[0] + 1e-6)
        return _clock[0]


def recovery(table: Table) -> Recovery | None:
    """The table's PITR, or None while PITR is disabled."""
    return table.__dict__.get(ATTRIBUTE)


def window(table: Table) -> tuple[float, float] | None:
    """(earliest, latest) restorable times as epoch seconds, or None without PITR."""
    state = recovery(table)
    if state is None:
        return None
    now, scale = time.time(), time_scale()
    earliest = max(state.enabled_at, state.kept_from, now - state.period_days * DAY / scale)
    return earliest, max(earliest, now - LAG / scale)


def items_at(table: Table, when: float) -> list[Item]:
    """Copies of the items as they were at ``when``: every write made before the end of that
    second counts ("the state based on the selected date and time (day:hour:minute:second)")."""
    state = recovery(table)
    if state is None:
        return []
    cutoff = math.floor(when) + 1
    found = []
    with _lock:
        for versions in state.history.values():
            value = None
            for written, item in versions:  # in the order they were recorded
                if written >= cutoff:
                    break
                value = item
            if value is not None:
                found.append(copy.deepcopy(value))
    return found


def _key(item: Item) -> Key:
    return (item.hash_key, item.range_key)


def _append(table: Table, key: Key) -> None:
    state = recovery(table)
    if state is None:
        return
    current = table.get_item(*key)
    with _lock:
        versions = state.history.setdefault(key, [])
        if versions and _same(versions[-1][1], current):
            return  # nothing changed
        versions.append((_now(), copy.deepcopy(current)))


def _same(before: Item | None, after: Item | None) -> bool:
    if before is None or after is None:
        return before is after
    return before == after


class _Write:
    """The items one API call wrote; recorded when the call returns."""

    def __init__(self) -> None:
        self.keys: dict[tuple[int, Key], tuple[Table, Key]] = {}

    def mark(self, table: Table, key: Key) -> None:
        self.keys.setdefault((id(table), key), (table, key))

    def commit(self) -> None:
        for table, key in self.keys.values():
            _append(table, key)


_local = threading.local()


@contextmanager
def _writing(commit_on_error: bool = True) -> Iterator[_Write]:
    outer: _Write | None = getattr(_local, "write", None)
    if outer is not None:
        yield outer
        return
    write = _local.write = _Write()
    try:
        yield write
    except BaseException:
        if commit_on_error:  # what moto did write before failing is history too
            write.commit()
        raise
    else:
        write.commit()
    finally:
        _local.write = None


def record(table: Table, key: Key) -> None:
    """A write of ``key`` in ``table`` (the data plane's replicated writes call this)."""
    with _writing() as write:
        write.mark(table, key)


def _enable(table: Table, period: int) -> None:
    state = recovery(table)
    now = _now()
    if state is None:
        state = Recovery(enabled_at=now, period_days=period)
        with _lock:
            for item in table.all_items():
                state.history[_key(item)] = [(now, copy.deepcopy(item))]
        table.__dict__[ATTRIBUTE] = state
    else:  # what the old period had already dropped stays dropped
        state.kept_from = max(state.kept_from, now - state.period_days * DAY / time_scale())
    state.period_days = period


def describe(table: Table) -> dict[str, Any]:
    """ContinuousBackupsDescription as of now."""
    bounds = window(table)
    state = recovery(table)
    if bounds is None or state is None:
        pitr: dict[str, Any] = {"PointInTimeRecoveryStatus": "DISABLED"}
    else:
        pitr = {
            "PointInTimeRecoveryStatus": "ENABLED",
            "EarliestRestorableDateTime": bounds[0],
            "LatestRestorableDateTime": bounds[1],
            "RecoveryPeriodInDays": state.period_days,
        }
    return {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": pitr}


def _period(spec: dict[str, Any]) -> int:
    raw = spec.get("RecoveryPeriodInDays", DEFAULT_PERIOD)
    if isinstance(raw, bool) or not isinstance(raw, int) or not MIN_PERIOD <= raw <= MAX_PERIOD:
        bound = (
            f"greater than or equal to {MIN_PERIOD}"
            if isinstance(raw, int) and raw < MIN_PERIOD
            else f"less than or equal to {MAX_PERIOD}"
        )
        raise MockValidationException(
            f"1 validation error detected: Value '{raw}' at "
            "'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: "
            f"Member must have value {bound}"
        )
    return raw


def _writes(original: Callable[..., Any], commit_on_error: bool = True) -> Callable[..., Any]:
    @functools.wraps(original)
    def write(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with _writing(commit_on_error):
            return original(self, *args, **kwargs)

    return write


def apply() -> None:
    put_item, delete_item = Table.put_item, Table.delete_item
    update_item = DynamoDBBackend.update_item
    update_continuous_backups = DynamoDBBackend.update_continuous_backups
    describe_continuous_backups = DynamoDBBackend.describe_continuous_backups

    @functools.wraps(put_item)
    def put(self: Table, *args: Any, **kwargs: Any) -> Item:
        item = put_item(self, *args, **kwargs)
        record(self, _key(item))
        return item

    @functools.wraps(delete_item)
    def delete(self: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
        item = delete_item(self, hash_key, range_key)
        if item is not None:
            record(self, (hash_key, range_key))
        return item

    @functools.wraps(update_item)
    def update(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Item:
        with _writing():
            item = update_item(self, *args, **kwargs)  # edits the stored item in place
            name = kwargs["table_name"] if "table_name" in kwargs else args[0]
            record(self.get_table(name), _key(item))
            return item

    @functools.wraps(update_continuous_backups)
    def update_backups(self: DynamoDBBackend, table_name: str, spec: dict[str, Any]) -> dict[str, Any]:
        enabled = bool(spec.get("PointInTimeRecoveryEnabled"))
        period = _period(spec) if enabled else DEFAULT_PERIOD
        update_continuous_backups(self, table_name, spec)  # moto's checks and its own flag
        table = self.get_table(table_name)
        if enabled:
            _enable(table, period)
        else:
            table.__dict__.pop(ATTRIBUTE, None)
        return describe(table)

    @functools.wraps(describe_continuous_backups)
    def describe_backups(self: DynamoDBBackend, table_name: str) -> dict[str, Any]:
        describe_continuous_backups(self, table_name)  # TableNotFoundException as moto answers it
        return describe(self.get_table(table_name))

    Table.put_item = put  # type: ignore[method-assign]
    Table.delete_item = delete  # type: ignore[method-assign]
    DynamoDBBackend.update_item = update  # type: ignore[method-assign]
    DynamoDBBackend.update_continuous_backups = update_backups  # type: ignore[method-assign]
    DynamoDBBackend.describe_continuous_backups = describe_backups  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = _writes(  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items, commit_on_error=False
    )
    for name in (
        "put_item",
        "delete_item",
        "execute_statement",
        "execute_transaction",
        "batch_execute_statement",
    ):
        setattr(DynamoDBBackend, name, _writes(getattr(DynamoDBBackend, name)))

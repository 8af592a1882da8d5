"""A game day's measured results, typed: what dr/gameday.py writes to cfn-outputs/gameday-report.json
and what reads it back (its table and verdict, dr/report.py's measured lines, the pipeline's facts).

The JSON keeps the keys and shape the game day has always written: ``{"target": ..., "scenarios":
[{<one object per scenario, a key per field below>}]}``, times in AWS seconds. Reports from before a
field existed still load: such a field is None and is left out of the JSON again. A bad-data
scenario's object has its own fields (``restore_seconds`` and the others below) and none of a
failover's RTO, RPO, hold or failback.

Importing this module loads nothing but the standard library (the pipeline and the DR report read it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


class ReportError(ValueError):
    """Not a game day's report: the message is one line."""


# What a scenario's object must hold. A failover (region-loss, manual) is measured by its RTO and
# failback; a bad-data scenario (corruption, dr/gameday_corruption.py) by its restore and repair:
# its object has "restore_seconds", and no RTO.
FAILOVER_REQUIRED = (
    "measured_rto_seconds",
    "computed_rto_seconds",
    "failed_requests",
    "acknowledged_writes",
    "lost_writes",
    "unreplicated_at_fault",
    "rpo_seconds",
    "conflicts",
    "failback_seconds",
)
BAD_DATA_REQUIRED = (
    "restore_seconds",
    "repair_seconds",
    "corrupted",
    "repaired",
    "failed_requests",
    "acknowledged_writes",
    "lost_writes",
    "conflicts",
)


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario as measured. A failover: recovery (RTO) against what the configuration
    implies, what the client saw, the data after failback (RPO, lost writes, conflicts, receipts),
    the hold, the failback, and the AWS calls the recovery path made. Bad data: the restore to T
    and the repair, what was corrupted and repaired, the writes after T kept, the receipts
    restored, and the same lost writes, conflicts and recovery-path calls."""

    scenario: str
    measured_rto_seconds: float | None = None
    computed_rto_seconds: int | None = None
    failed_requests: int | None = None
    acknowledged_writes: int | None = None
    lost_writes: int | None = None
    unreplicated_at_fault: int | None = None
    rpo_seconds: float | None = None
    conflicts: int | None = None
    failback_seconds: float | None = None
    # Written by every game day since these were added; None when an older report lacks one.
    computed_rto_basis: str | None = None
    detection_floor_seconds: int | None = None
    within_goal: bool | None = None
    lost: list[str] | None = None
    conflicting: list[str] | None = None
    receipts_missing: list[str] | None = None
    hold_seconds: float | None = None
    primary_answers_during_hold: int | None = None
    recovery_calls: list[str] | None = None
    recovery_route53_or_primary_calls: list[str] | None = None
    route53_calls_during_recovery: int | None = None
    time_scale: float | None = None
    # The alarm notifications that arrived (alarm, state, AWS seconds after the fault), in order;
    # the alarms expected to fire and those that did not (a local sink only).
    alarm_notifications: list[dict[str, Any]] | None = None
    alarms_expected: list[str] | None = None
    alarms_missing: list[str] | None = None
    # Bad data (corruption): T, the restored table, AWS seconds waiting for T to be restorable,
    # restoring (to ACTIVE, compared) and repairing; the payments the fault changed or deleted and
    # those repaired; the acknowledged payments not as they were at T afterwards (in either
    # region); the acknowledged after T kept, and any of them touched; receipts restored and
    # those not the T receipt afterwards; the payments reported for a human, and those the
    # fault planted; repair writes refused as conflicts.
    restore_to: str | None = None
    restored_table: str | None = None
    restorable_wait_seconds: float | None = None
    restore_seconds: float | None = None
    repair_seconds: float | None = None
    corrupted: int | None = None
    repaired: int | None = None
    not_as_at_restore_point: list[str] | None = None
    kept_after_restore_point: int | None = None
    touched_after_restore_point: list[str] | None = None
    receipts_restored: int | None = None
    receipts_not_restored: list[str] | None = None
    reported_for_review: list[str] | None = None
    planted: list[str] | None = None
    repair_conflicts: int | None = None

    @property
    def bad_data(self) -> bool:
        """A restore-and-repair scenario, not a failover."""
        return self.restore_seconds is not None

    def to_json(self) -> dict[str, Any]:
        """The scenario's object in gameday-report.json (a field an older report lacked stays out)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_json(cls, data: Any) -> ScenarioResult:
        """A scenario's object as read from a report; a one-line ``ReportError`` for anything else."""
        if not isinstance(data, dict):
            raise ReportError(f"a scenario result is a JSON object, not {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        required = BAD_DATA_REQUIRED if data.get("restore_seconds") is not None else FAILOVER_REQUIRED
        missing = [name for name in ("scenario", *required) if data.get(name) is None]
        if missing:
            raise ReportError(f"scenario result {data.get('scenario')!r} lacks {', '.join(missing)}")
        return cls(**{key: value for key, value in data.items() if key in known})

    def headline(self) -> str:
        """The line the game day prints as the scenario ends."""
        if self.bad_data:
            return f"restore {self.restore_seconds} s, repair {self.repair_seconds} s"
        return f"RTO {self.measured_rto_seconds} s (computed {self.computed_rto_seconds} s)"

    def failures(self) -> list[str]:
        """What fails the game day in this scenario: a lost write, a conflict, a missing receipt, a
        recovery path that touched Route 53 or the region it left, the primary answering while
        failed over; for bad data, what ``_bad_data_failures`` lists."""
        return [
            f"{self.scenario}: {what}"
            for what, bad in (
                ("acknowledged writes lost", self.lost_writes),
                ("conflicts", self.conflicts),
                ("receipts missing", len(self.receipts_missing or ())),
                (
                    "the recovery path called Route 53 or the primary region",
                    len(self.recovery_route53_or_primary_calls or ()),
                ),
                ("Route 53 was called during the recovery", self.route53_calls_during_recovery),
                ("the primary answered while failed over", self.primary_answers_during_hold),
                (
                    f"no ALARM notification from {', '.join(self.alarms_missing or ())}",
                    len(self.alarms_missing or ()),
                ),
                *self._bad_data_failures(),
            )
            if bad
        ]

    def _bad_data_failures(self) -> list[tuple[str, int]]:
        """A payment not as it was at T after the repair (or fewer repaired than corrupted), one
        acknowledged after T touched, a receipt not restored, a planted payment not reported or
        a payment reported that the fault did not plant, a repair refused as a conflict."""
        if not self.bad_data:
            return []
        reported, planted = set(self.reported_for_review or ()), set(self.planted or ())
        return [
            ("payments not as they were at the restore point", len(self.not_as_at_restore_point or ())),
            (
                f"{self.repaired} of {self.corrupted} corrupted payments repaired",
                int(self.repaired != self.corrupted),
            ),
            (
                "payments acknowledged after the restore point touched",
                len(self.touched_after_restore_point or ()),
            ),
            ("receipts not restored", len(self.receipts_not_restored or ())),
            ("payments the fault planted not reported for review", len(planted - reported)),
            ("payments reported for review the fault did not plant", len(reported - planted)),
            ("repair writes refused as conflicts", self.repair_conflicts or 0),
        ]

    def summary(self) -> str:
        """Measured next to computed, one line: the DR report's line and make test's fact."""
        if self.bad_data:
            return (
                f"restored to T in {self.restore_seconds} s (after {self.restorable_wait_seconds} s for T to "
                f"become restorable), repaired {self.repaired} of {self.corrupted} corrupted payments "
                f"in {self.repair_seconds} s, {self.receipts_restored} receipts restored, "
                f"{self.kept_after_restore_point} written after T kept, "
                f"{len(self.reported_for_review or ())} reported for review; {self.lost_writes} of "
                f"{self.acknowledged_writes} acknowledged writes lost, {self.conflicts} conflicts"
            )
        held = (
            f"held {self.hold_seconds} s with {self.primary_answers_during_hold} answers from the primary, "
            if self.hold_seconds is not None
            else ""
        )
        return (
            f"RTO {self.measured_rto_seconds} s measured / {self.computed_rto_seconds} s computed; "
            f"{self.failed_requests} failed requests, {self.lost_writes} of {self.acknowledged_writes} "
            f"acknowledged writes lost, {self.unreplicated_at_fault} unreplicated at the fault "
            f"(RPO {self.rpo_seconds} s), {self.conflicts} conflicts, "
            f"{held}failback {self.failback_seconds} s"
        )


@dataclass(frozen=True)
class GameDayReport:
    """cfn-outputs/gameday-report.json: the target and each scenario's result, in the order run."""

    target: str | None
    scenarios: list[ScenarioResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"scenarios": [result.to_json() for result in self.scenarios]}
        if self.target is not None:
            data["target"] = self.target
        return data

    @classmethod
    def from_json(cls, data: Any) -> GameDayReport:
        if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
            raise ReportError("a game day's report is a JSON object with a list of scenarios")
        return cls(data.get("target"), [ScenarioResult.from_json(s) for s in data["scenarios"]])

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n")

    def failures(self) -> list[str]:
        return [failure for result in self.scenarios for failure in result.failures()]


def load_report(path: Path) -> GameDayReport:
    """The report at ``path``; a one-line ``ReportError`` when it is unreadable or not one."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ReportError(f"{path}: not a readable JSON file ({type(error).__name__}: {error})") from None
    try:
        return GameDayReport.from_json(data)
    except (ReportError, TypeError) as error:
        raise ReportError(f"{path}: {error}") from None

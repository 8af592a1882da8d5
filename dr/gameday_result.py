"""A game day's measured results, typed: what dr/gameday.py writes to cfn-outputs/gameday-report.json
and what reads it back (its table and verdict, dr/report.py's measured lines, the pipeline's facts).

The JSON keeps the keys and shape the game day has always written: ``{"target": ..., "scenarios":
[{<one object per scenario, a key per field below>}]}``, times in AWS seconds. Reports from before a
field existed still load: such a field is None and is left out of the JSON again.

Importing this module loads nothing but the standard library (the pipeline and the DR report read it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


class ReportError(ValueError):
    """Not a game day's report: the message is one line."""


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario as measured: recovery (RTO) against what the configuration implies, what the
    client saw, the data after failback (RPO, lost writes, conflicts, receipts), the hold, the
    failback, and the AWS calls the recovery path made."""

    scenario: str
    measured_rto_seconds: float
    computed_rto_seconds: int
    failed_requests: int
    acknowledged_writes: int
    lost_writes: int
    unreplicated_at_fault: int
    rpo_seconds: float
    conflicts: int
    failback_seconds: float
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

    def to_json(self) -> dict[str, Any]:
        """The scenario's object in gameday-report.json (a field an older report lacked stays out)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_json(cls, data: Any) -> ScenarioResult:
        """A scenario's object as read from a report; a one-line ``ReportError`` for anything else."""
        if not isinstance(data, dict):
            raise ReportError(f"a scenario result is a JSON object, not {type(data).__name__}")
        known = {f.name: f for f in fields(cls)}
        required = [name for name, f in known.items() if f.default is not None]
        missing = [name for name in required if data.get(name) is None]
        if missing:
            raise ReportError(f"scenario result {data.get('scenario')!r} lacks {', '.join(missing)}")
        return cls(**{key: value for key, value in data.items() if key in known})

    def failures(self) -> list[str]:
        """What fails the game day in this scenario: a lost write, a conflict, a missing receipt, a
        recovery path that touched Route 53 or the region it left, the primary answering while
        failed over."""
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
            )
            if bad
        ]

    def summary(self) -> str:
        """Measured next to computed, one line: the DR report's line and make test's fact."""
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

"""The game day's scenarios: each is ONE typed definition, registered in ``REGISTRY`` below:
two failovers (``region-loss``, ``manual``) and bad data (``corruption``).

A definition says how to make its fault happen on a deployment and undo it, what recovery time
the configuration implies (read before the fault), how long to hold failed over, and whether it
can only run on the emulator. dr/gameday.py runs whatever is registered (``--scenarios`` accepts
exactly these names, in this order by default); the measurements are the same for every scenario
(dr/gameday_result.py). A new scenario is one ``register(ScenarioDefinition(...))`` here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dr.gameday_client import GameDayError
from dr.gameday_corruption import run_corruption
from dr.stack import ALIAS_RECORD_TTL_SECONDS
from local_aws.dataplane import control

if TYPE_CHECKING:
    from dr.gameday_result import ScenarioResult
    from dr.gameday_target import Target

HOLD_PERIODS = 10  # the manual failover holds this many of the switch's alarm periods by default
REGION_LOSS_HOLD_SECONDS = 10  # AWS seconds: the outage itself keeps the primary out
# The alarms a scenario must see go to ALARM, by the ends of their names. lib/monitoring.py names
# every alarm "<the region's topic name>-<id>" (RegionalMonitoring._alarm), with the ids of
# traffic_moved_alarm, switch_thrown_alarm and switch_unreadable_alarm; a deployment without
# such an alarm expects none (the game day reads the names it has before the fault).
TRAFFIC_MOVED, SWITCH_THROWN, SWITCH_UNREADABLE = "-traffic-moved", "-switch-thrown", "-switch-unreadable"
# payments_served_alarm's id: the secondary's own "traffic moved", which notifies while the primary's
# region (us-east-1, where TRAFFIC_MOVED's Route 53 metric lives) is out. Its name ends with
# "-secondary-traffic-moved", which the primary's "tap-alarms-primary-<suffix>-traffic-moved" does not.
SECONDARY_TRAFFIC_MOVED = "-secondary-traffic-moved"


class ScenarioError(ValueError):
    """An unknown scenario name, or a second definition of one: the message is one line."""


@dataclass(frozen=True)
class Fault:
    """A fault bound to one deployment: how to make it happen, and how to undo it."""

    inflict: Callable[[], None]
    undo: Callable[[], None]


@dataclass(frozen=True)
class ComputedRto:
    """What the configuration implies, in AWS seconds: detection alone (the floor no recovery can
    beat) and detection + the DNS cache, with the basis."""

    detection_seconds: int
    rto_seconds: int
    basis: str

    @classmethod
    def with_alias_dns(cls, detection_seconds: int, basis: str) -> ComputedRto:
        """Detection, then the alias failover record's fixed DNS cache."""
        return cls(
            detection_seconds,
            detection_seconds + ALIAS_RECORD_TTL_SECONDS,
            f"{basis} + alias DNS {ALIAS_RECORD_TTL_SECONDS} s",
        )


def _no_hold(_target: Target, _requested: float | None) -> float:
    return 0.0


@dataclass(frozen=True)
class ScenarioDefinition:
    """One game-day scenario. The client keeps writing throughout; for a failover the game day
    times the fault, recovery, the hold and failback, and reconciles, the same way for every
    scenario; a scenario with steps of its own (``run``) runs and measures them itself."""

    name: str  # as given to --scenarios and written in gameday-report.json
    fault: Callable[[Target], Fault] | None = None
    computed_rto: Callable[[Target], ComputedRto] | None = None
    # AWS seconds to hold failed over, given --hold (None when not given).
    hold_seconds: Callable[[Target, float | None], float] = _no_hold
    # Why it runs on the emulator only (``--target aws`` refuses it); None: it runs anywhere.
    emulator_only: str | None = None
    # The alarms (name suffixes) whose notification must arrive while it runs (a local sink only).
    expected_alarms: tuple[str, ...] = ()
    # Not a failover: its own steps and measurements (the target, a client factory, the timeout).
    run: Callable[..., ScenarioResult] | None = None
    # Why ``--target aws`` runs it only when named in --scenarios; None: by default too.
    opt_in_on_aws: str | None = None

    def __post_init__(self) -> None:
        if self.run is None and (self.fault is None or self.computed_rto is None):
            raise ScenarioError(f"game-day scenario {self.name!r} needs a fault and a computed RTO, or run")


REGISTRY: dict[str, ScenarioDefinition] = {}


def register(definition: ScenarioDefinition) -> ScenarioDefinition:
    """Add ``definition`` to the game day; a second definition of a name is refused."""
    if definition.name in REGISTRY:
        raise ScenarioError(f"a game-day scenario named {definition.name!r} is already registered")
    REGISTRY[definition.name] = definition
    return definition


def definition(name: str) -> ScenarioDefinition:
    """The registered scenario ``name``; a one-line ``ScenarioError`` naming the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ScenarioError(f"unknown game-day scenario {name!r}: one of {', '.join(REGISTRY)}") from None


def defaults(*, local: bool) -> list[str]:
    """What runs when --scenarios is not given: every scenario the target can run, in order (on
    AWS, none that is opt-in there)."""
    return [
        name for name, d in REGISTRY.items() if local or (d.emulator_only is None and d.opt_in_on_aws is None)
    ]


# --- region-loss (emulator only) ---------------------------------------------------------------


def _primary_region_out(target: Target) -> Fault:
    """The primary region goes out (the emulator's outage switch): the failover name must move to
    the secondary by itself. Undone: the primary comes back."""
    endpoint, primary = target.endpoint, target.regions["primary"]
    if endpoint is None:
        raise GameDayError("region-loss needs the emulator's outage switch (--target local)")
    return Fault(
        lambda: control.switch(endpoint, primary, down=True),
        lambda: control.switch(endpoint, primary, down=False),
    )


def _health_check_rto(target: Target) -> ComputedRto:
    """The primary's health check notices, then DNS moves."""
    config = target.health_check("primary")
    return ComputedRto.with_alias_dns(
        config["RequestInterval"] * config["FailureThreshold"],
        f"health check {config['RequestInterval']} s x {config['FailureThreshold']}",
    )


def _region_loss_hold(_target: Target, _requested: float | None) -> float:
    return REGION_LOSS_HOLD_SECONDS


register(
    ScenarioDefinition(
        "region-loss",
        fault=_primary_region_out,
        computed_rto=_health_check_rto,
        hold_seconds=_region_loss_hold,
        emulator_only="it switches a region off",
        expected_alarms=(SECONDARY_TRAFFIC_MOVED,),
    )
)


# --- manual (anywhere) -------------------------------------------------------------------------


def _flip_the_switch(target: Target) -> Fault:
    """The operator fails over with ONE PutMetricData in the secondary region (the data-plane
    switch, lib/failover_switch.py); undone: fails back the same way."""
    return Fault(
        lambda: target.publish(target.switch["fail_over"]),
        lambda: target.publish(target.switch["fail_back"]),
    )


def _switch_rto(target: Target) -> ComputedRto:
    """The switch's alarm changes state, then DNS moves."""
    alarm = target.switch_alarm()
    return ComputedRto.with_alias_dns(
        alarm["Period"] * alarm["EvaluationPeriods"],
        f"alarm {alarm['Period']} s x {alarm['EvaluationPeriods']}",
    )


def _switch_hold(target: Target, requested: float | None) -> float:
    """--hold, else ten of the switch's alarm periods with no new datapoint: Route 53 reads the
    switch's metric, so once the datapoint's period has passed only InsufficientDataHealthStatus
    keeps the failover."""
    return requested if requested is not None else HOLD_PERIODS * target.switch_period()


register(
    ScenarioDefinition(
        "manual",
        fault=_flip_the_switch,
        computed_rto=_switch_rto,
        hold_seconds=_switch_hold,
        expected_alarms=(SWITCH_THROWN,),
    )
)


# --- corruption (anywhere; opt-in on AWS) -----------------------------------------------------
# Bad data, not a failover: a faulty writer corrupts payments in the primary, the operator restores
# to just before it and repairs from the secondary (dr/gameday_corruption.py, dr/restore.py).
register(
    ScenarioDefinition(
        "corruption",
        run=run_corruption,
        opt_in_on_aws="it restores a table (minutes or more on AWS) and needs restore, tag and S3 "
        "version rights the CI roles do not hold: GAMEDAY_ARGS='--scenarios corruption'",
    )
)

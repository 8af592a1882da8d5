#!/usr/bin/env python3
"""Game day: a client writes payments through the failover name while a region is lost or an
operator fails over; RTO, RPO, lost writes and conflicts are measured, not computed.

    python -m dr.gameday --target local   # the emulator deployment (make gameday-local)
    python -m dr.gameday --target aws     # a real deployment (make gameday; manual failover only)

Scenarios (each timed; the client keeps writing throughout):

- ``region-loss`` (local only): the primary region goes out (the emulator's outage switch), the
  failover name must move to the secondary by itself; then the primary comes back.
- ``manual``: the operator fails over with ONE ``PutMetricData`` in the secondary region (the
  data-plane switch, lib/failover_switch.py), then holds with no new datapoint for ``--hold``
  AWS seconds (default ten of the switch's alarm periods: 600 s), and fails back the same way.
  Route 53 reads the switch's metric, not its alarm's state: once the datapoint's period has
  passed only ``InsufficientDataHealthStatus`` keeps the failover, so any request the primary
  answers during the hold fails the game day.

The client resolves the failover name through DNS and keeps each answer for its TTL, and retries
a failed write with the same ``payment_id`` (the API is idempotent on it), so a write is
acknowledged once. Measured per scenario: time from the fault to the first 2xx served by the
secondary (RTO), failed requests meanwhile, acknowledged writes, acknowledged writes the
secondary did not hold at the fault (RPO, in writes and seconds), time to fail back. After
failback a reconciliation checks every acknowledged payment in both regions' tables (identical
attributes, else a conflict) and its receipt in both buckets. The recovery path's own AWS calls
are recorded: none may go to Route 53 or to the region being left (on the emulator, its call
counter proves no Route 53 call was made by anyone). Results: cfn-outputs/gameday-report.json
and a table; times in AWS seconds (the emulator's time scale multiplied back).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cli.api_client import CredentialsError, Signer, caller_credentials, local_endpoints
from cli.outputs_file import FLAT_OUTPUTS, OutputsError, load_outputs
from dr.gameday_alarms import RECORD_NAME, Notice, await_notices
from dr.gameday_alarms import missing as missing_alarms
from dr.gameday_client import Client, GameDayError
from dr.gameday_reconcile import reconcile
from dr.gameday_result import GameDayReport, ScenarioResult
from dr.gameday_target import Target
from dr.scenarios import (
    HOLD_PERIODS,
    REGISTRY,
    ComputedRto,
    ScenarioDefinition,
    ScenarioError,
    defaults,
    definition,
)
from lib.regions import ROLES
from local_aws import emulator
from local_aws.dataplane import control

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUTS = FLAT_OUTPUTS
DEFAULT_REPORT = ROOT / "cfn-outputs" / "gameday-report.json"
NEEDED = (
    "topology",
    "dynamodb_table_name",
    "failover_domain_name",
    "failover_switch",
    *(f"{role}_{name}" for role in ROLES for name in ("api_key_id", "bucket_name", "health_check_id")),
)
MAX_HOLD_SECONDS = 3600


class Interrupted(Exception):
    """SIGTERM or SIGHUP (a cancelled CI job): stop, undo the fault, exit 1."""


def _interrupted(signum: int, _frame: Any) -> None:
    raise Interrupted(signal.Signals(signum).name)


@dataclass
class Timeline:
    """One scenario's moments (monotonic seconds) and what was seen at them."""

    fault_at: float
    acked_before: dict[str, dict[str, Any]]  # acknowledged by the fault
    unreplicated: list[str]  # of those, what the secondary did not hold at the fault
    recovered_at: float = 0.0
    held_until: float = 0.0
    restore_at: float = 0.0
    back_at: float = 0.0
    recovery_calls: tuple[tuple[str, str, str], ...] = ()
    route53_calls: int = 0
    fault_epoch: float = 0.0  # the fault in epoch seconds (the alarm sink's clock)
    expected: tuple[str, ...] = ()  # the alarms (name suffixes) that must notify
    notices: tuple[Notice, ...] = ()


def run_scenario(
    target: Target,
    client_factory: Callable[[], Client],
    scenario: ScenarioDefinition,
    *,
    hold: float,
    timeout: float,
) -> ScenarioResult:
    """One scenario: baseline writes through the primary, the fault, recovery, ``hold`` real
    seconds failed over, failback, reconciliation. Whatever happens, the fault is undone. A
    scenario with steps of its own (bad data: dr/gameday_corruption.py) runs them instead."""
    if scenario.run is not None:
        return scenario.run(target, client_factory, timeout=timeout)
    computed = scenario.computed_rto(target)
    fault = scenario.fault(target)
    client = client_factory()
    client.start()
    primary, secondary = target.regions["primary"], target.regions["secondary"]
    restored = False
    try:
        client.first_success_from(primary, 0, timeout)
        expected = expected_alarms(target, scenario)  # read before the recovery path is recorded
        await_quiet(target, expected, timeout)
        before_calls = control.calls(target.endpoint) if target.endpoint else {}
        recorded = len(target.calls)
        fault_at, fault_epoch = time.monotonic(), time.time()
        fault.inflict()
        acked_before = {
            pid: body for pid, body in client.acknowledged.items() if body["acked_at"] <= fault_at
        }
        missing = [pid for pid in acked_before if target.item("secondary", pid) is None]
        seen = Timeline(fault_at, acked_before, missing, fault_epoch=fault_epoch, expected=expected)
        seen.recovered_at = client.first_success_from(secondary, fault_at, timeout)
        time.sleep(hold)
        seen.held_until = time.monotonic()
        seen.recovery_calls = tuple(target.calls[recorded:])
        after_calls = control.calls(target.endpoint) if target.endpoint else {}
        seen.route53_calls = sum(
            n - before_calls.get(k, 0) for k, n in after_calls.items() if k.startswith("route53/")
        )
        seen.restore_at = time.monotonic()
        fault.undo()
        restored = True
        seen.back_at = client.first_success_from(primary, seen.restore_at, timeout)
        if target.notifications is not None:
            seen.notices = tuple(
                await_notices(target.notifications, since=fault_epoch, expected=expected, deadline=timeout)
            )
    finally:
        if not restored:
            fault.undo()
        client.stop()
    return measure(target, client, scenario.name, computed, seen, timeout=timeout)


def await_quiet(target: Target, expected: tuple[str, ...], timeout: float, poll: float = 1.0) -> None:
    """Wait (``timeout`` real seconds at most) until no expected alarm is in ALARM: one already
    there when the fault comes sends no notification for it (an alarm notifies on a change of
    state), so the run could not tell whether this fault reaches a person. Earlier traffic (the
    integration tests call the secondary's stage directly) leaves the secondary's traffic-moved
    alarm in ALARM until its evaluation range holds no datapoint."""
    if not expected:
        return
    deadline = time.monotonic() + timeout
    while True:
        states = target.alarm_states()
        loud = sorted(name for name, state in states.items() if state == "ALARM" and name.endswith(expected))
        if not loud:
            return
        if time.monotonic() >= deadline:
            raise GameDayError(
                f"{', '.join(loud)} still in ALARM after waiting {timeout:g} s before the fault: "
                "its notification could not be told apart from this fault's"
            )
        time.sleep(poll)


def expected_alarms(target: Target, scenario: ScenarioDefinition) -> tuple[str, ...]:
    """The scenario's expected alarms the deployment has (none without a sink to hear them)."""
    if target.notifications is None or not scenario.expected_alarms:
        return ()
    names = target.alarm_names()
    return tuple(s for s in scenario.expected_alarms if any(name.endswith(s) for name in names))


def measure(
    target: Target, client: Client, name: str, computed: ComputedRto, seen: Timeline, *, timeout: float
) -> ScenarioResult:
    """The scenario's result from what the client saw, the timeline and the reconciliation; times
    in AWS seconds (the emulator's time scale multiplied back)."""
    primary, scale = target.regions["primary"], target.scale
    failed = [a for a in client.attempts if a.at >= seen.fault_at and a.status not in (200, 201)]
    flips = [
        a for a in client.attempts if seen.recovered_at <= a.at <= seen.held_until and a.region == primary
    ]
    lost, conflicts, receipts = reconcile(target, client.acknowledged, timeout)
    oldest = min((seen.acked_before[pid]["acked_at"] for pid in seen.unreplicated), default=seen.fault_at)
    measured = (seen.recovered_at - seen.fault_at) * scale
    return ScenarioResult(
        scenario=name,
        measured_rto_seconds=round(measured, 1),
        computed_rto_seconds=computed.rto_seconds,
        computed_rto_basis=computed.basis,
        detection_floor_seconds=computed.detection_seconds,
        within_goal=computed.detection_seconds <= measured <= 1.2 * computed.rto_seconds,
        failed_requests=len(failed),
        acknowledged_writes=len(client.acknowledged),
        lost_writes=len(lost),
        lost=lost,
        unreplicated_at_fault=len(seen.unreplicated),
        rpo_seconds=round((seen.fault_at - oldest) * scale, 1),
        conflicts=len(conflicts),
        conflicting=conflicts,
        receipts_missing=receipts,
        hold_seconds=round((seen.held_until - seen.recovered_at) * scale, 1),
        primary_answers_during_hold=len(flips),
        failback_seconds=round((seen.back_at - seen.restore_at) * scale, 1),
        recovery_calls=sorted({f"{s}/{r}:{op}" for s, r, op in seen.recovery_calls}),
        recovery_route53_or_primary_calls=[
            f"{s}/{r}:{op}" for s, r, op in seen.recovery_calls if s == "route53" or r == primary
        ],
        route53_calls_during_recovery=seen.route53_calls,
        time_scale=scale,
        **_alarm_fields(target, seen),
    )


def _alarm_fields(target: Target, seen: Timeline) -> dict[str, Any]:
    """The notifications that arrived and the expected ones missing (nothing without a sink)."""
    if target.notifications is None:
        return {}
    return {
        "alarm_notifications": [n.as_dict(seen.fault_epoch, target.scale) for n in seen.notices],
        "alarms_expected": list(seen.expected),
        "alarms_missing": missing_alarms(list(seen.notices), seen.expected),
    }


TABLE = (  # label, ScenarioResult field (its key in the report), unit
    ("measured RTO", "measured_rto_seconds", "s"),
    ("computed RTO", "computed_rto_seconds", "s"),
    ("detection floor", "detection_floor_seconds", "s"),
    ("failed requests", "failed_requests", ""),
    ("acknowledged", "acknowledged_writes", ""),
    ("lost writes", "lost_writes", ""),
    ("unreplicated at fault", "unreplicated_at_fault", ""),
    ("RPO", "rpo_seconds", "s"),
    ("conflicts", "conflicts", ""),
    ("held failed over", "hold_seconds", "s"),
    ("primary answers in hold", "primary_answers_during_hold", ""),
    ("failback", "failback_seconds", "s"),
    ("Route 53 calls in recovery", "route53_calls_during_recovery", ""),
    ("wait for T restorable", "restorable_wait_seconds", "s"),
    ("restore to T", "restore_seconds", "s"),
    ("repair", "repair_seconds", "s"),
    ("corrupted / repaired", ("corrupted", "repaired"), ""),
    ("kept after T", "kept_after_restore_point", ""),
    ("receipts restored", "receipts_restored", ""),
)


def _cell(result: ScenarioResult, key: str | tuple[str, ...], unit: str) -> str:
    """A measurement as the table shows it ("-": the scenario does not measure it)."""
    values = [getattr(result, k) for k in (key if isinstance(key, tuple) else (key,))]
    if all(value is None for value in values):
        return "-"
    return " / ".join(str(value) for value in values) + (" " + unit if unit else "")


def render(report: GameDayReport) -> str:
    """The results as a table: a row per measurement, a column per scenario."""
    scenarios = report.scenarios
    lines = [
        "Game day (AWS seconds)",
        "  " + f"{'':<28}" + "".join(f"{s.scenario:>14}" for s in scenarios),
    ]
    for label, key, unit in TABLE:
        cells = "".join(f"{_cell(s, key, unit):>14}" for s in scenarios)
        lines.append(f"  {label:<28}{cells}")
    return "\n".join(lines)


def _parse(argv: list[str] | None) -> tuple[argparse.Namespace, list[ScenarioDefinition], dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("local", "aws"), required=True)
    parser.add_argument("--outputs", type=Path, default=DEFAULT_OUTPUTS)
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    parser.add_argument("--scenarios", default=None, help=f"comma-separated: {','.join(REGISTRY)}")
    parser.add_argument(
        "--notifications",
        type=Path,
        default=None,
        help="the local alarm sink's record (default with --target local: "
        f"$EMULATOR_STATE_DIR/{RECORD_NAME}, when it exists)",
    )
    parser.add_argument("--rate", type=float, default=5.0, help="writes per second (default 5)")
    parser.add_argument(
        "--hold",
        type=float,
        default=None,
        help=f"AWS seconds the failover holds, no new datapoint (default: {HOLD_PERIODS} alarm periods)",
    )
    args = parser.parse_args(argv)
    local = args.target == "local"
    try:
        chosen = [
            definition(name)
            for name in (args.scenarios.split(",") if args.scenarios else defaults(local=local))
        ]
    except ScenarioError:
        parser.error(f"--scenarios must be among {', '.join(REGISTRY)}")
    for scenario in chosen:
        if scenario.emulator_only and not local:
            parser.error(f"{scenario.name} runs on the emulator only ({scenario.emulator_only})")
    if not 0.5 <= args.rate <= 50:
        parser.error("--rate must be between 0.5 and 50 writes per second")
    if args.hold is not None and not 0 <= args.hold <= MAX_HOLD_SECONDS:
        parser.error(f"--hold must be in [0, {MAX_HOLD_SECONDS}] AWS seconds")
    if local and not emulator.running():
        parser.error("the local emulator is not running: run `make deploy-local` first")
    if not local and os.environ.get("AWS_ENDPOINT_URL"):
        parser.error("AWS_ENDPOINT_URL is set: use --target local for the emulator")
    return args, chosen, _deployment(args.outputs)


def _deployment(path: Path) -> dict[str, Any]:
    """The outputs the game day needs, checked before any client, AWS call or fault: a
    deployment without a custom domain has no failover name to call nor switch to pull (its
    outputs are empty, cli/outputs_file.py says why), so it is refused in one line."""
    try:
        return load_outputs(path, NEEDED)
    except OutputsError as error:
        needs = "the deployment's failover name" if "failover_domain_name" in error.empty else "its outputs"
        print(f"error: the game day needs {needs}: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def _record(args: argparse.Namespace) -> Path | None:
    """The alarm sink's record a local game day reads: --notifications, else the emulator's state
    directory's when a sink wrote there (flows/alarm_sink.py); None on AWS."""
    if args.target != "local":
        return None
    if args.notifications is not None:
        return args.notifications
    default = Path(os.environ.get("EMULATOR_STATE_DIR", ".local-aws")) / RECORD_NAME
    return default if default.exists() else None


def main(argv: list[str] | None = None) -> int:
    args, chosen, outputs = _parse(argv)
    scale, dns_server, url, endpoint = 1.0, None, f"https://{outputs['failover_domain_name']}", None
    local = None
    if args.target == "local":
        os.environ.update(emulator.endpoint_env())
        local = local_endpoints(args.outputs)
        host, _, port = local["dns_server"].partition(":")
        dns_server, url = (host, int(port)), local["failover_api_url"]
        endpoint = os.environ["AWS_ENDPOINT_URL"]
        scale = float(control.status(endpoint)["time_scale"])
    try:  # the local caller on the emulator, else the default chain (cli/api_client.py)
        credentials = caller_credentials(local)
    except CredentialsError as error:
        print(f"error: the game day signs its writes: {error}", file=sys.stderr)
        return 2
    target = Target(outputs, scale=scale, endpoint=endpoint, notifications=_record(args))
    # One signer for every scenario: the failover name's regions in the topology's order.
    signer = Signer(credentials, [region for _, region in target.topology.roles])
    key = target.api_key()
    holds = {scenario.name: scenario.hold_seconds(target, args.hold) for scenario in chosen}  # AWS s
    timeout = 300 / scale + 10
    budget = int(args.rate * (3 * timeout + max(holds.values()) / scale))  # bounded: per scenario

    def client() -> Client:
        return Client(url, key, dns_server, args.rate, max_requests=budget, signer=signer)

    results = []
    # Whatever happens, the fault is undone on the way out (run_scenario's finally): Ctrl-C
    # raises KeyboardInterrupt, and a cancelled job's SIGTERM/SIGHUP is made to do the same.
    previous = {signum: signal.signal(signum, _interrupted) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        for scenario in chosen:
            print(f"==> {scenario.name}", flush=True)
            hold = holds[scenario.name] / scale
            result = run_scenario(target, client, scenario, hold=hold, timeout=timeout)
            results.append(result)
            print(f"    {result.headline()}")
    except (GameDayError, BotoCoreError, ClientError) as error:
        print(f"error: {scenario.name}: {error}", file=sys.stderr)
        return 1
    except (Interrupted, KeyboardInterrupt) as error:
        print(f"error: game day interrupted ({str(error) or 'SIGINT'}): the fault is undone", file=sys.stderr)
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    report = GameDayReport(args.target, results)
    report.write(args.report)
    print(render(report))
    failed = report.failures()
    if failed:
        print("error: game day failed: " + "; ".join(failed), file=sys.stderr)
        return 1
    print(f"game day passed: report in {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

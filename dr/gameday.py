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
import json
import os
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from cli.api_client import Endpoint, client_api_key, local_endpoints, resolve_with_ttl
from cli.outputs_file import FLAT_OUTPUTS, OutputsError, load_outputs, topology_of
from dr.stack import ALIAS_RECORD_TTL_SECONDS
from lib.api_contract import receipt_key
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
SCENARIOS = ("region-loss", "manual")
HOLD_PERIODS = 10  # the manual failover holds this many of the switch's alarm periods by default
REGION_LOSS_HOLD_SECONDS = 10  # AWS seconds: the outage itself keeps the primary out
MAX_HOLD_SECONDS = 3600


class GameDayError(Exception):
    """A scenario could not run or an expectation failed: one line for the user."""


class Interrupted(Exception):
    """SIGTERM or SIGHUP (a cancelled CI job): stop, undo the fault, exit 1."""


def _interrupted(signum: int, _frame: Any) -> None:
    raise Interrupted(signal.Signals(signum).name)


@dataclass
class Attempt:
    at: float
    payment_id: str
    status: int | None  # None: no answer (refused, timed out)
    region: str | None = None


@dataclass
class Client:
    """Writes payments through the failover name at ``rate`` per second, resolving it through
    DNS and honouring the TTL, retrying each write with its own payment_id until acknowledged."""

    url: str
    key: str
    dns_server: tuple[str, int] | None
    rate: float
    max_requests: int
    attempts: list[Attempt] = field(default_factory=list)
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> body + "acked_at"
    _stop: threading.Event = field(default_factory=threading.Event)
    _cache: tuple[list[str], float] = ([], 0.0)

    def _address(self) -> str | None:
        addresses, expires = self._cache
        if not addresses or time.monotonic() >= expires:
            host = urlsplit(self.url).hostname or ""
            server, port = self.dns_server if self.dns_server else (None, 53)
            try:
                addresses, ttl = resolve_with_ttl(host, server, port)
            except Exception:  # a DNS failure is a failed request, retried
                return None
            self._cache = (addresses, time.monotonic() + ttl)
        return addresses[0] if addresses else None

    def _write(self, payment_id: str) -> bool:
        body = {"payment_id": payment_id, "amount": "1.00", "currency": "EUR", "customer_id": "gameday"}
        address = self._address()
        status, served = None, None
        if address:
            try:
                response = Endpoint(self.url, self.key, connect_to=address).call("POST", "/payments", body)
                status = response.status
                served = response.body.get("region") if isinstance(response.body, dict) else None
                if status in (200, 201):
                    self.acknowledged[payment_id] = {**response.body, "acked_at": time.monotonic()}
            except OSError:
                status = None
        self.attempts.append(Attempt(time.monotonic(), payment_id, status, served))
        return status in (200, 201)

    def run(self) -> None:
        pending: str | None = None
        while not self._stop.is_set() and len(self.attempts) < self.max_requests:
            pending = pending or f"gd-{uuid.uuid4().hex}"
            if self._write(pending):
                pending = None
            self._stop.wait(1 / self.rate)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="gameday-client", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def first_success_from(self, region: str, after: float, timeout: float) -> float:
        """When the first 2xx served by ``region`` after ``after`` arrived (waits for it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for attempt in list(self.attempts):
                if attempt.at >= after and attempt.status in (200, 201) and attempt.region == region:
                    return attempt.at
            time.sleep(0.05)
        raise GameDayError(f"no write was served by {region} within {timeout:.0f} s")


class Target:
    """The deployment: its outputs, the switch, the data-plane reads the reconciliation uses;
    every AWS call the game day makes is recorded (service, region, operation)."""

    def __init__(self, outputs: dict[str, Any], *, scale: float = 1.0) -> None:
        self.outputs = outputs
        self.topology = topology_of(outputs)
        self.regions = dict(self.topology.roles)
        self.switch = json.loads(outputs["failover_switch"])
        self.scale = scale
        self.calls: list[tuple[str, str, str]] = []
        self._session = boto3.session.Session()
        self._clients: dict[tuple[str, str], Any] = {}
        self._switch_alarm: dict[str, Any] | None = None

    def client(self, service: str, region: str) -> Any:
        if (service, region) not in self._clients:
            client = self._session.client(service, region_name=region)

            def record(model: Any, **_: Any) -> None:
                self.calls.append((service, region, model.name))

            client.meta.events.register("before-call", record)
            self._clients[(service, region)] = client
        return self._clients[(service, region)]

    def api_key(self) -> str:
        try:  # the survivor answers when the other is out
            return client_api_key(self.outputs, self.topology, self.client)
        except LookupError as error:
            raise GameDayError(str(error)) from None

    def publish(self, value: int) -> None:
        """The data-plane switch: one PutMetricData in the switch's (the secondary's) region."""
        self.client("cloudwatch", self.switch["region"]).put_metric_data(
            Namespace=self.switch["namespace"],
            MetricData=[
                {
                    "MetricName": self.switch["metric"],
                    "Dimensions": [{"Name": k, "Value": v} for k, v in self.switch["dimensions"].items()],
                    "Value": value,
                }
            ],
        )

    def item(self, role: str, payment_id: str) -> dict[str, Any] | None:
        return (
            self.client("dynamodb", self.regions[role])
            .get_item(
                TableName=self.outputs["dynamodb_table_name"],
                Key={"payment_id": {"S": payment_id}},
                ConsistentRead=True,
            )
            .get("Item")
        )

    def receipt(self, role: str, payment_id: str) -> bool:
        try:
            self.client("s3", self.regions[role]).head_object(
                Bucket=self.outputs[f"{role}_bucket_name"], Key=receipt_key(payment_id)
            )
        except ClientError:
            return False
        return True

    def switch_alarm(self) -> dict[str, Any]:
        """The switch's alarm as CloudWatch describes it (read before any fault)."""
        if self._switch_alarm is None:
            self._switch_alarm = self.client("cloudwatch", self.switch["region"]).describe_alarms(
                AlarmNames=[self.switch["alarm_name"]]
            )["MetricAlarms"][0]
        return self._switch_alarm

    def switch_period(self) -> int:
        """The switch alarm's period, in AWS seconds."""
        return int(self.switch_alarm()["Period"])

    def computed_rto(self, scenario: str) -> tuple[int, int, str]:
        """What the configuration implies (read before any fault): detection, and detection +
        DNS cache, with the basis."""
        if scenario == "manual":
            alarm = self.switch_alarm()
            seconds = alarm["Period"] * alarm["EvaluationPeriods"]
            basis = f"alarm {alarm['Period']} s x {alarm['EvaluationPeriods']}"
        else:
            config = self.client("route53", self.topology.global_region).get_health_check(
                HealthCheckId=self.outputs["primary_health_check_id"]
            )["HealthCheck"]["HealthCheckConfig"]
            seconds = config["RequestInterval"] * config["FailureThreshold"]
            basis = f"health check {config['RequestInterval']} s x {config['FailureThreshold']}"
        return (
            seconds,
            seconds + ALIAS_RECORD_TTL_SECONDS,
            f"{basis} + alias DNS {ALIAS_RECORD_TTL_SECONDS} s",
        )


@dataclass
class Scenario:
    name: str
    fault: Any  # callable: make the fault happen
    restore: Any  # callable: undo it


def run_scenario(
    target: Target, client_factory: Any, scenario: Scenario, *, hold: float, timeout: float, local: bool
) -> dict[str, Any]:
    """One scenario: baseline writes through the primary, the fault, recovery, ``hold`` real
    seconds failed over, failback, reconciliation. Whatever happens, the fault is undone."""
    floor, computed, basis = target.computed_rto(scenario.name)
    client = client_factory()
    client.start()
    primary, secondary = target.regions["primary"], target.regions["secondary"]
    restored = False
    try:
        client.first_success_from(primary, 0, timeout)
        before_calls = control.calls(os.environ["AWS_ENDPOINT_URL"]) if local else {}
        recorded = len(target.calls)
        fault_at = time.monotonic()
        scenario.fault()
        acked_before = {
            pid: body for pid, body in client.acknowledged.items() if body["acked_at"] <= fault_at
        }
        missing = [pid for pid in acked_before if target.item("secondary", pid) is None]
        recovered_at = client.first_success_from(secondary, fault_at, timeout)
        time.sleep(hold)
        held_until = time.monotonic()
        recovery_calls = target.calls[recorded:]
        after_calls = control.calls(os.environ["AWS_ENDPOINT_URL"]) if local else {}
        restore_at = time.monotonic()
        scenario.restore()
        restored = True
        back_at = client.first_success_from(primary, restore_at, timeout)
    finally:
        if not restored:
            scenario.restore()
        client.stop()
    failed = [a for a in client.attempts if a.at >= fault_at and a.status not in (200, 201)]
    flips = [a for a in client.attempts if recovered_at <= a.at <= held_until and a.region == primary]
    lost, conflicts, receipts = reconcile(target, client.acknowledged, timeout)
    scale = target.scale
    oldest = min((acked_before[pid]["acked_at"] for pid in missing), default=fault_at)
    route53_calls = sum(
        n - before_calls.get(k, 0) for k, n in after_calls.items() if k.startswith("route53/")
    )
    measured = (recovered_at - fault_at) * scale
    return {
        "scenario": scenario.name,
        "measured_rto_seconds": round(measured, 1),
        "computed_rto_seconds": computed,
        "computed_rto_basis": basis,
        "detection_floor_seconds": floor,
        "within_goal": floor <= measured <= 1.2 * computed,
        "failed_requests": len(failed),
        "acknowledged_writes": len(client.acknowledged),
        "lost_writes": len(lost),
        "lost": lost,
        "unreplicated_at_fault": len(missing),
        "rpo_seconds": round((fault_at - oldest) * scale, 1),
        "conflicts": len(conflicts),
        "conflicting": conflicts,
        "receipts_missing": receipts,
        "hold_seconds": round((held_until - recovered_at) * scale, 1),
        "primary_answers_during_hold": len(flips),
        "failback_seconds": round((back_at - restore_at) * scale, 1),
        "recovery_calls": sorted({f"{s}/{r}:{op}" for s, r, op in recovery_calls}),
        "recovery_route53_or_primary_calls": [
            f"{s}/{r}:{op}" for s, r, op in recovery_calls if s == "route53" or r == primary
        ],
        "route53_calls_during_recovery": route53_calls,
        "time_scale": scale,
    }


def reconcile(
    target: Target, acknowledged: dict[str, dict[str, Any]], timeout: float
) -> tuple[list[str], list[str], list[str]]:
    """Every acknowledged payment in both tables with identical attributes (after replication
    catches up, bounded), and its receipt in both buckets."""
    deadline = time.monotonic() + timeout
    lost, conflicts, receipts = list(acknowledged), [], list(acknowledged)
    while time.monotonic() < deadline and (lost or receipts):
        lost, conflicts = [], []
        for payment_id in acknowledged:
            items = [target.item(role, payment_id) for role in ROLES]
            if None in items:
                lost.append(payment_id)
            elif items[0] != items[1]:  # one payment_id, different attributes: last writer wins hid it
                conflicts.append(payment_id)
        receipts = [pid for pid in acknowledged if not all(target.receipt(role, pid) for role in ROLES)]
        if lost or receipts:
            time.sleep(0.5)
    return lost, conflicts, receipts


def render(report: dict[str, Any]) -> str:
    rows = [
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
    ]
    scenarios = report["scenarios"]
    lines = [
        "Game day (AWS seconds)",
        "  " + f"{'':<28}" + "".join(f"{s['scenario']:>14}" for s in scenarios),
    ]
    for label, key, unit in rows:
        cells = "".join(f"{str(s[key]) + (' ' + unit if unit else ''):>14}" for s in scenarios)
        lines.append(f"  {label:<28}{cells}")
    return "\n".join(lines)


def failures(results: list[dict[str, Any]]) -> list[str]:
    """What makes a game day fail: a lost write, a conflict, a missing receipt, a recovery path
    that touched Route 53 or the region it left, or the primary answering while failed over."""
    return [
        f"{r['scenario']}: {what}"
        for r in results
        for what, bad in (
            ("acknowledged writes lost", r["lost_writes"]),
            ("conflicts", r["conflicts"]),
            ("receipts missing", len(r["receipts_missing"])),
            (
                "the recovery path called Route 53 or the primary region",
                len(r["recovery_route53_or_primary_calls"]),
            ),
            ("Route 53 was called during the recovery", r["route53_calls_during_recovery"]),
            ("the primary answered while failed over", r["primary_answers_during_hold"]),
        )
        if bad
    ]


def _parse(argv: list[str] | None) -> tuple[argparse.Namespace, list[str], dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("local", "aws"), required=True)
    parser.add_argument("--outputs", type=Path, default=DEFAULT_OUTPUTS)
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    parser.add_argument("--scenarios", default=None, help="comma-separated: region-loss,manual")
    parser.add_argument("--rate", type=float, default=5.0, help="writes per second (default 5)")
    parser.add_argument(
        "--hold",
        type=float,
        default=None,
        help=f"AWS seconds the failover holds, no new datapoint (default: {HOLD_PERIODS} alarm periods)",
    )
    args = parser.parse_args(argv)
    local = args.target == "local"
    chosen = (args.scenarios or ("region-loss,manual" if local else "manual")).split(",")
    if any(s not in SCENARIOS for s in chosen):
        parser.error(f"--scenarios must be among {', '.join(SCENARIOS)}")
    if "region-loss" in chosen and not local:
        parser.error("region-loss runs on the emulator only (it switches a region off)")
    if not 0.5 <= args.rate <= 50:
        parser.error("--rate must be between 0.5 and 50 writes per second")
    if args.hold is not None and not 0 <= args.hold <= MAX_HOLD_SECONDS:
        parser.error(f"--hold must be in [0, {MAX_HOLD_SECONDS}] AWS seconds")
    if local and not emulator.running():
        parser.error("the local emulator is not running: run `make deploy-local` first")
    if not local and os.environ.get("AWS_ENDPOINT_URL"):
        parser.error("AWS_ENDPOINT_URL is set: use --target local for the emulator")
    try:
        outputs = load_outputs(args.outputs, NEEDED)
    except OutputsError as error:
        parser.error(str(error))
    return args, chosen, outputs


def main(argv: list[str] | None = None) -> int:
    args, chosen, outputs = _parse(argv)
    local = args.target == "local"
    scale, dns_server, url = 1.0, None, f"https://{outputs['failover_domain_name']}"
    if local:
        os.environ.update(emulator.endpoint_env())
        endpoints = local_endpoints(args.outputs)
        host, _, port = endpoints["dns_server"].partition(":")
        dns_server, url = (host, int(port)), endpoints["failover_api_url"]
        scale = float(control.status(os.environ["AWS_ENDPOINT_URL"])["time_scale"])
    target = Target(outputs, scale=scale)
    key = target.api_key()
    holds = {  # AWS seconds failed over
        "region-loss": REGION_LOSS_HOLD_SECONDS,
        "manual": args.hold if args.hold is not None else HOLD_PERIODS * target.switch_period(),
    }
    timeout = 300 / scale + 10
    budget = int(args.rate * (3 * timeout + max(holds.values()) / scale))  # bounded: per scenario
    primary, endpoint = target.regions["primary"], os.environ.get("AWS_ENDPOINT_URL", "")
    scenarios = {
        "region-loss": Scenario(
            "region-loss",
            lambda: control.switch(endpoint, primary, down=True),
            lambda: control.switch(endpoint, primary, down=False),
        ),
        "manual": Scenario(
            "manual",
            lambda: target.publish(target.switch["fail_over"]),
            lambda: target.publish(target.switch["fail_back"]),
        ),
    }

    def client() -> Client:
        return Client(url, key, dns_server, args.rate, max_requests=budget)

    results = []
    # Whatever happens, the fault is undone on the way out (run_scenario's finally): Ctrl-C
    # raises KeyboardInterrupt, and a cancelled job's SIGTERM/SIGHUP is made to do the same.
    previous = {signum: signal.signal(signum, _interrupted) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        for name in chosen:
            print(f"==> {name}", flush=True)
            hold = holds[name] / scale
            result = run_scenario(target, client, scenarios[name], hold=hold, timeout=timeout, local=local)
            results.append(result)
            print(f"    RTO {result['measured_rto_seconds']} s (computed {result['computed_rto_seconds']} s)")
    except (GameDayError, BotoCoreError, ClientError) as error:
        print(f"error: {name}: {error}", file=sys.stderr)
        return 1
    except (Interrupted, KeyboardInterrupt) as error:
        print(f"error: game day interrupted ({str(error) or 'SIGINT'}): the fault is undone", file=sys.stderr)
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    report = {"target": args.target, "scenarios": results}
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(render(report))
    failed = failures(results)
    if failed:
        print("error: game day failed: " + "; ".join(failed), file=sys.stderr)
        return 1
    print(f"game day passed: report in {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

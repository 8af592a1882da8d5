#!/usr/bin/env python3
"""Failover drill: lose the primary, serve from the secondary, fail back, lose nothing.

    dr_drill.py --target local   # the emulator deployment of `make deploy-local` (make drill-local)
    dr_drill.py --target aws     # a real deployment of `make deploy` (make drill; credentials)

Reads the deployment from cfn-outputs/flat-outputs.json. Steps, each timed:

1. baseline: both regions answer /health, the failover name resolves to the primary;
2. lose the primary: its Route 53 health check is inverted (reports the opposite of what it
   sees), so Route 53 considers the primary down;
3. DNS fails over: the failover name resolves to the secondary;
4. a payment is written and read back through the secondary region's API;
5. it is in the global table and its receipt in the secondary bucket;
6. restore the primary: the health check is un-inverted, the name resolves to the primary;
7. the payment written during the outage is visible in the primary (table through the
   primary API; receipt through the failback replication secondary -> primary).

Whatever happens, the health check is restored before exit: on a failed expectation, on
Ctrl-C, on SIGTERM or SIGHUP (a CI job cancelled). While it is inverted the health check
carries the tag ``tap:drill`` (the run id): a later run that finds it inverted WITH that tag
repairs it (a drill was killed with SIGKILL or lost power) and says so; one inverted WITHOUT
the tag is a deliberate failover (runbook step 6) and the drill refuses to start. Exit 0 when
every expectation held, 1 when one failed or it was interrupted, 2 on bad input (nothing is
changed then).

How the drill reaches the deployment is the same on both targets: HTTP to each region's stage
with the client key, Route 53's GetHealthCheckStatus for the health checks' verdicts, DNS for
the failover name (its addresses against each record's alias target's). On AWS the stages are
the outputs' URLs and the system resolver answers; locally the emulator's data plane serves the
stages on loopback addresses, its health checkers probe them and its DNS server answers
(local-endpoints.json beside the outputs; timeouts shrink with EMULATOR_TIME_SCALE).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import dns.exception
from botocore.exceptions import BotoCoreError, ClientError

from cli.api_client import Endpoint, local_endpoints, resolve
from cli.outputs_file import OutputsError, load_outputs, missing_outputs, region_of
from cli.steps import TimedSteps
from lib.api_contract import receipt_key
from local_aws import emulator
from local_aws.dataplane import control

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_OUTPUTS = ROOT / "cfn-outputs" / "flat-outputs.json"
ROLES = ("primary", "secondary")
REQUIRED_OUTPUTS = (
    "dynamodb_table_name",
    "failover_domain_name",
    "hosted_zone_id",
    *(
        f"{role}_{name}"
        for role in ROLES
        for name in (
            "api_endpoint",
            "api_key_id",
            "bucket_name",
            "health_check_id",
            "kms_key_arn",
        )
    ),
)
# Route 53 considers an endpoint healthy when more than 18 % of its checkers see it healthy.
HEALTHY_SHARE = 0.18
# How long DNS may take to fail over on the emulator at EMULATOR_TIME_SCALE=1, in AWS seconds.
LOCAL_FAILOVER_SECONDS = 60


class DrillInputError(OutputsError):
    """The drill cannot start: one line for the user; nothing was changed."""


class ExpectationFailed(Exception):
    """A step's expectation did not hold."""


class DrillInterrupted(Exception):
    """SIGTERM or SIGHUP: stop where we are, restore, exit 1."""


DRILL_TAG = "tap:drill"


# --------------------------------------------------------------------------- the deployment


@dataclass(frozen=True)
class Deployment:
    outputs: dict[str, Any]
    regions: dict[str, str]  # role -> region name

    @classmethod
    def load(cls, path: Path) -> Deployment:
        outputs = load_outputs(path)
        missing = missing_outputs(outputs, REQUIRED_OUTPUTS)
        if missing:
            raise DrillInputError(
                f"{path} lacks outputs: {', '.join(missing)}"
                + (" (failover needs ENABLE_CUSTOM_DOMAIN=true)" if "failover_domain_name" in missing else "")
            )
        regions = {role: region_of(outputs[f"{role}_kms_key_arn"]) for role in ROLES}
        if regions["primary"] == regions["secondary"]:
            raise DrillInputError(f"both regions are {regions['primary']!r}: nothing to fail over to")
        return cls(outputs, regions)

    def payment_body(self, payment_id: str) -> str:
        return json.dumps(
            {
                "payment_id": payment_id,
                "amount": "12.34",
                "currency": "EUR",
                "customer_id": "dr-drill",
                "description": "failover drill",
            }
        )


@dataclass(frozen=True)
class FailoverRecord:
    role: str  # PRIMARY -> "primary"
    health_check_id: str
    alias_target: str


# --------------------------------------------------------------------------- targets


class Target:
    """Where the drill runs: the emulator or AWS, reached the same way: HTTP to each region's
    stage with the client key, Route 53's health-check status, DNS for the failover name.
    Subclasses say where the stages answer and which DNS server to ask."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.route53 = self.client("route53", deployment.regions["primary"])
        try:
            key = self.client("apigateway", deployment.regions["primary"]).get_api_key(
                apiKey=deployment.outputs["primary_api_key_id"], includeValue=True
            )["value"]
        except (BotoCoreError, ClientError) as error:
            raise DrillInputError(f"cannot read the API key: {error}") from None
        self.stages = {role: Endpoint(self.stage_url(role), key) for role in ROLES}

    def client(self, service: str, region: str) -> Any:
        return boto3.client(service, region_name=region)

    def stage_url(self, role: str) -> str:
        return self.deployment.outputs[f"{role}_api_endpoint"]

    def addresses(self, name: str) -> set[str]:
        raise NotImplementedError

    def records(self) -> list[FailoverRecord]:
        name = self.deployment.outputs["failover_domain_name"].rstrip(".") + "."
        pages = self.route53.get_paginator("list_resource_record_sets").paginate(
            HostedZoneId=self.deployment.outputs["hosted_zone_id"]
        )
        return [
            FailoverRecord(r["Failover"].lower(), r["HealthCheckId"], r["AliasTarget"]["DNSName"].rstrip("."))
            for page in pages
            for r in page["ResourceRecordSets"]
            if r["Name"] == name and r.get("Failover") and r["Type"] == "A"
        ]

    def inverted(self, health_check_id: str) -> bool:
        config = self.route53.get_health_check(HealthCheckId=health_check_id)["HealthCheck"]
        return bool(config["HealthCheckConfig"].get("Inverted"))

    def set_inverted(self, health_check_id: str, inverted: bool) -> None:
        self.route53.update_health_check(HealthCheckId=health_check_id, Inverted=inverted)

    def drill_mark(self, health_check_id: str) -> str | None:
        """The run id a drill tagged the health check with while it inverted it (None: no drill)."""
        tags = self.route53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=health_check_id)
        return next((t["Value"] for t in tags["ResourceTagSet"]["Tags"] if t["Key"] == DRILL_TAG), None)

    def mark(self, health_check_id: str, run_id: str | None) -> None:
        """Tag (or untag) the health check as inverted by the drill run ``run_id``."""
        if run_id is None:
            self.route53.change_tags_for_resource(
                ResourceType="healthcheck", ResourceId=health_check_id, RemoveTagKeys=[DRILL_TAG]
            )
        else:
            self.route53.change_tags_for_resource(
                ResourceType="healthcheck",
                ResourceId=health_check_id,
                AddTags=[{"Key": DRILL_TAG, "Value": run_id}],
            )

    def call(self, role: str, method: str, path: str, body: str | None = None) -> tuple[int, Any]:
        raw = body.encode() if body is not None else None
        response = self.stages[role].call(method, path, raw=raw, headers={"Content-Type": "application/json"})
        return response.status, response.body

    def healthy(self, record: FailoverRecord) -> bool:
        observations = self.route53.get_health_check_status(HealthCheckId=record.health_check_id)
        reports = [o["StatusReport"]["Status"] for o in observations["HealthCheckObservations"]]
        return bool(reports) and sum(r.startswith("Success") for r in reports) / len(reports) > HEALTHY_SHARE

    def resolve(self, records: list[FailoverRecord]) -> str:
        """Which record the failover name answers with now (its addresses against each
        record's alias target's)."""
        name = self.deployment.outputs["failover_domain_name"]
        answer = self.addresses(name)
        for record in records:
            if answer and answer <= self.addresses(record.alias_target):
                return record.role
        return f"unknown ({name} -> {sorted(answer) or 'no answer'})"


class LocalTarget(Target):
    """The emulator: its data plane serves the stages on loopback addresses and answers DNS
    (local-endpoints.json, written by `make deploy-local` beside the outputs)."""

    def __init__(self, deployment: Deployment, outputs_path: Path) -> None:
        if not emulator.running():
            raise DrillInputError("the local emulator is not running: run `make deploy-local` first")
        os.environ.update(emulator.endpoint_env())
        try:
            self.local = local_endpoints(outputs_path)
        except (OSError, ValueError) as error:
            raise DrillInputError(f"no local endpoints: {error}") from None
        host, _, port = self.local["dns_server"].partition(":")
        self.dns_server = (host, int(port))
        self.time_scale = float(control.status(os.environ["AWS_ENDPOINT_URL"])["time_scale"])
        super().__init__(deployment)

    def stage_url(self, role: str) -> str:
        return self.local[f"{role}_api_url"]

    def addresses(self, name: str) -> set[str]:
        try:
            return set(resolve(name, *self.dns_server))
        except (OSError, dns.exception.DNSException):
            return set()


class AwsTarget(Target):
    """Real AWS: HTTPS to each region's API with its key; the system resolver for names."""

    def __init__(self, deployment: Deployment) -> None:
        if os.environ.get("AWS_ENDPOINT_URL"):
            raise DrillInputError("AWS_ENDPOINT_URL is set: use --target local for the emulator")
        super().__init__(deployment)

    def addresses(self, name: str) -> set[str]:
        try:
            return {info[4][0] for info in socket.getaddrinfo(name, 443, proto=socket.IPPROTO_TCP)}
        except socket.gaierror:
            return set()


# --------------------------------------------------------------------------- the drill


class Drill(TimedSteps):
    def __init__(
        self, target: Target, failover_timeout: float, replication_timeout: float, hold: float = 0
    ) -> None:
        super().__init__()
        self.target = target
        self.deployment = target.deployment
        self.failover_timeout = failover_timeout
        self.replication_timeout = replication_timeout
        self.hold = hold

    def wait_for(self, what: str, probe: Callable[[], Any], want: Any, timeout: float) -> None:
        deadline, delay = time.monotonic() + timeout, 1.0
        while True:
            got = probe()
            if got == want:
                return
            if time.monotonic() >= deadline:
                raise ExpectationFailed(f"{what}: expected {want!r}, got {got!r} after {timeout:.0f} s")
            time.sleep(delay)
            delay = min(delay * 2, 10.0)

    def expect(self, condition: bool, message: str) -> None:
        if not condition:
            raise ExpectationFailed(message)

    def receipt_in(self, role: str, payment_id: str) -> bool:
        s3 = self.target.client("s3", self.deployment.regions[role])
        try:
            bucket = self.deployment.outputs[f"{role}_bucket_name"]
            s3.head_object(Bucket=bucket, Key=receipt_key(payment_id))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def repair_leftover(self, health_check_id: str) -> None:
        """Undo what an earlier drill that never got to restore left behind."""
        if not self.target.inverted(health_check_id):
            return
        run_id = self.target.drill_mark(health_check_id)
        if run_id is None:
            raise ExpectationFailed(
                "the primary health check is inverted, and not by a drill: a deliberate failover? "
                "un-invert it (aws route53 update-health-check --no-inverted) before drilling"
            )
        with self.step(f"repair: un-invert the primary health check left inverted by drill {run_id}"):
            self.target.set_inverted(health_check_id, False)
            self.target.mark(health_check_id, None)

    def run(self) -> None:
        target, outputs = self.target, self.deployment.outputs
        primary_check = outputs["primary_health_check_id"]
        run_id = uuid.uuid4().hex[:12]
        payment_id = f"drill-{run_id}"
        self.repair_leftover(primary_check)
        with self.step("baseline: both regions healthy, the name resolves to the primary"):
            records = target.records()
            self.expect(
                {r.role: r.health_check_id for r in records}
                == {role: outputs[f"{role}_health_check_id"] for role in ROLES},
                f"failover records do not match the outputs' health checks: {records}",
            )
            self.expect(not target.inverted(primary_check), "the primary health check is already inverted")
            for role in ROLES:
                status, body = target.call(role, "GET", "/health")
                self.expect(status == 200, f"{role} /health answered {status}: {body}")
            self.wait_for("failover name", lambda: target.resolve(records), "primary", self.failover_timeout)
        changed = False
        try:
            with self.step("lose the primary: invert its health check"):
                changed = True  # from here on, whatever happens, restore
                target.mark(primary_check, run_id)  # first: a killed run can be repaired later
                target.set_inverted(primary_check, True)
                self.expect(target.inverted(primary_check), "the health check did not become inverted")
            with self.step("DNS fails over: the name resolves to the secondary"):
                self.wait_for(
                    "failover name", lambda: target.resolve(records), "secondary", self.failover_timeout
                )
            with self.step(f"write and read payment {payment_id} through the secondary"):
                status, created = target.call(
                    "secondary", "POST", "/payments", self.deployment.payment_body(payment_id)
                )
                self.expect(status == 201, f"POST /payments in the secondary answered {status}: {created}")
                self.expect(
                    created["region"] == self.deployment.regions["secondary"], f"written in {created}"
                )
                status, read = target.call("secondary", "GET", f"/payments/{payment_id}")
                self.expect((status, read) == (200, created), f"read back {status}: {read}")
            with self.step("the payment is in the global table and its receipt in the secondary bucket"):
                table = target.client("dynamodb", self.deployment.regions["secondary"])
                item = table.get_item(
                    TableName=outputs["dynamodb_table_name"],
                    Key={"payment_id": {"S": payment_id}},
                    ConsistentRead=True,
                ).get("Item")
                self.expect(item is not None and item["amount"]["N"] == "12.34", f"table item: {item}")
                self.expect(self.receipt_in("secondary", payment_id), "no receipt in the secondary bucket")
            if self.hold:
                with self.step(f"hold the outage for {self.hold:g} s (the primary stays down)"):
                    time.sleep(self.hold)
            with self.step("restore the primary: the name resolves to the primary again"):
                target.set_inverted(primary_check, False)
                target.mark(primary_check, None)
                changed = False
                self.wait_for(
                    "failover name", lambda: target.resolve(records), "primary", self.failover_timeout
                )
            with self.step("failback: the outage's payment and receipt are in the primary"):
                self.wait_for(
                    "payment through the primary API",
                    lambda: target.call("primary", "GET", f"/payments/{payment_id}"),
                    (200, created),
                    self.replication_timeout,
                )
                self.wait_for(
                    "receipt replicated back to the primary bucket",
                    lambda: self.receipt_in("primary", payment_id),
                    True,
                    self.replication_timeout,
                )
        finally:
            if changed:
                print("==> restoring the primary health check", flush=True)
                target.set_inverted(primary_check, False)
                target.mark(primary_check, None)

    def summary(self) -> None:
        self.print_timings("Failover drill", width=78)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("local", "aws"), required=True)
    parser.add_argument("--outputs", type=Path, default=DEFAULT_OUTPUTS)
    parser.add_argument(
        "--failover-timeout",
        type=float,
        default=None,
        help="seconds to wait for DNS to fail over (local 60 / EMULATOR_TIME_SCALE + 10, aws 300)",
    )
    parser.add_argument(
        "--replication-timeout",
        type=float,
        default=None,
        help="seconds to wait for the receipt to replicate back (local 5, aws 900: RTC)",
    )
    parser.add_argument(
        "--hold",
        type=float,
        default=0,
        help="seconds to keep the primary down after the failover is proven (a game day: "
        "watch clients and alarms ride it out); default 0",
    )
    args = parser.parse_args(argv)
    for name in ("failover_timeout", "replication_timeout"):
        value = getattr(args, name)
        if value is not None and not 0 < value <= 3600:
            parser.error(f"--{name.replace('_', '-')} must be in (0, 3600] seconds")
    if not 0 <= args.hold <= 3600:
        parser.error("--hold must be in [0, 3600] seconds")
    local = args.target == "local"
    try:
        deployment = Deployment.load(args.outputs)
        target = LocalTarget(deployment, args.outputs) if local else AwsTarget(deployment)
    except OutputsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Locally: the health checks' detection (3 x 10 s) twice over, at the emulator's pace.
    local_failover = LOCAL_FAILOVER_SECONDS / getattr(target, "time_scale", 1) + 10
    drill = Drill(
        target,
        failover_timeout=args.failover_timeout or (local_failover if local else 300),
        replication_timeout=args.replication_timeout or (5 if local else 900),
        hold=args.hold,
    )
    return run_drill(drill)


def run_drill(drill: Drill) -> int:
    """Run the drill with SIGTERM/SIGHUP turned into an interrupt that restores what it changed."""

    def interrupted(signum: int, _frame: Any) -> None:
        raise DrillInterrupted(signal.Signals(signum).name)

    # SIGINT already raises KeyboardInterrupt; SIGTERM/SIGHUP (a cancelled CI job, a closed
    # terminal) would otherwise end the process without running the restore.
    previous = {signum: signal.signal(signum, interrupted) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        drill.run()
    except ExpectationFailed as error:
        drill.summary()
        print(f"error: drill failed: {error}", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as error:
        drill.summary()
        print(
            f"error: the deployment does not answer as its outputs say ({type(error).__name__}: "
            f"{error}): stale or foreign outputs? redeploy, or point --outputs at this deployment's",
            file=sys.stderr,
        )
        return 1
    except (DrillInterrupted, KeyboardInterrupt) as error:
        drill.summary()
        print(f"error: drill interrupted ({error or 'SIGINT'}): what it changed is restored", file=sys.stderr)
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    drill.summary()
    print("drill passed: the secondary served during the outage and failback lost nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())

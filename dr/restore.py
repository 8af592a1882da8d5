#!/usr/bin/env python3
"""Recover from bad data: restore the payments table to a time T in a new table, compare, repair.

    python -m dr.restore --target local|aws --to 2026-05-01T12:00:00Z [--region-role secondary]
    python -m dr.restore --target local|aws --to 2026-05-01T12:00:00Z --repair

A faulty deploy, a bad script or an attacker overwrites or deletes payments in one region, and
replication copies it to the other within a second (receipts within 15 minutes). The operator
gives T, a whole second just before the fault, and nothing else:

1. **dry run** (the default): the table of the chosen region (``--region-role``, default the
   secondary) is restored to T into a new table ``<table>-restore-<T>``, tagged, ACTIVE
   (dr/restore_table.py; T outside the restorable window is refused first); it is compared with
   the live table of the same region, payment by payment (dr/restore_compare.py: unchanged, to
   repair, kept, to review), and each receipt of a payment at T with the bucket's versions
   (dr/restore_receipts.py). Nothing live is written. Report: ``cfn-outputs/restore-report.json``
   and a table (dr/restore_report.py).
2. ``--repair``: what that report lists is written back: each payment to its T value, only while
   it is still what the report saw (dr/restore_repair.py), each receipt's T version made current
   again. A re-run, or a run resumed after an interruption, repairs nothing new.

Every call goes to the chosen region only (the table's replica there, its bucket, STS for the
tag naming the operator); replication carries the repairs to the other region. The tool never
deletes the live table, a payment or a receipt, and leaves the restored table for inspection
(delete it when done: the README's runbook).

Exit 0: nothing to repair (dry run) or all repaired; 1: payments or receipts to repair (dry run),
something left for a human (a payment to review, a conflict), a restore still running after
``--wait``, or an AWS error; 2: bad input or a refusal before anything was restored or written.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cli.args import ArgumentParser
from cli.handler_loader import load_handler
from cli.outputs_file import FLAT_OUTPUTS, OutputsError, load_outputs, topology_of
from dr import restore_receipts, restore_repair, restore_table
from dr.restore_compare import REPAIR, StampCheck, classify, scan
from dr.restore_report import ReportError, RestoreReport, load, render
from dr.restore_table import RestoreError, RestoreRefused, iso, parse_restore_point
from lib.regions import ROLES
from local_aws import emulator

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REPORT = ROOT / "cfn-outputs" / "restore-report.json"
NEEDED = (
    "topology",
    "dynamodb_table_name",
    *(f"{role}_{name}" for role in ROLES for name in ("bucket_name", "lambda_function_name", "kms_key_arn")),
)
MODULE_NAME = "payments_handler_for_restore"
MAX_WAIT = 86400.0
CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 5})

ClientFactory = Callable[[str, str], Any]


@dataclass(frozen=True)
class Deployment:
    """What the tool acts on: the chosen region's table, bucket and key, and the functions whose
    stamp marks the API's writes (every region's), with a client factory for that region."""

    role: str
    region: str
    table: str
    bucket: str
    kms_key_arn: str
    functions: tuple[str, ...]
    client: ClientFactory

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any], role: str, client: ClientFactory) -> Deployment:
        return cls(
            role=role,
            region=dict(topology_of(outputs).roles)[role],
            table=outputs["dynamodb_table_name"],
            bucket=outputs[f"{role}_bucket_name"],
            kms_key_arn=outputs[f"{role}_kms_key_arn"],
            functions=tuple(outputs[f"{r}_lambda_function_name"] for r in ROLES),
            client=client,
        )

    def dynamodb(self) -> Any:
        return self.client("dynamodb", self.region)

    def s3(self) -> Any:
        return self.client("s3", self.region)

    def caller(self) -> str:
        """Who runs the restore (the tag's "by"), from STS in this region."""
        try:
            return str(self.client("sts", self.region).get_caller_identity()["Arn"])
        except (BotoCoreError, ClientError):
            return "unknown"


def _now() -> str:
    return iso(datetime.now(UTC))


def dry_run(
    deployment: Deployment, when: datetime, *, wait: float, handler: ModuleType | None = None
) -> RestoreReport:
    """Restore to ``when`` (or pick up that restore), compare, plan the receipts: no live write."""
    handler = handler or load_handler(module_name=MODULE_NAME)
    dynamodb = deployment.dynamodb()
    restored = restore_table.restore(
        dynamodb,
        table=deployment.table,
        region=deployment.region,
        when=when,
        caller=deployment.caller(),
        wait=wait,
    )
    at_t = scan(dynamodb, restored.name)
    comparison = classify(at_t, scan(dynamodb, deployment.table), StampCheck(handler, deployment.functions))
    receipts = restore_receipts.plan(deployment.s3(), deployment.bucket, when, at_t, handler)
    return RestoreReport(
        restore_to=iso(when),
        region_role=deployment.role,
        region=deployment.region,
        table=deployment.table,
        restored_table=restored.name,
        source_table_arn=restored.source_arn,
        made_at=_now(),
        unchanged=comparison.unchanged,
        payments=comparison.entries,
        receipts=receipts,
    )


def repair(deployment: Deployment, report: RestoreReport) -> RestoreReport:
    """Write back what ``report`` lists to repair; the report with each outcome."""
    dynamodb, s3 = deployment.dynamodb(), deployment.s3()
    outcomes = {
        e.payment_id: restore_repair.repair(dynamodb, deployment.table, e) for e in report.of_kind(REPAIR)
    }
    receipts = {}
    for receipt in report.receipts_to(restore_receipts.RESTORE):
        if outcomes.get(receipt.payment_id) == "conflict":
            receipts[receipt.payment_id] = "skipped: its payment is a conflict"
        else:
            receipts[receipt.payment_id] = restore_receipts.restore(
                s3, deployment.bucket, deployment.kms_key_arn, receipt
            )
    return report.with_repair(_now(), outcomes, receipts)


def _check_matches(report: RestoreReport, deployment: Deployment, when: datetime, path: Path) -> None:
    made_for = (report.restore_to, report.region_role, report.table)
    if made_for != (iso(when), deployment.role, deployment.table):
        raise RestoreRefused(
            f"{path} was made for {report.table} to {report.restore_to} in the {report.region_role}, not "
            f"{deployment.table} to {iso(when)} in the {deployment.role}: run the dry run with these first"
        )


def _parse(argv: list[str] | None) -> tuple[Any, datetime]:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("local", "aws"), required=True)
    parser.add_argument("--to", required=True, help="T: ISO-8601 UTC, a whole second just before the fault")
    parser.add_argument("--region-role", choices=ROLES, default="secondary", help="the surviving region")
    parser.add_argument("--repair", action="store_true", help="write back what the dry run's report lists")
    parser.add_argument("--outputs", type=Path, default=FLAT_OUTPUTS)
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    parser.add_argument("--wait", type=float, default=3600.0, help="seconds to wait for the restored table")
    args = parser.parse_args(argv)
    try:
        when = parse_restore_point(args.to)
    except RestoreRefused as error:
        parser.error(str(error))
    if not 1 <= args.wait <= MAX_WAIT:
        parser.error(f"--wait must be in [1, {MAX_WAIT:g}] seconds")
    if args.target == "local" and not emulator.running():
        parser.error("the local emulator is not running: run `make deploy-local` first")
    if args.target == "aws" and os.environ.get("AWS_ENDPOINT_URL"):
        parser.error("AWS_ENDPOINT_URL is set: use --target local for the emulator")
    return args, when


def client_factory() -> ClientFactory:
    """boto3 clients, one per (service, region), adaptive retries."""
    clients: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        if (service, region) not in clients:
            clients[(service, region)] = boto3.client(service, region_name=region, config=CONFIG)
        return clients[(service, region)]

    return client


def main(argv: list[str] | None = None) -> int:
    args, when = _parse(argv)
    if args.target == "local":
        os.environ.update(emulator.endpoint_env())
    try:
        outputs = load_outputs(args.outputs, NEEDED)
        deployment = Deployment.from_outputs(outputs, args.region_role, client_factory())
        if args.repair:
            report = load(args.report)
            _check_matches(report, deployment, when, args.report)
            report = repair(deployment, report)
        else:
            started = time.monotonic()
            report = dry_run(deployment, when, wait=args.wait)
            print(f"restored and compared in {time.monotonic() - started:.1f} s")
    except (OutputsError, ReportError, RestoreRefused) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except RestoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"error: AWS refused or failed ({type(error).__name__}: {error})", file=sys.stderr)
        return 1
    report.write(args.report)
    print(render(report))
    print(f"report: {args.report}")
    return _verdict(report, repaired=args.repair)


def _verdict(report: RestoreReport, *, repaired: bool) -> int:
    """The exit status and its one line."""
    human = report.left_for_a_human()
    if human:
        print(f"for a human ({len(human)}): " + "; ".join(human[:10]), file=sys.stderr)
    if not repaired and report.needs_repair():
        counts = report.counts()
        print(
            f"{counts[REPAIR]} payment(s) and {counts['receipts_to_restore']} receipt(s) to repair: "
            "read the report, then run the same command with --repair"
        )
        return 1
    if human:
        return 1
    print("repaired: run the dry run again to verify" if repaired else "nothing to repair")
    return 0


if __name__ == "__main__":
    sys.exit(main())

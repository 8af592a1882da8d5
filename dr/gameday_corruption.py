"""Game day, bad data (``corruption``): a faulty writer corrupts payments in the primary, the
operator restores to just before it and repairs from the secondary (dr/restore.py).

1. The client writes payments through the failover name (signed, as in every scenario).
2. T is chosen: a whole second, at least ``SETTLED`` seconds after ``CORRUPTED + DELETED``
   acknowledged payments (so the secondary held them at T: replication takes about a second).
3. After the end of second T, the faulty writer, with the table's and the bucket's own API in
   the primary (so replication carries it to the secondary), overwrites the amount of
   ``CORRUPTED`` of those payments, deletes ``DELETED`` others, writes a new version of the
   receipts of all of them, and plants ``PLANTED`` payment without the API's write stamp. The
   client keeps writing.
4. Once the fault has reached the secondary (bounded by S3's 15-minute replication SLA, time
   scaled), the operator waits for T to become restorable (``LatestRestorableDateTime`` trails
   now by about 5 minutes: 30 real seconds at the emulator's 10x), then runs the dry run and
   the repair of dr/restore.py against the secondary. Their AWS calls are recorded: none may go
   to the primary or to Route 53.
5. Measured (AWS seconds): the wait for T, the restore (to ACTIVE, compared) and the repair;
   the payments corrupted and repaired; the receipts restored; the payments reported for a
   human (exactly the planted one). Then, waiting for replication (bounded): every acknowledged
   payment reads in BOTH regions, item and receipt, as the client was answered: those
   acknowledged before T are as they were at T, those after T untouched. Lost writes and
   conflicts as in every scenario (dr/gameday_reconcile.py).

Whatever happens, the game day removes what it added: the planted payment and the restored
table (the tool itself leaves the restored table for inspection and never deletes a payment).
"""

from __future__ import annotations

import json
import math
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cli.handler_loader import load_handler
from dr.gameday_client import Client, GameDayError
from dr.gameday_reconcile import reconcile
from dr.gameday_result import ScenarioResult
from dr.restore import Deployment, dry_run, repair
from dr.restore_compare import REVIEW
from dr.restore_table import RestoreError, iso, restored_table_name, wait_restorable
from lib.api_contract import receipt_key
from lib.regions import ROLES

if TYPE_CHECKING:
    from dr.gameday_target import Target

NAME = "corruption"
CORRUPTED, DELETED, PLANTED = 3, 2, 1
BAD_AMOUNT = "999999.99"
SETTLED = 2.0  # real seconds between a victim's acknowledgement and T: replicated by T
RESTORABLE_LAG = 300.0  # AWS s: "LatestRestorableDateTime is typically 5 minutes before the current time"
RECEIPT_SLA = 900.0  # AWS seconds: S3 Replication Time Control
SURVIVOR = "secondary"
GOOD_RECEIPT = frozenset({"restored", "already"})


@dataclass
class Corruption:
    """What the faulty writer did, and what it overwrote (to put back should the scenario stop
    before the repair: a game day leaves the deployment as it found it)."""

    changed: list[str]
    deleted: list[str]
    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # the victims' items before
    receipts: dict[str, bytes] = field(default_factory=dict)  # and their receipts
    planted: list[str] = field(default_factory=list)
    repaired: bool = False


def run_corruption(target: Target, client_factory: Callable[[], Client], *, timeout: float) -> ScenarioResult:
    """The scenario, measured (its module docstring). On the way out, whatever happens: the
    planted payment and the restored table are removed, and a fault the repair did not reach is
    put back by hand."""
    handler = load_handler(module_name="payments_handler_for_gameday")
    deployment = Deployment.from_outputs(target.outputs, SURVIVOR, target.client)
    client = client_factory()
    client.start()
    fault, seen, restored = Corruption([], []), {}, None
    try:
        client.first_success_from(target.regions["primary"], 0, timeout)
        when, when_mono, victims = _restore_point(client, timeout)
        restored = restored_table_name(deployment.table, when)
        fault = Corruption(victims[:CORRUPTED], victims[CORRUPTED:])
        fault_at = time.monotonic()
        _inflict(target, fault)
        _await(
            lambda: _fault_replicated(target, fault),
            timeout + RECEIPT_SLA / target.scale,
            "the fault did not reach the secondary",
        )
        seen = _operator(target, deployment, handler, when, timeout)
        fault.repaired = True
    finally:
        client.stop()
        _undo(target, deployment, fault, restored)
    pending = _await_as_acknowledged(
        target, handler, client.acknowledged, timeout + RECEIPT_SLA / target.scale
    )
    lost, conflicts, receipts = reconcile(target, client.acknowledged, timeout)
    return _measure(
        target,
        client,
        seen,
        victims=victims,
        planted=fault.planted,
        times=(when, when_mono, fault_at),
        pending=pending,
        reconciled=(lost, conflicts, receipts),
    )


def _restore_point(client: Client, timeout: float) -> tuple[datetime, float, list[str]]:
    """T (a whole second now at least a second past), its monotonic time, and the victims:
    the first payments acknowledged at least ``SETTLED`` seconds before T."""
    deadline = time.monotonic() + timeout
    while True:
        now_epoch, now_mono = time.time(), time.monotonic()
        when_epoch = math.floor(now_epoch) - 1
        when_mono = now_mono - (now_epoch - when_epoch)
        settled = sorted(
            (body["acked_at"], pid)
            for pid, body in list(client.acknowledged.items())
            if body["acked_at"] <= when_mono - SETTLED
        )
        if len(settled) >= CORRUPTED + DELETED:
            victims = [pid for _, pid in settled[: CORRUPTED + DELETED]]
            return datetime.fromtimestamp(when_epoch, UTC), when_mono, victims
        if time.monotonic() >= deadline:
            raise GameDayError(
                f"only {len(settled)} payments acknowledged before a restore point in {timeout:g} s"
            )
        time.sleep(0.2)


def _inflict(target: Target, fault: Corruption) -> None:
    """The faulty writer, in the primary: amounts overwritten, payments deleted, receipts
    rewritten, one unstamped payment planted; what it overwrites is kept in ``fault`` first."""
    primary = target.regions["primary"]
    dynamodb, s3 = target.client("dynamodb", primary), target.client("s3", primary)
    table, bucket = target.outputs["dynamodb_table_name"], target.outputs["primary_bucket_name"]
    victims = fault.changed + fault.deleted
    for pid in victims:
        fault.items[pid] = target.item("primary", pid) or {}
        fault.receipts[pid] = s3.get_object(Bucket=bucket, Key=receipt_key(pid))["Body"].read()
    for pid in fault.changed:
        dynamodb.update_item(
            TableName=table,
            Key={"payment_id": {"S": pid}},
            UpdateExpression="SET amount = :bad",
            ExpressionAttributeValues={":bad": {"N": BAD_AMOUNT}},
        )
    for pid in fault.deleted:
        dynamodb.delete_item(TableName=table, Key={"payment_id": {"S": pid}})
    for pid in victims:
        s3.put_object(
            Bucket=bucket, Key=receipt_key(pid), Body=_bad_receipt(pid), ContentType="application/json"
        )
    fault.planted = [f"gd-planted-{uuid.uuid4().hex}" for _ in range(PLANTED)]
    for pid in fault.planted:
        dynamodb.put_item(
            TableName=table,
            Item={
                "payment_id": {"S": pid},
                "customer_id": {"S": "gameday"},
                "amount": {"N": "1.00"},
                "currency": {"S": "EUR"},
                "status": {"S": "ACCEPTED"},
                "created_at": {"S": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
                "region": {"S": primary},
            },
        )


def _bad_receipt(payment_id: str) -> bytes:
    return json.dumps({"payment_id": payment_id, "amount": BAD_AMOUNT, "by": "the faulty writer"}).encode()


def _fault_replicated(target: Target, fault: Corruption) -> bool:
    for pid in fault.changed:
        item = target.item(SURVIVOR, pid)
        if item is None or item["amount"]["N"] != BAD_AMOUNT:
            return False
    if any(target.item(SURVIVOR, pid) is not None for pid in fault.deleted):
        return False
    victims = fault.changed + fault.deleted
    return all(_receipt(target, SURVIVOR, pid) == json.loads(_bad_receipt(pid)) for pid in victims)


def _operator(
    target: Target, deployment: Deployment, handler: ModuleType, when: datetime, timeout: float
) -> dict[str, Any]:
    """Wait for T to be restorable, then dr/restore.py's dry run and repair, timed; the calls this
    recovery path made (from the wait on) are recorded apart."""
    try:
        return _restore_and_repair(target, deployment, handler, when, timeout)
    except RestoreError as error:  # the tool's own one-line refusals and timeouts
        raise GameDayError(f"the operator's restore failed: {error}") from None


def _restore_and_repair(
    target: Target, deployment: Deployment, handler: ModuleType, when: datetime, timeout: float
) -> dict[str, Any]:
    recorded, started = len(target.calls), time.monotonic()
    window = wait_restorable(
        deployment.dynamodb(), deployment.table, when, wait=2 * RESTORABLE_LAG / target.scale + timeout
    )
    if not window.holds(when):
        raise GameDayError(
            f"{iso(when)} did not become restorable: window [{iso(window.earliest)}, {iso(window.latest)}]"
        )
    restoring = time.monotonic()
    report = dry_run(deployment, when, wait=max(timeout, 3600 / target.scale), handler=handler)
    repairing = time.monotonic()
    repaired = repair(deployment, report)
    done = time.monotonic()
    return {
        "restored_table": report.restored_table,
        "restorable_wait": restoring - started,
        "restore": repairing - restoring,
        "repair": done - repairing,
        "report": repaired,
        "calls": tuple(target.calls[recorded:]),
    }


def _undo(target: Target, deployment: Deployment, fault: Corruption, restored: str | None) -> None:
    """Remove the planted payments (in the primary, where they were written) and the restored
    table the game day made; put back what the fault overwrote if the repair did not run. A
    failure here is said, not raised over the scenario's own."""
    primary = target.regions["primary"]
    table, bucket = target.outputs["dynamodb_table_name"], target.outputs["primary_bucket_name"]
    try:
        dynamodb, s3 = target.client("dynamodb", primary), target.client("s3", primary)
        for pid in fault.planted:
            dynamodb.delete_item(TableName=table, Key={"payment_id": {"S": pid}})
        if not fault.repaired:
            for item in fault.items.values():
                if item:
                    dynamodb.put_item(TableName=table, Item=item)
            for pid, body in fault.receipts.items():
                s3.put_object(Bucket=bucket, Key=receipt_key(pid), Body=body, ContentType="application/json")
        if restored:
            deployment.dynamodb().delete_table(TableName=restored)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":  # no restore made
            print(f"warning: corruption: cleanup failed ({error})", file=sys.stderr)
    except BotoCoreError as error:
        print(f"warning: corruption: cleanup failed ({type(error).__name__}: {error})", file=sys.stderr)


def _receipt(target: Target, role: str, payment_id: str) -> Any:
    try:
        body = (
            target.client("s3", target.regions[role])
            .get_object(Bucket=target.outputs[f"{role}_bucket_name"], Key=receipt_key(payment_id))["Body"]
            .read()
        )
    except ClientError:
        return None
    return json.loads(body)


def _as_acknowledged(target: Target, handler: ModuleType, payment_id: str, body: dict[str, Any]) -> bool:
    """The payment's item and receipt in both regions are what the client was answered."""
    expected = {name: value for name, value in body.items() if name != "acked_at"}
    for role in ROLES:
        raw = target.item(role, payment_id)
        if raw is None:
            return False
        item = {name: handler._DESERIALIZER.deserialize(value) for name, value in raw.items()}
        if handler._public_record(item) != expected or _receipt(target, role, payment_id) != expected:
            return False
    return True


def _await_as_acknowledged(
    target: Target, handler: ModuleType, acknowledged: dict[str, dict[str, Any]], wait: float
) -> set[str]:
    """The acknowledged payments not (yet) as answered in both regions once ``wait`` has passed."""
    pending = set(acknowledged)
    deadline = time.monotonic() + wait
    while pending:
        pending = {pid for pid in pending if not _as_acknowledged(target, handler, pid, acknowledged[pid])}
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    return pending


def _await(done: Callable[[], bool], wait: float, what: str) -> None:
    deadline = time.monotonic() + wait
    while not done():
        if time.monotonic() >= deadline:
            raise GameDayError(f"{what} within {wait:g} s")
        time.sleep(0.5)


def _measure(
    target: Target,
    client: Client,
    seen: dict[str, Any],
    *,
    victims: list[str],
    planted: list[str],
    times: tuple[datetime, float, float],
    pending: set[str],
    reconciled: tuple[list[str], list[str], list[str]],
) -> ScenarioResult:
    when, when_mono, fault_at = times
    lost, conflicts, receipts = reconciled
    report, scale, survivor = seen["report"], target.scale, target.regions[SURVIVOR]
    acked = client.acknowledged
    after = [pid for pid, body in acked.items() if body["acked_at"] > when_mono]
    calls = seen["calls"]
    return ScenarioResult(
        scenario=NAME,
        failed_requests=len([a for a in client.attempts if a.at >= fault_at and a.status not in (200, 201)]),
        acknowledged_writes=len(acked),
        lost_writes=len(lost),
        lost=lost,
        conflicts=len(conflicts),
        conflicting=conflicts,
        receipts_missing=receipts,
        restore_to=iso(when),
        restored_table=report.restored_table,
        restorable_wait_seconds=round(seen["restorable_wait"] * scale, 1),
        restore_seconds=round(seen["restore"] * scale, 1),
        repair_seconds=round(seen["repair"] * scale, 1),
        corrupted=len(victims),
        repaired=sum(outcome == "repaired" for outcome in report.outcomes.values()),
        not_as_at_restore_point=sorted(pid for pid in pending if pid not in after),
        kept_after_restore_point=len([pid for pid in after if pid not in pending]),
        touched_after_restore_point=sorted(pid for pid in pending if pid in after),
        receipts_restored=sum(outcome == "restored" for outcome in report.receipt_outcomes.values()),
        receipts_not_restored=sorted(
            pid for pid in victims if report.receipt_outcomes.get(pid) not in GOOD_RECEIPT
        ),
        reported_for_review=[entry.payment_id for entry in report.of_kind(REVIEW)],
        planted=planted,
        repair_conflicts=sum(outcome == "conflict" for outcome in report.outcomes.values()),
        recovery_calls=sorted({f"{s}/{r}:{op}" for s, r, op in calls}),
        recovery_route53_or_primary_calls=[
            f"{s}/{r}:{op}" for s, r, op in calls if s == "route53" or r != survivor
        ],
        time_scale=scale,
    )

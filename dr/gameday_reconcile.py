"""The game day's reconciliation, after every scenario: each acknowledged payment in both
regions' tables with identical attributes, and its receipt in both buckets (dr/gameday.py's
failovers and dr/gameday_corruption.py's bad data alike)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from lib.regions import ROLES

if TYPE_CHECKING:
    from dr.gameday_target import Target


def reconcile(
    target: Target, acknowledged: dict[str, dict[str, Any]], timeout: float
) -> tuple[list[str], list[str], list[str]]:
    """Every acknowledged payment in both tables with identical attributes (after replication
    catches up, bounded), and its receipt in both buckets: (lost, conflicts, receipts missing)."""
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

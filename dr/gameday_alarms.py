"""The alarm notifications a game day saw: read from the local sink's record (one JSON object a
line, written by flows/alarm_sink.py as SNS delivered them), and what each scenario expects.

A record: ``received_at`` (epoch seconds, the sink's clock), ``type`` (SNS's
``x-amz-sns-message-type``), and for a ``Notification`` of a CloudWatch alarm its ``alarm_name``,
``new_state``, ``old_state`` and ``state_change_time`` (the message's fields, CloudWatch's
notification format: local_aws/dataplane/alarm_actions.py).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORD_NAME = "alarm-notifications.jsonl"


@dataclass(frozen=True)
class Notice:
    """One alarm notification as it arrived."""

    alarm_name: str
    new_state: str
    received_at: float  # epoch seconds

    def as_dict(self, fault_at: float, scale: float) -> dict[str, Any]:
        """``after_fault_s``: AWS seconds from the fault (real seconds times the time scale)."""
        return {
            "alarm": self.alarm_name,
            "state": self.new_state,
            "after_fault_s": round((self.received_at - fault_at) * scale, 1),
        }


def read_notices(path: Path, *, since: float = 0.0, until: float | None = None) -> list[Notice]:
    """The alarm notifications recorded at ``path`` that arrived in [since, until], in order of
    arrival; a missing file is none (no sink ran)."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return []
    notices = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line cut short by a sink that stopped mid-write
        if record.get("type") != "Notification" or not record.get("alarm_name"):
            continue
        at = float(record.get("received_at", 0))
        if at >= since and (until is None or at <= until):
            notices.append(Notice(record["alarm_name"], str(record.get("new_state")), at))
    return sorted(notices, key=lambda n: n.received_at)


def fired(notices: list[Notice], suffix: str, state: str = "ALARM") -> Notice | None:
    """The first notice of an alarm whose name ends with ``suffix`` entering ``state``."""
    return next((n for n in notices if n.alarm_name.endswith(suffix) and n.new_state == state), None)


def missing(notices: list[Notice], suffixes: tuple[str, ...]) -> list[str]:
    """The expected alarms (name suffixes) that did not go to ALARM among ``notices``."""
    return [suffix for suffix in suffixes if fired(notices, suffix) is None]


def await_notices(
    path: Path, *, since: float, expected: tuple[str, ...], deadline: float, poll: float = 0.2
) -> list[Notice]:
    """The notices since ``since``, once every ``expected`` alarm went to ALARM or ``deadline``
    (real seconds) passed, whichever comes first."""
    until = time.monotonic() + deadline
    notices = read_notices(path, since=since)
    while missing(notices, expected) and time.monotonic() < until:
        time.sleep(poll)
        notices = read_notices(path, since=since)
    return notices

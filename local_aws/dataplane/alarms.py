"""CloudWatch metric alarms for the emulator: evaluated from the metric data moto stores.

moto 5.2.5 stores alarms and ``PutMetricData`` datapoints but never evaluates an alarm: a new
alarm is ``OK`` ("Unchecked: Initial alarm creation") forever. ``AlarmEvaluator`` reads every
metric alarm from moto's in-memory CloudWatch backends (every account and region) and sets its
state as CloudWatch would, from the datapoints moto holds. (Route 53 does not read an alarm's
state: its CLOUDWATCH_METRIC health checks evaluate the metric themselves, ``metric_checks.py``.)

What is modelled, from "Using Amazon CloudWatch alarms"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html) and the
``PutMetricAlarm`` reference
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html); one
alarm's periods and statistics are ``alarm_statistics``'s, its evaluation (threshold, M out of
N, missing data, the state reason) ``alarm_evaluation``'s:

- A new alarm is ``INSUFFICIENT_DATA``, then evaluated at once ("When this operation creates an
  alarm, the alarm state is immediately set to INSUFFICIENT_DATA. The alarm is then evaluated",
  PutMetricAlarm). Updating an alarm leaves its state unchanged ("When you update an existing
  alarm, its state is left unchanged, but the update completely overwrites the previous
  configuration", same page): moto replaces the alarm object on update, its state is carried over.
- Alarms with a period of a minute or longer are evaluated every minute, those of 10 or 30
  seconds every 10 seconds ("Evaluating an alarm"), each at that minute (10 s) boundary.
- ``SetAlarmState`` "lasts only until the next alarm comparison occurs": the next evaluation sets
  the state the data gives (unless it keeps the current one). Alarms are evaluated every minute
  (every 10 seconds for 10- and 30-second periods, above), and at once when created or updated.
- The state only changes when it changes: then ``StateValue``, ``StateReason`` (worded as
  CloudWatch words it: "Threshold Crossed: ...", "Insufficient Data: ..."), ``StateReasonData``
  (JSON, as CloudWatch's), ``StateUpdatedTimestamp`` and ``StateTransitionedTimestamp`` are
  updated and moto's alarm history gets the change (``Alarm.update_state``).
- A region in ``regions.OUTAGES`` is not evaluated while it is out (CloudWatch there is impaired):
  its alarms keep their state until it is restored.

Where the emulator differs from AWS:

- Time scale: a period of ``Period`` seconds lasts ``Period / scale`` real seconds and the
  evaluations happen every ``60 / scale`` (``10 / scale``) real seconds, on multiples of that in
  real (epoch) time; metric timestamps are real time. So at scale 10 a 60-second alarm aggregates
  6 real seconds of datapoints per period and is evaluated every 6 seconds; the reason data still
  says ``"period": 60``.
- Actions: a transition the evaluator makes runs the new state's SNS actions
  (``alarm_actions``); Auto Scaling, EC2, Lambda and Systems Manager actions are not run, and
  neither are actions for a state set by ``SetAlarmState`` (moto's, not the evaluator's).
- An alarm deleted and created again with the same name between two evaluations (within half a
  second) is taken for an update, and keeps its state.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from local_aws import regions
from local_aws.dataplane import alarm_actions
from local_aws.dataplane.alarm_evaluation import (
    EXTRA_RANGE,
    INSUFFICIENT_DATA,
    OK,
    evaluate_alarm,
    reason,
    reason_data,
    supported,
)
from local_aws.dataplane.alarm_statistics import cadence, epoch, utc
from local_aws.dataplane.periodic import PeriodicThread

INITIAL_REASON = "Unchecked: Initial alarm creation"  # moto's, for a new alarm
MAX_WAIT = 0.5  # seconds: how soon a new or updated alarm is noticed
STATE_ATTRIBUTES = ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp")


def _backends() -> Iterator[tuple[str, str, Any]]:
    """(account id, region, CloudWatch backend) for every backend moto holds."""
    from moto.cloudwatch.models import cloudwatch_backends  # noqa: PLC0415 - moto loads after the env is set

    for account_id, per_account in list(dict.items(cloudwatch_backends)):
        for region, backend in list(dict.items(per_account)):  # no lookup by key: that creates one
            yield account_id, region, backend


def _fresh(alarm: Any) -> bool:
    """As moto creates an alarm, before anything evaluated it."""
    return alarm.state_value == OK and alarm.state_reason == INITIAL_REASON and not alarm.history


@dataclass
class _Tracked:
    alarm: Any  # moto's Alarm, live
    alarms: dict[str, Any]  # the backend's dict it is in (a moto reset makes a new one)
    slot: int | None = None  # the evaluation slot last evaluated (None: evaluate at once)
    account_id: str = ""
    region: str = ""


class AlarmEvaluator:
    """CloudWatch's alarm evaluation for the emulator: one daemon thread.

    ``scale``: the emulator's time scale (a period lasts ``Period / scale`` seconds).
    ``clock``: epoch seconds (compared with the datapoints' timestamps)."""

    def __init__(self, *, scale: float = 1.0, clock: Callable[[], float] = time.time) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.scale = scale
        self._clock = clock
        self._lock = threading.Lock()
        self._tracked: dict[tuple[str, str, str], _Tracked] = {}
        self.errors = 0  # cycles that raised (the thread carries on)
        self._periodic = PeriodicThread(
            "cloudwatch-alarms", self.evaluate_once, fallback=MAX_WAIT, on_error=self._cycle_failed
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._periodic.start()

    def stop(self) -> None:
        self._periodic.stop()

    def _cycle_failed(self) -> None:
        self.errors += 1

    def __enter__(self) -> AlarmEvaluator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- evaluation --------------------------------------------------------------------------

    def cadence(self, alarm: Any) -> float:
        """Real seconds between two evaluations of ``alarm``."""
        return cadence(int(alarm.period)) / self.scale

    def evaluate_once(self) -> float:
        """Evaluate the alarms that are due (new, updated, or a new evaluation slot); return the
        seconds until the next one is due (at most ``MAX_WAIT``)."""
        with self._lock:
            now = self._clock()
            seen: set[tuple[str, str, str]] = set()
            due: dict[int, tuple[Any, list[_Tracked]]] = {}
            for account_id, region, backend in _backends():
                out = regions.OUTAGES.is_down(region)
                alarms = backend.alarms
                for name, alarm in list(alarms.items()):
                    key = (account_id, region, name)
                    if out and key in self._tracked:
                        seen.add(key)  # frozen while the region is out
                    if out or not supported(alarm):
                        continue
                    seen.add(key)
                    tracked = self._follow(key, alarm, alarms)
                    slot = math.floor(now / self.cadence(alarm))
                    if tracked.slot != slot:
                        tracked.slot = slot
                        due.setdefault(id(backend), (backend, []))[1].append(tracked)
            for gone in set(self._tracked) - seen:
                del self._tracked[gone]
            for backend, tracked_alarms in due.values():
                self._evaluate(backend, tracked_alarms, now)
            cadences = {self.cadence(t.alarm) for t in self._tracked.values()}
            upcoming = min(((math.floor(now / c) + 1) * c for c in cadences), default=now + MAX_WAIT)
            return min(max(upcoming - now, 0.01), MAX_WAIT)

    def _follow(self, key: tuple[str, str, str], alarm: Any, alarms: dict[str, Any]) -> _Tracked:
        """Track ``alarm``: a new one is INSUFFICIENT_DATA; an updated one keeps its state."""
        tracked = self._tracked.get(key)
        if tracked is None or tracked.alarms is not alarms:
            if _fresh(alarm):  # moto says OK; a new alarm is INSUFFICIENT_DATA (not a transition)
                alarm.state_value = INSUFFICIENT_DATA
            tracked = self._tracked[key] = _Tracked(alarm, alarms, account_id=key[0], region=key[1])
        elif tracked.alarm is not alarm:  # PutMetricAlarm on an existing alarm: moto made a new one
            previous = tracked.alarm
            if _fresh(alarm):
                for attribute in STATE_ATTRIBUTES:
                    setattr(alarm, attribute, getattr(previous, attribute))
                alarm.history = list(previous.history)
                if hasattr(previous, "state_transitioned_timestamp"):
                    alarm.state_transitioned_timestamp = previous.state_transitioned_timestamp
            tracked.alarm, tracked.slot = alarm, None
        return tracked

    def _evaluate(self, backend: Any, tracked_alarms: list[_Tracked], now: float) -> None:
        """Evaluate ``tracked_alarms`` (all in ``backend``) on the datapoints moto holds."""
        wanted = {(t.alarm.namespace, t.alarm.metric_name) for t in tracked_alarms}
        oldest = min(
            now - (int(t.alarm.evaluation_periods) + EXTRA_RANGE + 1) * int(t.alarm.period) / self.scale
            for t in tracked_alarms
        )
        datums: dict[tuple[str, str], list[tuple[float, Any]]] = defaultdict(list)
        for datum in list(backend.metric_data):
            key = (datum.namespace, datum.name)
            if key in wanted:
                at = epoch(datum.timestamp)
                if at >= oldest:
                    datums[key].append((at, datum))
        for tracked in tracked_alarms:
            alarm = tracked.alarm
            evaluation = evaluate_alarm(
                alarm, datums.get((alarm.namespace, alarm.metric_name), []), now=now, scale=self.scale
            )
            state = evaluation.decision.state
            if state is None:  # the current state is kept (ignore, or too few samples)
                continue
            if state != alarm.state_value:
                old = alarm.state_value
                why, data = reason(alarm, evaluation, state), reason_data(alarm, evaluation, now)
                alarm.update_state(why, data, state)
                alarm.state_updated_timestamp = alarm.state_transitioned_timestamp = utc(now)
                alarm_actions.run(tracked.account_id, tracked.region, alarm, old)

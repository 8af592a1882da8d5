"""CloudWatch metric alarms for the emulator: evaluated from the metric data moto stores.

moto 5.2.5 stores alarms and ``PutMetricData`` datapoints but never evaluates an alarm: a new
alarm is ``OK`` ("Unchecked: Initial alarm creation") forever. ``AlarmEvaluator`` reads every
metric alarm from moto's in-memory CloudWatch backends (every account and region) and sets its
state as CloudWatch would, from the datapoints moto holds. (Route 53 does not read an alarm's
state: its CLOUDWATCH_METRIC health checks evaluate the metric themselves, ``metric_checks.py``.)

What is modelled, from "Using Amazon CloudWatch alarms"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html),
its sections "Evaluating an alarm" and "Configuring how CloudWatch alarms treat missing data"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html),
and the ``PutMetricAlarm`` reference
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html):

- A new alarm is ``INSUFFICIENT_DATA``, then evaluated at once ("When this operation creates an
  alarm, the alarm state is immediately set to INSUFFICIENT_DATA. The alarm is then evaluated",
  PutMetricAlarm). Updating an alarm leaves its state unchanged ("When you update an existing
  alarm, its state is left unchanged, but the update completely overwrites the previous
  configuration", same page): moto replaces the alarm object on update, its state is carried over.
- Periods: each datapoint of the alarm is one ``Period`` of the metric, aggregated with the
  alarm's statistic. "For any period of one minute or longer, an alarm is evaluated every minute
  and the evaluation is based on the window of time defined by the Period and Evaluation Periods"
  ... "If the alarm period is 10 seconds or 30 seconds, the alarm is evaluated every 10 seconds"
  (AlarmThatSendsEmail.html, "Evaluating an alarm"): each evaluation happens at a minute (10 s)
  boundary and its periods are the ``Period``-long windows that end there, so a 5-minute alarm's
  window slides by a minute each time; the period in progress is not evaluated (as in the
  state-change event of
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-alarms-partial-data.html:
  evaluated at 11:26:05, a 60-second alarm's datapoints start at 11:23, 11:24 and 11:25).
- The metric: the alarm's namespace, metric name and exactly its dimensions (each combination of
  dimensions is a metric of its own), and its ``Unit`` when it has one ("If you don't specify
  Unit, CloudWatch retrieves all unit types that have been published for the metric", PutMetricAlarm).
- Statistics: ``SampleCount``, ``Average``, ``Sum``, ``Minimum``, ``Maximum``, from single values
  and statistic sets alike; ``ExtendedStatistic`` percentiles ``pNN`` / ``pNN.N`` (nearest rank)
  from raw values only: a statistic set counts only when its SampleCount is 1 or its Minimum equals
  its Maximum, and a period with a negative value has no percentile
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html).
  ``EvaluateLowSampleCountPercentile`` = ``ignore``: no state change while an evaluated period has
  fewer than 10/(1-p) samples (10/p below p50) ("Percentile-based alarms and low data samples").
- Comparisons: ``GreaterThanOrEqualToThreshold``, ``GreaterThanThreshold``, ``LessThanThreshold``,
  ``LessThanOrEqualToThreshold`` (the statistic is the first operand).
- M out of N: "Evaluation Periods is the number of the most recent periods, or data points, to
  evaluate"; "Datapoints to Alarm is the number of data points within the Evaluation Periods that
  must be breaching to cause the alarm to go to the ALARM state. The breaching data points don't
  have to be consecutive" (``DatapointsToAlarm`` defaults to ``EvaluationPeriods``).
- Missing data, "How alarm state is evaluated when data is missing": CloudWatch retrieves more
  periods than ``EvaluationPeriods``, the *evaluation range* (here ``EvaluationPeriods + 2``, the
  docs' example: 5 for 3). With at least N real datapoints in the range the N most recent are
  evaluated and the treatment is not used; with fewer, every real datapoint in the range is
  evaluated and the rest filled by the treatment: ``breaching`` / ``notBreaching`` fill breaching /
  non-breaching datapoints; ``missing`` goes to INSUFFICIENT_DATA when all are missing; ``ignore``
  keeps the current state ("The current alarm state is maintained"). Only breaching datapoints,
  fewer than M, with ``missing``: ALARM "when the oldest available breaching datapoint during the
  Evaluation Periods number of data points is at least as old as the value of Datapoints to Alarm,
  and all other more recent data points are breaching or missing" ("Avoiding premature
  transitions to alarm state",
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#CloudWatch-alarms-avoiding-premature-transition),
  else INSUFFICIENT_DATA. ``decide`` reproduces the two example tables of that section row for row
  (tests/harness/test_cloudwatch_alarms.py).
  Alarms on ``AWS/DynamoDB`` metrics always ignore missing data (``TreatMissingData``, PutMetricAlarm).
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
- Not evaluated, left exactly as moto stores them: alarms on metric math or several metrics
  (``Metrics``), anomaly-detection bands (``ThresholdMetricId``, ``LessThanLowerOrGreaterThanUpper
  Threshold``...), extended statistics other than percentiles (``tm99``, ``IQM``...), composite
  alarms. Metrics moto derives from other services (``aws_metric_data``) are not read: only the
  datapoints put with ``PutMetricData`` (which includes the health checkers' ``HealthCheckStatus``).
- No actions: SNS notifications, Auto Scaling, EC2 and Systems Manager actions are not run.
- The evaluation range is ``EvaluationPeriods + 2`` periods for every alarm (AWS: it "depends on
  the length of the alarm period and whether it is based on a metric with standard resolution or
  high resolution").
- An alarm deleted and created again with the same name between two evaluations (within half a
  second) is taken for an update, and keeps its state.
"""

from __future__ import annotations

import json
import math
import operator
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from local_aws import regions
from local_aws.dataplane.periodic import PeriodicThread

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"
INITIAL_REASON = "Unchecked: Initial alarm creation"  # moto's, for a new alarm
STATISTICS = frozenset({"SampleCount", "Average", "Sum", "Minimum", "Maximum"})
PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?)$")
COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}
TREATMENTS = frozenset({"missing", "ignore", "breaching", "notBreaching"})
EXTRA_RANGE = 2  # the evaluation range: EvaluationPeriods + 2 periods (the docs' example: 5 for 3)
EVALUATE_EVERY = 60  # AWS seconds: an alarm of a minute or longer is evaluated every minute,
HIGH_RESOLUTION_EVERY = 10  # one of 10 or 30 seconds every 10 seconds
MAX_WAIT = 0.5  # seconds: how soon a new or updated alarm is noticed
STATE_ATTRIBUTES = ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp")


@dataclass(frozen=True)
class Decision:
    """The outcome of one evaluation: ``state`` None keeps the current state."""

    state: str | None
    evaluated: tuple[int, ...]  # indexes (in the range) of the real datapoints evaluated
    breaching: int  # breaching datapoints counted, filled ones included
    filled: int  # missing datapoints filled by the treatment


def decide(
    points: Sequence[bool | None],
    *,
    evaluation_periods: int,
    datapoints_to_alarm: int,
    treat_missing_data: str,
) -> Decision:
    """The state for the evaluation range ``points`` (oldest first: True breaching, False not,
    None missing), per "How alarm state is evaluated when data is missing"
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html)."""
    n, m = evaluation_periods, datapoints_to_alarm
    real = [i for i, point in enumerate(points) if point is not None]
    if len(real) >= n:  # enough real datapoints: the N most recent, the treatment is not needed
        used = tuple(real[-n:])
        breaching = sum(1 for i in used if points[i])
        return Decision(ALARM if breaching >= m else OK, used, breaching, 0)
    fill = n - len(real)  # every real datapoint counts, the rest is filled by the treatment
    breaching = sum(1 for i in real if points[i])
    state: str | None
    if treat_missing_data in ("breaching", "notBreaching"):
        breaching += fill if treat_missing_data == "breaching" else 0
        state = ALARM if breaching >= m else OK
    else:  # missing / ignore: the missing datapoints count neither way
        fill = 0
        if not real:
            state = None if treat_missing_data == "ignore" else INSUFFICIENT_DATA
        elif breaching >= m:
            state = ALARM
        elif breaching < len(real):  # a non-breaching datapoint: ALARM is out of reach
            state = OK
        elif treat_missing_data == "ignore":
            state = None  # only breaching datapoints, fewer than M: "Retain current state"
        else:
            # Only breaching datapoints, fewer than M. "Avoiding premature transitions to alarm
            # state": ALARM "when the oldest available breaching datapoint during the Evaluation
            # Periods number of data points is at least as old as the value of Datapoints to
            # Alarm, and all other more recent data points are breaching or missing" (the docs'
            # row "- - X - -", 3 of 3); otherwise too little is known: INSUFFICIENT_DATA.
            recent = [i for i in real if i >= len(points) - n]
            state = ALARM if recent and len(points) - recent[0] >= m else INSUFFICIENT_DATA
    return Decision(state, tuple(real), breaching, fill)


# -- reading moto ----------------------------------------------------------------------------


def epoch(timestamp: datetime) -> float:
    """moto stores naive UTC datetimes."""
    return (timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)).timestamp()


def _utc(seconds: float) -> datetime:
    """Naive UTC, as moto stores times."""
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def _percentile(alarm: Any) -> float | None:
    match = PERCENTILE.match(str(alarm.extended_statistic or ""))
    value = float(match[1]) if match else None
    return value if value is not None and 0 < value < 100 else None


def supported(alarm: Any) -> bool:
    """A metric alarm on one metric with a modelled statistic and comparison."""
    if alarm.rule is not None or alarm.metric_data_queries or alarm.threshold_metric_id:
        return False
    if alarm.comparison_operator not in COMPARISONS or not alarm.namespace or not alarm.metric_name:
        return False
    if alarm.threshold is None or not alarm.period or not alarm.evaluation_periods:
        return False
    if alarm.extended_statistic:
        return _percentile(alarm) is not None
    return alarm.statistic in STATISTICS


def dimension_set(dimensions: Any) -> frozenset[tuple[str, str]]:
    """A metric's dimensions as a set: each combination of dimensions is a metric of its own."""
    return frozenset((str(d.name), str(d.value)) for d in dimensions or ())


def cadence(period: int) -> int:
    """AWS seconds between two evaluations of an alarm of ``period`` seconds."""
    return EVALUATE_EVERY if period >= EVALUATE_EVERY else HIGH_RESOLUTION_EVERY


def evaluation_end(now: float, period: int, scale: float) -> float:
    """The real time the last evaluated period of an alarm of ``period`` AWS seconds ends at,
    evaluated at ``now``: the evaluation's own minute (10 s) boundary."""
    every = cadence(period) / scale
    return math.floor(now / every) * every


def period_statistics(
    datums: Sequence[tuple[float, Any]],
    *,
    namespace: str,
    metric_name: str,
    dimensions: frozenset[tuple[str, str]],
    unit: str | None,
    statistic: str,
    percentile: float | None,
    periods: tuple[float, float, int],
) -> list[tuple[float | None, int]]:
    """(the statistic, its sample count) of each period of the metric, oldest first: ``periods``
    = (length, end, count), ``count`` windows of ``length`` real seconds back from ``end``, from
    ``datums`` ((epoch, moto datum), any metric: filtered here); None where a period has no value.
    ``unit`` None: every unit ("If you don't specify Unit, CloudWatch retrieves all unit types
    that have been published for the metric", PutMetricAlarm)."""
    length, end, count = periods
    buckets: dict[int, list[Any]] = defaultdict(list)
    for at, datum in datums:
        back = math.floor((end - at) / length)  # 0: the most recent period
        if not 0 <= back < count or datum.namespace != namespace or datum.name != metric_name:
            continue
        if dimension_set(datum.dimensions) != dimensions or (unit and (datum.unit or "None") != unit):
            continue
        buckets[count - 1 - back].append(datum)
    return [_aggregate(buckets.get(i, []), statistic, percentile) for i in range(count)]


def _aggregate(datums: list[Any], statistic: str, percentile: float | None) -> tuple[float | None, int]:
    """(the period's statistic, its sample count); None when the period has no value for it."""
    values = [float(d.value) for d in datums if not hasattr(d, "sample_count")]
    sets = [d for d in datums if hasattr(d, "sample_count")]
    count = len(values) + sum(int(s.sample_count) for s in sets)
    if percentile is not None:
        for s in sets:  # raw values only: a set is usable when it holds one distinct value
            if int(s.sample_count) == 1 or s.min == s.max:
                values.extend([float(s.min)] * int(s.sample_count))
            else:
                return None, count
        if not values or min(values) < 0:
            return None, len(values)
        values.sort()
        return values[max(1, math.ceil(percentile / 100 * len(values))) - 1], len(values)
    if count == 0:
        return None, 0
    total = sum(values) + sum(float(s.sum) for s in sets)
    value = {
        "SampleCount": lambda: float(count),
        "Sum": lambda: total,
        "Average": lambda: total / count,
        "Minimum": lambda: min(values + [float(s.min) for s in sets]),
        "Maximum": lambda: max(values + [float(s.max) for s in sets]),
    }[statistic]()
    return value, count


def _low_samples(percentile: float, count: int) -> bool:
    """Too few samples for ``percentile`` to be significant (EvaluateLowSampleCountPercentile)."""
    p = percentile / 100
    needed = 10 / (1 - p) if p >= 0.5 else 10 / p
    return count < needed


@dataclass(frozen=True)
class Evaluation:
    """One alarm's evaluation range and what it decides."""

    starts: tuple[float, ...]  # each period's start (real epoch seconds), oldest first
    values: tuple[float | None, ...]  # the statistic per period (None: missing)
    decision: Decision
    treat_missing_data: str


def evaluate_alarm(
    alarm: Any, datums: Sequence[tuple[float, Any]], *, now: float, scale: float
) -> Evaluation:
    """Evaluate ``alarm`` at ``now`` (epoch seconds) on ``datums`` ((epoch, moto datum), any
    metric: filtered here)."""
    period = int(alarm.period) / scale
    n = max(1, int(alarm.evaluation_periods))
    m = min(n, max(1, int(alarm.datapoints_to_alarm or n)))
    span = n + EXTRA_RANGE
    end = evaluation_end(now, int(alarm.period), scale)  # the period in progress is not evaluated
    percentile = _percentile(alarm) if alarm.extended_statistic else None
    aggregated = period_statistics(
        datums,
        namespace=alarm.namespace,
        metric_name=alarm.metric_name,
        dimensions=dimension_set(alarm.dimensions),
        unit=alarm.unit,
        statistic=str(alarm.statistic),
        percentile=percentile,
        periods=(period, end, span),
    )
    values = tuple(value for value, _ in aggregated)
    compare = COMPARISONS[alarm.comparison_operator][0]
    threshold = float(alarm.threshold)
    points = [None if v is None else compare(v, threshold) for v in values]
    treatment = alarm.treat_missing_data if alarm.treat_missing_data in TREATMENTS else "missing"
    if alarm.namespace == "AWS/DynamoDB":
        treatment = "ignore"
    decision = decide(points, evaluation_periods=n, datapoints_to_alarm=m, treat_missing_data=treatment)
    if (
        percentile is not None
        and alarm.evaluate_low_sample_count_percentile == "ignore"
        and any(_low_samples(percentile, aggregated[i][1]) for i in decision.evaluated)
    ):
        decision = Decision(None, decision.evaluated, decision.breaching, decision.filled)
    starts = tuple(end - (span - i) * period for i in range(span))
    return Evaluation(starts, values, decision, treatment)


def _when(seconds: float) -> str:
    return _utc(seconds).strftime("%d/%m/%y %H:%M:%S")


def _iso(seconds: float) -> str:
    return _utc(seconds).strftime("%Y-%m-%dT%H:%M:%S.") + f"{_utc(seconds).microsecond // 1000:03d}+0000"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def reason(alarm: Any, evaluation: Evaluation, state: str) -> str:
    """``StateReason`` as CloudWatch words it."""
    decision = evaluation.decision
    n = max(1, int(alarm.evaluation_periods))
    m = min(n, max(1, int(alarm.datapoints_to_alarm or n)))
    if state == INSUFFICIENT_DATA:
        return f"Insufficient Data: {_plural(n, 'datapoint')} {'was' if n == 1 else 'were'} unknown."
    phrase = COMPARISONS[alarm.comparison_operator][1]
    threshold = float(alarm.threshold)
    if not decision.evaluated:
        text = f"Threshold Crossed: no datapoints were received for {_plural(n, 'period')}"
    else:
        shown = ", ".join(
            f"{evaluation.values[i]} ({_when(evaluation.starts[i])})" for i in reversed(decision.evaluated)
        )
        compare = COMPARISONS[alarm.comparison_operator][0]
        real_breaching = sum(1 for i in decision.evaluated if compare(evaluation.values[i], threshold))
        counted = real_breaching if state == ALARM else len(decision.evaluated) - real_breaching
        verb = "was" if counted == 1 else "were"
        what = phrase if state == ALARM else f"not {phrase}"
        transition = "OK -> ALARM" if state == ALARM else "ALARM -> OK"
        text = (
            f"Threshold Crossed: {counted} out of the last {len(decision.evaluated)} datapoints [{shown}] "
            f"{verb} {what} the threshold ({threshold}) (minimum {_plural(m, 'datapoint')} for {transition} "
            "transition)"
        )
    if decision.filled:
        kind = "Breaching" if evaluation.treat_missing_data == "breaching" else "NonBreaching"
        verb = "was" if decision.filled == 1 else "were"
        return f"{text} and {_plural(decision.filled, 'missing datapoint')} {verb} treated as [{kind}]."
    return f"{text}."


def reason_data(alarm: Any, evaluation: Evaluation, now: float) -> str:
    """``StateReasonData``: the JSON document CloudWatch attaches to a threshold crossing."""
    decision = evaluation.decision
    statistic = {"extendedStatistic": alarm.extended_statistic} if alarm.extended_statistic else {}
    recent = [evaluation.values[i] for i in decision.evaluated]
    return json.dumps(
        {
            "version": "1.0",
            "queryDate": _iso(now),
            "startDate": _iso(evaluation.starts[-max(1, int(alarm.evaluation_periods))]),
            **(statistic or {"statistic": alarm.statistic}),
            "period": int(alarm.period),
            "recentDatapoints": recent,
            "threshold": float(alarm.threshold),
            "evaluatedDatapoints": [
                {"timestamp": _iso(evaluation.starts[i]), "value": evaluation.values[i]}
                for i in reversed(decision.evaluated)
            ],
        },
        separators=(",", ":"),
    )


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
            tracked = self._tracked[key] = _Tracked(alarm, alarms)
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
                why, data = reason(alarm, evaluation, state), reason_data(alarm, evaluation, now)
                alarm.update_state(why, data, state)
                alarm.state_updated_timestamp = alarm.state_transitioned_timestamp = _utc(now)

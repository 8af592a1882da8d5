"""One CloudWatch metric alarm's evaluation: its datapoints compared with the threshold, M out of
N, missing data, and the state reason as CloudWatch words it.

From "Using Amazon CloudWatch alarms"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html), its
section "Configuring how CloudWatch alarms treat missing data"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html),
and the ``PutMetricAlarm`` reference
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html); the
periods and their statistics are ``alarm_statistics``'s:

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
- ``StateReason`` is worded as CloudWatch words it ("Threshold Crossed: ...", "Insufficient
  Data: ..."), ``StateReasonData`` is the JSON document CloudWatch attaches.

Where the emulator differs from AWS:

- Not evaluated, left exactly as moto stores them: alarms on metric math or several metrics
  (``Metrics``), anomaly-detection bands (``ThresholdMetricId``, ``LessThanLowerOrGreaterThanUpper
  Threshold``...), extended statistics other than percentiles (``tm99``, ``IQM``...), composite
  alarms. Metrics moto derives from other services (``aws_metric_data``) are not read: only the
  datapoints put with ``PutMetricData`` (which includes the health checkers' ``HealthCheckStatus``).
- The evaluation range is ``EvaluationPeriods + 2`` periods for every alarm (AWS: it "depends on
  the length of the alarm period and whether it is based on a metric with standard resolution or
  high resolution").
- The reason data of a time-scaled alarm still says its ``Period`` (``"period": 60`` at any scale).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from local_aws.dataplane.alarm_statistics import (
    STATISTICS,
    dimension_set,
    evaluation_end,
    low_samples,
    percentile_of,
    period_statistics,
    utc,
)

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"
COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}
TREATMENTS = frozenset({"missing", "ignore", "breaching", "notBreaching"})
EXTRA_RANGE = 2  # the evaluation range: EvaluationPeriods + 2 periods (the docs' example: 5 for 3)


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


def supported(alarm: Any) -> bool:
    """A metric alarm on one metric with a modelled statistic and comparison."""
    if alarm.rule is not None or alarm.metric_data_queries or alarm.threshold_metric_id:
        return False
    if alarm.comparison_operator not in COMPARISONS or not alarm.namespace or not alarm.metric_name:
        return False
    if alarm.threshold is None or not alarm.period or not alarm.evaluation_periods:
        return False
    if alarm.extended_statistic:
        return percentile_of(alarm) is not None
    return alarm.statistic in STATISTICS


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
    percentile = percentile_of(alarm) if alarm.extended_statistic else None
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
        and any(low_samples(percentile, aggregated[i][1]) for i in decision.evaluated)
    ):
        decision = Decision(None, decision.evaluated, decision.breaching, decision.filled)
    starts = tuple(end - (span - i) * period for i in range(span))
    return Evaluation(starts, values, decision, treatment)


def _when(seconds: float) -> str:
    return utc(seconds).strftime("%d/%m/%y %H:%M:%S")


def _iso(seconds: float) -> str:
    return utc(seconds).strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc(seconds).microsecond // 1000:03d}+0000"


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

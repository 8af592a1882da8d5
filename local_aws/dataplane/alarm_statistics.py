"""CloudWatch alarm maths: an alarm's periods, when it is evaluated, and each period's statistic.

Read by the alarm evaluator (``alarms``, ``alarm_evaluation``) and by Route 53's CLOUDWATCH_METRIC
health checks (``metric_checks``), which window the metric as CloudWatch windows the alarm. From
"Using Amazon CloudWatch alarms"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html) and the
``PutMetricAlarm`` reference
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html):

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

Where the emulator differs: a period of ``Period`` seconds lasts ``Period / scale`` real seconds
and the evaluations happen every ``60 / scale`` (``10 / scale``) real seconds, on multiples of
that in real (epoch) time; metric timestamps are real time.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

STATISTICS = frozenset({"SampleCount", "Average", "Sum", "Minimum", "Maximum"})
PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?)$")
EVALUATE_EVERY = 60  # AWS seconds: an alarm of a minute or longer is evaluated every minute,
HIGH_RESOLUTION_EVERY = 10  # one of 10 or 30 seconds every 10 seconds


def epoch(timestamp: datetime) -> float:
    """moto stores naive UTC datetimes."""
    return (timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)).timestamp()


def utc(seconds: float) -> datetime:
    """Naive UTC, as moto stores times."""
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def percentile_of(alarm: Any) -> float | None:
    match = PERCENTILE.match(str(alarm.extended_statistic or ""))
    value = float(match[1]) if match else None
    return value if value is not None and 0 < value < 100 else None


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


def low_samples(percentile: float, count: int) -> bool:
    """Too few samples for ``percentile`` to be significant (EvaluateLowSampleCountPercentile)."""
    p = percentile / 100
    needed = 10 / (1 - p) if p >= 0.5 else 10 / p
    return count < needed

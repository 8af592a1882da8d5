"""Route 53 health checks of type CLOUDWATCH_METRIC, evaluated as Route 53 documents it: from the
metric's data stream, with the alarm criteria the health check holds, never from the alarm's state.

What is modelled, in AWS's words:

- "A health check that monitors a CloudWatch alarm monitors the same data stream that CloudWatch
  monitors for the alarm ... Route 53 doesn't wait for the CloudWatch alarm to go into the ALARM
  state. The status of a health check changes from healthy to unhealthy based on the data stream
  and on the criteria in the CloudWatch alarm."
  (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-types.html)
- The criteria are the health check's ``CloudWatchAlarmConfiguration`` (comparison operator,
  evaluation periods, metric name, namespace, period, statistic, threshold, dimensions:
  https://docs.aws.amazon.com/Route53/latest/APIReference/API_CloudWatchAlarmConfiguration.html),
  copied from the alarm when the health check is created, or updated with its AlarmIdentifier
  (``patches/route53_health_check_alarms.py``). "Route 53 doesn't automatically update the alarm
  settings in the health check" ("Updating health checks when you change CloudWatch alarm
  settings", https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-deleting.html):
  a later ``PutMetricAlarm``, ``SetAlarmState`` or another ``TreatMissingData`` changes nothing
  here. The criteria have no ``TreatMissingData``.
- ``InsufficientDataHealthStatus`` "When CloudWatch has insufficient data about the metric to
  determine the alarm state": ``Healthy``, ``Unhealthy``, or ``LastKnownStatus``: "Route 53 uses
  the status of the health check from the last time that CloudWatch had sufficient data to
  determine the alarm state. For new health checks that have no last known status, the default
  status for the health check is healthy."
  (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html). Without the
  setting, ``LastKnownStatus`` ("By default, Route 53 uses the status of the health check from
  the last time CloudWatch had sufficient data", the same entry of UpdateHealthCheck).
  ``LastKnownStatus`` is ``None`` here: ``HealthCheckers`` keeps the status as it was, and a new
  health check starts healthy.
- ``Disabled`` ("Route 53 stops monitoring the corresponding CloudWatch metrics ... considers the
  status of the health check to always be healthy") is ``HealthCheckers``' (no evaluation).

Undocumented, assumed, each time the stricter reading (the one under which a switch built on it
can fail, never one that makes it work):

- Which data counts: the ``EvaluationPeriods`` most recent complete periods, windowed as
  CloudWatch windows the alarm (``alarms.evaluation_end``: periods ending at the evaluation's
  minute boundary, evaluated every minute). Unhealthy when every
  one of them breaches (the criteria have no DatapointsToAlarm: CloudWatch's default is all of
  them); healthy when each has data and one does not; insufficient data as soon as one of them has
  none. AWS does not say how Route 53 reads a partly missing range: this hands over to
  ``InsufficientDataHealthStatus`` at the first missing period, the earliest any reading allows.
- No unit filter (the criteria have no ``Unit``): every unit published for the metric counts.
- The alarm's region out (CloudWatch impaired there: no data reaches Route 53) and an alarm deleted
  since (AWS does not say whether Route 53 keeps reading its data stream): insufficient data.

Where the emulator differs: periods last ``Period / scale`` real seconds (the emulator's time
scale); only ``PutMetricData`` datapoints are read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from local_aws import regions
from local_aws.dataplane.alarm_statistics import epoch, evaluation_end, period_statistics
from local_aws.patches.route53_health_check_alarms import ACCOUNT_ATTRIBUTE, COMPARE, CRITERIA_ATTRIBUTE

INSUFFICIENT_DATA: dict[str, bool | None] = {"Healthy": True, "Unhealthy": False, "LastKnownStatus": None}


def _backend(account_id: str, region: str) -> Any:
    """moto's CloudWatch in ``region`` of ``account_id``, None when it holds nothing (no lookup by
    key: that would create one)."""
    from moto.cloudwatch.models import cloudwatch_backends  # noqa: PLC0415 - moto loads after the env is set

    per_account = dict.get(cloudwatch_backends, account_id)
    return dict.get(per_account, region) if per_account is not None else None


class MetricHealthChecks:
    """The evaluator of CLOUDWATCH_METRIC health checks (``HealthCheckers.evaluators``).

    ``scale``: the emulator's time scale; ``clock``: epoch seconds (the datapoints' time)."""

    def __init__(self, *, scale: float = 1.0, clock: Callable[[], float] = time.time) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.scale = scale
        self._clock = clock

    def __call__(self, config: Any, status_of: Callable[[str], bool | None]) -> bool | None:
        """The health check's status from the data (True healthy, False unhealthy); while the data
        is insufficient, what ``InsufficientDataHealthStatus`` says (None: the last known one)."""
        verdict = self.judge(config)
        if verdict is not None:
            return verdict
        setting = str(getattr(config, "insufficient_data_health_status", None) or "LastKnownStatus")
        return INSUFFICIENT_DATA.get(setting)

    def judge(self, config: Any) -> bool | None:
        """Healthy (True) or unhealthy (False) by the data and the held criteria; None when the
        data is insufficient."""
        criteria = getattr(config, CRITERIA_ATTRIBUTE, None)
        identifier = getattr(config, "alarm_identifier", None)
        account_id = getattr(config, ACCOUNT_ATTRIBUTE, None)
        if not criteria or not identifier or not account_id or regions.OUTAGES.is_down(identifier["Region"]):
            return None
        backend = _backend(account_id, identifier["Region"])
        if backend is None or identifier["Name"] not in backend.alarms:
            return None
        period, count = int(criteria["Period"]), max(1, int(criteria["EvaluationPeriods"]))
        end = evaluation_end(self._clock(), period, self.scale)  # as CloudWatch windows it
        oldest = end - count * period / self.scale
        namespace, metric_name = criteria["Namespace"], criteria["MetricName"]
        datums = [
            (at, datum)
            for datum in list(backend.metric_data)
            if datum.namespace == namespace
            and datum.name == metric_name
            and (at := epoch(datum.timestamp)) >= oldest
        ]
        values = period_statistics(
            datums,
            namespace=namespace,
            metric_name=metric_name,
            dimensions=frozenset((d["Name"], d["Value"]) for d in criteria.get("Dimensions") or ()),
            unit=None,
            statistic=criteria["Statistic"],
            percentile=None,
            periods=(period / self.scale, end, count),
        )
        if any(value is None for value, _ in values):
            return None
        compare, threshold = COMPARE[criteria["ComparisonOperator"]], float(criteria["Threshold"])
        return not all(compare(value, threshold) for value, _ in values)

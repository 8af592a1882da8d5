"""Gap: moto drops a CLOUDWATCH_METRIC health check's alarm, its insufficient-data setting and the
alarm criteria Route 53 copies from the alarm.

A Route 53 health check of type CLOUDWATCH_METRIC names the alarm it follows (``AlarmIdentifier``:
region and name) and what it reports while CloudWatch has too little data
(``InsufficientDataHealthStatus``: Healthy, Unhealthy or LastKnownStatus); such a check has no
endpoint, port, interval or failure threshold
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html,
https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html). Route 53 keeps
"information about the CloudWatch alarm that Amazon Route 53 is monitoring for this health check"
(``HealthCheck.CloudWatchAlarmConfiguration``: comparison operator, evaluation periods, metric
name, namespace, period, statistic, threshold, dimensions,
https://docs.aws.amazon.com/Route53/latest/APIReference/API_CloudWatchAlarmConfiguration.html),
and evaluates the metric's data stream "on the criteria in the CloudWatch alarm"
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-types.html); "Route 53
doesn't automatically update the alarm settings in the health check" when the alarm changes
("Updating health checks when you change CloudWatch alarm settings",
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-deleting.html).

moto 5.2.5 keeps none of this and answers a port 80, 30 s check: the health checkers could not know
which metric the failover switch follows, and Terraform would read the alarm back as empty. With
this patch:

- ``CreateHealthCheck`` stores the alarm, the insufficient-data setting, and a copy of the alarm's
  criteria, read from the alarm at that moment; ``UpdateHealthCheck`` with an ``AlarmIdentifier``
  reads the alarm again (what the console's "edit the health check and save" does, and what the
  provider sends when the health check's ``triggers`` change). Nothing else changes the copy: an
  alarm updated, set to a state or deleted later leaves the health check's criteria as they were.
- ``GetHealthCheck`` / ``ListHealthChecks`` return ``CloudWatchAlarmConfiguration`` next to the
  configuration, which reads back as AWS's does (no endpoint settings).
- Refused with ``InvalidInput``: a CLOUDWATCH_METRIC check without its alarm; an alarm Route 53
  does not support: "Route 53 supports CloudWatch alarms with the following features:
  Standard-resolution metrics. High-resolution metrics aren't supported ... Statistics: Average,
  Minimum, Maximum, Sum, and SampleCount. Extended statistics aren't supported." (AlarmIdentifier,
  above); an alarm on metric math or several metrics, which ``CloudWatchAlarmConfiguration`` (one
  metric, one statistic) cannot hold; an alarm that does not exist. AWS documents neither the
  error nor its wording for these: undocumented, assumed refused (the stricter reading).

``local_aws/dataplane/metric_checks.py`` evaluates the health check from the copy.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

from moto.route53.exceptions import InvalidInput
from moto.route53.models import HealthCheck
from moto.route53.responses import Route53

# What a health check copies from its alarm, stored on moto's HealthCheck; the data plane
# (dataplane/metric_checks.py) judges the metric with it.
CRITERIA_ATTRIBUTE = "cloud_watch_alarm_configuration"  # GetHealthCheck returns it
ACCOUNT_ATTRIBUTE = "local_aws_alarm_account"  # the account of its alarm
COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": operator.ge,
    "GreaterThanThreshold": operator.gt,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}
INSUFFICIENT_DATA_STATUSES = ("Healthy", "Unhealthy", "LastKnownStatus")
STATISTICS = ("Average", "Minimum", "Maximum", "Sum", "SampleCount")
STANDARD_RESOLUTION = 60  # seconds: a shorter period is a high-resolution alarm
_ENDPOINT_ONLY = ("IPAddress", "Port", "RequestInterval", "FailureThreshold", "MeasureLatency", "EnableSNI")


def _alarm(value: Any) -> dict[str, str] | None:
    if not isinstance(value, dict) or not value.get("Region") or not value.get("Name"):
        return None
    return {"Region": value["Region"], "Name": value["Name"]}


def _status(value: Any) -> str | None:
    if value is None:
        return None
    if value not in INSUFFICIENT_DATA_STATUSES:
        raise InvalidInput(
            f"InsufficientDataHealthStatus must be one of {', '.join(INSUFFICIENT_DATA_STATUSES)}"
        )
    return value


def criteria(account_id: str, identifier: dict[str, str]) -> dict[str, Any]:
    """The alarm's criteria as Route 53 copies them (CloudWatchAlarmConfiguration), read now;
    InvalidInput for an alarm that does not exist or that Route 53 does not support."""
    from moto.cloudwatch.models import cloudwatch_backends  # noqa: PLC0415

    region, name = identifier["Region"], identifier["Name"]
    alarm = cloudwatch_backends[account_id][region].alarms.get(name)
    if alarm is None:
        raise InvalidInput(f"The CloudWatch alarm {name} does not exist in {region}")
    if alarm.metric_data_queries or alarm.rule is not None or not alarm.metric_name:
        raise InvalidInput(f"The CloudWatch alarm {name} is not on one metric: Route 53 can't use it")
    if alarm.extended_statistic or alarm.statistic not in STATISTICS:
        raise InvalidInput(f"The CloudWatch alarm {name} uses an extended statistic: Route 53 can't use it")
    if int(alarm.period or 0) < STANDARD_RESOLUTION:
        raise InvalidInput(f"The CloudWatch alarm {name} is a high-resolution alarm: Route 53 can't use it")
    if alarm.comparison_operator not in COMPARE:
        raise InvalidInput(f"The CloudWatch alarm {name} compares with a band: Route 53 can't use it")
    return {
        "EvaluationPeriods": int(alarm.evaluation_periods),
        "Threshold": float(alarm.threshold),
        "ComparisonOperator": alarm.comparison_operator,
        "Period": int(alarm.period),
        "MetricName": alarm.metric_name,
        "Namespace": alarm.namespace,
        "Statistic": alarm.statistic,
        "Dimensions": [{"Name": str(d.name), "Value": str(d.value)} for d in alarm.dimensions or ()],
    }


def _hold(check: HealthCheck, account_id: str, identifier: dict[str, str], copied: dict[str, Any]) -> None:
    check.alarm_identifier = identifier
    setattr(check, CRITERIA_ATTRIBUTE, copied)
    setattr(check, ACCOUNT_ATTRIBUTE, account_id)


def apply() -> None:
    original_create = Route53.create_health_check
    original_update = Route53.update_health_check
    original_config = HealthCheck.health_check_config

    @functools.wraps(original_create)
    def create_health_check(self: Route53) -> Any:
        config = self._get_param("HealthCheckConfig") or {}
        alarm = _alarm(config.get("AlarmIdentifier"))
        status = _status(config.get("InsufficientDataHealthStatus"))
        copied = None
        if config.get("Type") == "CLOUDWATCH_METRIC":
            if alarm is None:
                raise InvalidInput("A CLOUDWATCH_METRIC health check needs an AlarmIdentifier")
            copied = criteria(self.current_account, alarm)  # before anything is created
        result = original_create(self)
        reference = self._get_param("CallerReference")
        for check in list(self.backend.health_checks.values()):
            if check.caller_reference == reference:
                check.alarm_identifier = alarm
                check.insufficient_data_health_status = status
                if alarm is not None and copied is not None:
                    _hold(check, self.current_account, alarm, copied)
        return result

    @functools.wraps(original_update)
    def update_health_check(self: Route53) -> Any:
        alarm = _alarm(self._get_param("AlarmIdentifier"))
        status = _status(self._get_param("InsufficientDataHealthStatus"))
        check = self.backend.get_health_check(self._get_param("HealthCheckId"))  # NoSuchHealthCheck
        copied = criteria(self.current_account, alarm) if alarm is not None else None
        result = original_update(self)
        if alarm is not None and copied is not None:
            _hold(check, self.current_account, alarm, copied)
        if status is not None:
            check.insufficient_data_health_status = status
        return result

    def health_check_config(self: HealthCheck) -> dict[str, Any]:
        config = original_config.fget(self)
        if self.type_ == "CLOUDWATCH_METRIC":
            for name in _ENDPOINT_ONLY:
                config.pop(name, None)
            config["AlarmIdentifier"] = getattr(self, "alarm_identifier", None)
            config["InsufficientDataHealthStatus"] = getattr(self, "insufficient_data_health_status", None)
        return config

    Route53.create_health_check = create_health_check
    Route53.update_health_check = update_health_check
    HealthCheck.health_check_config = property(health_check_config)

"""Gap: moto drops a CLOUDWATCH_METRIC health check's alarm and insufficient-data setting.

A Route 53 health check of type CLOUDWATCH_METRIC names the alarm it follows
(``AlarmIdentifier``: region and name) and what it reports while CloudWatch has too little data
(``InsufficientDataHealthStatus``: Healthy, Unhealthy or LastKnownStatus), and ``GetHealthCheck``
returns both; such a check has no endpoint, port, interval or failure threshold
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html,
https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html). moto 5.2.5
keeps neither and answers a port 80, 30 s check: the health checkers could not know which alarm
the failover switch follows (it would stay healthy whatever was published, so a manual failover
would silently do nothing), and Terraform would read the alarm back as empty. With this patch
both are stored, updated and returned, a CLOUDWATCH_METRIC check is refused without its alarm
(AWS: ``InvalidInput``), and its configuration reads back as AWS's does.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.route53.exceptions import InvalidInput
from moto.route53.models import HealthCheck
from moto.route53.responses import Route53

INSUFFICIENT_DATA_STATUSES = ("Healthy", "Unhealthy", "LastKnownStatus")
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


def apply() -> None:
    original_create = Route53.create_health_check
    original_update = Route53.update_health_check
    original_config = HealthCheck.health_check_config

    @functools.wraps(original_create)
    def create_health_check(self: Route53) -> Any:
        config = self._get_param("HealthCheckConfig") or {}
        alarm = _alarm(config.get("AlarmIdentifier"))
        status = _status(config.get("InsufficientDataHealthStatus"))
        if config.get("Type") == "CLOUDWATCH_METRIC" and alarm is None:
            raise InvalidInput("A CLOUDWATCH_METRIC health check needs an AlarmIdentifier (Region and Name)")
        result = original_create(self)
        reference = self._get_param("CallerReference")
        for check in list(self.backend.health_checks.values()):
            if check.caller_reference == reference:
                check.alarm_identifier = alarm
                check.insufficient_data_health_status = status
        return result

    @functools.wraps(original_update)
    def update_health_check(self: Route53) -> Any:
        alarm = _alarm(self._get_param("AlarmIdentifier"))
        status = _status(self._get_param("InsufficientDataHealthStatus"))
        result = original_update(self)
        check = self.backend.get_health_check(self._get_param("HealthCheckId"))
        if alarm is not None:
            check.alarm_identifier = alarm
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

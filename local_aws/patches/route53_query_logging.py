"""Gap: moto's Route 53 query logging wants the log group ARN with a ``:*`` suffix.

AWS documents ``CloudWatchLogsLogGroupArn`` as ``arn:aws:logs:us-east-1:<account>:log-group:<name>``
and Terraform passes ``aws_cloudwatch_log_group.arn``, which has no ``:*``. moto 5.2.5 compares
the argument with ``<log group arn>:*`` only, so CreateQueryLoggingConfig fails with
NoSuchCloudWatchLogsLogGroup for a log group that exists. This patch accepts both spellings
and stores the ARN exactly as given (Terraform reads it back and compares).

``ListQueryLoggingConfigs`` with a ``HostedZoneId`` also compares it with the zone's
``/hostedzone/<id>`` path (never equal to a bare id, so it always answers NoSuchHostedZone)
and, given a zone, returns every zone's configs; the patch filters by the zone, as AWS does.

AWS: https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateQueryLoggingConfig.html
and https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListQueryLoggingConfigs.html
"""

from __future__ import annotations

import functools
from typing import Any

from moto.route53.exceptions import NoSuchHostedZone
from moto.route53.models import QueryLoggingConfig, Route53Backend


def apply() -> None:
    original = Route53Backend.create_query_logging_config

    @functools.wraps(original)
    def create_query_logging_config(
        self: Route53Backend, hosted_zone_id: str, log_group_arn: str
    ) -> QueryLoggingConfig:
        if not log_group_arn or log_group_arn.endswith(":*"):
            return original(self, hosted_zone_id, log_group_arn)
        config = original(self, hosted_zone_id, f"{log_group_arn}:*")
        config.cloud_watch_logs_log_group_arn = log_group_arn
        return config

    Route53Backend.create_query_logging_config = create_query_logging_config

    def list_query_logging_configs(
        self: Route53Backend, hosted_zone_id: str | None = None, **page: Any
    ) -> tuple[list[QueryLoggingConfig], str | None]:
        """Unpaginated (this stack has one config per zone); ``page`` is ignored."""
        configs = list(self.query_logging_configs.values())
        if not hosted_zone_id:
            return configs, None
        zone_id = hosted_zone_id.split("/")[-1]
        if not any(zone.resource_id == zone_id for zone in self.zones.values()):
            raise NoSuchHostedZone(hosted_zone_id)
        return [config for config in configs if config.hosted_zone_id == zone_id], None

    Route53Backend.list_query_logging_configs = list_query_logging_configs

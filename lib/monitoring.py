"""Per-region alarms (to an encrypted SNS topic) and SSM discovery parameters.

Where a metric is published decides where its alarm must live:
- Route 53 health-check metrics exist only in us-east-1
  (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html):
  their alarms go there, to an extra us-east-1 topic when neither stack region is us-east-1.
- S3 ``ReplicationLatency`` is published in the destination bucket's region and
  ``OperationsFailedReplication`` in the source bucket's
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html): each region watches
  the latency of the rule that replicates INTO it and the failures of the rule that replicates
  OUT of it. AWS advises "Treat missing data as ignore" for both.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from lib.keys import RegionalKey
from lib.region import Region
from lib.regional_api import RegionalApi
from lib.regions import GLOBAL
from lib.storage import REPLICATION_MINUTES, BucketReplication

ALARM_PERIOD_SECONDS = 300
# DynamoDB global tables replicate "typically within a second": alarm well before it hurts.
TABLE_REPLICATION_ALARM_MS = 30_000


class AlarmTopic(Construct):
    """An SNS topic encrypted with the region's key, and the alarms that notify it."""

    def __init__(
        self, scope: Construct, id: str, *, region: Region, topic_name: str, key: RegionalKey
    ) -> None:
        super().__init__(scope, id)
        self.region = region
        self._topic_name = topic_name
        self.topic = SnsTopic(
            self,
            "alarm-topic",
            provider=region.provider,
            name=topic_name,
            kms_master_key_id=key.arn_for(region),
        )

    def health_check_alarms(self, health_check_ids: dict[str, str]) -> list[CloudwatchMetricAlarm]:
        """One alarm per Route 53 health check; only in us-east-1, where Route 53 publishes them."""
        if health_check_ids and self.region.name != GLOBAL:
            raise ValueError(f"Route 53 health-check metrics exist only in {GLOBAL}")
        return [
            self._alarm(
                f"health-check-{role}",
                "AWS/Route53",
                "HealthCheckStatus",
                {"HealthCheckId": health_check_id},
                f"Route 53 sees the {role} region unhealthy (failover)",
                statistic="Minimum",
                threshold=1,
                comparison="LessThanThreshold",
                period=60,
            )
            for role, health_check_id in sorted(health_check_ids.items())
        ]

    def _alarm(
        self,
        id: str,
        namespace: str,
        metric: str,
        dimensions: dict[str, str],
        what: str,
        *,
        statistic: str = "Sum",
        threshold: float = 0,
        comparison: str = "GreaterThanThreshold",
        period: int = ALARM_PERIOD_SECONDS,
        missing_data: str = "notBreaching",
    ) -> CloudwatchMetricAlarm:
        return CloudwatchMetricAlarm(
            self,
            id,
            provider=self.region.provider,
            alarm_name=f"{self._topic_name}-{id}",
            alarm_description=f"{what}, over {period} s",
            namespace=namespace,
            metric_name=metric,
            dimensions=dimensions,
            statistic=statistic,
            period=period,
            evaluation_periods=1,
            threshold=threshold,
            comparison_operator=comparison,
            treat_missing_data=missing_data,
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
        )


class RegionalMonitoring(AlarmTopic):
    """One region's alarms: its API and function, the table's replication out of it, receipt
    replication in and out of it, and (in us-east-1) the Route 53 health checks."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        region: Region,
        topic_name: str,
        parameter_prefix: str,
        key: RegionalKey,
        api: RegionalApi,
        table_name: str,
        replica_region: str,
        outgoing: BucketReplication,
        incoming: BucketReplication,
        health_check_ids: dict[str, str],
    ) -> None:
        super().__init__(scope, id, region=region, topic_name=topic_name, key=key)
        if outgoing.source.region.name != region.name or incoming.destination.region.name != region.name:
            raise ValueError(f"{id}: replication rules must leave and enter {region.name}")
        function = {"FunctionName": api.function.function_name}
        stage = {"ApiName": api.rest_api.name, "Stage": api.stage.stage_name}
        self.alarms = [
            self._alarm("lambda-errors", "AWS/Lambda", "Errors", function, "Lambda errors"),
            self._alarm("lambda-throttles", "AWS/Lambda", "Throttles", function, "Lambda throttles"),
            self._alarm("api-5xx", "AWS/ApiGateway", "5XXError", stage, "API 5xx responses"),
            self._alarm(
                "table-replication-latency",
                "AWS/DynamoDB",
                "ReplicationLatency",
                {"TableName": table_name, "ReceivingRegion": replica_region},
                f"Average global-table replication latency to {replica_region} above "
                f"{TABLE_REPLICATION_ALARM_MS // 1000} s (milliseconds)",
                statistic="Average",
                threshold=TABLE_REPLICATION_ALARM_MS,
            ),
            self._alarm(
                "receipt-replication-latency",
                "AWS/S3",
                "ReplicationLatency",
                _rule_dimensions(incoming),
                f"Receipt replication from {incoming.source.region.name} slower than the RTC SLA "
                f"of {REPLICATION_MINUTES} minutes (seconds)",
                statistic="Maximum",
                threshold=REPLICATION_MINUTES * 60,
                missing_data="ignore",
            ),
            self._alarm(
                "receipt-replication-failures",
                "AWS/S3",
                "OperationsFailedReplication",
                _rule_dimensions(outgoing),
                f"Receipts that failed to replicate to {outgoing.destination.region.name}",
                missing_data="ignore",
            ),
            *self.health_check_alarms(health_check_ids),
        ]
        parameter_key = key.arn_for(region)
        self.parameters = [
            SsmParameter(
                self,
                f"parameter-{name}",
                provider=region.provider,
                name=f"{parameter_prefix}/{name}",
                description=description,
                type="SecureString",
                key_id=parameter_key,
                value=value,
            )
            for name, value, description in (
                ("api-endpoint", api.stage.invoke_url, f"Payments API endpoint in {region.name}"),
                ("table-name", table_name, f"Payments table name in {region.name}"),
            )
        ]


class HealthCheckMonitoring(AlarmTopic):
    """The health-check alarms in us-east-1 for a region pair that does not include it."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        region: Region,
        topic_name: str,
        key: RegionalKey,
        health_check_ids: dict[str, str],
    ) -> None:
        super().__init__(scope, id, region=region, topic_name=topic_name, key=key)
        self.alarms = self.health_check_alarms(health_check_ids)


def _rule_dimensions(replication: BucketReplication) -> dict[str, str]:
    return {
        "SourceBucket": replication.source.name,
        "DestinationBucket": replication.destination.name,
        "RuleId": replication.rule_id,
    }

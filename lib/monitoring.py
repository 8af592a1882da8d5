"""Per-region alarms (to an encrypted SNS topic) and SSM discovery parameters."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from lib.region import Region
from lib.regional_api import RegionalApi
from lib.storage import REPLICATION_MINUTES, BucketReplication

ALARM_PERIOD_SECONDS = 300
# DynamoDB global tables replicate "typically within a second": alarm well before it hurts.
TABLE_REPLICATION_ALARM_MS = 30_000


class RegionalMonitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        region: Region,
        topic_name: str,
        parameter_prefix: str,
        kms_key_arn: str,
        api: RegionalApi,
        table_name: str,
        replica_region: str,
        replication: BucketReplication,
        health_check_ids: dict[str, str],
    ) -> None:
        super().__init__(scope, id)
        provider = region.provider
        self._provider = provider
        self._topic_name = topic_name
        self.topic = SnsTopic(
            self, "alarm-topic", provider=provider, name=topic_name, kms_master_key_id=kms_key_arn
        )
        function = {"FunctionName": api.function.function_name}
        stage = {"ApiName": api.rest_api.name, "Stage": api.stage.stage_name}
        self.alarms = [
            self._alarm("lambda-errors", "AWS/Lambda", "Errors", function, "Lambda errors"),
            self._alarm("lambda-throttles", "AWS/Lambda", "Throttles", function, "Lambda throttles"),
            self._alarm("api-5xx", "AWS/ApiGateway", "5XXError", stage, "API 5xx responses"),
            self._alarm(
                "dead-letters",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                {"QueueName": api.dead_letter_queue.name},
                "Failed asynchronous invocations waiting in the dead-letter queue",
            ),
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
            *self._replication_alarms(replication),
            *(
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
            ),
        ]
        self.parameters = [
            SsmParameter(
                self,
                f"parameter-{key}",
                provider=provider,
                name=f"{parameter_prefix}/{key}",
                description=description,
                type="SecureString",
                key_id=kms_key_arn,
                value=value,
            )
            for key, value, description in (
                ("api-endpoint", api.stage.invoke_url, f"Payments API endpoint in {region.name}"),
                ("table-name", table_name, f"Payments table name in {region.name}"),
            )
        ]

    def _replication_alarms(self, replication: BucketReplication) -> list[CloudwatchMetricAlarm]:
        """S3 replication metrics of this region's outgoing rule (published with RTC)."""
        rule = {
            "SourceBucket": replication.source.name,
            "DestinationBucket": replication.destination.name,
            "RuleId": replication.rule_id,
        }
        target = replication.destination.region.name
        return [
            self._alarm(
                "receipt-replication-latency",
                "AWS/S3",
                "ReplicationLatency",
                rule,
                f"Receipt replication to {target} slower than the RTC SLA of "
                f"{REPLICATION_MINUTES} minutes (seconds)",
                statistic="Maximum",
                threshold=REPLICATION_MINUTES * 60,
            ),
            self._alarm(
                "receipt-replication-failures",
                "AWS/S3",
                "OperationsFailedReplication",
                rule,
                f"Receipts that failed to replicate to {target}",
            ),
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
    ) -> CloudwatchMetricAlarm:
        return CloudwatchMetricAlarm(
            self,
            id,
            provider=self._provider,
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
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
        )

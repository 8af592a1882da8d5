"""Per-region alarms (to an encrypted SNS topic) and SSM discovery parameters."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from lib.region import Region
from lib.regional_api import RegionalApi

ALARM_PERIOD_SECONDS = 300


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

    def _alarm(
        self, id: str, namespace: str, metric: str, dimensions: dict[str, str], what: str
    ) -> CloudwatchMetricAlarm:
        return CloudwatchMetricAlarm(
            self,
            id,
            provider=self._provider,
            alarm_name=f"{self._topic_name}-{id}",
            alarm_description=f"{what} in the last {ALARM_PERIOD_SECONDS // 60} minutes",
            namespace=namespace,
            metric_name=metric,
            dimensions=dimensions,
            statistic="Sum",
            period=ALARM_PERIOD_SECONDS,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
        )

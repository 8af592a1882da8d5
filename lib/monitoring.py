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

What reaches a person when a region fails (README "Alarms"):
- **traffic moved** (us-east-1, the only region with Route 53's metrics): the health check of
  the PRIMARY failover record (with a switch, the CALCULATED check of the endpoint and the switch)
  unhealthy, whatever the cause: Route 53 then answers the failover name with the secondary;
- **switch thrown** (the secondary, where the switch's metric is published and where failing
  over is done): ``FailoverRequested`` >= 1;
- **traffic moved, seen by the secondary** (the secondary: it survives the primary's loss, which
  us-east-1's alarm does not when us-east-1 is the primary): the secondary's stage served
  ``POST /payments`` (``AWS/ApiGateway Count`` with ApiName, Method, Resource and Stage, which API
  Gateway sends only with detailed CloudWatch metrics: "Enabling these metrics will incur
  additional charges to your account", api-gateway-metrics-and-dimensions.html; lib/api_stage.py
  enables them on every method). Also true when a client calls the secondary directly;
- **switch unreadable** (us-east-1): Route 53 stops reporting the switch's health check at all.
  Route 53 publishes no "insufficient data" status: ``HealthCheckStatus`` is "1 (healthy) or 0
  (unhealthy)", and while the switch's data is missing its check reports its last known status
  (``LastKnownStatus``, lib/failover_switch.py), which is the switch's normal state (nobody
  publishes it until a failover). An alarm on missing switch data would therefore always fire;
  what can be seen is Route 53 no longer evaluating the switch's check, as missing
  ``HealthCheckStatus`` datapoints (treated as breaching).
Every topic gets one subscription per ``ALARM_SUBSCRIPTIONS`` entry (lib/alarm_subscriptions.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from lib.alarm_subscriptions import Subscription
from lib.api_contract import Route
from lib.failover_switch import METRIC as SWITCH_METRIC
from lib.failover_switch import NAMESPACE as SWITCH_NAMESPACE
from lib.failover_switch import PERIOD_SECONDS as SWITCH_PERIOD
from lib.failover_switch import FailoverSwitch
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
        self,
        scope: Construct,
        id: str,
        *,
        region: Region,
        topic_name: str,
        key: RegionalKey,
        subscriptions: Sequence[Subscription] = (),
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
        self.subscriptions = [self._subscribe(i, s) for i, s in enumerate(subscriptions)]

    def _subscribe(self, index: int, subscription: Subscription) -> SnsTopicSubscription:
        """One delivery of every alarm of the topic. The provider waits for a confirmation only
        when ``endpoint_auto_confirms`` ("Whether the endpoint is capable of auto confirming
        subscription (e.g., PagerDuty). Default is false"): false, so an apply never waits for a
        person, and the subscription stays pending until the endpoint's owner confirms it.
        ``confirmation_timeout_in_minutes`` is "Only applicable for http and https protocols" and
        only while waiting: not set. "Terraform cannot delete / unsubscribe" a subscription still
        pending; deleting the topic deletes its subscriptions (the provider's documentation)."""
        http = subscription.protocol in ("http", "https")
        return SnsTopicSubscription(
            self,
            f"subscription-{index}",
            provider=self.region.provider,
            topic_arn=self.topic.arn,
            protocol=subscription.protocol,
            endpoint=subscription.endpoint,
            endpoint_auto_confirms=False if http else None,
        )

    def health_check_alarms(self, health_check_ids: dict[str, str]) -> list[CloudwatchMetricAlarm]:
        """One alarm per Route 53 health check; only in us-east-1, where Route 53 publishes them."""
        if health_check_ids:
            self._require_global()
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

    def traffic_moved_alarm(self, primary_record_health_check_id: str) -> CloudwatchMetricAlarm:
        """The PRIMARY failover record's health check unhealthy: Route 53 answers with the
        secondary. Only in us-east-1, where Route 53 publishes HealthCheckStatus."""
        self._require_global()
        return self._alarm(
            "traffic-moved",
            "AWS/Route53",
            "HealthCheckStatus",
            {"HealthCheckId": primary_record_health_check_id},
            "Traffic moved: the PRIMARY failover record's health check is unhealthy (endpoint down or "
            "switch thrown), so Route 53 answers the failover name with the secondary",
            statistic="Minimum",
            threshold=1,
            comparison="LessThanThreshold",
            period=60,
        )

    def payments_served_alarm(self, api: RegionalApi, route: Route) -> CloudwatchMetricAlarm:
        """This region's stage served ``route`` (the payments' POST) in the last minute: on the secondary,
        payments that moved to it. Its own API's metric in its own region, so it notifies while
        the primary's region (and Route 53's metrics, in us-east-1) is lost."""
        return self._alarm(
            "secondary-traffic-moved",
            "AWS/ApiGateway",
            "Count",
            {
                "ApiName": api.rest_api.name,
                "Method": route.method,
                "Resource": route.path,
                "Stage": api.stage.stage_name,
            },
            f"Traffic moved: the {self.region.role} stage in {self.region.name} served "
            f"{route.method} {route.path} (failover, or a client calling it directly)",
            period=60,
        )

    def switch_unreadable_alarm(self, switch_health_check_id: str) -> CloudwatchMetricAlarm:
        """No HealthCheckStatus for the switch's health check: Route 53 is not evaluating it."""
        self._require_global()
        return self._alarm(
            "switch-unreadable",
            "AWS/Route53",
            "HealthCheckStatus",
            {"HealthCheckId": switch_health_check_id},
            "The failover switch cannot be read: Route 53 reports no status for its health check",
            statistic="SampleCount",
            threshold=1,
            comparison="LessThanThreshold",
            period=60,
            missing_data="breaching",
        )

    def switch_thrown_alarm(self, switch: FailoverSwitch) -> CloudwatchMetricAlarm:
        """``FailoverRequested`` >= 1 where it is published (the switch's region). Missing data
        keeps the state: one datapoint holds a failover (lib/failover_switch.py)."""
        if switch.region.name != self.region.name:
            raise ValueError(
                f"the switch's metric is published in {switch.region.name}, not {self.region.name}"
            )
        return self._alarm(
            "switch-thrown",
            SWITCH_NAMESPACE,
            SWITCH_METRIC,
            switch.describe()["dimensions"],
            f"Failover switch thrown: {SWITCH_METRIC} >= 1 in {switch.region.name} (an operator or the "
            "game day asked to fail over)",
            statistic="Maximum",
            threshold=1,
            comparison="GreaterThanOrEqualToThreshold",
            period=SWITCH_PERIOD,
            missing_data="ignore",
        )

    def _require_global(self) -> None:
        if self.region.name != GLOBAL:
            raise ValueError(f"Route 53 health-check metrics exist only in {GLOBAL}")

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
        subscriptions: Sequence[Subscription] = (),
    ) -> None:
        super().__init__(
            scope, id, region=region, topic_name=topic_name, key=key, subscriptions=subscriptions
        )
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
        subscriptions: Sequence[Subscription] = (),
    ) -> None:
        super().__init__(
            scope, id, region=region, topic_name=topic_name, key=key, subscriptions=subscriptions
        )
        self.alarms = self.health_check_alarms(health_check_ids)


def _rule_dimensions(replication: BucketReplication) -> dict[str, str]:
    return {
        "SourceBucket": replication.source.name,
        "DestinationBucket": replication.destination.name,
        "RuleId": replication.rule_id,
    }

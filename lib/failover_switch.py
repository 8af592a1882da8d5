"""The data-plane failover switch: fail over (and back) with one ``PutMetricData`` in the
surviving region, never a Route 53 API call.

Route 53's control plane (``UpdateHealthCheck``, ``ChangeResourceRecordSets``) is served from
us-east-1 — the primary region here — while its health checkers and DNS answers are its data
plane, spread over many locations. AWS's guidance is that the recovery path relies on data-plane
operations only (Well-Architected REL11-BP04; "standby takes over primary" in
https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/global-services.html).
So the switch is:

- a CloudWatch alarm in the SECONDARY region on a custom metric that operators (and the game
  day) publish there: ``FailoverRequested`` = 1 fails over, 0 fails back;
- a Route 53 health check of type CLOUDWATCH_METRIC on that alarm;
- on the PRIMARY failover record, a CALCULATED health check that is healthy only while both the
  primary endpoint's HTTPS check and the switch are healthy (``lib/dns_failover.py``).

Missing data never moves traffic: the alarm keeps its state when no data arrives
(``treat_missing_data = "ignore"``: one ``PutMetricData`` latches the failover until the next
one), and while CloudWatch has too little data to decide (a new alarm, or the secondary's
CloudWatch impaired) the health check counts as healthy, so the switch can neither fail over by
itself nor hold the primary down; a real outage still fails over through the HTTPS check
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html,
``InsufficientDataHealthStatus``; https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
AlarmThatSendsEmail.html#alarms-and-missing-data).
"""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.route53_health_check import Route53HealthCheck
from constructs import Construct

from lib.region import Region

NAMESPACE = "Tap/DR"
METRIC = "FailoverRequested"
DIMENSION = "Environment"
# The alarm's period (CloudWatch evaluates a standard-resolution alarm once a minute).
PERIOD_SECONDS = 60
FAIL_OVER, FAIL_BACK = 1, 0


class FailoverSwitch(Construct):
    """The switch in ``region`` (the secondary): its alarm and the health check on it."""

    def __init__(
        self, scope: Construct, id: str, *, region: Region, alarm_name: str, environment: str
    ) -> None:
        super().__init__(scope, id)
        self.region = region
        self.environment = environment
        self.alarm_name = alarm_name
        self.alarm = CloudwatchMetricAlarm(
            self,
            "alarm",
            provider=region.provider,
            alarm_name=alarm_name,
            alarm_description=(
                f"Failover switch: {METRIC}={FAIL_OVER} in {region.name} sends the failover name to "
                f"the secondary; {FAIL_BACK} sends it back. Published with PutMetricData only."
            ),
            namespace=NAMESPACE,
            metric_name=METRIC,
            dimensions={DIMENSION: environment},
            statistic="Maximum",
            period=PERIOD_SECONDS,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            threshold=FAIL_OVER,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="ignore",
        )
        self.health_check = Route53HealthCheck(
            self,
            "health-check",
            provider=region.provider,
            type="CLOUDWATCH_METRIC",
            cloudwatch_alarm_name=self.alarm.alarm_name,
            cloudwatch_alarm_region=region.name,
            insufficient_data_health_status="Healthy",
            tags={"Name": f"{alarm_name} (failover switch, {region.name})"},
        )

    def describe(self) -> dict[str, Any]:
        """How to flip it (the ``failover_switch`` output): one PutMetricData in ``region``."""
        return {
            "region": self.region.name,
            "namespace": NAMESPACE,
            "metric": METRIC,
            "dimensions": {DIMENSION: self.environment},
            "fail_over": FAIL_OVER,
            "fail_back": FAIL_BACK,
            "alarm_name": self.alarm_name,
        }

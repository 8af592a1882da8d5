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

How Route 53 reads the switch (Route 53 Developer Guide, "Types of Amazon Route 53 health
checks", https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-types.html): the
health check "monitors the same data stream that CloudWatch monitors for the alarm ... Route 53
doesn't wait for the CloudWatch alarm to go into the ALARM state". It keeps the alarm's criteria
as they were when the health check was created or last updated (``CloudWatchAlarmConfiguration``:
comparison, evaluation periods, metric, namespace, period, statistic, threshold, dimensions; no
``TreatMissingData``, https://docs.aws.amazon.com/Route53/latest/APIReference/API_CloudWatchAlarmConfiguration.html),
and while the data is insufficient ``InsufficientDataHealthStatus`` decides
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html). So the
alarm's ``treat_missing_data`` cannot hold a failover: one datapoint of 1 counts for one 60 s
period, and then the data is missing. What holds it is ``LastKnownStatus``: "Route 53 uses the
status of the health check from the last time that CloudWatch had sufficient data to determine
the alarm state. For new health checks that have no last known status, the default status for the
health check is healthy." Hence:

- one datapoint of 1 keeps the PRIMARY record unhealthy, for any length of time without data,
  until a datapoint of 0; one datapoint of 0 keeps it healthy likewise (a 1 and a 0 in the same
  minute: the Maximum is 1, the failover stands);
- no data ever (a new deployment) is healthy, and CloudWatch impaired in the secondary keeps the
  last status: the switch never moves traffic by itself, and never blocks a failover that the
  primary's HTTPS check decides (the CALCULATED check needs both);
- "Route 53 doesn't automatically update the alarm settings in the health check" when the alarm
  changes ("Updating health checks when you change CloudWatch alarm settings",
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-deleting.html):
  the health check's ``triggers`` hold the alarm's criteria, so a change Terraform makes to the
  alarm also updates the health check (the provider then sends ``UpdateHealthCheck`` with the
  ``AlarmIdentifier``, which makes Route 53 read the alarm again).

The alarm keeps ``treat_missing_data = "ignore"`` so that its own state (what an operator sees in
CloudWatch) shows the switch as Route 53 holds it; Route 53 does not read that state.
"""

from __future__ import annotations

from typing import Any

from cdktf import Fn, Token
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
# While data is missing the health check keeps its last status: the switch holds (see above).
INSUFFICIENT_DATA_HEALTH_STATUS = "LastKnownStatus"


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
            insufficient_data_health_status=INSUFFICIENT_DATA_HEALTH_STATUS,
            triggers=self._criteria(),
            tags={"Name": f"{alarm_name} (failover switch, {region.name})"},
        )

    def _criteria(self) -> dict[str, str]:
        """The alarm settings Route 53 copies into the health check (CloudWatchAlarmConfiguration),
        read from the alarm resource: when Terraform changes one, the health check is updated too."""
        alarm = self.alarm
        return {
            "comparison_operator": alarm.comparison_operator,
            "evaluation_periods": Token.as_string(alarm.evaluation_periods),
            "metric_name": alarm.metric_name,
            "namespace": alarm.namespace,
            "period": Token.as_string(alarm.period),
            "statistic": alarm.statistic,
            "threshold": Token.as_string(alarm.threshold),
            "dimensions": Fn.jsonencode(alarm.dimensions),
        }

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

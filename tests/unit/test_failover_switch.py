"""lib/failover_switch.py: fail over with one PutMetricData in the secondary, never a Route 53 call."""

from __future__ import annotations

import json

SWITCH_ALARM = "failover-switch/alarm"
SWITCH_CHECK = "failover-switch/health-check"


def test_the_switch_alarm_is_in_the_secondary_on_a_metric_operators_publish(dev):
    alarm = dev.get("aws_cloudwatch_metric_alarm", SWITCH_ALARM)
    assert alarm["provider"] == "aws.secondary"
    assert (alarm["namespace"], alarm["metric_name"], alarm["dimensions"]) == (
        "Tap/DR",
        "FailoverRequested",
        {"Environment": "dev"},
    )
    # One datapoint of 1 fails over, one of 0 fails back.
    assert (alarm["statistic"], alarm["threshold"], alarm["comparison_operator"]) == (
        "Maximum",
        1,
        "GreaterThanOrEqualToThreshold",
    )
    assert (alarm["period"], alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (60, 1, 1)


def test_missing_data_keeps_the_last_status_and_a_new_switch_is_healthy(dev):
    """Route 53 evaluates the metric with the alarm's criteria, not the alarm's state, and has no
    TreatMissingData: while data is missing InsufficientDataHealthStatus decides. LastKnownStatus
    holds the last datapoint's verdict for any time (a failover until failback is published) and
    is healthy for a new health check (API_HealthCheckConfig). 'Healthy' here would send traffic
    back to the primary one period after a failover."""
    check = dev.get("aws_route53_health_check", SWITCH_CHECK)
    assert check["type"] == "CLOUDWATCH_METRIC"
    assert check["insufficient_data_health_status"] == "LastKnownStatus"
    assert check["cloudwatch_alarm_region"] == "us-west-2"
    alarm_name = dev.ref("aws_cloudwatch_metric_alarm", SWITCH_ALARM, "alarm_name")
    assert check["cloudwatch_alarm_name"] == alarm_name
    # The alarm's own state mirrors the switch for operators (Route 53 does not read it).
    assert dev.get("aws_cloudwatch_metric_alarm", SWITCH_ALARM)["treat_missing_data"] == "ignore"


def test_a_change_terraform_makes_to_the_alarm_updates_the_health_check(dev):
    """Route 53 "doesn't automatically update the alarm settings in the health check": every
    setting Route 53 copies (CloudWatchAlarmConfiguration) is a trigger read from the alarm, so a
    change to it makes the provider send UpdateHealthCheck with the AlarmIdentifier."""
    check = dev.get("aws_route53_health_check", SWITCH_CHECK)

    def attribute(name: str) -> str:
        return dev.ref("aws_cloudwatch_metric_alarm", SWITCH_ALARM, name)

    criteria = ("comparison_operator", "evaluation_periods", "metric_name", "namespace", "period")
    assert check["triggers"] == {
        **{name: attribute(name) for name in (*criteria, "statistic", "threshold")},
        "dimensions": "${jsonencode(" + attribute("dimensions")[2:-1] + ")}",
    }


def test_the_primary_record_needs_both_its_endpoint_and_the_switch(each_profile):
    calculated = each_profile.get("aws_route53_health_check", "endpoint-primary/health-check-with-switch")
    assert calculated["type"] == "CALCULATED"
    assert calculated["child_healthchecks"] == [
        each_profile.ref("aws_route53_health_check", "endpoint-primary/health-check", "id"),
        each_profile.ref("aws_route53_health_check", SWITCH_CHECK, "id"),
    ]
    assert calculated["child_health_threshold"] == 2  # either one unhealthy fails over
    secondary = each_profile.get("aws_route53_record", "endpoint-secondary/failover-record")
    assert secondary["health_check_id"] == each_profile.ref(
        "aws_route53_health_check", "endpoint-secondary/health-check", "id"
    )


def test_the_output_says_how_to_flip_it(each_profile):
    switch = json.loads(each_profile.output("failover_switch")["value"])
    alarm = each_profile.get("aws_cloudwatch_metric_alarm", SWITCH_ALARM)
    assert switch == {
        "region": "us-west-2",
        "namespace": alarm["namespace"],
        "metric": alarm["metric_name"],
        "dimensions": alarm["dimensions"],
        "fail_over": 1,
        "fail_back": 0,
        "alarm_name": alarm["alarm_name"],
    }

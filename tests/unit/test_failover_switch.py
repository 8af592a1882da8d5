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


def test_missing_data_never_moves_traffic(dev):
    """'ignore' keeps the alarm's state when data stops (a failover holds until failback is
    published); insufficient data (a new alarm, CloudWatch impaired) counts as healthy."""
    assert dev.get("aws_cloudwatch_metric_alarm", SWITCH_ALARM)["treat_missing_data"] == "ignore"
    check = dev.get("aws_route53_health_check", SWITCH_CHECK)
    assert check["type"] == "CLOUDWATCH_METRIC"
    assert check["insufficient_data_health_status"] == "Healthy"
    assert check["cloudwatch_alarm_region"] == "us-west-2"
    alarm_name = dev.ref("aws_cloudwatch_metric_alarm", SWITCH_ALARM, "alarm_name")
    assert check["cloudwatch_alarm_name"] == alarm_name


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

"""lib/monitoring.py: alarms to an encrypted topic, SSM discovery parameters."""

from __future__ import annotations

import pytest

from tests.unit.conftest import REGIONS, regional_key

ALARMS = {
    "lambda-errors": ("AWS/Lambda", "Errors"),
    "lambda-throttles": ("AWS/Lambda", "Throttles"),
    "api-5xx": ("AWS/ApiGateway", "5XXError"),
}


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_encrypted_alarm_topic(dev, role, region):
    topic = dev.get("aws_sns_topic", f"monitoring-{role}/alarm-topic")
    assert topic["name"] == f"tap-alarms-{role}-dev"
    assert topic["kms_master_key_id"] == dev.ref("aws_kms_key", f"key-{role}/key", "arn")
    assert topic["provider"] == f"aws.{role}"


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_alarms(dev, role, region):
    topic_arn = dev.ref("aws_sns_topic", f"monitoring-{role}/alarm-topic", "arn")
    for alarm_id, (namespace, metric) in ALARMS.items():
        alarm = dev.get("aws_cloudwatch_metric_alarm", f"monitoring-{role}/{alarm_id}")
        assert alarm["alarm_name"] == f"tap-alarms-{role}-dev-{alarm_id}"
        assert (alarm["namespace"], alarm["metric_name"]) == (namespace, metric)
        assert alarm["statistic"] == "Sum"
        assert alarm["period"] == 300
        assert alarm["threshold"] == 0
        assert alarm["comparison_operator"] == "GreaterThanThreshold"
        assert alarm["evaluation_periods"] == 1
        assert alarm["treat_missing_data"] == "notBreaching"
        assert alarm["alarm_actions"] == [topic_arn] and alarm["ok_actions"] == [topic_arn]
        assert alarm["provider"] == f"aws.{role}"
    function = dev.ref("aws_lambda_function", f"api-{role}/function", "function_name")
    errors = dev.get("aws_cloudwatch_metric_alarm", f"monitoring-{role}/lambda-errors")
    assert errors["dimensions"] == {"FunctionName": function}
    api = dev.get("aws_cloudwatch_metric_alarm", f"monitoring-{role}/api-5xx")
    assert api["dimensions"] == {
        "ApiName": dev.ref("aws_api_gateway_rest_api", f"api-{role}/rest-api", "name"),
        "Stage": dev.ref("aws_api_gateway_stage", f"api-{role}/stage", "stage_name"),
    }
    # API Gateway invokes the function synchronously: a dead-letter queue could never fill.
    assert dev.count("aws_sqs_queue") == 0
    assert not [a for a in dev.resources("aws_cloudwatch_metric_alarm") if "dead-letter" in a]


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_ssm_parameters_are_encrypted_with_the_regions_key(dev, role, region):
    key = dev.ref("aws_kms_key", f"key-{role}/key", "arn")
    endpoint = dev.get("aws_ssm_parameter", f"monitoring-{role}/parameter-api-endpoint")
    assert endpoint["name"] == f"/tap-payments-dev/{role}/api-endpoint"
    assert endpoint["value"] == dev.ref("aws_api_gateway_stage", f"api-{role}/stage", "invoke_url")
    table = dev.get("aws_ssm_parameter", f"monitoring-{role}/parameter-table-name")
    assert table["name"] == f"/tap-payments-dev/{role}/table-name"
    assert table["value"] == "tap-payments-dev"
    for parameter in (endpoint, table):
        assert (parameter["type"], parameter["key_id"]) == ("SecureString", key)


OTHER = {"primary": ("secondary", "us-west-2"), "secondary": ("primary", "us-east-1")}


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_replication_alarms_live_where_s3_publishes_their_metrics(dev, role, region):
    """S3 publishes ReplicationLatency in the destination's region and OperationsFailedReplication
    in the source's (https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html)."""
    other_role, other_region = OTHER[role]
    topic_arn = dev.ref("aws_sns_topic", f"monitoring-{role}/alarm-topic", "arn")

    def alarm(name):
        body = dev.get("aws_cloudwatch_metric_alarm", f"monitoring-{role}/{name}")
        assert body["alarm_actions"] == [topic_arn] and body["provider"] == f"aws.{role}"
        return body

    table = alarm("table-replication-latency")
    assert (table["namespace"], table["metric_name"]) == ("AWS/DynamoDB", "ReplicationLatency")
    assert table["dimensions"] == {"TableName": "tap-payments-dev", "ReceivingRegion": other_region}
    assert (table["statistic"], table["threshold"]) == ("Average", 30_000)  # milliseconds

    outgoing = {
        "SourceBucket": dev.ref("aws_s3_bucket", f"receipts-{role}/bucket", "bucket"),
        "DestinationBucket": dev.ref("aws_s3_bucket", f"receipts-{other_role}/bucket", "bucket"),
        "RuleId": f"receipts-to-{other_role}",
    }
    incoming = {
        "SourceBucket": dev.ref("aws_s3_bucket", f"receipts-{other_role}/bucket", "bucket"),
        "DestinationBucket": dev.ref("aws_s3_bucket", f"receipts-{role}/bucket", "bucket"),
        "RuleId": f"receipts-to-{role}",
    }
    latency = alarm("receipt-replication-latency")
    assert (latency["namespace"], latency["metric_name"]) == ("AWS/S3", "ReplicationLatency")
    assert latency["dimensions"] == incoming  # published in this (the destination's) region
    assert (latency["statistic"], latency["threshold"]) == ("Maximum", 900)  # the RTC SLA, seconds
    failures = alarm("receipt-replication-failures")
    assert (failures["metric_name"], failures["dimensions"]) == ("OperationsFailedReplication", outgoing)
    assert (failures["statistic"], failures["threshold"]) == ("Sum", 0)
    # "set the Missing data treatment field to Treat missing data as ignore" (AWS, same page)
    assert latency["treat_missing_data"] == failures["treat_missing_data"] == "ignore"


def test_health_check_alarms_live_in_us_east_1_where_route53_publishes_metrics(dev):
    topic_arn = dev.ref("aws_sns_topic", "monitoring-primary/alarm-topic", "arn")
    for role, _ in REGIONS:
        body = dev.get("aws_cloudwatch_metric_alarm", f"monitoring-primary/health-check-{role}")
        assert body["provider"] == "aws.primary"  # us-east-1
        assert (body["namespace"], body["metric_name"]) == ("AWS/Route53", "HealthCheckStatus")
        assert body["dimensions"] == {
            "HealthCheckId": dev.ref("aws_route53_health_check", f"endpoint-{role}/health-check", "id")
        }
        assert (body["statistic"], body["comparison_operator"], body["threshold"]) == (
            "Minimum",
            "LessThanThreshold",
            1,
        )
        assert body["period"] == 60
        assert body["alarm_actions"] == [topic_arn]
    secondary = dev.resources("aws_cloudwatch_metric_alarm")
    assert not [name for name in secondary if name.startswith("monitoring-secondary_health-check")]


def test_health_check_alarms_exist_for_a_region_pair_without_us_east_1(eu):
    """Route 53 publishes HealthCheckStatus only in us-east-1: a eu-west-1/eu-central-1 stack
    gets a third provider there, with its own key and topic, for exactly those alarms."""
    providers = {p["alias"]: p["region"] for p in eu.json["provider"]["aws"]}
    assert providers == {"primary": "eu-west-1", "secondary": "eu-central-1", "global": "us-east-1"}
    topic = eu.get("aws_sns_topic", "monitoring-global/alarm-topic")
    assert topic["provider"] == "aws.global"
    assert topic["name"] == "tap-alarms-global-eu"
    assert topic["kms_master_key_id"] == eu.ref("aws_kms_key", "key-global/key", "arn")
    assert eu.get("aws_kms_key", "key-global/key")["provider"] == "aws.global"
    for role in ("primary", "secondary"):
        body = eu.get("aws_cloudwatch_metric_alarm", f"monitoring-global/health-check-{role}")
        assert body["provider"] == "aws.global"
        assert body["dimensions"] == {
            "HealthCheckId": eu.ref("aws_route53_health_check", f"endpoint-{role}/health-check", "id")
        }
        assert body["alarm_actions"] == [eu.ref("aws_sns_topic", "monitoring-global/alarm-topic", "arn")]
    route53_alarms = [
        (name, body["provider"])
        for name, body in eu.resources("aws_cloudwatch_metric_alarm").items()
        if body["namespace"] == "AWS/Route53"
    ]
    # each region's health check, traffic moved and the switch unreadable
    assert len(route53_alarms) == 4 and {p for _, p in route53_alarms} == {"aws.global"}
    # Nothing else lives in the extra region: it serves Route 53 only.
    extra = sorted(
        type_
        for type_, items in eu.json["resource"].items()
        for body in items.values()
        if body.get("provider") == "aws.global"
    )
    assert set(extra) <= {
        "aws_kms_key",
        "aws_kms_alias",
        "aws_sns_topic",
        "aws_sns_topic_subscription",
        "aws_cloudwatch_metric_alarm",
        "aws_cloudwatch_log_group",
        "aws_route53_query_log",
    }


def test_every_route53_metric_alarm_is_in_us_east_1(each_profile, eu):
    for synth in (each_profile, eu):
        regions = {p["alias"]: p["region"] for p in synth.json["provider"]["aws"]}
        for name, body in synth.resources("aws_cloudwatch_metric_alarm").items():
            if body["namespace"] == "AWS/Route53":
                assert regions[body["provider"].split(".")[1]] == "us-east-1", name


def _region(stack, name):
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from lib.region import Region

    return Region("primary", name, AwsProvider(stack, f"aws-{name}", region=name, alias=name))


def test_health_check_alarms_are_refused_outside_us_east_1():
    from cdktf import TerraformStack, Testing

    from lib.monitoring import AlarmTopic

    stack = TerraformStack(Testing.app(), "alarms")
    region = _region(stack, "eu-west-1")
    topic = AlarmTopic(stack, "topic", region=region, topic_name="t", key=regional_key(stack, region))
    with pytest.raises(ValueError, match="exist only in us-east-1"):
        topic.health_check_alarms({"primary": "hc-1"})
    assert topic.health_check_alarms({}) == []


def test_replication_alarms_are_refused_in_a_region_the_rules_do_not_touch():
    """The latency alarm must watch the rule INTO the region and the failures alarm the rule
    OUT of it: swapped, both alarms would wait forever for metrics published elsewhere."""
    from types import SimpleNamespace

    from cdktf import TerraformStack, Testing

    from lib.monitoring import RegionalMonitoring

    def rule(source, destination):
        return SimpleNamespace(
            source=SimpleNamespace(region=SimpleNamespace(name=source)),
            destination=SimpleNamespace(region=SimpleNamespace(name=destination)),
        )

    stack = TerraformStack(Testing.app(), "alarms")
    region = _region(stack, "us-east-1")
    with pytest.raises(ValueError, match="must leave and enter us-east-1"):
        RegionalMonitoring(
            stack,
            "monitoring",
            region=region,
            topic_name="t",
            parameter_prefix="/p",
            key=regional_key(stack, region),
            api=None,
            table_name="t",
            replica_region="us-west-2",
            outgoing=rule("us-west-2", "us-east-1"),  # swapped
            incoming=rule("us-east-1", "us-west-2"),
            health_check_ids={},
        )


# --- who is told: subscriptions and the failover alarms (issue 26) -------------------------------

SUBSCRIBED = [("email", "oncall@acme-corp.io", None), ("https", "https://hooks.acme-corp.io/alarms", False)]


def test_every_alarm_topic_has_every_configured_subscription(dev):
    subscriptions = dev.resources("aws_sns_topic_subscription")
    assert len(subscriptions) == len(SUBSCRIBED) * dev.count("aws_sns_topic") == 4
    for role, _ in REGIONS:
        topic = dev.ref("aws_sns_topic", f"monitoring-{role}/alarm-topic", "arn")
        for index, (protocol, endpoint, auto_confirms) in enumerate(SUBSCRIBED):
            body = dev.get("aws_sns_topic_subscription", f"monitoring-{role}/subscription-{index}")
            assert body["topic_arn"] == topic
            assert (body["protocol"], body["endpoint"]) == (protocol, endpoint)
            assert body["provider"] == f"aws.{role}"  # the topic's own region (the provider's note)
            assert body.get("endpoint_auto_confirms") is auto_confirms  # an apply never waits for a person


def test_no_subscription_is_allowed_outside_prod(eu):
    assert eu.resources("aws_sns_topic_subscription") == {}
    assert eu.output("alarm_subscriptions")["value"].startswith("none: the alarms reach no one")


def test_the_global_topic_of_a_pair_without_us_east_1_is_subscribed_too():
    from tests.unit.conftest import ALARM_SUBSCRIPTIONS, EU_ENV, _synth

    synth = _synth({**EU_ENV, "ALARM_SUBSCRIPTIONS": ALARM_SUBSCRIPTIONS})
    for role in ("primary", "secondary", "global"):
        body = synth.get("aws_sns_topic_subscription", f"monitoring-{role}/subscription-0")
        assert body["topic_arn"] == synth.ref("aws_sns_topic", f"monitoring-{role}/alarm-topic", "arn")
        assert body["provider"] == f"aws.{role}"
        assert (body["protocol"], body["endpoint"]) == ("email", "oncall@acme-corp.io")


def _route53_alarm(synth, path, health_check_path):
    body = synth.get("aws_cloudwatch_metric_alarm", path)
    assert (body["namespace"], body["metric_name"]) == ("AWS/Route53", "HealthCheckStatus")
    assert body["dimensions"] == {
        "HealthCheckId": synth.ref("aws_route53_health_check", health_check_path, "id")
    }
    assert body["period"] == 60
    return body


def test_traffic_moved_watches_the_primary_records_health_check_in_us_east_1(dev):
    """The PRIMARY record follows the CALCULATED check (endpoint and switch), not the endpoint's
    HTTPS check alone: the existing health-check-primary alarm missed a failover by the switch."""
    body = _route53_alarm(
        dev, "monitoring-primary/traffic-moved", "endpoint-primary/health-check-with-switch"
    )
    record = dev.get("aws_route53_record", "endpoint-primary/failover-record")
    assert record["health_check_id"] == body["dimensions"]["HealthCheckId"]
    assert (body["statistic"], body["comparison_operator"], body["threshold"]) == (
        "Minimum",
        "LessThanThreshold",
        1,
    )
    assert body["provider"] == "aws.primary"  # us-east-1: Route 53 publishes nowhere else
    topic = dev.ref("aws_sns_topic", "monitoring-primary/alarm-topic", "arn")
    assert body["alarm_actions"] == body["ok_actions"] == [topic]
    assert body["alarm_name"] == "tap-alarms-primary-dev-traffic-moved"


def test_the_switch_unreadable_alarm_fires_when_route53_stops_reporting_the_switch(dev):
    body = _route53_alarm(dev, "monitoring-primary/switch-unreadable", "failover-switch/health-check")
    assert (body["statistic"], body["comparison_operator"], body["threshold"]) == (
        "SampleCount",
        "LessThanThreshold",
        1,
    )
    assert body["treat_missing_data"] == "breaching"  # no datapoint at all is the failure
    topic = dev.ref("aws_sns_topic", "monitoring-primary/alarm-topic", "arn")
    assert body["alarm_actions"] == body["ok_actions"] == [topic] and body["provider"] == "aws.primary"


def test_switch_thrown_lives_where_the_switch_is_published(dev):
    body = dev.get("aws_cloudwatch_metric_alarm", "monitoring-secondary/switch-thrown")
    assert (body["namespace"], body["metric_name"]) == ("Tap/DR", "FailoverRequested")
    assert body["dimensions"] == {"Environment": "dev"}
    assert (body["statistic"], body["comparison_operator"], body["threshold"]) == (
        "Maximum",
        "GreaterThanOrEqualToThreshold",
        1,
    )
    assert (body["period"], body["treat_missing_data"]) == (60, "ignore")
    switch = dev.get("aws_cloudwatch_metric_alarm", "failover-switch/alarm")
    assert body["provider"] == switch["provider"] == "aws.secondary"  # us-west-2
    topic = dev.ref("aws_sns_topic", "monitoring-secondary/alarm-topic", "arn")
    assert body["alarm_actions"] == body["ok_actions"] == [topic]


def test_without_a_custom_domain_there_is_no_failover_to_report(staging):
    names = staging.resources("aws_cloudwatch_metric_alarm")
    assert not [n for n in names if "traffic-moved" in n or "switch" in n]


def test_the_global_region_holds_the_route53_failover_alarms_for_a_pair_without_us_east_1(eu):
    for name in ("traffic-moved", "switch-unreadable"):
        assert eu.get("aws_cloudwatch_metric_alarm", f"monitoring-global/{name}")["provider"] == "aws.global"
    thrown = eu.get("aws_cloudwatch_metric_alarm", "monitoring-secondary/switch-thrown")
    assert thrown["provider"] == "aws.secondary"


def test_failover_alarms_are_refused_in_the_wrong_region():
    from types import SimpleNamespace

    from cdktf import TerraformStack, Testing

    from lib.monitoring import AlarmTopic

    stack = TerraformStack(Testing.app(), "alarms")
    region = _region(stack, "eu-west-1")
    topic = AlarmTopic(stack, "topic", region=region, topic_name="t", key=regional_key(stack, region))
    for method in (topic.traffic_moved_alarm, topic.switch_unreadable_alarm):
        with pytest.raises(ValueError, match="exist only in us-east-1"):
            method("hc-1")
    elsewhere = SimpleNamespace(region=SimpleNamespace(name="us-west-2"))
    with pytest.raises(ValueError, match="published in us-west-2, not eu-west-1"):
        topic.switch_thrown_alarm(elsewhere)


def test_the_secondary_reports_traffic_moved_from_its_own_api_metrics(dev):
    """Route 53 publishes HealthCheckStatus only in us-east-1: with us-east-1 lost, the primary's
    traffic-moved cannot notify. The secondary's own stage counting POST /payments can."""
    body = dev.get("aws_cloudwatch_metric_alarm", "monitoring-secondary/secondary-traffic-moved")
    assert body["alarm_name"] == "tap-alarms-secondary-dev-secondary-traffic-moved"
    assert (body["namespace"], body["metric_name"]) == ("AWS/ApiGateway", "Count")
    assert body["dimensions"] == {
        "ApiName": dev.ref("aws_api_gateway_rest_api", "api-secondary/rest-api", "name"),
        "Method": "POST",
        "Resource": "/payments",
        "Stage": dev.ref("aws_api_gateway_stage", "api-secondary/stage", "stage_name"),
    }
    assert (body["statistic"], body["comparison_operator"], body["threshold"]) == (
        "Sum",
        "GreaterThanThreshold",
        0,
    )
    assert (body["period"], body["evaluation_periods"], body["treat_missing_data"]) == (60, 1, "notBreaching")
    assert body["provider"] == "aws.secondary"
    topic = dev.ref("aws_sns_topic", "monitoring-secondary/alarm-topic", "arn")
    assert body["alarm_actions"] == body["ok_actions"] == [topic]
    # The method dimension exists only with detailed metrics on the secondary's stage.
    settings = dev.get("aws_api_gateway_method_settings", "api-secondary/method-settings")
    assert settings["method_path"] == "*/*" and settings["settings"]["metrics_enabled"] is True
    # The primary's own traffic-moved (us-east-1, the switch while us-east-1 is up) stays.
    assert (
        dev.get("aws_cloudwatch_metric_alarm", "monitoring-primary/traffic-moved")["provider"]
        == "aws.primary"
    )
    names = [b["alarm_name"] for b in dev.resources("aws_cloudwatch_metric_alarm").values()]
    assert sorted(n for n in names if n.endswith("-traffic-moved")) == [
        "tap-alarms-primary-dev-traffic-moved",
        "tap-alarms-secondary-dev-secondary-traffic-moved",
    ]

"""lib/monitoring.py: alarms to an encrypted topic, SSM discovery parameters."""

from __future__ import annotations

import pytest

from tests.unit.conftest import REGIONS

ALARMS = {
    "lambda-errors": ("AWS/Lambda", "Errors"),
    "lambda-throttles": ("AWS/Lambda", "Throttles"),
    "api-5xx": ("AWS/ApiGateway", "5XXError"),
    "dead-letters": ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
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
    dead_letters = dev.get("aws_cloudwatch_metric_alarm", f"monitoring-{role}/dead-letters")
    assert dead_letters["dimensions"] == {
        "QueueName": dev.ref("aws_sqs_queue", f"api-{role}/dead-letter-queue", "name")
    }


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
def test_replication_lag_alarms_watch_this_regions_outgoing_replication(dev, role, region):
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

    rule = {
        "SourceBucket": dev.ref("aws_s3_bucket", f"receipts-{role}/bucket", "bucket"),
        "DestinationBucket": dev.ref("aws_s3_bucket", f"receipts-{other_role}/bucket", "bucket"),
        "RuleId": f"receipts-to-{other_role}",
    }
    latency = alarm("receipt-replication-latency")
    assert (latency["namespace"], latency["metric_name"]) == ("AWS/S3", "ReplicationLatency")
    assert latency["dimensions"] == rule
    assert (latency["statistic"], latency["threshold"]) == ("Maximum", 900)  # the RTC SLA, seconds
    failures = alarm("receipt-replication-failures")
    assert (failures["metric_name"], failures["dimensions"]) == ("OperationsFailedReplication", rule)
    assert (failures["statistic"], failures["threshold"]) == ("Sum", 0)


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

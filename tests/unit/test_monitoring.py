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

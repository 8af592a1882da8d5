"""Alarms to an encrypted SNS topic, and the SSM discovery parameters, in each region."""

from __future__ import annotations

import pytest

from tests.integration.conftest import ClientFactory, Deployment

pytestmark = pytest.mark.integration


def test_alarm_topic_is_kms_encrypted(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    topic_arn = deployment.arn("sns", role, deployment.name("alarms", role))
    attributes = client("sns", region).get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    assert attributes["TopicArn"] == topic_arn
    assert attributes["KmsMasterKeyId"] == deployment.key_arn(role)


def test_alarms_watch_the_function_and_stage_and_notify_the_topic(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    prefix = deployment.name("alarms", role)
    topic_arn = deployment.arn("sns", role, prefix)
    function = [{"Name": "FunctionName", "Value": deployment.function_name(role)}]
    stage = [
        {"Name": "ApiName", "Value": deployment.name("payments-api", role)},
        {"Name": "Stage", "Value": "v1"},
    ]
    expected = {
        f"{prefix}-lambda-errors": ("AWS/Lambda", "Errors", function),
        f"{prefix}-lambda-throttles": ("AWS/Lambda", "Throttles", function),
        f"{prefix}-api-5xx": ("AWS/ApiGateway", "5XXError", stage),
    }
    alarms = client("cloudwatch", region).describe_alarms(AlarmNames=sorted(expected))["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in alarms) == sorted(expected)
    for alarm in alarms:
        namespace, metric, dimensions = expected[alarm["AlarmName"]]
        assert (alarm["Namespace"], alarm["MetricName"]) == (namespace, metric)
        assert sorted(alarm["Dimensions"], key=lambda d: d["Name"]) == dimensions
        assert alarm["Statistic"] == "Sum"
        assert alarm["Period"] == 300
        assert alarm["EvaluationPeriods"] == 1
        assert alarm["Threshold"] == 0.0
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["ActionsEnabled"] is True
        assert alarm["AlarmActions"] == [topic_arn]
        assert alarm["OKActions"] == [topic_arn]


def test_ssm_parameters_hold_the_endpoint_and_table_name(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    ssm = client("ssm", region)
    prefix = f"/{deployment.name('payments')}/{role}"
    expected = {
        f"{prefix}/api-endpoint": deployment.endpoint(role),
        f"{prefix}/table-name": deployment.table_name,
    }
    for name, value in expected.items():
        parameter = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
        assert parameter["Type"] == "SecureString"
        assert parameter["Value"] == value
    described = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": sorted(expected)}]
    )["Parameters"]
    assert sorted(p["Name"] for p in described) == sorted(expected)
    assert {p["KeyId"] for p in described} == {deployment.key_arn(role)}

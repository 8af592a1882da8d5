"""API Gateway's CloudWatch metrics, from "Amazon API Gateway dimensions and metrics"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html):
a stage's requests, served by the emulator's data plane, read back from CloudWatch in the API's region.

    .venv/bin/python -m pytest tests/harness/test_apigateway_metrics.py -p no:cacheprovider
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_aws import regions
from local_aws.server import apply_patches
from tests.harness.test_apigateway_dataplane import KEY_VALUE, REGION, FakeRuntime, _api, _call, _client

NAMESPACE = "AWS/ApiGateway"
BODY = {"customer_id": "c-1", "amount": "10.00", "currency": "USD"}


@pytest.fixture(scope="module", autouse=True)
def patched():
    apply_patches()


@pytest.fixture
def aws():
    with mock_aws():
        yield


def _metric(name: str, **dimensions: str) -> list[float]:
    """The values published for ``name`` with exactly ``dimensions`` in REGION."""
    from moto.cloudwatch.models import cloudwatch_backends

    wanted = sorted(dimensions.items())
    found = []
    for datum in cloudwatch_backends["123456789012"][REGION].metric_data:
        if datum.namespace != NAMESPACE or datum.name != name:
            continue
        if sorted((d.name, d.value) for d in datum.dimensions) == wanted:
            found.append(float(datum.value))
    return found


def _listed(**dimensions: str) -> bool:
    """Whether ListMetrics shows a Count metric with exactly these dimensions."""
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    metrics = cloudwatch.list_metrics(Namespace=NAMESPACE, MetricName="Count")["Metrics"]
    wanted = sorted(dimensions.items())
    return any(sorted((d["Name"], d["Value"]) for d in m["Dimensions"]) == wanted for m in metrics)


def _detailed(api: str) -> None:
    boto3.client("apigateway", region_name=REGION).update_stage(
        restApiId=api,
        stageName="v1",
        patchOperations=[{"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"}],
    )


def _post(client: Any, api: str) -> Any:
    return _call(client, api, "POST", "/v1/payments", headers={"x-api-key": KEY_VALUE}, data=json.dumps(BODY))


def test_a_request_to_a_stage_counts_once_on_the_api_and_on_the_stage(aws):
    # "Count | The total number API requests in a given period." / "ApiName, Stage | Filters API
    # Gateway metrics for the API stage resource with the specified API name and stage."
    built = _api()
    client = _client(FakeRuntime())
    assert _call(client, built["api"], "GET", "/v1/health").status_code == 200
    assert _metric("Count", ApiName="payments", Stage="v1") == [1.0]
    assert _metric("Count", ApiName="payments") == [1.0]
    assert _listed(ApiName="payments", Stage="v1")
    latency = _metric("Latency", ApiName="payments", Stage="v1")
    assert len(latency) == 1 and latency[0] >= 0
    assert len(_metric("IntegrationLatency", ApiName="payments", Stage="v1")) == 1


def test_a_5xx_is_one_5xx_error_and_a_2xx_is_zero_of_each(aws):
    # "5XXError | The number of server-side errors captured in a given period. [...] The Average
    # statistic represents the 5XXError error rate, namely, the total count of the 5XXError errors
    # divided by the total number of requests during the period."
    built = _api(permission=False)  # no invoke permission: 500
    client = _client(FakeRuntime())
    assert _call(client, built["api"], "GET", "/v1/health").status_code == 500
    assert _metric("5XXError", ApiName="payments", Stage="v1") == [1.0]
    assert _metric("4XXError", ApiName="payments", Stage="v1") == [0.0]
    lam = boto3.client("lambda", region_name=REGION)
    lam.add_permission(
        FunctionName="payments",
        StatementId="AllowApiGatewayInvoke",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )
    assert _call(client, built["api"], "GET", "/v1/health").status_code == 200
    assert _metric("5XXError", ApiName="payments", Stage="v1") == [1.0, 0.0]
    assert _metric("Count", ApiName="payments", Stage="v1") == [1.0, 1.0]


def test_a_4xx_is_one_4xx_error_and_no_integration_latency(aws):
    # "4XXError | The number of client-side errors captured in a given period."
    built = _api()
    client = _client(FakeRuntime())
    assert _call(client, built["api"], "GET", "/v1/nowhere").status_code == 403
    assert _metric("4XXError", ApiName="payments", Stage="v1") == [1.0]
    assert _metric("5XXError", ApiName="payments", Stage="v1") == [0.0]
    assert _metric("IntegrationLatency", ApiName="payments", Stage="v1") == []


def test_the_method_dimension_only_with_detailed_metrics(aws):
    # "ApiName, Method, Resource, Stage | [...] API Gateway will not send these metrics unless you
    # have explicitly enabled detailed CloudWatch metrics. [...] update the metricsEnabled
    # property to true."
    built = _api()
    client = _client(FakeRuntime())
    assert _post(client, built["api"]).status_code == 200
    method = {"ApiName": "payments", "Method": "POST", "Resource": "/payments", "Stage": "v1"}
    assert _metric("Count", **method) == []
    assert not _listed(**method)
    _detailed(built["api"])
    assert _post(client, built["api"]).status_code == 200
    assert _metric("Count", **method) == [1.0]
    assert _metric("5XXError", **method) == [0.0]
    assert _listed(**method)
    assert _metric("Count", ApiName="payments", Stage="v1") == [1.0, 1.0]


def test_a_region_that_is_out_publishes_nothing(aws):
    built = _api()
    client = _client(FakeRuntime())
    regions.OUTAGES.set(REGION, True)
    try:
        _call(client, built["api"], "GET", "/v1/health")
    finally:
        regions.OUTAGES.set(REGION, False)
    assert _metric("Count", ApiName="payments", Stage="v1") == []


def test_old_datapoints_are_pruned(aws, monkeypatch):
    from datetime import timedelta

    from local_aws.dataplane import apigateway_metrics

    built = _api()
    client = _client(FakeRuntime())
    _call(client, built["api"], "GET", "/v1/health")
    monkeypatch.setattr(apigateway_metrics, "METRIC_RETENTION", timedelta(0))
    monkeypatch.setattr(apigateway_metrics, "PRUNE_EVERY", timedelta(0))
    _call(client, built["api"], "GET", "/v1/health")
    assert len(_metric("Count", ApiName="payments", Stage="v1")) <= 1

"""The REST API in each region: stage, logging, usage plan, API key, routes and validation."""

from __future__ import annotations

import json

import pytest

from lib.api_contract import ROUTES as CONTRACT_ROUTES
from lib.config import Profile
from tests.integration.conftest import ClientFactory, Deployment
from tests.integration.support import log_group as find_log_group

pytestmark = pytest.mark.integration

# (method, path) -> API key required, as the API contract says. /health is open: Route 53
# cannot send a key (nor sign).
ROUTES = {(route.method, route.path): route.api_key_required for route in CONTRACT_ROUTES}
REQUEST_PARAMETERS = {(route.method, route.path): dict(route.parameters) or None for route in CONTRACT_ROUTES}
# (method, path) -> API Gateway's authorizationType: AWS_IAM (SigV4) for the payment routes, NONE
# for /health (the contract's "authorization").
AUTHORIZATION = {(route.method, route.path): route.authorization for route in CONTRACT_ROUTES}
RESOURCE_PATHS = [
    "/",
    "/customers",
    "/customers/{customer_id}",
    "/customers/{customer_id}/payments",
    "/health",
    "/payments",
    "/payments/{payment_id}",
]


def test_rest_api_is_regional(deployment: Deployment, client: ClientFactory, role: str, region: str) -> None:
    api = client("apigateway", region).get_rest_api(restApiId=deployment.api_id(role))
    assert api["name"] == deployment.name("payments-api", role)
    assert api["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert api["apiKeySource"] == "HEADER"
    assert api.get("disableExecuteApiEndpoint", False) is False  # Route 53 probes execute-api


def test_stage_v1_has_access_logs_metrics_and_throttling(
    deployment: Deployment, client: ClientFactory, profile: Profile, role: str, region: str
) -> None:
    assert deployment.stage(role) == "v1"
    stage = client("apigateway", region).get_stage(restApiId=deployment.api_id(role), stageName="v1")
    assert stage["deploymentId"]
    log_group = f"/aws/apigateway/{deployment.name('payments-api', role)}/access"
    assert stage["accessLogSettings"]["destinationArn"] == deployment.log_group_arn(role, log_group)
    access_format = json.loads(stage["accessLogSettings"]["format"])
    assert access_format["requestId"] == "$context.requestId"
    assert access_format["status"] == "$context.status"
    assert access_format["apiKeyId"] == "$context.identity.apiKeyId"
    settings = stage["methodSettings"]["*/*"]
    assert settings["metricsEnabled"] is True
    assert settings["loggingLevel"] == "ERROR"
    assert settings["dataTraceEnabled"] is False
    assert settings["throttlingRateLimit"] == profile.throttle_rate_limit
    assert settings["throttlingBurstLimit"] == profile.throttle_burst_limit
    assert stage.get("cacheClusterEnabled", False) is False

    group = find_log_group(client("logs", region), log_group)
    assert group["retentionInDays"] == profile.log_retention_days
    assert group["kmsKeyId"] == deployment.key_arn(role)


def test_stage_execution_logs_go_to_a_managed_encrypted_group(
    deployment: Deployment, client: ClientFactory, profile: Profile, role: str, region: str
) -> None:
    """API Gateway's own group for execution logs, declared by the stack (else API Gateway
    creates it unencrypted, kept forever, and destroy leaves it behind)."""
    name = f"API-Gateway-Execution-Logs_{deployment.api_id(role)}/{deployment.stage(role)}"
    group = find_log_group(client("logs", region), name)
    assert group["retentionInDays"] == profile.log_retention_days
    assert group["kmsKeyId"] == deployment.key_arn(role)


def test_usage_plan_binds_the_key_to_the_stage(
    deployment: Deployment, client: ClientFactory, profile: Profile, role: str, region: str
) -> None:
    apigw = client("apigateway", region)
    key_id = deployment.outputs[f"{role}_api_key_id"]
    [plan] = apigw.get_usage_plans(keyId=key_id)["items"]
    assert plan["name"] == deployment.name("payments-plan", role)
    assert plan["apiStages"] == [{"apiId": deployment.api_id(role), "stage": "v1"}]
    assert plan["throttle"]["rateLimit"] == profile.throttle_rate_limit
    assert plan["throttle"]["burstLimit"] == profile.throttle_burst_limit
    assert plan["quota"]["limit"] == profile.quota_per_day
    assert plan["quota"]["period"] == "DAY"
    keys = apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]
    assert [(k["id"], k["type"], k["name"]) for k in keys] == [
        (key_id, "API_KEY", deployment.name("payments-client", role))
    ]


def test_api_key_is_enabled(deployment: Deployment, client: ClientFactory, role: str, region: str) -> None:
    key = client("apigateway", region).get_api_key(apiKey=deployment.outputs[f"{role}_api_key_id"])
    assert key["name"] == deployment.name("payments-client", role)
    assert key["enabled"] is True


def test_both_regions_accept_the_same_api_key_value(
    deployment: Deployment, client: ClientFactory, primary_region: str, secondary_region: str
) -> None:
    """Clients keep their key after a failover: the secondary reuses the primary's value."""
    primary = client("apigateway", primary_region).get_api_key(
        apiKey=deployment.outputs["primary_api_key_id"], includeValue=True
    )
    secondary = client("apigateway", secondary_region).get_api_key(
        apiKey=deployment.outputs["secondary_api_key_id"], includeValue=True
    )
    assert primary["id"] != secondary["id"]
    assert len(primary["value"]) >= 20  # API Gateway's minimum key length
    assert secondary["value"] == primary["value"]


def test_routes_require_a_key_except_health(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    apigw = client("apigateway", region)
    api_id = deployment.api_id(role)
    resources = apigw.get_resources(restApiId=api_id, limit=500, embed=["methods"])["items"]
    assert sorted(r["path"] for r in resources) == RESOURCE_PATHS
    by_path = {r["path"]: r["id"] for r in resources}
    [validator] = apigw.get_request_validators(restApiId=api_id)["items"]
    assert validator["name"] == "body-and-parameters"
    assert validator["validateRequestBody"] is True
    assert validator["validateRequestParameters"] is True
    function_arn = deployment.arn("lambda", role, f"function:{deployment.function_name(role)}")
    integration_uri = (
        f"arn:{deployment.partition}:apigateway:{region}:lambda:path/2015-03-31/functions/"
        f"{function_arn}/invocations"
    )

    methods = {
        (method, r["path"])
        for r in resources
        for method in (r.get("resourceMethods") or {})
        if method != "OPTIONS"
    }
    assert methods == set(ROUTES)
    for (method, path), key_required in ROUTES.items():
        detail = apigw.get_method(restApiId=api_id, resourceId=by_path[path], httpMethod=method)
        assert detail["apiKeyRequired"] is key_required, (method, path)
        assert detail["authorizationType"] == AUTHORIZATION[(method, path)], (method, path)
        assert detail["requestValidatorId"] == validator["id"]
        assert detail.get("requestParameters") == REQUEST_PARAMETERS[(method, path)], (method, path)
        expected_models = {"application/json": "CreatePayment"} if method == "POST" else None
        assert detail.get("requestModels") == expected_models, (method, path)
        integration = detail["methodIntegration"]
        assert (integration["type"], integration["httpMethod"]) == ("AWS_PROXY", "POST")
        assert integration["uri"] == integration_uri


def test_create_payment_model_mirrors_the_handler_validation(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    model = client("apigateway", region).get_model(
        restApiId=deployment.api_id(role), modelName="CreatePayment"
    )
    assert model["contentType"] == "application/json"
    schema = json.loads(model["schema"])
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["amount", "currency", "customer_id"]
    assert sorted(schema["properties"]) == ["amount", "currency", "customer_id", "description", "payment_id"]
    assert schema["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"


def test_gateway_errors_use_the_handler_error_shape(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    apigw = client("apigateway", region)
    templates = {
        kind: apigw.get_gateway_response(restApiId=deployment.api_id(role), responseType=kind)[
            "responseTemplates"
        ]
        for kind in ("DEFAULT_4XX", "DEFAULT_5XX")
    }
    assert templates == {
        "DEFAULT_4XX": {"application/json": '{"error": $context.error.messageString}'},
        "DEFAULT_5XX": {"application/json": '{"error": "Internal server error"}'},
    }

"""The emulator's API Gateway data plane (local_aws/dataplane/apigateway*.py): a REST API built
through moto's API as Terraform builds it, then called over HTTP (werkzeug's test client, or
the region's loopback listener), with a stand-in for the Lambda runtime.

    .venv/bin/python -m pytest tests/harness/test_apigateway_dataplane.py -p no:cacheprovider
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws
from werkzeug.test import Client

from lib.api_contract import CREATE_PAYMENT_SCHEMA
from local_aws import regions
from local_aws.dataplane import apigateway_usage
from local_aws.dataplane.apigateway import Gateway, Listeners
from local_aws.dataplane.apigateway_usage import TokenBucket
from local_aws.dataplane.lambda_runtime import FunctionThrottled
from local_aws.server import apply_patches

REGION = "us-east-1"
ACCOUNT = "123456789012"
KEY_VALUE = "k" * 40


@dataclass
class Invocation:
    status: str
    payload: Any


class FakeRuntime:
    """Records each invocation; answers what ``answer`` says (default: echo the event)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.answer: Any = None

    def __call__(self, **kwargs: Any) -> Invocation:
        self.calls.append(kwargs)
        if isinstance(self.answer, Invocation):
            return self.answer
        if self.answer is not None:
            return Invocation("ok", self.answer)
        return Invocation("ok", {"statusCode": 200, "body": json.dumps({"event": kwargs["event"]})})


@pytest.fixture(scope="module", autouse=True)
def patched():
    apply_patches()


@pytest.fixture
def aws():
    with mock_aws():
        yield


def _api(
    *,
    permission: bool = True,
    validate: bool = True,
    throttle: tuple[float, int] | None = None,
    binary_media_types: list[str] | None = None,
) -> dict:
    """The stack's shape: /health (no key), /payments POST (key, validated body),
    /payments/{payment_id} GET (key), gateway responses in the handler's shape."""
    apigw = boto3.client("apigateway", region_name=REGION)
    lam = boto3.client("lambda", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    fn = lam.create_function(
        FunctionName="payments",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )["FunctionArn"]
    settings: dict[str, Any] = {"name": "payments", "endpointConfiguration": {"types": ["REGIONAL"]}}
    if binary_media_types:
        settings["binaryMediaTypes"] = binary_media_types
    api = apigw.create_rest_api(**settings)["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    validator = apigw.create_request_validator(
        restApiId=api, name="v", validateRequestBody=validate, validateRequestParameters=validate
    )["id"]
    apigw.create_model(
        restApiId=api,
        name="CreatePayment",
        contentType="application/json",
        schema=json.dumps(CREATE_PAYMENT_SCHEMA),
    )
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fn}/invocations"

    def method(resource: str, verb: str, key: bool, **extra: Any) -> None:
        apigw.put_method(
            restApiId=api,
            resourceId=resource,
            httpMethod=verb,
            authorizationType="NONE",
            apiKeyRequired=key,
            requestValidatorId=validator,
            **extra,
        )
        apigw.put_integration(
            restApiId=api,
            resourceId=resource,
            httpMethod=verb,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=uri,
        )

    health = apigw.create_resource(restApiId=api, parentId=root, pathPart="health")["id"]
    payments = apigw.create_resource(restApiId=api, parentId=root, pathPart="payments")["id"]
    payment = apigw.create_resource(restApiId=api, parentId=payments, pathPart="{payment_id}")["id"]
    customers = apigw.create_resource(restApiId=api, parentId=root, pathPart="customers")["id"]
    method(health, "GET", False)
    method(payments, "POST", True, requestModels={"application/json": "CreatePayment"})
    method(payment, "GET", True, requestParameters={"method.request.path.payment_id": True})
    method(customers, "GET", True, requestParameters={"method.request.querystring.customer": True})
    apigw.put_gateway_response(
        restApiId=api,
        responseType="DEFAULT_4XX",
        responseTemplates={"application/json": '{"error": $context.error.messageString}'},
    )
    if permission:
        lam.add_permission(
            FunctionName="payments",
            StatementId="AllowApiGatewayInvoke",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api}/*/*/*",
        )
    deployment = apigw.create_deployment(restApiId=api)["id"]
    apigw.create_stage(restApiId=api, stageName="v1", deploymentId=deployment)
    if throttle:
        rate, burst = throttle
        apigw.update_stage(
            restApiId=api,
            stageName="v1",
            patchOperations=[
                {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(rate)},
                {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(burst)},
            ],
        )
    key = apigw.create_api_key(name="client", enabled=True, value=KEY_VALUE)["id"]
    plan = apigw.create_usage_plan(
        name="plan",
        apiStages=[{"apiId": api, "stage": "v1"}],
        throttle={"rateLimit": 1000.0, "burstLimit": 1000},
        quota={"limit": 10_000, "period": "DAY"},
    )["id"]
    apigw.create_usage_plan_key(usagePlanId=plan, keyId=key, keyType="API_KEY")
    return {"api": api, "key": key, "plan": plan, "root": root, "payments": payments, "fn": fn}


def _client(runtime: FakeRuntime) -> Client:
    gateway = Gateway(invoke=runtime)
    return Client(lambda environ, start: gateway.handle(REGION, _request(environ))(environ, start))


def _request(environ: dict) -> Any:
    from werkzeug.wrappers import Request

    return Request(environ)


def _host(api: str) -> str:
    return f"{api}.execute-api.{REGION}.amazonaws.com"


def _call(client: Client, api: str, method: str, path: str, **kwargs: Any):
    return client.open(
        path, method=method, headers={"Host": _host(api), **kwargs.pop("headers", {})}, **kwargs
    )


def test_routes_reach_the_function_with_the_rest_proxy_event(aws):
    built = _api()
    runtime = FakeRuntime()
    client = _client(runtime)
    response = _call(client, built["api"], "GET", "/v1/payments/pay_1?x=1", headers={"x-api-key": KEY_VALUE})
    assert response.status_code == 200
    event = response.json["event"]
    assert event["resource"] == "/payments/{payment_id}"
    assert event["path"] == "/payments/pay_1"
    assert event["pathParameters"] == {"payment_id": "pay_1"}
    assert event["queryStringParameters"] == {"x": "1"}
    context = event["requestContext"]
    assert (context["stage"], context["apiId"], context["resourcePath"]) == (
        "v1",
        built["api"],
        "/payments/{payment_id}",
    )
    assert context["identity"]["apiKeyId"] == built["key"]
    assert context["path"] == "/v1/payments/pay_1"
    (call,) = runtime.calls
    assert (call["function"], call["region"], call["account_id"]) == (built["fn"], REGION, ACCOUNT)
    assert call["request_id"] == context["requestId"] == response.headers["x-amzn-RequestId"]


def test_an_unknown_route_or_method_is_missing_authentication_token_in_the_stacks_shape(aws):
    """API Gateway answers 403 MISSING_AUTHENTICATION_TOKEN for a resource or method it does
    not have; the stack's DEFAULT_4XX response puts the message in {"error": ...}."""
    built = _api()
    runtime = FakeRuntime()
    client = _client(runtime)
    for method, path in (("GET", "/v1/nope"), ("DELETE", "/v1/health"), ("GET", "/v1/payments/a/b")):
        response = _call(client, built["api"], method, path)
        assert response.status_code == 403, path
        assert response.json == {"error": "Missing Authentication Token"}
    assert _call(client, built["api"], "GET", "/v2/health").status_code == 403  # no such stage
    assert runtime.calls == []


@pytest.mark.parametrize("header", [None, "wrong-" + "x" * 34, "disabled", "unbound"])
def test_a_method_that_requires_a_key_refuses_a_missing_wrong_disabled_or_unbound_one(aws, header):
    built = _api()
    apigw = boto3.client("apigateway", region_name=REGION)
    if header == "disabled":
        apigw.update_api_key(
            apiKey=built["key"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
        )
        header = KEY_VALUE
    elif header == "unbound":
        header = "u" * 40
        apigw.create_api_key(name="other", enabled=True, value=header)  # in no usage plan
    runtime = FakeRuntime()
    response = _call(
        _client(runtime),
        built["api"],
        "POST",
        "/v1/payments",
        headers={"x-api-key": header} if header else {},
        json={"amount": "1", "currency": "EUR", "customer_id": "c"},
    )
    assert (response.status_code, response.json) == (403, {"error": "Forbidden"})
    assert runtime.calls == []
    assert _call(_client(runtime), built["api"], "GET", "/v1/health").status_code == 200  # no key needed


def test_the_validator_refuses_a_bad_body_and_missing_parameters_before_the_function(aws):
    built = _api()
    runtime = FakeRuntime()
    client = _client(runtime)
    key = {"x-api-key": KEY_VALUE}
    for body in ({"amount": "1"}, {"amount": "1", "currency": "EUR", "customer_id": "c", "extra": 1}):
        response = _call(client, built["api"], "POST", "/v1/payments", headers=key, json=body)
        assert (response.status_code, response.json) == (400, {"error": "Invalid request body"}), body
    response = _call(
        client,
        built["api"],
        "POST",
        "/v1/payments",
        headers={**key, "Content-Type": "application/json"},
        data="{",
    )
    assert response.status_code == 400
    response = _call(client, built["api"], "GET", "/v1/customers", headers=key)
    assert (response.status_code, response.json) == (
        400,
        {"error": "Missing required request parameters: [customer]"},
    )
    assert runtime.calls == []
    ok = _call(
        client,
        built["api"],
        "POST",
        "/v1/payments",
        headers=key,
        json={"amount": "1", "currency": "EUR", "customer_id": "c"},
    )
    assert ok.status_code == 200 and len(runtime.calls) == 1


def test_without_a_validator_the_body_reaches_the_function(aws):
    built = _api(validate=False)
    runtime = FakeRuntime()
    response = _call(
        _client(runtime),
        built["api"],
        "POST",
        "/v1/payments",
        headers={"x-api-key": KEY_VALUE},
        json={"x": 1},
    )
    assert response.status_code == 200 and len(runtime.calls) == 1


def test_a_function_without_api_gateways_invoke_permission_is_a_500(aws):
    """Without the LambdaPermission the stack declares, AWS answers 500 ("Invalid permissions
    on Lambda function" in the execution log) and never runs the function."""
    built = _api(permission=False)
    runtime = FakeRuntime()
    response = _call(_client(runtime), built["api"], "GET", "/v1/health")
    assert response.status_code == 500
    assert runtime.calls == []


def test_a_permission_for_another_api_or_method_does_not_count(aws):
    built = _api(permission=False)
    boto3.client("lambda", region_name=REGION).add_permission(
        FunctionName="payments",
        StatementId="OnlyPost",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{built['api']}/*/POST/payments",
    )
    runtime = FakeRuntime()
    client = _client(runtime)
    assert _call(client, built["api"], "GET", "/v1/health").status_code == 500
    post = _call(
        client,
        built["api"],
        "POST",
        "/v1/payments",
        headers={"x-api-key": KEY_VALUE},
        json={"amount": "1", "currency": "EUR", "customer_id": "c"},
    )
    assert post.status_code == 200


@pytest.mark.parametrize(
    ("account", "allowed"), [(ACCOUNT, True), ("210987654321", False)], ids=["this account", "another"]
)
def test_a_permission_holds_only_when_all_its_conditions_do(aws, account, allowed):
    """A resource policy's conditions are ANDed (IAM condition logic): a permission also
    conditioned on aws:SourceAccount grants nothing to an API of another account; one with a
    condition key the emulator cannot evaluate grants nothing either (stricter, never lenient)."""
    built = _api(permission=False)
    lam = boto3.client("lambda", region_name=REGION)
    lam.add_permission(
        FunctionName="payments",
        StatementId="FromThisApi",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{built['api']}/*",
        SourceAccount=account,
    )
    client = _client(FakeRuntime())
    assert (_call(client, built["api"], "GET", "/v1/health").status_code == 200) is allowed


@pytest.mark.parametrize(
    "answer",
    [
        Invocation("error", {"errorMessage": "boom", "errorType": "Exception"}),
        Invocation("timeout", {"errorMessage": "Task timed out after 10.00 seconds"}),
        "not a dict",
        {"statusCode": "abc"},
        {"statusCode": 200, "body": {"not": "a string"}},
    ],
)
def test_a_failing_timed_out_or_malformed_function_is_a_502_that_leaks_nothing(aws, answer):
    built = _api()
    runtime = FakeRuntime()
    runtime.answer = answer
    response = _call(_client(runtime), built["api"], "GET", "/v1/health")
    assert response.status_code == 502
    assert response.json == {"message": "Internal server error"}
    assert "boom" not in response.get_data(as_text=True)


def test_a_throttled_function_is_a_500(aws):
    """ "If the Lambda API rejects the invocation request, API Gateway returns a 500 error code"
    (services-apigateway-errors.html): Lambda refused it for its reserved concurrency."""
    built = _api()

    def throttled(**_: Any) -> Invocation:
        raise FunctionThrottled("payments runs 1 of 1 reserved")

    response = _call(_client(throttled), built["api"], "GET", "/v1/health")
    assert (response.status_code, response.json) == (500, {"message": "Internal server error"})


def test_the_proxy_response_maps_status_headers_and_body(aws):
    built = _api()
    runtime = FakeRuntime()
    runtime.answer = {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json", "X-One": "1"},
        "multiValueHeaders": {"X-Many": ["a", "b"]},
        "body": '{"ok": true}',
    }
    response = _call(_client(runtime), built["api"], "GET", "/v1/health")
    assert response.status_code == 201
    assert response.json == {"ok": True}
    assert response.headers["X-One"] == "1"
    assert response.headers.getlist("X-Many") == ["a", "b"]


def test_the_stage_serves_its_deployment_not_later_changes(aws):
    """A method added after the deployment is not served until a new deployment reaches the
    stage (AWS: changes need a redeploy)."""
    built = _api()
    apigw = boto3.client("apigateway", region_name=REGION)
    status = apigw.create_resource(restApiId=built["api"], parentId=built["root"], pathPart="status")["id"]
    apigw.put_method(restApiId=built["api"], resourceId=status, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(
        restApiId=built["api"],
        resourceId=status,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{built['fn']}/invocations",
    )
    client = _client(FakeRuntime())
    assert _call(client, built["api"], "GET", "/v1/status").status_code == 403
    deployment = apigw.create_deployment(restApiId=built["api"])["id"]
    apigw.update_stage(
        restApiId=built["api"],
        stageName="v1",
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": deployment}],
    )
    assert _call(client, built["api"], "GET", "/v1/status").status_code == 200


def test_the_stage_throttle_answers_429_past_the_burst(aws):
    built = _api(throttle=(1.0, 3))
    runtime = FakeRuntime()
    client = _client(runtime)
    statuses = [_call(client, built["api"], "GET", "/v1/health").status_code for _ in range(6)]
    assert statuses[:3] == [200, 200, 200]
    assert 429 in statuses[3:]
    throttled = _call(client, built["api"], "GET", "/v1/health")
    assert throttled.status_code == 429 and throttled.json == {"error": "Too Many Requests"}


def test_the_usage_plan_quota_answers_429_limit_exceeded(aws):
    built = _api()
    boto3.client("apigateway", region_name=REGION).update_usage_plan(
        usagePlanId=built["plan"], patchOperations=[{"op": "replace", "path": "/quota/limit", "value": "2"}]
    )
    client = _client(FakeRuntime())
    statuses = [
        _call(client, built["api"], "GET", "/v1/payments/p", headers={"x-api-key": KEY_VALUE}).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_token_bucket_refills_at_its_rate():
    now = [0.0]
    bucket = TokenBucket(rate=2.0, burst=2.0, clock=lambda: now[0])
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    now[0] = 0.5  # one token back
    assert [bucket.take(), bucket.take()] == [True, False]


def test_a_custom_domain_serves_its_base_path_mapping(aws):
    built = _api()
    apigw = boto3.client("apigateway", region_name=REGION)
    apigw.create_domain_name(
        domainName="api.dr.example.com",
        regionalCertificateArn="arn:aws:acm:us-east-1:1:certificate/x",
        endpointConfiguration={"types": ["REGIONAL"]},
    )
    apigw.create_base_path_mapping(domainName="api.dr.example.com", restApiId=built["api"], stage="v1")
    client = _client(FakeRuntime())
    response = client.get("/health", headers={"Host": "api.dr.example.com"})
    assert response.status_code == 200
    assert response.json["event"]["requestContext"]["domainName"] == "api.dr.example.com"
    assert client.get("/health", headers={"Host": "other.dr.example.com"}).status_code == 403


def test_a_bare_address_reaches_a_stage_by_path(aws):
    built = _api()
    client = _client(FakeRuntime())
    response = client.get(
        f"/restapis/{built['api']}/v1/_user_request_/health", headers={"Host": "127.0.0.2:4566"}
    )
    assert response.status_code == 200
    assert response.json["event"]["path"] == "/health"


def test_another_regions_listener_does_not_serve_this_regions_api(aws):
    built = _api()
    gateway = Gateway(invoke=FakeRuntime())
    client = Client(lambda environ, start: gateway.handle("us-west-2", _request(environ))(environ, start))
    response = client.get("/v1/health", headers={"Host": _host(built["api"])})
    assert response.status_code == 403


def _free_port(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def test_listeners_answer_on_the_regions_address_and_an_outage_refuses_connections(aws):
    built = _api()
    port = _free_port("127.0.0.2")
    listeners = Listeners(Gateway(invoke=FakeRuntime()), port, [REGION])
    listeners.start()
    url = f"http://{regions.address_of(REGION)}:{port}/restapis/{built['api']}/v1/_user_request_/health"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200
        listeners.stop(REGION)
        with pytest.raises(urllib.error.URLError) as refused:
            urllib.request.urlopen(url, timeout=5)
        assert isinstance(refused.value.reason, ConnectionRefusedError)
        listeners.start(REGION)
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200
    finally:
        listeners.stop()
    assert listeners.serving() == []


def test_a_function_deleted_after_the_deployment_is_a_500(aws):
    built = _api()

    def gone(**_: Any) -> Invocation:
        raise LookupError("Function not found")

    gateway = Gateway(invoke=gone)
    client = Client(lambda environ, start: gateway.handle(REGION, _request(environ))(environ, start))
    response = client.get("/v1/health", headers={"Host": _host(built["api"])})
    assert response.status_code == 500
    assert response.json == {"message": "Internal server error"}


# --- what AWS documents and the data plane once got wrong ------------------------------------


def _redeploy(built: dict) -> None:
    """A new deployment of the API, served by stage v1 (changes need one to be served)."""
    apigw = boto3.client("apigateway", region_name=REGION)
    deployment = apigw.create_deployment(restApiId=built["api"])["id"]
    apigw.update_stage(
        restApiId=built["api"],
        stageName="v1",
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": deployment}],
    )


def _resource_id(built: dict, path: str) -> str:
    items = boto3.client("apigateway", region_name=REGION).get_resources(restApiId=built["api"])["items"]
    return next(item["id"] for item in items if item["path"] == path)


def _integrate(built: dict, resource_id: str, verb: str, **extra: Any) -> None:
    boto3.client("apigateway", region_name=REGION).put_integration(
        restApiId=built["api"],
        resourceId=resource_id,
        httpMethod=verb,
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{built['fn']}/invocations",
        **extra,
    )


def test_a_function_slower_than_the_integration_timeout_is_a_504_and_keeps_running(aws):
    """AWS: "INTEGRATION_TIMEOUT | 504 | The gateway response for an integration timed out error"
    (supported-gateway-response-types.html); "Integration timeout | 50 milliseconds - 29 seconds
    for all integration types, including Lambda, Lambda proxy" (limits.html). The client's answer
    does not stop the function: only Lambda's own timeout does."""
    built = _api()
    _integrate(built, _resource_id(built, "/health"), "GET", timeoutInMillis=100)
    _redeploy(built)
    finished = threading.Event()

    def slow(**kwargs: Any) -> Invocation:
        time.sleep(0.6)
        finished.set()
        return Invocation("ok", {"statusCode": 200, "body": "late"})

    gateway = Gateway(invoke=slow)
    client = Client(lambda environ, start: gateway.handle(REGION, _request(environ))(environ, start))
    started = time.monotonic()
    response = client.get("/v1/health", headers={"Host": _host(built["api"])})
    assert (response.status_code, response.json) == (504, {"message": "Endpoint request timed out"})
    assert response.headers["x-amzn-ErrorType"] == "INTEGRATION_TIMEOUT"
    assert time.monotonic() - started < 0.5
    assert finished.wait(5), "the function was not left to finish"


def test_gateway_response_templates_substitute_context_and_stage_variables(aws):
    """AWS: "A gateway response mapping template can access $context variable values and
    $stageVariables property values, as well as method request parameters, in the form of
    method.request.param-position.param-name" (api-gateway-gatewayResponse-definition.html)."""
    built = _api()
    apigw = boto3.client("apigateway", region_name=REGION)
    template = (
        '{"stage": "$context.stage", "request": "$context.requestId", "api": "${context.apiId}", '
        '"method": "$context.httpMethod", "domain": "$context.domainName", '
        '"agent": "$context.identity.userAgent", "type": "$context.error.responseType", '
        '"msg": $context.error.messageString, "color": "$stageVariables.color", '
        '"unknown": "$context.no.such.variable", "account": "$context.accountId"}'
    )
    apigw.put_gateway_response(
        restApiId=built["api"],
        responseType="MISSING_AUTHENTICATION_TOKEN",
        statusCode="404",
        responseTemplates={"application/json": template},
        responseParameters={
            "gatewayresponse.header.x-token-echo": "method.request.header.X-Token",
            "gatewayresponse.header.x-static": "'fixed'",
        },
    )
    apigw.put_gateway_response(
        restApiId=built["api"],
        responseType="DEFAULT_4XX",
        responseTemplates={
            "application/json": '{"path": "$context.resourcePath", "id": "$context.resourceId"}'
        },
    )
    apigw.update_stage(
        restApiId=built["api"],
        stageName="v1",
        patchOperations=[{"op": "replace", "path": "/variables/color", "value": "blue"}],
    )
    _redeploy(built)
    client = _client(FakeRuntime())
    response = _call(
        client, built["api"], "GET", "/v1/nope", headers={"x-token": "abc", "User-Agent": "probe/1"}
    )
    assert response.status_code == 404
    assert response.json == {
        "stage": "v1",
        "request": response.headers["x-amzn-RequestId"],
        "api": built["api"],
        "method": "GET",
        "domain": _host(built["api"]),
        "agent": "probe/1",
        "type": "MISSING_AUTHENTICATION_TOKEN",
        "msg": "Missing Authentication Token",
        "color": "blue",
        "unknown": "",
        "account": ACCOUNT,
    }
    assert (response.headers["x-token-echo"], response.headers["x-static"]) == ("abc", "fixed")
    routed = _call(client, built["api"], "GET", "/v1/customers", headers={"x-api-key": KEY_VALUE})
    assert (routed.status_code, routed.json) == (
        400,
        {"path": "/customers", "id": _resource_id(built, "/customers")},
    )


def test_a_disabled_default_endpoint_is_403_once_a_stage_changes_and_the_domain_still_serves(aws):
    """AWS: "Clients can still connect to your default endpoint, but they will receive a 403
    Forbidden status code. Disabling the default endpoint affects all stages of the API. This
    setting takes affect when you update any setting on any stage"
    (rest-api-disable-default-endpoint.html)."""
    built = _api()
    apigw = boto3.client("apigateway", region_name=REGION)
    apigw.create_domain_name(
        domainName="api.dr.example.com",
        regionalCertificateArn="arn:aws:acm:us-east-1:1:certificate/x",
        endpointConfiguration={"types": ["REGIONAL"]},
    )
    apigw.create_base_path_mapping(domainName="api.dr.example.com", restApiId=built["api"], stage="v1")
    client = _client(FakeRuntime())
    bare = f"/restapis/{built['api']}/v1/_user_request_/health"

    def statuses() -> tuple[int, int, int]:
        return (
            _call(client, built["api"], "GET", "/v1/health").status_code,
            client.get(bare, headers={"Host": "127.0.0.2:4566"}).status_code,
            client.get("/health", headers={"Host": "api.dr.example.com"}).status_code,
        )

    def switch(value: str) -> None:
        apigw.update_rest_api(
            restApiId=built["api"],
            patchOperations=[{"op": "replace", "path": "/disableExecuteApiEndpoint", "value": value}],
        )

    def touch_stage(color: str) -> None:
        apigw.update_stage(
            restApiId=built["api"],
            stageName="v1",
            patchOperations=[{"op": "replace", "path": "/variables/color", "value": color}],
        )

    switch("True")
    assert statuses() == (200, 200, 200)  # not before a stage changes
    touch_stage("red")
    assert statuses() == (403, 403, 200)
    refused = _call(client, built["api"], "GET", "/v1/health")
    assert refused.json == {"message": "Forbidden"}
    switch("False")
    assert apigw.get_rest_api(restApiId=built["api"])["disableExecuteApiEndpoint"] is False
    touch_stage("blue")
    assert statuses() == (200, 200, 200)


class _Moment(datetime):
    """``datetime`` whose ``now()`` is the test's chosen moment."""

    moment = datetime(2024, 1, 1, tzinfo=UTC)

    @classmethod
    def now(cls, tz: Any = None) -> datetime:
        return cls.moment


@pytest.mark.parametrize(
    ("period", "first", "later"),
    [
        ("MONTH", datetime(2024, 1, 8, 9, tzinfo=UTC), datetime(2024, 1, 15, 9, tzinfo=UTC)),
        ("WEEK", datetime(2024, 12, 31, 9, tzinfo=UTC), datetime(2025, 1, 1, 9, tzinfo=UTC)),
    ],
    ids=["month-spans-weeks", "week-spans-new-year"],
)
def test_a_quota_counts_over_its_whole_period(aws, monkeypatch, period, first, later):
    """AWS QuotaSettings: "period: The time period in which the limit applies. Valid values are
    "DAY", "WEEK" or "MONTH"." (API_QuotaSettings.html). A month is not a week; 2024-12-31 and
    2025-01-01 are in one week (ISO 2025-W01)."""
    built = _api()
    boto3.client("apigateway", region_name=REGION).update_usage_plan(
        usagePlanId=built["plan"],
        patchOperations=[
            {"op": "replace", "path": "/quota/limit", "value": "2"},
            {"op": "replace", "path": "/quota/period", "value": period},
        ],
    )
    monkeypatch.setattr(apigateway_usage, "datetime", _Moment)
    client = _client(FakeRuntime())

    def status(moment: datetime) -> int:
        _Moment.moment = moment
        key = {"x-api-key": KEY_VALUE}
        return _call(client, built["api"], "GET", "/v1/payments/p", headers=key).status_code

    assert [status(first), status(first), status(later)] == [200, 200, 429]


def test_a_header_in_both_headers_and_multi_value_headers_takes_only_the_multi_values(aws):
    """AWS: "If you specify values for both headers and multiValueHeaders, API Gateway merges them
    into a single list. If the same key-value pair is specified in both, only the values from
    multiValueHeaders will appear in the merged list." (set-up-lambda-proxy-integrations.html)."""
    built = _api()
    runtime = FakeRuntime()
    runtime.answer = {
        "statusCode": 200,
        "headers": {"X-Dup": "single", "X-One": "1"},
        "multiValueHeaders": {"x-dup": ["a", "b"], "X-Many": ["m"]},
        "body": "{}",
    }
    response = _call(_client(runtime), built["api"], "GET", "/v1/health")
    assert response.headers.getlist("X-Dup") == ["a", "b"]
    assert (response.headers.getlist("X-One"), response.headers.getlist("X-Many")) == (["1"], ["m"])


@pytest.mark.parametrize(
    ("types", "accept", "decoded"),
    [
        (None, "image/png", False),
        (["image/png"], "image/png", True),
        (["image/png"], "text/html, image/png", False),
        (["image/png"], None, False),
        (["*/*"], "text/html", True),
        (["image/*"], "image/gif;q=0.9", True),
    ],
    ids=["no-binary-types", "accepted", "not-the-first-accept", "no-accept", "all-types", "type-wildcard"],
)
def test_a_base64_body_is_decoded_only_for_an_accepted_binary_media_type(aws, types, accept, decoded):
    """AWS: "To return binary media from an AWS Lambda proxy integration, base64 encode the response
    from your Lambda function. You must also configure your API's binary media types."; "API Gateway
    uses the first Accept header from clients to determine if a response should return binary
    media." (lambda-proxy-binary-media.html)."""
    built = _api(binary_media_types=types)
    runtime = FakeRuntime()
    payload = bytes(range(256))
    encoded = base64.b64encode(payload).decode()
    runtime.answer = {"statusCode": 200, "isBase64Encoded": True, "body": encoded}
    headers = {"Accept": accept} if accept else {}
    response = _call(_client(runtime), built["api"], "GET", "/v1/health", headers=headers)
    assert response.status_code == 200
    assert response.get_data() == (payload if decoded else encoded.encode())


def test_a_root_proxy_does_not_take_paths_under_a_specific_sibling(aws):
    """AWS: "When a proxy resource has non-proxy siblings, the sibling resources are excluded from
    the representation of the proxy resource. For the preceding examples, /{proxy+} refers to any
    resources under the root resource except for the /parent[/*] resources."
    (api-gateway-method-settings-method-request.html)."""
    built = _api()
    apigw = boto3.client("apigateway", region_name=REGION)
    proxy = apigw.create_resource(restApiId=built["api"], parentId=built["root"], pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=built["api"], resourceId=proxy, httpMethod="ANY", authorizationType="NONE")
    _integrate(built, proxy, "ANY")
    _redeploy(built)
    client = _client(FakeRuntime())
    caught = _call(client, built["api"], "GET", "/v1/elsewhere/deep")
    assert caught.status_code == 200
    event = caught.json["event"]
    assert (event["resource"], event["pathParameters"]) == ("/{proxy+}", {"proxy": "elsewhere/deep"})
    assert _call(client, built["api"], "GET", "/v1/health").json["event"]["resource"] == "/health"
    for path in ("/v1/health/extra", "/v1/payments/p1/extra"):
        response = _call(client, built["api"], "GET", path, headers={"x-api-key": KEY_VALUE})
        assert (response.status_code, response.json) == (403, {"error": "Missing Authentication Token"}), path


def test_the_accounts_default_throttle_is_shared_by_every_stage_in_the_region(aws, monkeypatch):
    """AWS: "By default, API Gateway limits the steady-state requests per second (RPS) across all
    APIs within an AWS account, per Region" (api-gateway-request-throttling.html). (The account's
    limits made small; the clock stopped, so no token comes back.)"""
    monkeypatch.setattr(apigateway_usage, "ACCOUNT_LIMITS", (1.0, 2.0))
    built = _api()
    apigw = boto3.client("apigateway", region_name=REGION)
    deployment = apigw.get_stage(restApiId=built["api"], stageName="v1")["deploymentId"]
    apigw.create_stage(restApiId=built["api"], stageName="v2", deploymentId=deployment)
    gateway = Gateway(invoke=FakeRuntime(), clock=lambda: 0.0)
    client = Client(lambda environ, start: gateway.handle(REGION, _request(environ))(environ, start))
    statuses = [
        _call(client, built["api"], "GET", f"/{stage}/health").status_code
        for stage in ("v1", "v2", "v1", "v2")
    ]
    assert statuses == [200, 200, 429, 429]


def test_the_accounts_default_throttle_is_lower_in_the_documented_regions():
    """AWS: "For the following Regions, the default throttle quota is 2500 RPS and the default burst
    quota is 1250 RPS: Africa (Cape Town), Europe (Milan), Asia Pacific (Jakarta) ..." (limits.html)."""
    assert apigateway_usage.account_limits("ap-southeast-3") == (2_500.0, 1_250.0)
    assert apigateway_usage.account_limits(REGION) == (10_000.0, 5_000.0)

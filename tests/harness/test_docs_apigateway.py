"""API Gateway REST API data plane and Lambda proxy integration, as a client sees it over HTTP,
written from AWS's documentation alone (every test quotes the sentence it comes from).

One deployment is built per module (``deployment`` fixture) in us-east-1 with boto3:

* Lambda functions from an in-memory zip, all running ``HANDLER`` below: ``docs-echo`` (echoes
  the proxy event, raises on ``/boom``, returns a malformed response on ``/malformed``, sleeps on
  ``/sleep``), ``docs-short`` (1 s timeout, sleeps on ``/slow``), ``docs-noperm`` (no
  ``lambda:InvokeFunction`` permission for API Gateway) and ``docs-scoped`` (a permission whose
  source ARN names only ``prod/GET/scoped``);
* the main REST API (stages ``prod`` and ``v2``), API keys, usage plans bound to ``prod``
  (generous, throttled, quota of 3 a day) and one bound to ``prod`` and ``v2`` (quota of 4),
  request validators with a JSON schema model;
* a second API whose gateway responses are customised (and binary media types listed), a third
  whose default endpoint is disabled, and custom domain names with base path mappings.

Some tests change the deployment (a redeployment, a stage variable, a gateway response, a key
added to a plan, a new stage) and restore what the others rely on.

Stages are called at ``http://<region address>:<port>/<stage>/<path>`` with the Host header
``<api id>.execute-api.us-east-1.amazonaws.com`` (or a custom domain name).
"""

from __future__ import annotations

import http.client
import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError

LOCAL_CLOUD_TIME_SCALE = 60

REGION = "us-east-1"
SOURCE_IP = "127.0.0.1"  # every request is sent from this address (requestContext.identity.sourceIp)
DEADLINE = 20.0  # seconds: generous; never reached when all is well
SHOP_DOMAIN = "shop.example.com"
ONLY_DOMAIN = "only.example.com"
MAIN_KEY = "docsMainKey0123456789abcdef"
THROTTLE_KEY = "docsThrottleKey0123456789abc"
QUOTA_KEY = "docsQuotaKey0123456789abcdef"
DISABLED_KEY = "docsDisabledKey0123456789ab"
ORPHAN_KEY = "docsOrphanKey0123456789abcd"
STAGES_QUOTA_KEY = "docsStagesQuotaKey0123456789"
LATE_KEY = "docsLateKey0123456789abcdef"
GREETING = "hello from the function configuration"

PET_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "PetModel",
    "type": "object",
    "required": ["name", "type", "price"],
    "properties": {
        "name": {"type": "string"},
        "type": {"type": "string", "enum": ["dog", "cat", "fish"]},
        "price": {"type": "number", "minimum": 25, "maximum": 500},
    },
}
GOOD_PET = {"name": "Marco", "type": "dog", "price": 260}
MAT = {"application/json": '{"hint": "no such route", "type": "$context.error.responseType"}'}

BINARY = bytes(range(256)) + b"binary payload"

HANDLER = """
import base64
import json
import os
import time

BINARY = bytes(range(256)) + b"binary payload"

ENV_KEYS = [
    "AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION", "_HANDLER", "GREETING", "LAMBDA_TASK_ROOT",
    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
]


def handler(event, context):
    path = (event or {}).get("path") or ""
    if path.endswith("/boom"):
        raise RuntimeError("boom, on purpose")
    if path.endswith("/malformed"):
        return "this is not a Lambda proxy response"
    if path.endswith("/sleep") or path.endswith("/slow"):
        time.sleep(4)
    query = event.get("queryStringParameters") or {}
    if "binary" in query:
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/octet-stream"},
            "body": base64.b64encode(BINARY).decode("ascii"),
            "isBase64Encoded": True,
        }
    env = {key: os.environ.get(key) for key in ENV_KEYS}
    root = os.environ.get("LAMBDA_TASK_ROOT") or ""
    env["code_in_task_root"] = bool(root) and os.path.exists(os.path.join(root, "app.py"))
    return {
        "statusCode": int(query.get("status", "200")),
        "headers": {"Content-Type": "application/json", "X-Echo": "yes"},
        "multiValueHeaders": {"X-Multi": ["one", "two"]},
        "body": json.dumps({"echo": True, "event": event, "env": env}),
        "isBase64Encoded": False,
    }
"""


# -- helpers ------------------------------------------------------------------------------


@dataclass
class Reply:
    """One HTTP response from a stage."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def echo(self) -> dict[str, Any] | None:
        """The echo function's document, when the function answered (None otherwise)."""
        try:
            data = json.loads(self.body)
        except ValueError:
            return None
        return data if isinstance(data, dict) and data.get("echo") is True else None

    @property
    def event(self) -> dict[str, Any]:
        assert self.echo is not None, f"the function did not answer: {self.status} {self.body[:300]!r}"
        return self.echo["event"]

    def message(self) -> Any:
        """The ``message`` of a gateway error response (AssertionError if there is none)."""
        try:
            data = json.loads(self.body)
        except ValueError as error:
            raise AssertionError(f"not JSON: {self.status} {self.body[:300]!r}") from error
        assert isinstance(data, dict) and "message" in data, f"no message: {self.status} {self.body[:300]!r}"
        return data["message"]

    def header_values(self, name: str) -> list[str]:
        """Every value of header ``name``, whether sent on several lines or comma-joined."""
        return [part.strip() for line in (self.headers.get_all(name) or []) for part in line.split(",")]


@dataclass
class Deployment:
    """What the module fixture built (ids, names, the stage address)."""

    address: str
    port: int
    account: str
    api: str
    api2: str
    api3: str
    resources: dict[str, str] = field(default_factory=dict)  # path -> resource id (main API)
    keys: dict[str, str] = field(default_factory=dict)  # key value -> key id
    plans: dict[str, str] = field(default_factory=dict)  # usage plan name -> id

    def host(self, api: str | None = None) -> str:
        return f"{api or self.api}.execute-api.{REGION}.amazonaws.com"

    def call(
        self,
        method: str,
        path: str,
        *,
        host: str | None = None,
        headers: dict[str, str] | None = None,
        body: str | bytes | None = None,
        timeout: float = 40.0,
    ) -> Reply:
        """One request to ``path`` (stage included) on the us-east-1 stage address."""
        conn = http.client.HTTPConnection(
            self.address, self.port, timeout=timeout, source_address=(SOURCE_IP, 0)
        )
        try:
            conn.request(method, path, body=body, headers={"Host": host or self.host(), **(headers or {})})
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            conn.close()


def eventually(
    what: str, attempt: Callable[[], Any], deadline: float = DEADLINE, interval: float = 0.3
) -> Any:
    """``attempt()``'s first truthy result; AssertionError naming ``what`` after ``deadline`` s."""
    end = time.monotonic() + deadline
    while True:
        result = attempt()
        if result:
            return result
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not within {deadline} s (last: {result!r})")
        time.sleep(interval)


def function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


def lambda_uri(function_arn: str) -> str:
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


class ApiBuilder:
    """Resources, methods and AWS_PROXY integrations of one REST API."""

    def __init__(self, apigw: Any, api_id: str) -> None:
        self.apigw = apigw
        self.api = api_id
        root = next(r for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
        self.ids = {"/": root["id"]}

    def resource(self, path: str) -> str:
        if path not in self.ids:
            parent, _, part = path.rpartition("/")
            parent_id = self.resource(parent or "/")
            created = self.apigw.create_resource(restApiId=self.api, parentId=parent_id, pathPart=part)
            self.ids[path] = created["id"]
        return self.ids[path]

    def method(
        self, path: str, verb: str, function_arn: str, *, integration: dict | None = None, **method: Any
    ) -> None:
        resource_id = self.resource(path)
        self.apigw.put_method(
            restApiId=self.api, resourceId=resource_id, httpMethod=verb, authorizationType="NONE", **method
        )
        self.apigw.put_integration(
            restApiId=self.api,
            resourceId=resource_id,
            httpMethod=verb,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=lambda_uri(function_arn),
            **(integration or {}),
        )


# -- the deployment -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def deployment(local_cloud: Any) -> Iterator[Deployment]:
    apigw = local_cloud.client("apigateway", REGION)
    lam = local_cloud.client("lambda", REGION)
    iam = local_cloud.client("iam", REGION)
    account = local_cloud.client("sts", REGION).get_caller_identity()["Account"]

    role = iam.create_role(
        RoleName="docs-apigw-lambda",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    code = function_zip()
    arns = {}
    for name, timeout in (("docs-echo", 10), ("docs-short", 1), ("docs-noperm", 10), ("docs-scoped", 10)):
        arns[name] = lam.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": code},
            Timeout=timeout,
            MemorySize=256,
            Environment={"Variables": {"GREETING": GREETING}},
        )["FunctionArn"]
    for name in arns:
        eventually(
            f"{name} active",
            lambda name=name: (
                lam.get_function_configuration(FunctionName=name).get("State", "Active") == "Active"
            ),
        )

    # The main API.
    api = apigw.create_rest_api(name="docs-main", endpointConfiguration={"types": ["REGIONAL"]})["id"]
    main = ApiBuilder(apigw, api)
    echo = arns["docs-echo"]
    main.method("/echo", "GET", echo)
    main.method("/echo", "POST", echo)
    main.method("/items/{id}", "GET", echo, requestParameters={"method.request.path.id": True})
    main.method("/files/{proxy+}", "ANY", echo, requestParameters={"method.request.path.proxy": True})
    main.method("/keyed", "GET", echo, apiKeyRequired=True)
    main.method("/boom", "GET", echo)
    main.method("/malformed", "GET", echo)
    main.method("/sleep", "GET", echo, integration={"timeoutInMillis": 1000})
    main.method("/slow", "GET", arns["docs-short"])
    main.method("/noperm", "GET", arns["docs-noperm"])
    main.method("/scoped", "GET", arns["docs-scoped"])
    main.method("/scoped", "POST", arns["docs-scoped"])
    apigw.create_model(
        restApiId=api, name="PetModel", contentType="application/json", schema=json.dumps(PET_SCHEMA)
    )
    both = apigw.create_request_validator(
        restApiId=api, name="params-and-body", validateRequestBody=True, validateRequestParameters=True
    )["id"]
    params_only = apigw.create_request_validator(
        restApiId=api, name="params-only", validateRequestBody=False, validateRequestParameters=True
    )["id"]
    main.method(
        "/validated",
        "POST",
        echo,
        requestValidatorId=both,
        requestParameters={"method.request.header.h1": True},
        requestModels={"application/json": "PetModel"},
    )
    main.method(
        "/params",
        "GET",
        echo,
        requestValidatorId=params_only,
        requestParameters={"method.request.querystring.q1": True},
    )

    # Permissions: the echo function for all three APIs (created below, so granted afterwards),
    # the short one for the main API, the scoped one for GET /scoped on prod only, none for noperm.
    api2 = apigw.create_rest_api(
        name="docs-responses",
        endpointConfiguration={"types": ["REGIONAL"]},
        binaryMediaTypes=["application/octet-stream"],
    )["id"]
    api3 = apigw.create_rest_api(
        name="docs-no-default-endpoint",
        endpointConfiguration={"types": ["REGIONAL"]},
        disableExecuteApiEndpoint=True,
    )["id"]
    for n, api_id in enumerate((api, api2, api3)):
        lam.add_permission(
            FunctionName="docs-echo",
            StatementId=f"apigateway-{n}",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{REGION}:{account}:{api_id}/*/*/*",
        )
    lam.add_permission(
        FunctionName="docs-short",
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{account}:{api}/*/*/*",
    )
    lam.add_permission(
        FunctionName="docs-scoped",
        StatementId="apigateway-get-scoped",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{account}:{api}/prod/GET/scoped",
    )

    deployed = apigw.create_deployment(restApiId=api, stageName="prod", variables={"color": "blue"})["id"]
    apigw.create_stage(restApiId=api, stageName="v2", deploymentId=deployed)

    # API keys and usage plans, bound to the prod stage.
    keys = {}
    for value, enabled in (
        (MAIN_KEY, True),
        (THROTTLE_KEY, True),
        (QUOTA_KEY, True),
        (DISABLED_KEY, False),
        (ORPHAN_KEY, True),
        (STAGES_QUOTA_KEY, True),
        (LATE_KEY, True),
    ):
        keys[value] = apigw.create_api_key(name=f"docs-{value[:-20]}", value=value, enabled=enabled)["id"]
    prod = [{"apiId": api, "stage": "prod"}]
    plans = (
        ("docs-main", prod, {"throttle": {"rateLimit": 100.0, "burstLimit": 200}}, (MAIN_KEY, DISABLED_KEY)),
        ("docs-throttle", prod, {"throttle": {"rateLimit": 1.0, "burstLimit": 1}}, (THROTTLE_KEY,)),
        ("docs-quota", prod, {"quota": {"limit": 3, "period": "DAY"}}, (QUOTA_KEY,)),
        (
            "docs-quota-two-stages",
            [*prod, {"apiId": api, "stage": "v2"}],
            {"quota": {"limit": 4, "period": "DAY"}},
            (STAGES_QUOTA_KEY,),
        ),
    )
    plan_ids = {}
    for name, stages, limits, members in plans:
        plan_ids[name] = apigw.create_usage_plan(name=name, apiStages=stages, **limits)["id"]
        for value in members:
            apigw.create_usage_plan_key(usagePlanId=plan_ids[name], keyId=keys[value], keyType="API_KEY")

    # The second API: customised gateway responses.
    second = ApiBuilder(apigw, api2)
    second.method("/thing", "GET", echo)
    apigw.create_model(
        restApiId=api2, name="PetModel", contentType="application/json", schema=json.dumps(PET_SCHEMA)
    )
    body_only = apigw.create_request_validator(
        restApiId=api2, name="body-only", validateRequestBody=True, validateRequestParameters=False
    )["id"]
    second.method(
        "/thing", "POST", echo, requestValidatorId=body_only, requestModels={"application/json": "PetModel"}
    )
    apigw.put_gateway_response(
        restApiId=api2,
        responseType="DEFAULT_4XX",
        responseParameters={"gatewayresponse.header.x-gateway-default": "'four-xx'"},
        responseTemplates={
            "application/json": (
                '{"msg": $context.error.messageString, "type": "$context.error.responseType", '
                '"stage": "$context.stage"}'
            )
        },
    )
    apigw.put_gateway_response(
        restApiId=api2,
        responseType="MISSING_AUTHENTICATION_TOKEN",
        statusCode="404",
        responseTemplates=MAT,
    )
    apigw.create_deployment(restApiId=api2, stageName="prod")

    # The third API: its default endpoint disabled; reachable through a custom domain name.
    third = ApiBuilder(apigw, api3)
    third.method("/hello", "GET", echo)
    apigw.create_deployment(restApiId=api3, stageName="prod")

    # Custom domain names and base path mappings.
    certificate = local_cloud.client("acm", REGION).request_certificate(DomainName="*.example.com")[
        "CertificateArn"
    ]
    for domain in (SHOP_DOMAIN, ONLY_DOMAIN):
        apigw.create_domain_name(
            domainName=domain,
            regionalCertificateArn=certificate,
            endpointConfiguration={"types": ["REGIONAL"]},
            securityPolicy="TLS_1_2",
        )
    apigw.create_base_path_mapping(domainName=SHOP_DOMAIN, basePath="shop", restApiId=api, stage="prod")
    apigw.create_base_path_mapping(domainName=SHOP_DOMAIN, restApiId=api, stage="v2")  # (none)
    apigw.create_base_path_mapping(domainName=ONLY_DOMAIN, restApiId=api3, stage="prod")  # (none)

    built = Deployment(
        address=local_cloud.region_address(REGION),
        port=local_cloud.port,
        account=account,
        api=api,
        api2=api2,
        api3=api3,
        resources=dict(main.ids),
        keys=keys,
        plans=plan_ids,
    )
    # The stage serves once the deployment is in place (bounded wait for the data plane).
    eventually("the prod stage serves GET /echo", lambda: built.call("GET", "/prod/echo").echo)
    yield built


# -- Lambda proxy integration: the input event ----------------------------------------------


def test_proxy_event_carries_the_request(deployment: Deployment) -> None:
    """ "In Lambda proxy integration, API Gateway maps the entire client request to the input
    `event` parameter of the backend Lambda function" — resource, path, httpMethod, headers,
    multiValueHeaders, queryStringParameters, multiValueQueryStringParameters, pathParameters,
    stageVariables, requestContext, body, isBase64Encoded.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
    """
    reply = deployment.call(
        "GET", "/prod/items/42?name=me&multi=you&multi=me", headers={"headerName": "headerValue"}
    )
    assert reply.status == 200, reply.body
    event = reply.event
    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/42"
    assert event["httpMethod"] == "GET"
    headers = {k.lower(): v for k, v in event["headers"].items()}
    assert headers["headername"] == "headerValue"
    multi_headers = {k.lower(): v for k, v in event["multiValueHeaders"].items()}
    assert multi_headers["headername"] == ["headerValue"]
    assert event["queryStringParameters"]["name"] == "me"
    assert event["multiValueQueryStringParameters"]["multi"] == ["you", "me"]
    assert event["queryStringParameters"]["multi"] == "me"  # the documented example keeps the last
    assert event["pathParameters"] == {"id": "42"}
    assert event["stageVariables"] == {"color": "blue"}
    assert event["body"] is None
    assert event["isBase64Encoded"] is False


def test_proxy_event_request_context(deployment: Deployment) -> None:
    """$context variables, as the requestContext map carries them ("the key is the name of a
    $context variable property, and the value is the value of that property"):
    "$context.stage | The deployment stage of the API request"; "$context.apiId | The identifier
    API Gateway assigns to your API"; "$context.resourcePath | The path to your resource";
    "$context.resourceId | The identifier that API Gateway assigns to your resource";
    "$context.path | The request path ... the $context.path value is /{stage}/root/child";
    "$context.domainName | ... This should be the same as the incoming Host header";
    "$context.identity.sourceIp | The source IP address of the immediate TCP connection";
    "$context.identity.userAgent | The User-Agent header of the API caller";
    "$context.accountId | The API owner's AWS account ID";
    "$context.requestTimeEpoch | The Epoch-formatted request time, in milliseconds".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
    """
    before = time.time() * 1000
    reply = deployment.call("GET", "/prod/items/7", headers={"User-Agent": "docs-test-agent/1.0"})
    after = time.time() * 1000
    assert reply.status == 200, reply.body
    context = reply.event["requestContext"]
    assert context["stage"] == "prod"
    assert context["apiId"] == deployment.api
    assert context["resourcePath"] == "/items/{id}"
    assert context["resourceId"] == deployment.resources["/items/{id}"]
    assert context["httpMethod"] == "GET"
    assert context["path"] == "/prod/items/7"
    assert context["domainName"] == deployment.host()
    assert context["accountId"] == deployment.account
    assert context["identity"]["sourceIp"] == SOURCE_IP
    assert context["identity"]["userAgent"] == "docs-test-agent/1.0"
    assert context["requestId"]
    assert before - 300_000 <= context["requestTimeEpoch"] <= after + 300_000


def test_each_request_has_its_own_request_id(deployment: Deployment) -> None:
    """ "$context.requestId | An ID for the request." — two requests, two IDs.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
    """
    first = deployment.call("GET", "/prod/echo").event["requestContext"]["requestId"]
    second = deployment.call("GET", "/prod/echo").event["requestContext"]["requestId"]
    assert first and second and first != second


def test_proxy_event_carries_the_payload(deployment: Deployment) -> None:
    """ ""body": "A JSON string of the request payload." "isBase64Encoded": "A boolean flag to
    indicate if the applicable request payload is Base64-encoded"; and "API Gateway passes to the
    integrated Lambda function the raw request as-is".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
    """
    payload = '{\r\n\t"a": 1\r\n}'
    reply = deployment.call("POST", "/prod/echo", headers={"Content-Type": "application/json"}, body=payload)
    assert reply.status == 200, reply.body
    event = reply.event
    assert event["httpMethod"] == "POST"
    assert event["body"] == payload
    assert event["isBase64Encoded"] is False


def test_get_without_parameters_has_null_fields(deployment: Deployment) -> None:
    """The documented REST API proxy event for "GET /" has ""queryStringParameters": null,
    "multiValueQueryStringParameters": null, "pathParameters": null, ... "body": null".
    https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html
    """
    event = deployment.call("GET", "/prod/echo").event
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["body"] is None


def test_greedy_proxy_resource_with_any_method(deployment: Deployment) -> None:
    """ "`ANY /{proxy+}`: The client must choose a particular HTTP method, must set a particular
    resource path hierarchy"; the documented event has ""pathParameters": {"proxy":
    "hello/world"}" for "/hello/world".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
    """
    reply = deployment.call("PUT", "/prod/files/a/b/c.txt", body="x")
    assert reply.status == 200, reply.body
    event = reply.event
    assert event["httpMethod"] == "PUT"
    assert event["resource"] == "/files/{proxy+}"
    assert event["path"] == "/files/a/b/c.txt"
    assert event["pathParameters"] == {"proxy": "a/b/c.txt"}


def test_parent_of_proxy_resource_without_method_is_missing_token(deployment: Deployment) -> None:
    """ "The targeted resource is the parent of the proxy resource, but the run-time instance of
    the `ANY` method is not defined in the API on that resource. As a result, this `GET` request
    returns a `403 Forbidden` response with the `Missing Authentication Token` error message".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/setup-http-integrations.html
    """
    reply = deployment.call("GET", "/prod/files")
    assert reply.status == 403, reply.body
    assert reply.message() == "Missing Authentication Token"


# -- Lambda proxy integration: the output -------------------------------------------------------


def test_function_status_headers_and_body_are_returned(deployment: Deployment) -> None:
    """ "For API Gateway to pass the Lambda output as the API response to the client, the Lambda
    function must return the result in this format" (statusCode, headers, multiValueHeaders,
    body); "If you specify values for both `headers` and `multiValueHeaders`, API Gateway merges
    them into a single list"; "The output `body` is marshalled to the frontend as the method
    response payload".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
    """
    reply = deployment.call("GET", "/prod/echo?status=418")
    assert reply.status == 418
    assert reply.headers["X-Echo"] == "yes"
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.header_values("X-Multi") == ["one", "two"]
    assert reply.echo is not None and reply.echo["event"]["queryStringParameters"] == {"status": "418"}


def test_function_error_is_502(deployment: Deployment) -> None:
    """ "If the function runs but returns an error, or returns a response in the wrong format,
    API Gateway returns a 502. In both cases, the body of the response from API Gateway is
    {"message": "Internal server error"}."
    https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html
    """
    reply = deployment.call("GET", "/prod/boom")
    assert reply.status == 502, reply.body
    assert reply.message() == "Internal server error"


def test_malformed_function_response_is_502(deployment: Deployment) -> None:
    """ "If the function output is of a different format, API Gateway returns a `502 Bad Gateway`
    error response." and (Lambda guide) "the body of the response from API Gateway is
    {"message": "Internal server error"}".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
    https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html
    """
    reply = deployment.call("GET", "/prod/malformed")
    assert reply.status == 502, reply.body
    assert reply.message() == "Internal server error"


def test_function_timeout_is_502(deployment: Deployment) -> None:
    """Timeout: "The amount of time (in seconds) that Lambda allows a function to run before
    stopping it." (CreateFunction); a function stopped that way has run and returned an error:
    "If the function runs but returns an error ... API Gateway returns a 502".
    https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
    https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html
    """
    reply = deployment.call("GET", "/prod/slow")  # docs-short: 1 s timeout, sleeps 4 s
    assert reply.status == 502, reply.body
    assert reply.echo is None
    assert reply.message() == "Internal server error"


def test_integration_timeout_is_504(deployment: Deployment) -> None:
    """ "INTEGRATION_TIMEOUT | 504 | The gateway response for an integration timed out error";
    "Integration timeout | 50 milliseconds - 29 seconds for all integration types, including
    Lambda, Lambda proxy" (GET /sleep: timeoutInMillis 1000, the function sleeps 4 s of its 10).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
    """
    reply = deployment.call("GET", "/prod/sleep")
    assert reply.status == 504, reply.body
    assert reply.echo is None
    reply.message()


def test_no_invoke_permission_is_500(deployment: Deployment) -> None:
    """ "Amazon API Gateway gets permission to invoke your function from the function's
    resource-based policy"; "If the Lambda API rejects the invocation request, API Gateway returns
    a 500 error code. ... the body of the response from API Gateway is {"message": "Internal
    server error"}."
    https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html
    https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html
    """
    reply = deployment.call("GET", "/prod/noperm")
    assert reply.status == 500, reply.body
    assert reply.message() == "Internal server error"


def test_permission_scoped_by_source_arn(deployment: Deployment) -> None:
    """ "The source ARN in this example grants permission to an integration on the GET method of
    the root resource in the default stage of an API" — a permission for `prod/GET/scoped` lets
    GET /scoped in, not POST /scoped ("If the Lambda API rejects the invocation request, API
    Gateway returns a 500 error code").
    https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html
    """
    allowed = deployment.call("GET", "/prod/scoped")
    assert allowed.status == 200, allowed.body
    assert allowed.event["resource"] == "/scoped"
    denied = deployment.call("POST", "/prod/scoped", body="{}")
    assert denied.status == 500, denied.body
    assert denied.message() == "Internal server error"


def test_payload_over_the_limit_is_413(deployment: Deployment) -> None:
    """ "Payload size | 10 MB" (REST API quotas); "REQUEST_TOO_LARGE | 413 | The gateway response for
    the request too large error".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
    """
    payload = b"x" * (10 * 1024 * 1024 + 1024)
    reply = deployment.call("POST", "/prod/echo", headers={"Content-Type": "text/plain"}, body=payload)
    assert reply.status == 413, reply.body[:300]
    assert reply.echo is None


# -- Lambda environment -----------------------------------------------------------------------


def test_function_environment_variables(deployment: Deployment) -> None:
    """ "Lambda runtimes set several environment variables during initialization": "_HANDLER - The
    handler location configured on the function", "AWS_REGION - The AWS Region where the Lambda
    function is executed", "AWS_LAMBDA_FUNCTION_NAME - The name of the function",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE - The amount of memory available to the function in MB",
    "AWS_LAMBDA_FUNCTION_VERSION - The version of the function being executed" ("When you invoke a
    function using an unqualified ARN, Lambda implicitly invokes $LATEST"), "LAMBDA_TASK_ROOT -
    The path to your Lambda function code", "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN - The access keys obtained from the function's execution role", the log group
    "named /aws/lambda/<function name>"; and "Your function uses the name of the key to retrieve the
    value of environment variable".
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html
    https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
    """
    reply = deployment.call("GET", "/prod/echo")
    assert reply.status == 200, reply.body
    env = reply.echo["env"]  # type: ignore[index]
    assert env["GREETING"] == GREETING
    assert env["_HANDLER"] == "app.handler"
    assert env["AWS_REGION"] == REGION
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "docs-echo"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/docs-echo"
    assert env["code_in_task_root"] is True
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert env[key], key


def test_reserved_environment_variable_cannot_be_set(local_cloud: Any, deployment: Deployment) -> None:
    """ "The keys for these environment variables are *reserved* and cannot be set in your function
    configuration." (AWS_REGION is one of them.)
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
    """
    lam = local_cloud.client("lambda", REGION)
    with pytest.raises(ClientError):
        lam.update_function_configuration(
            FunctionName="docs-noperm",
            Environment={"Variables": {"AWS_REGION": "eu-west-1", "GREETING": GREETING}},
        )
    variables = lam.get_function_configuration(FunctionName="docs-noperm")["Environment"]["Variables"]
    assert "AWS_REGION" not in variables


# -- Missing Authentication Token -------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/prod/nowhere"), ("DELETE", "/prod/echo"), ("GET", "/prod/items/1/extra")],
    ids=["unknown-resource", "unknown-method", "deeper-path"],
)
def test_unsupported_method_or_resource_is_missing_token(
    deployment: Deployment, method: str, path: str
) -> None:
    """ "MISSING_AUTHENTICATION_TOKEN | 403 | The gateway response for a missing authentication token
    error, including the cases when the client attempts to invoke an unsupported API method or
    resource"; "if you attempt to call an operation on an undefined API resource, you receive an
    error response with the `{ "message": "Missing Authentication Token" }` message".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html
    """
    reply = deployment.call(method, path)
    assert reply.status == 403, reply.body
    assert reply.message() == "Missing Authentication Token"


def test_root_without_method_is_missing_token(deployment: Deployment) -> None:
    """ "If methods are defined on child resources and not on the root resource itself, choosing
    the Invoke URL link returns a {"message":"Missing Authentication Token"} response."
    https://docs.aws.amazon.com/apigateway/latest/developerguide/amazon-api-gateway-using-stage-variables.html
    """
    reply = deployment.call("GET", "/prod/")
    assert reply.status == 403, reply.body
    assert reply.message() == "Missing Authentication Token"


# -- API keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [None, "docsUnknownKey0123456789abc", ORPHAN_KEY, DISABLED_KEY],
    ids=["no-key", "unknown-key", "key-in-no-usage-plan", "disabled-key"],
)
def test_key_required_method_rejects_bad_keys(deployment: Deployment, key: str | None) -> None:
    """ "API Gateway reads the key and compares it against the keys in the usage plan. If there is a
    match, API Gateway throttles the requests based on the plan's request limit and quota.
    Otherwise, it throws an `InvalidKeyParameter` exception. As a result, the caller receives a
    `403 Forbidden` response."; "If you forget to set the `x-api-key` header or set it with an
    incorrect key, you get a `403 Forbidden` response"; ApiKey "enabled: Specifies whether the API
    Key can be used by callers."; "If API Gateway fails to process an incoming request, it returns to
    the client an error response without forwarding the request to the integration backend".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-usage-plan-test-with-postman.html
    https://docs.aws.amazon.com/apigateway/latest/api/API_ApiKey.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html
    """
    headers = {} if key is None else {"x-api-key": key}
    reply = deployment.call("GET", "/prod/keyed", headers=headers)
    assert reply.status == 403, reply.body
    assert reply.echo is None
    assert reply.message()


def test_key_of_a_plan_not_bound_to_the_stage_is_rejected(deployment: Deployment) -> None:
    """ "A usage plan specifies who can access one or more deployed API stages and methods"; "The plan
    uses API keys to identify API clients and who can access the associated API stages for each
    key." — the main key's plan names stage prod, not v2 (which serves the same deployment).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
    """
    assert deployment.call("GET", "/prod/keyed", headers={"x-api-key": MAIN_KEY}).status == 200
    reply = deployment.call("GET", "/v2/keyed", headers={"x-api-key": MAIN_KEY})
    assert reply.status == 403, reply.body
    assert reply.echo is None


def test_valid_key_reaches_the_function(deployment: Deployment) -> None:
    """ "You distribute API keys to your customers and require them to pass the API key as the
    `X-API-Key` header of each incoming request."; "$context.identity.apiKey | For API methods that
    require an API key, this variable is the API key associated with the method request";
    "$context.identity.apiKeyId | The API key ID associated with an API request that requires an
    API key".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
    """
    reply = deployment.call("GET", "/prod/keyed", headers={"X-API-Key": MAIN_KEY})
    assert reply.status == 200, reply.body
    identity = reply.event["requestContext"]["identity"]
    assert identity["apiKey"] == MAIN_KEY
    assert identity["apiKeyId"] == deployment.keys[MAIN_KEY]


def test_method_without_key_requirement_ignores_the_key(deployment: Deployment) -> None:
    """ "if you didn't configure the method to require an API key, you will likely get a `200 OK`
    response whether you set the `x-api-key` header correctly or not"; "$context.identity.apiKey
    ... For methods that don't require an API key, this variable is null."
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-usage-plan-test-with-postman.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
    """
    reply = deployment.call("GET", "/prod/echo", headers={"x-api-key": "docsUnknownKey0123456789abc"})
    assert reply.status == 200, reply.body
    identity = reply.event["requestContext"]["identity"]
    assert "apiKey" in identity and identity["apiKey"] is None, identity


def test_key_added_to_a_usage_plan_needs_no_deployment(local_cloud: Any, deployment: Deployment) -> None:
    """ "UsagePlan | ... The update does not require redeploying the API."; "API Gateway reads the key
    and compares it against the keys in the usage plan. If there is a match, API Gateway throttles
    the requests based on the plan's request limit and quota. Otherwise, ... the caller receives a
    `403 Forbidden` response."
    https://docs.aws.amazon.com/apigateway/latest/developerguide/updating-api.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html
    """
    headers = {"x-api-key": LATE_KEY}
    assert deployment.call("GET", "/prod/keyed", headers=headers).status == 403
    local_cloud.client("apigateway", REGION).create_usage_plan_key(
        usagePlanId=deployment.plans["docs-main"], keyId=deployment.keys[LATE_KEY], keyType="API_KEY"
    )
    served = eventually(
        "the key served once in the plan", lambda: deployment.call("GET", "/prod/keyed", headers=headers).echo
    )
    assert served["event"]["requestContext"]["identity"]["apiKey"] == LATE_KEY


# -- usage plans: throttling and quota ----------------------------------------------------------


def test_usage_plan_throttle_exceeded_is_429(deployment: Deployment) -> None:
    """ "When request submissions exceed the steady-state request rate and burst limits, API Gateway
    begins to throttle requests. Clients may receive `429 Too Many Requests` error responses at this
    point. Upon catching such exceptions, the client can resubmit the failed requests in a way that
    is rate limiting."; "THROTTLED | 429 | ... when usage plan-, method-, stage-, or account-level
    throttling limits exceeded"; "Throttling and quota limits apply to requests for individual API
    keys" (the throttled key's plan: rate 1, burst 1; the main key's plan is generous).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
    """

    def one(_: int) -> Reply:
        return deployment.call("GET", "/prod/keyed", headers={"x-api-key": THROTTLE_KEY})

    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(one, range(40)))
    statuses = sorted(r.status for r in replies)
    assert set(statuses) <= {200, 429}, statuses
    assert 429 in statuses, statuses
    assert all(r.echo is None for r in replies if r.status == 429)
    # another key, another plan: not throttled by this key's limits
    other = deployment.call("GET", "/prod/keyed", headers={"x-api-key": MAIN_KEY})
    assert other.status == 200, other.body
    # resubmitted at a pace under the rate, the request goes through
    eventually(
        "a resubmitted request served",
        lambda: deployment.call("GET", "/prod/keyed", headers={"x-api-key": THROTTLE_KEY}).status == 200,
        interval=1.5,
    )


def test_usage_plan_quota_exceeded_is_429(deployment: Deployment) -> None:
    """ "A quota limit sets the target maximum number of requests with a given API key that can be
    submitted within a specified time interval."; "QUOTA_EXCEEDED | 429 | The gateway response for
    the usage plan quota exceeded error"; the "Limit Exceeded" error: "When you receive this error,
    the quota limit is exceeded for your API Gateway usage plan."; "if you didn't configure the
    method to require an API key ... the throttle and quota limits of the usage plan are bypassed".
    Quotas are "applied on a best-effort basis", so a small overrun is allowed.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
    https://repost.aws/knowledge-center/api-gateway-429-limit
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-usage-plan-test-with-postman.html
    """
    headers = {"x-api-key": QUOTA_KEY}
    within = [deployment.call("GET", "/prod/keyed", headers=headers) for _ in range(3)]
    assert [r.status for r in within] == [200, 200, 200], [r.body[:200] for r in within]
    over = [deployment.call("GET", "/prod/keyed", headers=headers) for _ in range(5)]
    statuses = [r.status for r in over]
    assert 429 in statuses, statuses
    first = statuses.index(429)
    assert all(s == 429 for s in statuses[first:]), statuses
    assert over[first].echo is None
    assert over[first].message() == "Limit Exceeded"
    # the quota does not apply to a method that does not require a key
    assert deployment.call("GET", "/prod/echo", headers=headers).status == 200


def test_quota_is_aggregated_across_the_plan_stages(deployment: Deployment) -> None:
    """ "Throttling and quota limits apply to requests for individual API keys that are aggregated
    across all API stages within a usage plan." (A plan on prod and v2 with a quota of 4: two calls
    on each stage use it up; one call of overrun is tolerated, as quotas are "applied on a
    best-effort basis", not the two more a per-stage count would allow.)
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
    """
    headers = {"x-api-key": STAGES_QUOTA_KEY}
    within = [
        deployment.call("GET", f"/{stage}/keyed", headers=headers) for stage in ("prod", "v2", "prod", "v2")
    ]
    assert [r.status for r in within] == [200, 200, 200, 200], [r.body[:200] for r in within]
    over = [deployment.call("GET", "/v2/keyed", headers=headers).status for _ in range(2)]
    assert 429 in over, over


def test_stage_level_throttling_is_429(local_cloud: Any, deployment: Deployment) -> None:
    """ "Per-API, per-stage throttling limits are applied at the API method level for a stage. You can
    configure the same settings for all methods"; "THROTTLED | 429 | The gateway response when usage
    plan-, method-, stage-, or account-level throttling limits exceeded"; "Stage | ... The update
    does not require redeploying the API." (A new stage `limited` of the same deployment, every
    method throttled at rate 1, burst 1; prod is not.)
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/updating-api.html
    """
    apigw = local_cloud.client("apigateway", REGION)
    deployed = apigw.get_stage(restApiId=deployment.api, stageName="v2")["deploymentId"]
    apigw.create_stage(restApiId=deployment.api, stageName="limited", deploymentId=deployed)
    apigw.update_stage(
        restApiId=deployment.api,
        stageName="limited",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1"},
        ],
    )
    eventually("the new stage served", lambda: deployment.call("GET", "/limited/echo").status in (200, 429))
    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(lambda _: deployment.call("GET", "/limited/echo"), range(30)))
    statuses = sorted(r.status for r in replies)
    assert set(statuses) <= {200, 429}, statuses
    assert 429 in statuses, statuses
    assert all(r.echo is None for r in replies if r.status == 429)
    assert deployment.call("GET", "/prod/echo").status == 200


# -- request validation -------------------------------------------------------------------------


def test_valid_request_passes_validation(deployment: Deployment) -> None:
    """ "Because the required header parameter of `h1` is set (and not blank) and the payload format
    adheres to the `RequestDataModel` required properties and associated constraints, the request
    passes the validation."
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-validation-test.html
    """
    payload = json.dumps(GOOD_PET)
    reply = deployment.call(
        "POST", "/prod/validated", headers={"Content-Type": "application/json", "h1": "v1"}, body=payload
    )
    assert reply.status == 200, reply.body
    assert reply.event["body"] == payload


@pytest.mark.parametrize(
    "payload",
    [
        json.dumps({**GOOD_PET, "type": "bird"}),
        json.dumps({**GOOD_PET, "price": 501}),
        json.dumps({"name": "Marco", "type": "dog"}),
        '{"name": "Marco", "type": ',
    ],
    ids=["not-in-enum", "over-maximum", "missing-required", "not-json"],
)
def test_invalid_body_is_400(deployment: Deployment, payload: str) -> None:
    """ "When the validation fails, API Gateway immediately fails the request, returns a 400 error
    response to the caller"; "Because the `type` property value is not a member of the enumeration
    ... API Gateway returns the following `400 Bad Request` response: { "message": "Invalid request
    body" }"; "Setting `price` to `501` violates the constraint on the property. This causes the
    validation to fail and the same `400 Bad Request` response is returned."
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-validation-test.html
    """
    reply = deployment.call(
        "POST", "/prod/validated", headers={"Content-Type": "application/json", "h1": "v1"}, body=payload
    )
    assert reply.status == 400, reply.body
    assert reply.echo is None
    assert reply.message() == "Invalid request body"


@pytest.mark.parametrize("h1", [None, ""], ids=["missing", "blank"])
def test_missing_required_header_is_400(deployment: Deployment, h1: str | None) -> None:
    """ "Because the required header parameter of `h1` is missing or set to blank, the request fails
    to pass the validation. API Gateway returns the following `400 Bad Request` response:
    { "message": "Missing required request parameters: [h1]" }".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-validation-test.html
    """
    headers = {"Content-Type": "application/json"} | ({} if h1 is None else {"h1": h1})
    reply = deployment.call("POST", "/prod/validated", headers=headers, body=json.dumps(GOOD_PET))
    assert reply.status == 400, reply.body
    assert reply.echo is None
    assert reply.message() == "Missing required request parameters: [h1]"


@pytest.mark.parametrize("query", ["", "?q1=", "?other=cat"], ids=["missing", "blank", "other-parameter"])
def test_missing_required_query_parameter_is_400(deployment: Deployment, query: str) -> None:
    """ "Because the required parameter of `q1` is not set, the request fails to pass the validation.
    API Gateway returns the following `400 Bad Request` response: { "message": "Missing required
    request parameters: [q1]" }"; "Because the required parameter of `q1` is blank, the request
    fails to pass the validation. API Gateway returns the same `400 Bad Request` response".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-validation-test.html
    """
    reply = deployment.call("GET", "/prod/params" + query)
    assert reply.status == 400, reply.body
    assert reply.echo is None
    assert reply.message() == "Missing required request parameters: [q1]"


def test_required_query_parameter_present_passes(deployment: Deployment) -> None:
    """ "Because the required parameter of `q1` is set and not blank, the request passes the
    validation."
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-validation-test.html
    """
    reply = deployment.call("GET", "/prod/params?q1=cat")
    assert reply.status == 200, reply.body
    assert reply.event["queryStringParameters"] == {"q1": "cat"}


def test_body_of_an_unmodelled_content_type_is_not_validated(deployment: Deployment) -> None:
    """ "The applicable request payload adheres to the configured JSON schema request of the method
    for a given content type. If no matching content type is found, request validation is not
    performed." (The model is for application/json only.)
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html
    """
    reply = deployment.call(
        "POST", "/prod/validated", headers={"Content-Type": "text/plain", "h1": "v1"}, body="not a pet at all"
    )
    assert reply.status == 200, reply.body
    assert reply.event["body"] == "not a pet at all"


# -- gateway responses (second API) -----------------------------------------------------------


def test_customised_missing_token_response(deployment: Deployment) -> None:
    """ "In this example, the customization changes the status code from the default (`403`) to
    `404` because this error message occurs when a client calls an unsupported or invalid resource";
    "Whenever API Gateway returns a response of this type, the header mappings and payload mapping
    templates defined in the gateway response are applied"; "$context.error.responseType | A type of
    GatewayResponse".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-gateway-response-using-the-console.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
    """
    reply = deployment.call(
        "GET", "/prod/nowhere", host=deployment.host(deployment.api2), headers={"Accept": "application/json"}
    )
    assert reply.status == 404, reply.body
    assert reply.json() == {"hint": "no such route", "type": "MISSING_AUTHENTICATION_TOKEN"}


def test_default_4xx_applies_to_unspecified_types(deployment: Deployment) -> None:
    """ "BAD_REQUEST_BODY | 400 | The gateway response when the request body cannot be validated
    according to an enabled request validator. If the response type is unspecified, this response
    defaults to the `DEFAULT_4XX` type."; "$context.error.messageString | The quoted value of
    $context.error.message"; "$context.error.responseType | A type of GatewayResponse".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
    """
    reply = deployment.call(
        "POST",
        "/prod/thing",
        host=deployment.host(deployment.api2),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        body=json.dumps({**GOOD_PET, "type": "bird"}),
    )
    assert reply.status == 400, reply.body
    assert reply.headers["x-gateway-default"] == "four-xx"
    body = reply.json()
    assert (body["msg"], body["type"]) == ("Invalid request body", "BAD_REQUEST_BODY")
    # and the method itself works
    good = deployment.call(
        "POST",
        "/prod/thing",
        host=deployment.host(deployment.api2),
        headers={"Content-Type": "application/json"},
        body=json.dumps(GOOD_PET),
    )
    assert good.status == 200, good.body


def test_gateway_response_template_sees_context_variables(deployment: Deployment) -> None:
    """ "A gateway response mapping template can access `$context` variable values and
    `$stageVariables` property values"; the documented template maps ""stage": "$context.stage""
    and the response shows ""stage": custErr" (the stage called); "$context.stage | The deployment
    stage of the API request".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-gateway-response-using-the-console.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
    """
    reply = deployment.call(
        "POST",
        "/prod/thing",
        host=deployment.host(deployment.api2),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        body=json.dumps({**GOOD_PET, "price": 501}),
    )
    assert reply.status == 400, reply.body
    assert reply.json()["stage"] == "prod"


def test_gateway_response_update_needs_a_deployment(local_cloud: Any, deployment: Deployment) -> None:
    """ "GatewayResponse | ... The update requires redeploying the API."; "Every time you update an
    API, you must redeploy the API to an existing stage or to a new stage."; "To overwrite an entire
    GatewayResponse instance, call the gatewayresponse:put action" (PutGatewayResponse is used: the
    emulator does not implement UpdateGatewayResponse).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/updating-api.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-deploy-api.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-gateway-response-using-the-api.html
    """
    apigw = local_cloud.client("apigateway", REGION)
    host = deployment.host(deployment.api2)

    def status() -> int:
        return deployment.call(
            "GET", "/prod/nowhere", host=host, headers={"Accept": "application/json"}
        ).status

    def put(code: str) -> None:
        apigw.put_gateway_response(
            restApiId=deployment.api2,
            responseType="MISSING_AUTHENTICATION_TOKEN",
            statusCode=code,
            responseTemplates=MAT,
        )

    put("410")
    try:
        assert status() == 404
        apigw.create_deployment(restApiId=deployment.api2, stageName="prod")
        eventually("the redeployed gateway response served", lambda: status() == 410)
    finally:
        put("404")
        apigw.create_deployment(restApiId=deployment.api2, stageName="prod")
    eventually("the restored gateway response served", lambda: status() == 404)


def test_binary_response_from_a_proxy_integration(deployment: Deployment) -> None:
    """ "To return binary media from an AWS Lambda proxy integration, base64 encode the response from
    your Lambda function. You must also configure your API's binary media types."; "API Gateway uses
    the first `Accept` header from clients to determine if a response should return binary media."
    (The second API lists application/octet-stream; the function answers base64 with
    isBase64Encoded true.)
    https://docs.aws.amazon.com/apigateway/latest/developerguide/lambda-proxy-binary-media.html
    """
    reply = deployment.call(
        "GET",
        "/prod/thing?binary=1",
        host=deployment.host(deployment.api2),
        headers={"Accept": "application/octet-stream"},
    )
    assert reply.status == 200, reply.body[:300]
    assert reply.body == BINARY


# -- deployments and stages ---------------------------------------------------------------------


def test_method_added_after_deployment_is_served_only_once_deployed(
    local_cloud: Any, deployment: Deployment
) -> None:
    """ "After creating your API, you must deploy it to make it callable by your users."; "Every time
    you update an API, you must redeploy the API to an existing stage or to a new stage. Updating an
    API includes modifying routes, methods, integrations"; "Each stage is a named reference to a
    deployment of the API" (v2 still names the first deployment).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-deploy-api.html
    """
    apigw = local_cloud.client("apigateway", REGION)
    later = ApiBuilder(apigw, deployment.api)
    later.ids.update(deployment.resources)
    later.method("/later", "GET", f"arn:aws:lambda:{REGION}:{deployment.account}:function:docs-echo")
    before = deployment.call("GET", "/prod/later")
    assert before.status == 403, before.body
    assert before.message() == "Missing Authentication Token"
    apigw.create_deployment(restApiId=deployment.api, stageName="prod")
    served = eventually(
        "GET /later served after the deployment", lambda: deployment.call("GET", "/prod/later").echo
    )
    assert served["event"]["resource"] == "/later"
    other_stage = deployment.call("GET", "/v2/later")
    assert other_stage.status == 403, other_stage.body


def test_stage_variable_update_needs_no_deployment(local_cloud: Any, deployment: Deployment) -> None:
    """ "Stage | ... The update does not require redeploying the API."; "stageVariables":
    {Applicable stage variables} in the proxy event.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/updating-api.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
    """
    apigw = local_cloud.client("apigateway", REGION)

    def color(wanted: str) -> bool:
        return deployment.call("GET", "/prod/echo").event["stageVariables"] == {"color": wanted}

    apigw.update_stage(
        restApiId=deployment.api,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/variables/color", "value": "green"}],
    )
    try:
        eventually("the new stage variable seen", lambda: color("green"))
    finally:
        apigw.update_stage(
            restApiId=deployment.api,
            stageName="prod",
            patchOperations=[{"op": "replace", "path": "/variables/color", "value": "blue"}],
        )
    eventually("the stage variable restored", lambda: color("blue"))


# -- custom domain names ------------------------------------------------------------------------


def test_custom_domain_base_path_routes_to_the_mapped_stage(deployment: Deployment) -> None:
    """ "With a custom domain name of `{api.example.com}` and the API stage mapped to a base path of
    (`{basePath}`) under the custom domain name, the base URL of a REST API becomes the following:
    https://{api.example.com}/{basePath}"; "$context.domainName | The full domain name used to invoke
    the API. This should be the same as the incoming `Host` header."
    https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-deploy-api.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
    """
    reply = deployment.call("GET", "/shop/items/9", host=SHOP_DOMAIN)
    assert reply.status == 200, reply.body
    event = reply.event
    assert event["requestContext"]["stage"] == "prod"
    assert event["requestContext"]["apiId"] == deployment.api
    assert event["resource"] == "/items/{id}"
    assert event["pathParameters"] == {"id": "9"}
    assert event["requestContext"]["domainName"] == SHOP_DOMAIN


def test_custom_domain_empty_mapping_is_the_catch_all(deployment: Deployment) -> None:
    """ "API Gateway routes requests to the API mapping that has the longest matching path. ... If no
    path matches the request, API Gateway sends the request to the API that you've mapped to the
    empty path `(none)`." ((none) -> stage v2, `shop` -> stage prod.)
    https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mappings.html
    """
    reply = deployment.call("GET", "/echo", host=SHOP_DOMAIN)
    assert reply.status == 200, reply.body
    assert reply.event["requestContext"]["stage"] == "v2"
    assert reply.event["resource"] == "/echo"
    mapped = deployment.call("GET", "/shop/echo", host=SHOP_DOMAIN)
    assert mapped.status == 200, mapped.body
    assert mapped.event["requestContext"]["stage"] == "prod"


def test_disabled_default_endpoint(deployment: Deployment) -> None:
    """ "By default, clients can invoke your API by using the `execute-api` endpoint that API Gateway
    generates for your API. To ensure that clients can access your API only by using a custom domain
    name, disable the default `execute-api` endpoint."; "When DisableExecuteApiEndpoint is true,
    clients can't use the default execute-api endpoint to invoke an API."
    https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-disable-default-endpoint.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/security_iam_id-based-policy-examples.html
    """
    through_domain = deployment.call("GET", "/hello", host=ONLY_DOMAIN)
    assert through_domain.status == 200, through_domain.body
    assert through_domain.event["requestContext"]["apiId"] == deployment.api3
    default = deployment.call("GET", "/prod/hello", host=deployment.host(deployment.api3))
    assert default.status >= 400, default.body
    assert default.echo is None

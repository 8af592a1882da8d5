"""API Gateway REST API IAM authorization (SigV4, ``authorizationType: AWS_IAM``) and resource
policies, as a client sees them over HTTP, written from AWS's documentation alone (every test
quotes the sentences it comes from; third-party captures of real AWS answers are labelled as such).

One deployment is built per module (``iam_env`` fixture) in us-east-1 with boto3:

* the Lambda function ``docs-iam-echo`` (answers with the proxy event it received);
* the main REST API: ``GET /private`` and ``POST /private`` (``AWS_IAM``), ``GET /public``
  (``NONE``), deployed to stages ``prod`` and ``beta``, reachable through the custom domain name
  ``secure.example.com`` (base path ``v1`` -> ``prod``); its gateway responses are the defaults;
* a twin of it, ``typed``, whose ``DEFAULT_4XX`` gateway response adds
  ``"type": "$context.error.responseType"`` to the documented message, so that the response type
  of a refusal can be seen from outside;
* a third API with a resource policy (and the same typed ``DEFAULT_4XX``): ``GET /public`` and
  ``GET /other`` (``NONE``), ``GET /private`` and ``GET /denied`` (``AWS_IAM``);
* IAM users with access keys (an exact method-ARN grant, no policy at all, a grant on the ``beta``
  stage only, a grant on the whole policy API) and a role to assume.

Requests are signed with botocore's ``SigV4Auth`` for the service ``execute-api`` and sent with
http.client to ``http://<us-east-1 address>:<port><path>`` with the ``Host`` header the signature
covers (``<api id>.execute-api.us-east-1.amazonaws.com`` or the custom domain name). The module
runs the emulator at time scale 1 so that its clock and the signing clock agree.
"""

from __future__ import annotations

import datetime
import http.client
import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

LOCAL_CLOUD_TIME_SCALE = 1  # the SigV4 date checks compare with the wall clock: no scaled time here

REGION = "us-east-1"
OTHER_REGION = "us-west-2"
SERVICE = "execute-api"
SOURCE_IP = "127.0.0.1"
DEADLINE = 20.0  # seconds: generous; never reached when all is well
DOMAIN = "secure.example.com"
BASE_PATH = "v1"
SESSION_NAME = "docs-session"
TYPED_TEMPLATE = '{"message": $context.error.messageString, "type": "$context.error.responseType"}'
NO_SUCH_KEY = "AKIAEXAMPLENOTISSUED"  # never issued by the emulator's IAM
NO_SUCH_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

HANDLER = """
import json


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"echo": True, "event": event}),
    }
"""

# (path, verb, authorizationType) of each API.
MAIN_METHODS = (("/private", "GET", "AWS_IAM"), ("/private", "POST", "AWS_IAM"), ("/public", "GET", "NONE"))
POLICY_METHODS = (
    ("/public", "GET", "NONE"),
    ("/other", "GET", "NONE"),
    ("/private", "GET", "AWS_IAM"),
    ("/denied", "GET", "AWS_IAM"),
)


# -- helpers ------------------------------------------------------------------------------


@dataclass
class Reply:
    """One HTTP response from a stage."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise AssertionError(f"not JSON: {self.status} {self.body[:300]!r}") from error

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

    def message(self) -> str:
        """The message of a gateway error response: ``message`` (the documented default template)
        or ``Message`` (as real IAM-authorization refusals are captured answering)."""
        data = self.json()
        assert isinstance(data, dict), f"not an object: {self.status} {self.body[:300]!r}"
        for key in ("message", "Message"):
            if isinstance(data.get(key), str):
                return data[key]
        raise AssertionError(f"no message: {self.status} {self.body[:300]!r}")

    def response_type(self) -> str:
        """``$context.error.responseType`` as the typed ``DEFAULT_4XX`` template renders it."""
        data = self.json()
        assert isinstance(data, dict) and "type" in data, f"no type: {self.status} {self.body[:300]!r}"
        return data["type"]

    @property
    def error_type(self) -> str | None:
        return self.headers.get("x-amzn-ErrorType")


@dataclass
class Principal:
    """An IAM identity as a caller holds it: its credentials and what IAM says it is."""

    credentials: Credentials
    arn: str
    user_id: str


@dataclass
class Env:
    """What the module fixture built (ids, principals, the stage address)."""

    address: str
    port: int
    account: str
    api: str
    typed: str
    policy: str
    principals: dict[str, Principal] = field(default_factory=dict)

    def host(self, api: str | None = None) -> str:
        return f"{api or self.api}.execute-api.{REGION}.amazonaws.com"

    def refused_arn(self, stage: str, verb: str, path: str, api: str | None = None) -> str:
        """The method ARN as an authorization refusal names it: the account id masked but for its
        last four digits. The docs give only the template ("arn:aws:execute-api:region:account-id:
        ..."); third-party captures of real answers show the mask, e.g. "User: anonymous is not
        authorized to perform: execute-api:Invoke on resource:
        arn:aws:execute-api:us-west-2:********2543:vd2gh6uqw3/api/GET/"
        (https://github.com/ASFHyP3/hyp3/issues/2283). Found by the lead reconciling this module
        with the emulator: the module first expected the account in clear."""
        arn = self.method_arn(stage, verb, path, api)
        return arn.replace(f":{self.account}:", f":{'*' * 8}{self.account[-4:]}:", 1)

    def method_arn(self, stage: str, verb: str, path: str, api: str | None = None) -> str:
        """``arn:aws:execute-api:region:account-id:api-id/stage-name/HTTP-VERB/resource-path-specifier``."""
        return (
            f"arn:aws:execute-api:{REGION}:{self.account}:{api or self.api}/{stage}/{verb}/{path.lstrip('/')}"
        )

    def send(
        self,
        method: str,
        path: str,
        *,
        host: str | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Reply:
        """One request to ``path`` (stage or base path included) on the us-east-1 stage address."""
        conn = http.client.HTTPConnection(self.address, self.port, timeout=40, source_address=(SOURCE_IP, 0))
        try:
            conn.request(method, path, body=body, headers={"Host": host or self.host(), **(headers or {})})
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            conn.close()

    def signed(
        self,
        method: str,
        path: str,
        credentials: Credentials,
        *,
        api: str | None = None,
        host: str | None = None,
        send_to: str | None = None,
        body: bytes = b"",
        sent_body: bytes | None = None,
        region: str = REGION,
        service: str = SERVICE,
        when: datetime.datetime | None = None,
    ) -> Reply:
        """``path`` signed with SigV4 for ``host`` (the API's execute-api name by default) and sent
        with the Host header ``send_to`` (default: the signed host) and the body ``sent_body``
        (default: the signed body); ``when`` (naive UTC) replaces the signing clock."""
        signed_host = host or self.host(api)
        headers = {"Host": signed_host}
        if body:
            headers["Content-Type"] = "application/json"
        request = AWSRequest(method=method, url=f"https://{signed_host}{path}", data=body, headers=headers)
        signer = SigV4Auth(credentials, service, region)
        if when is None:
            signer.add_auth(request)
        else:
            with mock.patch("botocore.auth.get_current_datetime", lambda *_a, **_k: when):
                signer.add_auth(request)
        sent = dict(request.headers.items())
        sent["Host"] = send_to or signed_host
        payload = body if sent_body is None else sent_body
        return self.send(method, path, host=sent["Host"], headers=sent, body=payload or None)

    def creds(self, name: str) -> Credentials:
        return self.principals[name].credentials


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


def policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def invoke(effect: str, resource: str, principal: Any = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect, "Action": "execute-api:Invoke", "Resource": resource}
    if principal is not None:
        statement["Principal"] = principal
    return statement


def build_api(
    apigw: Any, name: str, function_arn: str, methods: tuple[tuple[str, str, str], ...], *, typed: bool
) -> str:
    """A REGIONAL REST API with ``methods`` (each an AWS_PROXY integration of ``function_arn``),
    not deployed; ``typed``: its DEFAULT_4XX gateway response shows the response type."""
    api = apigw.create_rest_api(name=name, endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = next(r for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/")["id"]
    ids: dict[str, str] = {}
    for path, verb, authorization in methods:
        if path not in ids:
            ids[path] = apigw.create_resource(restApiId=api, parentId=root, pathPart=path.lstrip("/"))["id"]
        apigw.put_method(
            restApiId=api, resourceId=ids[path], httpMethod=verb, authorizationType=authorization
        )
        apigw.put_integration(
            restApiId=api,
            resourceId=ids[path],
            httpMethod=verb,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
        )
    if typed:
        apigw.put_gateway_response(
            restApiId=api, responseType="DEFAULT_4XX", responseTemplates={"application/json": TYPED_TEMPLATE}
        )
    return api


def permit(lam: Any, account: str, api: str) -> None:
    lam.add_permission(
        FunctionName="docs-iam-echo",
        StatementId=f"apigateway-{api}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{account}:{api}/*/*/*",
    )


# -- the deployment -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def iam_env(local_cloud: Any) -> Iterator[Env]:
    apigw = local_cloud.client("apigateway", REGION)
    lam = local_cloud.client("lambda", REGION)
    iam = local_cloud.client("iam", REGION)
    sts = local_cloud.client("sts", REGION)
    account = sts.get_caller_identity()["Account"]

    role = iam.create_role(
        RoleName="docs-iam-lambda",
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
    function_arn = lam.create_function(
        FunctionName="docs-iam-echo",
        Runtime="python3.11",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": function_zip()},
        Timeout=10,
        MemorySize=256,
    )["FunctionArn"]
    eventually(
        "docs-iam-echo active",
        lambda: (
            lam.get_function_configuration(FunctionName="docs-iam-echo").get("State", "Active") == "Active"
        ),
    )

    api = build_api(apigw, "docs-iam-main", function_arn, MAIN_METHODS, typed=False)
    typed = build_api(apigw, "docs-iam-typed", function_arn, MAIN_METHODS, typed=True)
    policy = build_api(apigw, "docs-iam-policy", function_arn, POLICY_METHODS, typed=True)
    env = Env(local_cloud.region_address(REGION), local_cloud.port, account, api, typed, policy)

    # IAM users and their identity policies.
    grants = {
        "exact": [env.method_arn("prod", "GET", "/private")],
        "nopolicy": [],
        "beta": [env.method_arn("beta", "GET", "/private")],
        "wildcard": [f"arn:aws:execute-api:{REGION}:{account}:{policy}/*"],
    }
    for name, resources in grants.items():
        user = iam.create_user(UserName=f"docs-iam-{name}")["User"]
        if resources:
            iam.put_user_policy(
                UserName=user["UserName"],
                PolicyName="invoke",
                PolicyDocument=policy_document(*(invoke("Allow", resource) for resource in resources)),
            )
        key = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
        env.principals[name] = Principal(
            Credentials(key["AccessKeyId"], key["SecretAccessKey"]), user["Arn"], user["UserId"]
        )

    # A role to assume, allowed to call GET /private on prod.
    invoker = iam.create_role(
        RoleName="docs-iam-invoker",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]
    iam.put_role_policy(
        RoleName=invoker["RoleName"],
        PolicyName="invoke",
        PolicyDocument=policy_document(invoke("Allow", env.method_arn("prod", "GET", "/private"))),
    )
    session = sts.assume_role(RoleArn=invoker["Arn"], RoleSessionName=SESSION_NAME)["Credentials"]
    session_credentials = Credentials(
        session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]
    )
    who = boto3.client(
        "sts",
        region_name=REGION,
        endpoint_url=local_cloud.endpoint,
        aws_access_key_id=session["AccessKeyId"],
        aws_secret_access_key=session["SecretAccessKey"],
        aws_session_token=session["SessionToken"],
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    ).get_caller_identity()
    env.principals["session"] = Principal(session_credentials, who["Arn"], who["UserId"])

    # The resource policy of the third API (attached before its first deployment).
    nopolicy_arn = env.principals["nopolicy"].arn
    apigw.update_rest_api(
        restApiId=policy,
        patchOperations=[
            {
                "op": "replace",
                "path": "/policy",
                "value": policy_document(
                    invoke("Allow", env.method_arn("prod", "GET", "/public", policy), "*"),
                    invoke("Allow", env.method_arn("prod", "GET", "/private", policy), {"AWS": nopolicy_arn}),
                    invoke("Deny", env.method_arn("*", "GET", "/denied", policy), "*"),
                ),
            }
        ],
    )

    for api_id in (api, typed, policy):
        permit(lam, account, api_id)
        deployed = apigw.create_deployment(restApiId=api_id, stageName="prod")["id"]
        apigw.create_stage(restApiId=api_id, stageName="beta", deploymentId=deployed)

    certificate = local_cloud.client("acm", REGION).request_certificate(DomainName="*.example.com")[
        "CertificateArn"
    ]
    apigw.create_domain_name(
        domainName=DOMAIN,
        regionalCertificateArn=certificate,
        endpointConfiguration={"types": ["REGIONAL"]},
        securityPolicy="TLS_1_2",
    )
    apigw.create_base_path_mapping(domainName=DOMAIN, basePath=BASE_PATH, restApiId=api, stage="prod")

    eventually("the prod stage serves GET /public", lambda: env.send("GET", "/prod/public").echo)
    yield env


def allowed(what: str, call: Callable[[], Reply]) -> Reply:
    """The first reply of ``call`` that reached the function (IAM changes propagate eventually)."""
    return eventually(what, lambda: (reply := call()).echo and reply)


# -- no signature, and the NONE control ------------------------------------------------------


def test_unsigned_request_to_aws_iam_method_is_missing_authentication_token(iam_env: Env) -> None:
    """ "Make sure that the API request using IAM authentication is signed with SigV4. If the API
    request isn't signed, then you might receive the following error: "Missing Authentication Token.""
    (AWS knowledge center); "MISSING_AUTHENTICATION_TOKEN | 403 | The gateway response for a missing
    authentication token error"; "When IAM authorization is enabled, clients must use Signature
    Version 4a (SigV4a) and Signature Version 4 (SigV4) to sign their requests with AWS credentials."
    x-amzn-ErrorType: docs silent; third-party capture of a real answer from an execute-api host:
    "403 Forbidden with the following error MissingAuthenticationTokenException"
    (github.com/smarty-archives/go-aws-auth/issues/48).
    https://repost.aws/knowledge-center/api-gateway-iam-sigv4-mismatch
    https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
    """
    reply = iam_env.send("GET", "/prod/private")
    assert reply.status == 403, reply.body
    assert reply.echo is None
    assert reply.message() == "Missing Authentication Token"
    assert reply.error_type == "MissingAuthenticationTokenException"
    typed = iam_env.send("GET", "/prod/private", host=iam_env.host(iam_env.typed))
    assert typed.status == 403, typed.body
    assert typed.response_type() == "MISSING_AUTHENTICATION_TOKEN"


def test_none_method_without_resource_policy_is_public(iam_env: Env) -> None:
    """ "For IAM policies to be effective, you must have enabled IAM authentication on API methods by
    setting AWS_IAM for the methods' authorizationType property. Failing to do so will make these API
    methods publicly accessible."; the proxy event of a request without an authorization type carries
    null identity fields ("userArn": null, "caller": null, "accountId": null in the documented example).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
    """
    reply = iam_env.send("GET", "/prod/public")
    assert reply.status == 200, reply.body
    identity = reply.event["requestContext"]["identity"]
    assert identity.get("userArn") is None
    assert identity.get("caller") is None
    assert identity.get("accessKey") is None


# -- identity policies (same account, no resource policy) -------------------------------------


def test_exact_method_arn_grant_reaches_the_function(iam_env: Env) -> None:
    """ "To control who can or cannot call a deployed API with IAM permissions, create an IAM policy
    document with required permissions" — Resource
    "arn:aws:execute-api:region:account-id:api-id/stage/METHOD_HTTP_VERB/Resource-path"; "if the
    caller and the API owner are in the same account, then either the user policies or the resource
    policy must explicitly allow the caller to proceed" (Table A: Allow / Neither Allow nor Deny ->
    Allow).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
    """
    reply = allowed(
        "GET /private signed by the exact-ARN user",
        lambda: iam_env.signed("GET", "/prod/private", iam_env.creds("exact")),
    )
    assert reply.status == 200, reply.body
    assert reply.event["resource"] == "/private"
    assert reply.event["httpMethod"] == "GET"
    assert reply.event["requestContext"]["stage"] == "prod"


def test_iam_identity_in_the_lambda_event(iam_env: Env) -> None:
    """ "When the authorization type is AWS_IAM, the authorized user information includes
    $context.identity.* properties" — the documented example: "accountId": "123456789012", "caller":
    "AIDAJ........4HCKVJZG", "accessKey": "IAM_user_access_key", "userArn":
    "arn:aws:iam::123456789012:user/alice", "user": "AIDAJ........4HCKVJZG";
    "$context.identity.userArn | The Amazon Resource Name (ARN) of the effective user identified after
    authentication"; "$context.identity.accountId | The AWS account ID associated with the request";
    "$context.accountId | The API owner's AWS account ID".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
    """
    user = iam_env.principals["exact"]
    reply = allowed(
        "GET /private for its event",
        lambda: iam_env.signed("GET", "/prod/private", user.credentials),
    )
    context = reply.event["requestContext"]
    identity = context["identity"]
    assert identity["accessKey"] == user.credentials.access_key
    assert identity["accountId"] == iam_env.account
    assert identity["userArn"] == user.arn
    assert identity["caller"] == user.user_id
    assert identity["user"] == user.user_id
    assert identity["sourceIp"] == SOURCE_IP
    assert context["accountId"] == iam_env.account


def test_user_without_identity_policy_is_refused(iam_env: Env) -> None:
    """Table A (caller and API owner in the same account): "Neither Allow nor Deny | Neither Allow nor
    Deny | Implicit Deny"; "ACCESS_DENIED | 403 | The gateway response for authorization failure";
    "If the IAM entity doesn't have execute-api:Invoke permissions, then the request fails with the
    following error: "User: arn:aws:iam::xxxxxxxxxxxx:user/username is not authorized to perform:
    execute-api:Invoke on resource: arn:aws:execute-api:<region>:xxxxxxxxxxxx:<api-id>/stage/method/path
    because no identity-based policy allows the execute-api:Invoke action."" (AWS knowledge center).
    x-amzn-ErrorType: docs silent; third-party capture of an API Gateway (x-amz-apigw-id) refusal:
    'x-amzn-ErrorType': 'AccessDeniedException' (github.com/amzn/selling-partner-api-docs/issues/2308).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
    https://repost.aws/knowledge-center/api-gateway-iam-sigv4-mismatch
    """
    user = iam_env.principals["nopolicy"]
    reply = iam_env.signed("GET", "/prod/private", user.credentials)
    assert reply.status == 403, reply.body
    assert reply.echo is None
    resource = iam_env.refused_arn("prod", "GET", "/private")
    assert reply.message().startswith(
        f"User: {user.arn} is not authorized to perform: execute-api:Invoke on resource: {resource}"
    ), reply.body
    assert reply.error_type == "AccessDeniedException"
    typed = iam_env.signed("GET", "/prod/private", user.credentials, api=iam_env.typed)
    assert typed.status == 403, typed.body
    assert typed.response_type() == "ACCESS_DENIED"


@pytest.mark.parametrize(
    ("user", "method", "path"),
    [
        ("beta", "GET", "/prod/private"),  # granted on beta only
        ("exact", "GET", "/beta/private"),  # granted on prod only
        ("exact", "POST", "/prod/private"),  # granted GET only
    ],
)
def test_grant_on_another_stage_or_verb_is_refused(iam_env: Env, user: str, method: str, path: str) -> None:
    """Resource format
    "arn:aws:execute-api:region:account-id:api-id/stage-name/HTTP-VERB/resource-path-specifier" —
    "stage-name is the name of the stage associated with the method"; "HTTP-VERB is the HTTP verb for
    the method"; the grant names one stage and one verb, so another one is Table A's "Neither Allow nor
    Deny | Neither Allow nor Deny | Implicit Deny"; "ACCESS_DENIED | 403". Message: the knowledge-center
    form quoted in test_user_without_identity_policy_is_refused, naming the requested method ARN.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
    """
    principal = iam_env.principals[user]
    body = b'{"a": 1}' if method == "POST" else b""
    reply = iam_env.signed(method, path, principal.credentials, body=body)
    assert reply.status == 403, reply.body
    assert reply.echo is None
    stage, _, resource_path = path.lstrip("/").partition("/")
    resource = iam_env.refused_arn(stage, method, resource_path)
    assert reply.message().startswith(
        f"User: {principal.arn} is not authorized to perform: execute-api:Invoke on resource: {resource}"
    ), reply.body


def test_grant_on_a_stage_covers_that_stage(iam_env: Env) -> None:
    """ "stage-name is the name of the stage associated with the method" — the user granted
    .../beta/GET/private calls GET /private on beta (the refusal on prod is tested above).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
    """
    reply = allowed(
        "GET /private on beta by the beta user",
        lambda: iam_env.signed("GET", "/beta/private", iam_env.creds("beta")),
    )
    assert reply.event["requestContext"]["stage"] == "beta"


# -- temporary credentials ----------------------------------------------------------------------


def test_assumed_role_session_with_its_token_is_allowed(iam_env: Env) -> None:
    """ "Instead of using long-term credentials to sign a request, you can use temporary security
    credentials provided by AWS Security Token Service (AWS STS). When you use temporary security
    credentials, you must add X-Amz-Security-Token to the Authorization header or the query string to
    hold the session token."; the role's policy grants the method ARN; "$context.identity.userArn | The
    Amazon Resource Name (ARN) of the effective user identified after authentication". Undocumented:
    assumed the effective user of a role session is the ARN GetCallerIdentity returns for it
    (arn:aws:sts::<account>:assumed-role/<role>/<session>, as a third-party capture of an IAM-authorized
    API Gateway event shows: userArn 'arn:aws:sts::me:assumed-role/...-AuthIdentityPoolAuthRole_role/
    CognitoIdentityCredentials', github.com/anomalyco/guide/pull/706) and its caller the UserId
    GetCallerIdentity returns.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
    """
    session = iam_env.principals["session"]
    assert session.credentials.token
    reply = allowed(
        "GET /private signed by the role session",
        lambda: iam_env.signed("GET", "/prod/private", session.credentials),
    )
    identity = reply.event["requestContext"]["identity"]
    assert identity["accessKey"] == session.credentials.access_key
    assert identity["accountId"] == iam_env.account
    assert identity["userArn"] == session.arn
    assert session.arn.endswith(f":assumed-role/docs-iam-invoker/{SESSION_NAME}")
    assert identity["caller"] == session.user_id


def test_assumed_role_session_without_its_token_is_refused(iam_env: Env) -> None:
    """ "When you use temporary security credentials, you must add X-Amz-Security-Token to the
    Authorization header or the query string to hold the session token."; "Verify the identity of the
    requester ... If you are using temporary security credentials, the signature calculations also
    require a security token." Status 403 ("API Gateway API endpoints using AWS Identity and Access
    Management (IAM) authentication might return 403 errors if ... The IAM credentials used to sign the
    request are incorrect"); docs silent on the message and the response type.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
    https://repost.aws/knowledge-center/api-gateway-iam-sigv4-mismatch
    """
    session = iam_env.principals["session"].credentials
    # The role session is usable (so the refusal below is about the missing token alone).
    allowed("the role session works", lambda: iam_env.signed("GET", "/prod/private", session))
    no_token = Credentials(session.access_key, session.secret_key)
    reply = iam_env.signed("GET", "/prod/private", no_token)
    assert reply.status == 403, reply.body
    assert reply.echo is None


# -- the signature itself ----------------------------------------------------------------------


def test_unknown_access_key_is_refused(iam_env: Env) -> None:
    """ "Verify that the authentication credentials for the access key and secret key are correct. If
    the access key is incorrect, then you receive the following error: "The security token included in
    the request is invalid."" (AWS knowledge center; the request "failed with a 403 response").
    Docs silent on the response type and x-amzn-ErrorType.
    https://repost.aws/knowledge-center/api-gateway-iam-sigv4-mismatch
    """
    reply = iam_env.signed("GET", "/prod/private", Credentials(NO_SUCH_KEY, NO_SUCH_SECRET))
    assert reply.status == 403, reply.body
    assert reply.echo is None
    assert reply.message() == "The security token included in the request is invalid."


@pytest.mark.parametrize(
    ("region", "service", "expected"),
    [
        (OTHER_REGION, SERVICE, "credential should be scoped to a valid region"),
        (REGION, "apigateway", "credential should be scoped to correct service"),
    ],
    ids=["wrong-region", "wrong-service"],
)
def test_credential_scope_must_name_the_region_and_service(
    iam_env: Env, region: str, service: str, expected: str
) -> None:
    """ "CredentialScope - The credential scope. This restricts the resulting signature to the
    specified Region and service."; "If the credential scope does not specify the same Region as the
    request, the signature verification step fails with the following error message: Credential should
    be scoped to a valid Region, not region-code"; "If the credential scope does not specify the same
    service as the host header, the signature verification step fails with the following error message:
    Credential should be scoped to correct service: 'service'" (compared case-insensitively);
    "INVALID_SIGNATURE | 403 | The gateway response for an invalid AWS signature error".
    x-amzn-ErrorType: docs silent; third-party capture from execute-api: "(Service: execute-api;
    Status Code: 403; Error Code: InvalidSignatureException"
    (github.com/rpgreen/apigateway-generic-java-sdk/issues/11).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
    """
    creds = iam_env.creds("exact")
    reply = iam_env.signed("GET", "/prod/private", creds, region=region, service=service)
    assert reply.status == 403, reply.body
    assert reply.echo is None
    assert expected in reply.message().lower(), reply.body
    assert reply.error_type == "InvalidSignatureException"
    typed = iam_env.signed("GET", "/prod/private", creds, api=iam_env.typed, region=region, service=service)
    assert typed.status == 403, typed.body
    assert typed.response_type() == "INVALID_SIGNATURE"


@pytest.mark.parametrize("tamper", ["body-changed-after-signing", "wrong-secret-key"])
def test_signature_mismatch_is_invalid_signature(iam_env: Env, tamper: str) -> None:
    """ "HashedPayload - A string created using the payload in the body of the HTTP request as input to
    a hash function"; "To prevent tampering with a request while it's in transit, some of the request
    elements are used to calculate a hash (digest) of the request ... If the values don't match, AWS
    denies the request."; "If the secret access key is incorrect, then you might receive the following
    error: "The request signature we calculated does not match the signature you provided."" (AWS
    knowledge center: "failed with a 403 response"); "INVALID_SIGNATURE | 403 | The gateway response for
    an invalid AWS signature error". x-amzn-ErrorType: the execute-api capture quoted in
    test_credential_scope_must_name_the_region_and_service (InvalidSignatureException).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
    https://repost.aws/knowledge-center/api-gateway-iam-sigv4-mismatch
    """
    user = iam_env.creds("exact")

    def call(api: str) -> Reply:
        if tamper == "wrong-secret-key":
            wrong = Credentials(user.access_key, user.secret_key[:-4] + "XXXX")
            return iam_env.signed("POST", "/prod/private", wrong, api=api, body=b'{"amount": 1}')
        return iam_env.signed(
            "POST", "/prod/private", user, api=api, body=b'{"amount": 1}', sent_body=b'{"amount": 9}'
        )

    reply = call(iam_env.api)
    assert reply.status == 403, reply.body
    assert reply.echo is None
    assert reply.message().startswith(
        "The request signature we calculated does not match the signature you provided"
    ), reply.body
    assert reply.error_type == "InvalidSignatureException"
    typed = call(iam_env.typed)
    assert typed.status == 403, typed.body
    assert typed.response_type() == "INVALID_SIGNATURE"


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(-10, "Signature expired"), (10, "Signature not yet current")],
    ids=["ten-minutes-old", "ten-minutes-ahead"],
)
def test_date_outside_five_minutes_is_refused(iam_env: Env, offset: int, expected: str) -> None:
    """ "Protect against potential replay attacks: In most cases, a request must reach AWS within five
    minutes of the time stamp in the request. Otherwise, AWS denies the request."; "If the request
    specifies a time in the future, the signature verification step fails with the following error
    message: Signature not yet current: date is still later than date"; "If the request has expired,
    the signature verification step fails with the following error message: Signature expired: date is
    now earlier than date". Status: third-party capture of API Gateway's answer: "{"message":"Signature
    expired: 20170212T175938Z is now earlier than 20170215T145534Z (20170215T150034Z - 5 min.)"} ...
    Status Code: 403" (github.com/aws-amplify/aws-sdk-android/issues/253); x-amzn-ErrorType from
    execute-api: "Signature expired: ... - 5 min.)" with "InvalidSignatureException"
    (github.com/cognitect-labs/aws-api/issues/255). Undocumented: assumed the response type is
    INVALID_SIGNATURE ("an invalid AWS signature error"), not EXPIRED_TOKEN (an expired token).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html
    """
    creds = iam_env.creds("exact")
    when = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(minutes=offset)
    reply = iam_env.signed("GET", "/prod/private", creds, when=when)
    assert reply.status == 403, reply.body
    assert reply.echo is None
    assert reply.message().startswith(expected), reply.body
    assert reply.error_type == "InvalidSignatureException"
    typed = iam_env.signed("GET", "/prod/private", creds, api=iam_env.typed, when=when)
    assert typed.status == 403, typed.body
    assert typed.response_type() == "INVALID_SIGNATURE"


def test_date_within_five_minutes_is_accepted(iam_env: Env) -> None:
    """ "In most cases, a request must reach AWS within five minutes of the time stamp in the request."
    — a request signed two minutes ago is within the window.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
    """
    creds = iam_env.creds("exact")

    def call() -> Reply:
        when = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(minutes=2)
        return iam_env.signed("GET", "/prod/private", creds, when=when)

    reply = allowed("GET /private signed two minutes ago", call)
    assert reply.status == 200, reply.body


def test_authorization_header_that_is_not_sigv4_is_incomplete_signature(iam_env: Env) -> None:
    """ "Each request that you send must include the following information ... Algorithm ...
    Credential ... Signed headers ... Signature"; docs silent on the message and the type. Third-party
    captures of API Gateway's answer to a REST API request with a bare token in Authorization:
    "statusCode=403, headers={... x-amzn-errortype: IncompleteSignatureException ...},
    body={"message":"Authorization header requires 'Credential' parameter. Authorization header
    requires 'Signature' parameter. ..." (github.com/aws-amplify/amplify-flutter/issues/1539; same
    message in github.com/aws-amplify/amplify-js/issues/13378).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html
    """
    reply = iam_env.send("GET", "/prod/private", headers={"Authorization": "eyJhbGciOiJIUzI1NiJ9.e30.c2ln"})
    assert reply.status == 403, reply.body
    assert reply.echo is None
    assert reply.error_type == "IncompleteSignatureException"
    message = reply.message()
    assert "Authorization header requires 'Credential' parameter." in message, reply.body
    assert "Authorization header requires 'Signature' parameter." in message, reply.body


# -- custom domain names --------------------------------------------------------------------


def test_custom_domain_request_signed_for_the_domain(iam_env: Env) -> None:
    """ "CanonicalHeaders - ... You must include the host header (HTTP/1.1) ... in the signature";
    "For HTTP/1.1 requests, you must include the Host header"; with a base path mapping "the base URL
    of a REST API becomes ... https://{api.example.com}/{basePath}", and the method ARN stays
    api-id/stage/HTTP-VERB/resource-path (the exact-ARN user's grant on prod covers it);
    "$context.domainName | The full domain name used to invoke the API. This should be the same as the
    incoming Host header."
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-deploy-api.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
    """
    user = iam_env.principals["exact"]
    reply = allowed(
        "GET /v1/private through the custom domain",
        lambda: iam_env.signed("GET", f"/{BASE_PATH}/private", user.credentials, host=DOMAIN),
    )
    context = reply.event["requestContext"]
    assert context["domainName"] == DOMAIN
    assert context["stage"] == "prod"
    assert context["identity"]["userArn"] == user.arn


def test_custom_domain_request_signed_for_another_host_is_refused(iam_env: Env) -> None:
    """The host header is part of the signed canonical request ("You must include the host header
    (HTTP/1.1) ... in the signature"); "When an AWS service receives an authenticated request, it
    recreates the signature using the authentication information contained in the request. If the
    signatures match, the service processes the request. Otherwise, it rejects the request." — a
    signature computed for the execute-api host does not match a request whose Host is the custom
    domain. 403 with the signature-mismatch message (knowledge center, as in
    test_signature_mismatch_is_invalid_signature).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
    """
    user = iam_env.principals["exact"]
    # Works when signed for the domain (so the refusal below is about the host alone).
    allowed(
        "the custom domain serves signed requests",
        lambda: iam_env.signed("GET", f"/{BASE_PATH}/private", user.credentials, host=DOMAIN),
    )
    reply = iam_env.signed(
        "GET", f"/{BASE_PATH}/private", user.credentials, host=iam_env.host(), send_to=DOMAIN
    )
    assert reply.status == 403, reply.body
    assert reply.echo is None
    assert reply.message().startswith(
        "The request signature we calculated does not match the signature you provided"
    ), reply.body


# -- resource policies ------------------------------------------------------------------------


def test_none_method_allowed_by_principal_star(iam_env: Env) -> None:
    """ "In this workflow, an API Gateway resource policy is attached to the API, but no authentication
    type is defined for the API. Evaluation of the policy involves seeking an explicit allow based on
    the inbound criteria of the caller."; "If the Principal in the policy is set to "*", other
    authorization types can be used alongside the resource policy." (Allow "*" on prod/GET/public.)
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html
    """
    reply = allowed(
        "GET /public on the policy API",
        lambda: iam_env.send("GET", "/prod/public", host=iam_env.host(iam_env.policy)),
    )
    assert reply.event["resource"] == "/public"


@pytest.mark.parametrize("path", ["/prod/other", "/beta/public"])
def test_none_method_without_allow_in_resource_policy_is_refused(iam_env: Env, path: str) -> None:
    """ "Evaluation of the policy involves seeking an explicit allow based on the inbound criteria of
    the caller. An implicit denial or any explicit denial results in denying the caller." (the policy
    allows prod/GET/public only: /other and the beta stage have no Allow); "ACCESS_DENIED | 403 | The
    gateway response for authorization failure"; "Example error message for REST APIs that have an
    attached resource policy that implicitly denies access to the caller { "message": "User: anonymous
    is not authorized to perform: execute-api:Invoke on resource: <api-resource-arn>" }" (AWS knowledge
    center; real answers are captured with the key "Message", e.g. github.com/ASFHyP3/hyp3/issues/2283).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
    https://repost.aws/knowledge-center/api-gateway-403-error-lambda-authorizer
    """
    reply = iam_env.send("GET", path, host=iam_env.host(iam_env.policy))
    assert reply.status == 403, reply.body
    assert reply.echo is None
    stage, _, resource_path = path.lstrip("/").partition("/")
    resource = iam_env.refused_arn(stage, "GET", resource_path, iam_env.policy)
    assert reply.message() == (
        f"User: anonymous is not authorized to perform: execute-api:Invoke on resource: {resource}"
    )
    assert reply.response_type() == "ACCESS_DENIED"


def test_resource_policy_allow_alone_admits_a_same_account_user(iam_env: Env) -> None:
    """Table A (same account): "Neither Allow nor Deny | Allow | Allow"; "if the caller and the API
    owner are in the same account, then either the user policies or the resource policy must explicitly
    allow the caller to proceed." (The user has no identity policy; the resource policy allows its ARN
    on prod/GET/private.)
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
    """
    user = iam_env.principals["nopolicy"]
    reply = allowed(
        "GET /private on the policy API by the resource-policy principal",
        lambda: iam_env.signed("GET", "/prod/private", user.credentials, api=iam_env.policy),
    )
    assert reply.event["requestContext"]["identity"]["userArn"] == user.arn


def test_identity_allow_alone_admits_when_resource_policy_is_silent(iam_env: Env) -> None:
    """Table A (same account): "Allow | Neither Allow nor Deny | Allow" — the wildcard user's identity
    policy allows the whole policy API; the resource policy names only another principal on
    prod/GET/private.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
    """
    reply = allowed(
        "GET /private on the policy API by the wildcard user",
        lambda: iam_env.signed("GET", "/prod/private", iam_env.creds("wildcard"), api=iam_env.policy),
    )
    assert reply.event["resource"] == "/private"


@pytest.mark.parametrize("stage", ["prod", "beta"])
def test_resource_policy_deny_beats_identity_allow(iam_env: Env, stage: str) -> None:
    """Table A (same account): "Allow | Deny | Explicit Deny"; "An explicit deny in any of the policies
    overrides the allow."; "ACCESS_DENIED | 403"; "Example error message for REST APIs that have an
    attached resource policy that explicitly denies access to the caller { "message": "User: anonymous is
    not authorized to perform: execute-api:Invoke on resource: <api-resource-arn> with an explicit
    deny" }" (AWS knowledge center; here the caller is the signed IAM user, named by its ARN as in the
    identity-policy refusals). The resource policy denies */GET/denied to "*".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html
    https://repost.aws/knowledge-center/api-gateway-403-error-lambda-authorizer
    """
    user = iam_env.principals["wildcard"]
    # The same user's identity Allow works on the API (so the refusal below is the Deny's).
    allowed(
        "the wildcard user is allowed elsewhere on the policy API",
        lambda: iam_env.signed("GET", "/prod/private", user.credentials, api=iam_env.policy),
    )
    reply = iam_env.signed("GET", f"/{stage}/denied", user.credentials, api=iam_env.policy)
    assert reply.status == 403, reply.body
    assert reply.echo is None
    resource = iam_env.refused_arn(stage, "GET", "/denied", iam_env.policy)
    message = reply.message()
    assert message.startswith(
        f"User: {user.arn} is not authorized to perform: execute-api:Invoke on resource: {resource}"
    ), reply.body
    assert message.endswith("with an explicit deny"), reply.body
    assert reply.response_type() == "ACCESS_DENIED"


def test_resource_policy_change_takes_effect_on_deployment(local_cloud: Any, iam_env: Env) -> None:
    """ "If you update the resource policy, you'll need to deploy the API."; "If you update the resource
    policy after the API is created, you'll need to deploy the API to propagate the changes after you've
    attached the updated policy. Updating or saving the policy alone won't change the runtime behavior
    of the API." (earlier version of the same page). Both ways: an Allow added is not served until a
    deployment; an Allow removed keeps being served until the next one.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html
    (earlier version: github.com/awsdocs/amazon-api-gateway-developer-guide,
    doc_source/apigateway-resource-policies-create-attach.md)
    """
    apigw = local_cloud.client("apigateway", REGION)
    lam = local_cloud.client("lambda", REGION)
    function_arn = lam.get_function_configuration(FunctionName="docs-iam-echo")["FunctionArn"]
    api = build_api(apigw, "docs-iam-redeploy", function_arn, POLICY_METHODS, typed=False)
    permit(lam, iam_env.account, api)
    host = iam_env.host(api)
    allow_other = invoke("Allow", iam_env.method_arn("prod", "GET", "/other", api), "*")
    allow_public = invoke("Allow", iam_env.method_arn("prod", "GET", "/public", api), "*")

    def attach(*statements: dict[str, Any]) -> None:
        apigw.update_rest_api(
            restApiId=api,
            patchOperations=[{"op": "replace", "path": "/policy", "value": policy_document(*statements)}],
        )

    def status() -> int:
        return iam_env.send("GET", "/prod/public", host=host).status

    attach(allow_other)
    apigw.create_deployment(restApiId=api, stageName="prod")
    eventually(
        "the first deployment serves /other", lambda: iam_env.send("GET", "/prod/other", host=host).echo
    )
    assert status() == 403

    attach(allow_other, allow_public)  # an Allow added, not deployed
    assert status() == 403
    assert status() == 403
    apigw.create_deployment(restApiId=api, stageName="prod")
    eventually("the added Allow served after the deployment", lambda: status() == 200)

    attach(allow_other)  # the Allow removed, not deployed
    assert status() == 200
    assert status() == 200
    apigw.create_deployment(restApiId=api, stageName="prod")
    eventually("the removed Allow no longer served after the deployment", lambda: status() == 403)

"""API Gateway's AWS_IAM authorization (SigV4) and resource policies, in the emulator's data plane
(local_aws/dataplane/apigateway_auth.py, apigateway_sigv4.py, apigateway_credentials.py).

The pure functions are tested in process; the rest against the whole emulator in a process of its
own (``local_cloud``), signing with botocore's ``SigV4Auth`` as any AWS SDK does, with IAM users,
access keys, roles and AssumeRole made through boto3 against the emulator. The emulator runs at
time scale 60, so the five-minute clock window is shown to be real time.

    .venv/bin/python -m pytest tests/harness/test_apigateway_auth.py -p no:cacheprovider -q
"""

from __future__ import annotations

import http.client
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local_aws.dataplane import apigateway_credentials as credentials
from local_aws.dataplane import apigateway_sigv4 as sigv4
from local_aws.dataplane.apigateway_auth import iam_decision, masked
from local_aws.dataplane.apigateway_credentials import Caller
from local_aws.iam_policy import PermissionResult
from local_aws.patches.apigateway_deployment_snapshot import UNREADABLE_POLICY, resource_policy

LOCAL_CLOUD_TIME_SCALE = 60
REGION = "us-east-1"
PARTNER = "222222222222"  # a second account, reached by AssumeRole into it (moto switches accounts so)
DOMAIN = "iam.example.com"
SOURCE_IP = "127.0.0.1"
ALLOW, DENY, NEITHER = PermissionResult.PERMITTED, PermissionResult.DENIED, PermissionResult.NEUTRAL

HANDLER = """
import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"echo": True, "event": event})}
"""


# --------------------------------------------------------------------------- pure functions


def _received(method: str = "GET", path: str = "/", query: str = "", body: bytes = b"", **headers: str):
    return sigv4.Received(
        method, path, query, {k.lower().replace("_", "-"): [v] for k, v in headers.items()}, body
    )


def _botocore(method: str, url: str, body: bytes = b"", **headers: str) -> AWSRequest:
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    with mock.patch("botocore.auth.get_current_datetime", return_value=datetime(2024, 5, 1, 12, 0, 0)):
        SigV4Auth(Credentials("AKIDEXAMPLE", "secret"), "execute-api", REGION).add_auth(request)
    return request


def test_the_signature_is_recomputed_as_botocore_signs_a_request():
    """The canonical request of create-signed-request.html: method, path, sorted encoded query,
    signed headers, payload hash; the signature from the key chain date/region/service."""
    signed_request = _botocore(
        "POST",
        "http://abc.execute-api.us-east-1.amazonaws.com/prod/a%20b/c?z=1&a=x%2Fy",
        b'{"n":1}',
        Host="h",
    )
    headers = {k.lower(): [v] for k, v in signed_request.headers.items()}
    received = sigv4.Received("POST", "/prod/a%20b/c", "z=1&a=x%2Fy", headers, b'{"n":1}')
    parsed = sigv4.parse(received)
    assert parsed is not None
    assert parsed.scope == "20240501/us-east-1/execute-api/aws4_request"
    sigv4.verify(parsed, "secret", received)  # no Refused
    with pytest.raises(sigv4.Refused) as wrong:
        sigv4.verify(parsed, "another secret", received)
    assert wrong.value.error_type == "InvalidSignatureException"
    assert wrong.value.message.startswith(
        sigv4.MISMATCH + "\n\nThe Canonical String for this request should have been\n'POST\n"
    )
    assert "\n/prod/a%2520b/c\na=x%2Fy&z=1\n" in wrong.value.message


def test_the_path_is_encoded_twice_and_normalised():
    """ "Each path segment must be URI-encoded twice (except for Amazon S3 which only gets
    URI-encoded once)." and "Remove redundant and relative path components." """
    assert sigv4.canonical_uri("/prod/a%20b") == "/prod/a%2520b"
    assert sigv4.canonical_uri("/prod//x/./y/../z/") == "/prod/x/z/"
    assert sigv4.canonical_uri("") == "/"
    assert sigv4.canonical_query("b=2&a=&a=1&c=%7E+") == "a=&a=1&b=2&c=~%2B"


BAD_CREDENTIAL = "AWS4-HMAC-SHA256 Credential= AKID/20240501/us-east-1/execute-api/aws4_request, "
BAD_CREDENTIAL += "SignedHeaders=host, Signature=x"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "Bearer abc",
            "Authorization header requires 'Credential' parameter. Authorization header requires "
            "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
            "Authorization=Bearer abc",
        ),
        (
            BAD_CREDENTIAL,
            "'AKID/20240501/us-east-1/execute-api/aws4_request' not a valid key=value pair (missing "
            f"equal-sign) in Authorization header: '{BAD_CREDENTIAL}'.",
        ),
    ],
)
def test_a_header_that_is_no_sigv4_is_an_incomplete_signature(header, message):
    """AWS's answers quoted in public threads (aws/chalice#828, iann0036/cloud9-sync#10)."""
    with pytest.raises(sigv4.Refused) as refused:
        sigv4.parse(_received(authorization=header))
    assert (refused.value.error_type, refused.value.message) == ("IncompleteSignatureException", message)
    assert sigv4.parse(_received()) is None  # nothing at all: no signature to check


def test_scope_and_clock_checks():
    """Region and service of the scope; "a request must reach AWS within five minutes of the time
    stamp in the request" (reference_aws-signing.html), in both directions."""
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)

    def refusal(
        scope: str, amz_date: str = "20240501T120000Z", signed: tuple[str, ...] = ("host", "x-amz-date")
    ):
        parsed = sigv4.Signed("AKID", scope, signed, "sig", amz_date, None, in_query=False)
        try:
            sigv4.check_scope(parsed, REGION, _received(host="h", x_amz_date=amz_date), now)
        except sigv4.Refused as refused:
            return refused.error_type, refused.message
        return None

    good = "20240501/us-east-1/execute-api/aws4_request"
    assert refusal(good) is None
    assert refusal("20240501/us-west-2/execute-api/aws4_request") == (
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'us-west-2'. ",
    )
    assert refusal("20240501/us-east-1/apigateway/aws4_request") == (
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'execute-api'. ",
    )
    assert refusal(good, signed=("x-amz-date",)) == (
        "InvalidSignatureException",
        "'Host' must be a 'SignedHeader' in the AWS Authorization.",
    )
    assert (
        refusal(good, signed=("host",))[1]
        == "'x-amz-date' must be a 'SignedHeader' in the AWS Authorization."
    )
    assert refusal(good, "20240501T115400Z") == (
        "InvalidSignatureException",
        "Signature expired: 20240501T115400Z is now earlier than 20240501T115500Z "
        "(20240501T120000Z - 5 min.)",
    )
    assert refusal(good, "20240501T120600Z")[1] == (
        "Signature not yet current: 20240501T120600Z is still later than 20240501T120500Z "
        "(20240501T120000Z + 5 min.)"
    )
    assert refusal(good, "20240501T115600Z") is None  # four minutes: inside the window


def test_the_payload_hash_header_must_be_the_body_hash():
    request = _botocore("POST", "http://h/prod/x", b"body", Host="h")
    headers = {k.lower(): [v] for k, v in request.headers.items()}
    headers["x-amz-content-sha256"] = ["UNSIGNED-PAYLOAD"]
    received = sigv4.Received("POST", "/prod/x", "", headers, b"body")
    with pytest.raises(sigv4.Refused) as refused:
        sigv4.verify(sigv4.parse(received), "secret", received)
    assert (
        refused.value.message
        == "The provided 'x-amz-content-sha256' header does not match what was computed."
    )


def _caller(
    account: str = "111111111111", documents: tuple[Any, ...] = (), limits: tuple[Any, ...] = ()
) -> Caller:
    return Caller(
        "AKID", "s", account, f"arn:aws:iam::{account}:user/u", "AIDA1", "User", None, "u", documents, limits
    )


ARN = "arn:aws:execute-api:us-east-1:111111111111:api/prod/GET/payments"


def _allow(principal: Any = None, effect: str = "Allow") -> dict[str, Any]:
    statement = {"Effect": effect, "Action": "execute-api:Invoke", "Resource": ARN}
    return {"Statement": [statement if principal is None else {**statement, "Principal": principal}]}


@pytest.mark.parametrize(
    ("identity", "policy", "same_account", "outcome"),
    [
        # Table A: Account A Calls API Owned by Account A
        ("Allow", None, True, ALLOW),
        ("Allow", "Allow", True, ALLOW),
        ("Allow", "Deny", True, DENY),
        (None, "Allow", True, ALLOW),
        (None, None, True, NEITHER),
        (None, "Deny", True, DENY),
        ("Deny", "Allow", True, DENY),
        # Table B: Account B Calls API Owned by Account A
        ("Allow", "Allow", False, ALLOW),
        ("Allow", None, False, NEITHER),
        ("Allow", "Deny", False, DENY),
        (None, "Allow", False, NEITHER),
        ("Deny", "Allow", False, DENY),
    ],
)
def test_policy_evaluation_outcome_tables(identity, policy, same_account, outcome):
    """apigateway-authorization-flow.html, "Policy evaluation outcome tables", Tables A and B."""
    caller = _caller("111111111111" if same_account else "222222222222")
    documents = () if identity is None else (_allow(effect=identity),)
    caller = _caller(caller.account_id, documents)
    resource = None if policy is None else _allow({"AWS": caller.arn}, policy)
    assert iam_decision(caller, "111111111111", resource, ARN, {}) == outcome


def test_a_boundary_or_session_policy_caps_the_decision():
    allowed = _caller(documents=(_allow(),))
    assert (
        iam_decision(_caller(documents=(_allow(),), limits=(_allow(),)), "111111111111", None, ARN, {})
        == ALLOW
    )
    assert (
        iam_decision(
            _caller(documents=(_allow(),), limits=({"Statement": []},)), "111111111111", None, ARN, {}
        )
        == NEITHER
    )
    assert iam_decision(allowed, "111111111111", _allow({"AWS": "111111111111"}, "Deny"), ARN, {}) == DENY
    # An account principal grants only across accounts (it delegates to the account's own policies).
    assert iam_decision(_caller(), "111111111111", _allow({"AWS": "111111111111"}), ARN, {}) == NEITHER


def test_an_expired_session_is_an_expired_token_and_a_user_key_takes_no_token():
    """ "EXPIRED_TOKEN | 403 | The gateway response for an AWS authentication token expired error"
    (supported-gateway-response-types.html); a user's long-term key with a session token is invalid."""
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    session = SimpleNamespace(session_token="t", expiration=datetime(2024, 5, 1, 11, 59))
    with pytest.raises(sigv4.Refused) as expired:
        credentials._session(None, session, "t", now)
    assert (expired.value.kind, expired.value.error_type, expired.value.message) == (
        "EXPIRED_TOKEN",
        "ExpiredTokenException",
        "The security token included in the request is expired",
    )
    with pytest.raises(sigv4.Refused) as wrong:
        credentials._session(None, session, "another", now)
    assert wrong.value.error_type == "UnrecognizedClientException"
    user = SimpleNamespace(users={"u": object()}, account_id="1")
    key = SimpleNamespace(user_name="u", status="Active")
    with pytest.raises(sigv4.Refused) as with_token:
        credentials._user(user, key, "a token")
    assert with_token.value.message == "The security token included in the request is invalid."


def test_denied_resources_show_four_digits_of_the_account():
    assert masked(ARN) == "arn:aws:execute-api:us-east-1:********1111:api/prod/GET/payments"


def test_a_resource_policy_is_expanded_and_an_unreadable_one_denies():
    """ "You can also use abbreviated syntax, which API Gateway automatically expands to the full ARN
    when you save a resource policy." (apigateway-control-access-policy-language-overview.html)"""
    text = json.dumps(
        {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": ["execute-api:/*"]}}
    )
    expanded = resource_policy(text, "arn:aws:execute-api:us-east-1:1:api")
    assert expanded["Statement"][0]["Resource"] == ["arn:aws:execute-api:us-east-1:1:api/*"]
    assert resource_policy("", "arn") is None
    assert resource_policy("{not json", "arn") == UNREADABLE_POLICY


# --------------------------------------------------------------------------- the emulator


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error(self) -> tuple[int, str | None, str]:
        document = self.json()
        return (
            self.status,
            self.headers.get("x-amzn-ErrorType"),
            document.get("message", document.get("Message")),
        )


@dataclass
class World:
    address: str
    port: int
    account: str
    api: str
    other_api: str
    open_api: str
    closed_api: str
    keys: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)  # name -> credentials
    arns: dict[str, str] = field(default_factory=dict)

    def host(self, api: str | None = None) -> str:
        return f"{api or self.api}.execute-api.{REGION}.amazonaws.com"

    def send(
        self,
        method: str,
        path: str,
        *,
        host: str | None = None,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> Reply:
        conn = http.client.HTTPConnection(self.address, self.port, timeout=30, source_address=(SOURCE_IP, 0))
        try:
            conn.request(
                method, path, body=body or None, headers={"Host": host or self.host(), **(headers or {})}
            )
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            conn.close()

    def call(
        self,
        method: str,
        path: str,
        who: str,
        *,
        host: str | None = None,
        sign_host: str | None = None,
        sign_path: str | None = None,
        region: str = REGION,
        service: str = "execute-api",
        body: bytes = b"",
        sign_body: bytes | None = None,
        when: datetime | None = None,
        token: bool = True,
    ) -> Reply:
        """A request signed with ``who``'s credentials (what was signed may differ from what is sent)."""
        key, secret, session = self.keys[who]
        host = host or self.host()
        request = AWSRequest(
            method=method,
            url=f"http://{sign_host or host}{sign_path or path}",
            data=sign_body if sign_body is not None else body,
            headers={"Host": sign_host or host},
        )
        signer = SigV4Auth(Credentials(key, secret, session if token else None), service, region)
        moment = (when or datetime.now(UTC)).replace(tzinfo=None)
        with mock.patch("botocore.auth.get_current_datetime", return_value=moment):
            signer.add_auth(request)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        if session and not token:
            headers.pop("X-Amz-Security-Token", None)
        return self.send(method, path, host=host, headers=headers, body=body)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _invoke(resource: str, effect: str = "Allow", **extra: Any) -> dict[str, Any]:
    return {"Effect": effect, "Action": "execute-api:Invoke", "Resource": resource, **extra}


def _api(apigw: Any, name: str, function_arn: str, routes: list[tuple[str, ...]], **create: Any) -> str:
    """An API of ``(path, verb, authorization[, "key"])`` routes, each a Lambda proxy of the function."""
    api = apigw.create_rest_api(name=name, endpointConfiguration={"types": ["REGIONAL"]}, **create)["id"]
    ids = {"/": next(r["id"] for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/")}
    for path, verb, authorization, *key in routes:
        parent = "/"
        for part in [p for p in path.split("/") if p]:
            current = f"{parent.rstrip('/')}/{part}"
            if current not in ids:
                ids[current] = apigw.create_resource(restApiId=api, parentId=ids[parent], pathPart=part)["id"]
            parent = current
        apigw.put_method(
            restApiId=api,
            resourceId=ids[path],
            httpMethod=verb,
            authorizationType=authorization,
            apiKeyRequired=bool(key),
        )
        apigw.put_integration(
            restApiId=api,
            resourceId=ids[path],
            httpMethod=verb,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
        )
    return api


def _user(world: World, iam: Any, name: str, *resources: str) -> None:
    """An IAM user with an inline policy allowing ``execute-api:Invoke`` on ``resources``, and a key."""
    world.arns[name] = iam.create_user(UserName=name)["User"]["Arn"]
    if resources:
        iam.put_user_policy(
            UserName=name, PolicyName="invoke", PolicyDocument=_policy(*(_invoke(r) for r in resources))
        )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    world.keys[name] = (key["AccessKeyId"], key["SecretAccessKey"], None)


@pytest.fixture(scope="module")
def world(local_cloud: Any) -> Iterator[World]:
    apigw, lam, iam = (local_cloud.client(s, REGION) for s in ("apigateway", "lambda", "iam"))
    account = local_cloud.client("sts", REGION).get_caller_identity()["Account"]
    trust = _policy(
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )
    role = iam.create_role(RoleName="auth-echo", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    function = lam.create_function(
        FunctionName="auth-echo",
        Runtime="python3.11",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": _zip()},
    )["FunctionArn"]
    iam_routes = [
        ("/health", "GET", "NONE"),
        ("/payments", "GET", "AWS_IAM"),
        ("/payments", "POST", "AWS_IAM"),
        ("/payments/{id}", "GET", "AWS_IAM"),
        ("/keyed", "GET", "AWS_IAM", "key"),
    ]
    api = _api(apigw, "auth-main", function, iam_routes)
    other_api = _api(apigw, "auth-other", function, [("/payments", "GET", "AWS_IAM")])
    # CreateRestApi's own policy, its resource abbreviated.
    anyone = _policy(_invoke("execute-api:/*", Principal="*"))
    open_api = _api(apigw, "auth-open", function, [("/ping", "GET", "NONE")], policy=anyone)
    closed_api = _api(apigw, "auth-closed", function, [("/ping", "GET", "NONE")])
    lam.add_permission(
        FunctionName="auth-echo",
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{account}:*/*/*/*",
    )
    arn = f"arn:aws:execute-api:{REGION}:{account}:{api}"
    world = World(
        local_cloud.region_address(REGION), local_cloud.port, account, api, other_api, open_api, closed_api
    )
    keys = world.keys
    _user(world, iam, "good", f"{arn}/prod/*")
    _user(world, iam, "none")
    _user(world, iam, "stage", f"{arn}/v2/*")
    _user(world, iam, "other", f"arn:aws:execute-api:{REGION}:{account}:{other_api}/*")
    _user(world, iam, "blocked", "*")
    _user(world, iam, "inactive", f"{arn}/prod/*")
    iam.update_access_key(UserName="inactive", AccessKeyId=keys["inactive"][0], Status="Inactive")
    keys["unknown"] = ("AKIAUNKNOWNKEY000000", "secret", None)
    # A role and its session (AssumeRole), allowed on prod.
    caller_trust = _policy({"Effect": "Allow", "Principal": {"AWS": account}, "Action": "sts:AssumeRole"})
    iam.create_role(RoleName="auth-caller", AssumeRolePolicyDocument=caller_trust)
    iam.put_role_policy(
        RoleName="auth-caller", PolicyName="invoke", PolicyDocument=_policy(_invoke(f"{arn}/prod/*"))
    )
    session = local_cloud.client("sts", REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/auth-caller", RoleSessionName="tester"
    )["Credentials"]
    keys["session"] = (session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    # A user of another account, allowed by its own policy on GET and POST /payments of the main API.
    boot = local_cloud.client("sts", REGION).assume_role(
        RoleArn=f"arn:aws:iam::{PARTNER}:role/boot", RoleSessionName="boot"
    )
    creds = boot["Credentials"]
    partner_iam = boto3.client(
        "iam",
        region_name=REGION,
        endpoint_url=local_cloud.endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    _user(world, partner_iam, "partner", f"{arn}/prod/*/payments")
    world.arns["session"] = f"arn:aws:sts::{account}:assumed-role/auth-caller/tester"
    # The main API's resource policy: anyone on GET /health, the partner on GET /payments only, and
    # an explicit deny for "blocked" (abbreviated resources, expanded as API Gateway saves them).
    policy = _policy(
        _invoke("execute-api:/*/GET/health", Principal="*"),
        _invoke("execute-api:/prod/GET/payments", Principal={"AWS": world.arns["partner"]}),
        _invoke("execute-api:/*", "Deny", Principal={"AWS": world.arns["blocked"]}),
    )
    apigw.update_rest_api(
        restApiId=api, patchOperations=[{"op": "replace", "path": "/policy", "value": policy}]
    )
    closed_arn = f"arn:aws:execute-api:{REGION}:{account}:{closed_api}"
    only_elsewhere = _invoke(
        f"{closed_arn}/*", Principal="*", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
    )
    apigw.update_rest_api(
        restApiId=closed_api,
        patchOperations=[{"op": "replace", "path": "/policy", "value": _policy(only_elsewhere)}],
    )
    deployed = apigw.create_deployment(restApiId=api, stageName="prod")["id"]
    apigw.create_stage(restApiId=api, stageName="v2", deploymentId=deployed)
    for other in (other_api, open_api, closed_api):
        apigw.create_deployment(restApiId=other, stageName="prod")
    certificate = local_cloud.client("acm", REGION).request_certificate(DomainName=DOMAIN)["CertificateArn"]
    apigw.create_domain_name(
        domainName=DOMAIN, regionalCertificateArn=certificate, endpointConfiguration={"types": ["REGIONAL"]}
    )
    apigw.create_base_path_mapping(domainName=DOMAIN, basePath="api", restApiId=api, stage="prod")
    yield world


def _event(reply: Reply) -> dict[str, Any]:
    assert reply.status == 200, (reply.status, reply.body[:500])
    return reply.json()["event"]


def test_an_unsigned_call_to_an_iam_method_is_missing_authentication_token(world: World):
    """ "MISSING_AUTHENTICATION_TOKEN | 403 | The gateway response for a missing authentication token
    error" (supported-gateway-response-types.html)."""
    assert world.send("GET", "/prod/payments").error == (
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )
    reply = world.send("GET", "/prod/payments", headers={"Authorization": "Bearer abc"})
    assert reply.error[:2] == (403, "IncompleteSignatureException")
    assert reply.error[2].endswith("Authorization=Bearer abc")


def test_authorization_comes_before_the_api_key(world: World):
    """ "RESOURCE_NOT_FOUND | [...] after an API request passes authentication and authorization,
    except for API key authentication and authorization" (supported-gateway-response-types.html):
    an unsigned call to a method that also requires a key is refused for the signature, a signed
    one without a key for the key."""
    assert world.send("GET", "/prod/keyed").error[1] == "MissingAuthenticationTokenException"
    assert world.call("GET", "/prod/keyed", "good").error == (403, "INVALID_API_KEY", "Forbidden")
    assert world.call("GET", "/prod/keyed", "none").error[1] == "AccessDeniedException"


def test_a_signed_call_with_an_allowing_policy_reaches_the_function_with_the_caller(world: World):
    """ "$context.identity.userArn | The Amazon Resource Name (ARN) of the effective user identified
    after authentication." (api-gateway-mapping-template-reference.html)"""
    event = _event(world.call("POST", "/prod/payments", "good", body=b'{"amount": 5}'))
    identity = event["requestContext"]["identity"]
    assert identity["userArn"] == world.arns["good"]
    assert identity["accessKey"] == world.keys["good"][0]
    assert identity["accountId"] == world.account
    assert identity["caller"] == identity["user"] and identity["caller"]
    assert event["body"] == '{"amount": 5}'
    health = _event(world.send("GET", "/prod/health"))  # NONE, allowed to anyone by the policy
    assert "userArn" not in health["requestContext"]["identity"]


@pytest.mark.parametrize(
    ("who", "explicit"),
    [("none", False), ("stage", False), ("other", False), ("blocked", True)],
)
def test_a_caller_without_an_allow_for_this_method_is_denied(world: World, who: str, explicit: bool):
    """No identity policy, one for the v2 stage or for another API: Table A's implicit deny; a
    resource-policy Deny beats the caller's Allow of everything: an explicit deny."""
    reply = world.call("GET", "/prod/payments", who)
    resource = f"arn:aws:execute-api:{REGION}:********{world.account[-4:]}:{world.api}/prod/GET/payments"
    message = (
        f"User: {world.arns[who]} is not authorized to perform: execute-api:Invoke on resource: {resource}"
    )
    assert (reply.status, reply.headers["x-amzn-ErrorType"]) == (403, "AccessDeniedException")
    assert reply.json() == {"Message": message + (" with an explicit deny" if explicit else "")}


def test_the_stage_policy_holds_on_its_own_stage(world: World):
    assert world.call("GET", "/v2/payments", "stage").status == 200
    assert world.call("GET", "/v2/payments", "good").status == 403


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        (
            {"region": "us-west-2"},
            ("InvalidSignatureException", "Credential should be scoped to a valid region, not 'us-west-2'. "),
        ),
        (
            {"service": "apigateway"},
            ("InvalidSignatureException", "Credential should be scoped to correct service: 'execute-api'. "),
        ),
        (
            {"when": datetime.now(UTC) - timedelta(minutes=6)},
            ("InvalidSignatureException", "Signature expired: "),
        ),
        ({"sign_body": b'{"amount": 1}'}, ("InvalidSignatureException", sigv4.MISMATCH)),
        ({"sign_path": "/prod/payments/1"}, ("InvalidSignatureException", sigv4.MISMATCH)),
        ({"sign_host": DOMAIN}, ("InvalidSignatureException", sigv4.MISMATCH)),
    ],
)
def test_a_signature_that_does_not_hold_is_refused(
    world: World, kwargs: dict[str, Any], error: tuple[str, str]
):
    """The scope's region and service, the five-minute window (in real time: the emulator runs 60
    times faster), and a signature recomputed over the body, path and Host as received."""
    reply = world.call("POST", "/prod/payments", "good", body=b'{"amount": 500}', **kwargs)
    status, error_type, message = reply.error
    assert (status, error_type) == (403, error[0])
    assert message.startswith(error[1])


def test_a_date_four_minutes_old_is_still_inside_the_window(world: World):
    assert (
        world.call("GET", "/prod/payments", "good", when=datetime.now(UTC) - timedelta(minutes=4)).status
        == 200
    )


def test_the_host_header_must_be_signed(world: World):
    key, secret, _ = world.keys["good"]
    amz_date = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    scope = f"{amz_date[:8]}/{REGION}/execute-api/aws4_request"
    canonical = (
        f"GET\n/prod/payments\n\nx-amz-date:{amz_date}\n\nx-amz-date\n{sigv4.hashlib.sha256(b'').hexdigest()}"
    )
    signed = sigv4.Signed(key, scope, ("x-amz-date",), "", amz_date, None, in_query=False)
    signature = sigv4.signature(secret, scope, sigv4.string_to_sign(signed, canonical))
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders=x-amz-date, Signature={signature}"
    )
    reply = world.send(
        "GET", "/prod/payments", headers={"Authorization": authorization, "X-Amz-Date": amz_date}
    )
    assert reply.error == (
        403,
        "InvalidSignatureException",
        "'Host' must be a 'SignedHeader' in the AWS Authorization.",
    )


@pytest.mark.parametrize("who", ["unknown", "inactive"])
def test_an_unknown_or_inactive_key_is_an_invalid_security_token(world: World, who: str):
    """ "Active means that the key is valid for API calls, while Inactive means it is not."
    (API_AccessKey.html); the answer as quoted in kndt84/aws-api-gateway-client#31."""
    assert world.call("GET", "/prod/payments", who).error == (
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_an_assumed_role_session_needs_its_token(world: World):
    """ "When you use temporary security credentials, you must add X-Amz-Security-Token to the
    Authorization header or the query string to hold the session token." """
    event = _event(world.call("GET", "/prod/payments/7", "session"))
    assert event["requestContext"]["identity"]["userArn"] == world.arns["session"]
    assert world.call("GET", "/prod/payments/7", "session", token=False).error[1:] == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_another_account_needs_both_its_policy_and_the_resource_policy(world: World):
    """Table B: "If either is silent (neither allow nor deny), cross-account access is denied."
    The partner's own policy allows GET and POST; the resource policy only GET."""
    assert (
        _event(world.call("GET", "/prod/payments", "partner"))["requestContext"]["identity"]["accountId"]
        == PARTNER
    )
    denied = world.call("POST", "/prod/payments", "partner")
    assert (denied.status, denied.headers["x-amzn-ErrorType"]) == (403, "AccessDeniedException")
    assert denied.json()["Message"].startswith(f"User: {world.arns['partner']} is not authorized")


def test_a_query_signed_request_is_checked_too(world: World):
    key, secret, _ = world.keys["good"]
    request = AWSRequest(
        method="GET", url=f"http://{world.host()}/prod/payments?limit=2", headers={"Host": world.host()}
    )
    SigV4QueryAuth(Credentials(key, secret), "execute-api", REGION, expires=60).add_auth(request)
    path = request.url.split(world.host(), 1)[1]
    assert _event(world.send("GET", path))["queryStringParameters"]["limit"] == "2"
    assert world.send("GET", path.replace("limit=2", "limit=3")).error[1] == "InvalidSignatureException"


def test_a_custom_domain_checks_the_mapped_apis_method_with_its_own_host(world: World):
    """Signed for the custom domain and sent to it: the method ARN is the mapped API's (no base path);
    signed for the execute-api name and sent with the domain's Host: the signature does not hold."""
    assert world.call("GET", "/api/payments", "good", host=DOMAIN).status == 200
    assert world.call("GET", "/api/payments", "stage", host=DOMAIN).status == 403
    mismatch = world.call("GET", "/api/payments", "good", host=DOMAIN, sign_host=world.host())
    assert mismatch.error[:2] == (403, "InvalidSignatureException")
    assert world.send("GET", "/api/payments", host=DOMAIN).error[1] == "MissingAuthenticationTokenException"


def test_the_bare_address_form_is_checked_too(world: World):
    bare = f"{world.address}:{world.port}"
    path = f"/restapis/{world.api}/prod/_user_request_/payments"
    assert world.call("GET", path, "good", host=bare).status == 200
    assert world.send("GET", path, host=bare).error[1] == "MissingAuthenticationTokenException"


def test_a_none_method_needs_an_explicit_allow_of_the_resource_policy(world: World):
    """ "Evaluation of the policy involves seeking an explicit allow based on the inbound criteria of
    the caller. An implicit denial or any explicit denial results in denying the caller." """
    assert world.send("GET", "/prod/ping", host=world.host(world.open_api)).status == 200
    closed = world.send("GET", "/prod/ping", host=world.host(world.closed_api))
    resource = f"arn:aws:execute-api:{REGION}:********{world.account[-4:]}:{world.closed_api}/prod/GET/ping"
    assert (closed.status, closed.headers["x-amzn-ErrorType"]) == (403, "AccessDeniedException")
    assert closed.json() == {
        "Message": f"User: anonymous is not authorized to perform: execute-api:Invoke on resource: {resource}"
    }


def test_a_resource_policy_takes_effect_with_the_next_deployment(local_cloud: Any, world: World):
    """ "If you update the resource policy, you'll need to deploy the API."
    (apigateway-resource-policies-create-attach.html); the ACCESS_DENIED gateway response renders
    through the deployed customisation like the others."""
    apigw = local_cloud.client("apigateway", REGION)
    function = local_cloud.client("lambda", REGION).get_function(FunctionName="auth-echo")["Configuration"][
        "FunctionArn"
    ]
    api = _api(apigw, "auth-redeploy", function, [("/ping", "GET", "NONE")])
    apigw.create_deployment(restApiId=api, stageName="prod")
    host = world.host(api)
    assert world.send("GET", "/prod/ping", host=host).status == 200
    arn = f"arn:aws:execute-api:{REGION}:{world.account}:{api}/*"
    deny = _policy(_invoke(arn, "Deny", Principal="*"), _invoke(arn, Principal="*"))
    apigw.update_rest_api(
        restApiId=api, patchOperations=[{"op": "replace", "path": "/policy", "value": deny}]
    )
    apigw.put_gateway_response(
        restApiId=api,
        responseType="ACCESS_DENIED",
        statusCode="401",
        responseTemplates={
            "application/json": '{"why": "$context.error.message", "type": "$context.error.responseType"}'
        },
    )
    assert world.send("GET", "/prod/ping", host=host).status == 200  # not deployed yet
    apigw.create_deployment(restApiId=api, stageName="prod")
    refused = world.send("GET", "/prod/ping", host=host)
    assert (refused.status, refused.headers["x-amzn-ErrorType"]) == (401, "AccessDeniedException")
    assert refused.json()["type"] == "ACCESS_DENIED"
    assert refused.json()["why"].endswith(f"{api}/prod/GET/ping with an explicit deny")

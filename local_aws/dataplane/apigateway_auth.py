"""Who may call a method: AWS_IAM authorization (SigV4, then ``execute-api:Invoke``) and the API's
resource policy, as deployed.

- Where: after the method is found and before the API key, the throttles and the validator.
  "RESOURCE_NOT_FOUND | The gateway response when API Gateway cannot find the specified resource
  after an API request passes authentication and authorization, except for API key
  authentication and authorization" (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html)
  puts the key apart from (after) authorization, and a key that "a Lambda authorizer return[s]
  [...] as part of the authorization response" (api-gateway-api-key-source.html) can only be
  checked after it. An unknown route stays MISSING_AUTHENTICATION_TOKEN whatever the request
  carries (apigateway_routing.py).
- AWS_IAM: the signature (apigateway_sigv4.py) and the signer (apigateway_credentials.py), then
  ``execute-api:Invoke`` on
  "arn:aws:execute-api:region:account-id:api-id/stage/METHOD_HTTP_VERB/Resource-path"
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html),
  the path as requested inside the API (no stage, no base path). "If the caller and API owner are
  from separate accounts, both the IAM user policies and the resource policy explicitly allow the
  caller to proceed. [...] In contrast, if the caller and the API owner are in the same account,
  then either the user policies or the resource policy must explicitly allow the caller to
  proceed." and Table A / Table B: an explicit Deny in either is an explicit deny
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html).
  A resource-policy statement naming the caller's account applies to it when it denies, and
  grants to it only across accounts (undocumented for execute-api: assumed, as an account
  principal delegates to the account's own identity policies).
- No AWS_IAM (the "API Gateway resource policy only" workflow): "Evaluation of the policy involves
  seeking an explicit allow based on the inbound criteria of the caller. An implicit denial or any
  explicit denial results in denying the caller." (same page); the caller is anonymous, so only
  ``"*"`` names it. Without a resource policy nothing changes.
- Refusals: ACCESS_DENIED 403 ``AccessDeniedException`` ``{"Message": "User: <arn> is not
  authorized to perform: execute-api:Invoke on resource: <arn>"}``, ``with an explicit deny``
  after it when one applied, ``User: anonymous`` without IAM: "If your API has an attached resource
  policy that implicitly or explicitly denies access to the caller, you see an error message
  similar to this: { Message: "User: anonymous is not authorized to perform: execute-api:Invoke on
  resource: <api-resource-arn>" }" (https://aws.amazon.com/premiumsupport/knowledge-center/api-gateway-403-error-lambda-authorizer/,
  2020 text; "with an explicit deny" in its later versions). The resource's account is shown as
  its last four digits behind eight asterisks, as public threads quote AWS's answers
  (github.com/ASFHyP3/hyp3/issues/2283); the caller's ARN unmasked (undocumented: assumed). No
  signature at all: MISSING_AUTHENTICATION_TOKEN "Missing Authentication Token",
  ``MissingAuthenticationTokenException``.
- The request context for the condition keys: ``aws:SourceIp`` (the TCP peer), ``aws:SecureTransport``
  "true" (the loopback HTTP stands in for API Gateway's HTTPS), ``aws:CurrentTime``,
  ``aws:EpochTime``, ``aws:UserAgent``, ``aws:Referer`` when sent, ``aws:RequestedRegion``, and the
  caller's (apigateway_credentials.Caller.context); any other key is absent.

Not modelled: Lambda and Cognito authorizers (a CUSTOM or COGNITO_USER_POOLS method is served as
NONE, with the resource policy's anonymous workflow), private APIs and VPC endpoint keys, SCPs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from local_aws.dataplane import apigateway_sigv4 as sigv4
from local_aws.dataplane.apigateway_credentials import Caller
from local_aws.dataplane.apigateway_routing import Call
from local_aws.iam_policy import PermissionResult, Request, evaluate

ACTION = "execute-api:Invoke"
ALLOW, DENY, NEITHER = PermissionResult.PERMITTED, PermissionResult.DENIED, PermissionResult.NEUTRAL
Credentials = Callable[[str, "str | None", datetime], Caller]


def authorize(call: Call, credentials: Credentials) -> tuple[str, str, str] | None:
    """The refusal (gateway response type, message, x-amzn-ErrorType) of the call's method, or
    None; an AWS_IAM caller let through is left on ``call.caller``."""
    policy = call.target.snapshot.policy
    resource = method_arn(call)
    if call.method.authorization_type == "AWS_IAM":
        received = received_request(call)
        try:
            signed = sigv4.parse(received)
            if signed is None:
                return (
                    "MISSING_AUTHENTICATION_TOKEN",
                    "Missing Authentication Token",
                    "MissingAuthenticationTokenException",
                )
            sigv4.check_scope(signed, call.target.snapshot.region, received, call.received)
            caller = credentials(signed.access_key, signed.token, call.received)
            sigv4.verify(signed, caller.secret, received)
        except sigv4.Refused as refused:
            return refused.kind, refused.message, refused.error_type
        decision = iam_decision(
            caller, call.target.snapshot.account_id, policy, resource, request_context(call, caller)
        )
        if decision != ALLOW:
            return denied(caller.arn, resource, decision)
        call.caller = caller
        return None
    if policy is None:
        return None
    anonymous = Request(
        ACTION,
        resource,
        request_context(call, None),
        complete=True,
        principal=("AWS", "anonymous"),
        principal_names=(),
    )
    decision = evaluate([policy], anonymous)
    return None if decision == ALLOW else denied("anonymous", resource, decision)


def iam_decision(
    caller: Caller, api_account: str, policy: dict[str, Any] | None, resource: str, context: dict[str, str]
) -> PermissionResult:
    """Table A (same account: either allows) or Table B (across accounts: both allow); an explicit
    deny anywhere wins; the caller's boundary and session policy cap the result."""
    request = Request(ACTION, resource, context, complete=True)
    identity = evaluate(caller.documents, request)
    limits = [evaluate([document], request) for document in caller.limits]
    same_account = caller.account_id == api_account
    own = tuple(name for name in (caller.arn, caller.role_arn) if name)
    root = f"arn:aws:iam::{caller.account_id}:root"
    resource_policy = NEITHER
    if policy is not None:

        def by(names: tuple[str, ...]) -> PermissionResult:
            asked = Request(
                ACTION, resource, context, complete=True, principal=("AWS", caller.arn), principal_names=names
            )
            return evaluate([policy], asked)

        denies = by((*own, root)) == DENY
        resource_policy = DENY if denies else by(own if same_account else (*own, root))
    decisions = (identity, resource_policy, *limits)
    if DENY in decisions:
        return DENY
    allowed = ALLOW in (identity, resource_policy) if same_account else identity == resource_policy == ALLOW
    return ALLOW if allowed and all(limit == ALLOW for limit in limits) else NEITHER


def denied(who: str, resource: str, decision: PermissionResult) -> tuple[str, str, str]:
    message = f"User: {who} is not authorized to perform: {ACTION} on resource: {masked(resource)}"
    if decision == DENY:
        message += " with an explicit deny"
    return "ACCESS_DENIED", message, "AccessDeniedException"


def masked(arn: str) -> str:
    """The ARN with its account id shown as eight asterisks and its last four digits."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and len(parts[4]) == 12:
        parts[4] = "********" + parts[4][-4:]
    return ":".join(parts)


def method_arn(call: Call) -> str:
    snapshot, target = call.target.snapshot, call.target
    return (
        f"arn:aws:execute-api:{snapshot.region}:{snapshot.account_id}:{snapshot.api_id}/"
        f"{target.stage_name}/{call.request.method}/{target.path.lstrip('/')}"
    )


def request_context(call: Call, caller: Caller | None) -> dict[str, str]:
    headers = call.request.headers
    context = {
        "aws:SourceIp": call.request.remote_addr or "",
        "aws:SecureTransport": "true",
        "aws:CurrentTime": call.received.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(call.received.timestamp())),
        "aws:RequestedRegion": call.target.snapshot.region,
        "aws:UserAgent": headers.get("User-Agent", ""),
        **({"aws:Referer": headers["Referer"]} if "Referer" in headers else {}),
    }
    return {**context, **(caller.context() if caller else {})}


def received_request(call: Call) -> sigv4.Received:
    """The request as it came over the wire: the raw path (werkzeug's ``RAW_URI``), the raw query
    string, every header by its lower-case name, the body."""
    environ = call.request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or call.request.full_path
    raw = urlsplit(raw).path if "://" in raw.split("?", 1)[0] else raw.split("?", 1)[0]
    headers: dict[str, list[str]] = {}
    for name, value in call.request.headers.items():
        headers.setdefault(name.lower(), []).append(value)
    return sigv4.Received(
        method=call.request.method,
        path=raw,
        query=call.request.query_string.decode("latin-1"),
        headers=headers,
        body=call.body,
    )

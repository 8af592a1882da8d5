"""API Gateway REST APIs served over HTTP: every deployed stage, as AWS serves it.

Each region's listener (``regions.address_of(region)``, the emulator's port) serves that
region's APIs, picked by the Host header as on AWS:

- ``{api-id}.execute-api.{region}.amazonaws.com`` + ``/{stage}/...``: the default endpoint;
- a custom domain name (``api.<domain>``): its base path mappings;
- a bare address (``127.0.0.2``): ``/restapis/{api-id}/{stage}/_user_request_/...``, a form
  curl reaches without DNS (the emulator's stand-in for the default endpoint).

A request goes through what API Gateway does, in its order
(https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-data-transformations.html):
the stage's deployment (its snapshot, patches/apigateway_deployment_snapshot.py); the resource
and method (no match: ``MISSING_AUTHENTICATION_TOKEN``, 403, also for a method the resource
lacks); the API key when the method requires one (``x-api-key``: an enabled key bound to the
stage by a usage plan, else ``INVALID_API_KEY``, 403); the usage plan's throttle and quota,
the stage's method throttle, then the account's (``THROTTLED`` / ``QUOTA_EXCEEDED``, 429); the
request validator (``BAD_REQUEST_PARAMETERS`` / ``BAD_REQUEST_BODY``, 400, the body against the
method's model for its content type); the Lambda proxy integration (the resource policy must
let API Gateway invoke the function for this method's ARN, else 500; a function error, a
timeout or a malformed answer: 502). Errors are rendered with the API's deployed gateway
responses (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).

Each behaviour below follows the AWS sentence quoted with it:

- Disabled default endpoint: "Clients can still connect to your default endpoint, but they will
  receive a 403 Forbidden status code. Disabling the default endpoint affects all stages of the
  API. This setting takes affect when you update any setting on any stage"
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-disable-default-endpoint.html).
  The switch as the last stage change left it is patches/apigateway_default_endpoint.py's; the
  execute-api host and the bare address answer 403 ``{"message":"Forbidden"}`` (undocumented:
  assumed the body API Gateway gives a name it serves no API for), custom domains still serve.
- Routing: "When a proxy resource has non-proxy siblings, the sibling resources are excluded
  from the representation of the proxy resource. For the preceding examples, /{proxy+} refers
  to any resources under the root resource except for the /parent[/*] resources. In other
  words, a method request against a specific resource takes precedence over a method request
  against a generic resource at the same level of the resource hierarchy."
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-settings-method-request.html).
  The path is walked down the resource tree one segment at a time: a literal child, else a
  ``{param}`` child, else a ``{proxy+}`` child; a branch taken is never left for a sibling.
- Throttling: "API Gateway throttling-related settings are applied in the following order:
  ... Per-client throttling limits that you set in a usage plan; Default per-method limits and
  individual per-method limits that you set in API stage settings; Account-level throttling"
  and "By default, API Gateway limits the steady-state requests per second (RPS) across all APIs
  within an AWS account, per Region" (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html);
  the quota: "10,000 requests per second (RPS)" per account, per Region, "For the following
  Regions, the default throttle quota is 2500 RPS and the default burst quota is 1250 RPS"
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html). One account bucket
  per account and region (burst 5,000: the request-throttling page's "It limits the burst ...
  to 5,000 requests across all APIs within an AWS account") takes every request; a stage bucket
  only where the stage's method settings set a throttle.
- Usage-plan quota: "The time period in which the limit applies. Valid values are "DAY",
  "WEEK" or "MONTH"." (https://docs.aws.amazon.com/apigateway/latest/api/API_QuotaSettings.html).
  Undocumented: assumed periods are UTC calendar days, ISO weeks (from Monday) and calendar
  months; a quota without a period is counted per MONTH (the longest, so never more lenient).
- Integration timeout: "INTEGRATION_TIMEOUT | 504 | The gateway response for an integration
  timed out error." (supported-gateway-response-types.html) and "Integration timeout | 50
  milliseconds - 29 seconds for all integration types, including Lambda, Lambda proxy"
  (limits.html): past the integration's ``timeoutInMillis`` (default 29,000) the client gets
  504; the function is not stopped (Lambda's own timeout does that).
- Proxy response headers: "If you specify values for both headers and multiValueHeaders, API
  Gateway merges them into a single list. If the same key-value pair is specified in both, only
  the values from multiValueHeaders will appear in the merged list."
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html):
  read per header name (case-insensitive): a name in ``multiValueHeaders`` takes only its values.
- Binary responses: "To return binary media from an AWS Lambda proxy integration, base64 encode
  the response from your Lambda function. You must also configure your API's binary media
  types." and "API Gateway uses the first Accept header from clients to determine if a response
  should return binary media." (https://docs.aws.amazon.com/apigateway/latest/developerguide/lambda-proxy-binary-media.html):
  an ``isBase64Encoded`` body is decoded only when the first media range of the request's
  ``Accept`` matches one of the deployed API's ``binaryMediaTypes`` (``*/*`` matches all, a
  ``type/*`` entry its subtypes); otherwise the base64 text is the body.
- Gateway response templates: "A gateway response mapping template can access $context variable
  values and $stageVariables property values, as well as method request parameters, in the form
  of method.request.param-position.param-name" and "the customization is rendered in a non-VTL
  mapping template supporting only simple variable substitutions"
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html);
  the variables are the request context's (``$context.stage``, ``requestId``, ``apiId``,
  ``resourcePath``, ``httpMethod``, ``domainName``, ``identity.sourceIp`` ...,
  https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html)
  and ``$context.error.message`` / ``messageString`` / ``responseType``. Header mappings take a
  ``'literal'`` or ``method.request.{header|path|querystring}.name``
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.responseParameters.html).
  Undocumented: assumed an unknown or null variable renders as the empty string.

Not modelled: request payloads are passed as text when they are UTF-8 and base64 otherwise,
whatever the API's binary media types; gateway response templates other than
``application/json``; usage-plan quota offsets.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from local_aws import regions
from local_aws.dataplane.lambda_runtime import FunctionThrottled
from local_aws.iam_conditions import conditions_hold
from local_aws.patches.apigateway_default_endpoint import default_endpoint_disabled
from local_aws.patches.apigateway_deployment_snapshot import ApiSnapshot, GatewayResponse, Method, Resource

# Default status codes and messages of the gateway responses this data plane produces.
DEFAULT_RESPONSES: dict[str, tuple[int, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "INVALID_API_KEY": (403, "Forbidden"),
    "THROTTLED": (429, "Too Many Requests"),
    "QUOTA_EXCEEDED": (429, "Limit Exceeded"),
    "BAD_REQUEST_BODY": (400, "Invalid request body"),
    "BAD_REQUEST_PARAMETERS": (400, "Missing required request parameters"),
    "API_CONFIGURATION_ERROR": (500, "Internal server error"),
    "INTEGRATION_FAILURE": (504, "Internal server error"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long"),
}
# A Lambda proxy integration whose function fails, times out or answers in another shape
# gets 502 (https://docs.aws.amazon.com/apigateway/latest/developerguide/
# handle-errors-in-lambda-integration.html, "Malformed Lambda proxy response").
LAMBDA_ERROR = (502, "Internal server error")
# Lambda refused the invocation (throttled): "If the Lambda API rejects the invocation request, API
# Gateway returns a 500 error code" (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html).
LAMBDA_REFUSED = (500, "Internal server error")
# REST API payloads are limited to 10 MB (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html).
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
# The account's throttle per Region (rate, burst), and the Regions whose default is lower (limits.html).
ACCOUNT_LIMITS = (10_000.0, 5_000.0)
LOW_DEFAULT_ACCOUNT_LIMITS = (2_500.0, 1_250.0)
LOW_DEFAULT_REGIONS = frozenset(
    {
        "af-south-1",  # Africa (Cape Town)
        "eu-south-1",  # Europe (Milan)
        "ap-southeast-3",  # Asia Pacific (Jakarta)
        "me-central-1",  # Middle East (UAE)
        "ap-south-2",  # Asia Pacific (Hyderabad)
        "ap-southeast-4",  # Asia Pacific (Melbourne)
        "eu-south-2",  # Europe (Spain)
        "eu-central-2",  # Europe (Zurich)
        "il-central-1",  # Israel (Tel Aviv)
        "ca-west-1",  # Canada West (Calgary)
        "ap-southeast-5",  # Asia Pacific (Malaysia)
        "ap-southeast-7",  # Asia Pacific (Thailand)
        "mx-central-1",  # Mexico (Central)
    }
)
# strftime of the usage-plan quota's period: one count per value.
QUOTA_PERIODS = {"DAY": "%Y-%m-%d", "WEEK": "%G-W%V", "MONTH": "%Y-%m"}
_INVOKE_URI = re.compile(
    r"^arn:aws:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/(?P<fn>.+)/invocations$"
)
# $context.a.b, ${context.a.b}, $stageVariables.name in a gateway response template.
_TEMPLATE_VARIABLE = re.compile(r"\$(\{)?((?:context|stageVariables)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)(?(1)\})")


@dataclass(frozen=True)
class Target:
    """A request resolved to one deployed stage: ``path`` is the path inside the API."""

    snapshot: ApiSnapshot
    stage: Any  # moto Stage
    stage_name: str
    path: str
    domain_name: str
    custom_domain: bool = False


@dataclass
class Call:
    """One request on its way through a stage: what routing found, and the key once checked."""

    target: Target
    request: Request
    query: dict[str, str]
    body: bytes
    request_id: str
    received: datetime
    resource: Resource | None = None  # once routed
    method: Method | None = None
    path_parameters: dict[str, str] = field(default_factory=dict)
    api_key: Any = None  # the moto ApiKey, once the method required and got one


class TokenBucket:
    """API Gateway's throttle: a bucket of ``burst`` tokens refilled at ``rate`` per second
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html)."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._tokens, self._at = burst, clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


def account_limits(region: str) -> tuple[float, float]:
    """The account's default throttle (rate, burst) in ``region``."""
    return LOW_DEFAULT_ACCOUNT_LIMITS if region in LOW_DEFAULT_REGIONS else ACCOUNT_LIMITS


class Gateway:
    """The request pipeline of every REST API in one account set of moto backends."""

    def __init__(
        self,
        *,
        invoke: Callable[..., Any],
        backends: Callable[[], Iterable[tuple[str, str, Any]]] | None = None,
        lambda_policy: Callable[[str, str, str], list[dict[str, Any]]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``invoke(account_id=, region=, function=, event=, request_id=)`` runs a function
        (dataplane.lambda_runtime); ``backends()`` yields (account, region, APIGatewayBackend);
        ``lambda_policy(account, region, function)`` the function's resource-policy statements."""
        self._invoke = invoke
        self._backends = backends or _moto_backends
        self._lambda_policy = lambda_policy or _moto_lambda_policy
        self._clock = clock
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}
        self._quota: dict[tuple[str, str, str], int] = {}
        self._lock = threading.Lock()

    # --- routing -------------------------------------------------------------------
    def resolve(self, region: str, host: str, path: str) -> Target | None:
        host = host.split(":", 1)[0].lower().rstrip(".")
        for _, backend_region, backend in self._backends():
            if backend_region != region:
                continue
            target = self._resolve_in(backend, region, host, path)
            if target:
                return target
        return None

    def _resolve_in(self, backend: Any, region: str, host: str, path: str) -> Target | None:
        match = regions.EXECUTE_API_HOST.match(host)
        if match and match["region"] == region:
            stage_name, _, rest = path.lstrip("/").partition("/")
            return self._stage(backend, match["id"], stage_name, "/" + rest, host)
        if regions.region_at(host):
            parts = path.lstrip("/").split("/", 4)
            if len(parts) >= 4 and parts[0] == "restapis" and parts[3] == "_user_request_":
                rest = parts[4] if len(parts) > 4 else ""
                return self._stage(backend, parts[1], parts[2], "/" + rest, host)
            return None
        return self._custom_domain(backend, host, path)

    def _custom_domain(self, backend: Any, host: str, path: str) -> Target | None:
        """A custom domain's base path mappings: a named base path first, then ``(none)``
        (https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mappings.html)."""
        if host not in backend.domain_names:
            return None
        mappings = list(backend.base_path_mappings.get(host, {}).values())
        first, _, rest = path.lstrip("/").partition("/")
        named = [m for m in mappings if m.base_path not in ("(none)", "") and m.base_path == first]
        empty = [m for m in mappings if m.base_path in ("(none)", "")]
        if named:
            mapping, path = named[0], "/" + rest
        elif empty:
            mapping, path = empty[0], path or "/"
        else:
            return None
        return self._stage(backend, mapping.rest_api_id, mapping.stage, path, host, custom_domain=True)

    @staticmethod
    def _stage(
        backend: Any, api_id: str, stage_name: str, path: str, host: str, *, custom_domain: bool = False
    ) -> Target | None:
        """The stage's deployment, or None: no such stage, or the default endpoint disabled."""
        api = backend.apis.get(api_id)
        if api is None or (not custom_domain and default_endpoint_disabled(api)):
            return None
        stage = api.stages.get(stage_name)
        deployment = api.deployments.get(stage.deployment_id) if stage else None
        snapshot = getattr(deployment, "snapshot", None)
        if snapshot is None:
            return None
        return Target(snapshot, stage, stage_name, path, host, custom_domain)

    # --- the pipeline --------------------------------------------------------------
    def handle(self, region: str, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        target = self.resolve(region, request.host, request.path)
        if target is None:
            # No API or stage behind this name: API Gateway answers 403 {"message":"Forbidden"}.
            return _json(403, {"message": "Forbidden"}, request_id)
        call = Call(
            target=target,
            request=request,
            query=dict(parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True)),
            body=request.get_data(cache=True),
            request_id=request_id,
            received=datetime.now(UTC),
        )
        errors = _Errors(call)
        found = _match(target.snapshot, target.path, request.method)
        if found is None:
            return errors.respond("MISSING_AUTHENTICATION_TOKEN")
        call.resource, call.method, call.path_parameters = found
        refused = self._admit(call)
        if refused:
            return errors.respond(*refused)
        return self._integrate(call, errors)

    def _admit(self, call: Call) -> tuple[str, ...] | None:
        """API key, throttles, payload size and the request validator, in API Gateway's order:
        the gateway response type (and message) that refuses the call, or None."""
        if call.method.api_key_required:
            bound = self._api_key(call.target, call.request.headers.get("x-api-key", ""))
            if bound is None:
                return ("INVALID_API_KEY",)
            call.api_key, plan = bound
            limited = self._usage_plan_limits(plan, call.api_key)
            if limited:
                return (limited,)
        stage = self._stage_throttle(call.target, call.resource.path, call.method.http_method)
        if (stage and not stage.take()) or not self._account_throttle(call.target.snapshot).take():
            return ("THROTTLED",)
        if len(call.body) > MAX_PAYLOAD_BYTES:
            return ("REQUEST_TOO_LARGE",)
        return _validate(call)

    def _api_key(self, target: Target, value: str) -> tuple[Any, Any] | None:
        """The enabled key with this value and the usage plan that binds it to the stage
        (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html):
        one scan of the keys and plans per request."""
        if not value:
            return None
        backend = _backend(self._backends, target.snapshot)
        for key in list(backend.keys.values()):
            if key.value == value and key.enabled:
                plan = self._plan_of(backend, target, key.id)
                if plan is not None:
                    return key, plan
        return None

    @staticmethod
    def _plan_of(backend: Any, target: Target, key_id: str) -> Any | None:
        for plan_id, keys in list(backend.usage_plan_keys.items()):
            if key_id not in keys:
                continue
            plan = backend.usage_plans.get(plan_id)
            for stage in plan.api_stages if plan else []:
                if stage.get("apiId") == target.snapshot.api_id and stage.get("stage") == target.stage_name:
                    return plan
        return None

    def _usage_plan_limits(self, plan: Any, key: Any) -> str | None:
        """The plan's throttle and quota for this key: the refusal, or None."""
        throttle = plan.throttle or {}
        if throttle:
            bucket = self._bucket(
                ("plan", plan.id, key.id),
                float(throttle.get("rateLimit", 0) or 0),
                float(throttle.get("burstLimit", 0) or 0),
            )
            if not bucket.take():
                return "THROTTLED"
        quota = plan.quota or {}
        if quota.get("limit"):
            period_format = QUOTA_PERIODS.get(quota.get("period"), QUOTA_PERIODS["MONTH"])
            period = datetime.now(UTC).strftime(period_format)
            with self._lock:
                used = self._quota.get((plan.id, key.id, period), 0)
                if used >= int(quota["limit"]):
                    return "QUOTA_EXCEEDED"
                self._quota[(plan.id, key.id, period)] = used + 1
        return None

    def _stage_throttle(self, target: Target, resource_path: str, http_method: str) -> TokenBucket | None:
        """The stage's method settings: the most specific of ``{path}/{METHOD}`` and ``*/*``
        (https://docs.aws.amazon.com/apigateway/latest/api/API_MethodSetting.html); None when
        they set no throttle (the account's then applies alone)."""
        settings = target.stage.method_settings or {}
        specific = f"{resource_path.lstrip('/').replace('/', '~1')}/{http_method}"
        chosen = settings.get(specific) or settings.get("*/*") or {}
        if "throttlingRateLimit" not in chosen and "throttlingBurstLimit" not in chosen:
            return None
        default_rate, default_burst = account_limits(target.snapshot.region)
        rate = float(chosen.get("throttlingRateLimit", default_rate))
        burst = float(chosen.get("throttlingBurstLimit", default_burst))
        key = (
            "stage",
            target.snapshot.api_id,
            target.stage_name,
            specific if specific in settings else "*/*",
        )
        return self._bucket(key, rate, burst)

    def _account_throttle(self, snapshot: ApiSnapshot) -> TokenBucket:
        """The account's bucket in the API's region: one for all its APIs and stages."""
        key = ("account", snapshot.account_id, snapshot.region)
        return self._bucket(key, *account_limits(snapshot.region))

    def _bucket(self, key: tuple[str, ...], rate: float, burst: float) -> TokenBucket:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):
                bucket = self._buckets[key] = TokenBucket(rate, burst, self._clock)
            return bucket

    def _integrate(self, call: Call, errors: _Errors) -> Response:
        integration = call.method.integration
        match = _INVOKE_URI.match(integration.uri) if integration else None
        if integration is None or integration.type != "AWS_PROXY" or match is None:
            return errors.respond("API_CONFIGURATION_ERROR")
        snapshot = call.target.snapshot
        function = match["fn"]
        source_arn = (
            f"arn:aws:execute-api:{snapshot.region}:{snapshot.account_id}:{snapshot.api_id}/"
            f"{call.target.stage_name}/{call.request.method}{call.resource.path}"
        )
        policy = self._lambda_policy(snapshot.account_id, snapshot.region, function)
        if not _may_invoke(policy, source_arn, snapshot.account_id):
            # Execution log: "Invalid permissions on Lambda function".
            return errors.respond("API_CONFIGURATION_ERROR")
        return self._call_function(call, function, integration.timeout_ms / 1000, errors)

    def _call_function(self, call: Call, function: str, timeout: float, errors: _Errors) -> Response:
        """The Lambda proxy call within the integration's timeout, and what the client gets."""
        snapshot = call.target.snapshot
        event = proxy_event(call)
        try:
            invocation = _within(
                timeout,
                lambda: self._invoke(
                    account_id=snapshot.account_id,
                    region=snapshot.region,
                    function=function,
                    event=event,
                    request_id=call.request_id,
                ),
            )
        except TimeoutError:  # the integration timed out; the function goes on until its own timeout
            return errors.respond("INTEGRATION_TIMEOUT")
        except LookupError:  # the function is gone (lambda_runtime.FunctionNotFound)
            return errors.respond("API_CONFIGURATION_ERROR")
        except FunctionThrottled:  # Lambda's TooManyRequestsException
            return errors.lambda_error(LAMBDA_REFUSED)
        if invocation.status != "ok":
            return errors.lambda_error()
        return _proxy_response(invocation.payload, call, errors)


def _within(seconds: float, work: Callable[[], Any]) -> Any:
    """``work()`` run on a thread of its own: its result, or TimeoutError after ``seconds``
    (``work`` then goes on, unwatched)."""
    done: Future[Any] = Future()

    def run() -> None:
        try:
            done.set_result(work())
        except BaseException as error:  # handed to the waiting request
            done.set_exception(error)

    threading.Thread(target=run, name="integration", daemon=True).start()
    return done.result(timeout=seconds)


class _Errors:
    """API Gateway's own answers, through the API's deployed gateway responses."""

    def __init__(self, call: Call) -> None:
        self.call = call

    @property
    def request_id(self) -> str:
        return self.call.request_id

    def respond(self, kind: str, message: str | None = None) -> Response:
        status, default_message = DEFAULT_RESPONSES[kind]
        family = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
        responses = self.call.target.snapshot.gateway_responses
        custom: GatewayResponse | None = responses.get(kind) or responses.get(family)
        return self._render(kind, status, message or default_message, custom)

    def lambda_error(self, answer: tuple[int, str] = LAMBDA_ERROR) -> Response:
        status, message = answer
        custom = self.call.target.snapshot.gateway_responses.get("DEFAULT_5XX")
        return self._render("DEFAULT_5XX", status, message, custom)

    def _render(self, kind: str, status: int, message: str, custom: GatewayResponse | None) -> Response:
        body = json.dumps({"message": message})
        headers: dict[str, str] = {}
        if custom is not None:
            variables = _variables(self.call, kind, message)
            status = custom.status_code or status
            template = custom.templates.get("application/json")
            if template is not None:
                body = _TEMPLATE_VARIABLE.sub(lambda found: variables.get(found[2], ""), template)
            for name, expression in custom.parameters.items():
                if name.startswith("gatewayresponse.header."):
                    headers[name.removeprefix("gatewayresponse.header.")] = _mapped(expression, variables)
        response = Response(body, status=status, content_type="application/json")
        response.headers.update(headers)
        response.headers["x-amzn-RequestId"] = self.request_id
        response.headers["x-amzn-ErrorType"] = kind
        return response


def _variables(call: Call, kind: str, message: str) -> dict[str, str]:
    """What a gateway response can map, by name: ``context.*`` (the request context and the
    error), ``stageVariables.*`` and ``method.request.{path,querystring,header}.*`` (header
    names in lower case)."""
    variables = _flattened("context", request_context(call))
    variables["context.error.message"] = message
    variables["context.error.messageString"] = json.dumps(message)
    variables["context.error.responseType"] = kind
    sources = {
        "stageVariables": call.target.stage.variables or {},
        "method.request.path": call.path_parameters,
        "method.request.querystring": call.query,
        "method.request.header": {name.lower(): value for name, value in call.request.headers.items()},
    }
    for prefix, values in sources.items():
        variables.update({f"{prefix}.{name}": str(value) for name, value in values.items()})
    return variables


def _flattened(prefix: str, document: dict[str, Any]) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            flat.update(_flattened(f"{prefix}.{key}", value))
        else:
            flat[f"{prefix}.{key}"] = "" if value is None else str(value)
    return flat


def _mapped(expression: str, variables: dict[str, str]) -> str:
    """A header mapping's value: a ``'literal'``, or a variable's value (empty if unknown)."""
    if len(expression) >= 2 and expression[0] == expression[-1] == "'":
        return expression[1:-1]
    if expression.startswith("method.request.header."):
        expression = "method.request.header." + expression.removeprefix("method.request.header.").lower()
    return variables.get(expression, "")


def _match(
    snapshot: ApiSnapshot, path: str, http_method: str
) -> tuple[Resource, Method, dict[str, str]] | None:
    """The resource for ``path``, walked down the resource tree, and its method (``ANY`` when
    the exact one is missing)."""
    children: dict[str, list[Resource]] = {}
    resource = None
    for candidate in snapshot.resources:
        if candidate.path == "/":
            resource = candidate
        else:
            children.setdefault(candidate.path.rsplit("/", 1)[0] or "/", []).append(candidate)
    segments = [s for s in path.split("/") if s]
    parameters: dict[str, str] = {}
    for index, segment in enumerate(segments):
        resource = _child(children.get(resource.path, []), segment) if resource else None
        if resource is None:
            return None
        part = resource.path.rsplit("/", 1)[1]
        if part.endswith("+}"):
            parameters[part[1:-2]] = "/".join(segments[index:])
            break
        if part.startswith("{"):
            parameters[part[1:-1]] = segment
    method = (resource.methods.get(http_method) or resource.methods.get("ANY")) if resource else None
    return (resource, method, parameters) if resource and method else None


def _child(children: list[Resource], segment: str) -> Resource | None:
    """The child that takes ``segment``: the literal one, else a ``{param}``, else a ``{proxy+}``."""
    by_part = {child.path.rsplit("/", 1)[1]: child for child in children}
    if segment in by_part:
        return by_part[segment]
    single = [child for part, child in by_part.items() if part.startswith("{") and not part.endswith("+}")]
    greedy = [child for part, child in by_part.items() if part.endswith("+}")]
    return (single + greedy + [None])[0]


def _validate(call: Call) -> tuple[str, str] | None:
    """The method's request validator (https://docs.aws.amazon.com/apigateway/latest/developerguide/
    api-gateway-method-request-validation.html): required parameters present, then the body
    against the model mapped to its content type (or ``$default``)."""
    method, request, body = call.method, call.request, call.body
    query, path_parameters, snapshot = call.query, call.path_parameters, call.target.snapshot
    if method.validate_parameters:
        sources: dict[str, Any] = {"querystring": query, "path": path_parameters, "header": request.headers}
        missing = []
        for name, required in method.request_parameters.items():
            # "method.request.querystring.limit": where, then the parameter's name.
            _, _, where, parameter = name.split(".", 3)
            if required and not sources.get(where, {}).get(parameter):
                missing.append(parameter)
        if missing:
            return "BAD_REQUEST_PARAMETERS", f"Missing required request parameters: [{', '.join(missing)}]"
    if method.validate_body and method.request_models:
        content_type = (request.mimetype or "application/json").lower()
        model = method.request_models.get(content_type) or method.request_models.get("$default")
        if model is not None:
            from jsonschema import Draft4Validator  # noqa: PLC0415 - only when a body is validated

            try:
                document = json.loads(body or b"null")
            except ValueError:
                return "BAD_REQUEST_BODY", "Invalid request body"
            errors = list(Draft4Validator(snapshot.models.get(model, {})).iter_errors(document))
            if errors:
                return "BAD_REQUEST_BODY", "Invalid request body"
    return None


def _may_invoke(statements: list[dict[str, Any]], source_arn: str, account_id: str) -> bool:
    """The function's resource policy lets API Gateway invoke it for ``source_arn``
    (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html#apigateway-permissions):
    an Allow for ``apigateway.amazonaws.com`` and ``lambda:InvokeFunction`` whose every condition
    holds for the request's ``aws:SourceArn`` and ``aws:SourceAccount`` (any other condition key
    or operator never holds: iam_conditions.py)."""
    context = {"aws:sourcearn": source_arn, "aws:sourceaccount": account_id}
    for statement in statements:
        actions = statement.get("Action")
        actions = [actions] if isinstance(actions, str) else actions or []
        principal = statement.get("Principal") or {}
        service = principal.get("Service") if isinstance(principal, dict) else principal
        services = [service] if isinstance(service, str) else service or []
        if statement.get("Effect", "Allow") != "Allow" or "apigateway.amazonaws.com" not in services:
            continue
        if not any(a in ("lambda:InvokeFunction", "lambda:*") for a in actions):
            continue
        if conditions_hold(statement.get("Condition") or {}, context):
            return True
    return False


def request_context(call: Call) -> dict[str, Any]:
    """The request's ``$context`` variables, as the proxy event's ``requestContext`` map carries
    them ("the key is the name of a $context variable property, and the value is the value of
    that property", set-up-lambda-proxy-integrations.html)."""
    target, request, api_key, resource = call.target, call.request, call.api_key, call.resource
    snapshot = target.snapshot
    return {
        "accountId": snapshot.account_id,
        "apiId": snapshot.api_id,
        "domainName": target.domain_name,
        "domainPrefix": target.domain_name.split(".", 1)[0],
        "extendedRequestId": call.request_id,
        "httpMethod": request.method,
        "identity": {
            "apiKey": api_key.value if api_key else None,
            "apiKeyId": api_key.id if api_key else None,
            "sourceIp": request.remote_addr,
            "userAgent": request.headers.get("User-Agent"),
        },
        # The default endpoint's path has the stage; a custom domain's is the path as requested.
        "path": request.path if target.custom_domain else f"/{target.stage_name}{target.path}",
        "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        "requestId": call.request_id,
        "requestTime": call.received.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(call.received.timestamp() * 1000),
        "resourceId": resource.id if resource else None,
        "resourcePath": resource.path if resource else None,
        "stage": target.stage_name,
    }


def proxy_event(call: Call) -> dict[str, Any]:
    """The REST API (v1) Lambda proxy input (https://docs.aws.amazon.com/apigateway/latest/
    developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format)."""
    target, request, body = call.target, call.request, call.body
    headers = {name: value for name, value in request.headers.items()}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        multi_headers.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True):
        multi_query.setdefault(name, []).append(value)
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    return {
        "resource": call.resource.path,
        # The default endpoint's path has no stage; a custom domain's is the path as requested.
        "path": request.path if target.custom_domain else target.path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": call.query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": call.path_parameters or None,
        "stageVariables": dict(target.stage.variables or {}) or None,
        "requestContext": request_context(call),
        "body": (text if text else None) if body else None,
        "isBase64Encoded": encoded,
    }


def _proxy_response(payload: Any, call: Call, errors: _Errors) -> Response:
    """The Lambda proxy output format: ``statusCode``, ``headers``, ``multiValueHeaders``,
    ``body`` (a string), ``isBase64Encoded``; anything else is a malformed response (502)."""
    if not isinstance(payload, dict):
        return errors.lambda_error()
    try:
        status = int(payload.get("statusCode", 200))
        headers = _merged_headers(payload)
    except (TypeError, ValueError, AttributeError):
        return errors.lambda_error()
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        return errors.lambda_error()
    data: bytes | str = body or ""
    if payload.get("isBase64Encoded") and body and _binary_accepted(call):
        try:
            data = base64.b64decode(body)
        except ValueError:
            return errors.lambda_error()
    response = Response(data, status=status)
    response.headers.pop("Content-Type", None)
    for name, value in headers:
        response.headers.add(name, value)
    if "Content-Type" not in response.headers:
        response.headers["Content-Type"] = "application/json"
    response.headers["x-amzn-RequestId"] = errors.request_id
    return response


def _merged_headers(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """``headers`` and ``multiValueHeaders`` merged: a name in both keeps only the latter's values."""
    multi = payload.get("multiValueHeaders") or {}
    named = {name.lower() for name in multi}
    pairs = [(name, str(value)) for name, value in (payload.get("headers") or {}).items()]
    pairs = [(name, value) for name, value in pairs if name.lower() not in named]
    return pairs + [(name, str(value)) for name, values in multi.items() for value in values]


def _binary_accepted(call: Call) -> bool:
    """The request's first ``Accept`` media range is one of the API's binary media types."""
    first = call.request.headers.get("Accept", "").split(",", 1)[0].split(";", 1)[0].strip().lower()
    types = call.target.snapshot.binary_media_types
    return bool(first) and any(fnmatch.fnmatchcase(first, kind.lower()) for kind in types)


def _json(status: int, document: dict[str, Any], request_id: str) -> Response:
    response = Response(json.dumps(document), status=status, content_type="application/json")
    response.headers["x-amzn-RequestId"] = request_id
    return response


def _moto_backends() -> Iterable[tuple[str, str, Any]]:
    from moto.apigateway.models import apigateway_backends  # noqa: PLC0415 - after the patches

    for account_id, by_region in list(apigateway_backends.items()):
        for region, backend in list(by_region.items()):
            yield account_id, region, backend


def _backend(backends: Callable[[], Iterable[tuple[str, str, Any]]], snapshot: ApiSnapshot) -> Any:
    for account_id, region, backend in backends():
        if account_id == snapshot.account_id and region == snapshot.region:
            return backend
    raise LookupError(f"no API Gateway backend for {snapshot.account_id} in {snapshot.region}")


def _moto_lambda_policy(account_id: str, region: str, function: str) -> list[dict[str, Any]]:
    from moto.awslambda.models import lambda_backends  # noqa: PLC0415

    try:
        fn = lambda_backends[account_id][region].get_function(function)
    except Exception:  # a missing function: a configuration error (500), as on AWS
        return []
    return list(fn.policy.statements) if fn.policy else []


class Listeners:
    """One HTTP listener per region on its loopback address; an outage closes it (clients
    and health checkers then get "connection refused", as from an unreachable region)."""

    def __init__(self, gateway: Gateway, port: int, region_names: Iterable[str]) -> None:
        self.gateway, self.port = gateway, port
        self.region_names = list(region_names)
        self._servers: dict[str, tuple[BaseWSGIServer, threading.Thread]] = {}
        self._lock = threading.Lock()

    def _app(self, region: str) -> Callable[..., Any]:
        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            return self.gateway.handle(region, Request(environ))(environ, start_response)

        return app

    def start(self, region: str | None = None) -> None:
        for name in [region] if region else self.region_names:
            with self._lock:
                if name in self._servers:
                    continue
                server = make_server(regions.address_of(name), self.port, self._app(name), threaded=True)
                thread = threading.Thread(target=server.serve_forever, name=f"api-{name}", daemon=True)
                thread.start()
                self._servers[name] = (server, thread)

    def stop(self, region: str | None = None) -> None:
        """Close ``region``'s listener (all when None), the listeners side by side: each
        ``shutdown`` waits up to werkzeug's 0.5 s poll."""
        with self._lock:
            names = [region] if region else list(self._servers)
            entries = [self._servers.pop(name) for name in names if name in self._servers]
        closers = [threading.Thread(target=server.shutdown) for server, _ in entries]
        for closer in closers:
            closer.start()
        for closer in closers:
            closer.join()
        for server, thread in entries:
            server.server_close()
            thread.join(timeout=5)

    def serving(self) -> list[str]:
        with self._lock:
            return sorted(self._servers)

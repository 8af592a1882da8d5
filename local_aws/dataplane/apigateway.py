"""API Gateway REST APIs served over HTTP: every deployed stage, as AWS serves it.

Each region's listener (``regions.address_of(region)``, the emulator's port) serves that
region's APIs, picked by the Host header as on AWS:

- ``{api-id}.execute-api.{region}.amazonaws.com`` + ``/{stage}/...``: the default endpoint;
- a custom domain name (``api.<domain>``): its base path mappings;
- a bare address (``127.0.0.2``): ``/restapis/{api-id}/{stage}/_user_request_/...``, a form
  curl reaches without DNS.

A request goes through what API Gateway does, in its order
(https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-data-transformations.html):
the stage's deployment (its snapshot, patches/apigateway_deployment_snapshot.py); the resource
and method (no match: ``MISSING_AUTHENTICATION_TOKEN``, 403, also for a method the resource
lacks); the API key when the method requires one (``x-api-key``: an enabled key bound to the
stage by a usage plan, else ``INVALID_API_KEY``, 403); the usage plan's throttle and quota,
then the stage's method throttle (``THROTTLED`` / ``QUOTA_EXCEEDED``, 429); the request
validator (``BAD_REQUEST_PARAMETERS`` / ``BAD_REQUEST_BODY``, 400, the body against the
method's model for its content type); the Lambda proxy integration (the resource policy must
let API Gateway invoke the function for this method's ARN, else 500; a function error, a
timeout or a malformed answer: 502). Errors are rendered with the API's deployed gateway
responses (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).
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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from local_aws.dataplane import regions
from local_aws.patches.apigateway_deployment_snapshot import ApiSnapshot, GatewayResponse, Method

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
# REST API payloads are limited to 10 MB (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html).
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
_INVOKE_URI = re.compile(
    r"^arn:aws:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/(?P<fn>.+)/invocations$"
)
_ERROR_STRING = "$context.error.messageString"


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
    resource: Any  # patches.apigateway_deployment_snapshot.Resource
    method: Method
    path_parameters: dict[str, str]
    query: dict[str, str]
    body: bytes
    request_id: str
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
        api = backend.apis.get(api_id)
        stage = api.stages.get(stage_name) if api else None
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
        errors = _Errors(target.snapshot, request_id)
        found = _match(target.snapshot, target.path, request.method)
        if found is None:
            return errors.respond("MISSING_AUTHENTICATION_TOKEN")
        resource, method, path_parameters = found
        call = Call(
            target=target,
            request=request,
            resource=resource,
            method=method,
            path_parameters=path_parameters,
            query=dict(parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True)),
            body=request.get_data(cache=True),
            request_id=request_id,
        )
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
        if not self._stage_throttle(call.target, call.resource.path, call.method.http_method).take():
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
            period = datetime.now(UTC).strftime(
                "%Y-%m-%d" if quota.get("period", "DAY") == "DAY" else "%Y-%W"
            )
            with self._lock:
                used = self._quota.get((plan.id, key.id, period), 0)
                if used >= int(quota["limit"]):
                    return "QUOTA_EXCEEDED"
                self._quota[(plan.id, key.id, period)] = used + 1
        return None

    def _stage_throttle(self, target: Target, resource_path: str, http_method: str) -> TokenBucket:
        """The stage's method settings: the most specific of ``{path}/{METHOD}`` and ``*/*``
        (https://docs.aws.amazon.com/apigateway/latest/api/API_MethodSetting.html)."""
        settings = target.stage.method_settings or {}
        specific = f"{resource_path.lstrip('/').replace('/', '~1')}/{http_method}"
        chosen = settings.get(specific) or settings.get("*/*") or {}
        # Unset: the account's default, 10,000 requests per second with a burst of 5,000.
        rate = float(chosen.get("throttlingRateLimit", 10_000))
        burst = float(chosen.get("throttlingBurstLimit", 5_000))
        key = (
            "stage",
            target.snapshot.api_id,
            target.stage_name,
            specific if specific in settings else "*/*",
        )
        return self._bucket(key, rate, burst)

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
        if not _may_invoke(self._lambda_policy(snapshot.account_id, snapshot.region, function), source_arn):
            # Execution log: "Invalid permissions on Lambda function".
            return errors.respond("API_CONFIGURATION_ERROR")
        try:
            invocation = self._invoke(
                account_id=snapshot.account_id,
                region=snapshot.region,
                function=function,
                event=proxy_event(call),
                request_id=call.request_id,
            )
        except LookupError:  # the function is gone (lambda_runtime.FunctionNotFound)
            return errors.respond("API_CONFIGURATION_ERROR")
        if invocation.status != "ok":
            return errors.lambda_error()
        return _proxy_response(invocation.payload, errors)


class _Errors:
    """API Gateway's own answers, through the API's deployed gateway responses."""

    def __init__(self, snapshot: ApiSnapshot, request_id: str) -> None:
        self.snapshot, self.request_id = snapshot, request_id

    def respond(self, kind: str, message: str | None = None) -> Response:
        status, default_message = DEFAULT_RESPONSES[kind]
        family = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
        responses = self.snapshot.gateway_responses
        custom: GatewayResponse | None = responses.get(kind) or responses.get(family)
        return self._render(kind, status, message or default_message, custom)

    def lambda_error(self) -> Response:
        status, message = LAMBDA_ERROR
        return self._render(
            "DEFAULT_5XX", status, message, self.snapshot.gateway_responses.get("DEFAULT_5XX")
        )

    def _render(self, kind: str, status: int, message: str, custom: GatewayResponse | None) -> Response:
        body = json.dumps({"message": message})
        headers: dict[str, str] = {}
        if custom is not None:
            status = custom.status_code or status
            template = custom.templates.get("application/json")
            if template is not None:
                body = (
                    template.replace(_ERROR_STRING, json.dumps(message))
                    .replace("$context.error.message", message)
                    .replace("$context.error.responseType", kind)
                    .replace("$context.requestId", self.request_id)
                )
            for name, value in custom.parameters.items():
                if name.startswith("gatewayresponse.header."):
                    headers[name.removeprefix("gatewayresponse.header.")] = value.strip("'")
        response = Response(body, status=status, content_type="application/json")
        response.headers.update(headers)
        response.headers["x-amzn-RequestId"] = self.request_id
        response.headers["x-amzn-ErrorType"] = kind
        return response


def _match(snapshot: ApiSnapshot, path: str, http_method: str) -> tuple[Any, Method, dict[str, str]] | None:
    """The resource for ``path`` (literal segments before ``{param}``, ``{proxy+}`` last) and
    its method (``ANY`` when the exact one is missing)."""
    segments = [s for s in path.split("/") if s] if path not in ("", "/") else []
    best: tuple[tuple[int, ...], Any, dict[str, str]] | None = None
    for resource in snapshot.resources:
        parameters = _path_match(resource.path, segments)
        if parameters is None:
            continue
        parts = [s for s in resource.path.split("/") if s]
        rank = tuple(0 if not p.startswith("{") else (2 if p.endswith("+}") else 1) for p in parts)
        if best is None or rank < best[0]:
            best = (rank, resource, parameters)
    if best is None:
        return None
    _, resource, parameters = best
    method = resource.methods.get(http_method) or resource.methods.get("ANY")
    return (resource, method, parameters) if method else None


def _path_match(template: str, segments: list[str]) -> dict[str, str] | None:
    parts = [s for s in template.split("/") if s]
    parameters: dict[str, str] = {}
    for index, part in enumerate(parts):
        if part.startswith("{") and part.endswith("+}"):
            if index >= len(segments):
                return None
            parameters[part[1:-2]] = "/".join(segments[index:])
            return parameters
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            parameters[part[1:-1]] = segments[index]
        elif part != segments[index]:
            return None
    return parameters if len(parts) == len(segments) else None


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


def _may_invoke(statements: list[dict[str, Any]], source_arn: str) -> bool:
    """The function's resource policy lets API Gateway invoke it for ``source_arn``
    (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html#apigateway-permissions)."""
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
        conditions = statement.get("Condition") or {}
        patterns = [
            value
            for operator, entries in conditions.items()
            if operator in ("ArnLike", "ArnEquals", "StringLike", "StringEquals")
            for key, value in entries.items()
            if key.lower() == "aws:sourcearn"
        ]
        if not patterns or any(fnmatch.fnmatchcase(source_arn, p) for v in patterns for p in _listed(v)):
            return True
    return False


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def proxy_event(call: Call) -> dict[str, Any]:
    """The REST API (v1) Lambda proxy input (https://docs.aws.amazon.com/apigateway/latest/
    developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format)."""
    target, request, body, api_key = call.target, call.request, call.body, call.api_key
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
    now = datetime.now(UTC)
    snapshot = target.snapshot
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
        "requestContext": {
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
            "path": request.path if target.custom_domain else f"/{target.stage_name}{target.path}",
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "requestId": call.request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "resourceId": call.resource.id,
            "resourcePath": call.resource.path,
            "stage": target.stage_name,
        },
        "body": (text if text else None) if body else None,
        "isBase64Encoded": encoded,
    }


def _proxy_response(payload: Any, errors: _Errors) -> Response:
    """The Lambda proxy output format: ``statusCode``, ``headers``, ``multiValueHeaders``,
    ``body`` (a string), ``isBase64Encoded``; anything else is a malformed response (502)."""
    if not isinstance(payload, dict):
        return errors.lambda_error()
    try:
        status = int(payload.get("statusCode", 200))
    except (TypeError, ValueError):
        return errors.lambda_error()
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        return errors.lambda_error()
    data: bytes | str = body or ""
    if payload.get("isBase64Encoded") and body:
        try:
            data = base64.b64decode(body)
        except ValueError:
            return errors.lambda_error()
    response = Response(data, status=status)
    response.headers.pop("Content-Type", None)
    for name, value in (payload.get("headers") or {}).items():
        response.headers[name] = str(value)
    for name, values in (payload.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.add(name, str(value))
    if "Content-Type" not in response.headers:
        response.headers["Content-Type"] = "application/json"
    response.headers["x-amzn-RequestId"] = errors.request_id
    return response


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

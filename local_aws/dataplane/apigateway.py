"""API Gateway REST APIs served over HTTP: every deployed stage, as AWS serves it.

Each region's listener (``regions.address_of(region)``, the emulator's port) serves that region's
APIs. A request goes through what API Gateway does, in its order
(https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-data-transformations.html),
each step in a module of its own:

- the stage, by Host header and path, and its deployment's snapshot; the resource and method
  (no match: ``MISSING_AUTHENTICATION_TOKEN``, 403, also for a method the resource lacks):
  ``apigateway_routing.py``;
- the method's authorization: AWS_IAM (a SigV4 signature by a known key, then ``execute-api:Invoke``
  under the caller's policies and the API's resource policy) or, without it, the resource policy
  alone (``MISSING_AUTHENTICATION_TOKEN`` / ``INVALID_SIGNATURE`` / ``EXPIRED_TOKEN`` /
  ``ACCESS_DENIED``, 403): ``apigateway_auth.py``;
- the API key when the method requires one (``x-api-key``: an enabled key bound to the stage by
  a usage plan, else ``INVALID_API_KEY``, 403); the usage plan's throttle and quota, the stage's
  method throttle, then the account's (``THROTTLED`` / ``QUOTA_EXCEEDED``, 429):
  ``apigateway_usage.py``;
- the payload limit (``REQUEST_TOO_LARGE``, 413) and the request validator
  (``BAD_REQUEST_PARAMETERS`` / ``BAD_REQUEST_BODY``, 400, the body against the method's model for
  its content type): here;
- the Lambda proxy integration (the resource policy must let API Gateway invoke the function for
  this method's ARN, else 500; a function error, a timeout or a malformed answer: 502):
  ``apigateway_integration.py``;
- errors rendered with the API's deployed gateway responses
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html):
  ``apigateway_responses.py``;
- each request's ``AWS/ApiGateway`` metrics (Count, 4XXError, 5XXError, Latency,
  IntegrationLatency) in the API's region: ``apigateway_metrics.py``.

REST API payloads are limited to 10 MB ("Payload size / 10 MB",
https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html). An outage closes the
region's listener (``Listeners``): clients get "connection refused", as from an unreachable region.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from local_aws import regions
from local_aws.dataplane import apigateway_metrics as metrics
from local_aws.dataplane import apigateway_routing as routing
from local_aws.dataplane.apigateway_auth import Credentials, authorize
from local_aws.dataplane.apigateway_credentials import moto_caller
from local_aws.dataplane.apigateway_integration import integrate
from local_aws.dataplane.apigateway_responses import GatewayErrors, json_response
from local_aws.dataplane.apigateway_routing import Call
from local_aws.dataplane.apigateway_usage import Usage

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024


class Gateway:
    """The request pipeline of every REST API in one account set of moto backends."""

    def __init__(
        self,
        *,
        invoke: Callable[..., Any],
        backends: Callable[[], Iterable[tuple[str, str, Any]]] | None = None,
        lambda_policy: Callable[[str, str, str], list[dict[str, Any]]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        credentials: Credentials | None = None,
    ) -> None:
        """``invoke(account_id=, region=, function=, event=, request_id=)`` runs a function
        (dataplane.lambda_runtime); ``backends()`` yields (account, region, APIGatewayBackend);
        ``lambda_policy(account, region, function)`` the function's resource-policy statements;
        ``credentials(access_key, token, now)`` the IAM caller behind a key (moto's IAM and STS)."""
        self._invoke = invoke
        self._backends = backends or _moto_backends
        self._lambda_policy = lambda_policy or _moto_lambda_policy
        self._credentials = credentials or moto_caller
        self._usage = Usage(self._backends, clock)
        self.metric_errors = 0  # datapoints that could not be put (moto refused them)

    def handle(self, region: str, request: Request) -> Response:
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        target = routing.resolve(self._backends(), region, request.host, request.path)
        if target is None:
            # No API or stage behind this name: API Gateway answers 403 {"message":"Forbidden"}
            # (no API to publish metrics for).
            return json_response(403, {"message": "Forbidden"}, request_id)
        call = Call(
            target=target,
            request=request,
            query=dict(parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True)),
            body=request.get_data(cache=True),
            request_id=request_id,
            received=datetime.now(UTC),
        )
        response, integration_ms = self._serve(call)
        served = metrics.Served(
            status=response.status_code,
            latency_ms=(time.monotonic() - started) * 1000,
            integration_latency_ms=integration_ms,
            resource_path=call.resource.path if call.resource else None,
            http_method=request.method if call.resource else None,
        )
        try:
            metrics.publish(target, served)
        except Exception:  # a metric that could not be put never changes the client's answer
            self.metric_errors += 1
        return response

    def _serve(self, call: Call) -> tuple[Response, float | None]:
        """The answer, and how long the integration step took (None: not reached)."""
        errors = GatewayErrors(call)
        found = routing.match(call.target.snapshot, call.target.path, call.request.method)
        if found is None:
            return errors.respond("MISSING_AUTHENTICATION_TOKEN"), None
        call.resource, call.method, call.path_parameters = found
        refused = self._admit(call)
        if refused:
            return errors.respond(*refused), None
        relayed = time.monotonic()
        response = integrate(call, errors, self._invoke, self._lambda_policy)
        return response, (time.monotonic() - relayed) * 1000

    def _admit(self, call: Call) -> tuple[str, ...] | None:
        """Authorization, API key, throttles, payload size and the request validator, in API
        Gateway's order: the gateway response type (and message, x-amzn-ErrorType) that refuses
        the call, or None."""
        refused = authorize(call, self._credentials)
        if refused:
            return refused
        limited = self._usage.admit(call)
        if limited:
            return (limited,)
        if len(call.body) > MAX_PAYLOAD_BYTES:
            return ("REQUEST_TOO_LARGE",)
        return _validate(call)


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


def _moto_backends() -> Iterable[tuple[str, str, Any]]:
    from moto.apigateway.models import apigateway_backends  # noqa: PLC0415 - after the patches

    for account_id, by_region in list(apigateway_backends.items()):
        for region, backend in list(by_region.items()):
            yield account_id, region, backend


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

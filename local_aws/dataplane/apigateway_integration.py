"""API Gateway's Lambda proxy integration: the invoke permission, the proxy event, the call within
the integration's timeout, and what the client gets back.

- Invoke permission: "Amazon API Gateway gets permission to invoke your function from the
  function's resource-based policy."
  (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html). The function's policy
  is evaluated by the emulator's one IAM evaluator (local_aws/iam_policy.py) for the principal
  ``apigateway.amazonaws.com``, ``lambda:InvokeFunction`` on the function's ARN, with the
  request's ``aws:SourceArn`` (``arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}{path}``)
  and ``aws:SourceAccount``; any other condition key or an unknown operator grants nothing.
  Without it: API_CONFIGURATION_ERROR 500 (execution log: "Invalid permissions on Lambda function").
- Integration timeout: "INTEGRATION_TIMEOUT | 504 | The gateway response for an integration
  timed out error." (supported-gateway-response-types.html) and "Integration timeout | 50
  milliseconds - 29 seconds for all integration types, including Lambda, Lambda proxy"
  (limits.html): past the integration's ``timeoutInMillis`` (default 29,000) the client gets
  504; the function is not stopped (Lambda's own timeout does that).
- A function error, a crash, a Lambda timeout or a malformed answer: 502; a throttled invocation
  ("If the Lambda API rejects the invocation request, API Gateway returns a 500 error code",
  https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html): 500.
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

Not modelled: request payloads are passed as text when they are UTF-8 and base64 otherwise,
whatever the API's binary media types.
"""

from __future__ import annotations

import base64
import fnmatch
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Response

from local_aws.dataplane.apigateway_responses import GatewayErrors
from local_aws.dataplane.apigateway_routing import Call, request_context
from local_aws.dataplane.lambda_runtime import FunctionThrottled
from local_aws.iam_policy import PermissionResult, Request, evaluate

# Lambda refused the invocation (throttled): API Gateway answers 500 (services-apigateway-errors.html).
LAMBDA_REFUSED = (500, "Internal server error")
INVOKER = ("Service", "apigateway.amazonaws.com")
_INVOKE_URI = re.compile(
    r"^arn:aws:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/(?P<fn>.+)/invocations$"
)


def integrate(
    call: Call,
    errors: GatewayErrors,
    invoke: Callable[..., Any],
    lambda_policy: Callable[[str, str, str], list[dict[str, Any]]],
) -> Response:
    """The method's integration: only a Lambda proxy (``AWS_PROXY``) one is served."""
    integration = call.method.integration
    found = _INVOKE_URI.match(integration.uri) if integration else None
    if integration is None or integration.type != "AWS_PROXY" or found is None:
        return errors.respond("API_CONFIGURATION_ERROR")
    snapshot = call.target.snapshot
    function = found["fn"]
    source_arn = (
        f"arn:aws:execute-api:{snapshot.region}:{snapshot.account_id}:{snapshot.api_id}/"
        f"{call.target.stage_name}/{call.request.method}{call.resource.path}"
    )
    policy = lambda_policy(snapshot.account_id, snapshot.region, function)
    target = function_arn(function, snapshot.region, snapshot.account_id)
    if not may_invoke(policy, target, source_arn, snapshot.account_id):
        return errors.respond("API_CONFIGURATION_ERROR")
    return _call_function(call, function, integration.timeout_ms / 1000, invoke, errors)


def function_arn(function: str, region: str, account_id: str) -> str:
    """The ARN an integration URI names (an ARN, or a bare name in the API's account and region)."""
    return (
        function
        if function.startswith("arn:")
        else f"arn:aws:lambda:{region}:{account_id}:function:{function}"
    )


def may_invoke(statements: list[dict[str, Any]], function: str, source_arn: str, account_id: str) -> bool:
    """The function's resource policy lets API Gateway invoke ``function`` for ``source_arn``."""
    context = {"aws:SourceArn": source_arn, "aws:SourceAccount": account_id}
    request = Request("lambda:InvokeFunction", function, context, principal=INVOKER)
    return evaluate([statements], request) == PermissionResult.PERMITTED


def _call_function(
    call: Call, function: str, timeout: float, invoke: Callable[..., Any], errors: GatewayErrors
) -> Response:
    """The Lambda proxy call within the integration's timeout, and what the client gets."""
    snapshot = call.target.snapshot
    event = proxy_event(call)
    try:
        invocation = _within(
            timeout,
            lambda: invoke(
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


def _proxy_response(payload: Any, call: Call, errors: GatewayErrors) -> Response:
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

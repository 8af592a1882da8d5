"""API Gateway's own answers, rendered through the API's deployed gateway responses
(https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html):
the response for the error's type, else ``DEFAULT_4XX`` or ``DEFAULT_5XX``.

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

The AWS_IAM and resource-policy refusals (dataplane/apigateway_auth.py) are
``MISSING_AUTHENTICATION_TOKEN``, ``INVALID_SIGNATURE`` ("The gateway response for an invalid AWS
signature error"), ``EXPIRED_TOKEN`` ("The gateway response for an AWS authentication token
expired error") and ``ACCESS_DENIED`` ("The gateway response for authorization failure"), all 403
(supported-gateway-response-types.html). They carry the ``x-amzn-ErrorType`` AWS sends
(``IncompleteSignatureException``, ``InvalidSignatureException``, ...; the other types keep their
own name there, as before), and ACCESS_DENIED's default body is ``{"Message": ...}``, capitalised as
in AWS's answers quoted in public threads (``{"Message":"User: anonymous is not authorized to
perform: execute-api:Invoke on resource: ..."}``, github.com/ASFHyP3/hyp3/issues/2283).

Not modelled: templates other than ``application/json``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.wrappers import Response

from local_aws.dataplane.apigateway_routing import Call, request_context
from local_aws.patches.apigateway_deployment_snapshot import GatewayResponse

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
    "ACCESS_DENIED": (403, "Forbidden"),
    "INVALID_SIGNATURE": (403, "Forbidden"),
    "EXPIRED_TOKEN": (403, "The security token included in the request is expired"),
}
# The key of the default body's message, where it is not "message".
MESSAGE_KEYS = {"ACCESS_DENIED": "Message"}
# A Lambda proxy integration whose function fails, times out or answers in another shape
# gets 502 (https://docs.aws.amazon.com/apigateway/latest/developerguide/
# handle-errors-in-lambda-integration.html, "Malformed Lambda proxy response").
LAMBDA_ERROR = (502, "Internal server error")
# $context.a.b, ${context.a.b}, $stageVariables.name in a gateway response template.
_TEMPLATE_VARIABLE = re.compile(r"\$(\{)?((?:context|stageVariables)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)(?(1)\})")


class GatewayErrors:
    """API Gateway's own answers to one call, through the API's deployed gateway responses."""

    def __init__(self, call: Call) -> None:
        self.call = call

    @property
    def request_id(self) -> str:
        return self.call.request_id

    def respond(self, kind: str, message: str | None = None, error_type: str | None = None) -> Response:
        """The gateway response ``kind``; ``error_type`` is the x-amzn-ErrorType AWS sends for it
        (the type's own name when not given)."""
        status, default_message = DEFAULT_RESPONSES[kind]
        family = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
        responses = self.call.target.snapshot.gateway_responses
        custom: GatewayResponse | None = responses.get(kind) or responses.get(family)
        return self._render(kind, status, message or default_message, custom, error_type)

    def lambda_error(self, answer: tuple[int, str] = LAMBDA_ERROR) -> Response:
        status, message = answer
        custom = self.call.target.snapshot.gateway_responses.get("DEFAULT_5XX")
        return self._render("DEFAULT_5XX", status, message, custom)

    def _render(
        self,
        kind: str,
        status: int,
        message: str,
        custom: GatewayResponse | None,
        error_type: str | None = None,
    ) -> Response:
        body = json.dumps({MESSAGE_KEYS.get(kind, "message"): message})
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
        response.headers["x-amzn-ErrorType"] = error_type or kind
        return response


def json_response(status: int, document: dict[str, Any], request_id: str) -> Response:
    response = Response(json.dumps(document), status=status, content_type="application/json")
    response.headers["x-amzn-RequestId"] = request_id
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

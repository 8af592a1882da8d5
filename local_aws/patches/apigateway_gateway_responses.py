"""Gap: moto has no UpdateGatewayResponse.

AWS: "UpdateGatewayResponse: Updates a GatewayResponse of a specified response type on the given
RestApi." with ``patchOperations`` (https://docs.aws.amazon.com/apigateway/latest/api/API_UpdateGatewayResponse.html);
a GatewayResponse's patchable properties are its ``statusCode``, ``responseParameters`` and
``responseTemplates`` (https://docs.aws.amazon.com/apigateway/latest/api/API_GatewayResponse.html),
addressed as JSON Pointer paths, where "/" inside a key is written "~1"
(https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html). Every response type has
a default: "If an API developer has not added any definitions for gateway responses, the result
will be the API Gateway-generated default GatewayResponses collection for the supported response
types." (https://docs.aws.amazon.com/apigateway/latest/api/API_GetGatewayResponses.html).

moto 5.2.5 routes the PATCH but has no action for it: HTTP 501 EmulatorInternalError
(patches/fail_fast_errors.py), so an ``aws_api_gateway_gateway_response`` changed in place, or
the AWS CLI's ``update-gateway-response``, fails here and not on AWS. With this patch
``add``/``replace`` set and ``remove`` drops ``/statusCode``, ``/responseParameters/<name>`` and
``/responseTemplates/<content type>``; the change is served after the next deployment, like a
PutGatewayResponse ("The update requires redeploying the API",
https://docs.aws.amazon.com/apigateway/latest/developerguide/updating-api.html).

Undocumented: assumed a type never put starts from a default without status code, parameters or
templates (the data plane's defaults then apply), and any other path is refused with
BadRequestException "Invalid patch path <path>".
"""

from __future__ import annotations

import json
from typing import Any

from moto.apigateway.exceptions import BadRequestException
from moto.apigateway.models import GatewayResponse, RestAPI
from moto.apigateway.responses import APIGatewayResponse


def _key(pointer: str) -> str:
    """A JSON Pointer segment unescaped ("application~1json" -> "application/json")."""
    return pointer.replace("~1", "/").replace("~0", "~")


def _patch(response: GatewayResponse, op: dict[str, Any]) -> None:
    path, kind, value = op.get("path", ""), op.get("op"), op.get("value")
    removing = kind == "remove"
    if kind not in ("add", "replace", "remove"):
        raise BadRequestException(f"Invalid patch operation {kind}")
    if path == "/statusCode":
        response.status_code = None if removing else value
        return
    field, _, name = path.lstrip("/").partition("/")
    if field not in ("responseParameters", "responseTemplates") or not name:
        raise BadRequestException(f"Invalid patch path {path}")
    values = dict(getattr(response, _ATTRIBUTES[field]) or {})
    if removing:
        values.pop(_key(name), None)
    else:
        values[_key(name)] = value
    setattr(response, _ATTRIBUTES[field], values)


_ATTRIBUTES = {"responseParameters": "response_parameters", "responseTemplates": "response_templates"}


def update_gateway_response(
    api: RestAPI, response_type: str, operations: list[dict[str, Any]]
) -> GatewayResponse:
    """The API's response of ``response_type`` after ``operations`` (all applied, or none)."""
    current = api.gateway_responses.get(response_type)
    response = GatewayResponse(
        response_type=response_type,
        status_code=current.status_code if current else None,
        response_parameters=dict(current.response_parameters or {}) if current else None,
        response_templates=dict(current.response_templates or {}) if current else None,
    )
    for op in operations:
        _patch(response, op)
    api.gateway_responses[response_type] = response
    return response


def _update_action(self: APIGatewayResponse) -> tuple[int, dict[str, str], str]:
    parts = self.path.split("/")
    api = self.backend.get_rest_api(parts[-3])
    operations = json.loads(self.body or "{}").get("patchOperations") or []
    response = update_gateway_response(api, parts[-1], operations)
    return 200, {}, json.dumps(response.to_json())


def apply() -> None:
    APIGatewayResponse.update_gateway_response = _update_action

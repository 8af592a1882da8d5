"""ONE REST API's routes: its resources, methods and Lambda proxy integrations, the request
models and the validator that check them, API Gateway's own error responses and the
permission to invoke the function (what CDK's ``Method``, ``Model`` and ``RequestValidator``
are to its ``RestApi``).

Built inside the ``RegionalApi`` construct (its ``scope``), so the resources keep the construct
ids they have always had (``api-<role>/method-post-payments``, ...): ids are an API, and a new
one would replace the deployed resource.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from cdktf import TerraformResource
from cdktf_cdktf_provider_aws.api_gateway_gateway_response import ApiGatewayGatewayResponse
from cdktf_cdktf_provider_aws.api_gateway_integration import ApiGatewayIntegration
from cdktf_cdktf_provider_aws.api_gateway_method import ApiGatewayMethod
from cdktf_cdktf_provider_aws.api_gateway_model import ApiGatewayModel
from cdktf_cdktf_provider_aws.api_gateway_request_validator import ApiGatewayRequestValidator
from cdktf_cdktf_provider_aws.api_gateway_resource import ApiGatewayResource
from cdktf_cdktf_provider_aws.api_gateway_rest_api import ApiGatewayRestApi
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from constructs import Construct

from lib.api_contract import Route
from lib.policy import skip_checks
from lib.region import Region

# API Gateway's own errors in the handler's {"error": ...} shape.
GATEWAY_RESPONSES = (
    ("DEFAULT_4XX", '{"error": $context.error.messageString}'),
    ("DEFAULT_5XX", '{"error": "Internal server error"}'),
)


def _kebab(name: str) -> str:
    """A model's construct id part: ``CreatePayment`` -> ``create-payment``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _id_part(path: str) -> str:
    """A path in a construct id: ``/payments/{payment_id}`` -> ``-payments-payment_id``."""
    return path.replace("/", "-").replace("{", "").replace("}", "")


class ApiRoutes:
    """``routes`` on ``rest_api``, each proxied to ``function``, its body (if it takes one)
    checked against its own model of ``models`` (name -> JSON schema), built in ``scope``."""

    def __init__(
        self,
        scope: Construct,
        *,
        region: Region,
        rest_api: ApiGatewayRestApi,
        function: LambdaFunction,
        routes: Sequence[Route],
        models: Mapping[str, dict[str, Any]],
    ) -> None:
        self._scope = scope
        self._provider = region.provider
        self._rest_api = rest_api
        self._function = function
        self._validator = ApiGatewayRequestValidator(
            scope,
            "validator",
            provider=self._provider,
            rest_api_id=rest_api.id,
            name="body-and-parameters",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        # One model per body the routes take, in the order the routes first use them.
        self.models = {
            name: self._model(name, models[name])
            for name in dict.fromkeys(r.body_model for r in routes if r.body_model)
        }
        for response_type, template in GATEWAY_RESPONSES:
            ApiGatewayGatewayResponse(
                scope,
                f"response-{response_type.lower()}",
                provider=self._provider,
                rest_api_id=rest_api.id,
                response_type=response_type,
                response_templates={"application/json": template},
            )
        self._resources: dict[str, str] = {"": rest_api.root_resource_id}
        # What a deployment must wait for and be recreated with.
        self.deployed: list[TerraformResource] = []
        for route in routes:
            self._route(route)
        LambdaPermission(
            scope,
            "invoke-permission",
            provider=self._provider,
            statement_id="AllowApiGatewayInvoke",
            action="lambda:InvokeFunction",
            function_name=function.function_name,
            principal="apigateway.amazonaws.com",
            source_arn=f"{rest_api.execution_arn}/*/*/*",
        )

    def _model(self, name: str, schema: dict[str, Any]) -> ApiGatewayModel:
        return ApiGatewayModel(
            self._scope,
            f"{_kebab(name)}-model",
            provider=self._provider,
            rest_api_id=self._rest_api.id,
            name=name,
            content_type="application/json",
            schema=json.dumps(schema, sort_keys=True),
        )

    def _resource(self, path: str) -> str:
        """The API Gateway resource id for ``path``, creating parents as needed."""
        if path not in self._resources:
            parent, _, part = path.rpartition("/")
            self._resources[path] = ApiGatewayResource(
                self._scope,
                "resource" + _id_part(path),
                provider=self._provider,
                rest_api_id=self._rest_api.id,
                parent_id=self._resource(parent),
                path_part=part,
            ).id
        return self._resources[path]

    def _route(self, route: Route) -> None:
        """The route's method (validated by the validator and its own model) and its integration."""
        route_id = f"{route.method.lower()}{_id_part(route.path)}"
        model = self.models[route.body_model] if route.body_model else None
        method = ApiGatewayMethod(
            self._scope,
            f"method-{route_id}",
            provider=self._provider,
            rest_api_id=self._rest_api.id,
            resource_id=self._resource(route.path),
            http_method=route.method,
            authorization=route.authorization,
            api_key_required=route.api_key_required,
            request_parameters=dict(route.parameters) or None,
            request_validator_id=self._validator.id,
            request_models={"application/json": model.name} if model else None,
        )
        if not route.signed:
            skip_checks(
                method,
                {
                    "CKV_AWS_59": "health probe for Route 53 failover, which can neither sign nor "
                    "send an API key; it reveals only 'ok' and the region"
                },
            )
        integration = ApiGatewayIntegration(
            self._scope,
            f"integration-{route_id}",
            provider=self._provider,
            rest_api_id=self._rest_api.id,
            resource_id=method.resource_id,
            http_method=method.http_method,
            integration_http_method="POST",
            type="AWS_PROXY",
            uri=self._function.invoke_arn,
        )
        self.deployed += [method, integration]

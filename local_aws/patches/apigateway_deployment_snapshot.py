"""Gap: a moto deployment records nothing of the API it deploys.

On AWS, ``CreateDeployment`` takes a snapshot of the REST API's resources, methods,
integrations, models, validators and gateway responses, and a stage serves the snapshot of
the deployment it points at: "After creating your API, you must deploy it to make it callable
by your users ... each time you update the API you must redeploy it"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-deploy-api.html) and
gateway responses "take effect after you deploy"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html).
moto 5.2.5 keeps only an id and a description, so a data plane reading the live API would
serve a route changed after the last deployment: the mistake (a method added without a new
deployment, Terraform's ``triggers`` forgotten) would pass locally and 403 on AWS. With this
patch each deployment carries ``snapshot``: what its stage serves (local_aws/dataplane).

The snapshot also holds the API's ``binaryMediaTypes``, which decide whether a Lambda proxy
response is decoded ("You must also configure your API's binary media types",
https://docs.aws.amazon.com/apigateway/latest/developerguide/lambda-proxy-binary-media.html),
and each integration's ``timeoutInMillis`` ("Integration timeout | 50 milliseconds - 29
seconds", https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html). moto
5.2.5 drops the ``binaryMediaTypes`` given to CreateRestApi ("binaryMediaTypes: The list of
binary media types supported by the RestApi",
https://docs.aws.amazon.com/apigateway/latest/api/API_CreateRestApi.html); this patch keeps
them, so the API has (and its deployments hold) the types it was created with.

The snapshot holds the API's resource policy as well (``policy``, the parsed JSON or None): "If
you update the resource policy, you'll need to deploy the API."
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html),
so a stage enforces the policy as of its deployment (dataplane/apigateway_auth.py). moto keeps
the ``policy`` CreateRestApi is given and UpdateRestApi's ``replace /policy`` (an empty value:
none). Abbreviated resources are expanded as API Gateway does on save: "You can also use
abbreviated syntax, which API Gateway automatically expands to the full ARN when you save a
resource policy." (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-policy-language-overview.html):
``execute-api:/stage/GET/path`` becomes ``arn:aws:execute-api:{region}:{account}:{api}/stage/GET/path``.
A policy that is no JSON object is undocumented (AWS refuses to save it): assumed it denies every
call.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from moto.apigateway.models import Deployment, RestAPI
from moto.apigateway.responses import APIGatewayResponse


@dataclass(frozen=True)
class Integration:
    type: str  # AWS_PROXY, AWS, HTTP, HTTP_PROXY, MOCK
    uri: str
    http_method: str | None
    timeout_ms: int


@dataclass(frozen=True)
class Method:
    http_method: str
    authorization_type: str
    api_key_required: bool
    request_parameters: dict[str, bool]  # "method.request.querystring.limit": required
    request_models: dict[str, str]  # content type -> model name
    validate_body: bool
    validate_parameters: bool
    integration: Integration | None


@dataclass(frozen=True)
class Resource:
    id: str
    path: str  # "/payments/{payment_id}"
    methods: dict[str, Method]  # "GET" (or "ANY") -> method


@dataclass(frozen=True)
class GatewayResponse:
    status_code: int | None
    parameters: dict[str, str]
    templates: dict[str, str]


@dataclass(frozen=True)
class ApiSnapshot:
    api_id: str
    account_id: str
    region: str
    api_key_source: str
    resources: tuple[Resource, ...]
    models: dict[str, dict[str, Any]]  # name -> JSON schema
    gateway_responses: dict[str, GatewayResponse] = field(default_factory=dict)
    binary_media_types: tuple[str, ...] = ()
    policy: dict[str, Any] | None = None  # the resource policy, as of the deployment


# API Gateway's default integration timeout for REST APIs: 29 s
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html).
DEFAULT_TIMEOUT_MS = 29_000


def _integration(method: Any) -> Integration | None:
    integration = method.method_integration
    if integration is None:
        return None
    timeout = integration.timeout_in_millis
    return Integration(
        type=integration.integration_type,
        uri=integration.uri or "",
        http_method=integration.http_method,
        timeout_ms=int(timeout) if timeout else DEFAULT_TIMEOUT_MS,
    )


def _method(api: RestAPI, method: Any) -> Method:
    validator = api.request_validators.get(method.request_validator_id or "")
    return Method(
        http_method=method.http_method,
        authorization_type=method.authorization_type or "NONE",
        api_key_required=bool(method.api_key_required),
        request_parameters={
            name: bool(required) for name, required in (method.request_parameters or {}).items()
        },
        request_models=dict(method.request_models or {}),
        validate_body=bool(validator and validator.validate_request_body),
        validate_parameters=bool(validator and validator.validate_request_parameters),
        integration=_integration(method),
    )


def _schema(model: Any) -> dict[str, Any]:
    try:
        return json.loads(model.schema or "{}")
    except ValueError:
        return {}


def _status(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


def snapshot(api: RestAPI) -> ApiSnapshot:
    """What a deployment of ``api`` made now would serve."""
    return ApiSnapshot(
        api_id=api.id,
        account_id=api.account_id,
        region=api.region_name,
        api_key_source=api.api_key_source or "HEADER",
        resources=tuple(
            Resource(
                id=resource.id,
                path=resource.get_path(),
                methods={verb: _method(api, m) for verb, m in resource.resource_methods.items()},
            )
            for resource in list(api.resources.values())
        ),
        models={name: _schema(model) for name, model in api.models.items()},
        gateway_responses={
            kind: GatewayResponse(
                status_code=_status(response.status_code),
                parameters=dict(response.response_parameters or {}),
                templates=dict(response.response_templates or {}),
            )
            for kind, response in api.gateway_responses.items()
        },
        binary_media_types=tuple(api.binaryMediaTypes or ()),
        policy=resource_policy(
            api.policy, f"arn:aws:execute-api:{api.region_name}:{api.account_id}:{api.id}"
        ),
    )


# A resource policy that cannot be read: it denies every call (undocumented: assumed).
UNREADABLE_POLICY = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}


def resource_policy(text: Any, api_arn: str) -> dict[str, Any] | None:
    """The API's resource policy (None: none), its abbreviated ``execute-api:/...`` resources
    expanded to ``{api_arn}/...``."""
    if not text:
        return None
    try:
        document = json.loads(text) if isinstance(text, str | bytes) else text
    except ValueError:
        return UNREADABLE_POLICY
    if not isinstance(document, dict):
        return UNREADABLE_POLICY
    raw = document.get("Statement", [])
    expanded = [
        {k: _expanded(v, api_arn) if k in ("Resource", "NotResource") else v for k, v in statement.items()}
        if isinstance(statement, dict)
        else statement
        for statement in (raw if isinstance(raw, list) else [raw])
    ]
    return {**document, "Statement": expanded}


def _expanded(resources: Any, api_arn: str) -> Any:
    def one(value: Any) -> Any:
        prefix = "execute-api:/"
        return (
            f"{api_arn}/{value[len(prefix) :]}"
            if isinstance(value, str) and value.startswith(prefix)
            else value
        )

    return [one(value) for value in resources] if isinstance(resources, list) else one(resources)


def _keep_binary_media_types(original: Any) -> Any:
    """CreateRestApi that stores the request's ``binaryMediaTypes`` on the API it created."""

    @functools.wraps(original)
    def create_rest_api(self: APIGatewayResponse) -> Any:
        status, headers, body = original(self)
        try:
            document = json.loads(self.body or "{}")
        except ValueError:  # an OpenAPI import in YAML
            document = None
        requested = document.get("binaryMediaTypes") if isinstance(document, dict) else None
        if status == 200 and requested:
            api = self.backend.get_rest_api(json.loads(body)["id"])
            api.binaryMediaTypes = list(requested)
            body = json.dumps(api.to_dict())
        return status, headers, body

    return create_rest_api


def apply() -> None:
    APIGatewayResponse.create_rest_api = _keep_binary_media_types(APIGatewayResponse.create_rest_api)
    original = RestAPI.create_deployment

    @functools.wraps(original)
    def create_deployment(
        self: RestAPI, name: str, description: str, stage_variables: Any = None
    ) -> Deployment:
        deployment = original(self, name, description, stage_variables)
        deployment.snapshot = snapshot(self)
        return deployment

    RestAPI.create_deployment = create_deployment

"""Gap: moto tags API Gateway stages only; every other resource's tags are create-time only.

AWS's ``TagResource``/``UntagResource``/``GetTags`` take the ARN of any taggable API Gateway
resource: REST APIs, stages, API keys, usage plans, custom domain names
(https://docs.aws.amazon.com/apigateway/latest/api/API_TagResource.html). moto 5.2.5 routes
only stage ARNs (``/restapis/<id>/stages/<name>``); any other ARN answers an HTML 404, so a
redeploy that changes a default tag (a new ``COMMIT_AUTHOR``, ``REPOSITORY``) fails with
"failed to decode response body, invalid character '<'" for every REST API and domain name,
and a plan shows them drifting forever.

This patch routes every API Gateway ARN and reads, adds and removes the tags of the resource it
names (a missing resource is AWS's ``NotFoundException``).
"""

from __future__ import annotations

import functools
import json
from typing import Any
from urllib.parse import unquote

from moto.apigateway import urls
from moto.apigateway.exceptions import NotFoundException
from moto.apigateway.models import APIGatewayBackend
from moto.apigateway.responses import APIGatewayResponse

TAGS_PATH = "{0}/tags/arn:(?P<partition>[^/]+):apigateway:(?P<region_name>[^/]+)::/(?P<resource_path>.+)$"


def tagged(backend: APIGatewayBackend, arn: str) -> Any:
    """The resource an API Gateway ARN names (``arn:aws:apigateway:<region>::/<path>``)."""
    parts = arn.split("::/", 1)[-1].split("/")
    match parts:
        case ["restapis", api_id]:
            return backend.get_rest_api(api_id)
        case ["restapis", api_id, "stages", stage]:
            return backend.get_stage(api_id, stage)
        case ["domainnames", name]:
            return backend.get_domain_name(name)
        case ["apikeys", key_id]:
            return backend.get_api_key(key_id)
        case ["usageplans", plan_id]:
            return backend.get_usage_plan(plan_id)
    raise NotFoundException(f"Invalid resource ARN: {arn}")


def _arn(response: APIGatewayResponse) -> str:
    return unquote(response.path.split("/tags/", 1)[1])


def get_tags(self: APIGatewayResponse) -> str:
    return json.dumps({"tags": tagged(self.backend, _arn(self)).tags or {}})


def tag_resource(self: APIGatewayResponse) -> str:
    resource = tagged(self.backend, _arn(self))
    resource.tags = {**(resource.tags or {}), **(self._get_param("tags") or {})}
    return json.dumps({})


def untag_resource(self: APIGatewayResponse) -> str:
    resource = tagged(self.backend, _arn(self))
    for key in self.querystring.get("tagKeys") or []:
        (resource.tags or {}).pop(key, None)
    return json.dumps({})


def apply() -> None:
    urls.url_paths[TAGS_PATH] = APIGatewayResponse.dispatch
    for name, replacement in (
        ("get_tags", get_tags),
        ("tag_resource", tag_resource),
        ("untag_resource", untag_resource),
    ):
        original = getattr(APIGatewayResponse, name)
        setattr(APIGatewayResponse, name, functools.wraps(original)(replacement))

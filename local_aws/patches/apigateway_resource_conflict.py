"""Gap: moto creates a second API Gateway resource with the same path under one parent.

AWS refuses ``CreateResource`` when the parent already has a child with that ``pathPart``:
HTTP 409 ``ConflictException``, "Another resource with the same parent already has this name:
<pathPart>" (https://docs.aws.amazon.com/apigateway/latest/api/API_CreateResource.html, Errors:
``ConflictException``; the same wording CloudFormation reports for a duplicate
``AWS::ApiGateway::Resource``). moto 5.2.5 adds the duplicate, so a create retried after its
response was lost (the SDK retries a dropped connection; the first attempt had already created
the resource) left two ``/payments/{payment_id}`` resources in one API that only the
integration tests noticed. With this patch the retry fails as it would on AWS, at the apply,
naming the resource.
"""

from __future__ import annotations

import functools

from moto.apigateway.exceptions import ConflictException
from moto.apigateway.models import APIGatewayBackend, Resource

MESSAGE = "Another resource with the same parent already has this name: {}"


def apply() -> None:
    original = APIGatewayBackend.create_resource

    @functools.wraps(original)
    def create_resource(
        self: APIGatewayBackend, function_id: str, parent_resource_id: str, path_part: str
    ) -> Resource:
        api = self.get_rest_api(function_id)
        for resource in list(api.resources.values()):
            if resource.parent_id == parent_resource_id and resource.path_part == path_part:
                raise ConflictException(MESSAGE.format(path_part))
        return original(self, function_id, parent_resource_id, path_part)

    APIGatewayBackend.create_resource = create_resource

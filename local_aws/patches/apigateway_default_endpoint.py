"""Gap: moto stores ``disableExecuteApiEndpoint`` but nothing acts on it, and reads it wrong.

AWS: "To ensure that clients can access your API only by using a custom domain name, disable
the default execute-api endpoint. Clients can still connect to your default endpoint, but they
will receive a 403 Forbidden status code. Disabling the default endpoint affects all stages of
the API. This setting takes affect when you update any setting on any stage, such as updating
the deployment on the stage."
(https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-disable-default-endpoint.html);
the same page switches it with ``op=replace,path=/disableExecuteApiEndpoint,value='True'``.

moto 5.2.5 keeps the flag for GetRestApi only, and ``UpdateRestApi`` stores ``bool(value)`` of
the patch's string, so ``value: "false"`` disables the endpoint too (Terraform re-enabling it
would read back ``true``: a perpetual diff). Without this patch the data plane would serve the
default endpoint of an API meant to be reached only through its custom domain, and a client
that depends on it would pass locally and get 403 on AWS.

With this patch a patch value is read as AWS reads a boolean string (``"true"``, any case), and
the switch the data plane obeys (``default_endpoint_disabled``) is the flag as it was at the
API's last stage change: CreateStage, UpdateStage, or CreateDeployment to a stage.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.apigateway.models import APIGatewayBackend, Deployment, RestAPI, Stage

PATH = "/disableExecuteApiEndpoint"
_IN_EFFECT = "_default_endpoint_disabled"


def default_endpoint_disabled(api: RestAPI) -> bool:
    """Whether the API's default endpoint refuses clients (the switch as last applied)."""
    return bool(getattr(api, _IN_EFFECT, False))


def _take_effect(api: RestAPI) -> None:
    setattr(api, _IN_EFFECT, bool(api.disableExecuteApiEndpoint))


def apply() -> None:
    original_patch = RestAPI.apply_patch_operations
    original_create_stage = RestAPI.create_stage
    original_deploy = RestAPI.create_deployment
    original_update_stage = APIGatewayBackend.update_stage

    @functools.wraps(original_patch)
    def apply_patch_operations(self: RestAPI, patch_operations: list[dict[str, Any]]) -> None:
        original_patch(self, patch_operations)
        for op in patch_operations:
            if op.get("op") == "replace" and op.get("path") == PATH:
                self.disableExecuteApiEndpoint = str(op.get("value", "")).lower() == "true"

    @functools.wraps(original_create_stage)
    def create_stage(self: RestAPI, *args: Any, **kwargs: Any) -> Stage:
        stage = original_create_stage(self, *args, **kwargs)
        _take_effect(self)
        return stage

    @functools.wraps(original_deploy)
    def create_deployment(self: RestAPI, name: str, *args: Any, **kwargs: Any) -> Deployment:
        deployment = original_deploy(self, name, *args, **kwargs)
        if name:  # deployed to a stage
            _take_effect(self)
        return deployment

    @functools.wraps(original_update_stage)
    def update_stage(
        self: APIGatewayBackend, function_id: str, stage_name: str, patch_operations: Any
    ) -> Stage:
        stage = original_update_stage(self, function_id, stage_name, patch_operations)
        _take_effect(self.get_rest_api(function_id))
        return stage

    RestAPI.apply_patch_operations = apply_patch_operations
    RestAPI.create_stage = create_stage
    RestAPI.create_deployment = create_deployment
    APIGatewayBackend.update_stage = update_stage

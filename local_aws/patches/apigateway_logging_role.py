"""Stricter: a stage logs to CloudWatch only once the account has a CloudWatch role.

AWS: "To enable CloudWatch Logs, you must grant API Gateway permission to read and write logs
to CloudWatch for your account ... and set the IAM role ARN on the cloudWatchRoleArn property
on your Account" (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html).
The setting is one per account and region, and API Gateway refuses to switch on access or
execution logging while it is empty, with ``BadRequestException: CloudWatch Logs role ARN must
be set in account settings to enable logging``.

moto 5.2.5 accepts access-log settings and a logging level on any stage, so a stack that logs
in a region where nobody set the role (an environment that relies on another one's account
settings, deployed before it, or after it was destroyed) deploys here and fails on AWS.

This patch refuses ``UpdateStage`` operations that switch logging on (``/accessLogSettings/*``
with a value, ``*/logging/loglevel`` other than OFF, ``*/logging/dataTrace`` true) while the
region's account has no CloudWatch role, with AWS's error. Switching logging off is allowed.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.apigateway.exceptions import BadRequestException
from moto.apigateway.models import APIGatewayBackend, Stage

MESSAGE = "CloudWatch Logs role ARN must be set in account settings to enable logging"


def enables_logging(operation: dict[str, Any]) -> bool:
    path, value = operation.get("path", ""), operation.get("value")
    if operation.get("op") not in ("add", "replace") or value in (None, ""):
        return False
    if path.startswith("/accessLogSettings"):
        return True
    if path.endswith("/logging/loglevel"):
        return str(value).upper() != "OFF"
    if path.endswith("/logging/dataTrace"):
        return str(value).lower() == "true"
    return False


def apply() -> None:
    original = APIGatewayBackend.update_stage

    @functools.wraps(original)
    def update_stage(
        self: APIGatewayBackend, function_id: str, stage_name: str, patch_operations: Any
    ) -> Stage:
        if not self.account.cloudwatch_role_arn and any(map(enables_logging, patch_operations or [])):
            raise BadRequestException(MESSAGE)
        return original(self, function_id, stage_name, patch_operations)

    APIGatewayBackend.update_stage = update_stage

"""Gap: moto's API Gateway UpdateAccount crashes when a value is cleared.

``aws_api_gateway_account`` with ``reset_on_delete = true`` clears the
account's CloudWatch role on destroy with the patch operation
``{"op": "replace", "path": "/cloudwatchRoleArn"}`` (no ``value``).  moto
5.2.5 reads ``op["value"]`` unconditionally, answers HTTP 500, and the
provider's SDK retries the 500 with backoff 25 times, so ``terraform
destroy`` hangs for many minutes.  This patch treats a missing value (or a
``remove``) as clearing the role, as AWS does.

AWS: UpdateAccount takes patch operations on ``/cloudwatchRoleArn``; an empty value clears the
role: https://docs.aws.amazon.com/apigateway/latest/api/API_UpdateAccount.html and
https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html
"""

from __future__ import annotations

import functools
from typing import Any

from moto.apigateway.models import Account


def apply() -> None:
    original = Account.apply_patch_operations

    @functools.wraps(original)
    def apply_patch_operations(self: Account, patch_operations: list[dict[str, Any]]) -> Account:
        rest = []
        for op in patch_operations:
            if "/cloudwatchRoleArn" in op.get("path", "") and (op.get("op") == "remove" or "value" not in op):
                self.cloudwatch_role_arn = None
            else:
                rest.append(op)
        return original(self, rest)

    Account.apply_patch_operations = apply_patch_operations

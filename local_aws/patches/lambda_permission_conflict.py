"""Gap: moto adds a second Lambda permission statement with an existing statement id.

AWS refuses ``AddPermission`` when the function's policy (for that qualifier) already has a
statement with the given ``StatementId``: ``ResourceConflictException``, "The statement id (<id>)
provided already exists. Please provide a new statement id, or remove the existing statement."
(https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html, Errors:
``ResourceConflictException``). moto 5.2.5 appends the duplicate, so an ``aws_lambda_permission``
created again after a stopped apply (or a retried request) "succeeded" and left two statements
with one id, where AWS makes the apply fail (found by the chaos suite: the permission was the one
orphan that was never reported as already existing). With this patch it is refused as on AWS.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.policy import Policy

MESSAGE = (
    "The statement id ({}) provided already exists. Please provide a new statement id, "
    "or remove the existing statement."
)


def _resource(statement: dict[str, Any]) -> str:
    return str(statement.get("Resource", "")).removesuffix(":$LATEST")


def apply() -> None:
    original = Policy.add_statement

    @functools.wraps(original)
    def add_statement(self: Policy, raw: str, qualifier: str | None = None) -> tuple[Any, str]:
        sid = json.loads(raw).get("StatementId")
        if sid:
            resource = getattr(self.parent, "function_arn", None) or self.parent.arn
            target = f"{resource}:{qualifier}" if qualifier else resource
            for statement in self.statements:
                if statement.get("Sid") == sid and _resource(statement) == target:
                    raise LambdaClientError("ResourceConflictException", MESSAGE.format(sid))
        return original(self, raw, qualifier)

    Policy.add_statement = add_statement

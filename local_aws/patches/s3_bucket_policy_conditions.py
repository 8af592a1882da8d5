"""Gap: moto applies a bucket policy's statements whatever their Condition says.

moto 5.2.5 checks object reads, writes and deletes against the bucket policy, but its
condition engine knows only ``StringEquals``: any other operator (``Bool`` included) counts
as satisfied, and no request context is passed. A standard TLS-only policy
(``Deny s3:* when aws:SecureTransport is false``) therefore denies every request: the
stack's receipt ``PutObject`` fails with 403, and ``force_destroy`` cannot empty the bucket
(``DeleteObjects`` answers AccessDenied per key), so destroy fails.

This patch evaluates bucket-policy statements as IAM does, with the request context of an
SDK call to AWS: ``aws:SecureTransport = true`` (the emulator's loopback HTTP stands in for
the TLS every SDK uses). ``Bool``, ``StringEquals``, ``StringNotEquals``, ``StringLike``,
``ArnEquals`` and ``ArnLike`` are evaluated as IAM does (a key absent from the context fails
them); a statement whose condition does not hold does not apply. Any other operator is never
read in this emulator's favour: it holds for a Deny (the deny applies) and fails for an Allow
(the grant does not), so the patch is never more lenient than AWS.

AWS: condition operators and ``aws:SecureTransport``:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
and
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-securetransport
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.s3.models import FakeBucket

REQUEST_CONTEXT = {"aws:securetransport": "true"}


def _holds(operator: str, key: str, expected: Any) -> bool | None:
    """Whether one condition holds; None for operators this patch leaves to moto."""
    actual = REQUEST_CONTEXT.get(key.lower())
    wanted = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
    if operator == "Bool":
        return actual is not None and actual in {v.lower() for v in wanted}
    if operator == "StringEquals":
        return actual is not None and actual in wanted
    if operator == "StringNotEquals":
        return actual is None or actual not in wanted
    if operator in ("StringLike", "ArnLike"):
        return actual is not None and any(fnmatch.fnmatchcase(actual, w) for w in wanted)
    if operator == "ArnEquals":
        return actual is not None and actual in wanted
    return None


def statement_applies(statement: dict[str, Any]) -> bool:
    unknown_holds = statement.get("Effect") == "Deny"  # never in the emulator's favour
    for operator, block in (statement.get("Condition") or {}).items():
        for key, expected in block.items():
            holds = _holds(operator, key, expected)
            if (unknown_holds if holds is None else holds) is False:
                return False
    return True


def get_permission(self: FakeBucket, action: str, resource: str) -> PermissionResult:
    if self.policy is None:
        return PermissionResult.NEUTRAL
    statements = json.loads(self.policy.decode())["Statement"]
    result = PermissionResult.NEUTRAL
    for statement in statements if isinstance(statements, list) else [statements]:
        if not statement_applies(statement):
            continue
        unconditional = {k: v for k, v in statement.items() if k != "Condition"}
        permission = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
        if permission == PermissionResult.DENIED:
            return permission
        if permission == PermissionResult.PERMITTED:
            result = permission
    return result


def apply() -> None:
    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]

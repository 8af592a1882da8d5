"""Gap: moto applies a bucket policy's statements whatever their Condition says.

moto 5.2.5 checks object reads, writes and deletes against the bucket policy, but its
condition engine knows only ``StringEquals``: any other operator (``Bool`` included) counts
as satisfied, and no request context is passed. A standard TLS-only policy
(``Deny s3:* when aws:SecureTransport is false``) therefore denies every request: the
stack's receipt ``PutObject`` fails with 403, and ``force_destroy`` cannot empty the bucket
(``DeleteObjects`` answers AccessDenied per key), so destroy fails.

This patch evaluates the bucket policy with the emulator's one IAM evaluator
(local_aws/iam_policy.py) instead of moto's, with the request context of an SDK call to AWS:
``aws:SecureTransport = true`` (the emulator's loopback HTTP stands in for the TLS every SDK uses),
and no other key (the context is complete: any other key is absent, so a condition on it is false,
and true for a negated operator), except ``aws:SourceIp``: "The aws:SourceIp key is always present
in the request context" (reference_policies_elements_condition_operators.html) and moto does not
give the caller's address, so a condition on it is undecided. The conditions are evaluated as IAM
does; what the evaluator cannot decide (an unknown operator, a policy variable) holds for a Deny
(the deny applies) and fails for an Allow (the grant does not). moto does not say who the caller is,
so a statement whose Principal is not ``*`` or ``{"AWS": "*"}`` is undecided too. Actions are
matched ignoring case, ``NotResource`` is read, and ``.`` in a resource is a dot (moto's own check
reads it as any character and a ``NotResource`` statement as an Allow). Never more lenient than AWS.

AWS: condition operators and ``aws:SecureTransport``:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
and
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-securetransport
"""

from __future__ import annotations

from typing import Any

from moto.s3.models import FakeBucket

from local_aws.iam_policy import PermissionResult, Request, Statement, evaluate

REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def _request(action: str = "", resource: str = "") -> Request:
    # aws:SourceIp is in every request's context on AWS, but moto does not tell the caller's address:
    # unknown, so a condition on it never works in the caller's favour.
    return Request(action, resource, REQUEST_CONTEXT, complete=True, unknown_keys=frozenset({"aws:SourceIp"}))


def statement_applies(statement: dict[str, Any]) -> bool:
    """Whether a statement's Condition lets it take effect for an SDK request (its Action,
    Resource and Principal aside)."""
    parsed = Statement.parse(statement)
    return parsed.in_effect(parsed.conditions_hold(_request()))


def get_permission(self: FakeBucket, action: str, resource: str) -> PermissionResult:
    if self.policy is None:
        return PermissionResult.NEUTRAL
    return evaluate([self.policy], _request(action, resource))


def apply() -> None:
    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]

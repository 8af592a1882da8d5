"""Small helpers shared by the integration tests (bounded polling, IAM document parsing)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote

T = TypeVar("T")

# Cross-region replication (DynamoDB global tables) and GSI reads are eventually
# consistent on AWS: typically about a second; poll at most this long.
EVENTUAL_TIMEOUT_SECONDS = 30.0
POLL_INTERVAL_SECONDS = 0.5


def eventually(
    probe: Callable[[], T | None],
    what: str,
    *,
    timeout: float = EVENTUAL_TIMEOUT_SECONDS,
    interval: float = POLL_INTERVAL_SECONDS,
) -> T:
    """Call ``probe`` until it returns something other than None/falsy; fail after ``timeout``.

    Returns at once when the first call succeeds (the emulator is strongly consistent).
    """
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def as_list(value: Any) -> list[Any]:
    """IAM allows a single string where a list is meant (Action, Resource)."""
    return value if isinstance(value, list) else [value]


def policy_document(document: Any) -> dict[str, Any]:
    """An IAM policy document as a dict (boto3 decodes most; some APIs return URL-encoded JSON)."""
    if isinstance(document, dict):
        return document
    text = document if document.lstrip().startswith("{") else unquote(document)
    return json.loads(text)


def tags_dict(tags: list[dict[str, str]]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags}


def attached_policy_document(iam: Any, role_name: str) -> dict[str, Any]:
    """The one customer-managed policy attached to ``role_name`` (named like the role)."""
    [attached] = iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    assert attached["PolicyName"] == role_name
    policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
    return policy_document(version["PolicyVersion"]["Document"])


def log_group(logs: Any, name: str) -> dict[str, Any]:
    """The log group called exactly ``name``."""
    groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    [group] = [g for g in groups if g["logGroupName"] == name]
    return group

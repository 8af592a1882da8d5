"""Helpers for IAM policy documents and for justified policy-scanner suppressions."""

from __future__ import annotations

import json
from typing import Any

from cdktf import TerraformResource


def statement(
    sid: str,
    actions: list[str],
    resources: list[str] | str,
    *,
    effect: str = "Allow",
    principal: dict[str, Any] | str | None = None,
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One IAM statement. Wildcard actions are refused in Allow statements: list what is
    needed. (A Deny may be broad: denying more is never a privilege escalation.)"""
    for action in actions:
        if effect == "Allow" and (action == "*" or action.endswith(":*")):
            raise ValueError(f"statement {sid!r}: wildcard action {action!r} is not allowed")
    stmt: dict[str, Any] = {"Sid": sid, "Effect": effect}
    if principal is not None:
        stmt["Principal"] = principal
    stmt["Action"] = actions
    stmt["Resource"] = resources
    if condition is not None:
        stmt["Condition"] = condition
    return stmt


def document(*statements: dict[str, Any]) -> str:
    """A policy document as JSON (cdktf tokens inside strings resolve at synth)."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assume_role_policy(service: str, source_account: str | None = None) -> str:
    trust: dict[str, Any] = {
        "Sid": "AllowServiceAssumeRole",
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_account is not None:
        trust["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return document(trust)


def skip_checks(resource: TerraformResource, reasons: dict[str, str]) -> None:
    """Record justified checkov suppressions inside the resource's JSON block.

    checkov reads ``checkov:skip=<ID>:<reason>`` lines inside a resource's line range;
    Terraform ignores any ``"//"`` key in JSON configuration, so the synthesized stack
    stays valid for plain ``terraform`` too.
    """
    resource.add_override(
        "//.checkov", [f"checkov:skip={check}:{reason}" for check, reason in reasons.items()]
    )

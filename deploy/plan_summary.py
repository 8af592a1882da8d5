"""A Terraform plan (``terraform show -json``) as GitHub-flavoured markdown for a pull request.

    summarize(plan, "TapStackpr12")

What a reviewer needs first: how much changes, then what is destroyed or replaced (a replaced
table, bucket or key loses its data), then every changed address grouped by action, the riskiest
first, capped so that the comment stays far below GitHub's 65,536-character limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_LISTED = 200
# The count line, in Terraform's order; the details list the riskiest first.
COUNTED = ("add", "change", "replace", "destroy")
RISKY = ("destroy", "replace")
ACTIONS: dict[tuple[str, ...], str] = {
    ("create",): "add",
    ("update",): "change",
    ("delete", "create"): "replace",  # the default: destroy, then create
    ("create", "delete"): "replace",  # create_before_destroy
    ("delete",): "destroy",
}
UNCHANGED = frozenset({(), ("no-op",), ("read",)})


def marker(stack: str) -> str:
    """An invisible first line: lets a workflow find (and update) its comment for ``stack``."""
    return f"<!-- terraform-plan: {stack} -->"


def changed_resources(plan: Mapping[str, Any]) -> dict[str, list[str]]:
    """Addresses by action label (add, change, replace, destroy; anything else, such as
    ``forget``, by Terraform's own name), in the plan's order; no-ops and reads left out."""
    groups: dict[str, list[str]] = {}
    for resource in plan.get("resource_changes") or []:
        actions = tuple(resource.get("change", {}).get("actions", ()))
        if actions in UNCHANGED:
            continue
        groups.setdefault(ACTIONS.get(actions, "+".join(actions)), []).append(resource["address"])
    return groups


def changed_outputs(plan: Mapping[str, Any]) -> int:
    changes = (plan.get("output_changes") or {}).values()
    return sum(1 for change in changes if tuple(change.get("actions", ())) not in UNCHANGED)


def summarize(plan: Mapping[str, Any], stack: str) -> str:
    groups = changed_resources(plan)
    outputs = changed_outputs(plan)
    lines = [marker(stack), f"### Terraform plan: `{stack}`", ""]
    if not groups and not outputs:
        return "\n".join([*lines, "No changes."]) + "\n"
    counts = ", ".join(f"{len(groups.get(label, []))} to {label}" for label in COUNTED)
    lines.append(f"**{counts}**; {outputs} output change{'' if outputs == 1 else 's'}")
    risky = [(address, label) for label in RISKY for address in groups.get(label, [])]
    if risky:
        named = ", ".join(f"{_code(address)} ({label})" for address, label in risky[:MAX_LISTED])
        lines += ["", f":warning: **{len(risky)} destroyed or replaced:** {named}{_more(len(risky))}"]
    if groups:
        lines += ["", *_details(groups)]
    return "\n".join(lines) + "\n"


def _details(groups: dict[str, list[str]]) -> list[str]:
    ordered = [*RISKY, *(label for label in COUNTED if label not in RISKY)]
    ordered += [label for label in groups if label not in ordered]
    total = sum(len(addresses) for addresses in groups.values())
    lines = [f"<details><summary>{total} changed resource{'' if total == 1 else 's'}</summary>"]
    left = MAX_LISTED
    for label in ordered:
        addresses = groups.get(label, [])
        if not addresses or not left:
            continue
        lines += ["", f"**{label}** ({len(addresses)})", *(f"- {_code(a)}" for a in addresses[:left])]
        left -= min(left, len(addresses))
    if total > MAX_LISTED:
        lines += ["", f"_… and {total - MAX_LISTED} more_"]
    return [*lines, "", "</details>"]


def _more(count: int) -> str:
    return f" _… and {count - MAX_LISTED} more_" if count > MAX_LISTED else ""


def _code(address: str) -> str:
    """``address`` as inline code, even when a for_each key holds a backtick."""
    return f"`` {address} ``" if "`" in address else f"`{address}`"

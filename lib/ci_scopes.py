"""The two types of the CI permission table (lib/ci_permissions.py): a ``Scope`` is where a set of
actions applies, and names the statement (``sid``) and the managed policy (``group``) it goes to;
a ``Permissions`` entry is what Terraform calls for one resource type on one scope.

Importing this module loads no cdktf or provider binding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lib.config import PROJECT

__all__ = ["ANY", "Permissions", "Scope", "render"]

ANY = ("*",)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: each scope is one constant
class Scope:
    """Where a set of actions applies: ARN patterns (``{account}`` and ``{project}`` filled in at
    synth), an optional condition, and ``why`` when the resource is ``*`` (AWS has no
    resource-level permission for those actions). ``group`` names the managed policy the
    statement goes to."""

    sid: str
    group: str
    resources: tuple[str, ...]
    condition: Mapping[str, Mapping[str, Any]] | None = None
    why: str = ""


@dataclass(frozen=True)
class Permissions:
    """What Terraform calls for one resource type on one scope: ``read`` is the refresh (what a
    plan needs), ``write`` the create, update, tag and delete."""

    scope: Scope
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()


def render(value: Any, account: str, project: str = PROJECT) -> Any:
    """``{account}`` and ``{project}`` filled in, in a string or in the strings of a nested
    condition."""
    if isinstance(value, str):
        return value.format(account=account, project=project)
    if isinstance(value, Mapping):
        return {key: render(item, account, project) for key, item in value.items()}
    return [render(item, account, project) for item in value]

"""The two types of the CI permission table (lib/ci_permissions.py): a ``Scope`` is where a set of
actions applies, and names the statement (``sid``) and the managed policy (``group``) it goes to;
a ``Permissions`` entry is what Terraform calls for one resource type on one scope.

Placeholders, filled in per role at synth (``render``): ``{account}`` (the caller's account id),
``{project}`` (``tap``) and ``{suffix}``: the environment suffix of the target the role serves
(``staging``, ``prod``), or for the preview role the pattern of every preview's (``pr*``).

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
    # The account-level singletons (lib/account.py) of this kind: added to ``resources`` only
    # for the role of the one target that manages the account's settings.
    account_settings: tuple[str, ...] = ()
    # Named by random ids whose service authorizes by ``aws:ResourceTag``: the roles' fences
    # deny them when tagged with another environment's suffix.
    tagged: bool = False


@dataclass(frozen=True)
class Permissions:
    """What Terraform calls for one resource type on one scope: ``read`` is the refresh (what a
    plan needs), ``write`` the create, update, tag and delete."""

    scope: Scope
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()


def render(value: Any, account: str, project: str = PROJECT, suffix: str | None = None) -> Any:
    """``{account}``, ``{project}`` and ``{suffix}`` filled in, in a string or in the strings of
    a nested condition (``**`` left by a pattern suffix before a ``*`` is one ``*``). A
    ``{suffix}`` without a suffix given is an error, never a wildcard."""
    if isinstance(value, str):
        if "{suffix}" in value and suffix is None:
            raise ValueError(f"{value!r} names an environment: give the suffix")
        return value.format(account=account, project=project, suffix=suffix).replace("**", "*")
    if isinstance(value, Mapping):
        return {key: render(item, account, project, suffix) for key, item in value.items()}
    return [render(item, account, project, suffix) for item in value]

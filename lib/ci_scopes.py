"""The two types of the CI permission table (lib/ci_permissions.py): a ``Scope`` is where a set of
actions applies, and names the statement (``sid``) and the managed policy (``group``) it goes to;
a ``Permissions`` entry is what Terraform calls for one resource type on one scope.

Placeholders, filled in per role at synth (``render``): ``{account}`` (the caller's account id),
``{project}`` (``tap``), ``{suffix}``: the environment suffix of the target the role serves
(``staging``, ``prod``), or for the preview role the pattern of every preview's (``pr*``), and
``{kind}``: the role's kind (``preview``, ``staging``, ``production``), which names its
environment's permissions boundary (``{project}-ci-boundary-{kind}``).

Importing this module loads no cdktf or provider binding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lib.config import PROJECT

__all__ = ["ANY", "Permissions", "Scope", "render", "with_children"]

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


def render(
    value: Any, account: str, project: str = PROJECT, suffix: str | None = None, kind: str | None = None
) -> Any:
    """``{account}``, ``{project}``, ``{suffix}`` and ``{kind}`` filled in, in a string or in the
    strings of a nested condition (``**`` left by a pattern suffix before a ``*`` is one ``*``).
    A ``{suffix}`` or ``{kind}`` without its value given is an error, never a wildcard."""
    if isinstance(value, str):
        for name, given in (("suffix", suffix), ("kind", kind)):
            if f"{{{name}}}" in value and given is None:
                raise ValueError(f"{value!r} names an environment: give the {name}")
        return value.format(account=account, project=project, suffix=suffix, kind=kind).replace("**", "*")
    if isinstance(value, Mapping):
        return {key: render(item, account, project, suffix, kind) for key, item in value.items()}
    return [render(item, account, project, suffix, kind) for item in value]


def with_children(resources: list[str]) -> list[str]:
    """Each ARN pattern and, when it does not end with ``*``, its ``/*`` form: what a Deny on a
    name must also cover, because an Allow's ``*`` reaches below it. "The asterisk (*) character
    can expand to replace everything within a segment, including characters like a forward
    slash (/)" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html),
    so ``table/tap-*-pr*`` matches ``table/tap-payments-prod/index/<gsi>``, which DynamoDB
    authorizes a Query of an index on ("Resource": "arn:aws:dynamodb:...:table/GameScores/index/
    TopScoreDateTimeIndex": amazondynamodb/latest/developerguide/specifying-conditions.html), and
    its streams (``table/<name>/stream/<label>``) likewise; a role's or policy's path sits in
    the same segment."""
    found = [[resource] if resource.endswith("*") else [resource, f"{resource}/*"] for resource in resources]
    return list(dict.fromkeys(r for pair in found for r in pair))

"""The CI bootstrap's roles (lib/ci_bootstrap.py) and their managed policies, built from the
permission table (lib/ci_permissions.py).

- ``GithubActionsRole``: a role only GitHub Actions jobs of exact ``sub`` claims may assume.
- ``Policies``: the customer-managed policies, created directly in the stack's scope (their
  construct ids are Terraform addresses: no scope of their own), in this order: the plan role's
  reads, the deploy roles' shared writes and guardrail, each deploy role's operations.
- ``statements``: the table's entries as IAM statements, one per scope.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from lib.ci_bootstrap_config import (
    DEPLOY_SESSION_SECONDS,
    GITHUB_OIDC_HOST,
    PLAN,
    PLAN_SESSION_SECONDS,
    PREVIEW,
    RELEASE,
    STS_AUDIENCE,
    BootstrapConfig,
)
from lib.ci_permissions import DEPLOY_ACTIONS, OPERATION_ACTIONS, ROLE_OPERATIONS
from lib.ci_scopes import Permissions, Scope, render
from lib.config import PROJECT
from lib.policy import document, statement

__all__ = [
    "MANAGED_POLICY_MAX_CHARS",
    "GithubActionsRole",
    "Policies",
    "deploy_entries",
    "github_actions_roles",
    "protected_iam_actions",
    "statements",
]

# IAM's limit for a customer-managed policy, whitespace excluded
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
MANAGED_POLICY_MAX_CHARS = 6144
ROLE_DESCRIPTIONS = {
    PLAN: "GitHub Actions pull requests: terraform plan -lock=false, read-only",
    PREVIEW: "GitHub Actions environment preview: deploys and destroys the pr<N> preview stacks",
    RELEASE: "GitHub Actions environments staging and production: deploys and the game day",
}


# --- the table as statements -------------------------------------------------------------------


def statements(
    entries: Iterable[Permissions], account: str, *, read_only: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """One Allow statement per scope, its actions merged and sorted, grouped by policy group;
    ``read_only``: only the reads (scopes left without an action are left out)."""
    actions: dict[Scope, set[str]] = {}
    for entry in entries:
        chosen = entry.read if read_only else (*entry.read, *entry.write)
        actions.setdefault(entry.scope, set()).update(chosen)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for scope, names in actions.items():
        if names:
            grouped.setdefault(scope.group, []).append(
                statement(
                    scope.sid,
                    sorted(names),
                    render(list(scope.resources), account),
                    condition=render(scope.condition, account) if scope.condition else None,
                )
            )
    return grouped


def deploy_entries() -> list[Permissions]:
    return [entry for entries in DEPLOY_ACTIONS.values() for entry in entries]


def protected_iam_actions() -> list[str]:
    """Every IAM action the deploy table allows: denied on the CI's own roles and policies, so
    a deploy role cannot rewrite its own permissions (or the other roles')."""
    return sorted(
        {a for entry in deploy_entries() for a in (*entry.read, *entry.write) if a.startswith("iam:")}
        - {"iam:CreateServiceLinkedRole"}
    )


# --- constructs --------------------------------------------------------------------------------


class GithubActionsRole(Construct):
    """A role only GitHub Actions jobs of ``subjects`` may assume, with ``policies`` attached."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        provider: TerraformProvider,
        name: str,
        description: str,
        oidc_provider_arn: str,
        subjects: Sequence[str],
        max_session_seconds: int,
    ) -> None:
        super().__init__(scope, id)
        self._provider = provider
        self.role = IamRole(
            self,
            "role",
            provider=provider,
            name=name,
            description=description,
            max_session_duration=max_session_seconds,
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "GithubActionsOidc",
                            "Effect": "Allow",
                            "Principal": {"Federated": oidc_provider_arn},
                            "Action": "sts:AssumeRoleWithWebIdentity",
                            "Condition": {
                                "StringEquals": {
                                    f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                                    f"{GITHUB_OIDC_HOST}:sub": list(subjects),
                                }
                            },
                        }
                    ],
                }
            ),
        )

    @property
    def arn(self) -> str:
        return self.role.arn

    def attach(self, policies: Iterable[IamPolicy]) -> None:
        for policy in policies:
            IamRolePolicyAttachment(
                self,
                f"attach-{policy.node.id}",
                provider=self._provider,
                role=self.role.name,
                policy_arn=policy.arn,
            )


def github_actions_roles(
    scope: Construct, *, provider: TerraformProvider, config: BootstrapConfig, oidc_provider_arn: str
) -> dict[str, GithubActionsRole]:
    """The plan, preview and release roles (construct ids ``role-<kind>``), in that order."""
    return {
        kind: GithubActionsRole(
            scope,
            f"role-{kind}",
            provider=provider,
            name=config.role_name(kind),
            description=ROLE_DESCRIPTIONS[kind],
            oidc_provider_arn=oidc_provider_arn,
            subjects=config.subjects(kind),
            max_session_seconds=PLAN_SESSION_SECONDS if kind == PLAN else DEPLOY_SESSION_SECONDS,
        )
        for kind in (PLAN, PREVIEW, RELEASE)
    }


@dataclass(frozen=True)
class Policies:
    """Creates the roles' customer-managed policies in ``scope`` (the stack): construct id
    ``<name>``, IAM name ``<project>-ci-<name>``."""

    scope: Construct
    provider: TerraformProvider
    account_id: str

    def policy(self, name: str, description: str, body: list[dict[str, Any]]) -> IamPolicy:
        return IamPolicy(
            self.scope,
            name,
            provider=self.provider,
            name=f"{PROJECT}-ci-{name}",
            description=description,
            policy=document(*body),
        )

    def plan(self, state_reads: list[dict[str, Any]]) -> list[IamPolicy]:
        """``plan-<group>``: the table's reads (a refresh), and ``plan-state``: ``state_reads``."""
        reads = statements(deploy_entries(), self.account_id, read_only=True)
        return [
            *(
                self.policy(f"plan-{group}", f"Refresh the main stack's {group} resources", body)
                for group, body in reads.items()
            ),
            self.policy("plan-state", "Read the Terraform state (no lock)", state_reads),
        ]

    def deploy(self, state_writes: list[dict[str, Any]]) -> list[IamPolicy]:
        """What both deploy roles share: ``deploy-<group>`` (the table's reads and writes),
        ``deploy-state`` (``state_writes``) and ``deploy-guardrails`` (the CI's own roles and
        policies denied)."""
        writes = statements(deploy_entries(), self.account_id)
        ci_access = [f"arn:aws:iam::{self.account_id}:{kind}/{PROJECT}-ci-*" for kind in ("role", "policy")]
        return [
            *(
                self.policy(f"deploy-{group}", f"Deploy the main stack's {group} resources", body)
                for group, body in writes.items()
            ),
            self.policy("deploy-state", "Read, write and lock the Terraform state", state_writes),
            self.policy(
                "deploy-guardrails",
                "The CI's own roles and policies are out of the deploy roles' reach",
                [statement("ProtectCiAccess", protected_iam_actions(), ci_access, effect="Deny")],
            ),
        ]

    def operations(self, kind: str) -> IamPolicy:
        """``<kind>-operations``: what the ``kind`` role's jobs run besides Terraform."""
        operations = statements(
            [entry for operation in ROLE_OPERATIONS[kind] for entry in OPERATION_ACTIONS[operation]],
            self.account_id,
        )
        return self.policy(
            f"{kind}-operations",
            f"What the {kind} jobs run besides Terraform: {', '.join(ROLE_OPERATIONS[kind])}",
            [s for group in operations.values() for s in group],
        )

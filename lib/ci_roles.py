"""The CI bootstrap's roles (lib/ci_bootstrap.py) and their managed policies, built from the
permission table (lib/ci_permissions.py).

- ``GithubActionsRole``: a role only GitHub Actions jobs of exact ``sub`` claims may assume.
- ``Policies``: the customer-managed policies, created directly in the stack's scope (their
  construct ids are Terraform addresses: no scope of their own): per role, the table's
  statements for its own environment (``<kind>-<group>``; the plan role's reads only, for
  staging), its state (``<kind>-state``), its fence (``<kind>-fence``, lib/ci_fences.py) and, for
  a deploy role, its operations; shared by the deploy roles, the guardrails; and per deploy
  role, its environment's permissions boundary (``boundary-<kind>``, lib/ci_boundary.py).
- ``statements``: the table's entries as IAM statements for one environment, one per scope.
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
    DEPLOY_KINDS,
    DEPLOY_SESSION_SECONDS,
    GITHUB_OIDC_HOST,
    PLAN,
    PLAN_SESSION_SECONDS,
    PREVIEW,
    PRODUCTION,
    STAGING,
    STS_AUDIENCE,
    BootstrapConfig,
    boundary_name,
)
from lib.ci_boundary import boundary_statements
from lib.ci_fences import fence_statements, state_statements
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
    PLAN: "GitHub Actions pull requests: terraform plan -lock=false of staging, read-only",
    PREVIEW: "GitHub Actions environment preview: deploys and destroys the pr<N> preview stacks",
    STAGING: "GitHub Actions environment staging: deploys, integration tests and the game day",
    PRODUCTION: "GitHub Actions environment production: plans and deploys prod",
}


# --- the table as statements -------------------------------------------------------------------


def statements(
    entries: Iterable[Permissions],
    account: str,
    *,
    suffix: str,
    kind: str | None = None,
    account_settings: bool = False,
    read_only: bool = False,
) -> dict[str, list[dict[str, Any]]]:
    """One Allow statement per scope, its actions merged and sorted, grouped by policy group,
    for the environment(s) ``suffix`` names and the ``kind`` role (its boundary);
    ``account_settings``: with the account-level singletons; ``read_only``: only the reads
    (scopes left without an action, or without a resource, are left out)."""
    actions: dict[Scope, set[str]] = {}
    for entry in entries:
        chosen = entry.read if read_only else (*entry.read, *entry.write)
        actions.setdefault(entry.scope, set()).update(chosen)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for scope, names in actions.items():
        resources = [*scope.resources, *(scope.account_settings if account_settings else ())]
        if names and resources:
            grouped.setdefault(scope.group, []).append(
                statement(
                    scope.sid,
                    sorted(names),
                    render(resources, account, suffix=suffix, kind=kind),
                    condition=render(scope.condition, account, suffix=suffix, kind=kind)
                    if scope.condition
                    else None,
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
    """The plan, preview, staging and production roles (construct ids ``role-<kind>``)."""
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
        for kind in (PLAN, PREVIEW, STAGING, PRODUCTION)
    }


@dataclass(frozen=True)
class StateAccess:
    """The state bucket and its key, as the roles' state statements name them."""

    bucket_arn: str
    key_arn: str


@dataclass(frozen=True)
class Policies:
    """Creates the roles' customer-managed policies in ``scope`` (the stack): construct id
    ``<name>``, IAM name ``<project>-ci-<name>``."""

    scope: Construct
    provider: TerraformProvider
    config: BootstrapConfig
    account_id: str
    state: StateAccess

    def policy(self, name: str, description: str, body: list[dict[str, Any]]) -> IamPolicy:
        return IamPolicy(
            self.scope,
            name,
            provider=self.provider,
            name=f"{PROJECT}-ci-{name}",
            description=description,
            policy=document(*body),
        )

    def _table(self, kind: str, entries: Iterable[Permissions], *, read_only: bool = False) -> dict[str, Any]:
        target = self.config.target(kind)
        return statements(
            entries,
            self.account_id,
            suffix=target.suffix,
            kind=kind,
            account_settings=target.manages_account_settings,
            read_only=read_only,
        )

    def _state_and_fence(self, kind: str, *, write: bool) -> list[IamPolicy]:
        target = self.config.target(kind)
        state = state_statements(
            target, bucket_arn=self.state.bucket_arn, key_arn=self.state.key_arn, write=write
        )
        fence = fence_statements(self.config, kind, account=self.account_id, bucket_arn=self.state.bucket_arn)
        verb = "Read, write and lock" if write else "Read (no lock)"
        return [
            self.policy(f"{kind}-state", f"{verb} the Terraform state of {target.state_key}", state),
            self.policy(f"{kind}-fence", "The other environments' resources and state, denied", fence),
        ]

    def plan(self) -> list[IamPolicy]:
        """``plan-<group>``: the table's reads (a refresh) of the plan role's target (staging),
        ``plan-state`` and ``plan-fence``."""
        reads = self._table(PLAN, deploy_entries(), read_only=True)
        return [
            *(
                self.policy(f"plan-{group}", f"Refresh the staging stack's {group} resources", body)
                for group, body in reads.items()
            ),
            *self._state_and_fence(PLAN, write=False),
        ]

    def deploy(self, kind: str) -> list[IamPolicy]:
        """The ``kind`` deploy role's own: ``<kind>-<group>`` (the table's reads and writes on
        its environment), ``<kind>-state``, ``<kind>-fence`` and ``<kind>-operations`` (what its
        jobs run besides Terraform)."""
        writes = self._table(kind, deploy_entries())
        operations = self._table(
            kind, [entry for operation in ROLE_OPERATIONS[kind] for entry in OPERATION_ACTIONS[operation]]
        )
        return [
            *(
                self.policy(f"{kind}-{group}", f"Deploy the {kind} stack's {group} resources", body)
                for group, body in writes.items()
            ),
            *self._state_and_fence(kind, write=True),
            self.policy(
                f"{kind}-operations",
                f"What the {kind} jobs run besides Terraform: {', '.join(ROLE_OPERATIONS[kind])}",
                [s for group in operations.values() for s in group],
            ),
        ]

    def guardrails(self) -> IamPolicy:
        """``deploy-guardrails``, shared by the deploy roles: the CI's own roles and policies (the
        boundaries among them) out of reach, no boundary removed, no CI policy attached."""
        ci_access = [f"arn:aws:iam::{self.account_id}:{kind}/{PROJECT}-ci-*" for kind in ("role", "policy")]
        boundaries = [
            f"arn:aws:iam::{self.account_id}:policy/{boundary_name(self.config.target(kind).name)}"
            for kind in DEPLOY_KINDS
        ]
        return self.policy(
            "deploy-guardrails",
            "The CI's own roles and policies are out of the deploy roles' reach",
            [
                statement("ProtectCiAccess", protected_iam_actions(), ci_access, effect="Deny"),
                # The IAM User Guide's delegation example: NoBoundaryPolicyEdit, NoBoundaryUserDelete.
                statement(
                    "NoBoundaryPolicyEdit",
                    [
                        "iam:CreatePolicyVersion",
                        "iam:DeletePolicy",
                        "iam:DeletePolicyVersion",
                        "iam:SetDefaultPolicyVersion",
                    ],
                    boundaries,
                    effect="Deny",
                ),
                statement("NoBoundaryRemoval", ["iam:DeleteRolePermissionsBoundary"], ["*"], effect="Deny"),
                statement(
                    "NoCiPolicyAttached",
                    ["iam:AttachRolePolicy"],
                    ["*"],
                    effect="Deny",
                    condition={
                        "ArnLike": {"iam:PolicyARN": f"arn:aws:iam::{self.account_id}:policy/{PROJECT}-ci-*"}
                    },
                ),
            ],
        )

    def boundary(self, kind: str) -> IamPolicy:
        """``tap-ci-boundary-<kind>``: the permissions boundary of the ``kind`` target's stack's
        roles: its own environment's names only, the other exact environments' denied."""
        target = self.config.target(kind)
        return self.policy(
            f"boundary-{kind}",
            f"Permissions boundary of every role of the {target.name} stack (lib/ci_boundary.py)",
            boundary_statements(
                self.account_id,
                suffix=target.suffix,
                others=[t.suffix for t in self.config.others(kind)],
                account_settings=target.manages_account_settings,
            ),
        )

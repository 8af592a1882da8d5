"""What the CI bootstrap (lib/ci_bootstrap.py) needs to know, read from the environment and
validated in ONE place, like ``StackConfig``: every problem in one message.

Importing this module loads no cdktf or provider binding, so ``python -m deploy.bootstrap``
refuses a bad variable in a moment, before the ~15 s jsii import.

    GITHUB_REPOSITORY      required: owner/name of the repository whose workflows may assume the
                           roles, exactly as GitHub spells it (the token's ``sub`` is compared
                           case-sensitively)
    STATE_BUCKET_REGION    where the Terraform state bucket lives; default us-east-2: neither
                           region of the DR pair (PRIMARY_REGION / SECONDARY_REGION, default
                           us-east-1 / us-west-2), so losing either leaves every state and its
                           lock file reachable for the repairs
    CREATE_OIDC_PROVIDER   true (default) | false: an account has ONE IAM OIDC provider per URL;
                           false uses the one that exists (looked up by its URL)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from lib import regions
from lib.config import PROJECT, ConfigError

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_HOST = GITHUB_OIDC_URL.removeprefix("https://")
STS_AUDIENCE = "sts.amazonaws.com"
DEFAULT_STATE_BUCKET_REGION = regions.DEFAULT_STATE_BUCKET
STACK_ID = "TapCiBootstrap"
# Its own state: a local file in the project root (the bucket does not exist before it).
LOCAL_STATE_FILE = f"terraform.{STACK_ID}.tfstate"

# GitHub: an account (owner) name is letters, digits and single hyphens, neither first nor last,
# at most 39 characters; a repository name is letters, digits, '.', '-' and '_', at most 100.
_OWNER_RE = re.compile(r"^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$")
_REPO_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")

# The three roles and the GitHub OIDC subjects each trusts, exactly (no wildcards):
# https://docs.github.com/en/actions/reference/security/oidc#example-subject-claims
PLAN, PREVIEW, RELEASE = "plan", "preview", "release"
ROLE_SUBJECTS: dict[str, tuple[str, ...]] = {
    PLAN: ("pull_request",),  # the PR's `terraform plan -lock=false`: read-only
    PREVIEW: ("environment:preview",),  # deploys and destroys the pr<N> preview stacks
    RELEASE: ("environment:staging", "environment:production"),  # staging, prod, game day
}


# A deploy of the main stack (DynamoDB replica, ACM validation) can outlast the default hour; an
# expired session mid-apply leaves creates AWS made but the state never recorded. The workflows
# ask for exactly this (role-duration-seconds, tests/unit/test_workflows.py).
DEPLOY_SESSION_SECONDS = 2 * 3600
PLAN_SESSION_SECONDS = 3600


def role_name(kind: str, project: str = PROJECT) -> str:
    """``tap-ci-plan`` | ``tap-ci-preview`` | ``tap-ci-release``."""
    return f"{project}-ci-{kind}"


@dataclass(frozen=True, kw_only=True)
class BootstrapConfig:
    repository: str  # owner/name
    state_bucket_region: str
    create_oidc_provider: bool
    project: str = PROJECT

    def role_name(self, kind: str) -> str:
        return role_name(kind, self.project)

    def subjects(self, kind: str) -> list[str]:
        """The ``sub`` claims of the GitHub tokens that may assume the ``kind`` role."""
        return [f"repo:{self.repository}:{context}" for context in ROLE_SUBJECTS[kind]]

    def state_bucket_name(self, account_id: str) -> str:
        """``tap-terraform-state-<account>-<region>``: the account id makes it globally unique;
        ending with the region (not the account id, as the main stack's buckets do) keeps it
        outside the deploy roles' bucket pattern ``tap-*-<account>``."""
        return f"{self.project}-terraform-state-{account_id}-{self.state_bucket_region}"

    @property
    def tags(self) -> dict[str, str]:
        return {
            "Project": self.project,
            "Repository": self.repository,
            "ManagedBy": "cdktf",
            "Stack": STACK_ID,
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BootstrapConfig:
        env = os.environ if env is None else env

        def get(key: str, default: str = "") -> str:
            return env.get(key, "").strip() or default

        repository = get("GITHUB_REPOSITORY")
        region = get("STATE_BUCKET_REGION", DEFAULT_STATE_BUCKET_REGION)
        create = get("CREATE_OIDC_PROVIDER", "true").lower()
        dr_regions = (
            get("PRIMARY_REGION", regions.DEFAULT_PRIMARY),
            get("SECONDARY_REGION", regions.DEFAULT_SECONDARY),
        )
        errors = [*_repository_errors(repository), *_region_errors(region, dr_regions)]
        if create not in ("true", "false"):
            errors.append(f"CREATE_OIDC_PROVIDER={create!r} must be 'true' or 'false'")
        if errors:
            raise ConfigError("Invalid bootstrap configuration:\n  - " + "\n  - ".join(errors))
        return cls(repository=repository, state_bucket_region=region, create_oidc_provider=create == "true")


def _repository_errors(repository: str) -> list[str]:
    if not repository:
        return [
            "GITHUB_REPOSITORY is required: the repository whose workflows assume the roles, as owner/name"
        ]
    owner, _, name = repository.partition("/")
    if _OWNER_RE.match(owner) and _REPO_RE.match(name) and name not in (".", ".."):
        return []
    return [
        f"GITHUB_REPOSITORY={repository!r} is not owner/name as GitHub allows them (owner: letters, "
        "digits and single inner hyphens, at most 39; name: letters, digits, '.', '-', '_', at most 100)"
    ]


def _region_errors(region: str, dr_regions: tuple[str, str]) -> list[str]:
    if region not in regions.KNOWN:
        return [
            f"STATE_BUCKET_REGION={region!r} is not a region of the aws partition, "
            f"like {regions.DEFAULT_STATE_BUCKET!r}"
        ]
    if region in dr_regions:
        return [
            f"STATE_BUCKET_REGION={region!r} is a region of the DR pair ({', '.join(dr_regions)}): "
            "losing it would take the state and its lock with it; choose a third region"
        ]
    return []

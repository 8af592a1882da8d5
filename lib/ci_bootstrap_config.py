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

What each role may name comes from the pipeline's targets, ``.github/deploy-targets.json`` (the
file deploy/ci_target.py reads for the workflows): their environment suffixes (a preview's
``pr{number}`` becomes the pattern ``pr*``) and which target owns the account-level settings.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lib import regions
from lib.config import PROJECT, ConfigError, stack_id

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

# The four roles and the GitHub OIDC subjects each trusts, exactly (no wildcards):
# https://docs.github.com/en/actions/reference/security/oidc#example-subject-claims
PLAN, PREVIEW, STAGING, PRODUCTION = "plan", "preview", "staging", "production"
DEPLOY_KINDS = (PREVIEW, STAGING, PRODUCTION)
ROLE_SUBJECTS: dict[str, tuple[str, ...]] = {
    PLAN: ("pull_request",),  # the PR's `terraform plan -lock=false` of staging: read-only
    PREVIEW: ("environment:preview",),  # deploys and destroys the pr<N> preview stacks
    STAGING: ("environment:staging",),  # staging: deploys, integration tests, the game day
    PRODUCTION: ("environment:production",),  # prod: its plan and deploy after merge, reviewed
}
# The pipeline target (.github/deploy-targets.json) each role serves: a pull request plans
# staging only (prod's plan runs after merge, behind the production environment).
ROLE_TARGETS = {PLAN: "staging", PREVIEW: "preview", STAGING: "staging", PRODUCTION: "prod"}
TARGETS_FILE = Path(__file__).resolve().parents[1] / ".github" / "deploy-targets.json"
# The deploy role (and its permissions boundary) of each deploy target.
DEPLOY_TARGET_KINDS = {ROLE_TARGETS[kind]: kind for kind in DEPLOY_KINDS}
# The tag (lib/config.py StackConfig.tags, the providers' default tags) that names a resource's
# environment: the boundary and the CI roles' fences read it.
SUFFIX_TAG = "EnvironmentSuffix"


# A deploy of the main stack (DynamoDB replica, ACM validation) can outlast the default hour; an
# expired session mid-apply leaves creates AWS made but the state never recorded. The workflows
# ask for exactly this (role-duration-seconds, tests/unit/test_workflows.py).
DEPLOY_SESSION_SECONDS = 2 * 3600
PLAN_SESSION_SECONDS = 3600


def boundary_name(target: str, project: str = PROJECT) -> str:
    """The permissions boundary every role of ``target``'s stack carries, and the only one its
    deploy role may give a role: ``tap-ci-boundary-preview`` | ``-staging`` | ``-production``
    (lib/ci_boundary.py: one per environment, naming that environment's resources only). The CI
    targets deploy with ``PERMISSIONS_BOUNDARY`` set to it (deploy/ci_target.py)."""
    return f"{project}-ci-boundary-{DEPLOY_TARGET_KINDS[target]}"


def role_name(kind: str, project: str = PROJECT) -> str:
    """``tap-ci-plan`` | ``tap-ci-preview`` | ``tap-ci-staging`` | ``tap-ci-production``."""
    return f"{project}-ci-{kind}"


@dataclass(frozen=True)
class Target:
    """What one pipeline target names: ``suffix`` is its environment suffix, or for the preview
    target the pattern of every preview's (``pr*``); ``exact`` says it names one environment."""

    name: str
    suffix: str
    manages_account_settings: bool

    @property
    def exact(self) -> bool:
        return "*" not in self.suffix

    @property
    def state_key(self) -> str:
        """Its Terraform state's object key (deploy: ``TapStack<suffix>/terraform.tfstate``)."""
        return f"{stack_id(self.suffix)}/terraform.tfstate"


def read_targets(path: Path | None = None) -> dict[str, Target]:
    """The preview, staging and prod targets of ``path`` (default ``TARGETS_FILE``;
    deploy/ci_target.py validates the rest of the file for the workflows, this reads what the
    roles need). ConfigError on a file that cannot describe them."""
    path = TARGETS_FILE if path is None else path
    try:
        data: Any = json.loads(path.read_text())
        targets = {
            name: Target(
                name,
                data[name]["suffix"].replace("{number}", "*"),
                data[name]["manage_account_settings"],
            )
            for name in sorted(set(ROLE_TARGETS.values()))
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ConfigError(f"{path} cannot describe the pipeline's targets ({error!r})") from None
    errors = _target_errors(targets)
    if errors:
        raise ConfigError(f"{path}: " + "; ".join(errors))
    return targets


def _target_errors(targets: Mapping[str, Target]) -> list[str]:
    """A preview's suffix is a pattern (``{number}`` in it), every other target's is exact; all
    are lowercase letters and digits (lib/config.py's suffix rule) and differ."""
    errors = []
    for target in targets.values():
        preview = target.name == ROLE_TARGETS[PREVIEW]
        if not re.fullmatch(r"[a-z0-9-]*\*[a-z0-9-]*" if preview else r"[a-z0-9-]+", target.suffix):
            needs = "with {number}" if preview else "without {number}"
            errors.append(f"{target.name}.suffix {target.suffix!r}: lowercase letters and digits {needs}")
        if not isinstance(target.manages_account_settings, bool):
            errors.append(f"{target.name}.manage_account_settings must be true or false")
    if len({t.suffix for t in targets.values()}) != len(targets):
        errors.append("the targets' suffixes must differ")
    return errors


@dataclass(frozen=True, kw_only=True)
class BootstrapConfig:
    repository: str  # owner/name
    state_bucket_region: str
    create_oidc_provider: bool
    targets: Mapping[str, Target] = field(default_factory=read_targets)
    project: str = PROJECT

    def role_name(self, kind: str) -> str:
        return role_name(kind, self.project)

    def target(self, kind: str) -> Target:
        """The pipeline target the ``kind`` role serves."""
        return self.targets[ROLE_TARGETS[kind]]

    def others(self, kind: str) -> list[Target]:
        """The exact targets the ``kind`` role must not touch (a preview's pattern is no name
        to deny: ``pr*`` also matches ``prod``)."""
        own = self.target(kind)
        return [t for t in self.targets.values() if t.exact and t is not own]

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
        try:
            targets = read_targets()
        except ConfigError as error:
            errors.append(str(error))
        if errors:
            raise ConfigError("Invalid bootstrap configuration:\n  - " + "\n  - ".join(errors))
        return cls(
            repository=repository,
            state_bucket_region=region,
            create_oidc_provider=create == "true",
            targets=targets,
        )


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

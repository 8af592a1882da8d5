"""TapCiBootstrap: what a team applies ONCE, with administrator credentials from a laptop, before
the GitHub Actions pipeline can reach AWS (``python -m deploy.bootstrap apply``).

- GitHub's OIDC provider (or the account's existing one, ``CREATE_OIDC_PROVIDER=false``) and four
  roles that trust only ``sts:AssumeRoleWithWebIdentity`` from it, for exact ``sub`` claims:
  ``tap-ci-plan`` (pull requests: read-only ``terraform plan -lock=false`` of staging; prod is
  planned after merge by the production role), ``tap-ci-preview`` (the ``preview`` environment:
  pr<N> stacks), ``tap-ci-staging`` (``staging``: deploys, integration tests, the game day) and
  ``tap-ci-production`` (``production``, behind its reviewers: prod). Each reaches only its own
  environment's names and state (lib/ci_fences.py: what it cannot, and the residual).
- One permissions boundary per deploy target, ``tap-ci-boundary-preview``, ``-staging`` and
  ``-production`` (lib/ci_boundary.py): every role a deploy role creates must carry its own
  environment's, so no pipeline job can make itself or anyone an administrator, or reach another
  environment's data through a role it creates.
- What the roles may do comes from ONE table, declared data in lib/ci_permissions.py
  (``DEPLOY_ACTIONS``): per Terraform resource type of the main stack, the actions that read it
  (a plan's refresh: the plan role gets only these) and the ones that create, update, tag and
  delete it, on the project's names wherever the service has resource-level permissions. A
  resource type the main stack gains fails a unit test until it has an entry. The roles and
  their policies are built in lib/ci_roles.py, the state bucket in lib/ci_state_bucket.py; this
  module is the stack that puts them together.
- The Terraform state bucket ``tap-terraform-state-<account>-<region>``: versioned, SSE-KMS with
  its own rotating key, TLS only, private, owner-enforced, old versions expire after 90 days,
  ``prevent_destroy``. Its region defaults to us-east-2: neither region of the DR pair
  (us-east-1 / us-west-2), so losing either leaves the state and its lock file reachable for the
  repairs.

Chicken and egg: this stack's own state cannot live in the bucket it creates, so it is a local
file, ``terraform.TapCiBootstrap.tfstate`` in the project root (``*.tfstate`` is gitignored; it
holds ARNs and policies, no secret). Keep it safe (a private, encrypted store), or move it into the
bucket once it exists: in ``.cache/ci-bootstrap/stacks/TapCiBootstrap/cdk.tf.json`` replace
``terraform.backend`` by ``{"s3": {"bucket": "<state_bucket>", "key": "TapCiBootstrap/terraform.tfstate",
"region": "<state_bucket_region>", "encrypt": true, "kms_key_id": "<state_key_arn>",
"use_lockfile": true}}`` (without ``kms_key_id`` Terraform sends AES256, which the bucket refuses) and run
``terraform -chdir=.cache/ci-bootstrap/stacks/TapCiBootstrap init -migrate-state`` with
administrator credentials (the CI roles are denied this stack's roles and policies). From then on
run Terraform in that directory: ``python -m deploy.bootstrap`` synthesizes the local backend again.
"""

from __future__ import annotations

import json

from cdktf import LocalBackend, TerraformOutput, TerraformProvider, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_openid_connect_provider import DataAwsIamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from lib.ci_bootstrap_config import (
    DEPLOY_KINDS,
    GITHUB_OIDC_URL,
    PLAN,
    PREVIEW,
    PRODUCTION,
    STAGING,
    STS_AUDIENCE,
    BootstrapConfig,
)
from lib.ci_permissions import DEPLOY_ACTIONS
from lib.ci_roles import GithubActionsRole, Policies, StateAccess, github_actions_roles
from lib.ci_state_bucket import StateBucket
from lib.region import Region

__all__ = ["DEPLOY_ACTIONS", "BootstrapConfig", "CiBootstrapStack"]


class CiBootstrapStack(TerraformStack):
    """GitHub's OIDC provider, the plan, preview, staging and production roles, their
    environments' boundaries and the Terraform state bucket.

    ``local_state_path``: where the LocalBackend keeps this stack's own state, relative to the
    synthesized stack directory (deploy/bootstrap.py points it at the project root)."""

    def __init__(self, scope: Construct, id: str, *, config: BootstrapConfig, local_state_path: str) -> None:
        super().__init__(scope, id)
        LocalBackend(self, path=local_state_path)
        provider = AwsProvider(
            self,
            "aws",
            region=config.state_bucket_region,
            default_tags=[AwsProviderDefaultTags(tags=config.tags)],
        )
        account_id = DataAwsCallerIdentity(self, "caller", provider=provider).account_id
        oidc_arn = self._github_oidc_provider(config, provider)

        def role_arn(kind: str) -> str:
            return f"arn:aws:iam::{account_id}:role/{config.role_name(kind)}"

        state = StateBucket(
            self,
            "state",
            region=Region("state", config.state_bucket_region, provider),
            name=config.state_bucket_name(account_id),
            account_id=account_id,
            readers=[role_arn(PLAN)],
            writers=[role_arn(kind) for kind in DEPLOY_KINDS],
            ci_role_pattern=role_arn("*"),
        )
        roles = github_actions_roles(self, provider=provider, config=config, oidc_provider_arn=oidc_arn)
        policies = Policies(self, provider, config, account_id, StateAccess(state.arn, state.key.arn))
        for kind in DEPLOY_KINDS:
            policies.boundary(kind)
        roles[PLAN].attach(policies.plan())
        guardrails = policies.guardrails()
        for kind in DEPLOY_KINDS:
            roles[kind].attach([*policies.deploy(kind), guardrails])
        self._outputs(config, roles, state)

    def _github_oidc_provider(self, config: BootstrapConfig, provider: TerraformProvider) -> str:
        """The ARN of GitHub's OIDC provider: created here, or the account's existing one."""
        if config.create_oidc_provider:
            # thumbprint_list is optional in hashicorp/aws 5.100.0 (since 5.81, PR #37255): AWS
            # validates GitHub's certificate against its trusted CA library and ignores thumbprints
            # (https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/iam_openid_connect_provider#thumbprint_list).
            return IamOpenidConnectProvider(
                self, "github-oidc", provider=provider, url=GITHUB_OIDC_URL, client_id_list=[STS_AUDIENCE]
            ).arn
        return DataAwsIamOpenidConnectProvider(
            self, "github-oidc", provider=provider, url=GITHUB_OIDC_URL
        ).arn

    def _outputs(
        self, config: BootstrapConfig, roles: dict[str, GithubActionsRole], state: StateBucket
    ) -> None:
        """One output per repository variable the workflows read, and all of them as JSON."""
        outputs = {
            "plan_role_arn": (roles[PLAN].arn, "AWS_PLAN_ROLE_ARN"),
            "preview_role_arn": (roles[PREVIEW].arn, "AWS_PREVIEW_ROLE_ARN"),
            "staging_role_arn": (roles[STAGING].arn, "AWS_STAGING_ROLE_ARN"),
            "production_role_arn": (roles[PRODUCTION].arn, "AWS_PRODUCTION_ROLE_ARN"),
            "state_bucket": (state.name, "TERRAFORM_STATE_BUCKET"),
            "state_bucket_region": (config.state_bucket_region, "TERRAFORM_STATE_BUCKET_REGION"),
            "state_key_arn": (state.key.arn, "TERRAFORM_STATE_KEY_ARN"),
        }
        for name, (value, variable) in outputs.items():
            TerraformOutput(self, name, value=value, description=f"GitHub repository variable {variable}")
        TerraformOutput(
            self,
            "github_variables",
            value=json.dumps({variable: value for value, variable in outputs.values()}, sort_keys=True),
            description="The repository variables the workflows read, as JSON (`gh variable set` each)",
        )

"""An IAM role a service assumes, with one customer-managed policy attached to it."""

from __future__ import annotations

from typing import Any

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from lib.policy import assume_role_policy, document


class ServiceRole(Construct):
    """``role`` (trusting ``service``), ``policy`` (the statements) and their ``attachment``.

    ``source_account``: only requests the service makes for this account may assume the role
    (confused deputy); give it only for services AWS documents as sending ``aws:SourceAccount``
    when they assume a role, because a condition on a key that is not sent never holds.

    The attachment takes the role's *name*, as ``aws_iam_role_policy_attachment`` requires;
    depend on ``attachment`` when a resource needs the permissions in place.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        provider: TerraformProvider,
        name: str,
        service: str,
        description: str,
        source_account: str | None = None,
        statements: list[dict[str, Any]],
    ) -> None:
        super().__init__(scope, id)
        self.role = IamRole(
            self,
            "role",
            provider=provider,
            name=name,
            assume_role_policy=assume_role_policy(service, source_account),
        )
        self.policy = IamPolicy(
            self,
            "policy",
            provider=provider,
            name=name,
            description=description,
            policy=document(*statements),
        )
        self.attachment = IamRolePolicyAttachment(
            self, "attachment", provider=provider, role=self.role.name, policy_arn=self.policy.arn
        )

    @property
    def arn(self) -> str:
        return self.role.arn

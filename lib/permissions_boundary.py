"""Every IAM role of the main stack carries the permissions boundary ``PERMISSIONS_BOUNDARY``
names (lib/config.py ``StackConfig.permissions_boundary``: the CI bootstrap's workload boundary,
lib/ci_boundary.py), when it is set; the local emulator deploys without one.

An aspect visits every construct of the stack at synth, so a role added later carries the
boundary too, as AWS CDK's ``PermissionsBoundary.of(scope).apply(policy)`` does ("Apply the given
policy as Permissions Boundary to all Roles and Users in the scope":
https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_iam/PermissionsBoundary.html).
The CI deploy roles may create a role, or attach a policy to one, only with this boundary
(``iam:PermissionsBoundary``); hashicorp/aws passes ``permissions_boundary`` in CreateRole and,
on a role that exists, calls PutRolePermissionsBoundary (internal/service/iam/role.go:
``if d.HasChange("permissions_boundary") { ... conn.PutRolePermissionsBoundary(input)``).
"""

from __future__ import annotations

from typing import Any

import jsii
from cdktf import Aspects, IAspect
from cdktf_cdktf_provider_aws.iam_role import IamRole
from constructs import Construct

__all__ = ["apply_permissions_boundary", "boundary_arn"]


def boundary_arn(account_id: str, policy_name: str) -> str:
    """The ARN of the customer-managed policy ``policy_name`` in ``account_id``."""
    return f"arn:aws:iam::{account_id}:policy/{policy_name}"


@jsii.implements(IAspect)
class _Boundary:
    def __init__(self, arn: str) -> None:
        self.arn = arn

    def visit(self, node: Any) -> None:
        if isinstance(node, IamRole):
            node.permissions_boundary = self.arn


def apply_permissions_boundary(scope: Construct, account_id: str, policy_name: str | None) -> None:
    """Give every ``IamRole`` under ``scope`` the boundary ``policy_name`` (none when None)."""
    if policy_name:
        Aspects.of(scope).add(_Boundary(boundary_arn(account_id, policy_name)))

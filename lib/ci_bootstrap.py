"""TapCiBootstrap: what a team applies ONCE, with administrator credentials from a laptop, before
the GitHub Actions pipeline can reach AWS (``python -m deploy.bootstrap apply``).

- GitHub's OIDC provider (or the account's existing one, ``CREATE_OIDC_PROVIDER=false``) and three
  roles that trust only ``sts:AssumeRoleWithWebIdentity`` from it, for exact ``sub`` claims:
  ``tap-ci-plan`` (pull requests: read-only ``terraform plan -lock=false``), ``tap-ci-preview``
  (the ``preview`` environment: pr<N> stacks) and ``tap-ci-release`` (``staging`` and
  ``production``: deploys and the game day).
- What the deploy roles may do comes from ONE table, ``DEPLOY_ACTIONS``: per Terraform resource
  type of the main stack, the actions that read it (a plan's refresh: the plan role gets only
  these) and the ones that create, update, tag and delete it, on the project's names wherever the
  service has resource-level permissions. A resource type the main stack gains fails a unit test
  until it has an entry.
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
"region": "<state_bucket_region>", "encrypt": true, "use_lockfile": true}}`` and run
``terraform -chdir=.cache/ci-bootstrap/stacks/TapCiBootstrap init -migrate-state`` with
administrator credentials (the CI roles are denied this stack's roles and policies). From then on
run Terraform in that directory: ``python -m deploy.bootstrap`` synthesizes the local backend again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cdktf import LocalBackend, TerraformOutput, TerraformProvider, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_openid_connect_provider import DataAwsIamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from constructs import Construct

from lib.api_contract import RECEIPTS_PREFIX
from lib.ci_bootstrap_config import (
    DEPLOY_SESSION_SECONDS,
    GITHUB_OIDC_HOST,
    GITHUB_OIDC_URL,
    PLAN,
    PLAN_SESSION_SECONDS,
    PREVIEW,
    RELEASE,
    STS_AUDIENCE,
    BootstrapConfig,
)
from lib.config import PROJECT, QUERY_LOG_GROUP_PREFIX
from lib.failover_switch import NAMESPACE as FAILOVER_SWITCH_NAMESPACE
from lib.keys import ADMIN_ACTIONS, VIA_SERVICES, RegionalKey
from lib.policy import document, statement
from lib.region import Region
from lib.storage import BucketSettings, PrivateBucket

__all__ = ["DEPLOY_ACTIONS", "BootstrapConfig", "CiBootstrapStack"]

NONCURRENT_STATE_DAYS = 90
ABORT_UPLOAD_DAYS = 7
# IAM's limit for a customer-managed policy, whitespace excluded
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
MANAGED_POLICY_MAX_CHARS = 6144
P = PROJECT


# --- the permission table ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: each scope is one constant
class Scope:
    """Where a set of actions applies: ARN patterns (``{account}`` filled in at synth), an
    optional condition, and ``why`` when the resource is ``*`` (AWS has no resource-level
    permission for those actions). ``group`` names the managed policy the statement goes to."""

    sid: str
    group: str
    resources: tuple[str, ...]
    condition: Mapping[str, Mapping[str, Any]] | None = None
    why: str = ""


@dataclass(frozen=True)
class Permissions:
    """What Terraform calls for one resource type on one scope: ``read`` is the refresh (what a
    plan needs), ``write`` the create, update, tag and delete."""

    scope: Scope
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()


ANY = ("*",)
_ACCOUNT_LOGS = "arn:aws:logs:*:{account}"

# API Gateway authorizes by HTTP verb on resource paths; the ids under them are random.
APIGATEWAY_APIS = Scope(
    "ApiGatewayRestApis", "network", ("arn:aws:apigateway:*::/restapis", "arn:aws:apigateway:*::/restapis/*")
)
APIGATEWAY_KEYS = Scope(
    "ApiGatewayKeysAndUsagePlans",
    "network",
    tuple(
        f"arn:aws:apigateway:*::/{path}" for path in ("apikeys", "apikeys/*", "usageplans", "usageplans/*")
    ),
)
APIGATEWAY_DOMAINS = Scope(
    "ApiGatewayDomainNames",
    "network",
    ("arn:aws:apigateway:*::/domainnames", "arn:aws:apigateway:*::/domainnames/*"),
)
APIGATEWAY_ACCOUNT = Scope("ApiGatewayAccount", "network", ("arn:aws:apigateway:*::/account",))
APIGATEWAY_TAGS = Scope("ApiGatewayTags", "network", ("arn:aws:apigateway:*::/tags/*",))
APIGATEWAY_STAGES = Scope(
    "ApiGatewayStageFirewalls", "network", ("arn:aws:apigateway:*::/restapis/*/stages/*",)
)
# Certificates, hosted zones, health checks and query-log configs are named by random ids.
ACM_CERTIFICATES = Scope("AcmCertificates", "network", ("arn:aws:acm:*:{account}:certificate/*",))
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
        f"arn:aws:wafv2:*:{{account}}:regional/webacl/{P}-*/*",
        # The AWS managed rule groups the ACL references (owned by AWS, not this account).
        "arn:aws:wafv2:*:*:regional/managedruleset/*/*",
    ),
)

DYNAMODB_TABLES = Scope("DynamoDbTables", "compute", (f"arn:aws:dynamodb:*:{{account}}:table/{P}-*",))
DYNAMODB_REPLICATION_ROLE = Scope(
    "DynamoDbReplicationServiceRole",
    "compute",
    (
        "arn:aws:iam::{account}:role/aws-service-role/replication.dynamodb.amazonaws.com/"
        "AWSServiceRoleForDynamoDBReplication",
    ),
    condition={"StringEquals": {"iam:AWSServiceName": "replication.dynamodb.amazonaws.com"}},
)
LAMBDA_FUNCTIONS = Scope("LambdaFunctions", "compute", (f"arn:aws:lambda:*:{{account}}:function:{P}-*",))
# Every bucket of the main stack is <project>-<purpose>-<region role>-<suffix>-<account id>; the
# state bucket ends with its region instead, so it is outside this pattern.
S3_BUCKETS = Scope("S3Buckets", "compute", (f"arn:aws:s3:::{P}-*-{{account}}",))
S3_OBJECTS = Scope("S3ObjectsOnForceDestroy", "compute", (f"arn:aws:s3:::{P}-*-{{account}}/*",))
IAM_ROLES = Scope("IamRoles", "compute", (f"arn:aws:iam::{{account}}:role/{P}-*",))
IAM_POLICIES = Scope("IamPolicies", "compute", (f"arn:aws:iam::{{account}}:policy/{P}-*",))
IAM_ATTACHMENTS = Scope(
    "IamAttachProjectPolicies",
    "compute",
    (f"arn:aws:iam::{{account}}:role/{P}-*",),
    condition={"ArnLike": {"iam:PolicyARN": f"arn:aws:iam::{{account}}:policy/{P}-*"}},
)
IAM_PASS_ROLE = Scope(
    "IamPassStackRoles",
    "compute",
    (f"arn:aws:iam::{{account}}:role/{P}-*",),
    condition={
        "StringEquals": {
            "iam:PassedToService": ["apigateway.amazonaws.com", "lambda.amazonaws.com", "s3.amazonaws.com"]
        }
    },
)
# KMS keys are named by random ids, and aliases are not there yet when a key is created.
KMS_KEYS = Scope("KmsKeys", "compute", ("arn:aws:kms:*:{account}:key/*",))
KMS_ALIASES = Scope("KmsAliases", "compute", (f"arn:aws:kms:*:{{account}}:alias/{P}-*",))
KMS_THROUGH_SERVICES = Scope(
    "KmsThroughStackServices",
    "compute",
    ("arn:aws:kms:*:{account}:key/*",),
    condition={"StringLike": {"kms:ViaService": [f"{s}.*.amazonaws.com" for s in VIA_SERVICES]}},
)
KMS_CREATES = Scope(
    "KmsCreates",
    "compute",
    ANY,
    why="CreateKey and ListAliases have no resource-level permission",
)

LOG_GROUPS = Scope(
    "LogGroups",
    "observability",
    tuple(
        f"{_ACCOUNT_LOGS}:log-group:{name}*"
        for name in (
            f"/aws/lambda/{P}-",
            f"/aws/apigateway/{P}-",
            "aws-waf-logs-" + f"{P}-",  # WAF requires the aws-waf-logs- prefix
            "API-Gateway-Execution-Logs_",  # API Gateway names it after the API's id
            QUERY_LOG_GROUP_PREFIX,  # /aws/route53/<zone>: the zone is any DOMAIN_NAME
        )
    ),
)
# "set the ARN of its Resource line to use a * wildcard, instead of specifying only a single
# log group name" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html)
LOGS_ACCOUNT = Scope("LogsAccountPolicies", "observability", (f"{_ACCOUNT_LOGS}:*",))
LOG_DELIVERIES = Scope(
    "LogDeliveries",
    "observability",
    ANY,
    why="the vended-log delivery actions (WAF to CloudWatch Logs) have no resource-level permission",
)
ALARMS = Scope("CloudWatchAlarms", "observability", (f"arn:aws:cloudwatch:*:{{account}}:alarm:{P}-*",))
TOPICS = Scope("SnsTopics", "observability", (f"arn:aws:sns:*:{{account}}:{P}-*",))
PARAMETERS = Scope("SsmParameters", "observability", (f"arn:aws:ssm:*:{{account}}:parameter/{P}-*",))
SSM_DESCRIBE = Scope(
    "SsmDescribe", "observability", ANY, why="DescribeParameters has no resource-level permission"
)

_TAGS_AWS = ("TagResource", "UntagResource")


def _s3(read: str, write: str) -> tuple[Permissions, ...]:
    return (Permissions(S3_BUCKETS, read=(f"s3:{read}",), write=(f"s3:{write}",)),)


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
        Permissions(IAM_PASS_ROLE, write=("iam:PassRole",)),
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
    "aws_api_gateway_stage": _API,
    "aws_api_gateway_usage_plan": (
        Permissions(APIGATEWAY_KEYS, read=_API_READ, write=_API_WRITE),
        Permissions(APIGATEWAY_APIS, read=_API_READ),
        Permissions(APIGATEWAY_TAGS, read=_API_READ, write=("apigateway:DELETE", "apigateway:PUT")),
    ),
    "aws_api_gateway_usage_plan_key": (Permissions(APIGATEWAY_KEYS, read=_API_READ, write=_API_WRITE),),
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
                *(f"logs:{a}" for a in _TAGS_AWS),
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
                *(f"cloudwatch:{a}" for a in _TAGS_AWS),
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
                *(f"dynamodb:{a}" for a in _TAGS_AWS),
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
                *(f"dynamodb:{a}" for a in _TAGS_AWS),
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
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:ListInstanceProfilesForRole",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
            ),
        ),
    ),
    "aws_iam_role_policy_attachment": (
        Permissions(IAM_ROLES, read=("iam:ListAttachedRolePolicies",)),
        Permissions(IAM_ATTACHMENTS, write=("iam:AttachRolePolicy", "iam:DetachRolePolicy")),
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
                *(f"kms:{a}" for a in _TAGS_AWS),
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
                *(f"lambda:{a}" for a in _TAGS_AWS),
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
    "aws_s3_bucket_lifecycle_configuration": _s3("GetLifecycleConfiguration", "PutLifecycleConfiguration"),
    "aws_s3_bucket_logging": _s3("GetBucketLogging", "PutBucketLogging"),
    "aws_s3_bucket_policy": (
        Permissions(
            S3_BUCKETS, read=("s3:GetBucketPolicy",), write=("s3:DeleteBucketPolicy", "s3:PutBucketPolicy")
        ),
    ),
    "aws_s3_bucket_public_access_block": _s3("GetBucketPublicAccessBlock", "PutBucketPublicAccessBlock"),
    "aws_s3_bucket_replication_configuration": (
        *_s3("GetReplicationConfiguration", "PutReplicationConfiguration"),
        Permissions(IAM_PASS_ROLE, write=("iam:PassRole",)),
    ),
    "aws_s3_bucket_server_side_encryption_configuration": _s3(
        "GetEncryptionConfiguration", "PutEncryptionConfiguration"
    ),
    "aws_s3_bucket_versioning": _s3("GetBucketVersioning", "PutBucketVersioning"),
    "aws_sns_topic": (
        Permissions(
            TOPICS,
            read=("sns:GetTopicAttributes", "sns:ListTagsForResource"),
            write=(
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:SetTopicAttributes",
                *(f"sns:{a}" for a in _TAGS_AWS),
            ),
        ),
        _KMS_FOR_ENCRYPTED,
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
                *(f"wafv2:{a}" for a in _TAGS_AWS),
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

# What the pipeline does besides Terraform, per role (.github/workflows): deploy/preflight_aws.py
# before a deploy, destroy or plan, tests/integration after the preview and staging deploys, and
# dr/gameday.py on staging.
PREFLIGHT = Scope(
    "Preflight",
    "operations",
    ANY,
    why="ListHostedZonesByName, Lambda's GetAccountSettings and DynamoDB's ListTables have no "
    "resource-level permission",
)
RECEIPTS = Scope(
    "ReceiptObjects", "operations", (f"arn:aws:s3:::{P}-receipts-*-{{account}}/{RECEIPTS_PREFIX}*",)
)
FAILOVER_SWITCH = Scope(
    "FailoverSwitch",
    "operations",
    ANY,
    condition={"StringEquals": {"cloudwatch:namespace": FAILOVER_SWITCH_NAMESPACE}},
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
ROLE_OPERATIONS: dict[str, tuple[str, ...]] = {
    PREVIEW: ("preflight", "integration-tests"),
    RELEASE: ("preflight", "integration-tests", "gameday"),  # the integration tests run on staging
}


def _render(value: Any, account: str) -> Any:
    """``{account}`` filled in, in a string or in the strings of a nested condition."""
    if isinstance(value, str):
        return value.format(account=account)
    if isinstance(value, Mapping):
        return {key: _render(item, account) for key, item in value.items()}
    return [_render(item, account) for item in value]


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
                    _render(list(scope.resources), account),
                    condition=_render(scope.condition, account) if scope.condition else None,
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


class StateBucket(Construct):
    """The Terraform state bucket (lib/storage.py's private, versioned, TLS-only bucket) and its
    customer-managed key. ``readers`` and ``writers`` are role ARNs (strings built from names: no
    dependency on the roles, so revoking them never touches the key); the account's
    administrators keep the key, the CI roles never can."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        region: Region,
        name: str,
        account_id: str,
        readers: Sequence[str],
        writers: Sequence[str],
        ci_role_pattern: str,
    ) -> None:
        super().__init__(scope, id)
        root = f"arn:aws:iam::{account_id}:root"
        via_s3 = {"kms:ViaService": f"s3.{region.name}.amazonaws.com", "kms:CallerAccount": account_id}
        not_ci = {"ArnNotLike": {"aws:PrincipalArn": ci_role_pattern}}
        self.key = RegionalKey(
            self,
            "key",
            region=region,
            alias_name=name,
            account_id=account_id,
            deletion_window_days=30,
            prevent_destroy=True,
            purpose="Terraform state of every environment",
            policy_statements=[
                # Administration through IAM, for everyone but the CI roles (no cryptographic
                # operation in the list: administrators cannot read state with it).
                statement(
                    "AccountAdministration", ADMIN_ACTIONS, "*", principal={"AWS": root}, condition=not_ci
                ),
                # Administrators reading or repairing state (a stale lock, a migration).
                statement(
                    "AccountStateThroughS3",
                    ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                    "*",
                    principal={"AWS": root},
                    condition={"StringEquals": via_s3, **not_ci},
                ),
                statement(
                    "CiReadState",
                    ["kms:Decrypt"],
                    "*",
                    principal={"AWS": root},
                    condition={"StringEquals": via_s3, "ArnEquals": {"aws:PrincipalArn": list(readers)}},
                ),
                statement(
                    "CiWriteState",
                    ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                    "*",
                    principal={"AWS": root},
                    condition={"StringEquals": via_s3, "ArnEquals": {"aws:PrincipalArn": list(writers)}},
                ),
            ],
        )
        self.private = PrivateBucket(
            self,
            "bucket",
            settings=BucketSettings(
                region=region, name=name, key=self.key, force_destroy=False, prevent_destroy=True
            ),
            lifecycle_rule=S3BucketLifecycleConfigurationRule(
                id="expire-old-state-versions",
                status="Enabled",
                filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                noncurrent_version_expiration=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                        noncurrent_days=NONCURRENT_STATE_DAYS
                    )
                ],
                # Every released lock leaves a delete marker; once its versions expired, it goes.
                expiration=[S3BucketLifecycleConfigurationRuleExpiration(expired_object_delete_marker=True)],
                abort_incomplete_multipart_upload=[
                    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                        days_after_initiation=ABORT_UPLOAD_DAYS
                    )
                ],
            ),
            skips={
                "CKV_AWS_144": "the state bucket sits outside the DR pair's regions by design, so losing "
                "either keeps it; versioning recovers any state write",
                "CKV_AWS_18": "a one-bucket bootstrap: S3 server access logs need a second bucket to guard "
                "the same way; CloudTrail records every role session that reads or writes the state",
                "CKV2_AWS_62": "no consumer of object events: only Terraform reads and writes the state",
            },
        )
        self.bucket = self.private.bucket
        S3BucketOwnershipControls(
            self,
            "ownership",
            provider=region.provider,
            bucket=self.bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )

    @property
    def arn(self) -> str:
        return self.bucket.arn

    @property
    def name(self) -> str:
        return self.bucket.bucket

    def read_statements(self) -> list[dict[str, Any]]:
        """A ``terraform plan -lock=false``: read any stack's state, never write or lock; the
        bucket's location and versioning for the plan's preflight (deploy/preflight_aws.py)."""
        return [
            statement("StateObjectsRead", ["s3:GetObject"], [f"{self.arn}/*"]),
            statement(
                "StateBucketRead",
                ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"],
                [self.arn],
            ),
            statement("StateKeyDecrypt", ["kms:Decrypt"], [self.key.arn]),
        ]

    def write_statements(self) -> list[dict[str, Any]]:
        """A deploy: read and write state, take and release the S3-native lock (``.tflock``);
        the bucket's location and versioning for the preflight (deploy/preflight_aws.py)."""
        return [
            statement("StateObjectsReadWrite", ["s3:GetObject", "s3:PutObject"], [f"{self.arn}/*"]),
            statement("StateLockRelease", ["s3:DeleteObject"], [f"{self.arn}/*.tflock"]),
            statement(
                "StateBucketRead",
                ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"],
                [self.arn],
            ),
            statement("StateKeyUse", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], [self.key.arn]),
        ]


class CiBootstrapStack(TerraformStack):
    """GitHub's OIDC provider, the plan/preview/release roles and the Terraform state bucket.

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

        if config.create_oidc_provider:
            # thumbprint_list is optional in hashicorp/aws 5.100.0 (since 5.81, PR #37255): AWS
            # validates GitHub's certificate against its trusted CA library and ignores thumbprints
            # (https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/iam_openid_connect_provider#thumbprint_list).
            oidc_arn = IamOpenidConnectProvider(
                self, "github-oidc", provider=provider, url=GITHUB_OIDC_URL, client_id_list=[STS_AUDIENCE]
            ).arn
        else:
            oidc_arn = DataAwsIamOpenidConnectProvider(
                self, "github-oidc", provider=provider, url=GITHUB_OIDC_URL
            ).arn

        def role_arn(kind: str) -> str:
            return f"arn:aws:iam::{account_id}:role/{config.role_name(kind)}"

        state = StateBucket(
            self,
            "state",
            region=Region("state", config.state_bucket_region, provider),
            name=config.state_bucket_name(account_id),
            account_id=account_id,
            readers=[role_arn(PLAN)],
            writers=[role_arn(PREVIEW), role_arn(RELEASE)],
            ci_role_pattern=role_arn("*"),
        )

        descriptions = {
            PLAN: "GitHub Actions pull requests: terraform plan -lock=false, read-only",
            PREVIEW: "GitHub Actions environment preview: deploys and destroys the pr<N> preview stacks",
            RELEASE: "GitHub Actions environments staging and production: deploys and the game day",
        }
        roles = {
            kind: GithubActionsRole(
                self,
                f"role-{kind}",
                provider=provider,
                name=config.role_name(kind),
                description=descriptions[kind],
                oidc_provider_arn=oidc_arn,
                subjects=config.subjects(kind),
                max_session_seconds=PLAN_SESSION_SECONDS if kind == PLAN else DEPLOY_SESSION_SECONDS,
            )
            for kind in (PLAN, PREVIEW, RELEASE)
        }

        def policy(name: str, description: str, body: list[dict[str, Any]]) -> IamPolicy:
            return IamPolicy(
                self,
                name,
                provider=provider,
                name=f"{P}-ci-{name}",
                description=description,
                policy=document(*body),
            )

        reads = statements(deploy_entries(), account_id, read_only=True)
        roles[PLAN].attach(
            [
                *(
                    policy(f"plan-{group}", f"Refresh the main stack's {group} resources", body)
                    for group, body in reads.items()
                ),
                policy("plan-state", "Read the Terraform state (no lock)", state.read_statements()),
            ]
        )

        writes = statements(deploy_entries(), account_id)
        ci_access = [f"arn:aws:iam::{account_id}:{kind}/{P}-ci-*" for kind in ("role", "policy")]
        deploy = [
            *(
                policy(f"deploy-{group}", f"Deploy the main stack's {group} resources", body)
                for group, body in writes.items()
            ),
            policy(
                "deploy-state",
                "Read, write and lock the Terraform state",
                state.write_statements(),
            ),
            policy(
                "deploy-guardrails",
                "The CI's own roles and policies are out of the deploy roles' reach",
                [statement("ProtectCiAccess", protected_iam_actions(), ci_access, effect="Deny")],
            ),
        ]
        for kind in (PREVIEW, RELEASE):
            operations = statements(
                [entry for operation in ROLE_OPERATIONS[kind] for entry in OPERATION_ACTIONS[operation]],
                account_id,
            )
            roles[kind].attach(
                [
                    *deploy,
                    policy(
                        f"{kind}-operations",
                        f"What the {kind} jobs run besides Terraform: {', '.join(ROLE_OPERATIONS[kind])}",
                        [s for group in operations.values() for s in group],
                    ),
                ]
            )

        outputs = {
            "plan_role_arn": (roles[PLAN].arn, "AWS_PLAN_ROLE_ARN"),
            "preview_role_arn": (roles[PREVIEW].arn, "AWS_PREVIEW_ROLE_ARN"),
            "release_role_arn": (roles[RELEASE].arn, "AWS_RELEASE_ROLE_ARN"),
            "state_bucket": (state.name, "TERRAFORM_STATE_BUCKET"),
            "state_bucket_region": (config.state_bucket_region, "TERRAFORM_STATE_BUCKET_REGION"),
        }
        for name, (value, variable) in outputs.items():
            TerraformOutput(self, name, value=value, description=f"GitHub repository variable {variable}")
        TerraformOutput(
            self,
            "github_variables",
            value=json.dumps({variable: value for value, variable in outputs.values()}, sort_keys=True),
            description="The repository variables the workflows read, as JSON (`gh variable set` each)",
        )

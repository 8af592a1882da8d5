"""Stack configuration: read from environment variables and validated in ONE place.

Everything the stack needs to know about where and how it is deployed comes from
``StackConfig.from_env``. Invalid values fail synthesis with one clear message that
lists every problem at once, instead of surfacing as a cryptic AWS error mid-apply.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from lib import alarm_subscriptions, backup_retention, regions
from lib.alarm_subscriptions import Subscription
from lib.regions import Topology

PROJECT = "tap"

_SUFFIX_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,18}[a-z0-9])?$")
BUCKET_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ZONE_ID_RE = re.compile(r"^Z[A-Z0-9]{1,31}$")
# A KMS key ARN (not an alias: S3's s3:x-amz-server-side-encryption-aws-kms-key-id condition and
# the state bucket's policy compare the key ARN).
_KMS_KEY_ARN_RE = re.compile(r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):[0-9]{12}:key/[A-Za-z0-9-]{1,128}$")
# An IAM policy name: "alphanumeric and '+=,.@-_' characters", 1-128
# (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html).
_POLICY_NAME_RE = re.compile(r"^[\w+=,.@-]{1,128}$")
_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# AWS tag values: letters, digits, spaces and _ . : / = + - @ (256 chars max).
_TAG_VALUE_RE = re.compile(r"^[\w .:/=+\-@]{0,256}$")
# RFC 2606 / RFC 6761 names that can never be delegated to us.
_RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
_RESERVED_TLDS = ("test", "example", "invalid", "localhost", "local")

DEFAULT_PARENT_DOMAIN = "payments-dr.net"

# Account-level singletons (lib/account.py): named without an environment suffix, because one
# environment per account owns them and every other one uses them.
APIGATEWAY_CLOUDWATCH_ROLE = f"{PROJECT}-apigateway-cloudwatch-logs"
QUERY_LOG_POLICY = f"{PROJECT}-route53-query-logs"
QUERY_LOG_GROUP_PREFIX = "/aws/route53/"
# What API Gateway does with that role: AWS's AmazonAPIGatewayPushToCloudWatchLogs, scoped to
# the account's log groups in the stack's regions.
APIGATEWAY_LOG_ACTIONS = [
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:FilterLogEvents",
    "logs:GetLogEvents",
    "logs:PutLogEvents",
]


def stack_id(suffix: str) -> str:
    """The stack's id (``TapStack<suffix>``): its Terraform state's name and cdktf.out's folder."""
    return f"TapStack{suffix}"


def resource_name(suffix: str, purpose: str, role: str | None = None) -> str:
    """``<project>-<purpose>-<region role>-<suffix>`` (role omitted for global things)."""
    return "-".join(part for part in (PROJECT, purpose, role, suffix) if part)


class ConfigError(ValueError):
    """Raised when the environment describes a stack that cannot be deployed."""


@dataclass(frozen=True, kw_only=True)
class Profile:
    """Settings that differ between environments (dev / staging / prod)."""

    name: str
    log_retention_days: int
    kms_deletion_window_days: int
    deletion_protection: bool
    force_destroy: bool
    # None: the function draws on the account's unreserved pool. A reservation R needs the
    # account's unreserved concurrency to stay >= 100 after it (AWS), which new accounts
    # (quota 10) cannot give: `make deploy` checks it before anything is created.
    reserved_concurrency: int | None
    throttle_rate_limit: int
    throttle_burst_limit: int
    quota_per_day: int
    prevent_destroy: bool  # Terraform refuses any plan that destroys the data or its keys
    waf_requests_per_ip: int  # per 5-minute window, then WAF blocks the address
    backups: backup_retention.BackupRetention  # PITR window, backups, copies, vault lock: the reasons there


# Logs kept at least this long satisfy audit retention (checkov CKV_AWS_338: one year).
AUDIT_LOG_RETENTION_DAYS = 365

PROFILES: dict[str, Profile] = {
    "dev": Profile(
        name="dev",
        log_retention_days=7,
        kms_deletion_window_days=7,
        deletion_protection=False,
        force_destroy=True,
        reserved_concurrency=None,
        throttle_rate_limit=50,
        throttle_burst_limit=100,
        quota_per_day=10_000,
        prevent_destroy=False,
        waf_requests_per_ip=2_000,
        backups=backup_retention.DEV,
    ),
    "staging": Profile(
        name="staging",
        log_retention_days=30,
        kms_deletion_window_days=14,
        deletion_protection=False,
        force_destroy=True,
        reserved_concurrency=20,
        throttle_rate_limit=200,
        throttle_burst_limit=400,
        quota_per_day=100_000,
        prevent_destroy=False,
        waf_requests_per_ip=5_000,
        backups=backup_retention.STAGING,
    ),
    "prod": Profile(
        name="prod",
        log_retention_days=AUDIT_LOG_RETENTION_DAYS,
        kms_deletion_window_days=30,
        deletion_protection=True,
        force_destroy=False,
        reserved_concurrency=100,
        throttle_rate_limit=1_000,
        throttle_burst_limit=2_000,
        quota_per_day=5_000_000,
        prevent_destroy=True,
        waf_requests_per_ip=20_000,
        backups=backup_retention.PROD,
    ),
}

# ACM: "the length of the domain name (technically, the Common Name) that you provide cannot
# exceed 64 octets" (https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html).
# The certificate is for api.<DOMAIN_NAME>.
ACM_MAX_DOMAIN_LENGTH = 64
API_SUBDOMAIN = "api"


@dataclass(frozen=True)
class StackConfig:
    suffix: str
    profile: Profile
    primary_region: str
    secondary_region: str
    domain_name: str
    hosted_zone_id: str | None
    custom_domain: bool
    # Exactly one environment per account owns the account-level singletons (API Gateway's
    # CloudWatch role per region, the Route 53 query-log resource policy); the others use them.
    manages_account_settings: bool
    state_bucket: str | None
    state_bucket_region: str | None
    repository: str
    commit_author: str
    # The state bucket's KMS key (the bootstrap's state_key_arn output): the S3 backend encrypts
    # the state and its lock file with it; required with state_bucket.
    state_key_arn: str | None = None
    # The IAM policy every role of the stack carries as its permissions boundary (the CI
    # bootstrap's workload boundary): the CI deploy roles may create roles only with it.
    permissions_boundary: str | None = None
    # Every alarm topic's subscriptions (ALARM_SUBSCRIPTIONS, lib/alarm_subscriptions.py);
    # prod refuses to synthesize without one.
    alarm_subscriptions: tuple[Subscription, ...] = ()
    # Other AWS accounts whose principals may call the signed routes (API_CALLER_ACCOUNTS); this
    # account's may always (with the caller policy). Each API's resource policy refuses the rest.
    caller_accounts: tuple[str, ...] = ()
    # Roles of this account each API's resource policy admits to the signed routes without an IAM
    # grant of their own (API_CALLER_ROLES: the CI role that runs the integration tests).
    caller_roles: tuple[str, ...] = ()

    @property
    def topology(self) -> Topology:
        """Each role's region and the global region: what the stack is built from."""
        return Topology.of(self.primary_region, self.secondary_region)

    @property
    def stack_id(self) -> str:
        return stack_id(self.suffix)

    @property
    def api_domain_name(self) -> str:
        return f"{API_SUBDOMAIN}.{self.domain_name}"

    @property
    def tags(self) -> dict[str, str]:
        return {
            "Environment": self.profile.name,
            "Project": PROJECT,
            "Repository": self.repository,
            "Author": self.commit_author,
            "ManagedBy": "cdktf",
            "EnvironmentSuffix": self.suffix,
        }

    def name(self, purpose: str, role: str | None = None) -> str:
        return resource_name(self.suffix, purpose, role)

    @property
    def identity(self) -> dict[str, str | bool]:
        """What a deployment is: recorded as a stack output at deploy time, and compared before
        every later deploy or destroy (a different profile, region or owner is refused)."""
        return {
            "suffix": self.suffix,
            "profile": self.profile.name,
            "primary_region": self.primary_region,
            "secondary_region": self.secondary_region,
            "manages_account_settings": self.manages_account_settings,
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StackConfig:
        env = os.environ if env is None else env

        def get(key: str, default: str | None = None) -> str | None:
            value = env.get(key, "").strip()
            return value or default

        suffix = get("ENVIRONMENT_SUFFIX", "dev")
        profile_name = get("ENVIRONMENT", "dev")
        primary = get("PRIMARY_REGION", regions.DEFAULT_PRIMARY)
        secondary = get("SECONDARY_REGION", regions.DEFAULT_SECONDARY)
        domain = get("DOMAIN_NAME")
        hosted_zone_id = get("HOSTED_ZONE_ID")
        custom_domain = get("ENABLE_CUSTOM_DOMAIN", "true").lower()
        account_settings = get("MANAGE_ACCOUNT_SETTINGS", "true").lower()
        state_bucket = get("TERRAFORM_STATE_BUCKET")
        state_region = get("TERRAFORM_STATE_BUCKET_REGION")
        state_key = get("TERRAFORM_STATE_KEY_ARN")
        boundary = get("PERMISSIONS_BOUNDARY")
        repository = get("REPOSITORY", "unknown")
        author = get("COMMIT_AUTHOR", "unknown")
        subscriptions, subscription_errors = alarm_subscriptions.parse(get(alarm_subscriptions.VARIABLE))
        caller_accounts, caller_errors = _caller_accounts(get("API_CALLER_ACCOUNTS"))
        caller_roles, role_errors = _caller_roles(get("API_CALLER_ROLES"))

        errors = [
            *suffix_errors(suffix),
            *_profile_errors(profile_name),
            *_region_errors(primary, secondary),
            *_zone_errors(domain, hosted_zone_id),
            *state_bucket_errors(state_bucket, state_region),
            *_state_key_errors(state_bucket, state_region or primary, state_key),
            *_boundary_errors(boundary),
            *_tag_errors({"REPOSITORY": repository, "COMMIT_AUTHOR": author}),
            *subscription_errors,
            *caller_errors,
            *role_errors,
        ]
        if profile_name == "prod" and not subscriptions and not subscription_errors:
            errors.append(
                f"{alarm_subscriptions.VARIABLE} is empty: prod needs at least one subscription "
                "(email:<address> or https://<url>) so that an alarm reaches a person"
            )
        for key, value in (
            ("ENABLE_CUSTOM_DOMAIN", custom_domain),
            ("MANAGE_ACCOUNT_SETTINGS", account_settings),
        ):
            if value not in ("true", "false"):
                errors.append(f"{key}={value!r} must be 'true' or 'false'")
        if errors:
            raise ConfigError("Invalid stack configuration:\n  - " + "\n  - ".join(errors))

        return cls(
            suffix=suffix,
            profile=PROFILES[profile_name],
            primary_region=primary,
            secondary_region=secondary,
            domain_name=_normalise(domain) if domain else f"{PROJECT}-{suffix}.{DEFAULT_PARENT_DOMAIN}",
            hosted_zone_id=hosted_zone_id,
            custom_domain=custom_domain == "true",
            manages_account_settings=account_settings == "true",
            state_bucket=state_bucket,
            state_bucket_region=(state_region or primary) if state_bucket else None,
            repository=repository,
            commit_author=author,
            state_key_arn=state_key,
            permissions_boundary=boundary,
            alarm_subscriptions=subscriptions,
            caller_accounts=caller_accounts,
            caller_roles=caller_roles,
        )


_ACCOUNT_ID = re.compile(r"[0-9]{12}")


def _caller_accounts(value: str | None) -> tuple[tuple[str, ...], list[str]]:
    """API_CALLER_ACCOUNTS: comma-separated 12-digit account ids, in order, without repeats."""
    if value is None:
        return (), []
    accounts = [part.strip() for part in value.split(",") if part.strip()]
    bad = [a for a in accounts if not _ACCOUNT_ID.fullmatch(a)]
    if bad:
        return (), [f"API_CALLER_ACCOUNTS: {', '.join(map(repr, bad))} is not a 12-digit AWS account id"]
    return tuple(dict.fromkeys(accounts)), []


# "Names of users, groups, roles, policies ... must be alphanumeric, including the following common
# characters: plus (+), equal (=), comma (,), period (.), at (@), underscore (_), and hyphen (-)";
# a role name is at most 64 characters (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
_ROLE_NAME = re.compile(r"[A-Za-z0-9+=,.@_-]{1,64}")


def _caller_roles(value: str | None) -> tuple[tuple[str, ...], list[str]]:
    """API_CALLER_ROLES: comma-separated IAM role names of this account, in order, without repeats."""
    if value is None:
        return (), []
    names = [part.strip() for part in value.split(",") if part.strip()]
    bad = [n for n in names if not _ROLE_NAME.fullmatch(n)]
    if bad:
        return (), [f"API_CALLER_ROLES: {', '.join(map(repr, bad))} is not an IAM role name (not an ARN)"]
    return tuple(dict.fromkeys(names)), []


def suffix_errors(suffix: str) -> list[str]:
    if _SUFFIX_RE.match(suffix):
        return []
    return [
        f"ENVIRONMENT_SUFFIX={suffix!r} must be 1-20 characters of lowercase letters, "
        "digits and hyphens, starting and ending with a letter or digit"
    ]


def _profile_errors(name: str) -> list[str]:
    if name in PROFILES:
        return []
    return [f"ENVIRONMENT={name!r} must be one of {', '.join(PROFILES)}"]


def _region_errors(primary: str, secondary: str) -> list[str]:
    errors = [
        _region_error(key, value)
        for key, value in (("PRIMARY_REGION", primary), ("SECONDARY_REGION", secondary))
    ]
    errors = [error for error in errors if error]
    if primary == secondary:
        errors.append(f"PRIMARY_REGION and SECONDARY_REGION must differ (both {primary!r})")
    return errors


def _region_error(key: str, value: str) -> str | None:
    try:
        regions.check(value, key)
    except regions.TopologyError as error:
        return str(error)
    return None


def _zone_errors(domain: str | None, hosted_zone_id: str | None) -> list[str]:
    errors = []
    if hosted_zone_id and not domain:
        errors.append("HOSTED_ZONE_ID is set but DOMAIN_NAME is not: give the zone's name too")
    if hosted_zone_id and not _ZONE_ID_RE.match(hosted_zone_id):
        errors.append(f"HOSTED_ZONE_ID={hosted_zone_id!r} is not a Route 53 zone id")
    if domain:
        errors.extend(_domain_errors(_normalise(domain)))
    return errors


def state_bucket_errors(bucket: str | None, region: str | None) -> list[str]:
    errors = []
    if bucket and not BUCKET_NAME_RE.match(bucket):
        errors.append(f"TERRAFORM_STATE_BUCKET={bucket!r} is not a valid S3 bucket name")
    if region and not bucket:
        errors.append("TERRAFORM_STATE_BUCKET_REGION is set but TERRAFORM_STATE_BUCKET is not")
    if region and region not in regions.KNOWN:
        errors.append(f"TERRAFORM_STATE_BUCKET_REGION={region!r} is not a region name")
    return errors


def _state_key_errors(bucket: str | None, region: str, key: str | None) -> list[str]:
    if not key:
        if bucket:
            return [
                "TERRAFORM_STATE_KEY_ARN is required with TERRAFORM_STATE_BUCKET: the ARN of the state "
                "bucket's KMS key (the CI bootstrap's state_key_arn output); without it Terraform's S3 "
                "backend encrypts the state with AES256, not the key"
            ]
        return []
    if not bucket:
        return ["TERRAFORM_STATE_KEY_ARN is set but TERRAFORM_STATE_BUCKET is not"]
    problem = state_key_problem(key, region)
    return [problem] if problem else []


def state_key_problem(key: str, region: str, name: str = "TERRAFORM_STATE_KEY_ARN") -> str | None:
    """Why ``key`` (given as ``name``) cannot be the key of a state bucket in ``region``, in one
    line; None when it can. Also read by deploy/state_encryption.py."""
    match = _KMS_KEY_ARN_RE.match(key)
    if not match:
        return f"{name}={key!r} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>; not an alias)"
    if match.group(1) != region:
        return f"{name} is a key in {match.group(1)}, not in the state bucket's region {region}"
    return None


def _boundary_errors(boundary: str | None) -> list[str]:
    if boundary is None or _POLICY_NAME_RE.match(boundary):
        return []
    return [
        f"PERMISSIONS_BOUNDARY={boundary!r} is not an IAM policy name "
        "(1-128 letters, digits and + = , . @ - _)"
    ]


def _tag_errors(values: dict[str, str]) -> list[str]:
    return [
        f"{key}={value!r} is not a valid AWS tag value "
        "(letters, digits, spaces and _ . : / = + - @, at most 256)"
        for key, value in values.items()
        if not _TAG_VALUE_RE.match(value)
    ]


def _normalise(domain: str) -> str:
    return domain.lower().rstrip(".")


def _domain_errors(domain: str) -> list[str]:
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL_RE.match(x) for x in labels):
        return [f"DOMAIN_NAME={domain!r} is not a valid DNS name like 'payments.mycompany.com'"]
    certificate_name = f"{API_SUBDOMAIN}.{domain}"
    if len(certificate_name) > ACM_MAX_DOMAIN_LENGTH:
        return [
            f"DOMAIN_NAME={domain!r} is too long: the certificate name {certificate_name!r} has "
            f"{len(certificate_name)} characters and ACM allows {ACM_MAX_DOMAIN_LENGTH} "
            f"(DOMAIN_NAME at most {ACM_MAX_DOMAIN_LENGTH - len(API_SUBDOMAIN) - 1})"
        ]
    if labels[-1] in _RESERVED_TLDS or any(
        domain == r or domain.endswith("." + r) for r in _RESERVED_DOMAINS
    ):
        return [f"DOMAIN_NAME={domain!r} is a reserved name that can never be delegated"]
    return []

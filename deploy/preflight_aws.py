#!/usr/bin/env python3
"""Before a REAL AWS deploy, destroy, plan or game day: check what only the account can tell.

    preflight_aws.py deploy | destroy | plan | gameday

Every check runs before anything is created or deleted; each problem is ONE line that names
the fix, and all of them are reported at once (exit 1). What is checked:

- all:     no emulator endpoint in the environment; a valid configuration; working credentials
           (the account id is printed).
- deploy:  the custom domain can validate (an existing zone that is delegated, or the
           stack's own zone once delegated; otherwise the two ways forward); Lambda reserved
           concurrency fits in both regions (AWS keeps >= 100 unreserved); the account-level
           singletons (owner: a free CloudWatch Logs resource-policy slot in us-east-1; other
           environments: the owner's API Gateway logging role and query-log policy exist);
           the Terraform state bucket exists, is versioned and is in the configured region, and
           the stack's state in it, if any, is encrypted with TERRAFORM_STATE_KEY_ARN.
- destroy: the environment that owns the account-level singletons is destroyed last.
- plan:    read-only: the Terraform state bucket, when there is one, exists, is versioned, is
           in the configured region and holds the stack's state encrypted with its key (without
           one the plan compares with the local state).
- gameday: the endpoint and credentials only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cli.args import ArgumentParser
from deploy.state_encryption import encrypted_with, encryption_of, migrate_command
from lib import regions
from lib.config import APIGATEWAY_CLOUDWATCH_ROLE, PROJECT, QUERY_LOG_POLICY, ConfigError, StackConfig

# "leave at least 100 simultaneous executions unreserved for functions that aren't configured
# with a per-function limit" (https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html)
UNRESERVED_CONCURRENCY_MINIMUM = 100
# "Up to 10 CloudWatch Logs resource policies per Region per account. This quota can't be
# changed." (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html)
LOG_RESOURCE_POLICY_LIMIT = 10
BOTO = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=10)

ClientFactory = Callable[[str, str], Any]
NameServerLookup = Callable[[str], set[str]]


class DnsLookupError(Exception):
    """A DNS lookup that could not be answered (network, resolver): not a 'no' answer."""


def public_name_servers(domain: str) -> set[str]:
    """The NS records the public DNS answers for ``domain`` (empty: not delegated)."""
    import dns.exception  # noqa: PLC0415 - only the deploy check needs dnspython
    import dns.resolver  # noqa: PLC0415

    try:
        answer = dns.resolver.resolve(domain, "NS", lifetime=10)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return set()
    except (dns.resolver.NoNameservers, dns.exception.Timeout) as error:
        raise DnsLookupError(f"{type(error).__name__}: {error}") from error
    return {_host(record.to_text()) for record in answer}


def _host(name: str) -> str:
    return name.lower().rstrip(".")


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.errors.append(message)

    def note(self, message: str) -> None:
        self.notes.append(message)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


# --- deploy ------------------------------------------------------------------------------------


def check_domain(
    config: StackConfig, client: ClientFactory, lookup: NameServerLookup, report: Report
) -> None:
    """ACM validates a certificate only through public DNS: the zone must be delegated."""
    if not config.custom_domain:
        return
    route53 = client("route53", config.topology.global_region)
    domain = config.domain_name
    if config.hosted_zone_id:
        try:
            zone = route53.get_hosted_zone(Id=config.hosted_zone_id)
        except ClientError as error:
            report.fail(
                f"HOSTED_ZONE_ID={config.hosted_zone_id}: {_code(error) or error} in this account: "
                "give the id of an existing public zone named DOMAIN_NAME"
            )
            return
        name = _host(zone["HostedZone"]["Name"])
        if name != domain:
            report.fail(
                f"HOSTED_ZONE_ID={config.hosted_zone_id} is the zone {name!r}, not DOMAIN_NAME={domain!r}"
            )
            return
        _check_delegation(domain, zone, lookup, report, created_by_stack=False)
        return
    zones = route53.list_hosted_zones_by_name(DNSName=domain, MaxItems="10")["HostedZones"]
    ours = [z for z in zones if _host(z["Name"]) == domain and not z.get("Config", {}).get("PrivateZone")]
    if not ours:
        report.fail(
            f"the custom domain cannot validate: without HOSTED_ZONE_ID the stack creates the zone "
            f"{domain}, which nobody has delegated yet, and ACM would time out after 15 minutes. "
            f"Either deploy into an existing delegated zone (DOMAIN_NAME + HOSTED_ZONE_ID), or deploy "
            f"once with ENABLE_CUSTOM_DOMAIN=false, delegate {domain} to the name_servers output, "
            "then deploy again"
        )
        return
    zone = route53.get_hosted_zone(Id=ours[0]["Id"])
    _check_delegation(domain, zone, lookup, report, created_by_stack=True)


def _check_delegation(
    domain: str, zone: dict[str, Any], lookup: NameServerLookup, report: Report, *, created_by_stack: bool
) -> None:
    expected = {_host(ns) for ns in zone.get("DelegationSet", {}).get("NameServers", [])}
    try:
        public = lookup(domain)
    except DnsLookupError as error:
        report.fail(f"cannot check the delegation of {domain} ({error}): this check needs public DNS")
        return
    if public and public == expected:
        report.note(f"{domain} is delegated to its Route 53 zone ({len(expected)} name servers)")
        return
    fix = (
        f"create NS records for {domain} in its parent zone with {', '.join(sorted(expected))}"
        if created_by_stack
        else f"point the parent's NS records for {domain} at {', '.join(sorted(expected))}"
    )
    seen = (
        f"public DNS answers {', '.join(sorted(public))}" if public else "public DNS has no NS records for it"
    )
    report.fail(
        f"{domain} is not delegated to its Route 53 zone ({seen}): ACM cannot validate the "
        f"certificate. {fix} (or deploy with ENABLE_CUSTOM_DOMAIN=false until it is)"
    )


def check_lambda_concurrency(config: StackConfig, client: ClientFactory, report: Report) -> None:
    wanted = config.profile.reserved_concurrency
    if not wanted:
        return
    for spec in config.topology.roles:
        function = config.name("payments-api", spec.role)
        lam = client("lambda", spec.name)
        limits = lam.get_account_settings()["AccountLimit"]
        total, unreserved = limits["ConcurrentExecutions"], limits["UnreservedConcurrentExecutions"]
        try:  # a redeploy: this function's own reservation is given back first
            current = lam.get_function_concurrency(FunctionName=function).get(
                "ReservedConcurrentExecutions", 0
            )
        except ClientError as error:
            if _code(error) != "ResourceNotFoundException":
                raise
            current = 0
        left = unreserved + current - wanted
        if left < UNRESERVED_CONCURRENCY_MINIMUM:
            report.fail(
                f"{spec.name}: reserving {wanted} concurrent executions for {function} would leave "
                f"{left} of the account's {total} unreserved, and AWS keeps at least "
                f"{UNRESERVED_CONCURRENCY_MINIMUM}: ask for a Lambda concurrent-executions quota of at "
                f"least {total - left + UNRESERVED_CONCURRENCY_MINIMUM} in {spec.name}, or deploy a "
                "profile without a reservation (ENVIRONMENT=dev)"
            )
        else:
            report.note(f"{spec.name}: Lambda reservation {wanted} leaves {left} of {total} unreserved")


def check_account_settings(config: StackConfig, client: ClientFactory, report: Report) -> None:
    logs = client("logs", config.topology.global_region)
    policies = [p["policyName"] for p in logs.describe_resource_policies().get("resourcePolicies", [])]
    if config.manages_account_settings:
        if QUERY_LOG_POLICY not in policies and len(policies) >= LOG_RESOURCE_POLICY_LIMIT:
            report.fail(
                f"{config.topology.global_region} already holds {len(policies)} CloudWatch Logs resource "
                "policies, "
                f"AWS's fixed limit of {LOG_RESOURCE_POLICY_LIMIT}, so {QUERY_LOG_POLICY} cannot be "
                f"added: delete an unused one ({', '.join(sorted(policies))})"
            )
        return
    owner = "deploy the environment that manages them first (MANAGE_ACCOUNT_SETTINGS=true)"
    needs_query_log_policy = config.hosted_zone_id is None  # only a zone the stack creates logs queries
    if needs_query_log_policy and QUERY_LOG_POLICY not in policies:
        report.fail(
            f"MANAGE_ACCOUNT_SETTINGS=false, but the account has no {QUERY_LOG_POLICY} resource policy "
            f"in {config.topology.global_region} for Route 53 query logs: {owner}"
        )
    for spec in config.topology.roles:
        role = client("apigateway", spec.name).get_account().get("cloudwatchRoleArn")
        if not role:
            report.fail(
                f"MANAGE_ACCOUNT_SETTINGS=false, but API Gateway in {spec.name} has no CloudWatch "
                f"role, so stages there cannot log: {owner}"
            )
        elif not role.endswith(f"/{APIGATEWAY_CLOUDWATCH_ROLE}"):
            report.note(f"API Gateway in {spec.name} logs through {role} (not managed by this project)")


def check_state_bucket(config: StackConfig, client: ClientFactory, report: Report) -> None:
    if not config.state_bucket:
        message = (
            "no TERRAFORM_STATE_BUCKET: the state would stay in a local file on this machine; a DR "
            "stack's state belongs in a versioned S3 bucket (set TERRAFORM_STATE_BUCKET)"
        )
        if config.profile.name == "dev":
            report.note(f"WARNING: {message}")
        else:  # staging and prod: a lost laptop must not orphan the deployment
            report.fail(f"{message}; {config.profile.name} refuses local state")
        return
    bucket, region = config.state_bucket, config.state_bucket_region
    s3 = client("s3", region)
    try:
        location = (
            s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or regions.S3_EMPTY_LOCATION
        )
    except ClientError as error:
        report.fail(
            f"TERRAFORM_STATE_BUCKET={bucket}: {_code(error) or error}: create it (versioned, "
            "encrypted) or give one this account can read"
        )
        return
    if location != region:
        report.fail(
            f"TERRAFORM_STATE_BUCKET={bucket} is in {location}, not {region}: set "
            f"TERRAFORM_STATE_BUCKET_REGION={location}"
        )
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        report.fail(
            f"TERRAFORM_STATE_BUCKET={bucket} is not versioned: enable versioning so an overwritten "
            "or deleted state can be recovered"
        )
    if location == region:
        check_state_encryption(config, s3, report)


def check_state_encryption(config: StackConfig, s3: Any, report: Report) -> None:
    """The stack's own state, when there is one, is encrypted with TERRAFORM_STATE_KEY_ARN
    (issue 25: Terraform wrote it with AES256 before the backend named the key, and the state
    bucket's policy now refuses any other write). HeadObject needs s3:GetObject ("To use HEAD,
    you must have the s3:GetObject permission", API_HeadObject.html), which the CI roles have
    (lib/ci_state_bucket.py); with s3:ListBucket a missing object is a 404 (same page): the
    first deploy, nothing to check."""
    bucket, key_arn = config.state_bucket or "", config.state_key_arn or ""
    state = f"{config.stack_id}/terraform.tfstate"
    try:
        head = s3.head_object(Bucket=bucket, Key=state)
    except ClientError as error:
        if _code(error) in ("404", "NoSuchKey", "NotFound"):
            return
        raise
    if not encrypted_with(head, key_arn):
        command = migrate_command(bucket, config.state_bucket_region or "", key_arn, f"{config.stack_id}/")
        report.fail(
            f"s3://{bucket}/{state} is encrypted with {encryption_of(head)}, not the state key "
            f"{key_arn}: re-encrypt it with administrator credentials: {command} "
            "(docs/state-encryption.md)"
        )


def check_plan_state(config: StackConfig, client: ClientFactory, report: Report) -> None:
    """A plan compares with the state where deploys keep it; a local one is not refused (a plan
    changes nothing), but said."""
    if config.state_bucket:
        check_state_bucket(config, client, report)
        return
    report.note(
        "no TERRAFORM_STATE_BUCKET: the plan compares with the local state file "
        f"terraform.{config.stack_id}.tfstate (none: everything is to add)"
    )


# --- destroy -----------------------------------------------------------------------------------


def other_environments(config: StackConfig, client: ClientFactory) -> list[str]:
    """Suffixes of the project's other environments in this stack's regions (by their table)."""
    prefix, ours = f"{PROJECT}-payments-", config.name("payments")
    found: set[str] = set()
    for spec in config.topology.roles:
        for page in client("dynamodb", spec.name).get_paginator("list_tables").paginate():
            found.update(
                name.removeprefix(prefix)
                for name in page["TableNames"]
                if name.startswith(prefix) and name != ours
            )
    return sorted(found)


def check_destroy_order(config: StackConfig, client: ClientFactory, report: Report) -> None:
    if not config.manages_account_settings:
        return
    others = other_environments(config, client)
    if others:
        report.fail(
            f"this environment owns the account-level settings (API Gateway logging role, Route 53 "
            f"query-log policy) that {', '.join(others)} use: destroy those first, or let one of "
            "them take over (deploy it with MANAGE_ACCOUNT_SETTINGS=true) and redeploy this one "
            "with MANAGE_ACCOUNT_SETTINGS=false"
        )


# --- main --------------------------------------------------------------------------------------


def run(
    mode: str,
    env: dict[str, str],
    client: ClientFactory,
    lookup: NameServerLookup = public_name_servers,
) -> Report:
    report = Report()
    endpoint = env.get("AWS_ENDPOINT_URL")
    if endpoint:
        report.fail(
            f"AWS_ENDPOINT_URL={endpoint} is set; `make {mode}` targets real AWS (use the `-local` "
            "targets for the emulator, or unset it)"
        )
        return report
    try:
        config = StackConfig.from_env(env)
    except ConfigError as error:
        report.errors.extend(line.strip(" -") for line in str(error).splitlines()[1:])
        return report
    try:
        identity = client("sts", config.primary_region).get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        report.fail(
            f"no usable AWS credentials ({type(error).__name__}): configure AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY first"
        )
        return report
    report.note(f"{mode} as {identity['Arn']} (account {identity['Account']})")
    checks: dict[str, Iterable[Callable[[], None]]] = {
        "deploy": (
            lambda: check_domain(config, client, lookup, report),
            lambda: check_lambda_concurrency(config, client, report),
            lambda: check_account_settings(config, client, report),
            lambda: check_state_bucket(config, client, report),
        ),
        "destroy": (lambda: check_destroy_order(config, client, report),),
        "plan": (lambda: check_plan_state(config, client, report),),
        "gameday": (),
    }
    for check in checks[mode]:
        try:
            check()
        except (BotoCoreError, ClientError) as error:
            report.fail(
                f"could not check the account ({type(error).__name__}: {error}): "
                "check the credentials' permissions"
            )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("deploy", "destroy", "plan", "gameday"))
    args = parser.parse_args(argv)
    report = run(
        args.mode,
        dict(os.environ),
        lambda service, region: boto3.client(service, region_name=region, config=BOTO),
    )
    for note in report.notes:
        print(f"preflight: {note}")
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())

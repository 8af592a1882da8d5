"""List what a destroyed stack left behind (works against the emulator and real AWS).

Every name the stack creates is ``tap-<purpose>[-<role>]-<suffix>[-<account>]``, so this looks
for those (plus the stack's zone, custom domains, certificates, health checks, SSM paths, API
Gateway's execution-log groups ``API-Gateway-Execution-Logs_<api id>/<stage>`` and, for the
environment that owns them, the account-level settings) in both regions. KMS keys cannot be
deleted at once: a key counts as left over only while it is not scheduled for deletion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import boto3
from botocore.config import Config

from lib.config import APIGATEWAY_CLOUDWATCH_ROLE, QUERY_LOG_GROUP_PREFIX, QUERY_LOG_POLICY, StackConfig

CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 5})
EXECUTION_LOGS_PREFIX = "API-Gateway-Execution-Logs_"


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def query_log_group_name(domain_name: str) -> str:
    return f"{QUERY_LOG_GROUP_PREFIX}{domain_name}"


class _Finder:
    def __init__(self, config: StackConfig, api_ids: Iterable[str]) -> None:
        self.config = config
        # The suffix ends the name (buckets add the 12-digit account id): "dev" never matches
        # another environment's "dev-peer".
        self.pattern = re.compile(rf"^tap-[a-z0-9-]*-{re.escape(config.suffix)}(-\d{{12}})?$")
        self.execution_logs = tuple(f"{EXECUTION_LOGS_PREFIX}{api_id}/" for api_id in api_ids)
        self.found: list[str] = []

    def ours(self, name: str) -> bool:
        return bool(self.pattern.match(name))

    def our_log_group(self, name: str) -> bool:
        """Named after a resource of ours (``/aws/lambda/<fn>``, ``aws-waf-logs-<acl>``), the
        zone's query logs, or one of the stack's APIs' execution logs."""
        if any(self.ours(part.removeprefix("aws-waf-logs-")) for part in name.split("/")):
            return True
        if not self.config.hosted_zone_id and name == query_log_group_name(self.config.domain_name):
            return True
        return any(name.startswith(prefix) for prefix in self.execution_logs)

    def check(self, kind: str, where: str, names: Iterable[str], match: Callable[[str], bool]) -> None:
        self.found.extend(f"{kind} {name} ({where})" for name in names if match(name))

    def regional(self, region: str) -> None:
        def client(service: str) -> Any:
            return boto3.client(service, region_name=region, config=CONFIG)

        ours, check, api_domain = self.ours, self.check, self.config.api_domain_name
        check("dynamodb table", region, _pages(client("dynamodb"), "list_tables", "TableNames"), ours)
        functions = (f["FunctionName"] for f in _pages(client("lambda"), "list_functions", "Functions"))
        check("lambda function", region, functions, ours)
        apigw = client("apigateway")
        check("rest api", region, (a["name"] for a in _pages(apigw, "get_rest_apis", "items")), ours)
        check("api key", region, (k["name"] for k in _pages(apigw, "get_api_keys", "items")), ours)
        check("usage plan", region, (p["name"] for p in _pages(apigw, "get_usage_plans", "items")), ours)
        domains = (d["domainName"] for d in _pages(apigw, "get_domain_names", "items"))
        check("custom domain", region, domains, lambda n: n == api_domain)
        certificates = _pages(client("acm"), "list_certificates", "CertificateSummaryList")
        check("certificate", region, (c["DomainName"] for c in certificates), lambda n: n == api_domain)
        kms = client("kms")
        aliases = (a["AliasName"].removeprefix("alias/") for a in _pages(kms, "list_aliases", "Aliases"))
        check("kms alias", region, aliases, ours)
        check("kms key", region, self._live_key_descriptions(kms), ours)
        topics = (t["TopicArn"].rsplit(":", 1)[-1] for t in _pages(client("sns"), "list_topics", "Topics"))
        check("sns topic", region, topics, ours)
        alarms = (a["AlarmName"] for a in _pages(client("cloudwatch"), "describe_alarms", "MetricAlarms"))
        # "<topic name>-<alarm>": the topic's name (tap-alarms-<role>-<suffix>) starts it.
        topics = tuple(f"{self.config.name('alarms', role)}-" for role in ("primary", "secondary", "global"))
        check("alarm", region, alarms, lambda n: n.startswith(topics))
        params = (p["Name"] for p in _pages(client("ssm"), "describe_parameters", "Parameters"))
        prefix = f"/{self.config.name('payments')}/"
        check("ssm parameter", region, params, lambda n: n.startswith(prefix))
        groups = (g["logGroupName"] for g in _pages(client("logs"), "describe_log_groups", "logGroups"))
        check("log group", region, groups, self.our_log_group)

    @staticmethod
    def _live_key_descriptions(kms: Any) -> Iterator[str]:
        """Descriptions of customer keys not scheduled for deletion ("<alias name>: ...")."""
        for key in _pages(kms, "list_keys", "Keys"):
            meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if meta["KeyManager"] == "CUSTOMER" and meta["KeyState"] != "PendingDeletion":
                yield meta.get("Description", "").split(":")[0]

    def global_(self, region: str) -> None:
        ours, check = self.ours, self.check
        s3 = boto3.client("s3", region_name=region, config=CONFIG)
        check("s3 bucket", "global", (b["Name"] for b in s3.list_buckets()["Buckets"]), ours)
        iam = boto3.client("iam", region_name=region, config=CONFIG)
        check("iam role", "global", (r["RoleName"] for r in _pages(iam, "list_roles", "Roles")), ours)
        policies = (p["PolicyName"] for p in _pages(iam, "list_policies", "Policies", Scope="Local"))
        check("iam policy", "global", policies, ours)
        route53 = boto3.client("route53", region_name=region, config=CONFIG)
        if not self.config.hosted_zone_id:  # an existing zone is not ours to delete
            zones = (z["Name"].rstrip(".") for z in _pages(route53, "list_hosted_zones", "HostedZones"))
            check("hosted zone", "global", zones, lambda n: n == self.config.domain_name)
        names = []  # each health check is tagged "Name: <api domain> <role> (<region>)"
        for health_check in _pages(route53, "list_health_checks", "HealthChecks"):
            tags = route53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=health_check["Id"])
            names += [t["Value"] for t in tags["ResourceTagSet"]["Tags"] if t["Key"] == "Name"]
        check("health check", "global", names, lambda n: n.startswith(f"{self.config.api_domain_name} "))

    def account_settings(self) -> None:
        """The singletons only the owning environment creates (and so must remove)."""
        iam = boto3.client("iam", region_name=self.config.primary_region, config=CONFIG)
        roles = (r["RoleName"] for r in _pages(iam, "list_roles", "Roles"))
        self.check("iam role", "global", roles, lambda n: n == APIGATEWAY_CLOUDWATCH_ROLE)
        logs = boto3.client("logs", region_name=self.config.topology.global_region, config=CONFIG)
        policies = (p["policyName"] for p in logs.describe_resource_policies().get("resourcePolicies", []))
        self.check(
            "logs resource policy",
            self.config.topology.global_region,
            policies,
            lambda n: n == QUERY_LOG_POLICY,
        )
        for region in self.config.topology.roles:
            apigw = boto3.client("apigateway", region_name=region.name, config=CONFIG)
            role = apigw.get_account().get("cloudwatchRoleArn") or ""
            self.check(
                "api gateway account role",
                region.name,
                [role],
                lambda n: n.endswith(f"/{APIGATEWAY_CLOUDWATCH_ROLE}"),
            )


def find_leftovers(config: StackConfig, api_ids: Iterable[str] = ()) -> list[str]:
    """``<kind> <name> (<where>)`` for every resource of the configured stack still present;
    ``api_ids``: the REST APIs it had (their execution-log groups are named after them)."""
    finder = _Finder(config, api_ids)
    # us-east-1 too: Route 53's query logs and health-check alarms live there for any pair.
    for region in config.topology.regions:
        finder.regional(region)
    finder.global_(config.primary_region)
    if config.manages_account_settings:
        finder.account_settings()
    return finder.found

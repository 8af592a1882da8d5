#!/usr/bin/env python3
"""Disaster-recovery figures (RTO, RPO, strategy) computed from a synthesized stack.

Every figure comes from the synthesized Terraform JSON, never from constants in lib/, so
the report follows the stack: change a health check's interval and the RTO changes.

- detection  = request_interval x failure_threshold of the health checks on the failover
  records (the worst one);
- DNS cache  = 60 s for an alias failover record (Route 53 does not let you set the TTL of
  an alias to an AWS resource), else the record's ``ttl``;
- RTO        = detection + DNS cache (null, with the reason, when there is no DNS failover);
- RPO table  = 1 s for a DynamoDB global table (asynchronous replication, "typically within
  a second"), 0 s with multi-Region strong consistency, null without a replica;
- RPO objects = the S3 Replication Time Control window (15 min) per direction, null without
  RTC (S3 replication without RTC has no time bound).

    python -m dr.report cdktf.out/stacks/TapStackdev/cdk.tf.json [--out cfn-outputs/dr-report.json]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from cli.args import ArgumentParser
from dr.stack import (
    Stack,
    StackError,
    failover_records,
    health_check_facts,
    primary_alias,
    references,
    replication_rules,
    short_name,
)

RTO_GOAL_SECONDS = 90
GLOBAL_TABLE_RPO_SECONDS = 1
STRONG_CONSISTENCY_RPO_SECONDS = 0
SOURCES = {
    "health_check": "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/"
    "dns-failover-determining-health-of-endpoints.html",
    "alias_ttl": "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/"
    "resource-record-sets-choosing-alias-non-alias.html (alias to an AWS resource: TTL not "
    "settable) and https://aws.amazon.com/route53/faqs/ (DNS failover: alias records have a "
    "fixed 60 s TTL)",
    "global_tables": "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"
    "V2globaltables_HowItWorks.html",
    "s3_rtc": "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html",
    "strategies": "https://docs.aws.amazon.com/whitepapers/latest/disaster-recovery-workloads-on-aws/"
    "disaster-recovery-options-in-the-cloud.html",
    "query_logs": "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/query-logs.html",
}

# Why a resource type legitimately exists in one region only. Anything else that has no
# counterpart in the other region is listed with GENERIC_REASON, so it stays visible.
SINGLE_REGION_REASONS = {
    "aws_route53_zone": "Route 53 is a global service: one hosted zone answers for both regions",
    "aws_route53_record": "Route 53 is a global service: records live in the one hosted zone",
    "aws_route53_health_check": "Route 53 is a global service: health checkers probe from many "
    "locations whatever the provider's region",
    "aws_route53_query_log": "Route 53 sends public DNS query logs only to a log group in us-east-1",
    "aws_cloudwatch_log_resource_policy": "lets Route 53 write DNS query logs, which only go to us-east-1",
    "aws_dynamodb_table": "one global table resource: its replicas in the other regions are "
    "declared in its `replica` block or as aws_dynamodb_table_replica resources",
    "aws_dynamodb_table_replica": "the global table's replica: the table itself lives in its home region",
    "aws_s3_bucket_replication_configuration": "a replication configuration belongs to its source "
    "bucket: one per replicating bucket (per direction)",
    "aws_iam_role": "IAM is a global service: one role serves every region",
    "aws_iam_policy": "IAM is a global service: one policy serves every region",
    "aws_iam_role_policy_attachment": "IAM is a global service: one attachment serves every region",
}
# Alarms follow their metric: some services publish metrics in one region only.
ALARM_NAMESPACE_REASONS = {
    "AWS/Route53": "Route 53 publishes health-check metrics only in us-east-1: alarms on them live there",
}
GENERIC_REASON = "no counterpart in the other region"

# --- failover: health checks, DNS records, RTO -------------------------------------------------


def rto(records: list[dict[str, Any]], checks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """RTO = worst detection time + worst DNS cache time, or null with the reason."""
    result: dict[str, Any] = {
        "failover_mode": "dns" if records else "manual",
        "health_check_interval_seconds": None,
        "health_check_failure_threshold": None,
        "detection_seconds": None,
        "dns_seconds": None,
        "rto_seconds": None,
        "rto_goal_seconds": RTO_GOAL_SECONDS,
        "meets_rto_goal": None,
        "rto_reason": None,
    }
    roles = {record["role"] for record in records}
    used = [checks[r["health_check"]] for r in records if r["health_check"] in checks]
    unchecked_primaries = [r["resource"] for r in records if r["role"] == "PRIMARY" and not r["health_check"]]
    if not records:
        result["rto_reason"] = (
            "no Route 53 failover records (custom domain disabled, e.g. ENABLE_CUSTOM_DOMAIN=false): "
            "failover is DNS-less and manual (clients switch to the other region's execute-api "
            "endpoint), so the RTO depends on that process and is not computed"
        )
    elif not {"PRIMARY", "SECONDARY"} <= roles:
        result["rto_reason"] = f"failover records need a PRIMARY and a SECONDARY (have: {sorted(roles)})"
    elif unchecked_primaries:
        result["rto_reason"] = (
            f"PRIMARY record(s) {unchecked_primaries} have no health check: Route 53 never fails over"
        )
    elif any(check["detection_seconds"] is None for check in used):
        result["rto_reason"] = "a failover health check does not probe an endpoint: no detection time"
    elif any(record["dns_seconds"] is None for record in records):
        result["rto_reason"] = "a failover record has no TTL: no DNS cache time"
    else:
        worst = max(used, key=lambda check: (check["detection_seconds"], check["resource"]))
        dns = max(record["dns_seconds"] for record in records)
        total = worst["detection_seconds"] + dns
        result.update(
            health_check_interval_seconds=worst["request_interval"],
            health_check_failure_threshold=worst["failure_threshold"],
            detection_seconds=worst["detection_seconds"],
            dns_seconds=dns,
            rto_seconds=total,
            meets_rto_goal=total <= RTO_GOAL_SECONDS,
        )
    return result


# What a CLOUDWATCH_METRIC switch does once its datapoint's period has passed, by
# InsufficientDataHealthStatus (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html).
MISSING_DATA_EFFECT = {
    "LastKnownStatus": "one datapoint holds until the opposite one, and a new switch is healthy",
    "Healthy": "a failover lasts one alarm period, then traffic goes back to the primary",
    "Unhealthy": "the primary is failed over whenever no datapoint is published",
}


def failover_switch(
    records: list[dict[str, Any]], checks: dict[str, dict[str, Any]], dns_seconds: int | None
) -> dict[str, Any] | None:
    """The data-plane switch on the PRIMARY record (a CALCULATED check with a CLOUDWATCH_METRIC
    child), how to flip it, and how long a manual failover takes: the alarm's state change, then
    the DNS cache. None when the PRIMARY record has no switch."""
    primary = next((r for r in records if r["role"] == "PRIMARY"), None)
    check = checks.get(primary["health_check"]) if primary and primary["health_check"] else None
    switches = check.get("switches", []) if check else []
    if not switches:
        return None
    alarm = switches[0]
    status = alarm["insufficient_data_health_status"]
    threshold = check.get("child_health_threshold")
    children = len(check.get("children", []))
    return {
        **alarm,
        "health_check": check["resource"],
        "requires_all_children": threshold is not None and int(threshold) >= children,
        "manual_failover_seconds": (
            alarm["state_change_seconds"] + dns_seconds if dns_seconds is not None else None
        ),
        "how": (
            f"aws cloudwatch put-metric-data --region {alarm['region']} --namespace {alarm['namespace']} "
            f"--metric-name {alarm['metric']} --dimensions "
            + ",".join(f"{k}={v}" for k, v in sorted(alarm["dimensions"].items()))
            + " --value 1 (fail over) / --value 0 (fail back)"
        ),
        "holds_without_data": status == "LastKnownStatus",
        "missing_data": (
            "Route 53 reads the metric with the alarm's criteria (its treat_missing_data plays no part); "
            f"without data: {status}, {MISSING_DATA_EFFECT.get(status, 'unknown')}"
            + (
                ""
                if alarm["follows_alarm_changes"]
                else "; a change to the alarm never reaches the health check"
            )
        ),
    }


def recovery_dependencies(stack: Stack, primary: str, switch: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Everything the recovery path (fail over, serve, fail back) still needs from the primary
    region or from a control plane, each with why it is (or is not) a risk."""
    primary_region = stack.regions.get(primary)
    deps: list[dict[str, Any]] = [
        {
            "dependency": "Route 53 DNS answers and health checkers",
            "plane": "data",
            "region": "global",
            "in_recovery_path": True,
            "reason": "failover happens in Route 53's data plane (health checkers and DNS), which is "
            "spread over many locations and built to stay up when a region is impaired",
        },
    ]
    if switch is not None:
        deps.append(
            {
                "dependency": f"CloudWatch PutMetricData and alarm evaluation in {switch['region']}",
                "plane": "data",
                "region": switch["region"],
                "in_recovery_path": True,
                "reason": "the manual failover and failback are one PutMetricData in the surviving "
                "region; Route 53 reads the alarm from there",
            }
        )
    else:
        deps.append(
            {
                "dependency": "Route 53 UpdateHealthCheck / ChangeResourceRecordSets",
                "plane": "control",
                "region": "us-east-1",
                "in_recovery_path": True,
                "reason": "no data-plane switch: a manual failover needs Route 53's control plane, "
                "served from us-east-1",
            }
        )
    for type_, what, reason in (
        (
            "aws_route53_query_log",
            "Route 53 query logs",
            "written only to us-east-1: lost while it is out; recovery does not read them",
        ),
        (
            "aws_cloudwatch_metric_alarm",
            "Route 53 health-check alarms and their topic",
            "Route 53 publishes health-check metrics only in us-east-1: notifications stop while it "
            "is out; failover itself does not use them",
        ),
    ):
        regions = sorted(
            {
                stack.region_of(body) or ""
                for _, body in stack.resources(type_)
                if type_ != "aws_cloudwatch_metric_alarm" or body.get("namespace") == "AWS/Route53"
            }
            - {""}
        )
        if regions:
            deps.append(
                {
                    "dependency": what,
                    "plane": "data",
                    "region": ", ".join(regions),
                    "in_recovery_path": False,
                    "reason": reason,
                }
            )
    deps.append(
        {
            "dependency": f"the primary region ({primary_region}) for failback",
            "plane": "data",
            "region": primary_region,
            "in_recovery_path": False,
            "reason": "failback waits for it by definition: the global table and the receipt "
            "replication catch it up once it is back; failing over needs nothing from it",
        }
    )
    return deps


# --- data: DynamoDB global tables and S3 replication, RPO --------------------------------------


def table_facts(stack: Stack, failover_regions: set[str]) -> list[dict[str, Any]]:
    tables = []
    for logical_id, body in stack.resources("aws_dynamodb_table"):
        replicas = stack.table_replicas(logical_id, body)
        replica_regions = sorted(r["region_name"] for r in replicas if r.get("region_name"))
        strong = any(str(r.get("consistency_mode", "")).upper() == "STRONG" for r in replicas)
        missing = sorted(failover_regions - set(replica_regions) - {stack.region_of(body)})
        if not replicas:
            rpo_seconds, basis = None, "no replica: a single-region table, not replicated"
        elif missing:
            rpo_seconds, basis = None, f"no replica in the failover region(s) {missing}"
        elif strong:
            rpo_seconds, basis = (
                STRONG_CONSISTENCY_RPO_SECONDS,
                ("global table with multi-Region strong consistency: a write returns once replicated"),
            )
        else:
            rpo_seconds, basis = (
                GLOBAL_TABLE_RPO_SECONDS,
                (
                    "DynamoDB global table (asynchronous multi-active replication): writes typically "
                    "reach the other replicas within a second (watch ReplicationLatency)"
                ),
            )
        tables.append(
            {
                "resource": logical_id,
                "name": body.get("name"),
                "region": stack.region_of(body),
                "replica_regions": replica_regions,
                "replica_resources": sorted(r["resource"] for r in replicas if r["resource"] != logical_id),
                "rpo_seconds": rpo_seconds,
                "rpo_basis": basis,
            }
        )
    return tables


def direction_rpo(rules: list[dict[str, Any]], label: str) -> tuple[int | None, str]:
    """The worst RPO of the enabled rules of one direction, or null with the reason."""
    enabled = [rule for rule in rules if rule["enabled"]]
    if not enabled:
        return None, f"no enabled S3 replication rule {label}"
    without_rtc = [f"{r['configuration']}/{r['rule']}" for r in enabled if r["rpo_seconds"] is None]
    if without_rtc:
        return None, f"rule(s) {without_rtc} replicate {label} without RTC: no time bound"
    worst = max(rule["rpo_seconds"] for rule in enabled)
    return worst, f"S3 RTC window of the {label} rule(s): {worst // 60} min"


# --- strategy -----------------------------------------------------------------------------------


def capacity(stack: Stack) -> dict[str, dict[str, Any]]:
    """Per alias: the API's moving parts and their sizes (compared to name the strategy)."""
    per_alias: dict[str, dict[str, Any]] = {
        alias: {"lambda_functions": 0, "api_stages": 0, "lambda_memory_mb": 0, "reserved_concurrency": 0}
        for alias in stack.workload_aliases()
    }
    for _, body in stack.resources("aws_lambda_function"):
        entry = per_alias.setdefault(stack.alias_of(body), {})
        entry["lambda_functions"] = entry.get("lambda_functions", 0) + 1
        entry["lambda_memory_mb"] = entry.get("lambda_memory_mb", 0) + int(body.get("memory_size", 128))
        reserved = body.get("reserved_concurrent_executions")
        if reserved is None or int(reserved) < 0 or entry.get("reserved_concurrency") is None:
            entry["reserved_concurrency"] = None  # unreserved: scales with the account's pool
        else:
            entry["reserved_concurrency"] = entry.get("reserved_concurrency", 0) + int(reserved)
    for _, body in stack.resources("aws_api_gateway_stage"):
        entry = per_alias.setdefault(stack.alias_of(body), {})
        entry["api_stages"] = entry.get("api_stages", 0) + 1
    return per_alias


def _size(size: dict[str, Any]) -> str:
    reserved = size.get("reserved_concurrency")
    return (
        f"{size.get('lambda_functions', 0)} Lambda function(s), {size.get('lambda_memory_mb', 0)} MB, "
        f"reserved concurrency {'unreserved' if reserved is None else reserved}, "
        f"{size.get('api_stages', 0)} API stage(s)"
    )


ACTIVE_ACTIVE_POLICIES = (
    "latency_routing_policy",
    "weighted_routing_policy",
    "geolocation_routing_policy",
    "geoproximity_routing_policy",
    "multivalue_answer_routing_policy",
)


def strategy(stack: Stack, records: list[dict[str, Any]], data_replicated: bool) -> tuple[str, str]:
    sizes = capacity(stack)
    serving = sorted(
        alias for alias, size in sizes.items() if size["lambda_functions"] and size["api_stages"]
    )
    everywhere = len(serving) == len(sizes) >= 2
    parity = everywhere and all(size == sizes[serving[0]] for size in sizes.values())
    active_active = any(
        any(policy in body for policy in ACTIVE_ACTIVE_POLICIES)
        for _, body in stack.resources("aws_route53_record")
    )
    roles = {record["role"] for record in records}
    described = "; ".join(
        f"{alias} ({stack.regions.get(alias)}): {_size(sizes[alias])}" for alias in sorted(sizes)
    )
    ladder = (
        "AWS's DR strategies run backup & restore -> pilot light -> warm standby -> multi-site active/active"
    )
    if everywhere and active_active:
        return "multi-site active/active", (
            f"every region runs the API ({described}) and Route 53 spreads traffic across them "
            f"(latency/weighted/geo routing). {ladder}."
        )
    if parity:
        routing = (
            "Route 53 failover routing sends all traffic to PRIMARY and moves it to SECONDARY only "
            "when the primary's health check fails (active/passive)"
            if {"PRIMARY", "SECONDARY"} <= roles
            else "there is no DNS failover (no failover records): clients switch regions manually"
        )
        name = "hot standby (active/passive, full capacity in both regions)"
        if not {"PRIMARY", "SECONDARY"} <= roles:
            name = "hot standby (full capacity in both regions, manual failover: no DNS failover)"
        return name, (
            f"both regions run the full API at the same size ({described}); {routing}; data is "
            f"{'continuously replicated' if data_replicated else 'NOT replicated'} between them. "
            f"{ladder}: this is past warm standby (the standby is not scaled down: nothing to scale "
            "up on failover) and short of active/active (the standby serves no traffic until "
            "failover) - the full-capacity active/passive variant AWS calls hot standby."
        )
    if everywhere:
        return "warm standby (scaled-down copy running in the standby region)", (
            f"every region runs the API but not at the same size ({described}): the standby must "
            f"scale up on failover. {ladder}."
        )
    if data_replicated:
        return "pilot light (data replicated, API in one region only)", (
            f"data is replicated but only {serving or 'no region'} runs the API ({described}): "
            f"the compute must be deployed/started on failover. {ladder}."
        )
    return "backup & restore (no live copy in a second region)", (
        f"neither the data nor the API is live in a second region ({described}). {ladder}."
    )


# --- single-region resources --------------------------------------------------------------------


def _counterpart_key(name: str, aliases: set[str]) -> str:
    for alias in sorted(aliases, key=len, reverse=True):
        name = re.sub(rf"(?<![a-z]){re.escape(alias)}(?![a-z])", "{region}", name)
    return name


def single_region_resources(
    stack: Stack, tables: list[dict[str, Any]], switch: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Resources with no same-type counterpart in another region, each with the reason."""
    aliases = set(stack.regions)
    if len(aliases) < 2:
        return []
    replica_reason = {
        t["resource"]: f"one global table resource, replicated to {', '.join(t['replica_regions'])}"
        for t in tables
        if t["replica_regions"]
    }
    if switch is not None:
        replica_reason[switch["resource"]] = (
            "the failover switch: it lives in the standby region, so failing over needs nothing "
            "from the primary"
        )
    for t in tables:
        for replica_id, body in stack.resources("aws_dynamodb_table_replica"):
            if replica_id in t["replica_resources"]:
                replica_reason[replica_id] = (
                    f"the replica of global table {short_name(t['resource'])} in "
                    f"{stack.region_of(body)}; the table itself lives in {t['region']}"
                )
    found = []
    for type_ in stack.types():
        by_alias: dict[str, list[str]] = {}
        for logical_id, body in stack.resources(type_):
            by_alias.setdefault(stack.alias_of(body), []).append(logical_id)
        balanced = len(by_alias) == len(aliases) and len({len(ids) for ids in by_alias.values()}) == 1
        if balanced:
            continue
        for alias, ids in sorted(by_alias.items()):
            others = {
                _counterpart_key(short_name(other), aliases)
                for other_alias, other_ids in by_alias.items()
                if other_alias != alias
                for other in other_ids
            }
            for logical_id in ids:
                if _counterpart_key(short_name(logical_id), aliases) in others:
                    continue
                reason = replica_reason.get(logical_id) or _reason(stack, type_, logical_id)
                found.append(
                    {
                        "type": type_,
                        "resource": logical_id,
                        "alias": alias,
                        "region": stack.regions.get(alias),
                        "reason": reason,
                    }
                )
    return found


def _reason(stack: Stack, type_: str, logical_id: str) -> str:
    """Why a resource exists in one region only: its type, its metric, or what it serves."""
    if type_ in SINGLE_REGION_REASONS:
        return SINGLE_REGION_REASONS[type_]
    namespace = (stack.get(type_, logical_id) or {}).get("namespace")
    if type_ == "aws_cloudwatch_metric_alarm" and namespace in ALARM_NAMESPACE_REASONS:
        return ALARM_NAMESPACE_REASONS[namespace]
    # A resource serving a known single-region resource inherits its reason (query-log group).
    for other_type, reason in SINGLE_REGION_REASONS.items():  # table order: closest reason first
        for other_id, body in stack.resources(other_type):
            if (type_, logical_id) in references(body):
                return f"serves {other_type}.{short_name(other_id)}: {reason}"
    return GENERIC_REASON


# --- the report ---------------------------------------------------------------------------------


def build_report(data: Any) -> dict[str, Any]:
    stack = Stack.parse(data)
    checks = {
        lid: health_check_facts(stack, lid, body) for lid, body in stack.resources("aws_route53_health_check")
    }
    records = failover_records(stack)
    on_records = {record["health_check"] for record in records}
    on_records |= {child for lid in on_records if lid in checks for child in checks[lid].get("children", [])}
    for check in checks.values():
        check["used_by_failover"] = check["resource"] in on_records
    primary, primary_basis = primary_alias(stack, records)
    workload = stack.workload_aliases()
    standby_regions = {stack.regions[a] for a in workload if a != primary and stack.regions[a]}

    tables = table_facts(stack, standby_regions)
    table_rpos = [table["rpo_seconds"] for table in tables]
    if not tables:
        rpo_table, rpo_table_basis = None, "no DynamoDB table in the stack"
    elif None in table_rpos:
        rpo_table = None
        rpo_table_basis = "; ".join(
            f"{t['resource']}: {t['rpo_basis']}" for t in tables if t["rpo_seconds"] is None
        )
    else:
        rpo_table, rpo_table_basis = max(table_rpos), tables[0]["rpo_basis"]

    rules = replication_rules(stack)
    forward = [
        rule
        for rule in rules
        if rule["source"]["alias"] == primary and rule["destination"]["alias"] != primary
    ]
    back = [
        rule
        for rule in rules
        if rule["source"]["alias"] != primary and rule["destination"]["alias"] == primary
    ]
    standby = "|".join(alias for alias in workload if alias != primary) or "standby"
    rpo_objects, rpo_objects_basis = direction_rpo(forward, f"{primary} -> {standby}")
    rpo_failback, rpo_failback_basis = direction_rpo(back, f"{standby} -> {primary} (failback)")
    name, basis = strategy(stack, records, rpo_table is not None or any(rule["enabled"] for rule in forward))

    failover = rto(records, checks)
    switch = failover_switch(records, checks, failover["dns_seconds"])
    return {
        "regions": dict(sorted(stack.regions.items())),
        "primary": {"alias": primary, "region": stack.regions.get(primary), "basis": primary_basis},
        "strategy": name,
        "strategy_basis": basis,
        **failover,
        "failover_switch": switch,
        "recovery_dependencies": recovery_dependencies(stack, primary, switch),
        "rto_basis": "detection (health check request_interval x failure_threshold, worst check on a "
        "failover record) + DNS cache (alias record: fixed 60 s; else the record's TTL); a model: it "
        "leaves out the aggregation of the health checkers' results and resolvers or clients that "
        "cache past the TTL",
        "rpo_seconds_table": rpo_table,
        "rpo_table_basis": rpo_table_basis,
        "rpo_seconds_objects": rpo_objects,
        "rpo_objects_basis": rpo_objects_basis,
        "failback_replication": any(rule["enabled"] for rule in back),
        "rpo_seconds_objects_failback": rpo_failback,
        "rpo_objects_failback_basis": rpo_failback_basis,
        "failover_records": records,
        "health_checks": list(checks.values()),
        "tables": tables,
        "object_replication": rules,
        "capacity": capacity(stack),
        "single_region_resources": single_region_resources(stack, tables, switch),
        "sources": SOURCES,
    }


def _seconds(value: int | None) -> str:
    return "n/a" if value is None else f"{value} s"


def _watches(check: dict[str, Any]) -> str:
    """What a health check watches and how long it takes to notice."""
    if check["type"] == "CLOUDWATCH_METRIC":
        alarm = check.get("alarm")
        if alarm is None:
            return "follows an alarm outside the stack"
        return f"follows alarm {short_name(alarm['resource'])} ({alarm['state_change_seconds']} s)"
    if check["type"] == "CALCULATED":
        children = ", ".join(short_name(c) for c in check.get("children", []))
        needed = check.get("child_health_threshold")
        return f"of [{children}], {needed} healthy needed = {_seconds(check['detection_seconds'])}"
    return (
        f"every {check['request_interval']} s x {check['failure_threshold']} "
        f"= {_seconds(check['detection_seconds'])}"
    )


def render(report: dict[str, Any]) -> str:
    """The report as a readable table."""
    regions = ", ".join(f"{alias} = {region}" for alias, region in report["regions"].items())
    goal = report["rto_goal_seconds"]
    met = {True: "met", False: "MISSED", None: "not computed"}[report["meets_rto_goal"]]
    if report["detection_seconds"] is not None:
        detection = (
            f"{report['detection_seconds']} s (health check every "
            f"{report['health_check_interval_seconds']} s x "
            f"{report['health_check_failure_threshold']} failures)"
        )
    else:
        detection = "n/a"
    primary = report["primary"]
    failback = (
        f"yes: {_seconds(report['rpo_seconds_objects_failback'])} ({report['rpo_objects_failback_basis']})"
        if report["failback_replication"]
        else f"NO: {report['rpo_objects_failback_basis']}"
    )
    failover = {
        "dns": "Route 53 failover routing (PRIMARY/SECONDARY, health-checked)",
        "manual": "manual: no DNS failover records",
    }[report["failover_mode"]]
    rows = [
        ("regions", regions),
        ("active region", f"{primary['alias']} ({primary['region']}): {primary['basis']}"),
        ("strategy", report["strategy"]),
        ("failover", failover),
        ("detection", detection),
        ("DNS cache", _seconds(report["dns_seconds"])),
        ("RTO", f"{_seconds(report['rto_seconds'])} (goal <= {goal} s: {met})"),
        ("RPO table", f"{_seconds(report['rpo_seconds_table'])} ({report['rpo_table_basis']})"),
        ("RPO objects", f"{_seconds(report['rpo_seconds_objects'])} ({report['rpo_objects_basis']})"),
        ("failback objects", failback),
        ("strategy basis", report["strategy_basis"]),
    ]
    if report["rto_reason"]:
        rows.insert(8, ("RTO reason", report["rto_reason"]))
    lines = ["DR report (from the synthesized stack)"]
    lines += [f"  {label:<17} {value}" for label, value in rows]
    lines.append("failover records")
    lines += [
        f"  {r['role']:<10} {r['name']} -> {r['target_alias']} ({r['target_region']}), "
        f"health check {r['health_check'] or 'none'}, DNS {_seconds(r['dns_seconds'])}"
        for r in report["failover_records"]
    ] or ["  none"]
    lines.append("health checks")
    lines += [
        f"  {c['resource']:<40} {c['type']} {_watches(c)}"
        f"{'' if c['used_by_failover'] else ' (on no failover record)'}"
        for c in report["health_checks"]
    ] or ["  none"]
    switch = report["failover_switch"]
    lines.append("failover switch (data plane)")
    if switch:
        lines += [
            f"  alarm {short_name(switch['resource'])} in {switch['region']} on {switch['namespace']}/"
            f"{switch['metric']}, via {short_name(switch['health_check'])}",
            f"  manual failover {_seconds(switch['manual_failover_seconds'])} "
            f"(alarm {switch['state_change_seconds']} s + DNS {_seconds(report['dns_seconds'])}); "
            f"{switch['missing_data']}",
            f"  {switch['how']}",
        ]
    else:
        lines.append("  none: a manual failover needs Route 53's control plane (us-east-1)")
    lines.append("measured (game day, AWS seconds)")
    lines += [f"  {m['scenario']:<12} {measured_summary(m)}" for m in report.get("measured", [])] or [
        "  none yet: run make gameday-local (or make gameday)"
    ]
    lines.append("recovery path dependencies")
    lines += [
        f"  {'in path' if d['in_recovery_path'] else 'outside'} {d['plane']:<7} {d['region']:<10} "
        f"{d['dependency']}: {d['reason']}"
        for d in report["recovery_dependencies"]
    ]
    lines.append("object replication")
    lines += [
        f"  {r['direction']:<22} {r['source']['bucket']} -> {r['destination']['bucket']} "
        f"[{r['rule']}{', disabled' if not r['enabled'] else ''}] RTC "
        f"{r['rtc_minutes'] or 'off'} min, RPO {_seconds(r['rpo_seconds'])}"
        for r in report["object_replication"]
    ] or ["  none"]
    lines.append("single-region resources")
    single = report["single_region_resources"]
    width = max((len(short_name(r["resource"])) for r in single), default=0)
    lines += [
        f"  {r['type']:<40} {short_name(r['resource']):<{width}} {r['region']}: {r['reason']}" for r in single
    ] or ["  none"]
    return "\n".join(lines)


def measured_summary(m: dict[str, Any]) -> str:
    """One game-day scenario, measured next to computed: the report's line and make test's fact."""
    return (
        f"RTO {m['measured_rto_seconds']} s measured / {m['computed_rto_seconds']} s computed; "
        f"{m['failed_requests']} failed requests, {m['lost_writes']} of {m['acknowledged_writes']} "
        f"acknowledged writes lost, {m['unreplicated_at_fault']} unreplicated at the fault "
        f"(RPO {m['rpo_seconds']} s), {m['conflicts']} conflicts, "
        + (
            f"held {m['hold_seconds']} s with {m['primary_answers_during_hold']} answers from the primary, "
            if "hold_seconds" in m
            else ""
        )
        + f"failback {m['failback_seconds']} s"
    )


def measured(path: Path) -> list[dict[str, Any]]:
    """The scenarios of a game day's report, when there is one (else none)."""
    try:
        return list(json.loads(path.read_text())["scenarios"])
    except (OSError, ValueError, KeyError, TypeError):
        return []


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stack_file", type=Path, help="synthesized cdk.tf.json")
    parser.add_argument("--out", type=Path, default=Path("cfn-outputs/dr-report.json"))
    parser.add_argument(
        "--gameday",
        type=Path,
        default=Path("cfn-outputs/gameday-report.json"),
        help="a game day's report (make gameday-local / make gameday): measured next to computed",
    )
    args = parser.parse_args(argv)
    try:
        report = build_report(json.loads(args.stack_file.read_text()))
    except FileNotFoundError:
        parser.error(f"{args.stack_file} does not exist: run the synth first")
    except (IsADirectoryError, UnicodeDecodeError) as error:
        parser.error(f"{args.stack_file} is not a readable JSON file: {error}")
    except json.JSONDecodeError as error:
        parser.error(f"{args.stack_file} is not JSON: {error}")
    except StackError as error:
        parser.error(f"{args.stack_file}: {error}")
    except (TypeError, AttributeError, KeyError, ValueError) as error:
        # Valid JSON of the right outline with wrong types inside (hand-edited, another tool's):
        # one line naming the file, never a traceback.
        parser.error(
            f"{args.stack_file} is not a stack this report understands ({type(error).__name__}: "
            f"{error}): pass the synthesized cdk.tf.json"
        )
    report["measured"] = measured(args.gameday)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(render(report))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

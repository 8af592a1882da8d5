"""The DR report's view of the regions, from the synthesized stack: what each region runs (its
capacity), the DR strategy that makes (AWS's ladder: backup & restore, pilot light, warm standby,
hot standby, active/active), and the resources with no counterpart in another region, each with
the reason."""

from __future__ import annotations

import re
from typing import Any

from dr.stack import Stack, references, short_name
from lib.regions import GLOBAL

# Why a resource type legitimately exists in one region only. Anything else that has no
# counterpart in the other region is listed with GENERIC_REASON, so it stays visible.
SINGLE_REGION_REASONS = {
    "aws_route53_zone": "Route 53 is a global service: one hosted zone answers for both regions",
    "aws_route53_record": "Route 53 is a global service: records live in the one hosted zone",
    "aws_route53_health_check": "Route 53 is a global service: health checkers probe from many "
    "locations whatever the provider's region",
    "aws_route53_query_log": f"Route 53 sends public DNS query logs only to a log group in {GLOBAL}",
    "aws_cloudwatch_log_resource_policy": f"lets Route 53 write DNS query logs, which only go to {GLOBAL}",
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
    "AWS/Route53": f"Route 53 publishes health-check metrics only in {GLOBAL}: alarms on them live there",
    # lib/failover_switch.py NAMESPACE (not imported: it loads cdktf)
    "Tap/DR": "the failover switch's metric is published in the standby region only: its alarm lives there",
}
# Alarms that exist in one region by design, by their construct id (lib/monitoring.py).
ALARM_ID_REASONS = {
    "secondary-traffic-moved": "payments served by the standby region mean traffic moved: the alarm "
    "lives where the traffic goes, which survives the primary's loss",
}
GENERIC_REASON = "no counterpart in the other region"


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
    if type_ == "aws_cloudwatch_metric_alarm":
        by_id = [reason for id_, reason in ALARM_ID_REASONS.items() if f"_{id_}_" in f"{logical_id}_"]
        if by_id:
            return by_id[0]
        if namespace in ALARM_NAMESPACE_REASONS:
            return ALARM_NAMESPACE_REASONS[namespace]
    # A resource serving a known single-region resource inherits its reason (query-log group).
    for other_type, reason in SINGLE_REGION_REASONS.items():  # table order: closest reason first
        for other_id, body in stack.resources(other_type):
            if (type_, logical_id) in references(body):
                return f"serves {other_type}.{short_name(other_id)}: {reason}"
    return GENERIC_REASON

"""The one reader of a synthesized stack (``cdk.tf.json``): resources by type, the region
behind each provider alias, references between resources, and the DR-relevant facts read
from them (failover records, health checks, replication rules). The DR report, the diagram
and the unit tests' fixtures all read the stack through this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Route 53 does not let you set the TTL of an alias record to an AWS resource: 60 s.
ALIAS_RECORD_TTL_SECONDS = 60
# What Route 53 uses when a health check leaves them out (CreateHealthCheck API defaults).
DEFAULT_REQUEST_INTERVAL = 30
DEFAULT_FAILURE_THRESHOLD = 3
# Health checks that do not probe an endpoint: no interval, their detection time is another
# check's or an alarm's.
# The alarm settings Route 53 copies into a CLOUDWATCH_METRIC health check
# (CloudWatchAlarmConfiguration), as the alarm resource's arguments.
ALARM_CRITERIA = (
    "comparison_operator",
    "evaluation_periods",
    "metric_name",
    "namespace",
    "period",
    "statistic",
    "threshold",
    "dimensions",
)
NON_PROBING_HEALTH_CHECKS = ("CALCULATED", "CLOUDWATCH_METRIC", "RECOVERY_CONTROL")
DEFAULT_ALIAS = "default"  # resources without a `provider` use the provider without alias


_INTERPOLATION = re.compile(r"\$\{(.*?)\}")
_REFERENCE = re.compile(r"(?<![\w.])((?:data\.)?aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)")
_HASH_SUFFIX = re.compile(r"_[0-9A-F]{8}$")


class StackError(ValueError):
    """The file is not a synthesized stack this reader understands."""


def short_name(logical_id: str) -> str:
    """``receipts-primary_bucket_D681B133`` -> ``receipts-primary_bucket`` (no cdktf hash)."""
    return _HASH_SUFFIX.sub("", logical_id)


def references(value: Any) -> list[tuple[str, str]]:
    """``(type, logical id)`` of every ``${type.id....}`` in ``value`` (strings, lists, dicts)."""
    found: list[tuple[str, str]] = []
    if isinstance(value, str):
        for expression in _INTERPOLATION.findall(value):
            found.extend(_REFERENCE.findall(expression))
    elif isinstance(value, dict):
        for item in value.values():
            found.extend(references(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(references(item))
    return found


def blocks(value: Any) -> list[dict[str, Any]]:
    """A nested block as a list: cdktf writes single blocks as objects, repeated ones as lists."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def block(value: Any) -> dict[str, Any]:
    found = blocks(value)
    return found[0] if found else {}


@dataclass
class Stack:
    """A synthesized stack: resources by type, and the region behind each provider alias."""

    data: dict[str, Any]
    regions: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: Any) -> Stack:
        if not isinstance(data, dict):
            raise StackError("the stack file must hold a JSON object (a synthesized cdk.tf.json)")
        resources = data.get("resource")
        if not isinstance(resources, dict) or not any(resources.values()):
            raise StackError("no resources in the stack file: is it a synthesized cdk.tf.json?")
        for type_, items in resources.items():
            if not isinstance(items, dict) or not all(isinstance(body, dict) for body in items.values()):
                raise StackError(f"malformed resource block {type_!r}: expected {{logical id: {{...}}}}")
        providers = data.get("provider")
        providers = providers.get("aws", []) if isinstance(providers, dict) else []
        regions = {
            entry.get("alias", DEFAULT_ALIAS): entry.get("region")
            for entry in blocks(providers)
            if isinstance(entry, dict)
        }
        if not regions:
            raise StackError("no AWS provider in the stack file")
        return cls(data, regions)

    def logical_id_at(self, type_: str, construct_path: str) -> str:
        """The logical id of the one ``type_`` resource at ``construct_path`` (``api-primary/function``).

        cdktf (like AWS CDK) joins the path with ``_``, drops a component that the previous one
        ends with (``payments-table/table`` -> ``payments-table``) and appends an 8-digit hash."""
        parts: list[str] = []
        for part in construct_path.split("/"):
            if not parts or not parts[-1].endswith(part):
                parts.append(part)
        pattern = re.compile(re.escape("_".join(parts)) + r"_[0-9A-F]{8}")
        matches = [name for name in self.data["resource"].get(type_, {}) if pattern.fullmatch(name)]
        if len(matches) != 1:
            raise StackError(f"{type_} at {construct_path!r}: found {matches}")
        return matches[0]

    def resources(self, type_: str) -> Iterator[tuple[str, dict[str, Any]]]:
        yield from sorted(self.data["resource"].get(type_, {}).items())

    def types(self) -> list[str]:
        return sorted(t for t, items in self.data["resource"].items() if items)

    def get(self, type_: str, logical_id: str) -> dict[str, Any] | None:
        return self.data["resource"].get(type_, {}).get(logical_id)

    @staticmethod
    def alias_of(body: dict[str, Any]) -> str:
        provider = body.get("provider") or "aws"
        return provider.split(".", 1)[1] if "." in provider else DEFAULT_ALIAS

    def region_of(self, body: dict[str, Any]) -> str | None:
        return self.regions.get(self.alias_of(body))

    def first_reference(self, value: Any, type_: str) -> tuple[str, dict[str, Any]] | None:
        for ref_type, logical_id in references(value):
            body = self.get(ref_type, logical_id) if ref_type == type_ else None
            if body is not None:
                return logical_id, body
        return None

    def table_replicas(self, table_id: str, table: dict[str, Any]) -> list[dict[str, Any]]:
        """A table's replicas: its inline ``replica`` blocks and the ``aws_dynamodb_table_replica``
        resources that point at it, each as ``{"region_name", "resource", ...}``."""
        found = [{**replica, "resource": table_id} for replica in blocks(table.get("replica"))]
        for replica_id, body in self.resources("aws_dynamodb_table_replica"):
            parent = self.first_reference(body.get("global_table_arn"), "aws_dynamodb_table")
            if parent is not None and parent[0] == table_id:
                found.append({**body, "region_name": self.region_of(body), "resource": replica_id})
        return found

    def workload_aliases(self) -> list[str]:
        """Provider aliases that run part of the workload (API, function, table or replica);
        leaves out a region that only holds, say, Route 53's us-east-1 alarms."""
        types = (
            "aws_lambda_function",
            "aws_api_gateway_stage",
            "aws_dynamodb_table",
            "aws_dynamodb_table_replica",
        )
        used = {self.alias_of(body) for type_ in types for _, body in self.resources(type_)}
        return sorted(alias for alias in self.regions if alias in used) or sorted(self.regions)

    def target_alias(self, value: Any, fallback: dict[str, Any]) -> str:
        """The provider alias of the first resource ``value`` refers to, else ``fallback``'s."""
        for ref_type, logical_id in references(value):
            body = self.get(ref_type, logical_id)
            if body is not None and "provider" in body:
                return self.alias_of(body)
        return self.alias_of(fallback)


# --- failover: health checks and DNS records ---------------------------------------------------


def health_check_facts(stack: Stack, logical_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """What a health check watches and how long it takes to notice a failure. A CALCULATED check
    detects what its probing children detect (Route 53 recomputes it as their statuses change);
    a CLOUDWATCH_METRIC check follows its alarm (``alarm``: its period x evaluation periods)."""
    check_type = body.get("type")
    interval = body.get("request_interval")
    threshold = body.get("failure_threshold")
    probing = check_type not in NON_PROBING_HEALTH_CHECKS
    interval = int(interval) if interval is not None else DEFAULT_REQUEST_INTERVAL
    threshold = int(threshold) if threshold is not None else DEFAULT_FAILURE_THRESHOLD
    target = stack.target_alias([body.get("fqdn"), body.get("ip_address")], body)
    facts = {
        "resource": logical_id,
        "type": check_type,
        "target_alias": target,
        "target_region": stack.regions.get(target),
        "request_interval": interval if probing else None,
        "failure_threshold": threshold if probing else None,
        "detection_seconds": interval * threshold if probing else None,
        "defaults_used": probing and ("request_interval" not in body or "failure_threshold" not in body),
    }
    if check_type == "CALCULATED":
        children = [
            health_check_facts(stack, child_id, child)
            for ref_type, child_id in references(body.get("child_healthchecks"))
            if ref_type == "aws_route53_health_check" and (child := stack.get(ref_type, child_id)) is not None
        ]
        probes = [c for c in children if c["detection_seconds"] is not None]
        facts["children"] = [c["resource"] for c in children]
        facts["child_health_threshold"] = body.get("child_health_threshold")
        if probes:
            worst = max(probes, key=lambda c: (c["detection_seconds"], c["resource"]))
            facts.update(
                target_alias=worst["target_alias"],
                target_region=worst["target_region"],
                request_interval=worst["request_interval"],
                failure_threshold=worst["failure_threshold"],
                detection_seconds=worst["detection_seconds"],
            )
        facts["switches"] = [c["alarm"] for c in children if c.get("alarm")]
    if check_type == "CLOUDWATCH_METRIC":
        facts["alarm"] = alarm_facts(stack, body)
    return facts


def alarm_facts(stack: Stack, body: dict[str, Any]) -> dict[str, Any] | None:
    """The CloudWatch alarm a CLOUDWATCH_METRIC health check follows, and how long it takes to
    change state after the data does (period x evaluation periods)."""
    found = stack.first_reference(body.get("cloudwatch_alarm_name"), "aws_cloudwatch_metric_alarm")
    if found is None:
        return None
    logical_id, alarm = found
    period, periods = int(alarm.get("period", 60)), int(alarm.get("evaluation_periods", 1))
    return {
        "resource": logical_id,
        "region": body.get("cloudwatch_alarm_region"),
        "namespace": alarm.get("namespace"),
        "metric": alarm.get("metric_name"),
        "dimensions": alarm.get("dimensions", {}),
        "threshold": alarm.get("threshold"),
        "treat_missing_data": alarm.get("treat_missing_data", "missing"),
        # AWS's default when the health check does not say (API_HealthCheckConfig).
        "insufficient_data_health_status": body.get("insufficient_data_health_status") or "LastKnownStatus",
        # Route 53 copies the alarm's criteria once: only triggers on them carry a change over.
        "follows_alarm_changes": all(
            ("aws_cloudwatch_metric_alarm", logical_id) in references((body.get("triggers") or {}).get(name))
            for name in ALARM_CRITERIA
        ),
        "state_change_seconds": period * periods,
    }


def record_dns_seconds(stack: Stack, body: dict[str, Any]) -> tuple[int | None, str]:
    alias = block(body.get("alias"))
    if not alias:
        ttl = body.get("ttl")
        if ttl is None:
            return None, "non-alias record without a ttl"
        return int(ttl), f"record TTL {int(ttl)} s"
    aliased_record = stack.first_reference(alias.get("name"), "aws_route53_record")
    if aliased_record is not None:  # an alias to another record of the zone takes its TTL
        ttl = aliased_record[1].get("ttl")
        return (int(ttl) if ttl is not None else None), f"alias to {aliased_record[0]}: its TTL"
    return ALIAS_RECORD_TTL_SECONDS, (
        f"alias record to an AWS resource: fixed {ALIAS_RECORD_TTL_SECONDS} s TTL (not settable)"
    )


def failover_records(stack: Stack) -> list[dict[str, Any]]:
    records = []
    for logical_id, body in stack.resources("aws_route53_record"):
        policy = block(body.get("failover_routing_policy"))
        if not policy:
            continue
        health_check = stack.first_reference(body.get("health_check_id"), "aws_route53_health_check")
        alias = block(body.get("alias"))
        target = stack.target_alias([alias.get("name"), body.get("records")], body)
        if not alias and health_check is not None:  # plain records: the checked endpoint's region
            target = health_check_facts(stack, *health_check)["target_alias"]
        dns_seconds, dns_basis = record_dns_seconds(stack, body)
        records.append(
            {
                "resource": logical_id,
                "name": body.get("name"),
                "role": policy.get("type"),
                "set_identifier": body.get("set_identifier"),
                "alias_record": bool(alias),
                "target_alias": target,
                "target_region": stack.regions.get(target),
                "health_check": health_check[0] if health_check else None,
                "dns_seconds": dns_seconds,
                "dns_basis": dns_basis,
            }
        )
    return sorted(records, key=lambda r: (r["role"] != "PRIMARY", r["resource"]))


# --- S3 replication ------------------------------------------------------------------------------


def bucket_ref(stack: Stack, value: Any) -> dict[str, Any]:
    """The bucket a replication setting points at: by reference, else by literal name/ARN."""
    found = stack.first_reference(value, "aws_s3_bucket")
    if found is None and isinstance(value, str):
        name = value.removeprefix("arn:aws:s3:::")
        found = next(
            ((lid, b) for lid, b in stack.resources("aws_s3_bucket") if b.get("bucket") == name), None
        )
    if found is None:
        return {"bucket": value, "resource": None, "alias": None, "region": None}
    logical_id, body = found
    alias = stack.alias_of(body)
    return {
        "bucket": short_name(logical_id),
        "resource": logical_id,
        "alias": alias,
        "region": stack.regions.get(alias),
    }


def replication_rules(stack: Stack) -> list[dict[str, Any]]:
    rules = []
    for logical_id, body in stack.resources("aws_s3_bucket_replication_configuration"):
        source = bucket_ref(stack, body.get("bucket"))
        for index, rule in enumerate(blocks(body.get("rule"))):
            destination_block = block(rule.get("destination"))
            destination = bucket_ref(stack, destination_block.get("bucket"))
            rtc = block(destination_block.get("replication_time"))
            minutes = block(rtc.get("time")).get("minutes")
            rtc_on = rtc.get("status") == "Enabled" and minutes is not None
            rules.append(
                {
                    "configuration": logical_id,
                    "rule": rule.get("id") or f"#{index}",
                    "enabled": rule.get("status") == "Enabled",
                    "prefix": block(rule.get("filter")).get("prefix", rule.get("prefix")),
                    "source": source,
                    "destination": destination,
                    "direction": f"{source['alias']} -> {destination['alias']}",
                    "rtc_minutes": int(minutes) if rtc_on else None,
                    "rpo_seconds": int(minutes) * 60 if rtc_on else None,
                    "rpo_basis": (
                        f"S3 Replication Time Control: 99.99 % of objects within {int(minutes)} min (SLA)"
                        if rtc_on
                        else "no Replication Time Control: S3 replication has no time bound"
                    ),
                }
            )
    return rules


# --- the primary region ----------------------------------------------------------------------------


def primary_alias(stack: Stack, records: list[dict[str, Any]]) -> tuple[str, str]:
    primaries = [record["target_alias"] for record in records if record["role"] == "PRIMARY"]
    if primaries:
        return primaries[0], "the PRIMARY failover record's target"
    tables = [body for _, body in stack.resources("aws_dynamodb_table")]
    if tables:
        return stack.alias_of(tables[0]), "no failover records: the DynamoDB table's home region"
    return next(iter(stack.regions)), "no failover records nor table: the first provider"

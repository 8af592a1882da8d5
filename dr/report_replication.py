"""The DR report's data figures, from the synthesized stack: each DynamoDB table's replicas and
RPO (a global table's asynchronous replication, or strong consistency), and the RPO of one
direction of S3 replication (the RTC window)."""

from __future__ import annotations

from typing import Any

from dr.stack import Stack

GLOBAL_TABLE_RPO_SECONDS = 1
STRONG_CONSISTENCY_RPO_SECONDS = 0


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


def table_rpo(tables: list[dict[str, Any]]) -> tuple[int | None, str]:
    """The tables' RPO: the worst one, or null with the reason(s)."""
    table_rpos = [table["rpo_seconds"] for table in tables]
    if not tables:
        return None, "no DynamoDB table in the stack"
    if None in table_rpos:
        return None, "; ".join(
            f"{t['resource']}: {t['rpo_basis']}" for t in tables if t["rpo_seconds"] is None
        )
    return max(table_rpos), tables[0]["rpo_basis"]

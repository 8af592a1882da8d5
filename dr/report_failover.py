"""The DR report's failover figures, from the synthesized stack: the RTO (worst detection of the
health checks on the failover records + the DNS cache, or null with the reason), the data-plane
failover switch and how to flip it, and what the recovery path still depends on."""

from __future__ import annotations

from typing import Any

from dr.stack import Stack
from lib.regions import GLOBAL

RTO_GOAL_SECONDS = 90


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
                "region": GLOBAL,
                "in_recovery_path": True,
                "reason": "no data-plane switch: a manual failover needs Route 53's control plane, "
                f"served from {GLOBAL}",
            }
        )
    deps += _route53_regional_outputs(stack)
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


def _route53_regional_outputs(stack: Stack) -> list[dict[str, Any]]:
    """What Route 53 delivers in one region only (query logs, health-check metrics and their
    alarms): lost while that region is out, and outside the recovery path."""
    deps: list[dict[str, Any]] = []
    for type_, what, reason in (
        (
            "aws_route53_query_log",
            "Route 53 query logs",
            f"written only to {GLOBAL}: lost while it is out; recovery does not read them",
        ),
        (
            "aws_cloudwatch_metric_alarm",
            "Route 53 health-check alarms and their topic",
            f"Route 53 publishes health-check metrics only in {GLOBAL}: notifications stop while it "
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
    return deps

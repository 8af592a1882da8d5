"""The DR report as a readable table: the computed figures, the failover records, health checks
and switch, the game day's measured results next to them, the recovery path's dependencies, object
replication and the single-region resources."""

from __future__ import annotations

from typing import Any

from dr.gameday_result import ScenarioResult
from dr.stack import short_name
from lib.regions import GLOBAL


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
    lines = ["DR report (from the synthesized stack)"]
    lines += [f"  {label:<17} {value}" for label, value in _figures(report)]
    for title, section in (
        ("failover records", _records),
        ("health checks", _health_checks),
        ("failover switch (data plane)", _switch),
        ("measured (game day, AWS seconds)", _measured),
        ("recovery path dependencies", _dependencies),
        ("object replication", _replication),
        ("backups (AWS Backup plans)", _backups),
        ("single-region resources", _single_region),
    ):
        lines.append(title)
        lines += section(report)
    return "\n".join(lines)


def _figures(report: dict[str, Any]) -> list[tuple[str, str]]:
    """The computed figures, a labelled row each."""
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
        ("RPO PITR", f"{_seconds(report['rpo_seconds_pitr'])} ({report['rpo_pitr_basis']})"),
        ("RPO backups", f"{_seconds(report['rpo_seconds_backup'])} ({report['rpo_backup_basis']})"),
        ("table restore", _restore(report["table_restore"])),
        ("strategy basis", report["strategy_basis"]),
    ]
    if report["rto_reason"]:
        rows.insert(8, ("RTO reason", report["rto_reason"]))
    return rows


def _records(report: dict[str, Any]) -> list[str]:
    return [
        f"  {r['role']:<10} {r['name']} -> {r['target_alias']} ({r['target_region']}), "
        f"health check {r['health_check'] or 'none'}, DNS {_seconds(r['dns_seconds'])}"
        for r in report["failover_records"]
    ] or ["  none"]


def _health_checks(report: dict[str, Any]) -> list[str]:
    return [
        f"  {c['resource']:<40} {c['type']} {_watches(c)}"
        f"{'' if c['used_by_failover'] else ' (on no failover record)'}"
        for c in report["health_checks"]
    ] or ["  none"]


def _switch(report: dict[str, Any]) -> list[str]:
    switch = report["failover_switch"]
    if not switch:
        return [f"  none: a manual failover needs Route 53's control plane ({GLOBAL})"]
    return [
        f"  alarm {short_name(switch['resource'])} in {switch['region']} on {switch['namespace']}/"
        f"{switch['metric']}, via {short_name(switch['health_check'])}",
        f"  manual failover {_seconds(switch['manual_failover_seconds'])} "
        f"(alarm {switch['state_change_seconds']} s + DNS {_seconds(report['dns_seconds'])}); "
        f"{switch['missing_data']}",
        f"  {switch['how']}",
    ]


def _measured(report: dict[str, Any]) -> list[str]:
    """A game day's results (dr/gameday_result.py), each measured next to computed."""
    results = [ScenarioResult.from_json(m) for m in report.get("measured", [])]
    return [f"  {r.scenario:<12} {r.summary()}" for r in results] or [
        "  none yet: run make gameday-local (or make gameday)"
    ]


def _dependencies(report: dict[str, Any]) -> list[str]:
    return [
        f"  {'in path' if d['in_recovery_path'] else 'outside'} {d['plane']:<7} {d['region']:<10} "
        f"{d['dependency']}: {d['reason']}"
        for d in report["recovery_dependencies"]
    ]


def _replication(report: dict[str, Any]) -> list[str]:
    return [
        f"  {r['direction']:<22} {r['source']['bucket']} -> {r['destination']['bucket']} "
        f"[{r['rule']}{', disabled' if not r['enabled'] else ''}] RTC "
        f"{r['rtc_minutes'] or 'off'} min, RPO {_seconds(r['rpo_seconds'])}"
        for r in report["object_replication"]
    ] or ["  none"]


def _restore(restore: dict[str, Any]) -> str:
    if restore["min_seconds"] is None:
        return f"n/a ({restore['basis']})"
    return f"{restore['min_seconds']} s to {restore['usual_max_seconds']} s ({restore['basis']})"


def _backups(report: dict[str, Any]) -> list[str]:
    lines = []
    for plan in report["backup_plans"]:
        for rule in plan["rules"]:
            copies = "; ".join(
                f"copy -> {c['vault']} ({c['region']}) kept {c['retention_days']} d" for c in rule["copies"]
            )
            kept = f"{rule['schedule']} -> {rule['vault']} kept {rule['retention_days']} d"
            lines.append(
                f"  {plan['region']:<12} {kept}{'; ' + copies if copies else ''}; "
                f"protects {', '.join(plan['protects']) or 'nothing'}"
            )
    return lines or ["  none"]


def _single_region(report: dict[str, Any]) -> list[str]:
    single = report["single_region_resources"]
    width = max((len(short_name(r["resource"])) for r in single), default=0)
    return [
        f"  {r['type']:<40} {short_name(r['resource']):<{width}} {r['region']}: {r['reason']}" for r in single
    ] or ["  none"]

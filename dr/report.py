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
  RTC (S3 replication without RTC has no time bound);
- RPO PITR = 300 s (restorable to the second, the latest restorable time ~5 minutes behind now),
  RPO backups = the AWS Backup schedule's interval, and a table restore's duration as AWS gives
  it (20 min to an hour): what covers a bad write or a deleted table, which replication copies
  (dr/report_backup.py).

    python -m dr.report cdktf.out/stacks/TapStackdev/cdk.tf.json [--out cfn-outputs/dr-report.json]

This module assembles the report and is its command line; the figures are computed in
dr/report_failover.py (RTO, the switch, the recovery path), dr/report_replication.py (RPO) and
dr/report_regions.py (strategy, single-region resources), dr/report_backup.py (PITR, AWS Backup,
restore time), rendered by dr/report_render.py; a game
day's measured results (dr/gameday_result.py) are shown next to them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from cli.args import ArgumentParser
from dr.gameday_result import ReportError, ScenarioResult, load_report
from dr.report_backup import SOURCES as BACKUP_SOURCES
from dr.report_backup import backup_plans, backup_rpo, pitr_facts, pitr_rpo, table_restore
from dr.report_failover import failover_switch, recovery_dependencies, rto
from dr.report_regions import capacity, single_region_resources, strategy
from dr.report_render import render
from dr.report_replication import direction_rpo, table_facts, table_rpo
from dr.stack import Stack, StackError, failover_records, health_check_facts, primary_alias, replication_rules

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
    **BACKUP_SOURCES,
}


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
    rpo_table, rpo_table_basis = table_rpo(tables)

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

    pitr, plans = pitr_facts(stack), backup_plans(stack)
    rpo_pitr, rpo_pitr_basis = pitr_rpo(pitr)
    rpo_backup, rpo_backup_basis = backup_rpo(plans)
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
        "rpo_seconds_pitr": rpo_pitr,
        "rpo_pitr_basis": rpo_pitr_basis,
        "rpo_seconds_backup": rpo_backup,
        "rpo_backup_basis": rpo_backup_basis,
        "table_restore": table_restore(pitr),
        "pitr": pitr,
        "backup_plans": plans,
        "failover_records": records,
        "health_checks": list(checks.values()),
        "tables": tables,
        "object_replication": rules,
        "capacity": capacity(stack),
        "single_region_resources": single_region_resources(stack, tables, switch),
        "sources": SOURCES,
    }


def measured(path: Path) -> list[ScenarioResult]:
    """The scenarios of a game day's report, when there is one (else none)."""
    try:
        return load_report(path).scenarios
    except ReportError:
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
    report["measured"] = [result.to_json() for result in measured(args.gameday)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(render(report))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

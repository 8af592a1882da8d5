"""The DR report's backup figures, from the synthesized stack: each table's (and replica's)
point-in-time recovery, AWS Backup's plans (what each backs up, how often, where it copies, how
long it keeps them), the RPO of each, and the time a table restore takes, next to the
replication RPO (dr/report_replication.py). Replication covers the loss of a region; these cover
what replication copies faithfully: a bad write, a deleted table, an erased bucket.

- PITR restores "to the state based on the selected date and time (day:hour:minute:second)"
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery_Howitworks.html):
  one-second granularity; but "LatestRestorableDateTime is typically 5 minutes before the current
  time" (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PointInTimeRecoveryDescription.html),
  so a restore to "now" loses up to 300 s; the window defaults to 35 days when the stack sets none
  ("If no value is provided, the value will default to 35": API_PointInTimeRecoverySpecification.html).
- AWS Backup: a recovery point per run of the plan's schedule, so the RPO is the schedule's
  interval; a run may start up to its start window later (the rule's ``start_window``).
- A table restore: "the restore process usually takes less than an hour to complete ... When
  you perform a point-in-time recovery of a DynamoDB table, the restoration takes at least 20
  minutes no matter the size of the table ... it isn't possible to calculate the table
  restoration time" (AWS knowledge center,
  https://repost.aws/knowledge-center/dynamodb-restore-taking-long): a range, not a figure from
  the stack. An S3 restore from AWS Backup: undocumented (it grows with the objects restored).
"""

from __future__ import annotations

import re
from typing import Any

from dr.stack import Stack, block, blocks, references, short_name

PITR_GRANULARITY_SECONDS = 1
PITR_LATEST_LAG_SECONDS = 300
PITR_DEFAULT_DAYS = 35
TABLE_RESTORE_MIN_SECONDS = 20 * 60
TABLE_RESTORE_USUAL_SECONDS = 60 * 60
SOURCES = {
    "pitr": "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PointInTimeRecoveryDescription.html",
    "table_restore": "https://repost.aws/knowledge-center/dynamodb-restore-taking-long",
    "backup_plans": "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupRule.html",
}
# cron(minutes hours day-of-month month day-of-week year): AWS Backup's schedule expressions.
_CRON = re.compile(r"^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$")
_EVERY = re.compile(r"^(?:\*|\d+)/(\d+)$")


def schedule_seconds(expression: str | None) -> int | None:
    """The interval of a cron schedule that runs every N minutes, hours or days (every month,
    any weekday): the finest field that repeats sets it and the coarser ones must be "every";
    None for any other shape (the report says so rather than guess)."""
    match = _CRON.match(expression or "")
    if not match or match[4] != "*" or match[5] not in ("*", "?"):
        return None
    fields = match.groups()[:3]  # minutes, hours, day of month
    for index, (field, unit) in enumerate(zip(fields, (60, 3600, 86400), strict=True)):
        if field.isdigit():
            continue  # a fixed minute (hour): the interval is set by a coarser field
        every = _EVERY.match(field)
        if not (field in ("*", "?") or every) or any(f not in ("*", "?") for f in fields[index + 1 :]):
            return None
        return (int(every.group(1)) if every else 1) * unit
    return None


def pitr_facts(stack: Stack) -> list[dict[str, Any]]:
    """Each table's and replica's PITR: on or off and its window (replicas cannot set one)."""
    found = []
    for logical_id, body in stack.resources("aws_dynamodb_table"):
        pitr = block(body.get("point_in_time_recovery"))
        found.append(
            {
                "resource": logical_id,
                "region": stack.region_of(body),
                "enabled": bool(pitr.get("enabled")),
                "recovery_period_days": int(pitr.get("recovery_period_in_days") or PITR_DEFAULT_DAYS),
            }
        )
        for replica in blocks(body.get("replica")):
            found.append(_replica(logical_id, replica.get("region_name"), replica))
    for logical_id, body in stack.resources("aws_dynamodb_table_replica"):
        found.append(_replica(logical_id, stack.region_of(body), body))
    return found


def _replica(logical_id: str, region: str | None, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "resource": logical_id,
        "region": region,
        "enabled": bool(body.get("point_in_time_recovery")),
        "recovery_period_days": PITR_DEFAULT_DAYS,
    }


def pitr_rpo(pitr: list[dict[str, Any]]) -> tuple[int | None, str]:
    if not pitr:
        return None, "no DynamoDB table in the stack"
    off = [f"{short_name(t['resource'])} ({t['region']})" for t in pitr if not t["enabled"]]
    if off:
        return None, f"point-in-time recovery is off on {', '.join(off)}"
    shortest = min(t["recovery_period_days"] for t in pitr)
    return PITR_LATEST_LAG_SECONDS, (
        f"DynamoDB point-in-time recovery, to the second ({PITR_GRANULARITY_SECONDS} s) anywhere in the "
        f"last {shortest} days; the latest restorable time is typically {PITR_LATEST_LAG_SECONDS // 60} "
        "minutes behind now; in the table's own region only (a region loss is the replica's to cover)"
    )


def backup_plans(stack: Stack) -> list[dict[str, Any]]:
    """Each AWS Backup plan: its region, what its selections protect, and each rule's schedule,
    interval, retention and copies (destination vault, its region, the copy's retention)."""
    protects: dict[str, list[str]] = {}
    for _, selection in stack.resources("aws_backup_selection"):
        for type_, plan_id in references(selection.get("plan_id")):
            if type_ == "aws_backup_plan":
                targets = [short_name(lid) for _, lid in references(selection.get("resources"))]
                protects.setdefault(plan_id, []).extend(targets)
    plans = []
    for logical_id, body in stack.resources("aws_backup_plan"):
        plans.append(
            {
                "resource": logical_id,
                "region": stack.region_of(body),
                "protects": sorted(protects.get(logical_id, [])),
                "rules": [_rule(stack, rule) for rule in blocks(body.get("rule"))],
            }
        )
    return plans


def _rule(stack: Stack, rule: dict[str, Any]) -> dict[str, Any]:
    copies = []
    for action in blocks(rule.get("copy_action")):
        vault = stack.first_reference(action.get("destination_vault_arn"), "aws_backup_vault")
        copies.append(
            {
                "vault": short_name(vault[0]) if vault else action.get("destination_vault_arn"),
                "region": stack.region_of(vault[1]) if vault else None,
                "retention_days": block(action.get("lifecycle")).get("delete_after"),
            }
        )
    target = stack.first_reference(rule.get("target_vault_name"), "aws_backup_vault")
    return {
        "name": rule.get("rule_name"),
        "schedule": rule.get("schedule"),
        "interval_seconds": schedule_seconds(rule.get("schedule")),
        "start_window_minutes": rule.get("start_window"),
        "vault": short_name(target[0]) if target else rule.get("target_vault_name"),
        "retention_days": block(rule.get("lifecycle")).get("delete_after"),
        "copies": copies,
    }


def backup_rpo(plans: list[dict[str, Any]]) -> tuple[int | None, str]:
    """The worst interval of the plans' scheduled rules, or null with the reason."""
    rules = [rule for plan in plans for rule in plan["rules"]]
    if not rules:
        return None, "no AWS Backup plan in the stack"
    unknown = [f"{rule['name']} ({rule['schedule']})" for rule in rules if rule["interval_seconds"] is None]
    if unknown:
        return None, f"schedule(s) {unknown} not understood as a fixed interval"
    worst = max(rules, key=lambda rule: rule["interval_seconds"])
    copied = sorted({copy["region"] or "?" for rule in rules for copy in rule["copies"]})
    return worst["interval_seconds"], (
        f"AWS Backup schedule {worst['schedule']}: a recovery point every "
        f"{worst['interval_seconds'] // 3600} h (a run may start up to {worst['start_window_minutes']} "
        f"min late), copied to {', '.join(copied) or 'no other region'}"
    )


def table_restore(pitr: list[dict[str, Any]]) -> dict[str, Any]:
    """AWS's figures for a table restore, when there is a table to restore."""
    if not pitr:
        return {"min_seconds": None, "usual_max_seconds": None, "basis": "no DynamoDB table in the stack"}
    return {
        "min_seconds": TABLE_RESTORE_MIN_SECONDS,
        "usual_max_seconds": TABLE_RESTORE_USUAL_SECONDS,
        "basis": "AWS knowledge center: a point-in-time restore takes at least 20 minutes whatever the "
        "table's size and usually less than an hour; AWS publishes no formula ('it isn't possible to "
        "calculate the table restoration time': it follows the largest partition and data skew, not "
        "the table's size). S3 restores from AWS Backup: undocumented, they grow with the objects",
    }

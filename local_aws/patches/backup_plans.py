"""Gap: moto's Backup plans cannot be updated, and a deleted plan's name is never free again.

moto 5.2.5 has no ``UpdateBackupPlan`` (HTTP 501: ``aws_backup_plan`` fails on any change of a
rule), refuses ``CreateBackupPlan`` when any plan ever made had the name (a destroyed stack
cannot be deployed again), and accepts any lifecycle. This patch follows the Backup API
reference:

* ``CreateBackupPlan``: "If you call ``CreateBackupPlan`` with a plan that already exists, you
  receive an ``AlreadyExistsException`` exception." (a live plan of the same name, as moto
  reads "exists"; a deleted one no longer does), and "If the request includes a
  ``CreatorRequestId`` that matches an existing backup plan, that plan is returned."
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupPlan.html).
* ``UpdateBackupPlan``: "Updates the specified backup plan. The new version is uniquely
  identified by its ID." (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_UpdateBackupPlan.html):
  the rules (with moto's defaults and new rule ids) and advanced settings are replaced and the
  plan gets a new ``VersionId``; a missing or deleted plan is ``ResourceNotFoundException``.
* a lifecycle, the rule's or a copy action's: ``DeleteAfterDays`` "must be at least 90 days
  after the number of days specified in ``MoveToColdStorageAfterDays``."
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Lifecycle.html), -1 (keep
  indefinitely) aside; a copy action's ``DestinationBackupVaultArn`` must be a backup vault ARN
  ("For example, ``arn:aws:backup:us-east-1:123456789012:backup-vault:aBackupVault``.",
  https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CopyAction.html). Otherwise
  ``InvalidParameterValueException`` (the wording is undocumented: assumed).

``DeleteBackupPlan`` is refused while the plan has selections (``backup_selections.py``). Not
modelled: running the rules (no backup or copy job), that the target and destination vaults
exist, earlier versions of a plan.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from moto.backup.exceptions import (
    AlreadyExistsException,
    InvalidParameterValueException,
    ResourceNotFoundException,
)
from moto.backup.models import BackupBackend, Plan
from moto.backup.responses import BackupResponse

COLD_MINIMUM = 90  # days in cold storage before a recovery point may be deleted
VAULT_ARN = re.compile(r"^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:[A-Za-z0-9_-]{2,50}$")


def live_plan(backend: BackupBackend, plan_id: str) -> Plan:
    """The plan with this id, unless it is missing or deleted (ResourceNotFoundException)."""
    plan = backend.plans.get(plan_id)
    if plan is None or plan.deletion_date is not None:
        raise ResourceNotFoundException(msg="Failed reading Backup plan with provided version")
    return plan


def _check_lifecycle(lifecycle: dict[str, Any] | None) -> None:
    cold = (lifecycle or {}).get("MoveToColdStorageAfterDays")
    delete = (lifecycle or {}).get("DeleteAfterDays")
    if cold is None or delete is None or -1 in (cold, delete):
        return
    if delete < cold + COLD_MINIMUM:
        raise InvalidParameterValueException(
            msg=f"DeleteAfterDays ({delete}) must be at least {COLD_MINIMUM} days after "
            f"MoveToColdStorageAfterDays ({cold})"
        )


def check_rules(backup_plan: dict[str, Any]) -> None:
    for rule in backup_plan.get("Rules") or []:
        _check_lifecycle(rule.get("Lifecycle"))
        for action in rule.get("CopyActions") or []:
            arn = action.get("DestinationBackupVaultArn") or ""
            if not VAULT_ARN.match(arn):
                raise InvalidParameterValueException(msg=f"Invalid DestinationBackupVaultArn: {arn}")
            _check_lifecycle(action.get("Lifecycle"))


def create_backup_plan(
    self: BackupBackend,
    backup_plan: dict[str, Any],
    backup_plan_tags: dict[str, str],
    creator_request_id: str,
) -> Plan:
    live = [plan for plan in self.plans.values() if plan.deletion_date is None]
    same_request = [p for p in live if creator_request_id and p.creator_request_id == creator_request_id]
    if same_request:
        return same_request[0]
    if any(p.backup_plan["BackupPlanName"] == backup_plan["BackupPlanName"] for p in live):
        raise AlreadyExistsException(msg="Backup plan with the same plan document already exists")
    check_rules(backup_plan)
    plan = Plan(backup_plan=backup_plan, creator_request_id=creator_request_id, backend=self)
    if backup_plan_tags:
        self.tag_resource(plan.backup_plan_arn, backup_plan_tags)
    self.plans[plan.backup_plan_id] = plan
    return plan


def update_backup_plan(self: BackupResponse) -> str:
    backend = self.backup_backend
    plan = live_plan(backend, self.path.split("/plans/")[1].strip("/"))
    body = json.loads(self.body or "{}")
    check_rules(body["BackupPlan"])
    version = Plan(
        backup_plan=body["BackupPlan"], creator_request_id=plan.creator_request_id, backend=backend
    )
    plan.backup_plan = version.backup_plan
    plan.advanced_backup_settings = version.advanced_backup_settings
    plan.version_id = version.version_id
    return json.dumps(
        {
            "BackupPlanId": plan.backup_plan_id,
            "BackupPlanArn": plan.backup_plan_arn,
            "CreationDate": plan.creation_date,
            "VersionId": plan.version_id,
            "AdvancedBackupSettings": plan.advanced_backup_settings,
        }
    )


def apply() -> None:
    BackupBackend.create_backup_plan = functools.wraps(BackupBackend.create_backup_plan)(create_backup_plan)  # type: ignore[method-assign]
    BackupResponse.update_backup_plan = update_backup_plan  # type: ignore[attr-defined]

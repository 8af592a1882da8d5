"""Gap: moto has no Backup selections (HTTP 501), so no plan can be given its resources.

``aws_backup_selection`` creates a selection (``CreateBackupSelection``), waits for and reads it
(``GetBackupSelection``) and deletes it (``DeleteBackupSelection``); moto 5.2.5 implements none
of the four selection calls. This patch keeps each plan's selections:

* ``CreateBackupSelection``: "Creates a JSON document that specifies a set of resources to
  assign to a backup plan." (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupSelection.html)
  It stores ``SelectionName``, ``IamRoleArn``, ``Resources``, ``NotResources``, ``ListOfTags``
  and ``Conditions`` as given and answers a ``SelectionId``. ``IamRoleArn`` is "The ARN of the
  IAM role that Backup uses to authenticate when backing up the target resource"
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupSelection.html): a role this
  account does not have, or whose trust policy does not let ``backup.amazonaws.com``
  ``sts:AssumeRole``, is refused with ``InvalidParameterValueException`` "IAM Role <arn> cannot
  be assumed by AWS Backup" (undocumented: the wording AWS answers, as the provider's retry
  quotes it; its trust conditions are not evaluated). A resource pattern whose "*" is not at
  its end is refused: "the asterisk (*) must appear at the end of the ARN string (prefix
  pattern)" (same page). A missing or deleted plan: ``InvalidParameterValueException``
  "Cannot find Backup plan ..." (what the provider reads as gone; undocumented wording).
* ``GetBackupSelection`` returns the selection as stored, with ``SelectionId``,
  ``BackupPlanId``, ``CreationDate`` and ``CreatorRequestId``; an unknown id is
  ``ResourceNotFoundException``. ``ListBackupSelections`` lists the plan's
  (``BackupSelectionsList``). ``DeleteBackupSelection``: "Deletes the resource selection
  associated with a backup plan that is specified by the ``SelectionId``."; an unknown id is
  ``InvalidParameterValueException`` (the error the provider skips on destroy; undocumented).
* ``DeleteBackupPlan``: "A backup plan can only be deleted after all associated selections of
  resources have been deleted." (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupPlan.html):
  ``InvalidRequestException`` "Related backup plan selections must be deleted prior to backup
  plan deletion" (the provider retries on this wording); a plan already deleted is
  ``ResourceNotFoundException``.

Not modelled: selecting resources by tag or condition (no backup job runs), the 500/30 ARN
limits, the role's permissions.
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any
from urllib.parse import unquote

from moto.backup.exceptions import (
    InvalidParameterValueException,
    InvalidRequestException,
    ResourceNotFoundException,
)
from moto.backup.models import BackupBackend, Plan
from moto.backup.responses import BackupResponse
from moto.core.utils import unix_time
from moto.iam.models import iam_backends

SERVICE = "backup.amazonaws.com"


def selections(plan: Plan) -> dict[str, dict[str, Any]]:
    """A plan's selections by id (each as GetBackupSelection answers it)."""
    return plan.__dict__.setdefault("selections", {})


def _plan(backend: BackupBackend, plan_id: str) -> Plan:
    plan = backend.plans.get(plan_id)
    if plan is None or plan.deletion_date is not None:
        raise InvalidParameterValueException(msg=f"Cannot find Backup plan with ID {plan_id}")
    return plan


def _ids(response: BackupResponse) -> tuple[str, str]:
    """(plan id, selection id or "") from ``/backup/plans/<plan>/selections/<selection>``."""
    plan_id, _, rest = response.path.split("/backup/plans/", 1)[1].partition("/selections")
    return unquote(plan_id), unquote(rest.strip("/"))


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _trusts_backup(document: str) -> bool:
    try:
        policy = json.loads(unquote(document) if document.lstrip().startswith("%") else document)
    except (TypeError, ValueError):
        return False
    if not isinstance(policy, dict):
        return False
    for statement in _values(policy.get("Statement") or []):
        actions = _values(statement.get("Action") or [])
        principal = statement.get("Principal")
        services = _values(principal.get("Service") or []) if isinstance(principal, dict) else []
        if (
            statement.get("Effect") == "Allow"
            and any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions)
            and (SERVICE in services or principal == "*")
        ):
            return True
    return False


def _check_role(account_id: str, role_arn: str) -> None:
    iam = iam_backends[account_id]["aws"]
    try:
        role = iam.get_role_by_arn(role_arn)
    except Exception:
        role = None
    if role is None or not _trusts_backup(role.assume_role_policy_document):
        raise InvalidParameterValueException(msg=f"IAM Role {role_arn} cannot be assumed by AWS Backup")


def _check_resources(selection: dict[str, Any]) -> None:
    for arn in (selection.get("Resources") or []) + (selection.get("NotResources") or []):
        if arn != "*" and ("*" in arn[:-1] or not arn.startswith("arn:")):
            raise InvalidParameterValueException(msg=f"Invalid resource ARN pattern: {arn}")


def create_backup_selection(self: BackupResponse) -> str:
    plan_id, _ = _ids(self)
    plan = _plan(self.backup_backend, plan_id)
    body = json.loads(self.body or "{}")
    selection = dict(body.get("BackupSelection") or {})
    _check_role(self.backup_backend.account_id, str(selection.get("IamRoleArn")))
    _check_resources(selection)
    selection_id = str(uuid.uuid4())
    created = unix_time()
    selections(plan)[selection_id] = {
        "BackupSelection": selection,
        "SelectionId": selection_id,
        "BackupPlanId": plan_id,
        "CreationDate": created,
        "CreatorRequestId": body.get("CreatorRequestId"),
    }
    return json.dumps({"SelectionId": selection_id, "BackupPlanId": plan_id, "CreationDate": created})


def _stored(response: BackupResponse) -> tuple[Plan, str, dict[str, Any] | None]:
    plan_id, selection_id = _ids(response)
    plan = _plan(response.backup_backend, plan_id)
    return plan, selection_id, selections(plan).get(selection_id)


def get_backup_selection(self: BackupResponse) -> str:
    _, selection_id, stored = _stored(self)
    if stored is None:
        raise ResourceNotFoundException(msg=f"Cannot find backup selection with ID {selection_id}")
    return json.dumps({k: v for k, v in stored.items() if v is not None})


def delete_backup_selection(self: BackupResponse) -> str:
    plan, selection_id, stored = _stored(self)
    if stored is None:
        raise InvalidParameterValueException(msg=f"Cannot find backup selection with ID {selection_id}")
    selections(plan).pop(selection_id)
    return "{}"


def list_backup_selections(self: BackupResponse) -> str:
    plan_id, _ = _ids(self)
    listed = [
        {
            "SelectionId": s["SelectionId"],
            "SelectionName": s["BackupSelection"].get("SelectionName"),
            "BackupPlanId": plan_id,
            "CreationDate": s["CreationDate"],
            "CreatorRequestId": s["CreatorRequestId"],
            "IamRoleArn": s["BackupSelection"].get("IamRoleArn"),
        }
        for s in selections(_plan(self.backup_backend, plan_id)).values()
    ]
    return json.dumps(
        {"BackupSelectionsList": [{k: v for k, v in s.items() if v is not None} for s in listed]}
    )


def apply() -> None:
    delete_backup_plan = BackupBackend.delete_backup_plan

    @functools.wraps(delete_backup_plan)
    def delete_plan(self: BackupBackend, backup_plan_id: str) -> tuple[str, str, float, str]:
        plan = self.plans.get(backup_plan_id)
        if plan is None or plan.deletion_date is not None:
            raise ResourceNotFoundException(msg="Failed reading Backup plan with provided version")
        if selections(plan):
            raise InvalidRequestException(
                msg="Related backup plan selections must be deleted prior to backup plan deletion"
            )
        return delete_backup_plan(self, backup_plan_id)

    BackupBackend.delete_backup_plan = delete_plan  # type: ignore[method-assign]
    for handler in (
        create_backup_selection,
        get_backup_selection,
        delete_backup_selection,
        list_backup_selections,
    ):
        setattr(BackupResponse, handler.__name__, handler)

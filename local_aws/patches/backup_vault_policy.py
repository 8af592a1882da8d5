"""Gap: moto has no Backup vault access policies (HTTP 501 for every call).

``aws_backup_vault_policy`` puts, reads and deletes a vault's resource policy
(``PutBackupVaultAccessPolicy``, ``GetBackupVaultAccessPolicy``,
``DeleteBackupVaultAccessPolicy``); moto 5.2.5 routes none of them. This patch keeps the policy
on the vault, as AWS documents: "Sets a resource-based policy that is used to manage access
permissions on the target backup vault. Requires a backup vault name and an access policy
document in JSON format."
(https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultAccessPolicy.html);
"Returns the access policy document that is associated with the named backup vault."
(https://docs.aws.amazon.com/aws-backup/latest/devguide/API_GetBackupVaultAccessPolicy.html);
"Deletes the policy document that manages permissions on a backup vault."
(https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupVaultAccessPolicy.html).

* a missing vault: ``ResourceNotFoundException``; a vault without a policy:
  ``GetBackupVaultAccessPolicy`` answers ``ResourceNotFoundException`` (what the provider reads
  as "no policy"), ``DeleteBackupVaultAccessPolicy`` succeeds (undocumented: assumed);
* a policy that is not a JSON object with a ``Statement`` of statements each with an ``Effect``
  of Allow or Deny and an ``Action``: ``InvalidParameterValueException`` (undocumented wording:
  assumed); the policy is returned as it was put.

Not modelled: evaluating the policy (nothing here calls Backup as another principal), AWS's
check that each principal exists ("Provided principal is not valid").
"""

from __future__ import annotations

import json
from typing import Any

from moto.backup import urls
from moto.backup.exceptions import InvalidParameterValueException, ResourceNotFoundException
from moto.backup.responses import BackupResponse

from local_aws.patches.backup_vaults import vault_named

POLICY_PATH = "{0}/backup-vaults/(?P<name>[^/]+)/access-policy$"
ATTRIBUTE = "access_policy"  # the vault's policy document, as put


def _vault_name(response: BackupResponse) -> str:
    return response.path.split("/backup-vaults/")[1].split("/")[0]


def _check(policy: Any) -> None:
    try:
        document = json.loads(policy)
    except (TypeError, ValueError):
        raise InvalidParameterValueException(msg="Policy is not a valid JSON document") from None
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not statements or not isinstance(statements, list):
        raise InvalidParameterValueException(msg="Policy must contain a Statement")
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            raise InvalidParameterValueException(msg="Each statement needs an Effect of Allow or Deny")
        if not statement.get("Action") and not statement.get("NotAction"):
            raise InvalidParameterValueException(msg="Each statement needs an Action")


def put_backup_vault_access_policy(self: BackupResponse) -> str:
    vault = vault_named(self.backup_backend, _vault_name(self))
    policy = json.loads(self.body or "{}").get("Policy")
    _check(policy)
    vault.__dict__[ATTRIBUTE] = policy
    return "{}"


def get_backup_vault_access_policy(self: BackupResponse) -> str:
    vault = vault_named(self.backup_backend, _vault_name(self))
    policy = vault.__dict__.get(ATTRIBUTE)
    if policy is None:
        raise ResourceNotFoundException(msg=f"Backup vault {vault.backup_vault_name} has no access policy")
    return json.dumps(
        {
            "BackupVaultName": vault.backup_vault_name,
            "BackupVaultArn": vault.backup_vault_arn,
            "Policy": policy,
        }
    )


def delete_backup_vault_access_policy(self: BackupResponse) -> str:
    vault_named(self.backup_backend, _vault_name(self)).__dict__.pop(ATTRIBUTE, None)
    return "{}"


def apply() -> None:
    urls.url_paths[POLICY_PATH] = BackupResponse.dispatch
    BackupResponse.put_backup_vault_access_policy = put_backup_vault_access_policy  # type: ignore[attr-defined]
    BackupResponse.get_backup_vault_access_policy = get_backup_vault_access_policy  # type: ignore[attr-defined]
    BackupResponse.delete_backup_vault_access_policy = delete_backup_vault_access_policy  # type: ignore[attr-defined]

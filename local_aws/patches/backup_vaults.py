"""Gap: moto's Backup vaults answer part of DescribeBackupVault, delete anything silently and
have no recovery points to list.

moto 5.2.5 keeps a vault's name, ARN, key and lock settings, but ``DescribeBackupVault`` is
serialized from moto's object (no ``VaultType``/``VaultState``, no key when none was given),
``DeleteBackupVault`` removes whatever it is given (a missing vault, a vault holding recovery
points) without a word, and ``ListRecoveryPointsByBackupVault`` (what the provider's
``aws_backup_vault`` with ``force_destroy`` calls before deleting) is not implemented: HTTP 501.
This patch answers as AWS documents:

* ``CreateBackupVault``: "The server-side encryption key that is used to protect your backups";
  without one the vault uses the region's AWS managed ``aws/backup`` key (created in moto's KMS
  as moto does for ``aws/dynamodb``); a key that is not a key of the vault's region is refused
  with ``InvalidParameterValueException`` (undocumented: assumed, KMS keys are regional).
* ``DescribeBackupVault``: name, ARN, ``VaultType`` BACKUP_VAULT, ``VaultState`` AVAILABLE,
  ``EncryptionKeyArn``, ``CreationDate``, ``CreatorRequestId``, ``NumberOfRecoveryPoints``, and
  the lock: ``Locked``, ``MinRetentionDays``, ``MaxRetentionDays``, ``LockDate`` ("The date and
  time when Backup Vault Lock configuration cannot be changed or deleted.")
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeBackupVault.html).
* ``DeleteBackupVault``: "Deletes the backup vault identified by its name. A vault can be deleted
  only if it is empty." (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupVault.html):
  a vault holding recovery points is ``InvalidRequestException``, a missing one
  ``ResourceNotFoundException``; its access policy and lock go with it.
* ``ListRecoveryPointsByBackupVault``: "Returns detailed information about the recovery points
  stored in a backup vault." (the vault's ``recovery_points``; no backup job runs here, so it is
  empty unless a test puts one there).

Not modelled: backup, copy and restore jobs (no recovery point is ever made), logically
air-gapped vaults, vault notifications.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from moto.backup import urls
from moto.backup.exceptions import (
    InvalidParameterValueException,
    InvalidRequestException,
    ResourceNotFoundException,
)
from moto.backup.models import BackupBackend, Vault
from moto.backup.responses import BackupResponse
from moto.kms import kms_backends

RECOVERY_POINTS_PATH = "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/$"  # the SDKs send the slash
MANAGED_KEY = "alias/aws/backup"


def recovery_points(vault: Vault) -> list[dict[str, Any]]:
    """The recovery points a vault holds (``RecoveryPointByBackupVault`` dicts)."""
    return vault.__dict__.setdefault("recovery_points", [])


def vault_named(backend: BackupBackend, name: str) -> Vault:
    vault = backend.vaults.get(name)
    if vault is None:
        raise ResourceNotFoundException(msg=f"Backup vault {name} not found")
    return vault


def _encryption_key(backend: BackupBackend, key_arn: str | None) -> str:
    kms = kms_backends[backend.account_id][backend.region_name]
    if key_arn:
        parts = key_arn.split(":")
        if len(parts) < 6 or parts[2] != "kms" or parts[3] != backend.region_name:
            raise InvalidParameterValueException(
                msg=f"Invalid encryption key {key_arn} for region {backend.region_name}"
            )
        try:
            return kms.describe_key(key_arn).arn
        except Exception:
            raise InvalidParameterValueException(msg=f"Encryption key {key_arn} does not exist") from None
    if not kms.alias_exists(MANAGED_KEY):
        key = kms.create_key(
            policy="",
            key_usage="ENCRYPT_DECRYPT",
            key_spec="SYMMETRIC_DEFAULT",
            description="Default key that protects my backups when no other encryption key is defined",
            tags=None,
        )
        kms.create_alias(key.id, MANAGED_KEY)
    return kms.describe_key(MANAGED_KEY).arn


def description(vault: Vault) -> dict[str, Any]:
    found = {
        "BackupVaultName": vault.backup_vault_name,
        "BackupVaultArn": vault.backup_vault_arn,
        "VaultType": "BACKUP_VAULT",
        "VaultState": "AVAILABLE",
        "EncryptionKeyArn": vault.encryption_key_arn,
        "CreationDate": vault.creation_date,
        "CreatorRequestId": vault.creator_request_id,
        "NumberOfRecoveryPoints": len(recovery_points(vault)),
        "Locked": bool(vault.locked),
        "MinRetentionDays": vault.min_retention_days,
        "MaxRetentionDays": vault.max_retention_days,
        "LockDate": vault.lock_date,
    }
    return {k: v for k, v in found.items() if v is not None}


def describe_backup_vault(self: BackupResponse) -> str:
    return json.dumps(description(vault_named(self.backup_backend, self.path.split("/")[-1])))


def delete_backup_vault(self: BackupResponse) -> str:
    name = self.path.split("/")[-1]
    vault = vault_named(self.backup_backend, name)
    if recovery_points(vault):
        raise InvalidRequestException(
            msg=f"Backup vault {name} cannot be deleted because it contains recovery points"
        )
    self.backup_backend.vaults.pop(name)
    return "{}"


def list_recovery_points_by_backup_vault(self: BackupResponse) -> str:
    vault = vault_named(self.backup_backend, self.path.split("/backup-vaults/")[1].split("/")[0])
    return json.dumps({"RecoveryPoints": list(recovery_points(vault))})


def apply() -> None:
    urls.url_paths[RECOVERY_POINTS_PATH] = BackupResponse.dispatch
    create_backup_vault = BackupBackend.create_backup_vault

    @functools.wraps(create_backup_vault)
    def create(self: BackupBackend, *args: Any, **kwargs: Any) -> Vault:
        kwargs["encryption_key_arn"] = _encryption_key(self, kwargs.get("encryption_key_arn"))
        return create_backup_vault(self, *args, **kwargs)

    BackupBackend.create_backup_vault = create  # type: ignore[method-assign]
    BackupResponse.describe_backup_vault = describe_backup_vault  # type: ignore[method-assign,assignment]
    BackupResponse.delete_backup_vault = delete_backup_vault  # type: ignore[method-assign,assignment]
    BackupResponse.list_recovery_points_by_backup_vault = list_recovery_points_by_backup_vault  # type: ignore[attr-defined]

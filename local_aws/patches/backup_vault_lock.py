"""Gap: moto's Backup Vault Lock accepts any grace time and runs it on AWS's clock.

moto 5.2.5 stores ``PutBackupVaultLockConfiguration`` and refuses changes after the lock date,
but takes a ``ChangeableForDays`` of any size from 3 up and counts the days at AWS's pace,
whatever ``EMULATOR_TIME_SCALE`` says. This patch follows the parameter's own documentation
(https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html):

* "Backup enforces a 72-hour cooling-off period before Vault Lock takes effect and becomes
  immutable. Therefore, you must set ``ChangeableForDays`` to 3 or greater." and "The maximum
  value you can specify is 36,500 days (approximately 100 years).": otherwise
  ``InvalidParameterValueException``. ``MinRetentionDays`` at least 1, ``MaxRetentionDays`` at
  most 36,500 and not below the minimum (as moto checks them).
* the lock date: "setting ``ChangeableForDays`` to 30 on Jan. 1, 2022 at 8pm UTC will set the
  lock date to Jan. 31, 2022 at 8pm UTC", in AWS days divided by ``EMULATOR_TIME_SCALE`` (the
  emulator's clocks run that much faster: at scale 10 a 3-day grace time is 7.2 real hours;
  undocumented: assumed, the stricter reading, as the lock takes hold sooner).
  ``DescribeBackupVault`` answers it as ``LockDate`` (``backup_vaults.py``).
* "Before the lock date, you can delete Vault Lock from the vault using
  ``DeleteBackupVaultLockConfiguration`` or change the Vault Lock configuration using
  ``PutBackupVaultLockConfiguration``. On and after the lock date, the Vault Lock becomes
  immutable and cannot be changed or deleted." and "If the Vault Lock configuration is
  immutable, then you cannot delete Vault Lock using API operations, and you will receive an
  ``InvalidRequestException`` if you attempt to do so."
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupVaultLockConfiguration.html).
  Without ``ChangeableForDays`` (governance mode) it can be changed or deleted at any time.

Not modelled: what the lock enforces on recovery points and jobs (no job runs here).
"""

from __future__ import annotations

import time

from moto.backup.exceptions import InvalidParameterValueException, InvalidRequestException
from moto.backup.models import BackupBackend, Vault

from local_aws.patches.backup_vaults import vault_named
from local_aws.regions import time_scale

DAY = 86400.0  # AWS seconds
MIN_CHANGEABLE, MAX_DAYS = 3, 36500


def now() -> float:
    """The clock the lock date is read against (a test moves it on)."""
    return time.time()


def immutable(vault: Vault) -> bool:
    return vault.lock_date is not None and now() >= vault.lock_date


def put_backup_vault_lock_configuration(
    self: BackupBackend,
    backup_vault_name: str,
    min_retention_days: int | None,
    max_retention_days: int | None,
    changeable_for_days: int | None,
) -> None:
    vault = vault_named(self, backup_vault_name)
    if immutable(vault):
        raise InvalidRequestException(msg="Vault Lock configuration is immutable and cannot be modified")
    if min_retention_days is not None and min_retention_days < 1:
        raise InvalidParameterValueException(msg="MinRetentionDays must be at least 1 day")
    if max_retention_days is not None and max_retention_days > MAX_DAYS:
        raise InvalidParameterValueException(msg=f"MaxRetentionDays cannot exceed {MAX_DAYS} days")
    if None not in (min_retention_days, max_retention_days) and min_retention_days > max_retention_days:  # type: ignore[operator]
        raise InvalidParameterValueException(msg="MinRetentionDays cannot be greater than MaxRetentionDays")
    if changeable_for_days is not None and not MIN_CHANGEABLE <= changeable_for_days <= MAX_DAYS:
        raise InvalidParameterValueException(
            msg=f"ChangeableForDays must be between {MIN_CHANGEABLE} and {MAX_DAYS} days"
        )
    vault.locked = True
    vault.min_retention_days = min_retention_days
    vault.max_retention_days = max_retention_days
    vault.changeable_for_days = changeable_for_days
    vault.lock_date = (
        None if changeable_for_days is None else now() + changeable_for_days * DAY / time_scale()
    )


def delete_backup_vault_lock_configuration(self: BackupBackend, backup_vault_name: str) -> None:
    vault = vault_named(self, backup_vault_name)
    if immutable(vault):
        raise InvalidRequestException(msg="Vault Lock configuration is immutable and cannot be deleted")
    vault.locked = False
    vault.min_retention_days = vault.max_retention_days = None
    vault.lock_date = vault.changeable_for_days = None


def apply() -> None:
    BackupBackend.put_backup_vault_lock_configuration = put_backup_vault_lock_configuration  # type: ignore[method-assign]
    BackupBackend.delete_backup_vault_lock_configuration = delete_backup_vault_lock_configuration  # type: ignore[method-assign]

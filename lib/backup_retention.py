"""How long each profile keeps what a restore starts from (``Profile.backups``, lib/config.py):
DynamoDB's point-in-time recovery window, AWS Backup's daily recovery points in their own region
and their copies in the other region, and the vault lock's minimum. Read by lib/table.py and
lib/backup.py; importing it loads nothing but the standard library (lib/config.py imports it).

- PITR: "RecoveryPeriodInDays ... Valid Range: Minimum value of 1. Maximum value of 35. ... If no
  value is provided, the value will default to 35"
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PointInTimeRecoverySpecification.html).
  The window does not change the price: "Changing the recovery window (for example, from 35 days
  to 1 day) doesn't reduce the price"
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery_Howitworks.html).
- Backups: "To avoid additional charges, configure your retention policy with a warm storage
  duration of at least one week ... AWS Backup cannot create an incremental backup because you
  have no backup in warm storage"
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/metering-and-billing.html).
- Vault lock: "If this parameter is specified, any backup or copy job to the vault must have a
  lifecycle policy with a retention period equal to or longer than the minimum retention
  period" (PutBackupVaultLockConfiguration, MinRetentionDays): both regions' vaults are locked
  alike, so the rule's own retention and the copy's must each reach the minimum.
"""

from __future__ import annotations

from dataclasses import dataclass

PITR_MAX_DAYS = 35  # RecoveryPeriodInDays: 1-35


@dataclass(frozen=True, kw_only=True)
class BackupRetention:
    """``pitr_days``: the table's (and replica's, see lib/table.py) PITR window; ``backup_days``:
    a daily recovery point in its own region's vault; ``copy_days``: its copy in the other
    region's vault; ``lock_min_days``: the compliance-mode vault lock's minimum retention, None
    for no lock (a vault that can be emptied and destroyed)."""

    pitr_days: int
    backup_days: int
    copy_days: int
    lock_min_days: int | None

    def __post_init__(self) -> None:
        if not 1 <= self.pitr_days <= PITR_MAX_DAYS:
            raise ValueError(
                f"pitr_days={self.pitr_days}: DynamoDB's recovery period is 1-{PITR_MAX_DAYS} days"
            )
        if self.backup_days < 1 or self.copy_days < 1:
            raise ValueError(
                "backup_days and copy_days: AWS Backup deletes a recovery point after 1 day at least"
            )
        shortest = min(self.backup_days, self.copy_days)
        if self.lock_min_days is not None and not 1 <= self.lock_min_days <= shortest:
            raise ValueError(
                f"lock_min_days={self.lock_min_days}: the locked vaults refuse a backup or copy kept less "
                f"than the minimum, and this profile keeps them {shortest} day(s)"
            )


# dev (the previews): test data of one pull request. PITR 7 days undoes a bad test run during a
# PR's life. Recovery points kept 1 day: a preview holds kilobytes (a full backup a day costs
# nothing), and its vaults empty themselves within a day, so the daily sweep destroys a preview
# whose destroy met a recovery point (the CI deploy roles may not delete recovery points:
# lib/ci_permissions.py). No lock: a preview must be destroyable.
DEV = BackupRetention(pitr_days=7, backup_days=1, copy_days=1, lock_min_days=None)
# staging: a release candidate's data. PITR 14 days; backups a week, AWS's advice for
# incremental backups. No lock: staging stays destroyable (force_destroy), its vaults emptied by
# an administrator when it is retired.
STAGING = BackupRetention(pitr_days=14, backup_days=7, copy_days=7, lock_min_days=None)
# prod: PITR at its maximum, 35 days (the price is the same): a corruption noticed five weeks
# later is undone to the second. Daily backups kept 35 days in each region, in vaults locked in
# compliance mode for at least as long: no one, the deploy role and the account root included,
# deletes or shortens them once the lock's grace time ends (lib/backup.py).
PROD = BackupRetention(pitr_days=35, backup_days=35, copy_days=35, lock_min_days=35)

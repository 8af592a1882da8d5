"""AWS Backup in every region of the pair, same code for both: a vault encrypted with the region's
key that no principal may erase from, and a daily plan that backs up the region's table (or
replica) and receipts bucket into it and copies each recovery point to the other region's vault.

WHO CAN ERASE A BACKUP
- Nobody through the vault's access policy: it denies ``backup:DeleteRecoveryPoint`` and
  ``backup:UpdateRecoveryPointLifecycle`` to every principal ("A vault access policy can deny
  access to the API operations that target a backup vault and the ability to delete the stored
  recovery points": https://repost.aws/knowledge-center/backup-vault-access-policy).
  ``backup:PutBackupVaultAccessPolicy`` is NOT denied, although AWS Config's
  backup-recovery-point-manual-deletion-disabled rule looks for it
  (https://docs.aws.amazon.com/config/latest/developerguide/backup-recovery-point-manual-deletion-disabled.html):
  the deploy role creates the policy with that call and hashicorp/aws updates it in place with it
  (internal/service/backup/vault_policy.go: ``Update: resourceVaultPolicyPut``), so a deny would
  freeze the policy for the pipeline (every change a manual delete-and-create), while protecting
  nothing against the deploy role, which must keep ``DeleteBackupVaultAccessPolicy`` to destroy
  a vault (and the provider treats an AccessDenied there as success: ``ErrCodeEquals(err,
  errCodeAccessDeniedException) ... return nil``, so denying it would silently leave the policy).
- Not the CI deploy roles: their table grants no ``DeleteRecoveryPoint``,
  ``UpdateRecoveryPointLifecycle``, ``StartRestoreJob`` or ``DeleteBackupVaultLockConfiguration``
  (lib/ci_permissions.py), and no role they can create holds them (lib/ci_boundary.py). Removing
  the vault policy gives them nothing their IAM lacks.
- In prod, no one at all: a vault lock in compliance mode. "Vault Lock ... preventing attempts to
  delete any recovery point stored in or created in a backup vault. Vault Lock also prevents
  attempts to update the lifecycle policy"; "AWS Backup enforces a 72-hour cooling-off period
  before Vault Lock takes effect and becomes immutable. Therefore, you must set ChangeableForDays
  to 3 or greater ... On and after the lock date, the Vault Lock becomes immutable and cannot be
  changed or deleted"
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html,
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-backup-backupvault-lockconfigurationtype.html);
  after the grace time "the vault and its lock are immutable. No user or service can change it"
  (https://repost.aws/knowledge-center/backup-delete-vault-lock). Residual: during the 3 days the
  deploy role may still PutBackupVaultLockConfiguration (a weaker minimum), never delete it; and
  it may schedule the deletion of the vaults' KMS keys (kms:ScheduleKeyDeletion, which dev's
  destroy needs), which makes every recovery point unreadable once the key's 30-day window ends
  unless someone cancels it.

COST AND WHY DEV AND STAGING DIFFER
A prod vault lock is irreversible after 3 days: the vaults can never be deleted while they hold
recovery points, and each is kept its full retention (lib/backup_retention.py). Warm backup
storage is billed per GB-month ("pay only for the backup storage you use, backup data transferred
between AWS Regions, backup data you restore": https://aws.amazon.com/backup/pricing/); every
region stores its own backups and the other region's copies (twice the data), and each copy is
billed as cross-region transfer. Dev (the previews) and staging keep no lock and short retentions,
with ``force_destroy`` on the vaults (hashicorp/aws deletes the recovery points first, which
needs ``backup:DeleteRecoveryPoint``: an administrator's, not the CI roles'; a preview's vaults
empty themselves within a day, lib/backup_retention.py).

ENCRYPTION AND THE ROLE
The vault uses the region's customer-managed key (lib/keys.py lets AWS Backup use it in the key's
region). S3 backups and DynamoDB backups with advanced features are encrypted with the vault's
key ("Amazon S3 backups are encrypted using the AWS KMS ... key associated with the backup
vault": https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html); the cross-Region
copy of a DynamoDB backup relies on the account's advanced DynamoDB backup setting (an
account-wide AWS Backup Region setting this stack does not own). The role is AWS's
AWSBackupServiceRolePolicyForBackup (DynamoDB) and AWSBackupServiceRolePolicyForS3Backup
statements, scoped to this region's table and bucket, its key and the two vaults, without what
other resource types, continuous backups (EventBridge, bucket notifications) or lifecycle
deletion of non-advanced DynamoDB backups (``dynamodb:DeleteBackup``) need, and without the S3
policy's two grants on every resource (``cloudwatch:GetMetricData``, ``s3:ListAllMyBuckets``):
no role of this stack holds an action on ``*`` but X-Ray's (tests/unit/test_policy.py), and AWS
does not say a periodic backup of a named bucket needs them (undocumented: assumed not; a backup
job that fails AccessDenied naming one of them says otherwise). It trusts
backup.amazonaws.com for this account only (``aws:SourceAccount``): undocumented for AWS Backup,
assumed as the public nationalarchives/terraform-aws-immutable-aws-backup
(modules/service-deployment/iam-service-role.tf) deploys it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.backup_plan import (
    BackupPlan,
    BackupPlanRule,
    BackupPlanRuleCopyAction,
    BackupPlanRuleCopyActionLifecycle,
    BackupPlanRuleLifecycle,
)
from cdktf_cdktf_provider_aws.backup_selection import BackupSelection
from cdktf_cdktf_provider_aws.backup_vault import BackupVault as AwsBackupVault
from cdktf_cdktf_provider_aws.backup_vault_lock_configuration import BackupVaultLockConfiguration
from cdktf_cdktf_provider_aws.backup_vault_policy import BackupVaultPolicy
from constructs import Construct

from lib.backup_retention import BackupRetention
from lib.keys import RegionalKey
from lib.policy import document, statement
from lib.region import Region
from lib.service_role import ServiceRole
from lib.storage import ReceiptBucket

# Daily at 05:00 UTC (AWS Backup cron: minutes hours day-of-month month day-of-week year).
SCHEDULE = "cron(0 5 ? * * *)"
START_WINDOW_MINUTES = 60  # a job that has not started an hour after its schedule is cancelled
COMPLETION_WINDOW_MINUTES = 480
RULE_NAME = "daily"
# "you must set ChangeableForDays to 3 or greater": compliance mode with AWS's shortest grace time.
LOCK_GRACE_DAYS = 3
# Denied to every principal by each vault's access policy.
NO_ERASURE = ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"]
# AWSBackupServiceRolePolicyForS3Backup's bucket and object reads (without the bucket
# notifications, which serve continuous backups only).
S3_BUCKET_ACTIONS = [
    "s3:GetBucketAcl",
    "s3:GetBucketLocation",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetInventoryConfiguration",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:PutInventoryConfiguration",
]
S3_OBJECT_ACTIONS = [
    "s3:GetObject",
    "s3:GetObjectAcl",
    "s3:GetObjectTagging",
    "s3:GetObjectVersion",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionTagging",
]
# AWSBackupServiceRolePolicyForBackup's DynamoDB statement for advanced backups.
TABLE_ACTIONS = ["dynamodb:DescribeTable", "dynamodb:ListTagsOfResource", "dynamodb:StartAwsBackupJob"]
KEY_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]


class RegionalVault(Construct):
    """The region's vault, its access policy and, when ``lock_min_days`` is given, its
    compliance-mode lock. ``force_destroy``: Terraform deletes its recovery points first (dev,
    staging); ``prevent_destroy``: Terraform refuses to (prod)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        region: Region,
        name: str,
        key: RegionalKey,
        force_destroy: bool,
        prevent_destroy: bool,
        lock_min_days: int | None,
    ) -> None:
        super().__init__(scope, id)
        self.region, self.key = region, key
        keep = TerraformResourceLifecycle(prevent_destroy=prevent_destroy)
        self.vault = AwsBackupVault(
            self,
            "vault",
            provider=region.provider,
            name=name,
            kms_key_arn=key.arn_for(region),
            force_destroy=force_destroy,
            lifecycle=keep,
        )
        self.policy = BackupVaultPolicy(
            self,
            "policy",
            provider=region.provider,
            backup_vault_name=self.vault.name,
            policy=document(
                statement("NoRecoveryPointErasure", NO_ERASURE, "*", effect="Deny", principal="*")
            ),
        )
        self.lock = (
            BackupVaultLockConfiguration(
                self,
                "lock",
                provider=region.provider,
                backup_vault_name=self.vault.name,
                changeable_for_days=LOCK_GRACE_DAYS,
                min_retention_days=lock_min_days,
                lifecycle=keep,
            )
            if lock_min_days is not None
            else None
        )

    @property
    def arn(self) -> str:
        return self.vault.arn

    @property
    def name(self) -> str:
        return self.vault.name


@dataclass(frozen=True)
class BackupSources:
    """What a region's plan backs up: the table's ARN there (table or replica: GlobalTable.arn_in)
    and the region's receipts bucket."""

    table_arn: str
    bucket: ReceiptBucket


class RegionalBackup(Construct):
    """The region's daily plan into ``vault``, copied to ``copy_to`` (the other region's vault),
    its selection of ``sources`` and the role AWS Backup assumes for them."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vault: RegionalVault,
        copy_to: RegionalVault,
        name: str,
        sources: BackupSources,
        account_id: str,
        retention: BackupRetention,
    ) -> None:
        super().__init__(scope, id)
        self.region, self.vault, self.copy_to = vault.region, vault, copy_to
        provider = self.region.provider
        self.role = ServiceRole(
            self,
            "role",
            provider=provider,
            name=name,
            service="backup.amazonaws.com",
            source_account=account_id,
            description=f"AWS Backup of the payments table and receipts in the {self.region.role} region",
            statements=self._role_statements(sources, account_id),
        )
        self.plan = BackupPlan(
            self,
            "plan",
            provider=provider,
            name=name,
            rule=[self._rule(retention)],
        )
        self.selection = BackupSelection(
            self,
            "selection",
            provider=provider,
            name=name,
            plan_id=self.plan.id,
            iam_role_arn=self.role.arn,
            resources=[sources.table_arn, sources.bucket.arn],
            # CreateBackupSelection checks that AWS Backup can assume the role.
            depends_on=[self.role.attachment],
        )

    def _rule(self, retention: BackupRetention) -> BackupPlanRule:
        return BackupPlanRule(
            rule_name=RULE_NAME,
            target_vault_name=self.vault.name,
            schedule=SCHEDULE,
            start_window=START_WINDOW_MINUTES,
            completion_window=COMPLETION_WINDOW_MINUTES,
            lifecycle=BackupPlanRuleLifecycle(delete_after=retention.backup_days),
            copy_action=[
                BackupPlanRuleCopyAction(
                    destination_vault_arn=self.copy_to.arn,
                    lifecycle=BackupPlanRuleCopyActionLifecycle(delete_after=retention.copy_days),
                )
            ],
        )

    def _role_statements(self, sources: BackupSources, account_id: str) -> list[dict[str, Any]]:
        """Read the table and the bucket, use this region's key through the services that hold
        them and AWS Backup, the other region's key through AWS Backup there (the copies), and
        copy between the two vaults."""
        here, there = self.region.name, self.copy_to.region.name
        bucket = sources.bucket.arn
        return [
            statement("BackupTable", TABLE_ACTIONS, [sources.table_arn]),
            statement("ReadReceiptsBucket", S3_BUCKET_ACTIONS, [bucket]),
            statement("ReadReceiptObjects", S3_OBJECT_ACTIONS, [f"{bucket}/*"]),
            statement(
                "RegionKey",
                KEY_ACTIONS,
                [self.vault.key.arn],
                condition={
                    "StringEquals": {
                        "kms:ViaService": [f"{s}.{here}.amazonaws.com" for s in ("backup", "dynamodb", "s3")]
                    }
                },
            ),
            statement(
                "CopyRegionKey",
                KEY_ACTIONS,
                [self.copy_to.key.arn],
                condition={"StringEquals": {"kms:ViaService": f"backup.{there}.amazonaws.com"}},
            ),
            statement(
                "CopyBetweenVaults",
                ["backup:CopyIntoBackupVault", "backup:DescribeBackupVault"],
                [self.vault.arn, self.copy_to.arn],
            ),
            statement(
                "RecoveryPoints",
                ["backup:CopyFromBackupVault", "backup:TagResource"],
                [f"arn:aws:backup:{r}:{account_id}:recovery-point:*" for r in (here, there)],
            ),
        ]

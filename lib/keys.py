"""A customer-managed KMS key for one region: rotation, key policy, alias."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from lib.policy import document, statement
from lib.region import Region

# The account administers the key through IAM (no "kms:*": the list is explicit, and it
# holds no cryptographic operation, so an administrator cannot read the data).
ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
]
# Principals of the account use the key only through the AWS services that store this
# stack's data in the key's region (never by calling KMS directly with a stolen role).
_CRYPTO_ACTIONS = [
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
]
# AWS Backup: the vaults are encrypted with this key (lib/backup.py). Creating one needs
# "kms:CreateGrant", "kms:DescribeKey", "kms:RetireGrant", "kms:Decrypt", "kms:GenerateDataKey" on
# it (https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault.html), and backing up
# into it needs the backup role's access: "Your IAM role must have access to the KMS key being
# used to back up and restore the object ... The permissions in IAM policy and KMS key policy
# must be consistent" (https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html).
# DescribeKey and RetireGrant are the account's already (ADMIN_ACTIONS); the others only through
# AWS Backup in the key's region, for this account's principals, like the other services.
VIA_SERVICES = ("backup", "dynamodb", "lambda", "s3", "sns", "ssm")
# CloudWatch Logs encrypts with the key on the log group's behalf: AWS documents
# Encrypt*/Decrypt*/ReEncrypt*/GenerateDataKey*/Describe* under a condition on the
# kms:EncryptionContext:aws:logs:arn key
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html), spelled
# out here for symmetric keys. No Describe*: DescribeKey carries no encryption context, so
# under that condition it could never be granted (the KMS condition-key table lists the
# operations that do: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
LOGS_ACTIONS = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
]


class RegionalKey(Construct):
    """One CMK per region; every encrypted resource of that region uses it.

    ``policy_statements`` replace the stack's key policy (administration, use through the
    stack's services, CloudWatch Logs and alarm notifications) for a key with other users: the
    CI bootstrap's state key (lib/ci_state_bucket.py).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        region: Region,
        alias_name: str,
        account_id: str,
        deletion_window_days: int,
        prevent_destroy: bool,
        purpose: str,
        policy_statements: Sequence[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.region = region
        statements = (
            _stack_key_statements(region, account_id) if policy_statements is None else policy_statements
        )
        policy = document(*statements)
        self.key = KmsKey(
            self,
            "key",
            provider=region.provider,
            description=f"{alias_name}: {purpose} in {region.name}",
            enable_key_rotation=True,
            deletion_window_in_days=deletion_window_days,
            policy=policy,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=prevent_destroy),
        )
        self.alias = KmsAlias(
            self,
            "alias",
            provider=region.provider,
            name=f"alias/{alias_name}",
            target_key_id=self.key.key_id,
        )

    @property
    def arn(self) -> str:
        return self.key.arn

    def arn_for(self, region: Region) -> str:
        """The key's ARN, for a resource in ``region``. A single-Region key encrypts only in its
        region, and the services take a key of the resource's own region ("The key must be
        created in the same region as the replica":
        https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-globaltable-replicassespecification.html)."""
        if region.name != self.region.name:
            raise ValueError(
                f"the KMS key of {self.region.name} cannot encrypt a resource in {region.name}: "
                "keys are regional"
            )
        return self.arn

    def encrypt_decrypt_statement(self) -> dict[str, Any]:
        """What a consumer needs to read and write data this key protects."""
        return statement("RegionKey", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], [self.arn])


def _stack_key_statements(region: Region, account_id: str) -> list[dict[str, Any]]:
    """The stack's key policy: the account administers; its principals use the key only through
    the stack's services; CloudWatch Logs and alarm notifications use it for this account."""
    root = f"arn:aws:iam::{account_id}:root"
    return [
        statement(
            "AccountAdministration",
            ADMIN_ACTIONS,
            ["*"],
            principal={"AWS": root},
        ),
        statement(
            "AccountUseThroughStackServices",
            _CRYPTO_ACTIONS,
            ["*"],
            principal={"AWS": root},
            condition={
                "StringEquals": {
                    "kms:CallerAccount": account_id,
                    "kms:ViaService": [f"{s}.{region.name}.amazonaws.com" for s in VIA_SERVICES],
                }
            },
        ),
        statement(
            "CloudWatchLogsEncryption",
            LOGS_ACTIONS,
            ["*"],
            principal={"Service": f"logs.{region.name}.amazonaws.com"},
            condition={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": (
                        f"arn:aws:logs:{region.name}:{account_id}:log-group:*"
                    )
                }
            },
        ),
        # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html: CloudWatch
        # needs GenerateDataKey and Decrypt to publish alarms to an encrypted topic ("The
        # publisher must have the kms:GenerateDataKey and kms:Decrypt permissions"). Delivery to
        # the subscriptions (email, http/s) needs nothing more: "SSE encrypts messages as soon as
        # Amazon SNS receives them. The messages are stored in encrypted form and Amazon SNS
        # decrypts messages only when they are sent" (sns-server-side-encryption.html); the key
        # policy names only "the principals that produce and consume encrypted messages", and an
        # email address or a URL is no principal.
        statement(
            "AlarmNotificationsToEncryptedTopic",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            ["*"],
            principal={"Service": "cloudwatch.amazonaws.com"},
            condition={
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region.name}:{account_id}:alarm:*"},
            },
        ),
    ]

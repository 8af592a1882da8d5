"""A customer-managed KMS key for one region: rotation, key policy, alias."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from lib.policy import document, statement
from lib.region import Region

# The account administers the key through IAM (no "kms:*": the list is explicit).
_ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
]
_SERVICE_USE_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]


class RegionalKey(Construct):
    """One CMK per region; every encrypted resource of that region uses it."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        region: Region,
        alias_name: str,
        account_id: str,
        deletion_window_days: int,
    ) -> None:
        super().__init__(scope, id)
        root = f"arn:aws:iam::{account_id}:root"
        policy = document(
            statement(
                "AccountAdministration",
                _ADMIN_ACTIONS,
                ["*"],
                principal={"AWS": root},
            ),
            statement(
                "CloudWatchLogsEncryption",
                _SERVICE_USE_ACTIONS,
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
            statement(
                "AlarmNotificationsToEncryptedTopic",
                ["kms:Decrypt", "kms:GenerateDataKey"],
                ["*"],
                principal={"Service": "cloudwatch.amazonaws.com"},
                condition={"StringEquals": {"aws:SourceAccount": account_id}},
            ),
        )
        self.key = KmsKey(
            self,
            "key",
            provider=region.provider,
            description=f"{alias_name}: payments data, receipts, logs and alarms in {region.name}",
            enable_key_rotation=True,
            deletion_window_in_days=deletion_window_days,
            policy=policy,
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

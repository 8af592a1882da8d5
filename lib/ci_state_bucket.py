"""The Terraform state bucket of the CI bootstrap (lib/ci_bootstrap.py) and its key, and the
statements the CI roles get on them (a plan reads, a deploy reads, writes and locks)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from constructs import Construct

from lib.keys import ADMIN_ACTIONS, RegionalKey
from lib.policy import statement
from lib.region import Region
from lib.storage import BucketSettings, PrivateBucket

__all__ = ["ABORT_UPLOAD_DAYS", "NONCURRENT_STATE_DAYS", "StateBucket"]

NONCURRENT_STATE_DAYS = 90
ABORT_UPLOAD_DAYS = 7
STATE_BUCKET_SKIPS = {
    "CKV_AWS_144": "the state bucket sits outside the DR pair's regions by design, so losing "
    "either keeps it; versioning recovers any state write",
    "CKV_AWS_18": "a one-bucket bootstrap: S3 server access logs need a second bucket to guard "
    "the same way; CloudTrail records every role session that reads or writes the state",
    "CKV2_AWS_62": "no consumer of object events: only Terraform reads and writes the state",
}


def state_key_statements(
    *, region: Region, account_id: str, readers: Sequence[str], writers: Sequence[str], ci_role_pattern: str
) -> list[dict[str, Any]]:
    """The state key's policy: the account's administrators keep the key, the CI roles (matched
    by ``ci_role_pattern``) only use it through S3, ``readers`` to decrypt, ``writers`` both ways."""
    root = f"arn:aws:iam::{account_id}:root"
    via_s3 = {"kms:ViaService": f"s3.{region.name}.amazonaws.com", "kms:CallerAccount": account_id}
    not_ci = {"ArnNotLike": {"aws:PrincipalArn": ci_role_pattern}}
    return [
        # Administration through IAM, for everyone but the CI roles (no cryptographic
        # operation in the list: administrators cannot read state with it).
        statement("AccountAdministration", ADMIN_ACTIONS, "*", principal={"AWS": root}, condition=not_ci),
        # Administrators reading or repairing state (a stale lock, a migration).
        statement(
            "AccountStateThroughS3",
            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            "*",
            principal={"AWS": root},
            condition={"StringEquals": via_s3, **not_ci},
        ),
        statement(
            "CiReadState",
            ["kms:Decrypt"],
            "*",
            principal={"AWS": root},
            condition={"StringEquals": via_s3, "ArnEquals": {"aws:PrincipalArn": list(readers)}},
        ),
        statement(
            "CiWriteState",
            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            "*",
            principal={"AWS": root},
            condition={"StringEquals": via_s3, "ArnEquals": {"aws:PrincipalArn": list(writers)}},
        ),
    ]


def state_lifecycle_rule() -> S3BucketLifecycleConfigurationRule:
    """Old state versions expire after ``NONCURRENT_STATE_DAYS``; so do the lock's delete markers."""
    return S3BucketLifecycleConfigurationRule(
        id="expire-old-state-versions",
        status="Enabled",
        filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
        noncurrent_version_expiration=[
            S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                noncurrent_days=NONCURRENT_STATE_DAYS
            )
        ],
        # Every released lock leaves a delete marker; once its versions expired, it goes.
        expiration=[S3BucketLifecycleConfigurationRuleExpiration(expired_object_delete_marker=True)],
        abort_incomplete_multipart_upload=[
            S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                days_after_initiation=ABORT_UPLOAD_DAYS
            )
        ],
    )


class StateBucket(Construct):
    """The Terraform state bucket (lib/storage.py's private, versioned, TLS-only bucket) and its
    customer-managed key. ``readers`` and ``writers`` are role ARNs (strings built from names: no
    dependency on the roles, so revoking them never touches the key); the account's
    administrators keep the key, the CI roles never can."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        region: Region,
        name: str,
        account_id: str,
        readers: Sequence[str],
        writers: Sequence[str],
        ci_role_pattern: str,
    ) -> None:
        super().__init__(scope, id)
        self.key = RegionalKey(
            self,
            "key",
            region=region,
            alias_name=name,
            account_id=account_id,
            deletion_window_days=30,
            prevent_destroy=True,
            purpose="Terraform state of every environment",
            policy_statements=state_key_statements(
                region=region,
                account_id=account_id,
                readers=readers,
                writers=writers,
                ci_role_pattern=ci_role_pattern,
            ),
        )
        self.private = PrivateBucket(
            self,
            "bucket",
            settings=BucketSettings(
                region=region, name=name, key=self.key, force_destroy=False, prevent_destroy=True
            ),
            lifecycle_rule=state_lifecycle_rule(),
            skips=STATE_BUCKET_SKIPS,
        )
        self.bucket = self.private.bucket
        S3BucketOwnershipControls(
            self,
            "ownership",
            provider=region.provider,
            bucket=self.bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )

    @property
    def arn(self) -> str:
        return self.bucket.arn

    @property
    def name(self) -> str:
        return self.bucket.bucket

    def read_statements(self) -> list[dict[str, Any]]:
        """A ``terraform plan -lock=false``: read any stack's state, never write or lock; the
        bucket's location and versioning for the plan's preflight (deploy/preflight_aws.py)."""
        return [
            statement("StateObjectsRead", ["s3:GetObject"], [f"{self.arn}/*"]),
            statement(
                "StateBucketRead",
                ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"],
                [self.arn],
            ),
            statement("StateKeyDecrypt", ["kms:Decrypt"], [self.key.arn]),
        ]

    def write_statements(self) -> list[dict[str, Any]]:
        """A deploy: read and write state, take and release the S3-native lock (``.tflock``);
        the bucket's location and versioning for the preflight (deploy/preflight_aws.py)."""
        return [
            statement("StateObjectsReadWrite", ["s3:GetObject", "s3:PutObject"], [f"{self.arn}/*"]),
            statement("StateLockRelease", ["s3:DeleteObject"], [f"{self.arn}/*.tflock"]),
            statement(
                "StateBucketRead",
                ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"],
                [self.arn],
            ),
            statement("StateKeyUse", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], [self.key.arn]),
        ]

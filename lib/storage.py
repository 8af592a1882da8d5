"""Receipt and access-log buckets (one each per region, same code) and replication."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionTransition,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_replication_configuration import (
    S3BucketReplicationConfigurationA,
    S3BucketReplicationConfigurationRule,
    S3BucketReplicationConfigurationRuleDeleteMarkerReplication,
    S3BucketReplicationConfigurationRuleDestination,
    S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration,
    S3BucketReplicationConfigurationRuleDestinationMetrics,
    S3BucketReplicationConfigurationRuleDestinationMetricsEventThreshold,
    S3BucketReplicationConfigurationRuleDestinationReplicationTime,
    S3BucketReplicationConfigurationRuleDestinationReplicationTimeTime,
    S3BucketReplicationConfigurationRuleFilter,
    S3BucketReplicationConfigurationRuleSourceSelectionCriteria,
    S3BucketReplicationConfigurationRuleSourceSelectionCriteriaSseKmsEncryptedObjects,
)
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from lib.api_contract import RECEIPTS_PREFIX
from lib.keys import RegionalKey
from lib.policy import document, skip_checks, statement
from lib.region import Region
from lib.service_role import ServiceRole

ACCESS_LOG_PREFIX = "access-logs/"
REPLICATION_MINUTES = 15
NONCURRENT_IA_DAYS = 30
NONCURRENT_EXPIRY_DAYS = 365
NO_EVENT_CONSUMER = "no consumer of object events: objects are written and read only by this stack"
# "You can use default bucket encryption on the target bucket only if you use server-side
# encryption with Amazon S3 managed keys (SSE-S3) ... (SSE-KMS) is not supported."
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
ACCESS_LOG_ENCRYPTION = "AES256"


@dataclass(frozen=True)
class BucketSettings:
    """What every bucket of this stack needs: where, its name, its key, its protection."""

    region: Region
    name: str
    key: RegionalKey | None  # None: SSE-S3 (AES256), for buckets AWS services write to
    force_destroy: bool  # dev/staging: destroy empties it
    prevent_destroy: bool  # prod: Terraform refuses any plan that destroys it


class PrivateBucket(Construct):
    """A private, versioned, TLS-only bucket encrypted with the region's customer-managed key
    (or with SSE-S3 when ``settings.key`` is None).

    ``lifecycle_rule`` is the bucket's one lifecycle rule; ``policy_statements`` are added to
    the TLS-only deny; ``skips`` are the justified policy-scanner suppressions.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: BucketSettings,
        lifecycle_rule: S3BucketLifecycleConfigurationRule,
        policy_statements: Sequence[dict[str, Any]] = (),
        skips: dict[str, str],
    ) -> None:
        super().__init__(scope, id)
        self.region = settings.region
        self.key = settings.key
        self.bucket = self._bucket(settings, skips)
        self.public_access_block = self._public_access_block()
        self.versioning = self._versioning()
        self.encryption = self._encryption()
        self.lifecycle = self._lifecycle(lifecycle_rule)
        self.policy = self._tls_only_policy(policy_statements)

    def _bucket(self, settings: BucketSettings, skips: dict[str, str]) -> S3Bucket:
        bucket = S3Bucket(
            self,
            "bucket",
            provider=self.region.provider,
            bucket=settings.name,
            force_destroy=settings.force_destroy,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=settings.prevent_destroy),
        )
        skip_checks(bucket, skips)
        return bucket

    def _public_access_block(self) -> S3BucketPublicAccessBlock:
        return S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            provider=self.region.provider,
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )

    def _versioning(self) -> S3BucketVersioningA:
        return S3BucketVersioningA(
            self,
            "versioning",
            provider=self.region.provider,
            bucket=self.bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )

    def _encryption(self) -> S3BucketServerSideEncryptionConfigurationA:
        return S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            provider=self.region.provider,
            bucket=self.bucket.id,
            rule=[self._encryption_rule()],
        )

    def _encryption_rule(self) -> S3BucketServerSideEncryptionConfigurationRuleA:
        """SSE-KMS with the region's key and an S3 bucket key; SSE-S3 when there is no key."""
        if self.key:
            return S3BucketServerSideEncryptionConfigurationRuleA(
                apply_server_side_encryption_by_default=(
                    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="aws:kms", kms_master_key_id=self.key.arn_for(self.region)
                    )
                ),
                bucket_key_enabled=True,
            )
        return S3BucketServerSideEncryptionConfigurationRuleA(
            apply_server_side_encryption_by_default=(
                S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                    sse_algorithm=ACCESS_LOG_ENCRYPTION
                )
            )
        )

    def _lifecycle(self, rule: S3BucketLifecycleConfigurationRule) -> S3BucketLifecycleConfiguration:
        return S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            provider=self.region.provider,
            bucket=self.bucket.id,
            rule=[rule],
            depends_on=[self.versioning],
        )

    def _tls_only_policy(self, policy_statements: Sequence[dict[str, Any]]) -> S3BucketPolicy:
        return S3BucketPolicy(
            self,
            "tls-only",
            provider=self.region.provider,
            bucket=self.bucket.id,
            policy=document(
                statement(
                    "DenyInsecureTransport",
                    ["s3:*"],
                    [self.bucket.arn, f"{self.bucket.arn}/*"],
                    effect="Deny",
                    principal={"AWS": "*"},
                    condition={"Bool": {"aws:SecureTransport": "false"}},
                ),
                *policy_statements,
            ),
            # S3 rejects a bucket policy while the public-access block is being applied.
            depends_on=[self.public_access_block],
        )

    @property
    def arn(self) -> str:
        return self.bucket.arn

    @property
    def name(self) -> str:
        return self.bucket.bucket


def _abort_uploads() -> list[S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload]:
    return [S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)]


class AccessLogBucket(PrivateBucket):
    """One region's S3 server access logs; S3's log delivery may write only its prefix, and
    only for ``source_bucket``. SSE-S3: S3 does not deliver access logs into SSE-KMS buckets."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: BucketSettings,
        source_bucket: str,
        account_id: str,
        retention_days: int,
    ) -> None:
        if settings.key is not None:
            raise ValueError(f"{id}: S3 server access logs cannot be delivered into an SSE-KMS bucket")
        arn = f"arn:aws:s3:::{settings.name}"
        super().__init__(
            scope,
            id,
            settings=settings,
            lifecycle_rule=S3BucketLifecycleConfigurationRule(
                id="expire-access-logs",
                status="Enabled",
                filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=retention_days)],
                noncurrent_version_expiration=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=1)
                ],
                abort_incomplete_multipart_upload=_abort_uploads(),
            ),
            policy_statements=[
                # One resource as a string: the form S3 (and moto) match log targets against.
                statement(
                    "S3ServerAccessLogDelivery",
                    ["s3:PutObject"],
                    f"{arn}/{ACCESS_LOG_PREFIX}*",
                    principal={"Service": "logging.s3.amazonaws.com"},
                    condition={
                        "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{source_bucket}"},
                        "StringEquals": {"aws:SourceAccount": account_id},
                    },
                )
            ],
            skips={
                "CKV_AWS_144": "access logs describe this region's bucket and stay in this region",
                "CKV_AWS_145": "S3 delivers server access logs only into SSE-S3 buckets (SSE-KMS "
                "is not supported on the target): AES256 here, the receipts keep their KMS key",
                "CKV2_AWS_62": NO_EVENT_CONSUMER,
            },
        )


class ReceiptBucket(PrivateBucket):
    """Payment receipts in one region; old versions move to IA, then expire; access logged."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: BucketSettings,
        access_logs: AccessLogBucket,
    ) -> None:
        if settings.key is None:
            raise ValueError(f"{id}: receipts are encrypted with the region's customer-managed key")
        super().__init__(
            scope,
            id,
            settings=settings,
            lifecycle_rule=S3BucketLifecycleConfigurationRule(
                id="noncurrent-versions",
                status="Enabled",
                filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                noncurrent_version_transition=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionTransition(
                        noncurrent_days=NONCURRENT_IA_DAYS, storage_class="STANDARD_IA"
                    )
                ],
                noncurrent_version_expiration=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                        noncurrent_days=NONCURRENT_EXPIRY_DAYS
                    )
                ],
                abort_incomplete_multipart_upload=_abort_uploads(),
            ),
            skips={"CKV2_AWS_62": NO_EVENT_CONSUMER},
        )
        self.access_logging = S3BucketLoggingA(
            self,
            "access-logging",
            provider=self.region.provider,
            bucket=self.bucket.id,
            target_bucket=access_logs.bucket.id,
            target_prefix=ACCESS_LOG_PREFIX,
            # S3 checks the target's policy when logging is switched on.
            depends_on=[access_logs.policy],
        )

    def read_write_statements(self) -> list[dict[str, Any]]:
        """What a consumer needs to read and write receipts: the objects under the receipts
        prefix, and ``s3:ListBucket`` on the bucket (``head_bucket``, and a 404 rather than a
        403 for a missing receipt)."""
        return [
            statement("ReceiptObjects", ["s3:GetObject", "s3:PutObject"], [f"{self.arn}/{RECEIPTS_PREFIX}*"]),
            statement("ReceiptBucket", ["s3:ListBucket"], [self.arn]),
        ]


class BucketReplication(Construct):
    """Replicates receipts from ``source`` to ``destination`` with RTC (15 min) and metrics.

    The stack replicates both ways: primary -> secondary for disaster recovery, and
    secondary -> primary so receipts written during a failover are in the primary at
    failback. S3 never replicates a replica again, so the two rules do not loop.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        source: ReceiptBucket,
        destination: ReceiptBucket,
        role_name: str,
    ) -> None:
        super().__init__(scope, id)
        self.source, self.destination = source, destination
        self.rule_id = f"receipts-to-{destination.region.role}"
        provider = source.region.provider
        self.role = ServiceRole(
            self,
            "role",
            provider=provider,
            name=role_name,
            service="s3.amazonaws.com",
            description=f"S3 replication of payment receipts to the {destination.region.role} region",
            statements=self._role_statements(),
        )
        self.configuration = S3BucketReplicationConfigurationA(
            self,
            "configuration",
            provider=provider,
            bucket=source.bucket.id,
            role=self.role.arn,
            rule=[self._rule()],
            # S3 refuses replication until versioning is on at BOTH ends.
            depends_on=[source.versioning, destination.versioning],
        )

    def _role_statements(self) -> list[dict[str, Any]]:
        """Read the source's configuration and versions, write replicas, and use each end's key
        only through S3 in that key's region."""
        source, destination = self.source, self.destination
        return [
            statement(
                "ReadSourceConfiguration",
                ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                [source.arn],
            ),
            statement(
                "ReadSourceVersions",
                [
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionTagging",
                ],
                [f"{source.arn}/*"],
            ),
            statement(
                "WriteDestinationReplicas",
                ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                [f"{destination.arn}/*"],
            ),
            statement(
                "DecryptSourceObjects",
                ["kms:Decrypt"],
                [source.key.arn],
                condition={"StringEquals": {"kms:ViaService": f"s3.{source.region.name}.amazonaws.com"}},
            ),
            statement(
                "EncryptReplicas",
                ["kms:Encrypt", "kms:GenerateDataKey"],
                [destination.key.arn],
                condition={"StringEquals": {"kms:ViaService": f"s3.{destination.region.name}.amazonaws.com"}},
            ),
        ]

    def _rule(self) -> S3BucketReplicationConfigurationRule:
        """Everything under the receipts prefix, delete markers and KMS-encrypted objects included."""
        return S3BucketReplicationConfigurationRule(
            id=self.rule_id,
            status="Enabled",
            priority=1,
            filter=S3BucketReplicationConfigurationRuleFilter(prefix=RECEIPTS_PREFIX),
            delete_marker_replication=(
                S3BucketReplicationConfigurationRuleDeleteMarkerReplication(status="Enabled")
            ),
            source_selection_criteria=(
                S3BucketReplicationConfigurationRuleSourceSelectionCriteria(
                    sse_kms_encrypted_objects=(
                        S3BucketReplicationConfigurationRuleSourceSelectionCriteriaSseKmsEncryptedObjects(
                            status="Enabled"
                        )
                    )
                )
            ),
            destination=self._destination(),
        )

    def _destination(self) -> S3BucketReplicationConfigurationRuleDestination:
        """Replicas encrypted with the destination's key, within RTC's 15 minutes, with metrics."""
        return S3BucketReplicationConfigurationRuleDestination(
            bucket=self.destination.arn,
            storage_class="STANDARD",
            encryption_configuration=(
                S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration(
                    replica_kms_key_id=self.destination.key.arn
                )
            ),
            replication_time=S3BucketReplicationConfigurationRuleDestinationReplicationTime(
                status="Enabled",
                time=S3BucketReplicationConfigurationRuleDestinationReplicationTimeTime(
                    minutes=REPLICATION_MINUTES
                ),
            ),
            metrics=S3BucketReplicationConfigurationRuleDestinationMetrics(
                status="Enabled",
                event_threshold=(
                    S3BucketReplicationConfigurationRuleDestinationMetricsEventThreshold(
                        minutes=REPLICATION_MINUTES
                    )
                ),
            ),
        )

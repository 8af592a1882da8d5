"""Receipt buckets (one per region, same code) and replication primary -> secondary."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionTransition,
)
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

from lib.policy import document, skip_checks, statement
from lib.region import Region
from lib.service_role import ServiceRole

RECEIPTS_PREFIX = "receipts/"
REPLICATION_MINUTES = 15
NONCURRENT_IA_DAYS = 30
NONCURRENT_EXPIRY_DAYS = 365


class ReceiptBucket(Construct):
    """A private, versioned, SSE-KMS bucket for payment receipts in one region."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        region: Region,
        name: str,
        kms_key_arn: str,
        force_destroy: bool,
    ) -> None:
        super().__init__(scope, id)
        self.region = region
        self.kms_key_arn = kms_key_arn
        provider = region.provider
        self.bucket = S3Bucket(self, "bucket", provider=provider, bucket=name, force_destroy=force_destroy)
        skip_checks(
            self.bucket,
            {
                "CKV_AWS_18": "server access logs would need a log bucket per region; object-"
                "level audit belongs in the account CloudTrail data-event trail",
                "CKV2_AWS_62": "no consumer of object events: receipts are written and read "
                "only by the API Lambda",
            },
        )
        self.public_access_block = S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            provider=provider,
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        self.versioning = S3BucketVersioningA(
            self,
            "versioning",
            provider=provider,
            bucket=self.bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        self.encryption = S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            provider=provider,
            bucket=self.bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=(
                        S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                            sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
                        )
                    ),
                    bucket_key_enabled=True,
                )
            ],
        )
        self.lifecycle = S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            provider=provider,
            bucket=self.bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
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
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=7
                        )
                    ],
                )
            ],
            depends_on=[self.versioning],
        )
        self.policy = S3BucketPolicy(
            self,
            "tls-only",
            provider=provider,
            bucket=self.bucket.id,
            policy=document(
                statement(
                    "DenyInsecureTransport",
                    ["s3:*"],
                    [self.bucket.arn, f"{self.bucket.arn}/*"],
                    effect="Deny",
                    principal={"AWS": "*"},
                    condition={"Bool": {"aws:SecureTransport": "false"}},
                )
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


class BucketReplication(Construct):
    """Replicates receipts from ``source`` to ``destination`` with RTC (15 min) and metrics."""

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
        provider = source.region.provider
        self.role = ServiceRole(
            self,
            "role",
            provider=provider,
            name=role_name,
            service="s3.amazonaws.com",
            description="S3 replication of payment receipts to the secondary region",
            statements=[
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
                    [source.kms_key_arn],
                    condition={"StringEquals": {"kms:ViaService": f"s3.{source.region.name}.amazonaws.com"}},
                ),
                statement(
                    "EncryptReplicas",
                    ["kms:Encrypt", "kms:GenerateDataKey"],
                    [destination.kms_key_arn],
                    condition={
                        "StringEquals": {"kms:ViaService": f"s3.{destination.region.name}.amazonaws.com"}
                    },
                ),
            ],
        )
        self.configuration = S3BucketReplicationConfigurationA(
            self,
            "configuration",
            provider=provider,
            bucket=source.bucket.id,
            role=self.role.arn,
            rule=[
                S3BucketReplicationConfigurationRule(
                    id="receipts-to-secondary",
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
                    destination=S3BucketReplicationConfigurationRuleDestination(
                        bucket=destination.arn,
                        storage_class="STANDARD",
                        encryption_configuration=(
                            S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration(
                                replica_kms_key_id=destination.kms_key_arn
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
                    ),
                )
            ],
            # S3 refuses replication until versioning is on at BOTH ends.
            depends_on=[source.versioning, destination.versioning],
        )

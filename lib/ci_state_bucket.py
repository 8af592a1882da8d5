"""The Terraform state bucket of the CI bootstrap (lib/ci_bootstrap.py) and its key, and the
key policy's reader/writer split. What each CI role may do with its own state object is
lib/ci_fences.py's ``state_statements``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jsii
from cdktf import IResolveContext, IStringProducer, Lazy
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

__all__ = ["ABORT_UPLOAD_DAYS", "NONCURRENT_STATE_DAYS", "StateBucket", "state_encryption_statements"]

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


@jsii.implements(IStringProducer)
class _Later:
    """A string known only once a construct exists (cdktf ``Lazy.string_value``)."""

    def __init__(self, value: Callable[[], str]) -> None:
        self.value = value

    def produce(self, context: IResolveContext) -> str:
        return self.value()


def state_encryption_statements(*, bucket_arn: str, key_arn: str) -> list[dict[str, Any]]:
    """The state bucket refuses any object not encrypted with ``key_arn`` (issue 25).

    A bucket's default encryption does not stop a request that names another one: S3 applies
    it only "If a PUT Object request doesn't specify any server-side encryption"
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionByDefault.html),
    and Terraform's S3 backend sent ``AES256`` with ``encrypt = true`` and no ``kms_key_id``.

    - Algorithm: "the following bucket policy denies upload object (s3:PutObject) permission
      to everyone if the request does not include the x-amz-server-side-encryption header
      requesting server-side encryption with SSE-KMS" with ``StringNotEquals`` on
      ``s3:x-amz-server-side-encryption`` (S3 User Guide, UsingKMSEncryption.html#require-sse-kms).
      A request WITHOUT the header is denied too: "If the policy condition requires that the key
      is not matched, such as StringNotLike or ArnNotLike, and the right key is not present, the
      condition is true." (IAM User Guide, reference_policies_elements_condition_operators.html).
    - Key: "To require that a particular AWS KMS key be used to encrypt the objects in a bucket,
      you can use the s3:x-amz-server-side-encryption-aws-kms-key-id condition key. To specify
      the KMS key, you must use a key Amazon Resource Name (ARN) that is in the
      arn:aws:kms:region:acct-id:key/key-id format." and "If your PutObject request specifies
      aws:kms in the x-amz-server-side-encryption header, but does not specify the
      x-amz-server-side-encryption-aws-kms-key-id header, then Amazon S3 assumes that you want
      to use the AWS managed key. Regardless, the AWS KMS key ID that Amazon S3 uses for object
      encryption must match the AWS KMS key ID in the policy, otherwise Amazon S3 denies the
      request." (same page). The page does not say what the key carries when a request names
      the key by alias or key id; the stricter reading holds here: only the key ARN, compared
      exactly, passes (the backend and deploy/state_encryption.py send the ARN; lib/config.py
      refuses an alias). No ``...IfExists``: a request without the key id is denied.
    - Both apply to everything S3 authorizes as ``s3:PutObject``: PutObject, CopyObject (the
      destination's encryption headers; deploy/state_encryption.py re-encrypts in place with
      them) and CreateMultipartUpload. An UploadPart carries no encryption header, so a
      multipart upload may be refused here: Terraform uploads with aws-sdk-go-v2's
      ``manager.Uploader``, one PutObject up to its 5 MiB part size
      (feature/s3/manager/upload.go ``DefaultUploadPartSize = MinUploadPartSize``), and the
      docs do not say which condition keys an UploadPart carries; docs/state-encryption.md says
      so. The stricter reading is kept.
    """
    objects = f"{bucket_arn}/*"
    anyone = {"AWS": "*"}
    return [
        statement(
            "DenyStateNotSseKms",
            ["s3:PutObject"],
            objects,
            effect="Deny",
            principal=anyone,
            condition={"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
        ),
        statement(
            "DenyStateNotItsKey",
            ["s3:PutObject"],
            objects,
            effect="Deny",
            principal=anyone,
            condition={"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}},
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
            # The bucket's own ARN reference, as the TLS deny names it; the statements are given
            # before the bucket exists, so the reference is resolved at synth.
            policy_statements=state_encryption_statements(
                bucket_arn=Lazy.string_value(_Later(lambda: self.private.bucket.arn)), key_arn=self.key.arn
            ),
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

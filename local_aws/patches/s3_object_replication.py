"""Gap: moto stores S3 replication rules but never replicates an object.

moto 5.2.5 keeps ``PutBucketReplication`` as configuration only: an object written to the
primary receipts bucket never appears in the secondary bucket, so the stack's cross-region
copy of receipts (the point of the rule) cannot be observed locally.

This patch replicates, synchronously, what S3 replication (V2 rules) does for this stack:

* ``PutObject`` into a bucket whose enabled rule matches the key (``Filter.Prefix``, the
  highest ``Priority`` wins) writes a replica into the destination bucket: same key, body
  and metadata, the rule's ``StorageClass``, and SSE-KMS with ``ReplicaKmsKeyID``. An
  SSE-KMS source object replicates only when ``SseKmsEncryptedObjects`` is enabled, as on
  AWS. HEAD/GET report ``x-amz-replication-status`` (``COMPLETED`` on the source,
  ``REPLICA`` on the copy); replicas are not replicated again.
* ``DeleteObject`` without a version id (a delete marker) is replicated when the rule has
  ``DeleteMarkerReplication`` enabled; deleting a specific version never is, as on AWS.

Not modelled: RTC timing, replication metrics, copies/multipart uploads, failures.

AWS: what S3 replication copies (objects, metadata, SSE-KMS with ``SseKmsEncryptedObjects``,
delete markers) and rule priority:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html
and https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-add-config.html
"""

from __future__ import annotations

import functools
from typing import Any

from moto.s3.models import FakeKey, S3Backend


def _enabled(block: Any) -> bool:
    return isinstance(block, dict) and block.get("Status") == "Enabled"


def matching_rule(replication: dict[str, Any] | None, key_name: str, kms_encrypted: bool) -> dict | None:
    """The enabled rule that replicates ``key_name`` (highest priority first), if any."""
    if not replication:
        return None
    for rule in sorted(replication["Rule"], key=lambda r: -int(r.get("Priority") or 0)):
        prefix = (rule.get("Filter") or {}).get("Prefix", rule.get("Prefix")) or ""
        if rule.get("Status") != "Enabled" or not key_name.startswith(prefix):
            continue
        if kms_encrypted and not _enabled(
            (rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects")
        ):
            continue
        return rule
    return None


def _destination_bucket(rule: dict[str, Any]) -> str:
    return rule["Destination"]["Bucket"].split(":::", 1)[-1]


def apply() -> None:
    put_object = S3Backend.put_object
    delete_object = S3Backend.delete_object
    response_dict = FakeKey.response_dict

    @functools.wraps(put_object)
    def put_and_replicate(
        self: S3Backend, bucket_name: str, key_name: str, value: bytes, *args, **kwargs
    ) -> FakeKey:
        key = put_object(self, bucket_name, key_name, value, *args, **kwargs)
        bucket = self.get_bucket(bucket_name)
        rule = matching_rule(getattr(bucket, "replication", None), key_name, key.encryption == "aws:kms")
        if rule is None:
            return key
        destination = rule["Destination"]
        replica_key_id = (destination.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID")
        replica = put_object(  # the unpatched write: replicas are not replicated again
            self,
            _destination_bucket(rule),
            key_name,
            value,
            storage=destination.get("StorageClass"),
            encryption="aws:kms" if replica_key_id else None,
            kms_key_id=replica_key_id,
        )
        replica._metadata = key._metadata  # the response layer sets metadata after the put
        key.replication_status, replica.replication_status = "COMPLETED", "REPLICA"
        return key

    @functools.wraps(delete_object)
    def delete_and_replicate(
        self: S3Backend, bucket_name: str, key_name: str, version_id: str | None = None, bypass: bool = False
    ) -> Any:
        result = delete_object(self, bucket_name, key_name, version_id, bypass)
        rule = matching_rule(getattr(self.get_bucket(bucket_name), "replication", None), key_name, False)
        if version_id is None and rule is not None and _enabled(rule.get("DeleteMarkerReplication")):
            delete_object(self, _destination_bucket(rule), key_name)
        return result

    def response_with_status(self: FakeKey) -> dict[str, Any]:
        response = response_dict.fget(self)
        status = getattr(self, "replication_status", None)
        if status:
            response["x-amz-replication-status"] = status
        return response

    S3Backend.put_object = put_and_replicate  # type: ignore[method-assign]
    S3Backend.delete_object = delete_and_replicate  # type: ignore[method-assign]
    FakeKey.response_dict = property(response_with_status)  # type: ignore[assignment]

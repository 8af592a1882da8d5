"""The receipts half of dr/restore.py: each payment's receipt as it was at T, made current again
from the bucket's own versions in the surviving region.

A receipt is the payment's public record as JSON (``receipts/<payment_id>.json``, written by the
handler once, byte for byte the same whenever it is written again: lib/lambda/payments_receipts.py).
The buckets are versioned, so an overwritten or deleted receipt keeps its earlier versions, and
"Because all object versions are preserved, you can make any earlier version the current version
by copying a specific version of the object into the same bucket"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/RestoringPreviousVersions.html).

- **Which receipts:** those of the payments that existed at T. One whose current version was
  written at or before T is left alone; for the others (rewritten after T), the current content
  is compared with the receipt of the payment's T value: a match is fine (the handler wrote it
  late, or again), a mismatch is restored. A receipt whose current version is a delete marker is
  restored whenever the marker was placed: the payment exists, so must its receipt.
- **From which version:** the newest version written at or before T (``LastModified``: a replica
  keeps its source's "original object creation time and version IDs",
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication.html) whose content is that
  receipt, else the newest later one that is (the handler wrote it after T). None: listed for a
  human (``dr.reconcile_receipts --fix`` writes a missing receipt from the table).
- **How:** ``CopyObject`` of that version onto the key, in the surviving region's bucket only,
  encrypted with that region's key as the bucket's default is; replication carries the new
  current version to the other region (both ways: lib/storage.py). Before each copy the current
  content is read again: one that is already the T receipt is not copied twice (a re-run, or a
  run resumed after an interruption, restores nothing new).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

from botocore.exceptions import ClientError

from lib.api_contract import RECEIPTS_PREFIX, receipt_key

RESTORE, REVIEW = "restore", "review"
MISSING = frozenset({"NoSuchKey", "404", "NotFound", "NoSuchVersion"})


@dataclass(frozen=True)
class ReceiptPlan:
    """One receipt that is not the payment's T receipt now: which version puts it back."""

    payment_id: str
    key: str
    state: str  # RESTORE or REVIEW
    why: str
    version_id: str | None  # the version to copy (RESTORE)
    sha256: str  # of the receipt of the payment at T

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReceiptPlan:
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})


def receipt_bytes(handler: ModuleType, raw: dict[str, Any]) -> bytes:
    """The receipt the handler writes for this item (its own public record and serialization)."""
    item = {name: handler._DESERIALIZER.deserialize(value) for name, value in raw.items()}
    return json.dumps(handler._public_record(item), sort_keys=True).encode("utf-8")


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _versions(s3: Any, bucket: str) -> dict[str, list[dict[str, Any]]]:
    """Every version and delete marker under the receipts prefix, by key, newest first."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=RECEIPTS_PREFIX):
        for version in page.get("Versions", []):
            by_key.setdefault(version["Key"], []).append({**version, "marker": False})
        for marker in page.get("DeleteMarkers", []):
            by_key.setdefault(marker["Key"], []).append({**marker, "marker": True})
    for versions in by_key.values():
        versions.sort(key=lambda v: (v.get("IsLatest", False), v["LastModified"]), reverse=True)
    return by_key


def _body(s3: Any, bucket: str, key: str, version_id: str | None = None) -> bytes | None:
    try:
        extra = {"VersionId": version_id} if version_id else {}
        return s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in MISSING:
            return None
        raise


def plan(
    s3: Any, bucket: str, when: datetime, restored: dict[str, dict[str, Any]], handler: ModuleType
) -> list[ReceiptPlan]:
    """The receipts of the payments at T that are not their T receipt now, each with the version
    that puts it back (or why none can), sorted by payment id. Reads only."""
    by_key = _versions(s3, bucket)
    plans = []
    for payment_id in sorted(restored):
        key = receipt_key(payment_id)
        versions = by_key.get(key, [])
        current = versions[0] if versions else None
        if current is not None and not current["marker"] and current["LastModified"] <= when:
            continue  # untouched since T
        expected = receipt_bytes(handler, restored[payment_id])
        if (
            current is not None
            and not current["marker"]
            and _body(s3, bucket, key, current["VersionId"]) == expected
        ):
            continue  # written after T, but the T receipt (the handler wrote it late)
        found = _matching_version(s3, bucket, key, older=versions[1:], when=when, expected=expected)
        if found is None:
            why = "no version of the receipt is the payment's at T" if versions else "no receipt at all"
            plans.append(ReceiptPlan(payment_id, key, REVIEW, why, None, sha256(expected)))
        else:
            why = (
                "deleted: a delete marker is its current version"
                if current["marker"]
                else "rewritten after T"
            )
            plans.append(ReceiptPlan(payment_id, key, RESTORE, why, found, sha256(expected)))
    return plans


def _matching_version(
    s3: Any, bucket: str, key: str, *, older: list[dict[str, Any]], when: datetime, expected: bytes
) -> str | None:
    """The newest version at or before T that is the expected receipt, else the newest later one."""
    candidates = [v for v in older if not v["marker"]]
    ordered = [v for v in candidates if v["LastModified"] <= when] + [
        v for v in candidates if v["LastModified"] > when
    ]
    for version in ordered:
        if _body(s3, bucket, key, version["VersionId"]) == expected:
            return version["VersionId"]
    return None


def restore(s3: Any, bucket: str, kms_key_arn: str, receipt: ReceiptPlan) -> str:
    """Make ``receipt``'s version current again; ``already`` when the current content is the T
    receipt (nothing copied), ``restored`` after the copy."""
    current = _body(s3, bucket, receipt.key)
    if current is not None and sha256(current) == receipt.sha256:
        return "already"
    s3.copy_object(
        Bucket=bucket,
        Key=receipt.key,
        CopySource={"Bucket": bucket, "Key": receipt.key, "VersionId": receipt.version_id},
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=kms_key_arn,
        BucketKeyEnabled=True,
    )
    return "restored"

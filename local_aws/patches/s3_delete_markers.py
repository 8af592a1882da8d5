"""Gap: moto deletes every version of a key in a version-*suspended* bucket, and crashes on
keys whose history holds a delete marker.

moto 5.2.5 treats a bucket whose versioning is ``Suspended`` as if it had never been
versioned: ``DeleteObject`` pops the key with all its versions (with or without a version
id), calling ``dispose()`` on each, which ``FakeDeleteMarker`` lacks, so a key that was
ever deleted fails with ``AttributeError`` (HTTP 501 through the fail-fast patch).
Terraform suspends versioning (destroying ``aws_s3_bucket_versioning``) before the
bucket's ``force_destroy`` empties it with ``ListObjectVersions`` + ``DeleteObjects``
(version ids and delete-marker ids), so the destroy failed; and a plain delete silently
destroyed the versions kept from while versioning was enabled.

This patch models what AWS documents for version-suspended buckets:

* a ``DELETE`` without a version id "Can only remove an object whose version ID is
  ``null``", "Doesn't remove anything if there isn't a null version of the object in the
  bucket" and "Inserts a delete marker into the bucket" -- "Amazon S3 inserts a delete
  marker in its place with a version ID of ``null``" (so the versions written while
  versioning was enabled are kept, and at most one null version exists per key);
* "Even in a versioning-suspended bucket, the bucket owner can permanently delete a
  specified version by including the version ID in the ``DELETE`` request": only that
  version goes (``x-amz-delete-marker: true`` when it was a delete marker, as DeleteObject
  documents), which is how ``force_destroy`` empties the bucket;
* delete markers get the no-op ``dispose`` they need (they hold no buffer to release).

Not modelled: a delete of a key that has no version at all inserts no marker (as moto does
for versioned buckets), S3 event notifications for these deletes, and PutObject in a
suspended bucket (moto still replaces every version of the key, not only the null one).

AWS: https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectsfromVersioningSuspendedBuckets.html
and https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html ("x-amz-delete-marker:
Indicates whether the specified object version that was permanently deleted was (true) or was
not (false) a delete marker before deletion.")
"""

from __future__ import annotations

import functools
from typing import Any

from moto.s3.exceptions import AccessDeniedByLock
from moto.s3.models import FakeDeleteMarker, FakeKey, S3Backend

NULL = "null"  # the version id of what is written while versioning is off or suspended


def _dispose(self: FakeDeleteMarker, garbage: bool = False) -> None:
    """A delete marker has no value buffer: nothing to release."""


def delete_in_suspended_bucket(
    bucket: Any, key_name: str, version_id: str | None, bypass: bool
) -> tuple[bool, dict[str, Any]]:
    """DeleteObject in a version-suspended bucket: the null version (replaced by a null delete
    marker) without a version id, else exactly the version named."""
    versions = bucket.keys.getlist(key_name)
    if not versions:
        return False, {}
    wanted = NULL if version_id is None else str(version_id)
    doomed = [v for v in versions if str(v.version_id) == wanted]
    if any(isinstance(v, FakeKey) and v.is_locked(governance_bypass=bypass) for v in doomed):
        raise AccessDeniedByLock
    kept = [v for v in versions if v not in doomed]
    if version_id is None:
        marker = FakeDeleteMarker(key=versions[-1])
        marker._version_id = NULL
        kept.append(marker)
        meta = {"version-id": NULL, "delete-marker": "true"}
    else:
        meta = {"version-id": version_id}
        if any(isinstance(v, FakeDeleteMarker) for v in doomed):
            meta["delete-marker"] = "true"
    if kept:
        bucket.keys.setlist(key_name, kept)
    else:
        bucket.keys.pop(key_name)
    return True, meta


def apply() -> None:
    FakeDeleteMarker.dispose = _dispose  # type: ignore[attr-defined]
    delete_object = S3Backend.delete_object

    @functools.wraps(delete_object)
    def delete(
        self: S3Backend, bucket_name: str, key_name: str, version_id: str | None = None, bypass: bool = False
    ) -> tuple[bool, dict[str, Any]]:
        bucket = self.get_bucket(bucket_name)
        if bucket.versioning_status == "Suspended":
            return delete_in_suspended_bucket(bucket, key_name, version_id, bypass)
        return delete_object(self, bucket_name, key_name, version_id, bypass)

    S3Backend.delete_object = delete  # type: ignore[method-assign]

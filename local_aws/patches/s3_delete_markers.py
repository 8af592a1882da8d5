"""Gap: moto crashes deleting a key whose history holds a delete marker once versioning is
suspended.

When a bucket is no longer versioned (``Suspended``), moto's ``DeleteObject`` pops the key
and calls ``dispose()`` on every stored version; ``FakeDeleteMarker`` has no ``dispose``,
so the request fails with ``AttributeError`` (HTTP 501 through the fail-fast patch).
Terraform destroys ``aws_s3_bucket_versioning`` (suspending it) before the bucket, whose
``force_destroy`` then empties it with ``DeleteObjects``: any receipt that was ever
deleted (a delete marker, replicated or not) makes the destroy fail. AWS has no such
failure. The patch gives delete markers the no-op ``dispose`` they need (they hold no
buffer to release).

AWS: deleting objects (including keys with delete markers) in a bucket with versioning
suspended:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectsfromVersioningSuspendedBuckets.html
"""

from __future__ import annotations

from moto.s3.models import FakeDeleteMarker


def _dispose(self: FakeDeleteMarker, garbage: bool = False) -> None:
    """A delete marker has no value buffer: nothing to release."""


def apply() -> None:
    FakeDeleteMarker.dispose = _dispose  # type: ignore[attr-defined]

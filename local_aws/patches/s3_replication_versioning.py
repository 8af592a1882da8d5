"""Gap: moto accepts a replication configuration whose destination bucket is not versioned.

moto 5.2.5 ``PutBucketReplication`` checks only the source bucket's versioning, so a rule to
a destination bucket without versioning is stored, and a stack that forgot the destination's
``aws_s3_bucket_versioning`` (or its ``depends_on``) applies locally but fails on AWS.

AWS: "Both source and destination buckets must have versioning enabled." and "The destination
bucket must have versioning enabled." (the AWS CLI's put-bucket-replication example).  That
PutBucketReplication refuses such a configuration is undocumented: assumed from AWS's answer
quoted in public Terraform runs, ``InvalidRequest: Destination bucket must have versioning
enabled.`` (HTTP 400).  The patch refuses it for a destination bucket this emulator holds; a
destination it does not hold, or whose versioning is suspended later, fails at replication
time instead (``DstBucketNotFound`` / ``DstBucketUnversioned``, ``s3_object_replication.py``).

AWS: https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-requirements.html
and https://docs.aws.amazon.com/cli/latest/reference/s3api/put-bucket-replication.html
"""

from __future__ import annotations

import functools
from typing import Any

from moto.s3.exceptions import S3ClientError
from moto.s3.models import S3Backend


class DestinationNotVersioned(S3ClientError):
    code = "InvalidRequest"

    def __init__(self) -> None:
        super().__init__("InvalidRequest", "Destination bucket must have versioning enabled.")


def apply() -> None:
    put_bucket_replication = S3Backend.put_bucket_replication

    @functools.wraps(put_bucket_replication)
    def put_checked(self: S3Backend, bucket_name: str, replication: dict[str, Any]) -> None:
        rules = replication.get("Rule")
        for rule in rules if isinstance(rules, list) else [rules]:
            name = ((rule or {}).get("Destination") or {}).get("Bucket", "").split(":::", 1)[-1]
            destination = self.buckets.get(name)
            if destination is not None and not destination.is_versioned:
                raise DestinationNotVersioned
        put_bucket_replication(self, bucket_name, replication)

    S3Backend.put_bucket_replication = put_checked  # type: ignore[method-assign]

"""Gap: moto's GetBucketReplication rewrites every rule.

moto 5.2.5 stores the full PutBucketReplication document but answers
GetBucketReplication with only ID, Priority, Status and Destination, plus a
hard-coded ``DeleteMarkerReplication: Disabled`` and ``Filter: {Prefix: ""}``.
An ``aws_s3_bucket_replication_configuration`` with a filter prefix,
``delete_marker_replication { status = "Enabled" }`` or
``source_selection_criteria`` therefore plans an update on every run
(perpetual diff).  This patch returns the stored rules as they were put,
with moto's defaults only for the fields the request left out.

AWS: GetBucketReplication returns the configuration as put:
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketReplication.html
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.s3.exceptions import ReplicationConfigurationNotFoundError
from moto.s3.responses import S3Response


def _rule(stored: dict[str, Any]) -> dict[str, Any]:
    rule = {key: value for key, value in stored.items() if value is not None}
    if "Prefix" not in rule:  # V2 rules have a Filter; V1 rules a top-level Prefix
        rule.setdefault("Filter", {"Prefix": ""})
    rule.setdefault("DeleteMarkerReplication", {"Status": "Disabled"})
    tags = rule.get("Filter", {}).get("And", {}) or {}
    if isinstance(tags.get("Tag"), dict):  # xmltodict: one <Tag> parses as a dict
        tags["Tag"] = [tags["Tag"]]
    return rule


def get_bucket_replication(self: S3Response) -> Any:
    self.data["Action"] = "GetBucketReplication"
    replication = self.backend.get_bucket_replication(self.bucket_name)
    if not replication:
        raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
    return self.serialized(
        ActionResult(
            {
                "ReplicationConfiguration": {
                    "Role": replication["Role"],
                    "Rules": [_rule(rule) for rule in replication["Rule"]],
                }
            }
        )
    )


def apply() -> None:
    S3Response.get_bucket_replication = get_bucket_replication

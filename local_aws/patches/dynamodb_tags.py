"""Gap: moto's DynamoDB TagResource appends, so re-tagging a key duplicates it.

moto 5.2.5 ``DynamoDBBackend.tag_resource`` extends the table's tag list, so
``TagResource`` with a key that is already set leaves two entries, and
``ListTagsOfResource`` returns both (old and new value).  On AWS the new
value replaces the old one.  Terraform changes a tag value with a plain
``TagResource`` (no ``UntagResource`` first), so after changing a tag in the
stack the provider could read back the stale value and plan a perpetual diff.
This also covers the replica ARN (``propagate_tags``), which is a table in its
own region's backend.

AWS: TagResource sets each given key to the given value; a key holds one value (tag keys are
unique per resource): https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TagResource.html
and https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Tagging.html
"""

from __future__ import annotations

from moto.dynamodb.models import DynamoDBBackend


def tag_resource(self: DynamoDBBackend, arn: str, tags: dict[str, str]) -> None:
    for table in list(self.tables.values()):
        if table.table_arn == arn:
            merged = {t["Key"]: t["Value"] for t in table.tags}
            merged.update(tags)
            table.tags = [{"Key": k, "Value": v} for k, v in merged.items()]


def apply() -> None:
    DynamoDBBackend.tag_resource = tag_resource

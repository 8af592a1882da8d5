"""The payments table: a DynamoDB global table (version 2019.11.21) spanning every region.

The replica is its own resource (``aws_dynamodb_table_replica``), not the table's inline
``replica`` block: deletion protection is a per-replica setting that global tables never
synchronise ("You must enable deletion protection on each replica",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/globaltables-bestpractices.html),
and provider 5.100's inline block cannot set it. The provider documents the pairing: the table
ignores changes to ``replica`` while the replica resource manages it.

Point-in-time recovery is per replica too ("You can enable point-in-time recovery on each local
replica of a global table":
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/pointintimerecovery_beforeyoubegin.html).
The table's window is the profile's (``DynamodbTablePointInTimeRecovery(recovery_period_in_days=)``,
lib/backup_retention.py). The replica's cannot be set: provider 5.100's
``aws_dynamodb_table_replica`` has only ``point_in_time_recovery`` (a bool, the binding's
``DynamodbTableReplicaA(point_in_time_recovery=)``), and its update calls
``updatePITR(ctx, conn, tableName, d.Get("point_in_time_recovery").(bool), replicaRegion, ...)``
with no period (internal/service/dynamodb/table_replica.go), so DynamoDB applies its default: "If
no value is provided, the value will default to 35"
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PointInTimeRecoverySpecification.html).
The replica keeps 35 days whatever the profile says; the price is the same for any window
(lib/backup_retention.py), and a restore from the replica can reach further back, never less.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTableGlobalSecondaryIndex,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
    DynamodbTableTimeouts,
)
from cdktf_cdktf_provider_aws.dynamodb_table_replica import (
    DynamodbTableReplicaA,
    DynamodbTableReplicaTimeouts,
)
from constructs import Construct

from lib.api_contract import CUSTOMER_INDEX
from lib.keys import RegionalKey
from lib.policy import statement
from lib.region import Region

HASH_KEY = "payment_id"


@dataclass(frozen=True)
class Replica:
    """A region the table is replicated to, with that region's key."""

    region: Region
    key: RegionalKey


class GlobalTable(Construct):
    """Created in the primary region with a replica in each other region (a list, as AWS CDK's
    ``TableV2(replicas=[...])``). The first replica's construct id is ``replica`` (the id of the
    pair's one replica: ids are Terraform addresses), the others ``replica-<role>``."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        primary: Region,
        primary_key: RegionalKey,
        replicas: Sequence[Replica],
        deletion_protection: bool,
        prevent_destroy: bool,
        pitr_days: int,
    ) -> None:
        super().__init__(scope, id)
        self.name = name
        self.pitr_days = pitr_days
        self.replicas: dict[str, DynamodbTableReplicaA] = {}  # by region name
        self.table = DynamodbTable(
            self,
            "table",
            provider=primary.provider,
            name=name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=HASH_KEY,
            attribute=[
                DynamodbTableAttribute(name=HASH_KEY, type="S"),
                DynamodbTableAttribute(name="customer_id", type="S"),
                DynamodbTableAttribute(name="created_at", type="S"),
            ],
            global_secondary_index=[
                DynamodbTableGlobalSecondaryIndex(
                    name=CUSTOMER_INDEX,
                    hash_key="customer_id",
                    range_key="created_at",
                    projection_type="ALL",
                )
            ],
            stream_enabled=True,
            stream_view_type="NEW_AND_OLD_IMAGES",
            server_side_encryption=DynamodbTableServerSideEncryption(
                enabled=True, kms_key_arn=primary_key.arn_for(primary)
            ),
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(
                enabled=True, recovery_period_in_days=pitr_days
            ),
            deletion_protection_enabled=deletion_protection,
            # Replica creation on real AWS takes minutes; never let it hang a pipeline.
            timeouts=DynamodbTableTimeouts(create="30m", update="60m", delete="30m"),
            lifecycle=TerraformResourceLifecycle(prevent_destroy=prevent_destroy, ignore_changes=["replica"]),
        )
        for index, replica in enumerate(replicas):
            self.replicas[replica.region.name] = self._replica(
                "replica" if index == 0 else f"replica-{replica.region.role}",
                replica,
                deletion_protection=deletion_protection,
                prevent_destroy=prevent_destroy,
            )

    def _replica(
        self, id: str, replica: Replica, *, deletion_protection: bool, prevent_destroy: bool
    ) -> DynamodbTableReplicaA:
        """In the replica's region, with its own key, PITR (35 days: no period can be set, see
        the module docstring), tags (the provider's default tags) and deletion protection."""
        return DynamodbTableReplicaA(
            self,
            id,
            provider=replica.region.provider,
            global_table_arn=self.table.arn,
            kms_key_arn=replica.key.arn_for(replica.region),
            point_in_time_recovery=True,
            deletion_protection_enabled=deletion_protection,
            timeouts=DynamodbTableReplicaTimeouts(create="30m", update="30m", delete="30m"),
            lifecycle=TerraformResourceLifecycle(prevent_destroy=prevent_destroy),
        )

    def read_write_statement(self, region: Region) -> dict[str, Any]:
        """What a consumer in ``region`` needs to read and write items (the handler's calls):
        the table (or replica) there and its indexes (as AWS CDK's ``grantReadWriteData``, but
        only the actions the API uses)."""
        arn = self.arn_in(region)
        actions = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]
        return statement("PaymentsTable", actions, [arn, f"{arn}/index/*"])

    def arn_in(self, region: Region) -> str:
        """The table's ARN in ``region`` (the replica has an ARN of its own)."""
        if region.name in self.replicas:
            return self.replicas[region.name].arn
        return self.table.arn

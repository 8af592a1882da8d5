"""lib/table.py: the DynamoDB global table."""

from __future__ import annotations

import pytest


def test_table_schema_and_billing(dev):
    table = dev.get("aws_dynamodb_table", "payments-table/table")
    assert table["provider"] == "aws.primary"
    assert table["name"] == "tap-payments-dev"
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["hash_key"] == "payment_id"
    assert "range_key" not in table
    assert table["attribute"] == [
        {"name": "payment_id", "type": "S"},
        {"name": "customer_id", "type": "S"},
        {"name": "created_at", "type": "S"},
    ]
    assert table["global_secondary_index"] == [
        {
            "name": "customer_id-created_at-index",
            "hash_key": "customer_id",
            "range_key": "created_at",
            "projection_type": "ALL",
        }
    ]


def test_streams_encryption_and_pitr(dev):
    table = dev.get("aws_dynamodb_table", "payments-table/table")
    assert table["stream_enabled"] is True
    assert table["stream_view_type"] == "NEW_AND_OLD_IMAGES"
    assert table["server_side_encryption"] == {
        "enabled": True,
        "kms_key_arn": dev.ref("aws_kms_key", "key-primary/key", "arn"),
    }
    assert table["point_in_time_recovery"] == {"enabled": True, "recovery_period_in_days": 7}


def test_the_pitr_window_is_the_profiles_on_the_table_and_35_days_on_the_replica(dev, staging, prod):
    """The table's window is explicit (lib/backup_retention.py); the replica resource has no
    period to set, so DynamoDB's default (35 days) applies there, in every profile."""
    for stack, days in ((dev, 7), (staging, 14), (prod, 35)):
        table = stack.get("aws_dynamodb_table", "payments-table/table")
        assert table["point_in_time_recovery"] == {"enabled": True, "recovery_period_in_days": days}
        replica = stack.get("aws_dynamodb_table_replica", "payments-table/replica")
        assert replica["point_in_time_recovery"] is True
        assert "recovery_period_in_days" not in replica


def test_replica_in_the_secondary_region_with_its_own_key(dev):
    replica = dev.get("aws_dynamodb_table_replica", "payments-table/replica")
    assert replica["provider"] == "aws.secondary"
    assert replica["global_table_arn"] == dev.ref("aws_dynamodb_table", "payments-table/table", "arn")
    assert replica["kms_key_arn"] == dev.ref("aws_kms_key", "key-secondary/key", "arn")
    assert replica["point_in_time_recovery"] is True
    assert replica["timeouts"] == {"create": "30m", "update": "30m", "delete": "30m"}
    # The provider documents the pairing: the table ignores its `replica` attribute, which the
    # replica resource manages, and the two are never declared together.
    table = dev.get("aws_dynamodb_table", "payments-table/table")
    assert "replica" not in table
    assert table["lifecycle"]["ignore_changes"] == ["replica"]


def test_waits_are_bounded(dev):
    timeouts = dev.get("aws_dynamodb_table", "payments-table/table")["timeouts"]
    assert timeouts == {"create": "30m", "update": "60m", "delete": "30m"}


@pytest.mark.parametrize("path", ["payments-table/table", "payments-table/replica"])
def test_deletion_protection_only_in_prod_on_the_table_and_its_replica(dev, staging, prod, path):
    """Deletion protection is per replica and never synchronised between replicas: the
    secondary's copy is protected only by its own setting."""
    type_ = "aws_dynamodb_table_replica" if path.endswith("replica") else "aws_dynamodb_table"
    assert prod.get(type_, path)["deletion_protection_enabled"] is True
    for stack in (dev, staging):
        assert stack.get(type_, path)["deletion_protection_enabled"] is False


@pytest.mark.parametrize("path", ["payments-table/table", "payments-table/replica"])
def test_only_prod_table_and_replica_refuse_destruction(dev, staging, prod, path):
    type_ = "aws_dynamodb_table_replica" if path.endswith("replica") else "aws_dynamodb_table"
    assert prod.get(type_, path)["lifecycle"]["prevent_destroy"] is True
    for stack in (dev, staging):
        assert stack.get(type_, path)["lifecycle"]["prevent_destroy"] is False

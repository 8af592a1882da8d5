"""lib/table.py: the DynamoDB global table."""

from __future__ import annotations


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
    assert table["point_in_time_recovery"] == {"enabled": True}


def test_replica_in_the_secondary_region_with_its_own_key(dev):
    replica = dev.get("aws_dynamodb_table", "payments-table/table")["replica"]
    assert replica == [
        {
            "region_name": "us-west-2",
            "kms_key_arn": dev.ref("aws_kms_key", "key-secondary/key", "arn"),
            "point_in_time_recovery": True,
            "propagate_tags": True,
        }
    ]


def test_waits_are_bounded(dev):
    timeouts = dev.get("aws_dynamodb_table", "payments-table/table")["timeouts"]
    assert timeouts == {"create": "30m", "update": "60m", "delete": "30m"}


def test_deletion_protection_only_in_prod(dev, prod):
    assert dev.get("aws_dynamodb_table", "payments-table/table")["deletion_protection_enabled"] is False
    assert prod.get("aws_dynamodb_table", "payments-table/table")["deletion_protection_enabled"] is True


def test_only_prod_table_refuses_destruction(dev, staging, prod):
    assert prod.get("aws_dynamodb_table", "payments-table/table")["lifecycle"] == {"prevent_destroy": True}
    for stack in (dev, staging):
        assert stack.get("aws_dynamodb_table", "payments-table/table")["lifecycle"] == {
            "prevent_destroy": False
        }

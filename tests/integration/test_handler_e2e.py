"""The payments API over HTTP, as clients call it: each region's deployed stage (API Gateway,
the deployed function, its table, bucket and key) and, at the end, the failover name.

On the emulator the data plane serves the stages (local_aws/dataplane); on real AWS the same
tests call the real stages. Every run uses fresh ids, so re-runs against the same deployment
pass; the items are removed afterwards.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cli.api_client import Endpoint, Response
from lib.api_contract import PUBLIC_FIELDS, receipt_key
from tests.integration.conftest import ClientFactory, Deployment
from tests.integration.support import eventually

pytestmark = pytest.mark.integration

CREATED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def _until(call: Callable[[], Response], ok: Callable[[Response], bool], what: str) -> Response:
    """Repeat ``call`` until its response satisfies ``ok`` (bounded: replication, GSIs)."""
    return eventually(lambda: response if ok(response := call()) else None, what)


@pytest.fixture(scope="module")
def created_ids(deployment: Deployment, client: ClientFactory) -> Iterator[list[str]]:
    """Payment ids this module creates; their items and receipts are removed at the end."""
    ids: list[str] = []
    yield ids
    region = deployment.region("primary")
    dynamodb, s3 = client("dynamodb", region), client("s3", region)
    for payment_id in ids:
        dynamodb.delete_item(TableName=deployment.table_name, Key={"payment_id": {"S": payment_id}})
        s3.delete_object(Bucket=deployment.bucket("primary"), Key=receipt_key(payment_id))


@pytest.fixture(scope="module")
def primary(endpoints: dict[str, Endpoint]) -> Endpoint:
    return endpoints["primary"]


@pytest.fixture(scope="module")
def secondary(endpoints: dict[str, Endpoint]) -> Endpoint:
    return endpoints["secondary"]


def _new_payment(created_ids: list[str], customer_id: str | None = None, **fields: Any) -> dict[str, Any]:
    payment_id = f"it-{uuid.uuid4().hex}"
    created_ids.append(payment_id)
    return {
        "payment_id": payment_id,
        "amount": "10.50",
        "currency": "EUR",
        "customer_id": customer_id or f"it-customer-{uuid.uuid4().hex}",
        **fields,
    }


@pytest.fixture(scope="module")
def created(primary: Endpoint, created_ids: list[str]) -> tuple[dict[str, Any], Response]:
    """One payment created through the primary region's stage: (request body, response)."""
    request = _new_payment(created_ids, description="integration test")
    return request, primary.call("POST", "/payments", request)


def test_health_is_ok_in_the_primary(primary: Endpoint, primary_region: str) -> None:
    response = primary.call("GET", "/health")
    assert response.status == 200
    assert response.body == {"status": "ok", "region": primary_region, "role": "primary"}


def test_create_returns_201_with_the_public_record(
    created: tuple[dict[str, Any], Response], primary_region: str
) -> None:
    request, response = created
    assert response.status == 201
    assert response.headers["Content-Type"] == "application/json"
    record = response.body
    assert set(record) == set(PUBLIC_FIELDS)
    assert record["payment_id"] == request["payment_id"]
    assert record["customer_id"] == request["customer_id"]
    assert record["amount"] == "10.50"
    assert record["currency"] == "EUR"
    assert record["description"] == "integration test"
    assert record["status"] == "ACCEPTED"
    assert record["region"] == primary_region
    assert CREATED_AT.fullmatch(record["created_at"]), record["created_at"]


def test_create_writes_a_kms_encrypted_receipt(
    created: tuple[dict[str, Any], Response],
    deployment: Deployment,
    client: ClientFactory,
    primary_region: str,
) -> None:
    _, response = created
    s3 = client("s3", primary_region)
    key = receipt_key(response.body["payment_id"])
    head = s3.head_object(Bucket=deployment.bucket("primary"), Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == deployment.key_arn("primary")
    assert head["BucketKeyEnabled"] is True
    assert head["ContentType"] == "application/json"
    receipt = s3.get_object(Bucket=deployment.bucket("primary"), Key=key)["Body"].read()
    assert json.loads(receipt) == response.body


# S3 Replication Time Control promises 15 minutes: that bounds the wait. The emulator
# replicates at once; on AWS it usually takes seconds.
RTC_SLA_SECONDS = 15 * 60


def _head_or_none(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        return s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
            return None
        raise


def test_receipt_replicates_to_the_secondary_bucket_with_its_key(
    created: tuple[dict[str, Any], Response], deployment: Deployment, client: ClientFactory
) -> None:
    _, response = created
    key = receipt_key(response.body["payment_id"])
    source_s3 = client("s3", deployment.region("primary"))
    replica_s3 = client("s3", deployment.region("secondary"))
    replica = eventually(
        lambda: _head_or_none(replica_s3, deployment.bucket("secondary"), key),
        "the receipt to replicate to the secondary bucket",
        timeout=RTC_SLA_SECONDS,
        interval=5,
    )
    assert replica["ReplicationStatus"] == "REPLICA"
    assert replica["ServerSideEncryption"] == "aws:kms"
    assert replica["SSEKMSKeyId"] == deployment.key_arn("secondary")
    body = replica_s3.get_object(Bucket=deployment.bucket("secondary"), Key=key)["Body"].read()
    assert json.loads(body) == response.body

    def completed_source() -> dict[str, Any] | None:
        head = source_s3.head_object(Bucket=deployment.bucket("primary"), Key=key)
        return head if head.get("ReplicationStatus") == "COMPLETED" else None

    source = eventually(
        completed_source,
        "the source receipt to report replication COMPLETED",
        timeout=RTC_SLA_SECONDS,
        interval=5,
    )
    assert source["ReplicationStatus"] == "COMPLETED"


def test_create_stores_the_item_in_the_table(
    created: tuple[dict[str, Any], Response],
    deployment: Deployment,
    client: ClientFactory,
    primary_region: str,
) -> None:
    _, response = created
    item = client("dynamodb", primary_region).get_item(
        TableName=deployment.table_name,
        Key={"payment_id": {"S": response.body["payment_id"]}},
        ConsistentRead=True,
    )["Item"]
    assert Decimal(item["amount"]["N"]) == Decimal("10.50")  # a DynamoDB number, never a float
    assert item["customer_id"] == {"S": response.body["customer_id"]}
    assert item["created_at"] == {"S": response.body["created_at"]}
    assert len(item["request_fingerprint"]["S"]) == 64  # sha256 hex, internal only


def test_replay_of_the_same_request_returns_200_and_the_same_record(
    created: tuple[dict[str, Any], Response], primary: Endpoint
) -> None:
    request, first = created
    replay = primary.call("POST", "/payments", request)
    assert replay.status == 200
    assert replay.body == first.body


def test_same_id_with_a_different_request_is_a_conflict(
    created: tuple[dict[str, Any], Response], primary: Endpoint
) -> None:
    request, _ = created
    response = primary.call("POST", "/payments", {**request, "amount": "99.99"})
    assert response.status == 409
    assert response.body == {"error": "payment_id already exists with a different request"}


def test_invalid_amount_is_rejected_without_a_write(
    primary: Endpoint, deployment: Deployment, client: ClientFactory, primary_region: str
) -> None:
    payment_id = f"it-{uuid.uuid4().hex}"
    request = {"payment_id": payment_id, "amount": "10.001", "currency": "EUR", "customer_id": "it-c"}
    response = primary.call("POST", "/payments", request)
    assert response.status == 400
    assert response.body == {"error": "amount must have at most 2 decimal places"}
    stored = client("dynamodb", primary_region).get_item(
        TableName=deployment.table_name, Key={"payment_id": {"S": payment_id}}, ConsistentRead=True
    )
    assert "Item" not in stored


def test_get_returns_the_payment_or_404(created: tuple[dict[str, Any], Response], primary: Endpoint) -> None:
    _, first = created
    found = primary.call("GET", f"/payments/{first.body['payment_id']}")
    assert found.status == 200
    assert found.body == first.body
    missing = primary.call("GET", f"/payments/it-missing-{uuid.uuid4().hex}")
    assert missing.status == 404
    assert missing.body == {"error": "Payment not found"}


def test_list_returns_a_customers_payments_newest_first(primary: Endpoint, created_ids: list[str]) -> None:
    customer_id = f"it-customer-{uuid.uuid4().hex}"
    records = []
    for amount in ("1.00", "2.00", "3.00"):
        response = primary.call("POST", "/payments", _new_payment(created_ids, customer_id, amount=amount))
        assert response.status == 201
        records.append(response.body)
    newest_first = records[::-1]
    path = f"/customers/{customer_id}/payments"

    # The GSI is eventually consistent on AWS.
    listed = _until(
        lambda: primary.call("GET", path),
        lambda r: r.status != 200 or len(r.body["items"]) >= 3,
        f"the index to list the 3 payments of {customer_id}",
    )
    assert listed.status == 200
    assert listed.body == {"items": newest_first}
    assert [item["amount"] for item in listed.body["items"]] == ["3.00", "2.00", "1.00"]

    limited = primary.call("GET", path, query={"limit": "2"})
    assert limited.status == 200
    assert limited.body == {"items": newest_first[:2]}


def test_secondary_reads_the_payment_created_in_the_primary(
    created: tuple[dict[str, Any], Response], secondary: Endpoint
) -> None:
    """Failover readiness: the global table replicates the primary's write."""
    _, first = created
    response = _until(
        lambda: secondary.call("GET", f"/payments/{first.body['payment_id']}"),
        lambda r: r.status != 404,
        "the payment to replicate to the secondary region",
    )
    assert response.status == 200
    assert response.body == first.body


def test_secondary_lists_the_replicated_payment(
    created: tuple[dict[str, Any], Response], secondary: Endpoint
) -> None:
    _, first = created
    response = _until(
        lambda: secondary.call("GET", f"/customers/{first.body['customer_id']}/payments"),
        lambda r: r.status != 200 or r.body["items"] != [],
        "the secondary's index to list the replicated payment",
    )
    assert response.status == 200
    assert response.body == {"items": [first.body]}


def test_health_is_ok_in_the_secondary(secondary: Endpoint, secondary_region: str) -> None:
    response = secondary.call("GET", "/health")
    assert response.status == 200
    assert response.body == {"status": "ok", "region": secondary_region, "role": "secondary"}

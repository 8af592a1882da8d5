"""Unit tests for the payments Lambda handler (lib/lambda/handler.py) against moto."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from moto import mock_aws

from cli.handler_loader import load_handler
from lib.api_contract import CUSTOMER_INDEX

REGION = "us-east-1"
TABLE = "payments-test"
BUCKET = "payments-receipts-test"
GSI = CUSTOMER_INDEX
REQUEST_ID = "req-123"
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "TABLE_NAME": TABLE,
    "BUCKET_NAME": BUCKET,
    "REGION_ROLE": "primary",
}
UNSET = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3")
START = datetime(2026, 11, 23, 10, 20, 30, 123456, tzinfo=UTC)
CREATED_AT_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
VALID = {"payment_id": "pay_001", "amount": "10.50", "currency": "EUR", "customer_id": "cust-1"}


# --------------------------------------------------------------------------- helpers


def create_resources(dynamodb: Any, s3: Any) -> None:
    """Create the table (with its GSI) and the receipts bucket in the active moto mock."""
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "payment_id", "AttributeType": "S"},
            {"AttributeName": "customer_id", "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": GSI,
                "KeySchema": [
                    {"AttributeName": "customer_id", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    s3.create_bucket(Bucket=BUCKET)


@contextmanager
def mocked_aws() -> Iterator[SimpleNamespace]:
    """Start moto with dummy credentials, create the resources, load a fresh handler inside.

    Loading the handler (new boto3 session, service models parsed) is the expensive part, so
    the unit tests share one mock and one handler module per test module and reset the moto
    backends between tests (see the ``aws`` fixture).
    """
    with pytest.MonkeyPatch.context() as env:
        for name, value in ENV.items():
            env.setenv(name, value)
        for name in UNSET:
            env.delenv(name, raising=False)
        with mock_aws() as mock:
            session = boto3.session.Session(region_name=REGION)
            ns = SimpleNamespace(
                mock=mock,
                dynamodb=session.client("dynamodb"),
                table=session.resource("dynamodb").Table(TABLE),
                s3=session.client("s3"),
            )
            create_resources(ns.dynamodb, ns.s3)
            ns.handler = load_handler()
            yield ns


def make_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, Any] | None = None,
    query: dict[str, Any] | None = None,
    b64: bool = False,
) -> dict[str, Any]:
    """Build an API Gateway REST proxy event; non-string bodies are JSON-encoded."""
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    if b64 and body is not None:
        body = base64.b64encode(body.encode("utf-8")).decode("ascii")
    return {
        "resource": "/{proxy+}",
        "httpMethod": method,
        "path": path,
        "headers": {"Content-Type": "application/json"} if headers is None else headers,
        "queryStringParameters": query,
        "body": body,
        "isBase64Encoded": b64,
        "requestContext": {"requestId": REQUEST_ID},
    }


def invoke(mod: ModuleType, event: Any, context: Any = None) -> tuple[int, dict[str, str], Any]:
    """Call the handler and return (status, headers, decoded JSON body)."""
    response = mod.handler(event, context)
    assert set(response) == {"statusCode", "headers", "body"}
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], response["headers"], json.loads(response["body"])


def call(mod: ModuleType, event: Any) -> tuple[int, Any]:
    """Call the handler and return (status, decoded JSON body)."""
    status, _, body = invoke(mod, event)
    return status, body


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]


def client_error(code: str, operation: str = "Op", status: int = 400) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": f"secret botocore text for {code}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


def raiser(exc: Exception) -> Callable[..., Any]:
    def _raise(*_args: Any, **_kwargs: Any) -> Any:
        raise exc

    return _raise


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def shared_aws() -> Iterator[SimpleNamespace]:
    with mocked_aws() as ns:
        yield ns


@pytest.fixture
def aws(shared_aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """Empty table and bucket for every test (moto backends reset), default environment."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    shared_aws.mock.reset()
    create_resources(shared_aws.dynamodb, shared_aws.s3)
    return shared_aws


@pytest.fixture
def mod(aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The handler module (loaded inside the mock) with a fake clock ticking 1 s per call."""
    ticks = iter(range(10_000))
    monkeypatch.setattr(aws.handler, "_utcnow", lambda: START + timedelta(seconds=next(ticks)))
    return aws.handler


def post(mod: ModuleType, body: Any, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    return invoke(mod, make_event("POST", "/payments", body, **kwargs))


def receipt(aws: SimpleNamespace, payment_id: str) -> tuple[dict[str, Any], str]:
    obj = aws.s3.get_object(Bucket=BUCKET, Key=f"receipts/{payment_id}.json")
    return json.loads(obj["Body"].read()), obj["ContentType"]


def receipt_keys(aws: SimpleNamespace) -> list[str]:
    return [o["Key"] for o in aws.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


# --------------------------------------------------------------------------- POST /payments


def test_create_payment_stores_item_and_receipt(
    mod: ModuleType, aws: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    status, headers, body = post(mod, {**VALID, "description": "Invoice 42"})

    expected = {
        "payment_id": "pay_001",
        "customer_id": "cust-1",
        "amount": "10.50",
        "currency": "EUR",
        "description": "Invoice 42",
        "status": "ACCEPTED",
        "created_at": "2026-11-23T10:20:30.123456Z",
        "region": REGION,
    }
    assert status == 201
    assert body == expected
    assert headers["Cache-Control"] == "no-store"
    item = aws.table.get_item(Key={"payment_id": "pay_001"})["Item"]
    assert item["amount"] == Decimal("10.50")
    assert isinstance(item["amount"], Decimal)
    assert re.fullmatch(r"[0-9a-f]{64}", item["request_fingerprint"])
    # the write stamp (contract.json write_stamp): no function name outside Lambda's runtime
    assert (item["written_by"], item["written_at"]) == ("unknown/req-123", "2026-11-23T10:20:30.123456Z")
    internal = ("amount", "request_fingerprint", "written_by", "written_at")
    assert {k: v for k, v in item.items() if k not in internal} == {
        k: v for k, v in expected.items() if k != "amount"
    }
    assert receipt(aws, "pay_001") == (expected, "application/json")
    access = log_lines(capsys)
    assert len(access) == 1
    assert access[0]["type"] == "access"
    assert {k: access[0][k] for k in ("method", "route", "status", "request_id")} == {
        "method": "POST",
        "route": "/payments",
        "status": 201,
        "request_id": REQUEST_ID,
    }
    assert isinstance(access[0]["duration_ms"], float)
    assert "Invoice" not in json.dumps(access) and "cust-1" not in json.dumps(access)


@pytest.mark.parametrize(
    ("amount_json", "expected"),
    [
        ('"10.50"', "10.50"),
        ("10.5", "10.50"),
        ('"10.500"', "10.50"),
        ("7", "7.00"),
        ('"0.01"', "0.01"),
        ("1000000", "1000000.00"),
        ('"1000000.00"', "1000000.00"),
        ('"007.1"', "7.10"),
    ],
)
def test_amount_forms_are_quantized(
    mod: ModuleType, aws: SimpleNamespace, amount_json: str, expected: str
) -> None:
    raw = f'{{"payment_id": "p1", "amount": {amount_json}, "currency": "USD", "customer_id": "c"}}'
    status, _, body = post(mod, raw)
    assert (status, body["amount"]) == (201, expected)
    stored = aws.table.get_item(Key={"payment_id": "p1"})["Item"]["amount"]
    assert stored == Decimal(expected)
    assert receipt(aws, "p1")[0]["amount"] == expected


def test_generated_payment_id(mod: ModuleType, aws: SimpleNamespace) -> None:
    body_in = {k: v for k, v in VALID.items() if k != "payment_id"}
    status, _, body = post(mod, body_in)
    assert status == 201
    assert re.fullmatch(r"[0-9a-f]{32}", body["payment_id"])
    assert "description" not in body
    assert aws.table.get_item(Key={"payment_id": body["payment_id"]})["Item"]["currency"] == "EUR"
    assert receipt_keys(aws) == [f"receipts/{body['payment_id']}.json"]
    # a second identical request without an id is a new payment, not a replay
    status2, _, body2 = post(mod, body_in)
    assert status2 == 201 and body2["payment_id"] != body["payment_id"]


def test_every_item_written_is_stamped_with_the_function_and_the_request(
    mod: ModuleType, aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dr/restore.py keeps a payment created after its restore point only with this stamp."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "tap-payments-api-primary-dev")
    status, _, body = post(mod, VALID)
    assert status == 201 and "written_by" not in body and "written_at" not in body
    item = aws.table.get_item(Key={"payment_id": "pay_001"})["Item"]
    assert item["written_by"] == f"tap-payments-api-primary-dev/{REQUEST_ID}"
    assert item["written_at"] == item["created_at"] == "2026-11-23T10:20:30.123456Z"
    assert "written_by" not in json.dumps(receipt(aws, "pay_001")[0])
    # a replay writes nothing: the first request's stamp stays
    event = make_event("POST", "/payments", VALID)
    event["requestContext"]["requestId"] = "req-456"
    assert invoke(mod, event)[0] == 200
    assert aws.table.get_item(Key={"payment_id": "pay_001"})["Item"]["written_by"].endswith(f"/{REQUEST_ID}")


def test_real_clock_created_at_is_iso_utc(aws: SimpleNamespace) -> None:
    module = aws.handler  # the "aws" fixture alone does not fake the clock
    before = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    status, _, body = post(module, VALID)
    assert status == 201
    assert CREATED_AT_RE.fullmatch(body["created_at"])
    assert body["created_at"] >= before


def test_idempotent_replay_returns_stored_record(
    mod: ModuleType, aws: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    status1, _, first = post(mod, VALID)
    # same canonical request: other key order, amount written differently
    replay = '{"customer_id":"cust-1","currency":"EUR","amount":10.5,"payment_id":"pay_001"}'
    status2, _, second = post(mod, replay)
    assert (status1, status2) == (201, 200)
    assert second == first
    assert second["created_at"] == "2026-11-23T10:20:30.123456Z"
    assert aws.table.scan()["Count"] == 1
    assert receipt_keys(aws) == ["receipts/pay_001.json"]
    assert [line["status"] for line in log_lines(capsys)] == [201, 200]


def test_replay_heals_missing_receipt(mod: ModuleType, aws: SimpleNamespace) -> None:
    payload = {**VALID, "description": "heal me"}
    _, _, first = post(mod, payload)
    aws.s3.delete_object(Bucket=BUCKET, Key="receipts/pay_001.json")
    assert receipt_keys(aws) == []
    status, _, second = post(mod, payload)
    assert status == 200
    assert second == first
    assert receipt(aws, "pay_001") == (first, "application/json")
    assert aws.table.scan()["Count"] == 1


def test_receipt_failure_then_retry_heals(
    mod: ModuleType, aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        failure = client_error("InternalError", "PutObject", 500)
        patch.setattr(mod._S3, "put_object", raiser(failure))
        status, headers, body = post(mod, VALID)
    # S3's own failure is transient: 503 + Retry-After tells the client a retry is safe...
    assert (status, body) == (503, {"error": "Service temporarily unavailable, retry later"})
    assert headers["Retry-After"] == "1"
    assert aws.table.scan()["Count"] == 1 and receipt_keys(aws) == []
    # ...and the retry heals the missing receipt.
    status, _, body = post(mod, VALID)
    assert status == 200
    assert receipt(aws, "pay_001")[0] == body


def test_conflicting_replay_is_409(mod: ModuleType, aws: SimpleNamespace) -> None:
    assert post(mod, VALID)[0] == 201
    status, _, body = post(mod, {**VALID, "amount": "10.51"})
    assert (status, body) == (409, {"error": "payment_id already exists with a different request"})
    status, _, _ = post(mod, {**VALID, "description": "extra"})
    assert status == 409
    assert aws.table.get_item(Key={"payment_id": "pay_001"})["Item"]["amount"] == Decimal("10.50")


@pytest.mark.parametrize(
    "content_type",
    [None, "application/json", "application/json; charset=utf-8", 'APPLICATION/JSON;CHARSET="UTF8"',
     "application/json; boundary=x"],
)  # fmt: skip
def test_accepted_content_types(mod: ModuleType, content_type: str | None) -> None:
    headers = {} if content_type is None else {"cOnTeNt-TyPe": content_type}
    assert post(mod, VALID, headers=headers)[0] == 201


def test_base64_body_accepted(mod: ModuleType) -> None:
    status, _, body = post(mod, VALID, b64=True)
    assert (status, body["amount"]) == (201, "10.50")


# --------------------------------------------------------------------------- GET /payments/{id}


def test_get_payment(mod: ModuleType) -> None:
    _, _, created = post(mod, {**VALID, "description": "x"})
    status, _, body = invoke(mod, make_event("GET", "/payments/pay_001"))
    assert (status, body) == (200, created)
    assert invoke(mod, make_event("GET", "/payments/pay_001/"))[2] == created


def test_get_payment_not_found(mod: ModuleType) -> None:
    status, _, body = invoke(mod, make_event("GET", "/payments/nope"))
    assert (status, body) == (404, {"error": "Payment not found"})


@pytest.mark.parametrize("payment_id", ["bad$id", "a" * 65, "%20", "ünïcode"])
def test_get_payment_invalid_id(mod: ModuleType, payment_id: str) -> None:
    status, _, body = invoke(mod, make_event("GET", f"/payments/{payment_id}"))
    assert (status, body) == (
        400,
        {"error": "payment_id must be 1-64 characters of A-Z, a-z, 0-9, _ or -"},
    )


# --------------------------------------------------------------------------- GET /customers/{id}/payments


def test_list_newest_first_with_limit(mod: ModuleType) -> None:
    for n in range(3):
        assert post(mod, {**VALID, "payment_id": f"p{n}", "amount": n + 1})[0] == 201
    assert post(mod, {**VALID, "payment_id": "other", "customer_id": "cust-2"})[0] == 201

    status, _, body = invoke(mod, make_event("GET", "/customers/cust-1/payments"))
    assert status == 200
    assert [i["payment_id"] for i in body["items"]] == ["p2", "p1", "p0"]
    assert [i["amount"] for i in body["items"]] == ["3.00", "2.00", "1.00"]
    assert body["items"][0]["created_at"] == "2026-11-23T10:20:32.123456Z"
    assert "request_fingerprint" not in body["items"][0]

    status, _, body = invoke(
        mod, make_event("GET", "/customers/cust-1/payments", query={"limit": "2", "x": "y"})
    )
    assert (status, [i["payment_id"] for i in body["items"]]) == (200, ["p2", "p1"])
    status, _, body = invoke(mod, make_event("GET", "/customers/nobody/payments"))
    assert (status, body) == (200, {"items": []})


def test_list_default_and_max_limit(mod: ModuleType, aws: SimpleNamespace) -> None:
    with aws.table.batch_writer() as batch:  # seeded directly: only the query is under test
        for n in range(21):
            created_at = (START + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            batch.put_item(
                Item={**VALID, "payment_id": f"p{n:02d}", "amount": Decimal(n + 1),
                      "status": "ACCEPTED", "created_at": created_at, "region": REGION}
            )  # fmt: skip
    _, _, body = invoke(mod, make_event("GET", "/customers/cust-1/payments"))
    assert len(body["items"]) == 20 and body["items"][0]["payment_id"] == "p20"
    _, _, body = invoke(mod, make_event("GET", "/customers/cust-1/payments", query={"limit": "100"}))
    assert len(body["items"]) == 21 and body["items"][-1]["payment_id"] == "p00"


@pytest.mark.parametrize("limit", ["0", "101", "1000", "abc", "1.5", "-1", "", " 5", "+5", 5, None])
def test_list_invalid_limit(mod: ModuleType, limit: Any) -> None:
    event = make_event("GET", "/customers/cust-1/payments", query={"limit": limit})
    status, _, body = invoke(mod, event)
    assert (status, body) == (400, {"error": "limit must be an integer between 1 and 100"})


def test_list_invalid_customer_id(mod: ModuleType) -> None:
    status, _, body = invoke(mod, make_event("GET", f"/customers/{'c' * 129}/payments"))
    assert (status, body) == (
        400,
        {"error": "customer_id must be 1-128 characters of A-Z, a-z, 0-9, _ or -"},
    )


# --------------------------------------------------------------------------- GET /health


def test_health_ok(mod: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGION_ROLE", "secondary")
    status, _, body = invoke(mod, make_event("GET", "/health", headers={}))
    assert (status, body) == (200, {"status": "ok", "region": REGION, "role": "secondary"})


def test_health_unavailable_when_bucket_missing(
    mod: ModuleType, aws: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.s3.delete_bucket(Bucket=BUCKET)
    status, _, body = invoke(mod, make_event("GET", "/health"))
    assert (status, body) == (503, {"status": "unavailable", "region": REGION, "role": "primary"})
    lines = log_lines(capsys)
    assert lines[0] == {
        "level": "WARN",
        "type": "health_check_failed",
        "request_id": REQUEST_ID,
        "error_type": "ClientError",
    }
    assert lines[1]["status"] == 503


def test_health_unavailable_when_table_missing(mod: ModuleType, aws: SimpleNamespace) -> None:
    aws.table.delete()
    assert call(mod, make_event("GET", "/health")) == (
        503,
        {"status": "unavailable", "region": REGION, "role": "primary"},
    )


def test_health_unavailable_on_connection_error(mod: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        mod._S3, "head_bucket", raiser(EndpointConnectionError(endpoint_url="https://s3.internal"))
    )
    status, _, body = invoke(mod, make_event("GET", "/health"))
    assert status == 503 and "internal" not in json.dumps(body)


# --------------------------------------------------------------------------- routing


@pytest.mark.parametrize("path", ["/nope", "/", "", "/payments/a/b", "/payments//", "/customers/c"])
def test_unknown_path_is_404(mod: ModuleType, path: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, body = invoke(mod, make_event("GET", path))
    assert (status, body) == (404, {"error": "Not found"})
    assert log_lines(capsys)[-1]["route"] == "unmatched"


@pytest.mark.parametrize(
    ("method", "path", "allow", "route"),
    [
        ("GET", "/payments", "POST", "/payments"),
        ("PUT", "/payments/", "POST", "/payments"),
        ("POST", "/health", "GET", "/health"),
        ("DELETE", "/payments/p1", "GET", "/payments/{payment_id}"),
        ("post", "/customers/c/payments", "GET", "/customers/{customer_id}/payments"),
    ],
)
def test_wrong_method_is_405(
    mod: ModuleType,
    capsys: pytest.CaptureFixture[str],
    *,
    method: str,
    path: str,
    allow: str,
    route: str,
) -> None:
    status, headers, body = invoke(mod, make_event(method, path))
    assert (status, headers["Allow"], body) == (405, allow, {"error": "Method not allowed"})
    assert log_lines(capsys)[-1]["route"] == route


# --------------------------------------------------------------------------- malformed events

GOOD_EVENT = make_event("GET", "/health")


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (None, "Malformed request event: expected an object"),
        ([GOOD_EVENT], "Malformed request event: expected an object"),
        ("GET /health", "Malformed request event: expected an object"),
        ({**GOOD_EVENT, "httpMethod": None}, "Malformed request event: httpMethod must be a string"),
        ({"path": "/health"}, "Malformed request event: httpMethod must be a string"),
        ({**GOOD_EVENT, "path": 7}, "Malformed request event: path must be a string"),
        ({**GOOD_EVENT, "headers": ["a"]}, "Malformed request event: headers must be an object or null"),
        ({**GOOD_EVENT, "queryStringParameters": "limit=5"},
         "Malformed request event: queryStringParameters must be an object or null"),
        ({**GOOD_EVENT, "body": {"a": 1}}, "Malformed request event: body must be a string or null"),
        ({**GOOD_EVENT, "isBase64Encoded": "yes"},
         "Malformed request event: isBase64Encoded must be a boolean or null"),
    ],
)  # fmt: skip
def test_malformed_event_is_400(mod: ModuleType, event: Any, message: str) -> None:
    status, _, body = invoke(mod, event)
    assert (status, body) == (400, {"error": message})


def test_minimal_event_with_null_fields(mod: ModuleType) -> None:
    event = {"httpMethod": "GET", "path": "/health", "headers": None, "body": None}
    assert invoke(mod, event)[0] == 200


# --------------------------------------------------------------------------- bad bodies

AMOUNT_FORMAT = 'amount string must be digits with an optional fraction, e.g. "10.50"'
AMOUNT_TYPE = "amount must be a JSON number or a numeric string"
CURRENCY = "currency must be a 3-letter uppercase ISO 4217 code, e.g. EUR"
PAYMENT_ID = "payment_id must be 1-64 characters of A-Z, a-z, 0-9, _ or -"
CUSTOMER_ID = "customer_id must be 1-128 characters of A-Z, a-z, 0-9, _ or -"


def with_amount(raw: str) -> str:
    return f'{{"amount": {raw}, "currency": "EUR", "customer_id": "c"}}'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "Request body is required"),
        ("", "Request body is required"),
        ("{", "Invalid JSON: Expecting property name enclosed in double quotes (line 1, column 2)"),
        ('{"amount" 1}', "Invalid JSON: Expecting ':' delimiter (line 1, column 11)"),
        ("[]", "Request body must be a JSON object"),
        ('"payment"', "Request body must be a JSON object"),
        ("null", "Request body must be a JSON object"),
        ("[" * 4000 + "]" * 4000, "Invalid JSON: nesting too deep"),
        (with_amount("NaN"), "Invalid JSON: NaN is not allowed"),
        (with_amount("Infinity"), "Invalid JSON: Infinity is not allowed"),
        (with_amount("-Infinity"), "Invalid JSON: -Infinity is not allowed"),
        (with_amount("1e2"), "Invalid JSON: numbers in exponent notation are not allowed"),
        (with_amount("10.5E-1"), "Invalid JSON: numbers in exponent notation are not allowed"),
        ('{"amount": 1, "amount": 2}', 'Invalid JSON: duplicate key "amount"'),
        ({**VALID, "extra": 1, "admin": True}, "Unknown field(s): admin, extra"),
        # a JSON escape of a lone surrogate is valid JSON but not Unicode text: shown escaped
        ({**VALID, "\ud800": 0}, "Unknown field(s): \\ud800"),
        ({**VALID, "k" * 5000: 0}, "Unknown field(s): " + "k" * 64),
        ({"customer_id": "c"}, "Missing required field(s): amount, currency"),
        ({"amount": "1", "currency": "EUR"}, "Missing required field(s): customer_id"),
        ({**VALID, "payment_id": 5}, "payment_id must be a string"),
        ({**VALID, "payment_id": None}, "payment_id must be a string"),
        ({**VALID, "payment_id": ""}, PAYMENT_ID),
        ({**VALID, "payment_id": "a" * 65}, PAYMENT_ID),
        ({**VALID, "payment_id": "a b"}, PAYMENT_ID),
        ({**VALID, "payment_id": "abc\n"}, PAYMENT_ID),
        ({**VALID, "amount": True}, AMOUNT_TYPE),
        ({**VALID, "amount": False}, AMOUNT_TYPE),
        ({**VALID, "amount": None}, AMOUNT_TYPE),
        ({**VALID, "amount": [1]}, AMOUNT_TYPE),
        ({**VALID, "amount": {"v": 1}}, AMOUNT_TYPE),
        ({**VALID, "amount": "abc"}, AMOUNT_FORMAT),
        ({**VALID, "amount": "-5"}, AMOUNT_FORMAT),
        ({**VALID, "amount": "1e2"}, AMOUNT_FORMAT),
        ({**VALID, "amount": " 10"}, AMOUNT_FORMAT),
        ({**VALID, "amount": "10."}, AMOUNT_FORMAT),
        ({**VALID, "amount": ".5"}, AMOUNT_FORMAT),
        ({**VALID, "amount": "NaN"}, AMOUNT_FORMAT),
        ({**VALID, "amount": "1,000"}, AMOUNT_FORMAT),
        ({**VALID, "amount": "١٢"}, AMOUNT_FORMAT),
        ({**VALID, "amount": ""}, AMOUNT_FORMAT),
        ({**VALID, "amount": "0"}, "amount must be greater than 0"),
        ({**VALID, "amount": "0.00"}, "amount must be greater than 0"),
        (with_amount("0"), "amount must be greater than 0"),
        (with_amount("-0.0"), "amount must be greater than 0"),
        (with_amount("-1"), "amount must be greater than 0"),
        ({**VALID, "amount": "1000000.01"}, "amount must not exceed 1000000"),
        (with_amount("99999999999999999999999999999999999"), "amount must not exceed 1000000"),
        (with_amount("10.505"), "amount must have at most 2 decimal places"),
        ({**VALID, "amount": "0.001"}, "amount must have at most 2 decimal places"),
        (with_amount("0.0000000000000000000000000000000001"),
         "amount must have at most 2 decimal places"),
        ({**VALID, "currency": "eur"}, CURRENCY),
        ({**VALID, "currency": "EU"}, CURRENCY),
        ({**VALID, "currency": "EURO"}, CURRENCY),
        ({**VALID, "currency": 978}, CURRENCY),
        ({**VALID, "currency": None}, CURRENCY),
        ({**VALID, "customer_id": 5}, "customer_id must be a string"),
        ({**VALID, "customer_id": ""}, CUSTOMER_ID),
        ({**VALID, "customer_id": "c" * 129}, CUSTOMER_ID),
        ({**VALID, "description": 5}, "description must be a string"),
        ({**VALID, "description": None}, "description must be a string"),
        ({**VALID, "description": "d" * 1025}, "description must be at most 1024 characters"),
        ('{"amount": 1, "currency": "EUR", "customer_id": "c", "description": "\\ud800"}',
         "description must be valid Unicode text"),
    ],
)  # fmt: skip
def test_invalid_payment_body_is_400(mod: ModuleType, aws: SimpleNamespace, body: Any, message: str) -> None:
    status, _, response = post(mod, body)
    assert (status, response) == (400, {"error": message})
    assert aws.table.scan()["Count"] == 0 and receipt_keys(aws) == []


@pytest.mark.parametrize("description", ["é" * 1024, "", "line\nbreak \u2603"])
def test_description_edge_values_are_accepted(
    mod: ModuleType, aws: SimpleNamespace, description: str
) -> None:
    status, _, body = post(mod, {**VALID, "description": description})
    assert (status, body["description"]) == (201, description)
    assert aws.table.get_item(Key={"payment_id": "pay_001"})["Item"]["description"] == description


@pytest.mark.parametrize(
    ("event_overrides", "status", "message"),
    [
        ({"body": "!!not base64!!", "isBase64Encoded": True}, 400,
         "Request body is not valid base64"),
        ({"body": "éé==", "isBase64Encoded": True}, 400, "Request body is not valid base64"),
        ({"body": base64.b64encode(b"\xff\xfe{}").decode(), "isBase64Encoded": True}, 400,
         "Request body is not valid UTF-8"),
        ({"body": '{"amount": "\ud800"}'}, 400, "Request body is not valid UTF-8"),
        ({"body": "{" + " " * 8192 + "}"}, 413, "Request body exceeds 8192 bytes"),
        ({"body": base64.b64encode(b" " * 8193).decode(), "isBase64Encoded": True}, 413,
         "Request body exceeds 8192 bytes"),
        ({"headers": {"Content-Type": "text/plain"}}, 415,
         "Unsupported Content-Type: use application/json"),
        ({"headers": {"content-type": "application/x-www-form-urlencoded"}}, 415,
         "Unsupported Content-Type: use application/json"),
        ({"headers": {"Content-Type": "application/json; charset=latin-1"}}, 415,
         "Unsupported charset: use utf-8"),
        ({"headers": {"Content-Type": 12}}, 400, "Content-Type header must be a string"),
    ],
)  # fmt: skip
def test_body_transport_errors(
    mod: ModuleType, event_overrides: dict[str, Any], status: int, message: str
) -> None:
    event = {**make_event("POST", "/payments", VALID), **event_overrides}
    assert call(mod, event) == (status, {"error": message})


def test_body_exactly_at_limit_passes_size_check(mod: ModuleType) -> None:
    raw = json.dumps(VALID)
    raw = raw[:-1] + " " * (8192 - len(raw)) + "}"
    assert len(raw.encode()) == 8192
    assert post(mod, raw)[0] == 201


# --------------------------------------------------------------------------- AWS failures


@pytest.mark.parametrize(
    ("target", "method", "code", "event"),
    [
        ("dynamodb", "put_item", "ProvisionedThroughputExceededException",
         make_event("POST", "/payments", VALID)),
        ("dynamodb", "put_item", "ThrottlingException", make_event("POST", "/payments", VALID)),
        ("dynamodb", "get_item", "RequestLimitExceeded", make_event("GET", "/payments/p1")),
        ("dynamodb", "query", "ThrottlingException", make_event("GET", "/customers/c/payments")),
        ("s3", "put_object", "SlowDown", make_event("POST", "/payments", VALID)),
    ],
)  # fmt: skip
def test_throttling_is_503(
    mod: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    target: str,
    method: str,
    code: str,
    event: dict[str, Any],
) -> None:
    client = mod._DYNAMODB.meta.client if target == "dynamodb" else mod._S3
    monkeypatch.setattr(client, method, raiser(client_error(code)))
    status, headers, body = invoke(mod, event)
    assert (status, body) == (503, {"error": "Service temporarily unavailable, retry later"})
    assert headers["Retry-After"] == "1"
    lines = log_lines(capsys)
    assert lines[0]["type"] == "throttled" and lines[0]["error_code"] == code
    assert "secret" not in json.dumps(lines)


def test_throttled_receipt_check_on_replay_is_503(mod: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    assert post(mod, VALID)[0] == 201
    monkeypatch.setattr(mod._S3, "head_object", raiser(client_error("SlowDown", "HeadObject", 503)))
    assert post(mod, VALID)[0] == 503


def test_forbidden_receipt_check_on_replay_is_500(mod: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    assert post(mod, VALID)[0] == 201
    monkeypatch.setattr(mod._S3, "head_object", raiser(client_error("403", "HeadObject", 403)))
    status, _, body = post(mod, VALID)
    assert (status, body) == (500, {"error": "Internal server error", "request_id": REQUEST_ID})


@pytest.mark.parametrize(
    ("exc", "error_type", "error_code"),
    [
        (RuntimeError("secret internals arn:aws:dynamodb:us-east-1:123:table/x"), "RuntimeError",
         None),
        (client_error("ValidationException", "GetItem"), "ClientError", "ValidationException"),
        (client_error("AccessDeniedException", "GetItem"), "ClientError", "AccessDeniedException"),
    ],
)  # fmt: skip
def test_unexpected_error_is_500_without_internals(
    mod: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    exc: Exception,
    error_type: str,
    error_code: str | None,
) -> None:
    monkeypatch.setattr(mod._DYNAMODB.meta.client, "get_item", raiser(exc))
    response = mod.handler(make_event("GET", "/payments/p1"), None)
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {
        "error": "Internal server error",
        "request_id": REQUEST_ID,
    }
    out = capsys.readouterr().out
    assert "secret" not in response["body"] and "secret" not in out
    assert "Traceback" not in out
    error_line, access_line = (json.loads(line) for line in out.splitlines())
    assert error_line == {
        "level": "ERROR",
        "type": "unhandled_error",
        "request_id": REQUEST_ID,
        "route": "/payments/{payment_id}",
        "error_type": error_type,
        "error_code": error_code,
    }
    assert access_line["status"] == 500


def test_unexpected_put_item_error_is_500(
    mod: ModuleType, aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        mod._DYNAMODB.meta.client,
        "put_item",
        raiser(client_error("ValidationException", "PutItem")),
    )
    assert post(mod, VALID)[0] == 500
    assert receipt_keys(aws) == []


class FakeContext:
    aws_request_id = "lambda-req-9"


@pytest.mark.parametrize(
    ("request_context", "context", "expected"),
    [
        ({"requestId": "apigw-1"}, FakeContext(), "apigw-1"),
        ({"requestId": ""}, FakeContext(), "lambda-req-9"),
        (None, FakeContext(), "lambda-req-9"),
        ("bogus", None, "unknown"),
        ({"requestId": 5}, SimpleNamespace(aws_request_id=None), "unknown"),
    ],
)
def test_request_id_fallbacks(
    mod: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    request_context: Any,
    context: Any,
    expected: str,
) -> None:
    monkeypatch.setattr(mod._DYNAMODB.meta.client, "get_item", raiser(RuntimeError("boom")))
    event = {**make_event("GET", "/payments/p1"), "requestContext": request_context}
    assert invoke(mod, event, context)[2] == {
        "error": "Internal server error",
        "request_id": expected,
    }


def test_request_id_for_non_dict_event(mod: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke(mod, ["x"], FakeContext())[0] == 400
    line = log_lines(capsys)[-1]
    assert {k: v for k, v in line.items() if k != "duration_ms"} == {
        "level": "INFO",
        "type": "access",
        "request_id": "lambda-req-9",
        "method": None,
        "route": "unmatched",
        "status": 400,
    }


# --------------------------------------------------------------------------- configuration


MISSING_TABLE = "missing environment variables: TABLE_NAME"


@pytest.mark.parametrize(
    ("env", "detail", "event"),
    [
        ({"TABLE_NAME": None}, MISSING_TABLE, make_event("GET", "/health")),
        ({"TABLE_NAME": None}, MISSING_TABLE, make_event("POST", "/payments", VALID)),
        ({"TABLE_NAME": None}, MISSING_TABLE, make_event("GET", "/payments/p1")),
        ({"TABLE_NAME": None}, MISSING_TABLE, make_event("GET", "/customers/c/payments")),
        ({"BUCKET_NAME": "  ", "REGION_ROLE": None},
         "missing environment variables: BUCKET_NAME, REGION_ROLE", make_event("GET", "/health")),
        ({"AWS_REGION": None}, "missing environment variables: AWS_REGION",
         make_event("POST", "/payments", VALID)),
        ({"REGION_ROLE": "tertiary"}, "REGION_ROLE must be one of: primary, secondary",
         make_event("GET", "/health")),
    ],
)  # fmt: skip
def test_missing_config_is_500(
    mod: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    env: dict[str, str | None],
    detail: str,
    event: dict[str, Any],
) -> None:
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name)
        else:
            monkeypatch.setenv(name, value)
    status, _, body = invoke(mod, event)
    assert (status, body) == (500, {"error": "Internal server error", "request_id": REQUEST_ID})
    config_line, access_line = log_lines(capsys)
    assert (config_line["type"], config_line["detail"]) == ("config_error", detail)
    assert access_line["status"] == 500


def test_import_without_region_does_not_crash(
    aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    module = load_handler()
    assert (module._DYNAMODB, module._S3) == (None, None)
    assert log_lines(capsys) == [
        {"level": "ERROR", "type": "client_init_failed", "error_type": "NoRegionError"}
    ]
    monkeypatch.setenv("AWS_REGION", REGION)
    status, _, body = invoke(module, make_event("GET", "/health"))
    assert (status, body) == (500, {"error": "Internal server error", "request_id": REQUEST_ID})
    assert log_lines(capsys)[0]["detail"] == "AWS clients could not be created at import (no region?)"


def test_loader_sets_and_unsets_environment(aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    module = load_handler(REGION_ROLE="secondary", TABLE_NAME=None)  # both were monkeypatched
    assert module is not aws.handler
    assert invoke(module, make_event("GET", "/health"))[0] == 500  # TABLE_NAME was unset
    monkeypatch.setenv("TABLE_NAME", TABLE)
    assert invoke(module, make_event("GET", "/health"))[2]["role"] == "secondary"


# --------------------------------------------------------------------------- transient means 503


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (client_error("InternalServerError", "GetItem", 500), "InternalServerError"),
        (client_error("ServiceUnavailable", "GetItem", 503), "ServiceUnavailable"),
        (client_error("RequestTimeoutException", "GetItem", 400), "RequestTimeoutException"),
        (client_error("SomethingNew", "GetItem", 502), "SomethingNew"),  # any 5xx from AWS
        (ReadTimeoutError(endpoint_url="https://secret.internal"), "ReadTimeoutError"),
        (ConnectTimeoutError(endpoint_url="https://secret.internal"), "ConnectTimeoutError"),
        (EndpointConnectionError(endpoint_url="https://secret.internal"), "EndpointConnectionError"),
        (ConnectionClosedError(endpoint_url="https://secret.internal"), "ConnectionClosedError"),
    ],
)
def test_a_transient_aws_failure_is_503_with_retry_after(
    mod: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    exc: Exception,
    code: str,
) -> None:
    """Not only throttling: AWS's own errors and timeouts say "retry", never "we broke"."""
    monkeypatch.setattr(mod._DYNAMODB.meta.client, "get_item", raiser(exc))
    status, headers, body = invoke(mod, make_event("GET", "/payments/p1"))
    assert (status, body) == (503, {"error": "Service temporarily unavailable, retry later"})
    assert headers["Retry-After"] == "1"
    line = log_lines(capsys)[0]
    assert (line["type"], line["error_code"]) == ("transient", code)
    assert "secret" not in json.dumps(line)


class _Context:
    """A Lambda context whose time left is ``remaining_ms``, one value per question."""

    aws_request_id = "ctx-1"

    def __init__(self, *remaining_ms: int) -> None:
        self.remaining = list(remaining_ms)

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining.pop(0) if len(self.remaining) > 1 else self.remaining[0]


def test_no_aws_call_starts_without_time_to_finish_it(
    mod: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call that could outlive the invocation is not started: a clean 503 beats a timeout."""
    calls: list[str] = []
    original = mod._DYNAMODB.meta.client.get_item
    monkeypatch.setattr(
        mod._DYNAMODB.meta.client, "get_item", lambda **kw: calls.append("get") or original(**kw)
    )
    response = mod.handler(make_event("GET", "/payments/p1"), _Context(3_000))
    assert response["statusCode"] == 503 and response["headers"]["Retry-After"] == "1"
    assert calls == []
    response = mod.handler(make_event("GET", "/payments/p1"), _Context(9_000))
    assert response["statusCode"] == 404 and calls == ["get"]


def test_a_payment_whose_receipt_has_no_time_left_is_healed_by_the_retry(
    mod: ModuleType, aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 9.9 s left for the table write; 4 s left when the receipt would be written
    response = mod.handler(make_event("POST", "/payments", VALID), _Context(9_900, 4_000))
    assert response["statusCode"] == 503  # stored, but no time to write the receipt safely
    assert aws.table.scan()["Count"] == 1 and receipt_keys(aws) == []
    status, _, body = post(mod, VALID)
    assert status == 200 and receipt(aws, "pay_001")[0] == body


# --------------------------------------------------------------------------- Idempotency-Key


def _keyed(mod: ModuleType, body: Any, key: Any) -> tuple[int, dict[str, str], Any]:
    return post(mod, body, headers={"Content-Type": "application/json", "Idempotency-Key": key})


def test_a_retried_post_with_the_same_idempotency_key_is_the_same_payment(
    mod: ModuleType, aws: SimpleNamespace
) -> None:
    body = {k: v for k, v in VALID.items() if k != "payment_id"}
    status, _, first = _keyed(mod, body, "order-7781-attempt")
    assert status == 201 and first["payment_id"].startswith("key-")
    status, _, again = _keyed(mod, body, "order-7781-attempt")
    assert (status, again) == (200, first)
    assert aws.table.scan()["Count"] == 1
    status, _, other = _keyed(mod, body, "order-7782-attempt")  # another key: another payment
    assert status == 201 and other["payment_id"] != first["payment_id"]


def test_the_same_idempotency_key_with_another_body_is_409(mod: ModuleType) -> None:
    body = {k: v for k, v in VALID.items() if k != "payment_id"}
    assert _keyed(mod, body, "order-7781-attempt")[0] == 201
    status, _, error = _keyed(mod, {**body, "amount": "99.00"}, "order-7781-attempt")
    assert (status, error) == (409, {"error": "payment_id already exists with a different request"})


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        (VALID, "order-7781-attempt", "Send either a payment_id or an Idempotency-Key header, not both"),
        ({k: v for k, v in VALID.items() if k != "payment_id"}, "short", "Idempotency-Key must be 8-128"),
        ({k: v for k, v in VALID.items() if k != "payment_id"}, "x" * 129, "Idempotency-Key must be 8-128"),
        (
            {k: v for k, v in VALID.items() if k != "payment_id"},
            "has space x",
            "Idempotency-Key must be 8-128",
        ),
        ([1, 2], "order-7781-attempt", "Request body must be a JSON object"),
    ],
)
def test_a_bad_idempotency_key_is_400(
    mod: ModuleType, aws: SimpleNamespace, body: Any, key: str, message: str
) -> None:
    status, _, error = _keyed(mod, body, key)
    assert status == 400 and error["error"].startswith(message)
    assert aws.table.scan()["Count"] == 0

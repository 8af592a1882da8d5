"""Structured logs: one access line per invocation, and never a payload or credential value.

Each generated request carries a random secret marker in every client-controlled value a log
line must not repeat (description, customer_id, payment_id, path ids, query values, and the
Authorization / x-api-key / Cookie headers), a distinctive amount, and sometimes an AWS
failure whose error message itself contains the marker (as real service messages can quote
request values). stdout is redirected inside the test body (``capsys`` is function-scoped and
does not mix with ``@given``).
"""

from __future__ import annotations

import io
import json
import string
from collections.abc import Iterator
from contextlib import redirect_stdout
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import hypothesis
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.test_handler import REGION, mocked_aws, raiser
from tests.unit.test_handler_hostile import ROUTES, event_for, hypothesis_settings, reset_storage

# Generated cases per run (hypothesis max_examples); each case invokes the handler twice.
LOG_EXAMPLES = 100

LOG_FIELDS = {  # every key each kind of line may carry: nothing else can slip in
    "access": {"level", "type", "request_id", "method", "route", "status", "duration_ms"},
    "throttled": {"level", "type", "request_id", "route", "error_code"},
    "transient": {"level", "type", "request_id", "route", "error_code"},
    "unhandled_error": {"level", "type", "request_id", "route", "error_type", "error_code"},
    "health_check_failed": {"level", "type", "request_id", "error_type"},
}
DYNAMODB_CALLS = ("put_item", "get_item", "query", "describe_table")
S3_CALLS = ("put_object", "head_object", "head_bucket")


@pytest.fixture(scope="module")
def aws() -> Iterator[SimpleNamespace]:
    with mocked_aws() as ns:
        yield ns


# --------------------------------------------------------------------------- strategies

# "Zq" + letters/digits: upper case, so it can never occur inside the lower-case request ids.
secrets = st.text(string.ascii_letters + string.digits, min_size=16, max_size=24).map(lambda s: "Zq" + s)
request_ids = st.text(string.ascii_lowercase + "-", min_size=1, max_size=36)
# >= 100000.00: a 9-character amount no duration_ms (milliseconds, 3 decimals) can contain
amounts = st.integers(10_000_000, 100_000_000).map(lambda cents: f"{cents // 100}.{cents % 100:02d}")


KINDS = ("create", "invalid-create", "malformed-json", "get", "list", "health", "unknown-path")


def payment_text(payment: dict[str, str]) -> str:
    """JSON for ``payment``; its amount is a ready JSON fragment (a number or a string)."""
    members = (f"{json.dumps(k)}: {v if k == 'amount' else json.dumps(v)}" for k, v in payment.items())
    return "{" + ", ".join(members) + "}"


@st.composite
def secret_requests(draw: st.DrawFn, secret: str, amount: str) -> tuple[dict[str, Any], str]:
    """(event, expected route template) for a request full of ``secret`` values."""
    kind = draw(st.sampled_from(KINDS))
    body = None
    if kind in ("create", "invalid-create"):
        payment = {
            "payment_id": f"{secret}-pay",
            "amount": draw(st.sampled_from([amount, json.dumps(amount)])),
            "currency": "EUR",
            "customer_id": f"{secret}-cust",
            "description": f"invoice {secret} {draw(st.text(max_size=10))}",
        }
        if kind == "invalid-create":  # one field invalid, or an unknown field named after the secret
            payment[draw(st.sampled_from(["currency", "customer_id", "payment_id", secret]))] = f"{secret} \n"
        body = payment_text(payment)
    elif kind == "malformed-json":
        body = f'{{"description": "{secret}", "amount": {amount}'
    stored_or_not = draw(st.sampled_from(["seed", "missing"]))
    method, path, route = {
        "create": ("POST", "/payments", "/payments"),
        "invalid-create": ("POST", "/payments", "/payments"),
        "malformed-json": ("POST", "/payments", "/payments"),
        "get": ("GET", f"/payments/{secret}-{stored_or_not}", "/payments/{payment_id}"),
        "list": ("GET", f"/customers/{secret}-cust/payments", "/customers/{customer_id}/payments"),
        "health": ("GET", "/health", "/health"),
        "unknown-path": (draw(st.sampled_from(["GET", "POST"])), f"/{secret}/payments", "unmatched"),
    }[kind]
    headers = {
        "Content-Type": "application/json",
        draw(st.sampled_from(["Authorization", "authorization"])): f"Bearer {secret}",
        draw(st.sampled_from(["x-api-key", "X-Api-Key"])): secret,
        "Cookie": f"session={secret}",
    }
    query = draw(st.sampled_from([None, {"limit": secret}, {"limit": "5", "q": secret}]))
    event = event_for(method, path, body=body, headers=headers, query=query)
    event["requestContext"] = {"requestId": draw(request_ids)}
    return event, route


faults = st.one_of(
    st.none(),
    st.tuples(
        st.sampled_from(["dynamodb", "s3"]),
        st.sampled_from(
            ["ThrottlingException", "SlowDown", "ValidationException", "AccessDenied", "crash", "connection"]
        ),
    ),
)


# --------------------------------------------------------------------------- helpers


def seed_payment(aws: SimpleNamespace, secret: str, amount: str) -> None:
    """A stored payment full of secrets, for the read routes to return."""
    aws.table.put_item(
        Item={
            "payment_id": f"{secret}-seed",
            "customer_id": f"{secret}-cust",
            "amount": Decimal(amount),
            "currency": "EUR",
            "description": f"invoice {secret}",
            "status": "ACCEPTED",
            "created_at": "2026-01-02T03:04:05.000000Z",
            "region": REGION,
            "request_fingerprint": "0" * 64,
        }
    )


def aws_failure(kind: str, secret: str) -> Exception:
    """An SDK failure whose message, URL or text quotes the secret."""
    if kind == "crash":
        return RuntimeError(f"unexpected {secret}")
    if kind == "connection":
        return EndpointConnectionError(endpoint_url=f"https://{secret}.internal")
    error = {"Code": kind, "Message": f"Item {{payment_id: {secret}}} rejected"}
    return ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}, "PutItem")


def failing(aws: SimpleNamespace, patch: pytest.MonkeyPatch, fault: tuple[str, str], secret: str) -> None:
    """Make every call the handler makes to one service raise ``aws_failure``."""
    service, kind = fault
    client = aws.handler._DYNAMODB.meta.client if service == "dynamodb" else aws.handler._S3
    for name in DYNAMODB_CALLS if service == "dynamodb" else S3_CALLS:
        patch.setattr(client, name, raiser(aws_failure(kind, secret)))


def logged_call(aws: SimpleNamespace, event: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Invoke the handler; return its response and the log lines it printed."""
    out = io.StringIO()
    with redirect_stdout(out):
        response = aws.handler.handler(event, None)
    return response, out.getvalue().splitlines()


def assert_log_contract(
    event: dict[str, Any], route: str, response: dict[str, Any], lines: list[str]
) -> None:
    """JSON lines of known shape, exactly one access line (last), describing this request."""
    records = [json.loads(line) for line in lines]
    for record in records:
        assert set(record) <= LOG_FIELDS[record["type"]], record
        assert set(record) >= {"level", "type"} and record["level"] in ("INFO", "WARN", "ERROR")
    access = [record for record in records if record["type"] == "access"]
    assert len(access) == 1 and records[-1] is access[0], lines
    line = access[0]
    assert set(line) == LOG_FIELDS["access"]
    assert line["route"] in ROUTES
    assert (line["request_id"], line["method"], line["route"], line["status"]) == (
        event["requestContext"]["requestId"],
        event["httpMethod"],
        route,
        response["statusCode"],
    )
    duration = line["duration_ms"]
    assert isinstance(duration, int | float) and not isinstance(duration, bool) and duration >= 0


def assert_never_logged(lines: list[str], *values: str) -> None:
    for line in lines:
        for value in values:
            assert value not in line, f"{value!r} logged in {line}"


# --------------------------------------------------------------------------- properties


@hypothesis_settings(LOG_EXAMPLES)
@given(secret=secrets, amount=amounts, fault=faults, data=st.data())
def test_one_access_line_per_invocation_and_no_payload_or_credential_is_logged(
    aws: SimpleNamespace, secret: str, amount: str, fault: tuple[str, str] | None, data: st.DataObject
) -> None:
    reset_storage(aws)
    seed_payment(aws, secret, amount)
    proxy_event, route = data.draw(secret_requests(secret, amount))
    with pytest.MonkeyPatch.context() as patch:
        if fault is not None:
            failing(aws, patch, fault, secret)
        invocations = [logged_call(aws, proxy_event), logged_call(aws, proxy_event)]  # 2nd: a replay
    hypothesis.event(f"{route}, fault {fault and fault[1]}: {invocations[0][0]['statusCode']}")
    for response, lines in invocations:
        assert_log_contract(proxy_event, route, response, lines)
        assert_never_logged(lines, secret, amount)
        if response["statusCode"] >= 500:  # AWS error text never reaches the client either
            assert secret not in response["body"]

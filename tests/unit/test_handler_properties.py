"""Property tests for the payments handler: amount validation and hostile input never 5xx."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_handler import make_event, mocked_aws

PROPERTY_SETTINGS = settings(max_examples=30, deadline=None, database=None)
CHEAP_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=100)  # no AWS calls on these paths
MAX_CENTS = 100_000_000  # 1,000,000.00
AMOUNT_STRING = re.compile(r"[0-9]+(\.[0-9]+)?")


@pytest.fixture(scope="module")
def aws() -> Iterator[SimpleNamespace]:
    """One mock + handler for the module (function-scoped fixtures do not mix with @given)."""
    with mocked_aws() as ns:
        yield ns


def call(aws: SimpleNamespace, event: Any) -> tuple[int, Any]:
    response = aws.handler.handler(event, None)
    return response["statusCode"], json.loads(response["body"])


def payment_body(amount_json: str) -> str:
    return f'{{"amount": {amount_json}, "currency": "EUR", "customer_id": "prop-customer"}}'


def is_valid_amount(value: Decimal) -> bool:
    return value.is_finite() and 0 < value <= MAX_CENTS / 100 and value == value.quantize(Decimal("0.01"))


@st.composite
def valid_amounts(draw: st.DrawFn) -> tuple[str, str]:
    """(JSON fragment for a valid amount in one of its accepted spellings, expected string)."""
    value = Decimal(draw(st.integers(min_value=1, max_value=MAX_CENTS))).scaleb(-2)
    spelling = draw(
        st.sampled_from(
            [
                f"{value:.2f}",
                f"{value:.{2 + draw(st.integers(1, 6))}f}",
                format(value.normalize(), "f"),
            ]
        )
    )
    if draw(st.booleans()):
        spelling = json.dumps("0" * draw(st.integers(0, 3)) + spelling)
    return spelling, f"{value:.2f}"


@PROPERTY_SETTINGS
@given(valid_amounts())
def test_valid_amounts_round_trip_quantized(aws: SimpleNamespace, case: tuple[str, str]) -> None:
    amount_json, expected = case
    status, body = call(aws, make_event("POST", "/payments", payment_body(amount_json)))
    assert (status, body["amount"]) == (201, expected)
    item = aws.table.get_item(Key={"payment_id": body["payment_id"]})["Item"]
    assert item["amount"] == Decimal(expected)
    assert str(item["amount"].quantize(Decimal("0.01"))) == expected


invalid_decimals = st.decimals(allow_nan=True, allow_infinity=True).filter(lambda d: not is_valid_amount(d))
invalid_amount_json = st.one_of(
    invalid_decimals.map(str),  # JSON numbers, incl. NaN/Infinity/exponent spellings
    invalid_decimals.map(lambda d: json.dumps(str(d))),  # the same as strings
    st.text(max_size=30)
    .filter(lambda s: not AMOUNT_STRING.fullmatch(s) or not is_valid_amount(Decimal(s)))
    .map(json.dumps),
    st.floats(allow_nan=False, allow_infinity=False)
    .filter(lambda f: not is_valid_amount(Decimal(repr(f))))
    .map(repr),
    st.sampled_from(["true", "false", "null", "[]", "{}", "[1]", '{"value": 1}', '"1e3"']),
)


@CHEAP_SETTINGS
@given(invalid_amount_json)
def test_invalid_amounts_are_always_400(aws: SimpleNamespace, amount_json: str) -> None:
    status, body = call(aws, make_event("POST", "/payments", payment_body(amount_json)))
    assert status == 400, (amount_json, body)
    assert body["error"].startswith(("amount", "Invalid JSON"))


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
event_values = st.one_of(
    json_scalars,
    st.lists(json_scalars, max_size=3),
    st.dictionaries(st.text(max_size=15), json_scalars, max_size=3),
)


@CHEAP_SETTINGS
@given(
    method=st.one_of(st.sampled_from(["GET", "POST", "PUT", "DELETE"]), event_values),
    path=st.one_of(
        st.sampled_from(["/payments", "/payments/", "/payments/x", "/health", "/customers/c/payments"]),
        event_values,
    ),
    body=st.one_of(st.text(max_size=200), event_values),
    b64=st.one_of(st.booleans(), event_values),
    headers=st.one_of(st.just({"Content-Type": "application/json"}), event_values),
    query=event_values,
)
def test_hostile_events_never_5xx(aws: SimpleNamespace, **fields: Any) -> None:
    event = {
        "httpMethod": fields["method"],
        "path": fields["path"],
        "body": fields["body"],
        "isBase64Encoded": fields["b64"],
        "headers": fields["headers"],
        "queryStringParameters": fields["query"],
    }
    status, body = call(aws, event)
    assert status in (200, 201, 400, 404, 405, 413, 415), (event, body)
    assert isinstance(body, dict)
    if status >= 400:
        assert set(body) == {"error"} and body["error"]


@CHEAP_SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_base64_bodies_never_5xx(aws: SimpleNamespace, raw: bytes) -> None:
    event = make_event("POST", "/payments", base64.b64encode(raw).decode(), b64=False)
    event["isBase64Encoded"] = True
    status, body = call(aws, event)
    assert status == 400, body

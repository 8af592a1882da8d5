"""Hostile client input: generated and hand-picked requests never crash, 5xx, leak or store.

Every request here goes through ``send_client_request``, which checks what the handler
promises for anything a client can send:

* it returns (never raises) and answers with a client status, never >= 500;
* the answer (body and headers) echoes no internals: no trace text, file paths, SDK or
  exception class names, table/bucket/index names, unless the client itself sent that text;
* the answer is valid Unicode (no lone surrogates) and an error body is ``{"error": <message>}``;
* after a 4xx the table items and the receipt objects are exactly what they were before;
* it logs exactly one access line, with the status and a route template (never the raw path).

The other handler property modules (idempotency, logging) import these helpers.
"""

from __future__ import annotations

import base64
import io
import json
import string
import sys
from collections.abc import Iterator
from contextlib import redirect_stdout, suppress
from types import SimpleNamespace
from typing import Any

import hypothesis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.s3.models import s3_backends

from cli.handler_loader import MODULE_NAME
from lib.api_contract import CONTRACT
from tests.unit.test_handler import (
    BUCKET,
    GSI,
    REGION,
    TABLE,
    VALID,
    create_resources,
    make_event,
    mocked_aws,
)

# Generated handler cases per run (hypothesis max_examples), one handler call each.
BODY_EXAMPLES = 150
NEAR_VALID_EXAMPLES = 120
ROUTE_EXAMPLES = 150
MALFORMED_EVENT_EXAMPLES = 150

MAX_BODY = CONTRACT["max_body_bytes"]
MIB = 1024 * 1024
CLIENT_STATUSES = frozenset({200, 201, 400, 404, 405, 409, 413, 415})
ROUTES = (*dict.fromkeys(route["path"] for route in CONTRACT["routes"]), "unmatched")
INTERNALS = (
    "Traceback",
    'File "',
    ".py",
    "/var/task",
    "/var/runtime",
    "/opt/",
    "site-packages",
    "lib/lambda",
    MODULE_NAME,
    "Error",  # ClientError, RecursionError, UnicodeDecodeError, JSONDecodeError, ...
    "Exception",  # ConditionalCheckFailedException, ...
    "boto",
    "Boto",
    "moto",
    "Decimal",
    "request_fingerprint",
    "arn:aws",
    "amazonaws",
    TABLE,
    BUCKET,
    GSI,
)
HUGE_INTEGER = "1" + "0" * 5000  # 10**5000: past Python's int <-> str digit limit (4300)
ARABIC_123 = "\u0661\u0662\u0663"  # Arabic-Indic digits: \d and str.isdigit() accept them
KELVIN = "\u212a"  # KELVIN SIGN: a case-insensitive [a-z] matches it


def fullwidth(text: str) -> str:
    """The full-width twins (U+FF01..U+FF5E) of ASCII text: they look like ASCII, they are not."""
    return "".join(chr(ord(char) + 0xFEE0) for char in text)


def hypothesis_settings(max_examples: int) -> settings:
    return settings(max_examples=max_examples, deadline=None, database=None)


@pytest.fixture(scope="module")
def aws() -> Iterator[SimpleNamespace]:
    """One mock + handler for the module (function-scoped fixtures do not mix with @given)."""
    with mocked_aws() as ns:
        yield ns


@pytest.fixture
def fresh(aws: SimpleNamespace) -> SimpleNamespace:
    """Empty table and bucket, for the hand-picked (non-hypothesis) cases."""
    reset_storage(aws)
    return aws


# --------------------------------------------------------------------------- invariants


def reset_storage(aws: SimpleNamespace) -> None:
    aws.mock.reset()
    create_resources(aws.dynamodb, aws.s3)


def stored_state() -> tuple[list[str], list[tuple[str, str]]]:
    """Every table item (as JSON) and every receipt object (key, ETag) in moto's backends.

    Read straight from the backends: a scan + list round trip per check would triple the
    cost of every generated case. ``test_stored_state_is_what_the_api_shows`` ties the two.
    """
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(TABLE)
    bucket = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].get_bucket(BUCKET)
    items = sorted(json.dumps(item.to_json()["Attributes"], sort_keys=True) for item in table.all_items())
    return items, sorted((name, obj.etag) for name, obj in bucket.keys.items())


def api_state(aws: SimpleNamespace) -> tuple[list[str], list[tuple[str, str]]]:
    """The same view through the AWS API (slow; used to check ``stored_state``)."""
    items = aws.dynamodb.scan(TableName=TABLE, ConsistentRead=True)["Items"]
    objects = aws.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return (
        sorted(json.dumps(item, sort_keys=True) for item in items),
        sorted((obj["Key"], obj["ETag"]) for obj in objects),
    )


def client_text(event: Any) -> str:
    """Everything the client sent, raw and decoded: echoing that back is not a leak."""
    parts = [repr(event)]
    body = event.get("body") if isinstance(event, dict) else None
    if isinstance(body, str):
        raw = body.encode("utf-8", "surrogatepass")
        if event.get("isBase64Encoded"):
            with suppress(ValueError):
                raw = base64.b64decode(body, validate=True)
        text = raw.decode("utf-8", "replace")
        parts.append(text)
        with suppress(ValueError, RecursionError):
            parts.append(repr(json.loads(text)))
    return "\n".join(parts)


def leaked_internals(response: dict[str, Any], event: Any) -> list[str]:
    shown = response["body"] + "".join(f"\n{name}: {value}" for name, value in response["headers"].items())
    sent = client_text(event)
    return [token for token in INTERNALS if token in shown and token not in sent]


def send_client_request(aws: SimpleNamespace, event: Any) -> tuple[int, dict[str, Any]]:
    """Call the handler with client input, check the invariants, return (status, body)."""
    before = stored_state()
    log = io.StringIO()
    with redirect_stdout(log):
        response = aws.handler.handler(event, None)
    status = response["statusCode"]
    access = [line for line in map(json.loads, log.getvalue().splitlines()) if line["type"] == "access"]
    assert len(access) == 1 and access[0]["status"] == status and access[0]["route"] in ROUTES, access
    assert status in CLIENT_STATUSES, (status, response["body"][:500])
    assert response["headers"]["Content-Type"] == "application/json"
    body = json.loads(response["body"])
    assert isinstance(body, dict)
    json.dumps(body, ensure_ascii=False).encode("utf-8")  # no lone surrogates: valid Unicode only
    assert not leaked_internals(response, event), (leaked_internals(response, event), response["body"][:500])
    if status >= 400:
        assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"], body
        assert stored_state() == before, f"a {status} answer changed what is stored"
    return status, body


def post_event(body: str | None, *, b64: bool = False, headers: Any = None) -> dict[str, Any]:
    """A POST /payments proxy event carrying ``body`` verbatim (base64-encoded when ``b64``)."""
    if b64 and body is not None:
        body = base64.b64encode(body.encode("utf-8", "surrogatepass")).decode("ascii")
    return event_for("POST", "/payments", body=body, b64=b64, headers=headers)


def event_for(
    method: Any, path: Any, *, body: Any = None, b64: Any = False, headers: Any = None, query: Any = None
) -> dict[str, Any]:
    """``make_event``'s proxy event, with the body and flag exactly as given (never encoded)."""
    event = make_event(method, path, headers=headers, query=query)
    return {**event, "body": body, "isBase64Encoded": b64, "requestContext": {"requestId": "hostile-req"}}


def payment_json(**fragments: str) -> str:
    """A payment body whose fields are raw JSON fragments (so numbers are never re-spelled)."""
    fields = {"payment_id": '"pay_x"', "amount": '"10.50"', "currency": '"EUR"', "customer_id": '"cust-1"'}
    fields.update(fragments)
    return "{" + ", ".join(f"{json.dumps(name)}: {value}" for name, value in fields.items()) + "}"


def padded_to(size: int, filler: str = " ") -> str:
    """A valid payment whose description is padded so the body is at least ``size`` bytes."""
    head = json.dumps(VALID)[:-1] + ', "description": "'
    missing = size - len(head.encode()) - len(b'"}')
    return head + filler * (-(-missing // len(filler.encode()))) + '"}'


# --------------------------------------------------------------------------- strategies

# Any code point, including controls, NUL, lone surrogates, non-characters and non-BMP.
any_text = st.text(st.characters(exclude_categories=()), max_size=30)
AWKWARD = ("\x00", "\x1f", "\x7f", "\n", "\r\n", "\t", "\u2028", "\ud800", "\udfff", "\ufeff", "\u202e",
           KELVIN, "😀", "é", ARABIC_123[0], fullwidth("%"), '"', "\\", "/", "..", "%00", " ")  # fmt: skip
awkward_text = st.lists(st.one_of(st.sampled_from(AWKWARD), any_text), max_size=5).map("".join)
ids = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=12)
# Valid values with one awkward character glued on: catches `$`-anchored or \d / \w patterns.
almost_valid = st.tuples(
    st.sampled_from(["EUR", "cust-1", "pay_1", "10.50", "20"]),
    st.sampled_from(AWKWARD),
    st.booleans(),
).map(lambda t: t[1] + t[0] if t[2] else t[0] + t[1])

number_fragments = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.decimals(-(10**7), 10**7, allow_nan=False, allow_infinity=False).map(str),  # 1E+2 forms too
    st.decimals(-(10**7), 10**7, allow_nan=False, allow_infinity=False).map(lambda d: f"{d:f}"),
    st.integers(4000, 8000).map(lambda digits: "9" * digits),
    st.sampled_from([
        "NaN", "Infinity", "-Infinity", "1e400", "-1E-400", "1E+400", HUGE_INTEGER, "-" + HUGE_INTEGER,
        "0." + "0" * 5000 + "1", "10.5" + "0" * 5000, "10.50000000000000000000000000000000000001",
        "-0", "-0.0", "00", "01", ".5", "5.", "+5", "0x10", "1_000",
    ]),
)  # fmt: skip
json_strings = st.one_of(
    any_text.map(json.dumps),  # escaped: lone surrogates arrive as \udXXX escapes
    any_text.map(lambda s: f'"{s}"'),  # raw: controls, NUL and surrogates inside the quotes
    almost_valid.map(json.dumps),
)
json_scalars = st.one_of(number_fragments, st.sampled_from(["true", "false", "null"]), json_strings)
field_names = st.one_of(
    st.sampled_from(["payment_id", "amount", "currency", "customer_id", "description"]), any_text
)
json_documents = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]"),
        st.lists(st.tuples(field_names.map(json.dumps), inner), max_size=5).map(
            lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"
        ),
    ),
    max_leaves=10,
)


@st.composite
def near_valid_payments(draw: st.DrawFn) -> str:
    """A valid payment with up to two fields replaced by hostile values, dropped or repeated."""
    pairs = [
        ("payment_id", json.dumps(draw(ids))),
        ("amount", draw(st.sampled_from(['"10.50"', "10.5", "7", '"0.01"']))),
        ("currency", '"EUR"'),
        ("customer_id", json.dumps(draw(ids))),
        ("description", json.dumps(draw(awkward_text))),  # valid JSON, maybe lone surrogates
    ]
    for index in draw(st.lists(st.integers(0, len(pairs) - 1), max_size=2, unique=True)):
        name, _ = pairs[index]
        action = draw(st.sampled_from(["replace", "drop", "repeat"]))
        if action == "replace":
            pairs[index] = (name, draw(json_scalars))
        elif action == "drop":
            pairs[index] = ("", "")
        else:
            pairs.append((name, draw(json_scalars)))
    if draw(st.booleans()):
        pairs.append((draw(field_names), draw(json_scalars)))
    pairs = draw(st.permutations([pair for pair in pairs if pair[0]]))
    return "{" + ", ".join(f"{json.dumps(name)}: {value}" for name, value in pairs) + "}"


@st.composite
def deep_nesting(draw: st.DrawFn) -> str:
    depth = draw(st.one_of(st.integers(900, 3000), st.integers(3000, 20_000), st.just(100_000)))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ('{"amount":[', "]}")]))
    return opener * depth + ("0" + closer * depth if draw(st.booleans()) else "")


@st.composite
def oversized(draw: st.DrawFn) -> str:
    size = draw(st.one_of(st.integers(MAX_BODY + 1, MAX_BODY + 8), st.just(MIB)))
    return padded_to(size, draw(st.sampled_from([" ", "é", "😀", "x"])))


@st.composite
def corrupted_base64(draw: st.DrawFn, text: str) -> str:
    encoded = base64.b64encode(text.encode("utf-8", "surrogatepass")).decode("ascii")
    position = draw(st.integers(0, len(encoded)))
    damage = draw(st.sampled_from(["!", "=", "\n", " ", "é", "\ud800", "-", "_", "drop-last"]))
    if damage == "drop-last":
        return encoded[:-1]
    return encoded[:position] + damage + encoded[position:]


content_types = st.one_of(
    st.sampled_from([
        "application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "text/plain",
        "application/json; charset=latin-1", "application/json\x00", "application/json\r\nX-Evil: 1",
        "", "application/json;charset", "application/jsonp",
    ]),
    awkward_text,
)  # fmt: skip
header_names = st.sampled_from(["Content-Type", "content-type", "Authorization", "X-Api-Key", "Cookie"])
headers = st.one_of(
    st.just({"Content-Type": "application/json"}),
    st.none(),
    st.dictionaries(header_names, st.one_of(content_types, awkward_text), max_size=3),
)


@st.composite
def hostile_post_events(draw: st.DrawFn) -> dict[str, Any]:
    """POST /payments with a generated body sent plain, base64-encoded or as broken base64."""
    text = draw(st.one_of(any_text, json_documents, near_valid_payments(), deep_nesting(), oversized()))
    transport = draw(st.sampled_from(["plain", "base64", "broken-base64", "raw-bytes"]))
    event = post_event(text, b64=transport == "base64", headers=draw(headers))
    if transport == "broken-base64":
        event.update(body=draw(corrupted_base64(text)), isBase64Encoded=True)
    elif transport == "raw-bytes":  # arbitrary bytes, mostly not UTF-8
        raw = draw(st.binary(max_size=200))
        event.update(body=base64.b64encode(raw).decode("ascii"), isBase64Encoded=True)
    return event


methods = st.one_of(
    st.sampled_from(
        ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "get", "GET\x00", "G\u0395T"]
    ),
    awkward_text,
)
path_segments = st.one_of(ids, awkward_text, almost_valid, st.integers(65, 300).map(lambda n: "a" * n))
paths = st.one_of(
    path_segments.map(lambda segment: f"/payments/{segment}"),
    path_segments.map(lambda segment: f"/customers/{segment}/payments"),
    st.sampled_from([
        "/payments", "/payments/", "/health", "/health/", "/", "", "//", "/payments//",
        "/paymentś", "/héalth", "/health\x00", "/health\n", "/payments/a/b", "/customers//payments",
        "/../health", "/health\u200b", "/" + fullwidth("payments"), "/payments/" + KELVIN,
    ]),
    awkward_text,
    awkward_text.map(lambda text: "/" + text),
)  # fmt: skip
limits = st.one_of(
    st.sampled_from(["1", "20", "100", "0", "101", "5\n", "5\x00", " 5", "+5", "1e1", "-1", ""]),
    st.sampled_from([ARABIC_123, ARABIC_123[:2], fullwidth("10"), fullwidth("5")]),
    st.just("9" * 5000),
    awkward_text,
    st.integers(),
    st.none(),
    st.lists(st.text(max_size=3), max_size=2),
)
queries = st.one_of(
    st.none(),
    st.fixed_dictionaries({"limit": limits}),
    st.dictionaries(awkward_text, st.one_of(awkward_text, st.none()), max_size=3),
)
route_bodies = st.one_of(st.none(), st.just(json.dumps(VALID)), any_text)


routed = st.one_of(  # mostly the right method for a route-shaped path, so handlers are reached
    st.tuples(st.just("GET"), path_segments.map(lambda segment: f"/payments/{segment}")),
    st.tuples(st.just("GET"), path_segments.map(lambda segment: f"/customers/{segment}/payments")),
    st.tuples(st.just("GET"), st.sampled_from(["/health", "/health/", "/health//", "/health\n"])),
    st.tuples(st.just("POST"), st.sampled_from(["/payments", "/payments/", "/payments\x00"])),
    st.tuples(methods, paths),
)


@st.composite
def hostile_route_events(draw: st.DrawFn) -> dict[str, Any]:
    method, path = draw(routed)
    return event_for(method, path, body=draw(route_bodies), headers=draw(headers), query=draw(queries))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), any_text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(any_text, inner, max_size=3)),
    max_leaves=6,
)
malformed_events = st.one_of(
    json_values,  # mostly not an object at all
    st.fixed_dictionaries(
        {},
        optional={
            "httpMethod": st.one_of(methods, json_values),
            "path": st.one_of(paths, json_values),
            "headers": st.one_of(headers, json_values),
            "queryStringParameters": st.one_of(queries, json_values),
            "body": st.one_of(route_bodies, json_values),
            "isBase64Encoded": st.one_of(st.booleans(), st.none(), json_values),
            "requestContext": st.one_of(st.fixed_dictionaries({"requestId": json_values}), json_values),
        },
    ),
)


def test_stored_state_is_what_the_api_shows(fresh: SimpleNamespace) -> None:
    assert stored_state() == api_state(fresh) == ([], [])
    for payment_id in ("a", "b"):
        assert (
            send_client_request(fresh, post_event(payment_json(payment_id=json.dumps(payment_id))))[0] == 201
        )
    items, receipts = stored_state()
    assert (items, receipts) == api_state(fresh)
    assert len(items) == 2 and [key for key, _ in receipts] == ["receipts/a.json", "receipts/b.json"]


# --------------------------------------------------------------------------- properties


@hypothesis_settings(BODY_EXAMPLES)
@given(hostile_post_events())
def test_generated_payment_bodies_never_fail_leak_or_store_when_rejected(
    aws: SimpleNamespace, proxy_event: dict[str, Any]
) -> None:
    status, _ = send_client_request(aws, proxy_event)
    hypothesis.event(f"status {status}")


@hypothesis_settings(NEAR_VALID_EXAMPLES)
@given(body=near_valid_payments(), b64=st.booleans())
def test_generated_near_valid_payments_never_fail_leak_or_store_when_rejected(
    aws: SimpleNamespace, body: str, b64: bool
) -> None:
    status, _ = send_client_request(aws, post_event(body, b64=b64))
    hypothesis.event(f"status {status}")


@hypothesis_settings(ROUTE_EXAMPLES)
@given(hostile_route_events())
def test_generated_methods_paths_queries_and_headers_never_fail_or_leak(
    aws: SimpleNamespace, proxy_event: dict[str, Any]
) -> None:
    status, _ = send_client_request(aws, proxy_event)
    hypothesis.event(f"status {status}")


@hypothesis_settings(MALFORMED_EVENT_EXAMPLES)
@given(malformed_events)
def test_generated_malformed_events_never_fail_or_leak(aws: SimpleNamespace, proxy_event: Any) -> None:
    status, _ = send_client_request(aws, proxy_event)
    hypothesis.event(f"status {status}")


# --------------------------------------------------------------------------- hand-picked cases

TOO_BIG = "Request body exceeds 8192 bytes"
TOO_DEEP = "Invalid JSON: nesting too deep"
NOT_UTF8 = "Request body is not valid UTF-8"
NOT_BASE64 = "Request body is not valid base64"
EXPONENT = "Invalid JSON: numbers in exponent notation are not allowed"
TOO_MUCH = "amount must not exceed 1000000"
TWO_PLACES = "amount must have at most 2 decimal places"
AMOUNT_FORMAT = 'amount string must be digits with an optional fraction, e.g. "10.50"'
PAYMENT_ID = "payment_id must be 1-64 characters of A-Z, a-z, 0-9, _ or -"
CUSTOMER_ID = "customer_id must be 1-128 characters of A-Z, a-z, 0-9, _ or -"
CURRENCY = "currency must be a 3-letter uppercase ISO 4217 code, e.g. EUR"
MEDIA_TYPE = "Unsupported Content-Type: use application/json"
LIMIT = "limit must be an integer between 1 and 100"
NESTED_100K = {
    "arrays": "[" * 100_000 + "]" * 100_000,
    "objects": '{"a":' * 100_000 + "0" + "}" * 100_000,
    "mixed": '{"a":[' * 50_000 + "]}" * 50_000,
}


def b64_bytes(raw: bytes) -> dict[str, Any]:
    return {"body": base64.b64encode(raw).decode("ascii"), "isBase64Encoded": True}


def b64_text(text: str) -> dict[str, Any]:
    return {"body": text, "isBase64Encoded": True}


@pytest.mark.parametrize(
    ("event", "status", "message"),
    [
        pytest.param(post_event(padded_to(MAX_BODY + 1)), 413, TOO_BIG, id="one-byte-over"),
        pytest.param(post_event(padded_to(MAX_BODY + 1, "é")), 413, TOO_BIG, id="limit-counts-bytes"),
        pytest.param(post_event(padded_to(MIB)), 413, TOO_BIG, id="1MiB"),
        pytest.param(post_event(padded_to(MIB), b64=True), 413, TOO_BIG, id="1MiB-base64"),
        pytest.param(post_event(NESTED_100K["arrays"]), 413, TOO_BIG, id="100k-arrays"),
        pytest.param(post_event(NESTED_100K["objects"]), 413, TOO_BIG, id="100k-objects"),
        pytest.param(post_event("[" * 4096 + "]" * 4096), 400, TOO_DEEP, id="4k-arrays"),
        pytest.param(post_event('{"a":' * 1365 + "0" + "}" * 1365), 400, TOO_DEEP, id="1.3k-objects"),
        pytest.param(post_event("[" * MAX_BODY), 400, TOO_DEEP, id="8k-unclosed-arrays"),
        pytest.param(
            post_event('{"amount":' + "[" * 4000 + "]" * 4000 + "}"), 400, TOO_DEEP, id="deep-amount"
        ),
    ],
)
def test_oversized_and_deeply_nested_bodies_are_4xx(
    fresh: SimpleNamespace, event: dict[str, Any], status: int, message: str
) -> None:
    assert send_client_request(fresh, event) == (status, {"error": message})


@pytest.mark.parametrize("shape", sorted(NESTED_100K))
def test_100k_nesting_is_400_even_past_the_size_limit(fresh: SimpleNamespace, shape: str) -> None:
    """The parser itself turns RecursionError into a 400; the size limit is not what saves it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fresh.handler, "MAX_BODY_BYTES", 2 * MIB)
        assert send_client_request(fresh, post_event(NESTED_100K[shape])) == (400, {"error": TOO_DEEP})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param(b64_bytes(b"\xff\xfe{}"), NOT_UTF8, id="utf16-bom"),
        pytest.param(b64_bytes(b'{"description": "caf\xe9"}'), NOT_UTF8, id="latin-1"),
        pytest.param(b64_bytes(b'{"a": "\xc0\xaf"}'), NOT_UTF8, id="overlong"),
        pytest.param(b64_bytes(b'{"a": "\xed\xa0\x80"}'), NOT_UTF8, id="encoded-surrogate"),
        pytest.param(b64_bytes(b'{"a": "\xe2\x82"}'), NOT_UTF8, id="truncated-sequence"),
        pytest.param(b64_bytes(b"\x80"), NOT_UTF8, id="lone-continuation"),
        pytest.param({"body": payment_json(description='"\ud800"')}, NOT_UTF8, id="str-high-surrogate"),
        pytest.param({"body": "\udfff"}, NOT_UTF8, id="str-low-surrogate"),
        pytest.param(b64_text("!!!!"), NOT_BASE64, id="not-alphabet"),
        pytest.param(b64_text("e30"), NOT_BASE64, id="missing-padding"),
        pytest.param(b64_text("e30=="), NOT_BASE64, id="extra-padding"),
        pytest.param(b64_text("e3 0="), NOT_BASE64, id="inner-space"),
        pytest.param(b64_text("e30=\n"), NOT_BASE64, id="trailing-newline"),
        pytest.param(b64_text("e30-_w=="), NOT_BASE64, id="urlsafe-alphabet"),
        pytest.param(b64_text("ééé="), NOT_BASE64, id="non-ascii"),
        pytest.param(b64_text("\ud800e30="), NOT_BASE64, id="surrogate"),
    ],
)
def test_undecodable_bodies_are_400(fresh: SimpleNamespace, overrides: dict[str, Any], message: str) -> None:
    event = {**post_event(payment_json()), **overrides}
    assert send_client_request(fresh, event) == (400, {"error": message})


def test_integer_past_pythons_digit_limit_is_a_400_not_a_crash(fresh: SimpleNamespace) -> None:
    assert len(HUGE_INTEGER) > sys.get_int_max_str_digits()  # plain json.loads raises on it:
    with pytest.raises(ValueError, match="digits"):
        json.loads(HUGE_INTEGER)
    event = post_event(payment_json(amount=HUGE_INTEGER))
    assert send_client_request(fresh, event) == (400, {"error": TOO_MUCH})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(payment_json(amount="1e400"), EXPONENT, id="1e400"),
        pytest.param(payment_json(amount="-1E-400"), EXPONENT, id="-1E-400"),
        pytest.param(
            payment_json(amount="-" + HUGE_INTEGER), "amount must be greater than 0", id="-10**5000"
        ),
        pytest.param(payment_json(amount=json.dumps(HUGE_INTEGER)), TOO_MUCH, id="10**5000-string"),
        pytest.param(payment_json(amount="0." + "0" * 5000 + "1"), TWO_PLACES, id="5000-places"),
        pytest.param(payment_json(currency=HUGE_INTEGER), CURRENCY, id="huge-currency"),
        pytest.param(payment_json(payment_id=HUGE_INTEGER), "payment_id must be a string", id="huge-id"),
        pytest.param(payment_json(big=HUGE_INTEGER), "Unknown field(s): big", id="huge-unknown-field"),
        pytest.param(HUGE_INTEGER, "Request body must be a JSON object", id="huge-document"),
        pytest.param("9" * MAX_BODY, "Request body must be a JSON object", id="8k-digits"),
        pytest.param(payment_json(amount="NaN"), "Invalid JSON: NaN is not allowed", id="nan"),
        pytest.param(payment_json(amount="-Infinity"), "Invalid JSON: -Infinity is not allowed", id="-inf"),
        pytest.param(payment_json(other="Infinity"), "Invalid JSON: Infinity is not allowed", id="inf-field"),
        pytest.param("NaN", "Invalid JSON: NaN is not allowed", id="nan-document"),
        pytest.param(
            payment_json(amount="nan"), "Invalid JSON: Expecting value (line 1, column 35)", id="nan-lc"
        ),
        pytest.param(payment_json(amount="0.1000000000000000000000000000001"), TWO_PLACES, id="31-places"),
        pytest.param(payment_json(amount="3.14159265358979323846264338327950288419"), TWO_PLACES, id="pi"),
        pytest.param(payment_json(amount="999999.9999999999999999999999999999"), TWO_PLACES, id="under-max"),
        pytest.param(payment_json(amount="1000000.0000000000000000000000000001"), TOO_MUCH, id="over-max"),
    ],
)
def test_extreme_numbers_are_400(fresh: SimpleNamespace, body: str, message: str) -> None:
    assert send_client_request(fresh, post_event(body)) == (400, {"error": message})


def test_amount_with_many_zero_decimals_is_the_same_two_place_amount(fresh: SimpleNamespace) -> None:
    status, body = send_client_request(fresh, post_event(payment_json(amount="10.5" + "0" * 1000)))
    assert (status, body["amount"]) == (201, "10.50")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("customer_id", "cust-1\n", CUSTOMER_ID),  # a `$`-anchored pattern would accept it
        ("customer_id", "cust\x00", CUSTOMER_ID),
        ("customer_id", "cust" + KELVIN, CUSTOMER_ID),
        ("payment_id", "pay\x00", PAYMENT_ID),
        ("payment_id", ARABIC_123, PAYMENT_ID),
        ("currency", "EUR\n", CURRENCY),
        ("currency", "EUR\x00", CURRENCY),
        ("currency", "\x00EUR", CURRENCY),
        ("currency", fullwidth("EUR"), CURRENCY),
        ("amount", "10.50\n", AMOUNT_FORMAT),
        ("amount", fullwidth("10"), AMOUNT_FORMAT),
        ("amount", ARABIC_123, AMOUNT_FORMAT),
        ("description", "lone \ud800 surrogate", "description must be valid Unicode text"),
        ("description", "\udfff", "description must be valid Unicode text"),
    ],
)
def test_control_look_alike_and_surrogate_characters_in_fields_are_400(
    fresh: SimpleNamespace, field: str, value: str, message: str
) -> None:
    event = post_event(payment_json(**{field: json.dumps(value)}))
    assert send_client_request(fresh, event) == (400, {"error": message})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            payment_json(description='"a\x01b"'),
            "Invalid JSON: Invalid control character at (line 1, column 105)",
        ),
        ("\x00", "Invalid JSON: Expecting value (line 1, column 1)"),
        (payment_json() + "\x00", "Invalid JSON: Extra data (line 1, column 87)"),
    ],
)
def test_raw_control_characters_and_nul_in_the_body_are_400(
    fresh: SimpleNamespace, body: str, message: str
) -> None:
    assert send_client_request(fresh, post_event(body)) == (400, {"error": message})


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        ("application/json\x00", MEDIA_TYPE),
        ("application/json\r\nX-Evil: 1", MEDIA_TYPE),
        ("application/json; charset=utf-8\x00", "Unsupported charset: use utf-8"),
    ],
)
def test_control_characters_in_content_type_are_415(
    fresh: SimpleNamespace, content_type: str, message: str
) -> None:
    event = post_event(payment_json(), headers={"Content-Type": content_type})
    assert send_client_request(fresh, event) == (415, {"error": message})


@pytest.mark.parametrize("limit", ["5\n", "5\x00", "\x00", ARABIC_123[:2], fullwidth("10"), "9" * 5000])
def test_control_and_look_alike_characters_in_limit_are_400(fresh: SimpleNamespace, limit: str) -> None:
    event = event_for("GET", "/customers/c/payments", query={"limit": limit})
    assert send_client_request(fresh, event) == (400, {"error": LIMIT})


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("GET", "/payments/pay\x00", 400, PAYMENT_ID),
        ("GET", "/payments/" + ARABIC_123, 400, PAYMENT_ID),
        ("GET", "/payments/" + fullwidth("abc"), 400, PAYMENT_ID),
        ("GET", "/payments/😀", 400, PAYMENT_ID),
        ("GET", "/payments/" + KELVIN, 400, PAYMENT_ID),
        ("GET", "/payments/a\u2028", 400, PAYMENT_ID),
        ("GET", "/payments/\ud800", 400, PAYMENT_ID),
        ("GET", "/customers/ü/payments", 400, CUSTOMER_ID),
        ("GET", "/health\x00", 404, "Not found"),
        ("GET", "/health\n", 404, "Not found"),
        ("GET", "/héalth", 404, "Not found"),
        ("GET", "/health\u200b", 404, "Not found"),
        ("POST", "/" + fullwidth("payments"), 404, "Not found"),
        ("GET\x00", "/health", 405, "Method not allowed"),
        ("G\u0395T", "/health", 405, "Method not allowed"),  # Greek capital epsilon
    ],
)
def test_nul_and_unicode_in_paths_and_methods_are_4xx(
    fresh: SimpleNamespace, method: str, path: str, status: int, message: str
) -> None:
    assert send_client_request(fresh, event_for(method, path)) == (status, {"error": message})


@pytest.mark.parametrize(
    "description",
    ["\x00", "a\x00b\x1f\x7f\n\r\t", "\u2028\u2029\ufeff\u202e", "😀" * 256, "</script>'\"\\"],
)
def test_control_characters_in_description_are_stored_verbatim(
    fresh: SimpleNamespace, description: str
) -> None:
    status, body = send_client_request(fresh, post_event(payment_json(description=json.dumps(description))))
    assert (status, body["description"]) == (201, description)
    assert fresh.table.get_item(Key={"payment_id": "pay_x"})["Item"]["description"] == description


def test_hostile_header_and_query_values_do_not_affect_a_valid_request(fresh: SimpleNamespace) -> None:
    hostile = "\x00\r\nX-Injected: 1\ud800😀"
    event = post_event(
        payment_json(),
        headers={"Content-Type": "application/json", "Authorization": hostile, "X-\x00": hostile},
    )
    event["queryStringParameters"] = {"limit": hostile, hostile: hostile}
    status, body = send_client_request(fresh, event)
    assert (status, body["payment_id"]) == (201, "pay_x")

"""Idempotent creates: retries, conflicting replays and simultaneous requests store one payment.

A create is keyed on ``payment_id``: the first request stores the payment (201), a retry of
the same canonical request (any key order, whitespace, amount spelling or transport) gets the
stored record back (200, same body), and a different request for the same ``payment_id`` is a
409 that changes nothing. The concurrency tests check the same with 2 and 8 threads that
reach DynamoDB's conditional write together.
"""

from __future__ import annotations

import json
import string
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto.core.botocore_stubber import BotocoreStubber

from tests.unit.test_handler import BUCKET, REGION, mocked_aws
from tests.unit.test_handler_hostile import (
    hypothesis_settings,
    post_event,
    reset_storage,
    send_client_request,
    stored_state,
)

# Generated cases per run (hypothesis max_examples): a retry case sends 2-4 creates, a conflict case 3.
RETRY_EXAMPLES = 30
CONFLICT_EXAMPLES = 30

CONFLICT = {"error": "payment_id already exists with a different request"}
MAX_CENTS = 100_000_000
CURRENCIES = ("EUR", "USD", "GBP", "JPY")
HANG_GUARD_SECONDS = 30  # a broken barrier fails the test instead of hanging it; never a timing check


# --------------------------------------------------------------------------- strategies

ids = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=64)
descriptions = st.text(max_size=40)  # any Unicode text, control characters included


@st.composite
def payments(draw: st.DrawFn) -> dict[str, Any]:
    """A valid payment in canonical form (amount a 2-place Decimal)."""
    payment = {
        "payment_id": draw(ids),
        "amount": Decimal(draw(st.integers(1, MAX_CENTS))).scaleb(-2),
        "currency": draw(st.sampled_from(CURRENCIES)),
        "customer_id": draw(ids),
    }
    if draw(st.booleans()):
        payment["description"] = draw(descriptions)
    return payment


def amount_spellings(amount: Decimal) -> list[str]:
    """JSON fragments that all mean ``amount``: 10.5, 10.50, 10.500, "10.50", "0010.5", ..."""
    two_places = f"{amount:.2f}"
    shortest = f"{amount.normalize():f}"
    numbers = [two_places, shortest, two_places + "000"]
    return numbers + [json.dumps(text) for text in (*numbers, "00" + two_places)]


@st.composite
def spelled(draw: st.DrawFn, payment: dict[str, Any]) -> str:
    """One JSON text for ``payment``: random key order, whitespace, escaping and amount spelling."""
    fragments = {
        name: json.dumps(value, ensure_ascii=draw(st.booleans()))
        for name, value in payment.items()
        if name != "amount"
    }
    fragments["amount"] = draw(st.sampled_from(amount_spellings(payment["amount"])))
    item_sep = draw(st.sampled_from([",", ", ", ",\n  ", " ,\t"]))
    key_sep = draw(st.sampled_from([":", ": ", " : ", ":\r\n"]))
    outside = st.sampled_from(["", " ", "\n", "\t\r\n"])
    order = draw(st.permutations(sorted(fragments)))
    members = item_sep.join(f"{json.dumps(name)}{key_sep}{fragments[name]}" for name in order)
    return draw(outside) + "{" + members + "}" + draw(outside)


@st.composite
def create_events(draw: st.DrawFn, payment: dict[str, Any]) -> dict[str, Any]:
    return post_event(draw(spelled(payment)), b64=draw(st.booleans()))


@st.composite
def changed(draw: st.DrawFn, payment: dict[str, Any]) -> dict[str, Any]:
    """The same payment_id with one field really different (description added/removed too)."""
    field = draw(st.sampled_from(["amount", "currency", "customer_id", "description"]))
    other = dict(payment)
    if field == "amount":  # shift by 1 cent .. MAX_CENTS - 1, wrapping around inside the range
        cents = int(payment["amount"].scaleb(2)) - 1 + draw(st.integers(1, MAX_CENTS - 1))
        other["amount"] = Decimal(cents % MAX_CENTS + 1).scaleb(-2)
    elif field == "currency":
        other["currency"] = draw(st.sampled_from([c for c in CURRENCIES if c != payment["currency"]]))
    elif field == "customer_id":
        other["customer_id"] = unlike(payment["customer_id"], draw(ids))
    elif "description" not in payment:
        other["description"] = draw(descriptions)
    elif draw(st.booleans()):
        del other["description"]
    else:
        other["description"] = unlike(payment["description"], draw(descriptions))
    return other


def unlike(old: str, new: str) -> str:
    """``new``, or ``old`` with its first character changed if the draw happened to repeat it."""
    return new if new != old else ("y" if old[:1] == "x" else "x") + old[1:]


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def aws() -> Iterator[SimpleNamespace]:
    """One mock + handler for the module; every test starts with ``reset_storage``."""
    with mocked_aws() as ns:
        yield ns


def expected_record(payment: dict[str, Any]) -> dict[str, Any]:
    return {**payment, "amount": f"{payment['amount']:.2f}", "status": "ACCEPTED", "region": REGION}


def stored_payments(aws: SimpleNamespace) -> list[dict[str, Any]]:
    return aws.table.scan(ConsistentRead=True)["Items"]


def receipts(aws: SimpleNamespace) -> dict[str, Any]:
    """Receipt objects by key, decoded."""
    keys = [obj["Key"] for obj in aws.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    return {key: json.loads(aws.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()) for key in keys}


def assert_stored_once(aws: SimpleNamespace, record: dict[str, Any]) -> None:
    """Exactly one item and one receipt, both holding the public ``record``."""
    [item] = stored_payments(aws)
    internal = ("request_fingerprint", "written_by", "written_at")  # never public
    public = {name: value for name, value in item.items() if name not in internal}
    assert {**public, "amount": f"{public['amount']:.2f}"} == record
    assert receipts(aws) == {f"receipts/{record['payment_id']}.json": record}


# --------------------------------------------------------------------------- retries and replays


@hypothesis_settings(RETRY_EXAMPLES)
@given(payment=payments(), data=st.data())
def test_retried_create_stores_one_payment_and_answers_identically(
    aws: SimpleNamespace,
    payment: dict[str, Any],
    data: st.DataObject,
) -> None:
    reset_storage(aws)
    copies = data.draw(st.integers(2, 4), label="copies")
    answers = [send_client_request(aws, data.draw(create_events(payment))) for _ in range(copies)]

    (first_status, created), *retries = answers
    assert first_status == 201
    assert {k: v for k, v in created.items() if k != "created_at"} == expected_record(payment)
    assert retries == [(200, created)] * (copies - 1)
    assert_stored_once(aws, created)


@hypothesis_settings(CONFLICT_EXAMPLES)
@given(payment=payments(), data=st.data())
def test_replay_with_a_different_body_is_409_and_changes_nothing(
    aws: SimpleNamespace,
    payment: dict[str, Any],
    data: st.DataObject,
) -> None:
    reset_storage(aws)
    status, created = send_client_request(aws, data.draw(create_events(payment)))
    assert status == 201
    before = stored_state()

    other = data.draw(changed(payment), label="conflicting payment")
    assert send_client_request(aws, data.draw(create_events(other))) == (409, CONFLICT)
    assert stored_state() == before
    # the original request still replays as before
    assert send_client_request(aws, data.draw(create_events(payment))) == (200, created)
    assert_stored_once(aws, created)


# --------------------------------------------------------------------------- concurrency

PAYMENT = {"payment_id": "race-1", "amount": Decimal("10.50"), "currency": "EUR", "customer_id": "cust-1"}
OTHER = {**PAYMENT, "amount": Decimal("99.99")}
# the same canonical request spelled four ways
SAME_REQUEST = [
    '{"payment_id": "race-1", "amount": "10.50", "currency": "EUR", "customer_id": "cust-1"}',
    '{"customer_id":"cust-1","currency":"EUR","amount":10.5,"payment_id":"race-1"}',
    '\n{ "amount" : 10.500 ,\t"payment_id" : "race-1", "customer_id": "cust-1", "currency": "EUR" }',
    '{"payment_id": "race-1", "currency": "EUR", "customer_id": "cust-1", "amount": "0010.5"}',
]
OTHER_REQUEST = '{"payment_id": "race-1", "amount": "99.99", "currency": "EUR", "customer_id": "cust-1"}'


@contextmanager
def conditional_writes_race(aws: SimpleNamespace, parties: int) -> Iterator[list[str]]:
    """Hold every put_item until all ``parties`` requests reach it, then release them together.

    Every request is then past validation and inside DynamoDB's conditional write at once, so
    only the ``attribute_not_exists`` condition can stop a second payment.

    moto (5.2.5) is not thread-safe, unlike the services it stands in for: its DynamoDB
    ``Table.put_item`` reads the current item, parses the condition and writes in separate
    steps (with a short GIL switch interval two threads both see "absent" and both write),
    and its S3 PutObject can close the buffer of a key another thread is still answering
    for. AWS applies each API call atomically, so moto serves one call at a time here (a
    lock around its request dispatcher). The handlers still interleave freely between calls.
    """
    client = aws.handler._DYNAMODB.meta.client
    send_put_item = client.put_item
    serve = BotocoreStubber.process_request
    at_write = threading.Barrier(parties, timeout=HANG_GUARD_SECONDS)
    one_call_at_a_time = threading.Lock()
    arrived: list[str] = []

    def put_item_together(**kwargs: Any) -> Any:
        arrived.append(kwargs["Item"]["payment_id"])
        at_write.wait()
        return send_put_item(**kwargs)

    def serve_atomically(self: BotocoreStubber, request: Any) -> Any:
        with one_call_at_a_time:
            return serve(self, request)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(client, "put_item", put_item_together)
        patch.setattr(BotocoreStubber, "process_request", serve_atomically)
        yield arrived


def create_simultaneously(aws: SimpleNamespace, bodies: list[str]) -> list[tuple[int, dict[str, Any]]]:
    """Send the creates from one thread each, released together; answers in ``bodies`` order."""
    start = threading.Barrier(len(bodies), timeout=HANG_GUARD_SECONDS)

    def create(body: str) -> dict[str, Any]:
        start.wait()
        return aws.handler.handler(post_event(body), None)

    with (
        conditional_writes_race(aws, len(bodies)) as arrived,
        ThreadPoolExecutor(max_workers=len(bodies)) as pool,
    ):
        responses = [future.result() for future in [pool.submit(create, body) for body in bodies]]
    assert arrived == ["race-1"] * len(bodies)  # every request reached the conditional write
    return [(response["statusCode"], json.loads(response["body"])) for response in responses]


@pytest.mark.parametrize("parties", [2, 8])
def test_simultaneous_identical_creates_store_one_payment(aws: SimpleNamespace, parties: int) -> None:
    reset_storage(aws)
    bodies = [SAME_REQUEST[n % len(SAME_REQUEST)] for n in range(parties)]
    answers = create_simultaneously(aws, bodies)

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * (parties - 1) + [201]
    created = next(body for status, body in answers if status == 201)
    assert {k: v for k, v in created.items() if k != "created_at"} == expected_record(PAYMENT)
    assert all(body == created for _, body in answers)
    assert_stored_once(aws, created)


@pytest.mark.parametrize("parties", [2, 8])
def test_simultaneous_conflicting_creates_store_one_payment_and_409_the_others(
    aws: SimpleNamespace, parties: int
) -> None:
    reset_storage(aws)
    bodies = [SAME_REQUEST[0] if n % 2 == 0 else OTHER_REQUEST for n in range(parties)]
    answers = create_simultaneously(aws, bodies)

    assert [status for status, _ in answers].count(201) == 1
    winner = next(n for n, (status, _) in enumerate(answers) if status == 201)
    created = answers[winner][1]
    assert {k: v for k, v in created.items() if k != "created_at"} == expected_record(
        PAYMENT if bodies[winner] == SAME_REQUEST[0] else OTHER
    )
    for body, answer in zip(bodies, answers, strict=True):
        if body == bodies[winner]:
            assert answer in ((201, created), (200, created))
        else:
            assert answer == (409, CONFLICT)
    assert_stored_once(aws, created)

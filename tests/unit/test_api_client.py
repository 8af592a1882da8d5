"""cli/api_client.py: every request signed with SigV4 over what is sent, the region retry of a
name served by several regions, and where the credentials come from (a loopback server that
recomputes each signature with botocore: tests/unit/sigv4.py)."""

from __future__ import annotations

import pytest
from botocore.credentials import Credentials

from cli.api_client import CredentialsError, Endpoint, Response, Signer, caller_credentials
from tests.unit.sigv4 import Verifier, no_credentials_anywhere

KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
EAST, WEST = "us-east-1", "us-west-2"
BODY = {"amount": "10.50", "currency": "EUR", "customer_id": "c-1"}


def _signer(*regions: str, token: str | None = None) -> Signer:
    return Signer(Credentials(KEY, SECRET, token), regions)


def test_a_signed_request_verifies_over_method_path_query_host_with_port_and_body():
    with Verifier((EAST,), {KEY: SECRET}) as server:
        url = f"http://127.0.0.1:{server.port}/restapis/abc/v1/_user_request_"
        stage = Endpoint(url, "k" * 40, signer=_signer(EAST))
        created = stage.call("POST", "/payments", BODY)
        listed = stage.call("GET", "/customers/c%201/payments", query={"limit": "5 6"})
    assert (created.status, created.body, created.signed_for) == (201, {"region": EAST}, EAST)
    assert listed.status == 201
    post, get = server.received
    assert post.valid and (post.region, post.service) == (EAST, "execute-api")
    assert post.target == "/restapis/abc/v1/_user_request_/payments"
    assert post.headers["host"] == f"127.0.0.1:{server.port}"  # the port: not the scheme's default
    # Everything the client set is signed: Host, the key, the content type, the date.
    assert post.signed_headers == ["content-type", "host", "x-amz-date", "x-api-key"]
    assert post.body == b'{"amount": "10.50", "currency": "EUR", "customer_id": "c-1"}'
    assert get.valid and get.target == "/restapis/abc/v1/_user_request_/customers/c%201/payments?limit=5%206"


def test_a_tampered_body_or_host_no_longer_verifies():
    """The verifier is not a rubber stamp: what was signed is what must arrive."""
    from tests.unit.sigv4 import Received, verify

    signer = _signer(EAST)
    headers = signer.sign(
        "POST", "http://api.example.test:4566/payments", {"Host": "api.example.test:4566"}, b"{}", region=EAST
    )

    def received(body: bytes, host: str) -> Received:
        lower = {k.lower(): v for k, v in headers.items()}
        return verify(Received("POST", "/payments", {**lower, "host": host}, body), {KEY: SECRET})

    assert received(b"{}", "api.example.test:4566").valid
    assert not received(b'{"x": 1}', "api.example.test:4566").valid
    assert not received(b"{}", "api.example.test").valid  # the port is part of what was signed
    assert not verify(
        Received("POST", "/payments", {k.lower(): v for k, v in headers.items()}, b"{}"), {}
    ).valid


def test_the_failover_name_is_signed_with_its_own_host_while_connecting_to_the_regions_address():
    with Verifier((EAST,), {KEY: SECRET}) as server:
        failover = Endpoint(
            f"http://api.tap-dev.payments-dr.net:{server.port}",
            "k",
            connect_to="127.0.0.1",
            signer=_signer(EAST),
        )
        assert failover.call("GET", "/payments/p-1").status == 201
    [request] = server.received
    assert request.valid and request.headers["host"] == f"api.tap-dev.payments-dr.net:{server.port}"
    assert "host" in request.signed_headers


def test_a_session_token_is_sent_and_signed():
    with Verifier((EAST,), {KEY: SECRET}) as server:
        stage = Endpoint(f"http://127.0.0.1:{server.port}/v1", signer=_signer(EAST, token="session-token"))
        assert stage.call("GET", "/payments/p-1").status == 201
    [request] = server.received
    assert request.valid and request.headers["x-amz-security-token"] == "session-token"
    assert "x-amz-security-token" in request.signed_headers


def test_unsigned_on_purpose_and_without_a_signer_no_authorization_is_sent():
    with Verifier((EAST,), {KEY: SECRET}) as server:
        url = f"http://127.0.0.1:{server.port}/v1"
        refused = Endpoint(url, "k", signer=_signer(EAST)).call("POST", "/payments", BODY, signed=False)
        plain = Endpoint(url).call("GET", "/health")
    assert (refused.status, refused.body, refused.signed_for) == (
        403,
        {"error": "Missing Authentication Token"},
        None,
    )
    assert plain.status == 403
    assert [r.headers.get("authorization") for r in server.received] == [None, None]
    assert server.received[0].headers["x-api-key"] == "k"  # with_key stays independent of signing


def test_the_scope_error_re_signs_for_the_next_region_once_and_remembers_the_one_that_answered():
    """The failover name answers from the secondary: the first request is signed for the primary
    (refused, not processed), re-signed for the secondary; the next goes to the secondary first."""
    signer = _signer(EAST, WEST)
    with Verifier((WEST,), {KEY: SECRET}) as server:
        failover = Endpoint(f"http://api.example.test:{server.port}", connect_to="127.0.0.1", signer=signer)
        first = failover.call("POST", "/payments", BODY)
        assert [r.region for r in server.received] == [EAST, WEST]
        second = failover.call("POST", "/payments", BODY)
    assert (first.status, first.signed_for, second.status, second.signed_for) == (201, WEST, 201, WEST)
    assert [r.region for r in server.received] == [EAST, WEST, WEST]  # remembered: no second refusal
    assert all(r.body == server.received[0].body for r in server.received)  # the same request each time
    assert signer.remembered(f"api.example.test:{server.port}") == WEST
    assert signer.order(f"api.example.test:{server.port}") == [WEST, EAST]
    assert signer.order("another.example.test") == [EAST, WEST]  # remembered per Host


def test_failing_back_moves_the_remembered_region_back():
    signer = _signer(EAST, WEST)
    host = "api.example.test"
    with Verifier((EAST,), {KEY: SECRET}) as server:
        failover = Endpoint(f"http://{host}:{server.port}", connect_to="127.0.0.1", signer=signer)
        signer.answered(f"{host}:{server.port}", WEST)  # it failed over earlier
        assert failover.call("GET", "/payments/p-1").signed_for == EAST
    assert [r.region for r in server.received] == [WEST, EAST]
    assert signer.remembered(f"{host}:{server.port}") == EAST


def test_each_region_is_tried_at_most_once_and_the_last_refusal_is_returned():
    with Verifier(("eu-west-1",), {KEY: SECRET}) as server:
        failover = Endpoint(
            f"http://api.example.test:{server.port}", connect_to="127.0.0.1", signer=_signer(EAST, WEST)
        )
        response = failover.call("POST", "/payments", BODY)
    assert [r.region for r in server.received] == [EAST, WEST]
    assert response.status == 403 and response.wrong_region and response.signed_for == WEST
    assert response.body == {"error": "Credential should be scoped to a valid region, not 'us-west-2'. "}


def test_another_403_is_not_retried():
    with Verifier((EAST,), {KEY: "another secret"}) as server:  # the signature does not match
        response = Endpoint(f"http://127.0.0.1:{server.port}", signer=_signer(EAST, WEST)).call("GET", "/x")
    assert response.status == 403 and not response.wrong_region
    assert [r.region for r in server.received] == [EAST]


@pytest.mark.parametrize(
    ("body", "wrong"),
    [
        (
            {"message": "Credential should be scoped to a valid region, not 'us-east-1'. "},
            True,
        ),  # API Gateway's own
        ({"error": "Credential should be scoped to a valid region, not 'us-east-1'. "}, True),  # DEFAULT_4XX
        ("Credential should be scoped to a valid region, not 'us-east-1'. ", True),
        ({"error": "Forbidden"}, False),
        (None, False),
    ],
)
def test_the_scope_error_is_told_by_its_message_on_a_403_only(body, wrong):
    assert Response(403, body, {}).wrong_region is wrong
    assert Response(400, body, {}).wrong_region is False


def test_response_headers_are_read_in_any_case():
    response = Response(403, None, {"x-amzn-ErrorType": "MissingAuthenticationTokenException"})
    assert response.header("X-Amzn-Errortype") == "MissingAuthenticationTokenException"
    assert response.header("x-amzn-requestid") is None


def test_a_signer_needs_a_region():
    with pytest.raises(ValueError, match="at least one region"):
        Signer(Credentials(KEY, SECRET), ())


# --- credentials ----------------------------------------------------------------------------


def test_the_local_caller_signs_on_the_emulator():
    local = {
        "caller": {
            "user_arn": "arn:aws:iam::123456789012:user/tap-caller-dev",
            "access_key_id": KEY,
            "secret_access_key": SECRET,
        }
    }
    credentials = caller_credentials(local)
    assert (credentials.access_key, credentials.secret_key, credentials.token) == (KEY, SECRET, None)


@pytest.mark.parametrize("local", [{}, {"caller": "x"}, {"caller": {"access_key_id": KEY}}])
def test_a_local_endpoints_file_without_a_caller_is_one_line(local):
    with pytest.raises(CredentialsError, match=r"no caller to sign with: rerun `make deploy-local`") as error:
        caller_credentials(local)
    assert "\n" not in str(error.value)


def test_off_the_emulator_the_default_chain_is_used_session_token_included(monkeypatch, tmp_path):
    no_credentials_anywhere(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "temporary-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "the-token")
    frozen = caller_credentials(None).get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == (
        "ASIAEXAMPLE",
        "temporary-secret",
        "the-token",
    )


def test_no_credentials_at_all_is_one_clear_line(monkeypatch, tmp_path):
    no_credentials_anywhere(monkeypatch, tmp_path)
    with pytest.raises(CredentialsError) as error:
        caller_credentials(None)
    message = str(error.value)
    assert message.startswith("no AWS credentials to sign the API requests with") and "\n" not in message

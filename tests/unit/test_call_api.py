"""flows/call_api.py: stale, truncated or foreign outputs are one line, not a traceback."""

from __future__ import annotations

import json

import pytest

from flows.call_api import read_outputs

GOOD = {
    "primary_api_key_id": "k1",
    "topology": '{"global": "us-east-1", "roles": {"primary": "us-east-1", "secondary": "us-west-2"}}',
}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is not JSON"),
        (b'{"dynamodb_table_name": ', "is not JSON"),
        (b"\xff\xfe{}", "cannot be read"),
        (b"[]", "must hold a JSON object"),
        (json.dumps({"other": "stack"}).encode(), "lacks outputs primary_api_key_id"),
        (json.dumps({**GOOD, "topology": 7}).encode(), "lacks outputs topology"),
        (json.dumps({**GOOD, "topology": "{}"}).encode(), "'topology' output is not this project's"),
        (
            json.dumps(
                {
                    **GOOD,
                    "topology": '{"roles": {"primary": "us-east-1", "secondary": "mars-1"}, '
                    '"global": "us-east-1"}',
                }
            ).encode(),
            "secondary region='mars-1'",
        ),
    ],
)
def test_bad_outputs_are_one_line(tmp_path, content, message):
    path = tmp_path / "flat-outputs.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as error:
        read_outputs(path, "primary")
    assert "\n" not in str(error.value)


def test_good_outputs_give_the_region_of_the_role(tmp_path):
    path = tmp_path / "flat-outputs.json"
    path.write_text(json.dumps(GOOD))
    assert read_outputs(path, "primary") == (GOOD, "us-east-1")


# --- cli/api_client.client_api_key: one reader of the client key for every tool ---------------


class _ApiGateway:
    def __init__(self, region: str, down: set[str]) -> None:
        self.region, self.down = region, down

    def get_api_key(self, apiKey: str, includeValue: bool) -> dict[str, str]:
        from botocore.exceptions import EndpointConnectionError

        if self.region in self.down:
            raise EndpointConnectionError(endpoint_url=f"https://apigateway.{self.region}.amazonaws.com")
        assert includeValue
        return {"value": f"value-of-{apiKey}"}


def test_the_client_key_comes_from_the_first_region_that_answers() -> None:
    from cli.api_client import client_api_key
    from lib.regions import Topology

    outputs = {"primary_api_key_id": "k1", "secondary_api_key_id": "k2"}
    regions = Topology.of("us-east-1", "us-west-2")
    asked: list[tuple[str, str]] = []

    def factory(down: set[str]):
        def client(service: str, region: str) -> _ApiGateway:
            asked.append((service, region))
            return _ApiGateway(region, down)

        return client

    assert client_api_key(outputs, regions, factory(set())) == "value-of-k1"
    assert client_api_key(outputs, regions, factory({"us-east-1"})) == "value-of-k2"  # a regional outage
    assert asked == [("apigateway", "us-east-1"), ("apigateway", "us-east-1"), ("apigateway", "us-west-2")]
    with pytest.raises(
        LookupError, match=r"^no region gave the API key \(primary: .*us-east-1.*; secondary: "
    ):
        client_api_key(outputs, regions, factory({"us-east-1", "us-west-2"}))


CALLER = {
    "user_arn": "arn:aws:iam::123456789012:user/tap-caller-dev",
    "access_key_id": "AKIACALLER",
    "secret_access_key": "caller-secret",
}


def _main(tmp_path, monkeypatch, local: dict, asked: list) -> int:
    from flows import call_api

    path = tmp_path / "flat-outputs.json"
    path.write_text(json.dumps({**GOOD, "secondary_api_key_id": "k2"}))
    monkeypatch.setattr(call_api.emulator, "running", lambda: True)
    monkeypatch.setattr(call_api.emulator, "endpoint_env", dict)
    monkeypatch.setattr(call_api, "local_endpoints", lambda _: local)

    def client(service, region_name):
        asked.append((service, region_name))
        return _ApiGateway(region_name, set())

    monkeypatch.setattr(call_api.boto3, "client", client)
    return call_api.main(
        ["POST", "/payments", '{"amount": "1.00"}', "--region", "secondary", "--outputs", str(path)]
    )


def test_main_calls_the_stage_of_the_chosen_region_signed_for_it_as_the_local_caller(
    tmp_path, monkeypatch, capsys
):
    """The command as a chaos lane runs it: outputs -> region from the topology -> the key from
    that region's API Gateway -> one HTTP call signed as the local caller for that region (the
    emulator faked by a loopback server that verifies the signature, the rest real)."""
    from tests.unit.sigv4 import Verifier

    asked: list = []
    with Verifier(("us-west-2",), {"AKIACALLER": "caller-secret"}) as server:
        local = {"secondary_api_url": f"http://127.0.0.1:{server.port}/v1", "caller": CALLER}
        assert _main(tmp_path, monkeypatch, local, asked) == 0
    assert asked == [("apigateway", "us-west-2")]  # only the chosen region: the other may be out
    [request] = server.received
    assert (request.method, request.target, request.valid, request.region) == (
        "POST",
        "/v1/payments",
        True,
        "us-west-2",
    )
    assert request.headers["x-api-key"] == "value-of-k2" and request.body == b'{"amount": "1.00"}'
    assert json.loads(capsys.readouterr().out) == {"region": "us-west-2"}


def test_main_without_a_caller_in_the_local_endpoints_is_one_line(tmp_path, monkeypatch, capsys):
    asked: list = []
    with pytest.raises(SystemExit) as exit_info:
        _main(tmp_path, monkeypatch, {"secondary_api_url": "http://127.0.0.1:1/v1"}, asked)
    assert exit_info.value.code == 2 and asked == []
    assert "no caller to sign with: rerun `make deploy-local`" in capsys.readouterr().err.splitlines()[-1]

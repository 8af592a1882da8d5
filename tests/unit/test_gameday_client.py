"""dr/gameday_client.py and the game day's credentials: every write through the failover name is
signed, re-signed for the other region when the name moved there, and the region that answered
is kept for the next write (a loopback server verifies each signature: tests/unit/sigv4.py)."""

from __future__ import annotations

import json
import time

from botocore.credentials import Credentials

from cli.api_client import Signer
from dr import gameday
from dr.gameday_client import Client
from tests.unit.sigv4 import Verifier, no_credentials_anywhere

KEY, SECRET = "AKIAGAMEDAY", "gameday-secret"
EAST, WEST = "us-east-1", "us-west-2"


def _client(port: int, signer: Signer | None) -> Client:
    client = Client(
        f"http://api.example.test:{port}", "k" * 40, None, rate=10, max_requests=10, signer=signer
    )
    client._cache = (["127.0.0.1"], time.monotonic() + 3600)  # what DNS answered for the name
    return client


def test_after_a_failover_the_first_write_is_re_signed_for_the_survivor_and_the_next_ones_go_there():
    signer = Signer(Credentials(KEY, SECRET), (EAST, WEST))
    with Verifier((WEST,), {KEY: SECRET}) as server:  # the failover name now answers from us-west-2
        client = _client(server.port, signer)
        assert client._write("gd-1") and client._write("gd-2")
    assert [(a.payment_id, a.status, a.region) for a in client.attempts] == [
        ("gd-1", 201, WEST),
        ("gd-2", 201, WEST),
    ]
    assert [r.region for r in server.received] == [EAST, WEST, WEST]  # one refusal, then remembered
    assert all(r.valid and r.headers["host"] == f"api.example.test:{server.port}" for r in server.received)
    assert (
        json.loads(server.received[0].body)["payment_id"] == json.loads(server.received[1].body)["payment_id"]
    )


def test_an_unsigned_client_is_refused():
    with Verifier((EAST,), {KEY: SECRET}) as server:
        client = _client(server.port, None)
        assert not client._write("gd-1")
    assert client.attempts[0].status == 403
    assert "authorization" not in server.received[0].headers


def test_the_game_day_without_credentials_stops_in_one_line_before_any_fault(tmp_path, monkeypatch, capsys):
    no_credentials_anywhere(monkeypatch, tmp_path)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    outputs = {name: f"value-of-{name}" for name in gameday.NEEDED}
    path = tmp_path / "flat-outputs.json"
    path.write_text(json.dumps(outputs))
    started: list[str] = []
    monkeypatch.setattr(gameday, "Target", lambda *a, **k: started.append("target"))
    monkeypatch.setattr(gameday, "run_scenario", lambda *a, **k: started.append("scenario"))
    assert gameday.main(["--target", "aws", "--scenarios", "manual", "--outputs", str(path)]) == 2
    assert started == []
    err = capsys.readouterr().err
    assert err.startswith("error: the game day signs its writes: no AWS credentials") and err.count("\n") == 1

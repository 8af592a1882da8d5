"""The local alarm sink (flows/alarm_sink.py): it confirms a subscription by visiting the
SubscribeURL (loopback only), records every alarm notification with its arrival time, one JSON
object a line, and is bounded; as a background process it starts, answers and stops."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dr.gameday_alarms import read_notices
from flows import alarm_sink


@pytest.fixture
def sink(tmp_path):
    server = alarm_sink.Sink(tmp_path / "alarm-notifications.jsonl")
    server.start()
    yield server
    server.stop()


def _post(url: str, kind: str, body: dict[str, Any]) -> int:
    headers = {"x-amz-sns-message-type": kind}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - the sink on loopback
        return answer.status


def _lines(sink) -> list[dict[str, Any]]:
    return [json.loads(line) for line in sink.record.read_text().splitlines()]


@pytest.fixture
def confirmer():
    """A SubscribeURL on loopback that counts its visits."""
    visits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            visits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", visits
    server.shutdown()


def test_a_confirmation_is_confirmed_by_visiting_the_subscribe_url(sink, confirmer):
    base, visits = confirmer
    url = f"{base}/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:1:t&Token=abc"
    assert (
        _post(sink.url, "SubscriptionConfirmation", {"Type": "SubscriptionConfirmation", "SubscribeURL": url})
        == 200
    )
    assert visits == ["/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:1:t&Token=abc"]
    [line] = _lines(sink)
    assert (line["type"], line["confirmed"]) == ("SubscriptionConfirmation", True)


def test_a_subscribe_url_off_loopback_is_not_visited(sink):
    body = {
        "Type": "SubscriptionConfirmation",
        "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Token=x",
    }
    _post(sink.url, "SubscriptionConfirmation", body)
    [line] = _lines(sink)
    assert line["confirmed"] is False


def test_an_alarm_notification_is_recorded_with_its_arrival_time(sink):
    message = {
        "AlarmName": "tap-alarms-usw2-dev-switch-thrown",
        "NewStateValue": "ALARM",
        "OldStateValue": "OK",
    }
    before = time.time()
    _post(
        sink.url,
        "Notification",
        {"Type": "Notification", "TopicArn": "arn:t", "Message": json.dumps(message)},
    )
    [line] = _lines(sink)
    assert (line["alarm_name"], line["new_state"], line["old_state"]) == (
        "tap-alarms-usw2-dev-switch-thrown",
        "ALARM",
        "OK",
    )
    assert before <= line["received_at"] <= time.time()
    [notice] = read_notices(sink.record, since=before)
    assert (notice.alarm_name, notice.new_state) == ("tap-alarms-usw2-dev-switch-thrown", "ALARM")


def test_it_is_bounded(sink, monkeypatch):
    monkeypatch.setattr(alarm_sink, "MAX_RECORDS", 2)
    for n in range(4):
        _post(sink.url, "Notification", {"Type": "Notification", "Message": f"m{n}"})
    assert [line["message"] for line in _lines(sink)] == ["m0", "m1"]
    request = urllib.request.Request(sink.url, data=b"x" * (alarm_sink.MAX_BODY + 1), method="POST")  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310 - the sink on loopback
    assert refused.value.code == 413


def test_the_background_sink_starts_once_and_stops(tmp_path):
    url = alarm_sink.start(tmp_path, lifetime=30)
    pid = json.loads((tmp_path / alarm_sink.INFO_NAME).read_text())["pid"]
    try:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/alarms")
        assert alarm_sink.start(tmp_path) == url  # the one running
        _post(url, "Notification", {"Type": "Notification", "Message": "hello"})
        assert json.loads((tmp_path / "alarm-notifications.jsonl").read_text())["message"] == "hello"
    finally:
        alarm_sink.stop(tmp_path)
    assert alarm_sink.running(tmp_path) is None
    cmdline = Path(f"/proc/{pid}/cmdline")
    assert (
        not cmdline.exists() or b"flows.alarm_sink" not in cmdline.read_bytes()
    )  # stopped, not only forgotten


def test_a_local_deployment_subscribes_its_alarm_topics_to_its_own_sink(tmp_path, monkeypatch):
    """The pipeline starts the lane's sink before the deploy and adds its URL to the
    ALARM_SUBSCRIPTIONS the environment gives (an e-mail kept); a redeploy keeps the same URL; the
    emulator's stop stops it."""
    from flows.pipeline_steps import Pipeline

    monkeypatch.setenv("ALARM_SUBSCRIPTIONS", "email:oncall@example.com")
    pipeline = Pipeline(tmp_path)
    pipeline.start_alarm_sink()
    try:
        url = alarm_sink.running(tmp_path)
        assert url and pipeline.base_env["ALARM_SUBSCRIPTIONS"] == f"email:oncall@example.com,{url}"
        again = Pipeline(tmp_path)
        again.start_alarm_sink()
        assert again.base_env["ALARM_SUBSCRIPTIONS"] == pipeline.base_env["ALARM_SUBSCRIPTIONS"]
    finally:
        pipeline.stop_alarm_sink()
    deadline = time.monotonic() + 5
    while alarm_sink.running(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alarm_sink.running(tmp_path) is None


def test_the_sink_stops_by_itself_when_its_emulator_is_gone(tmp_path):
    """A chaos test that kills the emulator directly left its sink running for hours."""
    emulator = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    (tmp_path / "moto.pid").write_text(f"{emulator.pid}\n")
    alarm_sink.start(tmp_path, lifetime=60, watch=tmp_path)
    sink_pid = json.loads((tmp_path / alarm_sink.INFO_NAME).read_text())["pid"]
    try:
        time.sleep(1.5)
        assert alarm_sink.running(tmp_path) is not None  # the emulator is up: it serves
        emulator.kill()
        emulator.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and b"flows.alarm_sink" in _cmdline(sink_pid):
            time.sleep(0.1)
        assert b"flows.alarm_sink" not in _cmdline(sink_pid)
    finally:
        emulator.kill()
        alarm_sink.stop(tmp_path)


def test_a_sink_whose_emulator_never_appears_stops_after_the_grace(tmp_path):
    started = time.monotonic()
    assert alarm_sink.serve(tmp_path, lifetime=60, watch=tmp_path / "never", grace=1.5) == 0
    assert 1.5 <= time.monotonic() - started < 10


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""

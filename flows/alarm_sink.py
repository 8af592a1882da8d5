"""The local alarm sink: an HTTP endpoint on 127.0.0.1 that a local deployment's alarm topics
are subscribed to (``ALARM_SUBSCRIPTIONS=http://127.0.0.1:<port>/alarms``). It confirms each
subscription as a real endpoint would, by visiting the ``SubscribeURL`` of the
``SubscriptionConfirmation`` SNS POSTs to it ("Your endpoint can automatically confirm the
subscription by sending an HTTP GET request to the SubscribeURL",
https://docs.aws.amazon.com/sns/latest/dg/SendMessageToHttp.confirm.html), and records every
message with the time it arrived, one JSON object a line, in ``<state dir>/alarm-notifications.jsonl``
(dr/gameday_alarms.py reads it).

    python -m flows.alarm_sink serve --state-dir DIR [--lifetime SECONDS] [--watch EMULATOR_STATE_DIR]

It runs in the background for a local deployment's lifetime (flows/pipeline_steps.py starts it
before the deploy and stops it with the emulator). It also stops by itself when the emulator it
serves is gone (``--watch``: the emulator's state directory, whose pid file is checked every
``WATCH_SECONDS``): a chaos
test that kills or stops the emulator directly, or a crashed run, leaves no sink behind (a
``make test`` left six running). It is bounded: it stops after ``--lifetime`` seconds (default
6 h), or ``WATCH_GRACE`` seconds after it started if the watched emulator never appeared; it
keeps at most ``MAX_RECORDS`` lines, reads at most ``MAX_BODY`` bytes a request, and visits a
``SubscribeURL`` only on loopback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from dr.gameday_alarms import RECORD_NAME
from local_aws.emulator import process_alive
from local_aws.patches.sns_http_subscriptions import loopback

PATH = "/alarms"
INFO_NAME = "alarm-sink.json"  # {"pid": ..., "url": ...} while it runs
LIFETIME = 6 * 3600.0
MAX_RECORDS = 10_000
MAX_BODY = 256 * 1024
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
WATCH_SECONDS = 1.0
WATCH_GRACE = 600.0  # the emulator starts after the sink: this long for it to appear


def record_of(kind: str, body: dict[str, Any], received_at: float) -> dict[str, Any]:
    """The line recorded for a message of ``kind`` (``x-amz-sns-message-type``)."""
    record: dict[str, Any] = {
        "received_at": received_at,
        "type": kind,
        "topic_arn": body.get("TopicArn"),
        "message_id": body.get("MessageId"),
    }
    if kind == "Notification":
        record["subject"] = body.get("Subject")
        try:
            alarm = json.loads(body.get("Message") or "")
        except ValueError:
            alarm = None
        if isinstance(alarm, dict) and "AlarmName" in alarm:
            record.update(
                alarm_name=alarm["AlarmName"],
                new_state=alarm.get("NewStateValue"),
                old_state=alarm.get("OldStateValue"),
                state_change_time=alarm.get("StateChangeTime"),
                region=alarm.get("Region"),
            )
        else:
            record["message"] = body.get("Message")
    return record


class Sink:
    """The server: ``start()`` on 127.0.0.1 (``port`` 0: any free one), ``stop()``."""

    def __init__(self, record: Path, *, port: int = 0) -> None:
        self.record = record
        self._lock = threading.Lock()
        self.count = 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if self.path != PATH or length > MAX_BODY:
                    self.send_response(404 if self.path != PATH else 413)
                    self.end_headers()
                    return
                sink.receive(self.headers.get("x-amz-sns-message-type", ""), self.rfile.read(length))
                self.send_response(200)  # once recorded (and a confirmation confirmed)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{PATH}"

    def receive(self, kind: str, raw: bytes) -> None:
        received_at = time.time()
        try:
            body = json.loads(raw)
        except ValueError:
            return
        if not isinstance(body, dict):
            return
        record = record_of(kind or str(body.get("Type", "")), body, received_at)
        if record["type"] == "SubscriptionConfirmation":
            record["confirmed"] = self._confirm(str(body.get("SubscribeURL", "")))
        self._write(record)

    @staticmethod
    def _confirm(url: str) -> bool:
        if not loopback(url):
            return False  # this machine's rule: nothing off loopback is contacted
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return answer.status == 200
        except OSError:
            return False

    def _write(self, record: dict[str, Any]) -> None:
        with self._lock:
            if self.count >= MAX_RECORDS:
                return
            self.count += 1
            with self.record.open("a") as out:
                out.write(json.dumps(record, sort_keys=True) + "\n")

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, name="alarm-sink", daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- the background process ------------------------------------------------------------------


def running(state_dir: Path) -> str | None:
    """The URL of the sink running for ``state_dir`` (None: none)."""
    try:
        info = json.loads((state_dir / INFO_NAME).read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return str(info["url"])


def start(state_dir: Path, *, lifetime: float = LIFETIME, watch: Path | None = None) -> str:
    """The sink for ``state_dir``: the one running, else a new background process; its URL.
    ``watch``: the state directory of the emulator it serves (it stops when that emulator is gone)."""
    url = running(state_dir)
    if url:
        return url
    state_dir.mkdir(parents=True, exist_ok=True)
    info = state_dir / INFO_NAME
    info.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "flows.alarm_sink", "serve", "--state-dir", str(state_dir)]
    with (state_dir / "alarm-sink.log").open("a") as log:
        proc = subprocess.Popen(
            [*cmd, "--lifetime", str(lifetime), *(["--watch", str(watch)] if watch else [])],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=Path(__file__).resolve().parents[1],
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        url = running(state_dir)
        if url:
            return url
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    with contextlib.suppress(OSError):
        proc.kill()
    raise RuntimeError(f"the alarm sink did not start (see {state_dir / 'alarm-sink.log'})")


def stop(state_dir: Path) -> None:
    """Stop the sink running for ``state_dir`` (nothing when none runs)."""
    info = state_dir / INFO_NAME
    try:
        pid = int(json.loads(info.read_text())["pid"])
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, KeyError, TypeError):
        command = b""
        pid = 0
    if pid and b"flows.alarm_sink" in command:  # never a recycled pid
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT
            while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                time.sleep(0.05)  # gone, or a zombie its parent has not reaped (a test's)
                if b"flows.alarm_sink" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                    break
    info.unlink(missing_ok=True)


def serve(state_dir: Path, lifetime: float, watch: Path | None = None, grace: float = WATCH_GRACE) -> int:
    sink = Sink(state_dir / RECORD_NAME)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    sink.start()
    (state_dir / INFO_NAME).write_text(json.dumps({"pid": os.getpid(), "url": sink.url}))
    print(f"alarm sink on {sink.url}, recording to {sink.record}", flush=True)
    started, seen = time.monotonic(), False
    while not done.wait(WATCH_SECONDS if watch else lifetime):
        elapsed = time.monotonic() - started
        if elapsed >= lifetime:
            break
        alive = process_alive(watch) if watch else True
        seen = seen or alive
        if (seen and not alive) or (not seen and elapsed >= grace):
            print(f"alarm sink: the emulator ({watch}) is gone: stopping", flush=True)
            break
    sink.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("serve",))
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--lifetime", type=float, default=LIFETIME, help="seconds before it stops by itself")
    parser.add_argument("--watch", type=Path, help="the emulator's state directory: stop when it is gone")
    args = parser.parse_args(argv)
    return serve(args.state_dir, args.lifetime, args.watch)


if __name__ == "__main__":
    sys.exit(main())

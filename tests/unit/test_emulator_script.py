"""local_aws/emulator.sh: how it tells a running server from one that has exited."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = (ROOT / "local_aws" / "emulator.sh").read_text()
ALIVE = SCRIPT[SCRIPT.index("alive() {") : SCRIPT.index("\n}\n", SCRIPT.index("alive() {")) + 3]


def _alive(pid: int) -> bool:
    result = subprocess.run(["bash", "-c", f'{ALIVE}\nalive "$1"', "alive", str(pid)], check=False)
    assert result.returncode in (0, 1)
    return result.returncode == 0


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[0]


def test_an_exited_server_that_nobody_has_reaped_yet_is_not_alive():
    # Until it is reaped, an exited process is a zombie: `kill -0` still succeeds on it, so a
    # stop that polled with `kill -0` waited until init got round to reaping the server.
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        for _ in range(500):
            if _state(child.pid) == "Z":
                break
            time.sleep(0.01)
        assert _state(child.pid) == "Z"
        assert _alive(child.pid) is False
    finally:
        child.wait()
    assert _alive(child.pid) is False  # reaped: gone


def test_a_running_process_is_alive():
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert _alive(child.pid) is True
    finally:
        child.kill()
        child.wait()


def test_the_env_lines_are_read_in_one_place(tmp_path):
    from local_aws import emulator

    text = "export AWS_ENDPOINT_URL=http://127.0.0.1:4599\nexport AWS_REGION=us-east-1\n# note\nno export\n"
    assert emulator.parse_exports(text) == {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4599",
        "AWS_REGION": "us-east-1",
    }
    env = {"PATH": os.environ["PATH"], "EMULATOR_PORT": "4599", "EMULATOR_STATE_DIR": str(tmp_path)}
    selected = emulator.endpoint_env(env)  # what the script prints for this port
    assert selected["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4599"
    assert selected["AWS_ACCESS_KEY_ID"] == "test" and selected["AWS_EC2_METADATA_DISABLED"] == "true"
    assert emulator.running(env) is False  # nothing started on that port

"""emulator.sh from Python: whether the emulator runs, and the environment that points an SDK
or Terraform at it (the one place that reads ``emulator.sh env``)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "emulator.sh"
PID_FILE = "moto.pid"  # in the emulator's state directory, written by emulator.sh start
_EXPORT = re.compile(r"^export (\w+)=(.*)$", re.MULTILINE)


def parse_exports(text: str) -> dict[str, str]:
    """``export NAME=value`` lines (what ``emulator.sh env`` prints) as a mapping."""
    return dict(_EXPORT.findall(text))


def process_alive(state_dir: Path) -> bool:
    """Whether the process named by the emulator's pid file in ``state_dir`` still runs (no
    port asked: what a poll twice a second can afford)."""
    try:
        os.kill(int((state_dir / PID_FILE).read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


def running(env: dict[str, str] | None = None) -> bool:
    """``emulator.sh status``: ours answers on its port (``env`` may set EMULATOR_PORT/STATE_DIR)."""
    return subprocess.run([str(SCRIPT), "status"], env=env, capture_output=True, check=False).returncode == 0


def endpoint_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The endpoint, dummy credentials and SDK settings for the emulator ``env`` selects."""
    out = subprocess.run([str(SCRIPT), "env"], env=env, capture_output=True, text=True, check=True).stdout
    return parse_exports(out)

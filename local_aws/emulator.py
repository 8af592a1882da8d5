"""emulator.sh from Python: whether the emulator runs, and the environment that points an SDK
or Terraform at it (the one place that reads ``emulator.sh env``)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "emulator.sh"
_EXPORT = re.compile(r"^export (\w+)=(.*)$", re.MULTILINE)


def parse_exports(text: str) -> dict[str, str]:
    """``export NAME=value`` lines (what ``emulator.sh env`` prints) as a mapping."""
    return dict(_EXPORT.findall(text))


def running(env: dict[str, str] | None = None) -> bool:
    """``emulator.sh status``: ours answers on its port (``env`` may set EMULATOR_PORT/STATE_DIR)."""
    return subprocess.run([str(SCRIPT), "status"], env=env, capture_output=True, check=False).returncode == 0


def endpoint_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The endpoint, dummy credentials and SDK settings for the emulator ``env`` selects."""
    out = subprocess.run([str(SCRIPT), "env"], env=env, capture_output=True, text=True, check=True).stdout
    return parse_exports(out)

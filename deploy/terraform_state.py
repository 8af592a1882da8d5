"""What Terraform writes, read without trusting it: a local state file (usable, absent, or why
it must not be used), the JSON object in a command's output, and how a deployment's recorded
identity differs from the current configuration's. Used by deploy/terraform_runner.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def load_state(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """``(state, None)`` for a usable state, ``(None, why)`` for one that must not be used,
    ``(None, None)`` when there is none: read and parsed once."""
    if not path.exists():
        return None, None
    try:
        text = path.read_text()
    except OSError as error:
        return None, f"cannot be read ({error.strerror})"
    if not text.strip():
        return None, "is empty"
    try:
        state = json.loads(text)
    except ValueError:
        return None, "is not valid JSON (a write was cut short?)"
    if (
        not isinstance(state, dict)
        or "version" not in state
        or not isinstance(state.get("resources", []), list)
    ):
        return None, "is not a Terraform state"
    return state, None


def state_problem(path: Path) -> str | None:
    """Why ``path`` must not be used as a Terraform state (None: absent or usable)."""
    return load_state(path)[1]


def identity_differences(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    return [
        f"{key} {recorded.get(key)!r} (deployed) != {current.get(key)!r} (now)"
        for key in sorted(set(recorded) | set(current))
        if recorded.get(key) != current.get(key)
    ]


def json_in(output: str) -> dict[str, Any]:
    """The JSON object in a command's output (warnings may come before or after it)."""
    start = output.find("{")
    if start < 0:
        return {}
    value, _ = json.JSONDecoder().raw_decode(output, start)
    return value if isinstance(value, dict) else {}

"""A deployment's flat outputs file (``cfn-outputs/flat-outputs.json``), read with one-line errors.

Every tool that acts on a deployment (the game day, the local API caller, the receipt
reconciliation) reads it. An empty, truncated, non-UTF-8, foreign or stale file is an
``OutputsError`` whose message is one line naming the file and the fix, never a traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REGION_RE = re.compile(r"^[a-z]{2}(?:-gov)?-[a-z]+-\d$")


class OutputsError(ValueError):
    """The outputs file cannot serve; the message says why and what to do, in one line."""


def load_outputs(path: Path, needed: Iterable[str] = ()) -> dict[str, Any]:
    """The outputs in ``path``; each name in ``needed`` must be a non-empty string."""
    try:
        outputs = json.loads(path.read_text())
    except FileNotFoundError:
        raise OutputsError(f"{path} not found: deploy first (make deploy-local or make deploy)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise OutputsError(f"{path} cannot be read ({error}): redeploy to rewrite it") from None
    except json.JSONDecodeError as error:
        raise OutputsError(f"{path} is not JSON ({error.msg}): redeploy to rewrite it") from None
    if not isinstance(outputs, dict):
        raise OutputsError(f"{path} must hold a JSON object of outputs")
    missing = missing_outputs(outputs, needed)
    if missing:
        raise OutputsError(f"{path} lacks outputs {', '.join(missing)}: is it this stack's?")
    return outputs


def missing_outputs(outputs: dict[str, Any], needed: Iterable[str]) -> list[str]:
    return [name for name in needed if not isinstance(outputs.get(name), str) or not outputs[name]]


def region_of(arn: str) -> str:
    """The region field of an ARN (``arn:partition:service:region:account:resource``)."""
    parts = str(arn).split(":")
    region = parts[3] if len(parts) > 5 and parts[0] == "arn" else ""
    if not REGION_RE.match(region):
        raise OutputsError(f"cannot read a region name from {arn!r}")
    return region

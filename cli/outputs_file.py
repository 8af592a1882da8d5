"""A deployment's flat outputs file (``cfn-outputs/flat-outputs.json``): its one owner.

Every tool that acts on a deployment (the game day, the local API caller, the receipt
reconciliation, the integration tests) reads it here, and every deploy writes it here
(``write_outputs``). An empty, truncated, non-UTF-8, foreign or stale file is an
``OutputsError`` whose message is one line naming the file and the fix, never a traceback.

Where each role's region is comes from the ``topology`` output (lib/regions.py): no tool
parses an ARN to find a region.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lib.regions import Topology, TopologyError

ROOT = Path(__file__).resolve().parents[1]
FLAT_OUTPUTS = ROOT / "cfn-outputs" / "flat-outputs.json"
FILE_NAME = FLAT_OUTPUTS.name


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


def topology_of(outputs: Mapping[str, Any]) -> Topology:
    """The deployment's roles and regions, from its ``topology`` output."""
    raw = outputs.get("topology")
    if not isinstance(raw, str) or not raw:
        raise OutputsError("the outputs lack 'topology': redeploy with this version to record it")
    try:
        return Topology.from_json(raw)
    except TopologyError as error:
        raise OutputsError(f"the 'topology' output is not this project's: {error}") from None


def default_path() -> Path:
    """``$FLAT_OUTPUTS`` when set (a lane's own file), else ``cfn-outputs/flat-outputs.json``."""
    return Path(os.environ.get("FLAT_OUTPUTS") or FLAT_OUTPUTS)


def write_outputs(path: Path, outputs: Mapping[str, Any]) -> None:
    """Write ``outputs`` as the flat outputs file at ``path`` (sorted, one trailing newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(outputs), indent=2, sort_keys=True) + "\n")

"""A deployment's flat outputs file (``cfn-outputs/flat-outputs.json``): its one owner.

Every tool that acts on a deployment (the game day, the local API caller, the receipt
reconciliation, the integration tests) reads it here, and every deploy writes it here
(``write_outputs``). An empty, truncated, non-UTF-8, foreign or stale file is an
``OutputsError`` whose message is one line naming the file and the fix, never a traceback.

Where each role's region is comes from the ``topology`` output (lib/regions.py): no tool
parses an ARN to find a region.

A needed output is either missing (not in the file, or not a string: the file is another stack's
or an older version's, redeploy) or present but empty: the stack leaves some outputs empty on
purpose (lib/tap_stack.py ``_outputs``), and then redeploying changes nothing; ``EMPTY_BECAUSE``
says why and what to change.
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
    """The outputs file cannot serve; the message says why and what to do, in one line.
    ``missing`` and ``empty``: the needed outputs absent from the file, and present but empty."""

    def __init__(self, message: str, *, missing: Iterable[str] = (), empty: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.missing, self.empty = tuple(missing), tuple(empty)


_NO_DOMAIN = (
    "the deployment has no custom domain (ENABLE_CUSTOM_DOMAIN=false, or no DOMAIN_NAME: a CI target "
    "without domain_name deploys the regional APIs only): the failover name, its Route 53 records, the "
    "data-plane failover switch and the game day need one; set domain_name and hosted_zone_id for the "
    "target in .github/deploy-targets.json (locally: DOMAIN_NAME, HOSTED_ZONE_ID, ENABLE_CUSTOM_DOMAIN=true) "
    "and redeploy"
)
# Outputs lib/tap_stack.py leaves empty on purpose, and why (their descriptions: lib/outputs.py).
EMPTY_BECAUSE = {
    "failover_domain_name": _NO_DOMAIN,
    "failover_switch": _NO_DOMAIN,
}


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
    needed = list(needed)
    missing = [name for name in needed if not isinstance(outputs.get(name), str)]
    empty = [name for name in needed if outputs.get(name) == ""]
    problems = (
        [f"{path} lacks outputs {', '.join(missing)}: is it this stack's? Redeploy it"] if missing else []
    )
    problems += _empty(path if not missing else None, empty)
    if problems:
        raise OutputsError("; ".join(problems), missing=missing, empty=empty)
    return outputs


def _empty(path: Path | None, names: list[str]) -> list[str]:
    """One problem per reason: the outputs empty for it, then the reason once."""
    unknown = "the deployment recorded no value for it: redeploy to rewrite the file"
    by_reason: dict[str, list[str]] = {}
    for name in names:
        by_reason.setdefault(EMPTY_BECAUSE.get(name, unknown), []).append(name)
    where = f"{path}: " if path is not None else ""
    return [
        f"{where}{'output' if len(group) == 1 else 'outputs'} {', '.join(group)} "
        f"{'is' if len(group) == 1 else 'are'} empty: {reason}"
        for reason, group in by_reason.items()
    ]


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

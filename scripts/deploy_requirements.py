#!/usr/bin/env python3
"""The test runner a deploy job needs, and nothing else of the dev tools.

    python3 -m scripts.deploy_requirements > requirements.txt

``make install-deploy`` (the workflows that deploy, destroy, plan or rehearse against real AWS)
installs the ``[packages]`` of the Pipfile (``pipenv sync``, no ``--dev``): no linter, no
emulator, no policy scanner. Their one dev tool is pytest, for ``make test-integration``; this
prints it and its runtime dependencies as locked in ``Pipfile.lock`` (``develop``), one
``name==version --hash=...`` line each, for ``pip install --no-deps --require-hashes``.
``pip check`` afterwards catches a dependency pytest gained that ``PYTEST_CLOSURE`` lacks, and
tests/unit/test_deploy_requirements.py compares it with the installed pytest's metadata.

Standard library only: it runs before the project's environment exists.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "Pipfile.lock"
# pytest and what it requires on Linux with Python 3.11 (colorama: Windows only; exceptiongroup
# and tomli: Python < 3.11).
PYTEST_CLOSURE = ("pytest", "iniconfig", "packaging", "pluggy", "pygments")


class LockError(ValueError):
    """The lock file cannot give a package; one line."""


def requirements(lock: dict, names: tuple[str, ...] = PYTEST_CLOSURE) -> list[str]:
    develop, default = lock.get("develop", {}), lock.get("default", {})
    lines = []
    for name in names:
        entry = develop.get(name) or default.get(name)
        if not entry or not entry.get("version") or not entry.get("hashes"):
            raise LockError(f"Pipfile.lock has no pinned, hashed {name}: run `pipenv lock --dev`")
        hashes = " ".join(f"--hash={h}" for h in entry["hashes"])
        lines.append(f"{name}{entry['version']} {hashes}")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args:
        print(f"error: no arguments expected, got {' '.join(args)}", file=sys.stderr)
        return 2
    try:
        lock = json.loads(LOCK.read_text())
        print("\n".join(requirements(lock)))
    except (OSError, json.JSONDecodeError) as error:
        print(f"error: {LOCK} cannot be read ({error})", file=sys.stderr)
        return 1
    except LockError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

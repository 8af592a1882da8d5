"""Launcher for the local AWS emulator: moto server plus the harness patches.

Usage (normally via ``local_aws/emulator.sh start``)::

    EMULATOR_PORT=4566 .venv/bin/python -m local_aws.server

Listens on ``127.0.0.1:$EMULATOR_PORT`` (default 4566), with the data plane
(local_aws/dataplane/plane.py: API Gateway stages, Lambda, Route 53 health checks and DNS)
on the same port. Every emulator gap is filled by a module in ``patches/`` or the data
plane; nothing in the Terraform stack is changed to suit the emulator.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from local_aws.regions import address_block, time_scale

if TYPE_CHECKING:
    from local_aws.dataplane.plane import DataPlane

# moto.settings reads this once, at import time: it must be set before any
# moto import.  ACM marks an AMAZON_ISSUED certificate ISSUED once it is older
# than this many seconds (default 60), so 0 means "ISSUED on the next describe".
os.environ.setdefault("MOTO_ACM_VALIDATION_WAIT", "0")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566


_applied: list[str] = []


def apply_patches() -> list[str]:
    """Apply every patch to moto (``patches.NAMES``), then hook the data plane's served
    behaviours into it (``dataplane.HOOKS``), each module's ``apply()`` once; their names."""
    if not _applied:
        for package, listed in (("local_aws.patches", "NAMES"), ("local_aws.dataplane", "HOOKS")):
            module = importlib.import_module(package)  # moto must not load before the env is set
            for name in getattr(module, listed):
                importlib.import_module(f"{package}.{name}").apply()
                _applied.append(f"{package.rpartition('.')[2]}/{name}")
    return list(_applied)


def serve_identity(token: str, plane: DataPlane | None = None) -> None:
    """Answer this server's start token, and let the data plane answer its own endpoints and
    refuse calls into a region that is out (patches/emulator_endpoints.py)."""
    from local_aws.patches import emulator_endpoints  # noqa: PLC0415 - moto must not load before the env is set

    emulator_endpoints.apply(token, plane.intercept if plane else None)


def main() -> None:
    port = int(os.environ.get("EMULATOR_PORT", DEFAULT_PORT))
    host = os.environ.get("EMULATOR_HOST", DEFAULT_HOST)
    try:
        scale = time_scale()
        address_block()
    except ValueError as error:
        sys.exit(f"local_aws: {error}")
    applied = apply_patches()
    from local_aws.dataplane.plane import DataPlane  # noqa: PLC0415 - moto must not load before the env is set

    plane = DataPlane(
        port=port, state_dir=Path(os.environ.get("EMULATOR_STATE_DIR", ".local-aws")), scale=scale
    )
    serve_identity(os.environ.get("EMULATOR_TOKEN", ""), plane)
    try:
        plane.start()
    except OSError as error:  # another emulator holds this port on a region's address
        plane.stop()
        sys.exit(
            f"local_aws: the data plane cannot listen on port {port} ({error}): is another emulator using it?"
        )
    atexit.register(plane.stop)  # moto's SIGTERM handler exits through sys.exit: workers stop
    print(f"local_aws: patches applied: {', '.join(applied)}", flush=True)
    print(f"local_aws: moto server on http://{host}:{port}", flush=True)
    print(f"local_aws: data plane: {json.dumps(plane.status())}", flush=True)

    from moto.server import main as moto_main  # noqa: PLC0415 - after the patches

    # moto's own entry point: werkzeug run_simple, threaded, SIGTERM -> exit 0.
    moto_main(["--host", host, "--port", str(port)])


if __name__ == "__main__":
    main()

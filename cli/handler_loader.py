"""Import a fresh copy of the Lambda handler (lib/lambda/handler.py), and the API Gateway proxy
event (REST, v1) it is called with, for running it in-process: the one loader of the handler,
for the unit and harness tests and the receipt reconciliation (dr/reconcile_receipts.py).

``lib/lambda`` is zipped as the Lambda package and ``lambda`` is a Python keyword, so the
handler is loaded from its file path rather than imported as a package. Each call executes
the module again, so its module-level boto3 clients are created against whatever is active
at that moment (a moto ``mock_aws`` context, or an emulator via ``AWS_ENDPOINT_URL``).

The handler imports its sibling modules (``lib/lambda/payments_*.py``) by their top-level
names, as Lambda puts the package's root on the import path. Nothing here edits ``sys.path``:
each sibling is also executed afresh from its file path, after the siblings it imports, and
registered in ``sys.modules`` under its own name before the handler runs, so the handler's
``import payments_...`` finds that fresh copy. A copy of the handler keeps the siblings it was
loaded with; a later load (another ``module_name``) replaces only the ``sys.modules`` entries.
"""

from __future__ import annotations

import ast
import functools
import graphlib
import importlib.util
import io
import os
import sys
import uuid
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

from lib.api_contract import PACKAGE_DIR, package_files

HANDLER_PATH = PACKAGE_DIR / "handler.py"
SIBLINGS = "payments_*.py"  # the handler's own modules: distinct from any installed package
MODULE_NAME = "payments_handler"


def package_zip() -> bytes:
    """The Lambda package zipped, for deploying the real handler to the emulator."""
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        for path in package_files():
            archive.write(path, path.name)
    return code.getvalue()


def _imported(path: Path) -> set[str]:
    """The top-level names of the absolute imports in a module's source."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


@functools.cache
def _siblings() -> list[tuple[str, Path]]:
    """(module name, path) of the handler's sibling modules, each after the siblings it imports
    (read once: the package does not change under a running process)."""
    paths = {path.stem: path for path in sorted(PACKAGE_DIR.glob(SIBLINGS))}
    imports = {name: _imported(path) & set(paths) for name, path in paths.items()}
    return [(name, paths[name]) for name in graphlib.TopologicalSorter(imports).static_order()]


def _execute(module_name: str, path: Path) -> ModuleType:
    """Execute the module at ``path`` afresh as ``module_name``, registered in ``sys.modules``
    first (dataclasses resolve annotations through it, and the handler's imports find it)."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - only if the file is missing
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def load_handler(*, module_name: str = MODULE_NAME, **env: str | None) -> ModuleType:
    """Set the given environment variables (``None`` unsets one), then import the handler as
    ``module_name`` (a tool gives its own name, so that its copy never replaces a test's),
    with fresh copies of its sibling modules.

    Example: ``load_handler(TABLE_NAME="payments", BUCKET_NAME="receipts",
    REGION_ROLE="primary", AWS_REGION="us-east-1")``. Variables are set in ``os.environ``
    and left in place; callers that need isolation should set them through
    ``pytest.MonkeyPatch`` first (or restore them afterwards).
    """
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    for name, path in _siblings():
        _execute(name, path)
    return _execute(module_name, HANDLER_PATH)


def proxy_event(
    method: str,
    path: str,
    *,
    body: str | None = None,
    query: dict[str, str] | None = None,
    resource: str | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The REST API (v1) proxy event API Gateway sends for ``method path`` on stage ``v1``
    (``resource``: the route template, e.g. ``/payments/{payment_id}``; default the path)."""
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"} if body is not None else {},
        "queryStringParameters": query or None,
        "pathParameters": None,
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {"requestId": request_id or str(uuid.uuid4()), "stage": "v1", "httpMethod": method},
    }

"""Import a fresh copy of the Lambda handler (lib/lambda/handler.py), and the API Gateway proxy
event (REST, v1) it is called with, for running it in-process: the one loader of the handler,
for the unit and harness tests and the receipt reconciliation (dr/reconcile_receipts.py).

``lib/lambda`` is zipped as the Lambda package and ``lambda`` is a Python keyword, so the
handler is loaded from its file path rather than imported as a package. Each call executes
the module again, so its module-level boto3 clients are created against whatever is active
at that moment (a moto ``mock_aws`` context, or an emulator via ``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

HANDLER_PATH = Path(__file__).resolve().parent.parent / "lib" / "lambda" / "handler.py"
MODULE_NAME = "payments_handler"


def load_handler(*, module_name: str = MODULE_NAME, **env: str | None) -> ModuleType:
    """Set the given environment variables (``None`` unsets one), then import the handler as
    ``module_name`` (a tool gives its own name, so that its copy never replaces a test's).

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
    spec = importlib.util.spec_from_file_location(module_name, HANDLER_PATH)
    if spec is None or spec.loader is None:  # pragma: no cover - only if the file is missing
        raise ImportError(f"cannot load the Lambda handler from {HANDLER_PATH}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses resolve annotations via sys.modules
    spec.loader.exec_module(module)
    return module


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

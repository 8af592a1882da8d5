"""Gap: an emulator crash looks like a hang to Terraform.

When moto hits a code path it does not implement (``NotImplementedError``,
``KeyError`` on a field it never expected, ...) it answers HTTP 500.  The AWS
SDKs treat 500 as a transient server error: the Terraform provider retries
it 25 times with exponential backoff (about ten minutes), boto3 several
times, and the error moto raised is never shown.  This patch answers such a
crash with HTTP 501 instead (not retried by any AWS SDK), error code
``EmulatorInternalError`` and the Python exception as the message, and
prints the traceback to the emulator log, so the apply fails in a second and
says which gap it hit.

AWS: SDKs retry 500/502/503/504 as transient and do not retry 501 Not Implemented:
https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
"""

from __future__ import annotations

import functools
import json
import traceback
from typing import Any
from xml.sax.saxutils import escape

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

CODE = "EmulatorInternalError"


def _error_response(environ: dict[str, Any], start_response: Any, exc: Exception) -> list[bytes]:
    message = f"local AWS emulator (moto) failed: {type(exc).__name__}: {exc} (see moto.log)"
    wants_json = environ.get("HTTP_X_AMZ_TARGET") or any(
        "json" in environ.get(header, "") for header in ("CONTENT_TYPE", "HTTP_ACCEPT")
    )
    if wants_json:
        body = json.dumps({"__type": CODE, "code": CODE, "message": message})
        content_type = "application/json"
    else:
        body = (
            f"<ErrorResponse><Error><Code>{CODE}</Code>"
            f"<Message>{escape(message)}</Message></Error></ErrorResponse>"
        )
        content_type = "text/xml"
    data = body.encode()
    start_response(
        "501 Not Implemented",
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(data))),
            ("x-amzn-ErrorType", CODE),
        ],
    )
    return [data]


def apply() -> None:
    original_get_application = DomainDispatcherApplication.get_application
    original_call = DomainDispatcherApplication.__call__

    @functools.wraps(original_get_application)
    def get_application(self: DomainDispatcherApplication, environ: dict[str, Any]) -> Any:
        app = original_get_application(self, environ)
        app.config["PROPAGATE_EXCEPTIONS"] = True  # let __call__ below see the crash
        return app

    @functools.wraps(original_call)
    def __call__(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any) -> Any:
        try:
            return original_call(self, environ, start_response)
        except Exception as exc:  # any crash is an emulator gap
            traceback.print_exc()
            return _error_response(environ, start_response, exc)

    DomainDispatcherApplication.get_application = get_application
    DomainDispatcherApplication.__call__ = __call__

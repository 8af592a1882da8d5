"""The emulator's own endpoints on moto's port: its start token, the data plane's control
endpoints, and a log line for every request an AWS SDK retried. Emulator control, with no AWS
counterpart: a gap only in the sense that moto's dispatcher knows none of them.

- ``GET /_local_aws/token`` answers the token the server was started with, so that the one who
  started it (emulator.sh) can tell it apart from another run's emulator on the same port;
- the data plane answers its own endpoints (``/_local_aws/dataplane``, ``/_local_aws/outage``,
  ``/_local_aws/calls``) and refuses calls signed for a region that is out: it passes its
  ``intercept`` here, and this module never imports it;
- a patch may answer an unsigned URL of its own (``add_public``): SNS's ``SubscribeURL``
  (``sns_http_subscriptions.py``), which moto's dispatcher cannot route without a signature;
- a request whose ``amz-sdk-request`` header says ``attempt=2`` or more was retried by the SDK
  ("attempt - The current attempt number", https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html):
  a retried create is how a duplicate or an "already exists" appears, so the log names it.

``apply()`` wraps moto's dispatcher once; a later ``apply(token, intercept)`` sets what it answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

IDENTITY_PATH = "/_local_aws/token"
Intercept = Callable[[dict], "tuple[int, Any] | None"]
Public = Callable[[dict], "tuple[int, str, bytes] | None"]  # (status, content type, body)

_token = ""
_intercept: Intercept | None = None
_public: list[Public] = []


def add_public(handler: Public) -> None:
    """Let ``handler`` answer a request first (a URL AWS serves unsigned); idempotent."""
    if handler not in _public:
        _public.append(handler)


def apply(token: str = "", intercept: Intercept | None = None) -> None:
    """Answer ``token`` at ``IDENTITY_PATH`` and let ``intercept`` answer first (idempotent)."""
    global _token, _intercept  # one patch of one moto class, process-wide
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication  # noqa: PLC0415

    _token, _intercept = token, intercept
    if getattr(DomainDispatcherApplication.__call__, "_local_aws_endpoints", False):
        return  # wrapped already (a test that restored moto's own __call__ gets it wrapped again)
    original = DomainDispatcherApplication.__call__

    def __call__(self: DomainDispatcherApplication, environ: dict, start_response: Any) -> object:
        if environ.get("PATH_INFO") == IDENTITY_PATH:
            body = _token.encode()
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        for handler in list(_public):
            served = handler(environ)
            if served is not None:
                status, content_type, raw = served
                start_response(
                    f"{status} {HTTPStatus(status).phrase}",
                    [("Content-Type", content_type), ("Content-Length", str(len(raw)))],
                )
                return [raw]
        answer = _intercept(environ) if _intercept else None
        if answer is not None:
            status, document = answer
            body = json.dumps(document).encode()
            start_response(
                f"{status} {HTTPStatus(status).phrase}",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        attempt = environ.get("HTTP_AMZ_SDK_REQUEST", "")  # "attempt=2; max=25" on an SDK retry
        if attempt and not attempt.startswith("attempt=1;"):
            print(
                f"local_aws: retried by the client ({attempt}): {environ.get('REQUEST_METHOD')} "
                f"{environ.get('PATH_INFO')}",
                flush=True,
            )
        return original(self, environ, start_response)

    __call__._local_aws_endpoints = True  # type: ignore[attr-defined]
    DomainDispatcherApplication.__call__ = __call__

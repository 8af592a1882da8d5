"""One Lambda execution environment: imports a function's handler once, then runs invocations.

Started by ``lambda_runtime`` as ``python -m local_aws.dataplane.lambda_worker`` with the
function's environment (``LAMBDA_TASK_ROOT``, ``_HANDLER``, ...); it plays the part of Lambda's
Python runtime interface client (awslambdaric, whose behaviour it copies: the error types and
messages below are that client's), so that the same handler code runs here as on AWS.

Lifecycle (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html): the
Init phase imports the handler module once, from the task root, which is also the working
directory ("/var/task" on AWS); then each invocation calls the handler with the event and a
context object, one at a time, and module state persists between them (a warm start).

Protocol: JSON lines. Requests come in on the original stdin, replies go out on the original
stdout; both are moved to private descriptors at start, so the handler's own ``print``s, its
``logging`` and anything it reads from stdin never touch the protocol. ``sys.stdout`` and
``sys.stderr`` become per-invocation captures (returned with each reply as ``logs``); output
written straight to file descriptors 1 or 2 (a subprocess, a C library) goes to the original
stderr, which the runtime drains into its own log.

- worker -> runtime, once: ``{"type": "ready", "logs"}`` or ``{"type": "init_error", "error", "logs"}``
- runtime -> worker: ``{"type": "invoke", "request_id", "event", "invoked_function_arn", "deadline_ms"}``
- worker -> runtime: ``{"type": "result", "request_id", "status": "ok", "payload", "encoding", "logs"}``
  (``encoding`` "json": ``payload`` is the JSON text Lambda would return; "base64": the handler
  returned bytes, which Lambda passes through as they are), or ``{"type": "result",
  "request_id", "status": "error", "error", "logs"}``.
"""

from __future__ import annotations

import base64
import decimal
import importlib
import io
import json
import logging
import math
import os
import re
import secrets
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import IO, Any

# Lambda's error types for a handler that cannot be loaded or a result that cannot be returned
# (awslambdaric/lambda_runtime_exception.py, https://github.com/aws/aws-lambda-python-runtime-interface-client).
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
MARSHAL_ERROR = "Runtime.MarshalError"

# The text log format of Lambda's Python runtime: "[LEVEL]\t<UTC time>Z\t<request id>\t<message>"
# (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html).
LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
LOG_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


class Fault(Exception):
    """A failure of the runtime rather than of the handler's code (awslambdaric's FaultException)."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type, self.message, self.trace = error_type, message, trace or []


# --------------------------------------------------------------------------- output capture


class Capture:
    """What the handler writes to ``sys.stdout``/``sys.stderr`` (and through ``logging``),
    kept until the runtime takes it with the invocation's reply. Thread-safe: a handler's own
    threads may print too."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parts: list[str] = []

    def write(self, text: str) -> None:
        with self._lock:
            self._parts.append(text)

    def take(self) -> str:
        with self._lock:
            text, self._parts = "".join(self._parts), []
        return text


class _BinaryStream(io.RawIOBase):
    """``sys.stdout.buffer``: bytes written to it are captured as UTF-8 text."""

    def __init__(self, capture: Capture) -> None:
        super().__init__()
        self._capture = capture

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._capture.write(bytes(data).decode("utf-8", "replace"))
        return len(data)


class CapturedStream(io.TextIOBase):
    """A ``sys.stdout``/``sys.stderr`` that writes into the capture. One object for the whole
    life of the worker, so a ``logging.StreamHandler`` created by the handler at import keeps
    writing into the current invocation's logs."""

    def __init__(self, capture: Capture, fd: int) -> None:
        super().__init__()
        self._capture, self._fd = capture, fd
        self.buffer = _BinaryStream(capture)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:  # code that needs a real descriptor (subprocess) gets stderr's
        return self._fd

    def write(self, text: str) -> int:
        self._capture.write(text)
        return len(text)


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _setup_logging(request_ids: _RequestIdFilter) -> None:
    """Lambda's Python runtime adds one handler to the root logger, in its text format, and
    leaves the root level at WARNING (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html);
    a ``logging.basicConfig()`` in the function is then a no-op, as on AWS."""
    logging.Formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT))
    handler.terminator = ""
    handler.addFilter(request_ids)
    logging.getLogger().addHandler(handler)


# --------------------------------------------------------------------------- handler loading


def load_handler(handler: str) -> Callable[[Any, Any], Any]:
    """Import ``module.function`` from the task root, with awslambdaric's errors and messages
    (https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html: "file_name.function_name")."""
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as exc:
        raise Fault(MALFORMED_HANDLER_NAME, f"Bad handler '{handler}': {exc}") from None
    if modname.split(".")[0] in sys.builtin_module_names:
        raise Fault(BUILT_IN_MODULE_CONFLICT, f"Cannot use built-in module {modname} as a handler module")
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as exc:
        raise Fault(IMPORT_MODULE_ERROR, f"Unable to import module '{modname}': {exc}") from None
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise Fault(USER_CODE_SYNTAX_ERROR, f"Syntax error in module '{modname}': {exc}", trace) from None
    try:
        return getattr(module, fname)
    except AttributeError:
        raise Fault(HANDLER_NOT_FOUND, f"Handler '{fname}' missing on module '{modname}'") from None


# --------------------------------------------------------------------------- errors and results


def _user_frames(tb: Any) -> list[traceback.FrameSummary]:
    """The traceback without this worker's own leading frames, as Lambda drops its bootstrap's."""
    frames = traceback.extract_tb(tb)
    for index, frame in enumerate(frames):
        if frame.filename != __file__:
            return frames[index:]
    return []


def error_document(exc: BaseException, request_id: str | None) -> dict[str, Any]:
    """The JSON document Lambda returns for an error, FunctionError "Unhandled"
    (https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html)."""
    if isinstance(exc, Fault):
        message, error_type, trace = exc.message, exc.error_type, exc.trace
    else:
        message, error_type = str(exc), type(exc).__name__
        trace = traceback.format_list(_user_frames(exc.__traceback__))
    document: dict[str, Any] = {"errorMessage": message, "errorType": error_type}
    if request_id is not None:
        document["requestId"] = request_id
    document["stackTrace"] = trace
    return document


def error_log(document: dict[str, Any]) -> str:
    """The log entry Lambda's runtime writes for an error: "[ERROR] Type: message" and the trace."""
    lines = [f"[ERROR] {document['errorType']}: {document['errorMessage']}"]
    if document.get("stackTrace"):
        lines.append("Traceback (most recent call last):")
        lines.extend(line.rstrip("\n") for line in document["stackTrace"])
    return "\n".join(lines) + "\n"


# Lambda's Python runtime serialises with simplejson, writing a Decimal as its exact digits
# (awslambdaric/lambda_runtime_marshaller.py); the standard library cannot write a raw number,
# so a Decimal is written as a marked string first and the mark replaced by its digits after.
_MARK = secrets.token_hex(8)
_MARKED = re.compile(r'"\\u0000' + _MARK + r':([^"\\]*)\\u0000"')


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        if value.is_nan():
            return math.nan
        return f"\0{_MARK}:{value}\0"
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def marshal(result: Any) -> tuple[str, str]:
    """(payload, encoding) of a handler's return value, as Lambda returns it: bytes as they are,
    anything else as JSON; what JSON cannot hold is a Runtime.MarshalError
    (https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html, "Returning a value")."""
    if isinstance(result, bytes | bytearray):
        return base64.b64encode(bytes(result)).decode("ascii"), "base64"
    try:
        text = json.dumps(result, default=_default)
    except (TypeError, ValueError) as exc:
        raise Fault(MARSHAL_ERROR, f"Unable to marshal response: {exc}") from None
    return _MARKED.sub(lambda match: match[1], text), "json"


# --------------------------------------------------------------------------- the context


class LambdaContext:
    """The context object (https://docs.aws.amazon.com/lambda/latest/dg/python-context.html),
    with awslambdaric's attribute values (``memory_limit_in_mb`` is a string there too)."""

    def __init__(self, request_id: str, invoked_function_arn: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message: str) -> None:
        sys.stdout.write(str(message))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},function_name={self.function_name},"
            f"function_version={self.function_version},invoked_function_arn={self.invoked_function_arn}])"
        )


# --------------------------------------------------------------------------- the loop


def _isolate(task_root: str) -> None:
    """Make the task root the working directory and the first place imports come from, and
    drop the emulator's own directory from the import path (only the package is importable)."""
    launch_dir = os.getcwd()
    sys.path[:] = [task_root] + [p for p in sys.path if p not in ("", launch_dir, task_root)]
    os.chdir(task_root)


def _invoke(
    handler: Callable[[Any, Any], Any], message: dict[str, Any], request_ids: _RequestIdFilter
) -> dict[str, Any]:
    request_id = message["request_id"]
    request_ids.request_id = request_id
    reply: dict[str, Any] = {"type": "result", "request_id": request_id}
    try:
        context = LambdaContext(request_id, message["invoked_function_arn"], message["deadline_ms"])
        payload, encoding = marshal(handler(message["event"], context))
    except Exception as exc:  # the handler raised: an "Unhandled" function error
        document = error_document(exc, request_id)
        sys.stdout.write(error_log(document))
        reply.update(status="error", error=document)
    else:
        reply.update(status="ok", payload=payload, encoding=encoding)
    return reply


def serve(requests: Iterable[str], replies: IO[str], capture: Capture) -> None:
    """Init (import the handler), then answer invoke requests until the runtime closes stdin."""
    request_ids = _RequestIdFilter()
    _setup_logging(request_ids)

    def send(reply: dict[str, Any]) -> None:
        reply["logs"] = capture.take()
        replies.write(json.dumps(reply) + "\n")
        replies.flush()

    try:
        _isolate(os.environ["LAMBDA_TASK_ROOT"])
        handler = load_handler(os.environ["_HANDLER"])
    except Exception as exc:  # an import-time exception of the module itself, or a Fault
        document = error_document(exc, None)
        sys.stdout.write(error_log(document))
        send({"type": "init_error", "error": document})
        return
    send({"type": "ready"})
    for line in requests:
        if line.strip():
            send(_invoke(handler, json.loads(line), request_ids))


def main() -> None:
    # The protocol keeps the original descriptors; the handler gets /dev/null as stdin and
    # stderr in place of descriptor 1.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    capture = Capture()
    sys.stdout = CapturedStream(capture, 2)
    sys.stderr = CapturedStream(capture, 2)
    serve(requests, replies, capture)


if __name__ == "__main__":
    main()

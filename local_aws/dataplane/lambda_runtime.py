"""Run the deployed Lambda functions' code: the execution environments moto cannot start.

moto stores functions (their zip, handler, runtime, timeout, environment, role) but runs them
only in Docker. This module runs a Python function in a worker process on the host instead
(``lambda_worker``), for API Gateway's AWS_PROXY integration to call::

    runtime = LambdaRuntime(endpoint_url="http://127.0.0.1:4566", work_dir=state_dir / "lambda")
    result = runtime.invoke(account_id="123456789012", region="us-east-1",
                            function="arn:aws:lambda:us-east-1:123456789012:function:api",
                            event=proxy_event, request_id=str(uuid.uuid4()))
    result.status, result.payload   # "ok", {"statusCode": 200, ...}
    runtime.close()                 # at shutdown: stops every worker

What is modelled, from AWS's documentation:

- Code, environment variables and credentials: ``lambda_function`` (the deployed package as the
  task root, Lambda's reserved variables, the execution role assumed in the emulator's STS).
- Execution environments: ``lambda_pool`` (one worker process each, warm reuse, new ones for a
  new configuration, up to ``MAX_WORKERS_PER_FUNCTION`` per function).
- Init: a failed Init resets the environment, so the next invocation tries Init again.
- Reserved concurrency: an invocation beyond the function's reserved concurrency is refused
  (``FunctionThrottled``).
- The context object: https://docs.aws.amazon.com/lambda/latest/dg/python-context.html
- Timeout (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html): past the
  function's timeout the environment is stopped (killed, with any process it started) and the
  invocation fails with "<time> <request id> Task timed out after N.NN seconds".
- Errors (https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html): an exception of the
  handler, a handler that cannot be loaded (``Runtime.ImportModuleError``,
  ``Runtime.HandlerNotFound``, ...) and a result that is not JSON (``Runtime.MarshalError``) are
  FunctionError "Unhandled" (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html)
  with Lambda's error document; a worker that exits is ``Runtime.ExitError``.

Not modelled: memory is only reported (``AWS_LAMBDA_FUNCTION_MEMORY_SIZE``,
``context.memory_limit_in_mb``), never enforced, and CPU is not scaled with it
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). The function runs on
the host's Python: the runtime must be ``pythonX.Y``, and another version than the host's is
noted once in the emulator's log. Layers, container images, extensions and SnapStart are not
run. Init gets ``INIT_LIMIT_SECONDS`` (Lambda's 10 s) and is not retried within the invocation
after an Init timeout as Lambda does; a cold start's ``duration_ms`` counts the invocation
only, as Lambda's Duration does. Idle environments are not reclaimed after a while (Lambda's
are); those of a deleted function stay until ``close()``.
"""

from __future__ import annotations

import atexit
import base64
import json
import re
import sys
import threading
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local_aws.dataplane.lambda_function import FunctionConfig, TaskRoots, config_of, environment_for
from local_aws.dataplane.lambda_pool import Pool, Pools, Worker

MAX_WORKERS_PER_FUNCTION = 4
# "The Init phase is limited to 10 seconds"
# (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
INIT_LIMIT_SECONDS = 10.0
PYTHON_RUNTIME = re.compile(r"^python(?P<major>\d+)\.(?P<minor>\d+)$")
FUNCTION_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"function:(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?$"
)


class FunctionNotFound(LookupError):
    """No such function in that account and region (Lambda's ResourceNotFoundException)."""


class FunctionThrottled(Exception):
    """The function already runs as many invocations as its reserved concurrency allows: Lambda
    refuses the invocation (TooManyRequestsException, reason
    ReservedFunctionConcurrentInvocationLimitExceeded). "Reserving concurrency both ensures that
    your function has capacity to process the specified number of events simultaneously, and
    prevents it from scaling beyond that level."
    (https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html)"""


@dataclass(frozen=True)
class Invocation:
    """The outcome of one invocation.

    ``status``: "ok"; "error" (the handler raised, or could not be loaded, or returned what
    JSON cannot hold: FunctionError "Unhandled"); "timeout"; "crashed" (the worker exited or
    broke the protocol). ``payload``: for "ok" the handler's return value as Lambda returns it,
    JSON-decoded (a handler that returns bytes: those bytes, JSON-decoded if they are JSON);
    otherwise Lambda's error document (``errorMessage``, ``errorType``, ``requestId``,
    ``stackTrace``; only ``errorMessage`` for a timeout). ``logs``: what the function printed
    or logged (and Lambda's own error entry), for the emulator's log.
    """

    status: str
    payload: Any
    duration_ms: float
    logs: str


def _timestamp() -> str:
    """Lambda's log time format: 2024-05-01T12:00:00.123Z."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _error(message: str, error_type: str, request_id: str) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": []}


class LambdaRuntime:
    """Runs the functions moto stores; see the module docstring. Thread-safe."""

    def __init__(self, *, endpoint_url: str, work_dir: Path) -> None:
        self._endpoint_url = endpoint_url
        self._task_roots = TaskRoots(work_dir)
        self._pools = Pools(MAX_WORKERS_PER_FUNCTION)
        self._lock = threading.Lock()
        self._running: Counter[str] = Counter()  # invocations in progress, by function ARN
        self._noted: set[tuple[str, str]] = set()
        atexit.register(self.close)

    # ------------------------------------------------------------------ public

    def invoke(
        self, *, account_id: str, region: str, function: str, event: dict[str, Any], request_id: str
    ) -> Invocation:
        """Run ``function`` (name, ``name:qualifier`` or ARN) on ``event`` synchronously
        (InvocationType RequestResponse). Raises FunctionNotFound if it does not exist there."""
        function_obj, invoked_arn = self._lookup(account_id, region, function)
        config = config_of(function_obj)
        refusal = self._refusal(config, request_id)
        if refusal is not None:
            return refusal
        reserved = function_obj.reserved_concurrency
        with self._lock:
            if reserved is not None and self._running[config.function_arn] >= int(reserved):
                raise FunctionThrottled(f"{config.function_name} runs {reserved} of {reserved} reserved")
            self._running[config.function_arn] += 1
        try:
            return self._invoke(config, function_obj, invoked_arn, event, request_id)
        finally:
            with self._lock:
                self._running[config.function_arn] -= 1

    def _invoke(
        self,
        config: FunctionConfig,
        function_obj: Any,
        invoked_arn: str,
        event: dict[str, Any],
        request_id: str,
    ) -> Invocation:
        try:
            task_root = self._task_roots.get(config.code_digest, function_obj.code_bytes)
        except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
            # AWS refuses such a package at CreateFunction; moto keeps it. The runtime would
            # then find no handler module in an empty task root.
            module = config.handler.rsplit(".", 1)[0]
            document = _error(
                f"Unable to import module '{module}': No module named '{module}'",
                "Runtime.ImportModuleError",
                request_id,
            )
            logs = f"local_aws: the deployment package could not be unpacked: {type(exc).__name__}: {exc}\n"
            return Invocation("error", document, 0.0, logs)

        pool, worker = self._pools.acquire(config)
        logs = ""
        if worker is None:
            try:
                worker, failed = self._start(config, task_root, pool, request_id)
            except BaseException:
                self._pools.release_slot(pool)
                raise
            if failed is not None:
                self._pools.discard(worker)
                return failed
            logs = worker.init_logs
        try:
            result, keep = self._run(worker, config, event, invoked_arn, request_id)
        except BaseException:
            self._pools.discard(worker)
            raise
        if keep:
            self._pools.release(worker)
        else:
            self._pools.discard(worker)
        return Invocation(result.status, result.payload, result.duration_ms, logs + result.logs)

    def running(self, function_arn: str) -> int:
        """How many invocations of the function are in progress."""
        with self._lock:
            return self._running[function_arn]

    def close(self) -> None:
        """Stop every worker (and what they started); later invocations raise RuntimeError."""
        self._pools.close()

    # ------------------------------------------------------------------ the function

    @staticmethod
    def _lookup(account_id: str, region: str, function: str) -> tuple[Any, str]:
        """moto's LambdaFunction, and the ARN the invocation names (context.invoked_function_arn)."""
        from moto.awslambda.exceptions import LambdaClientError  # noqa: PLC0415 - moto loads late
        from moto.awslambda.models import lambda_backends  # noqa: PLC0415

        arn = FUNCTION_ARN.match(function)
        if arn and (arn["region"] != region or arn["account"] != account_id):
            raise FunctionNotFound(f"Function not found: {function} (looked in {account_id} {region})")
        try:
            found = lambda_backends[account_id][region].get_function(function)
        except (LambdaClientError, KeyError) as exc:
            raise FunctionNotFound(f"Function not found: {function} in {account_id} {region}") from exc
        if found is None:
            raise FunctionNotFound(f"Function not found: {function} in {account_id} {region}")
        base_arn = found.function_arn.split(":function:")[0] + f":function:{found.function_name}"
        if arn:
            invoked = function
        elif ":" in function:
            invoked = f"{base_arn}:{function.split(':', 1)[1]}"
        else:
            invoked = base_arn
        return found, invoked

    def _refusal(self, config: FunctionConfig, request_id: str) -> Invocation | None:
        """What the emulator cannot run: a container image, or a runtime that is not pythonX.Y."""
        if config.package_type != "Zip":
            message = f"local_aws runs .zip packages only; {config.function_name} is an {config.package_type}"
            return Invocation("error", _error(message, "Runtime.Unsupported", request_id), 0.0, "")
        match = PYTHON_RUNTIME.match(config.runtime)
        if match is None:
            message = (
                f"local_aws runs Python functions only (runtime pythonX.Y); "
                f"{config.function_name} has runtime {config.runtime or 'none'!r}"
            )
            return Invocation("error", _error(message, "Runtime.Unsupported", request_id), 0.0, "")
        host = f"{sys.version_info.major}.{sys.version_info.minor}"
        if (
            f"{match['major']}.{match['minor']}" != host
            and (config.function_name, config.runtime) not in self._noted
        ):
            self._noted.add((config.function_name, config.runtime))
            name = config.function_name
            print(
                f"local_aws: lambda {name}: runtime {config.runtime} runs on the host's Python {host}",
                flush=True,
            )
        return None

    # ------------------------------------------------------------------ the execution environment

    def _start(
        self, config: FunctionConfig, task_root: Path, pool: Pool, request_id: str
    ) -> tuple[Worker, Invocation | None]:
        """A new execution environment, through its Init phase: (worker, None) when ready,
        else (worker, the failed invocation) and the worker is to be discarded."""
        environment = environment_for(config, task_root, self._endpoint_url)
        worker, closed = self._pools.spawn(config, environment, pool)
        if closed:
            return worker, Invocation(
                "crashed", _error("the Lambda runtime is closed", "Runtime.ExitError", request_id), 0.0, ""
            )
        started = time.monotonic()
        reply = worker.receive(INIT_LIMIT_SECONDS)
        elapsed = time.monotonic() - started
        if isinstance(reply, dict) and reply.get("type") == "ready":
            worker.init_logs = str(reply.get("logs", "")) + worker.take_stray()
            return worker, None
        if isinstance(reply, dict) and reply.get("type") == "init_error":
            document = {**reply["error"], "requestId": request_id}
            document = {k: document[k] for k in ("errorMessage", "errorType", "requestId", "stackTrace")}
            logs = str(reply.get("logs", "")) + worker.take_stray()
            return worker, Invocation("error", document, elapsed * 1000, logs)
        return worker, self._abnormal(worker, reply, request_id, elapsed, INIT_LIMIT_SECONDS)

    def _run(
        self, worker: Worker, config: FunctionConfig, event: dict[str, Any], invoked_arn: str, request_id: str
    ) -> tuple[Invocation, bool]:
        """One invocation on a ready worker: (result, whether the worker may be reused)."""
        started = time.monotonic()
        deadline_ms = int(time.time() * 1000) + config.timeout * 1000
        message = {
            "type": "invoke",
            "request_id": request_id,
            "event": event,
            "invoked_function_arn": invoked_arn,
            "deadline_ms": deadline_ms,
        }
        reply: dict[str, Any] | str = "exited"
        if worker.send(message):
            reply = worker.receive(config.timeout - (time.monotonic() - started))
        elapsed = time.monotonic() - started
        if (
            not isinstance(reply, dict)
            or reply.get("type") != "result"
            or reply.get("request_id") != request_id
        ):
            return self._abnormal(worker, reply, request_id, elapsed, config.timeout), False
        logs = str(reply.get("logs", "")) + worker.take_stray()
        if reply.get("status") == "ok":
            return Invocation("ok", _decode(reply), elapsed * 1000, logs), True
        return Invocation("error", reply.get("error"), elapsed * 1000, logs), True

    @staticmethod
    def _abnormal(
        worker: Worker, reply: dict[str, Any] | str, request_id: str, elapsed: float, limit: float
    ) -> Invocation:
        """A timeout, or a worker that exited or broke the protocol (the caller discards it)."""
        if reply == "timeout":
            worker.stop()
            seconds = max(elapsed, limit)
            message = f"{_timestamp()} {request_id} Task timed out after {seconds:.2f} seconds"
            return Invocation(
                "timeout", {"errorMessage": message}, elapsed * 1000, worker.take_stray() + message + "\n"
            )
        if reply == "exited":
            message = f"RequestId: {request_id} Error: Runtime exited with error: {worker.exit_description()}"
        else:
            worker.stop()
            message = (
                f"RequestId: {request_id} Error: the worker answered outside the protocol: {reply!r:.200}"
            )
        document = {"errorType": "Runtime.ExitError", "errorMessage": message}
        return Invocation("crashed", document, elapsed * 1000, worker.take_stray() + message + "\n")


def _decode(reply: dict[str, Any]) -> Any:
    """The handler's result as the worker marshalled it (JSON text, or base64 of raw bytes)."""
    if reply.get("encoding") == "base64":
        raw = base64.b64decode(reply["payload"])
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return json.loads(reply["payload"])

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

- Code: the *deployed* package (moto's ``code_bytes``), unpacked once per code hash under
  ``work_dir/<sha256 hex>/``, the task root (``/var/task`` on AWS): first on ``sys.path`` and the
  working directory of the handler. https://docs.aws.amazon.com/lambda/latest/dg/python-package.html
- Execution environments (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html):
  one worker process per environment; Init (the handler module's import) once, then one
  invocation at a time, module state kept between them (warm starts). A new code hash or any
  configuration change (handler, runtime, timeout, memory, environment, role) gets new workers,
  and the old ones are stopped. Concurrent invocations of one function use up to
  ``MAX_WORKERS_PER_FUNCTION`` environments; beyond that an invocation *waits* for one to be
  free (AWS would add environments up to the account's concurrency, then throttle with 429).
  A failed Init resets the environment, so the next invocation tries Init again.
- Environment variables: the function's own, then the reserved ones Lambda sets
  (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime;
  a configuration that sets a reserved one is refused: patches/lambda_reserved_variables.py),
  with credentials from the function's execution role assumed in the emulator's STS
  (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html), and
  ``AWS_ENDPOINT_URL`` so that the function's SDK calls come back to the emulator. Nothing of
  the emulator process's own environment is passed on but ``PATH``.
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
import contextlib
import io
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER_MODULE = "local_aws.dataplane.lambda_worker"
MAX_WORKERS_PER_FUNCTION = 4
# "The Init phase is limited to 10 seconds"
# (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
INIT_LIMIT_SECONDS = 10.0
STOP_GRACE_SECONDS = 1.0
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


@dataclass(frozen=True)
class _Config:
    """Everything an execution environment is started from: equal configs share warm workers."""

    account_id: str
    region: str
    function_name: str
    version: str
    function_arn: str
    code_digest: str
    package_type: str
    handler: str
    runtime: str
    timeout: int
    memory_size: int
    environment: tuple[tuple[str, str], ...]
    role: str
    log_group: str

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.account_id, self.region, self.function_name, self.version)


class _Worker:
    """One execution environment: a ``lambda_worker`` process and the threads reading it."""

    def __init__(self, config: _Config, process: subprocess.Popen[bytes], pool: _Pool) -> None:
        self.config, self.process, self.pool = config, process, pool
        self.init_logs = ""
        self._stopped = False
        self._replies: queue.Queue[bytes | None] = queue.Queue()
        self._stray: list[str] = []
        self._stray_lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._read_replies, daemon=True, name=f"lambda-{process.pid}-out"),
            threading.Thread(target=self._read_stray, daemon=True, name=f"lambda-{process.pid}-err"),
        ]
        for thread in self._threads:
            thread.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read_replies(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:  # closed by its reader: closing it from another thread would block
            for line in self.process.stdout:
                self._replies.put(line)
        self._replies.put(None)

    def _read_stray(self) -> None:
        assert self.process.stderr is not None
        with self.process.stderr:
            for line in self.process.stderr:
                with self._stray_lock:
                    self._stray.append(line.decode("utf-8", "replace"))

    def take_stray(self) -> str:
        """Output written straight to the worker's descriptors 1 and 2 (not through sys.stdout)."""
        with self._stray_lock:
            text, self._stray = "".join(self._stray), []
        return text

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, message: dict[str, Any]) -> bool:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            return False
        return True

    def receive(self, timeout: float) -> dict[str, Any] | str:
        """The next reply, or "timeout", "exited" (end of output) or "garbled" (not a reply)."""
        try:
            line = self._replies.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return "timeout"
        if line is None:
            return "exited"
        try:
            message = json.loads(line)
        except ValueError:
            return "garbled"
        return message if isinstance(message, dict) else "garbled"

    def exit_description(self) -> str:
        """How the process ended, as Lambda words it ("exit status 1", "signal: killed")."""
        try:
            code = self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self.stop()
            code = self.process.returncode
        if code is not None and code < 0:
            with contextlib.suppress(ValueError):
                return "signal: " + signal.Signals(-code).name.removeprefix("SIG").lower()
            return f"signal: {-code}"
        return f"exit status {code}"

    def stop(self) -> None:
        """Kill the worker and every process it started (its own process group), and reap it."""
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(OSError, ValueError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        # The readers end at end of output and close the pipes; a process that left the group
        # (setsid) and still holds them only keeps a daemon thread waiting.
        for thread in self._threads:
            thread.join(timeout=0.2)


class _Pool:
    """The workers of one configuration: idle ones, and how many exist (idle or busy)."""

    def __init__(self) -> None:
        self.idle: list[_Worker] = []
        self.count = 0
        self.retired = False


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
        self._work_dir = Path(work_dir)
        self._cond = threading.Condition()
        self._pools: dict[_Config, _Pool] = {}
        self._running: Counter[str] = Counter()  # invocations in progress, by function ARN
        self._workers: set[_Worker] = set()
        self._closed = False
        self._unpack_lock = threading.Lock()
        self._noted: set[tuple[str, str]] = set()
        atexit.register(self.close)

    # ------------------------------------------------------------------ public

    def invoke(
        self, *, account_id: str, region: str, function: str, event: dict[str, Any], request_id: str
    ) -> Invocation:
        """Run ``function`` (name, ``name:qualifier`` or ARN) on ``event`` synchronously
        (InvocationType RequestResponse). Raises FunctionNotFound if it does not exist there."""
        function_obj, invoked_arn = self._lookup(account_id, region, function)
        config = self._config(function_obj)
        refusal = self._refusal(config, request_id)
        if refusal is not None:
            return refusal
        reserved = function_obj.reserved_concurrency
        with self._cond:
            if reserved is not None and self._running[config.function_arn] >= int(reserved):
                raise FunctionThrottled(f"{config.function_name} runs {reserved} of {reserved} reserved")
            self._running[config.function_arn] += 1
        try:
            return self._invoke(config, function_obj, invoked_arn, event, request_id)
        finally:
            with self._cond:
                self._running[config.function_arn] -= 1

    def _invoke(
        self, config: _Config, function_obj: Any, invoked_arn: str, event: dict[str, Any], request_id: str
    ) -> Invocation:
        try:
            task_root = self._task_root(config.code_digest, function_obj.code_bytes)
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

        pool, worker = self._acquire(config)
        logs = ""
        if worker is None:
            try:
                worker, failed = self._start(config, task_root, pool, request_id)
            except BaseException:
                self._release_slot(pool)
                raise
            if failed is not None:
                self._discard(worker)
                return failed
            logs = worker.init_logs
        try:
            result, keep = self._run(worker, config, event, invoked_arn, request_id)
        except BaseException:
            self._discard(worker)
            raise
        if keep:
            self._release(worker)
        else:
            self._discard(worker)
        return Invocation(result.status, result.payload, result.duration_ms, logs + result.logs)

    def running(self, function_arn: str) -> int:
        """How many invocations of the function are in progress."""
        with self._cond:
            return self._running[function_arn]

    def close(self) -> None:
        """Stop every worker (and what they started); later invocations raise RuntimeError."""
        with self._cond:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
            self._pools.clear()
            self._cond.notify_all()
        for worker in workers:
            worker.stop()

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

    @staticmethod
    def _config(function: Any) -> _Config:
        logging_config = getattr(function, "_kept_LoggingConfig", None) or {}
        return _Config(
            account_id=function.account_id,
            region=function.region,
            function_name=function.function_name,
            version=str(function.version),
            function_arn=function.function_arn,
            code_digest=getattr(function, "code_digest", "") or "",
            package_type=function.package_type or "Zip",
            handler=function.handler or "",
            runtime=function.run_time or "",
            timeout=int(function.timeout or 3),
            memory_size=int(function.memory_size or 128),
            environment=tuple(sorted((str(k), str(v)) for k, v in (function.environment_vars or {}).items())),
            role=function.role,
            log_group=logging_config.get("LogGroup") or f"/aws/lambda/{function.function_name}",
        )

    def _refusal(self, config: _Config, request_id: str) -> Invocation | None:
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

    def _task_root(self, digest: str, code: bytes) -> Path:
        """The unpacked package, once per code hash: unpacked into a temporary directory, then
        renamed into place, so that no worker ever sees half a tree."""
        if not digest or not code:
            raise zipfile.BadZipFile("the function has no code")
        final = self._work_dir / digest
        if final.is_dir():
            return final
        with self._unpack_lock:
            if final.is_dir():
                return final
            self._work_dir.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{digest}.", dir=self._work_dir))
            try:
                with zipfile.ZipFile(io.BytesIO(code)) as archive:
                    archive.extractall(staging)  # drops ".." and absolute member paths
                try:
                    staging.rename(final)
                except OSError:
                    if not final.is_dir():  # not another process's rename winning the race
                        raise
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return final

    # ------------------------------------------------------------------ workers

    def _acquire(self, config: _Config) -> tuple[_Pool, _Worker | None]:
        """An idle warm worker, or a free slot (None) for a new one; waits when all are busy."""
        stale: list[_Worker] = []
        try:
            with self._cond:
                while True:
                    if self._closed:
                        raise RuntimeError("the Lambda runtime is closed")
                    for other in [c for c in self._pools if c.identity == config.identity and c != config]:
                        retired = self._pools.pop(other)
                        retired.retired = True
                        stale.extend(retired.idle)
                        retired.count -= len(retired.idle)
                        retired.idle.clear()
                    pool = self._pools.setdefault(config, _Pool())
                    while pool.idle:
                        worker = pool.idle.pop()
                        if worker.alive():
                            return pool, worker
                        pool.count -= 1
                        stale.append(worker)
                    if pool.count < MAX_WORKERS_PER_FUNCTION:
                        pool.count += 1
                        return pool, None
                    self._cond.wait()
        finally:
            for worker in stale:
                self._forget(worker)
                worker.stop()

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            pool = worker.pool
            if not self._closed and not pool.retired and worker.alive():
                pool.idle.append(worker)
                self._cond.notify_all()
                return
        self._discard(worker)

    def _release_slot(self, pool: _Pool) -> None:
        with self._cond:
            pool.count -= 1
            self._cond.notify_all()

    def _discard(self, worker: _Worker) -> None:
        self._forget(worker)
        self._release_slot(worker.pool)
        worker.stop()

    def _forget(self, worker: _Worker) -> None:
        with self._cond:
            self._workers.discard(worker)

    def _environment(self, config: _Config, task_root: Path) -> dict[str, str]:
        """The function's variables, then the ones Lambda sets (reserved: they win)."""
        from moto.sts.models import sts_backends  # noqa: PLC0415 - moto loads late
        from moto.utilities.utils import get_partition  # noqa: PLC0415

        # Lambda assumes the execution role with the function's name as the session name.
        credentials = sts_backends[config.account_id][get_partition(config.region)].assume_role(
            region_name=config.region,
            role_session_name=config.function_name,
            role_arn=config.role,
            policy=None,
            duration=43200,
            external_id=None,
        )
        # The emulator checks the role's policy on every request signed with these credentials.
        from local_aws.patches import iam_function_credentials  # noqa: PLC0415

        iam_function_credentials.register(credentials.access_key_id)
        stream = f"{datetime.now(UTC):%Y/%m/%d}/[{config.version}]{uuid.uuid4().hex}"
        environment = {
            "PATH": os.environ.get("PATH", os.defpath),
            "LANG": "en_US.UTF-8",
            # Isolation from the host, not Lambda's: no ~/.aws files, no instance metadata.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        environment.update(dict(config.environment))
        environment.update(
            {
                "_HANDLER": config.handler,
                "AWS_REGION": config.region,
                "AWS_DEFAULT_REGION": config.region,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
                "AWS_LAMBDA_FUNCTION_NAME": config.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_size),
                "AWS_LAMBDA_FUNCTION_VERSION": config.version,
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_LAMBDA_LOG_GROUP_NAME": config.log_group,
                "AWS_LAMBDA_LOG_STREAM_NAME": stream,
                "AWS_ACCESS_KEY_ID": credentials.access_key_id,
                "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
                "AWS_SESSION_TOKEN": credentials.session_token,
                "LAMBDA_TASK_ROOT": str(task_root),
                "LAMBDA_RUNTIME_DIR": str(REPO_ROOT),
                "TZ": ":UTC",
                # The emulator's, not Lambda's: where the function's SDK calls go, and the
                # checksum settings moto needs.
                "AWS_ENDPOINT_URL": self._endpoint_url,
                "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
                "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
            }
        )
        return environment

    def _start(
        self, config: _Config, task_root: Path, pool: _Pool, request_id: str
    ) -> tuple[_Worker, Invocation | None]:
        """A new execution environment, through its Init phase: (worker, None) when ready,
        else (worker, the failed invocation) and the worker is to be discarded."""
        process = subprocess.Popen(
            [sys.executable, "-m", WORKER_MODULE],
            cwd=REPO_ROOT,  # for -m; the worker then moves to the task root
            env=self._environment(config, task_root),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: stop() kills what it starts too
        )
        worker = _Worker(config, process, pool)
        with self._cond:
            self._workers.add(worker)
            closed = self._closed
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
        self, worker: _Worker, config: _Config, event: dict[str, Any], invoked_arn: str, request_id: str
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
        worker: _Worker, reply: dict[str, Any] | str, request_id: str, elapsed: float, limit: float
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

"""The Lambda runtime's execution environments: one ``lambda_worker`` process each, kept warm in a
pool per function configuration.

- Execution environments (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html):
  one worker process per environment; Init (the handler module's import) once, then one
  invocation at a time, module state kept between them (warm starts). A new code hash or any
  configuration change (handler, runtime, timeout, memory, environment, role) gets new workers,
  and the old ones are stopped. Concurrent invocations of one function use up to
  ``lambda_runtime.MAX_WORKERS_PER_FUNCTION`` environments; beyond that an invocation *waits*
  for one to be free (AWS would add environments up to the account's concurrency, then
  throttle with 429).
  A failed Init resets the environment, so the next invocation tries Init again.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from typing import Any

from local_aws.dataplane.lambda_function import REPO_ROOT, FunctionConfig

WORKER_MODULE = "local_aws.dataplane.lambda_worker"
STOP_GRACE_SECONDS = 1.0


class Worker:
    """One execution environment: a ``lambda_worker`` process and the threads reading it."""

    def __init__(self, config: FunctionConfig, process: subprocess.Popen[bytes], pool: Pool) -> None:
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


class Pool:
    """The workers of one configuration: idle ones, and how many exist (idle or busy)."""

    def __init__(self) -> None:
        self.idle: list[Worker] = []
        self.count = 0
        self.retired = False


class Pools:
    """Every configuration's pool of workers (at most ``limit`` each), and every worker alive.
    Thread-safe."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._cond = threading.Condition()
        self._pools: dict[FunctionConfig, Pool] = {}
        self._workers: set[Worker] = set()
        self._closed = False

    def acquire(self, config: FunctionConfig) -> tuple[Pool, Worker | None]:
        """An idle warm worker, or a free slot (None) for a new one; waits when all are busy."""
        stale: list[Worker] = []
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
                    pool = self._pools.setdefault(config, Pool())
                    while pool.idle:
                        worker = pool.idle.pop()
                        if worker.alive():
                            return pool, worker
                        pool.count -= 1
                        stale.append(worker)
                    if pool.count < self.limit:
                        pool.count += 1
                        return pool, None
                    self._cond.wait()
        finally:
            for worker in stale:
                self._forget(worker)
                worker.stop()

    def release(self, worker: Worker) -> None:
        with self._cond:
            pool = worker.pool
            if not self._closed and not pool.retired and worker.alive():
                pool.idle.append(worker)
                self._cond.notify_all()
                return
        self.discard(worker)

    def release_slot(self, pool: Pool) -> None:
        with self._cond:
            pool.count -= 1
            self._cond.notify_all()

    def discard(self, worker: Worker) -> None:
        self._forget(worker)
        self.release_slot(worker.pool)
        worker.stop()

    def _forget(self, worker: Worker) -> None:
        with self._cond:
            self._workers.discard(worker)

    def spawn(self, config: FunctionConfig, environment: dict[str, str], pool: Pool) -> tuple[Worker, bool]:
        """A new worker process for ``pool``, and whether the runtime was closed meanwhile."""
        process = subprocess.Popen(
            [sys.executable, "-m", WORKER_MODULE],
            cwd=REPO_ROOT,  # for -m; the worker then moves to the task root
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: stop() kills what it starts too
        )
        worker = Worker(config, process, pool)
        with self._cond:
            self._workers.add(worker)
            closed = self._closed
        return worker, closed

    def close(self) -> None:
        """Stop every worker (and what they started); a later ``acquire`` raises RuntimeError."""
        with self._cond:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
            self._pools.clear()
            self._cond.notify_all()
        for worker in workers:
            worker.stop()

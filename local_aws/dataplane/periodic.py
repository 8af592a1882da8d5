"""A daemon thread that runs one cycle after another until stopped (the alarm evaluator and the
Route 53 health checkers): each cycle says how long to wait before the next; a cycle that raises
is counted and retried after a fallback wait, so one bad cycle never ends the thread."""

from __future__ import annotations

import threading
from collections.abc import Callable


class PeriodicThread:
    def __init__(
        self, name: str, cycle: Callable[[], float], *, fallback: float, on_error: Callable[[], None]
    ) -> None:
        self.name = name
        self._cycle = cycle
        self._fallback = fallback
        self._on_error = on_error
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self.name} already started")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop and wait for its cycle in progress to end."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                wait = self._cycle()
            except Exception:  # keep going: one bad cycle must not end the thread
                self._on_error()
                wait = self._fallback
            self._stopping.wait(wait)

"""Named, timed steps for the command-line flows (the emulator pipeline, the failover drill)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator


class TimedSteps:
    """``with self.step("name"):`` prints the step, then ``ok (t s)`` or ``FAILED after t s:
    reason`` (and re-raises); every step's (name, seconds, status) lands in ``timings``."""

    def __init__(self) -> None:
        self.timings: list[tuple[str, float, str]] = []

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        print(f"==> {name}", flush=True)
        started = time.monotonic()
        try:
            yield
        except BaseException as error:
            elapsed = time.monotonic() - started
            self.timings.append((name, elapsed, "FAILED"))
            print(f"    FAILED after {elapsed:.1f} s: {error}", flush=True)
            raise
        elapsed = time.monotonic() - started
        self.timings.append((name, elapsed, "ok"))
        print(f"    ok ({elapsed:.1f} s)", flush=True)

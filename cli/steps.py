"""Named, timed steps for the command-line flows (the emulator pipeline, the game day,
`make test`'s stages), and the one summary table they all end with."""

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

    def print_timings(self, title: str, width: int = 52, not_run: tuple[str, ...] = ()) -> None:
        """``title``, then each step's time and status, the steps ``not_run``, and the total."""
        print(f"\n{title}")
        for name, elapsed, status in self.timings:
            print(f"  {name:<{width}} {elapsed:7.1f} s  {status}")
        for name in not_run:
            print(f"  {name:<{width}} {'':>9}  not run")
        print(f"  {'total':<{width}} {sum(elapsed for _, elapsed, _ in self.timings):7.1f} s", flush=True)

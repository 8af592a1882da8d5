"""local_aws/dataplane/periodic.py: the cycle thread of the alarm evaluator and health checkers."""

from __future__ import annotations

import threading

import pytest

from local_aws.dataplane.periodic import PeriodicThread
from tests.harness.conftest import wait_for


def test_a_cycle_that_raises_is_counted_and_the_thread_carries_on() -> None:
    cycles: list[int] = []
    errors: list[int] = []
    done = threading.Event()

    def cycle() -> float:
        cycles.append(len(cycles))
        if len(cycles) == 2:
            raise ValueError("a bad cycle")
        if len(cycles) == 4:
            done.set()
        return 0.01

    worker = PeriodicThread("test-worker", cycle, fallback=0.01, on_error=lambda: errors.append(1))
    worker.start()
    try:
        with pytest.raises(RuntimeError, match=r"^test-worker already started$"):
            worker.start()
        wait_for("four cycles", done.is_set, deadline=10)
    finally:
        worker.stop()
    assert errors == [1] and len(cycles) >= 4
    assert not worker.running and not any(t.name == "test-worker" for t in threading.enumerate())
    seen = len(cycles)
    worker.start()  # a stopped thread starts again
    wait_for("a cycle after the restart", lambda: len(cycles) > seen, deadline=10)
    worker.stop()

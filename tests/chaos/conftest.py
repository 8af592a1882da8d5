"""Report the chaos seed whatever the verbosity, so that a failure can be replayed."""

from __future__ import annotations

import sys

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    module = sys.modules.get("tests.chaos.test_operator_faults")
    if module is not None:
        seed = module.SEED
        terminalreporter.write_line(f"chaos seed {seed}: CHAOS_SEED={seed} make chaos-local replays it")

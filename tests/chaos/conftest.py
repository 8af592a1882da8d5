"""Each chaos module is a lane (its module-level ``LANE``): it starts from nothing and leaves
nothing running. A failure names the lane's logs, kept until the lane runs again. The chaos
seed is reported whatever the verbosity, so that a failure can be replayed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

pytest.register_assert_rewrite("tests.chaos.lanes")  # the adoption scenario's asserts live there

from tests.chaos.lanes import DECLARED, SEED, Lane  # noqa: E402 - after the rewrite registration

FAILED: dict[str, Lane] = {}  # by name: the lanes where a test or a fixture failed


@pytest.fixture(scope="module", autouse=True)
def lane(request: pytest.FixtureRequest) -> Iterator[Lane]:
    """The module's lane from nothing: its emulator stopped and its state removed, before and
    after (after a failure the state stays for its logs; the next run removes it)."""
    lane: Lane = request.module.LANE
    lane.stop_emulator()
    shutil.rmtree(lane.state, ignore_errors=True)
    try:
        yield lane
    finally:  # nothing left running, whatever failed
        lane.kill_started()
        lane.stop_emulator()
        if lane.name not in FAILED:
            shutil.rmtree(lane.state, ignore_errors=True)


@pytest.fixture(autouse=True)
def nothing_left_running(lane: Lane) -> Iterator[None]:
    """A test that failed half-way must not leave its pipeline running into the next one."""
    yield
    lane.kill_started()


@pytest.fixture(scope="module")
def deployed(lane: Lane) -> None:
    """The lane's stack deployed: what the adoption scenarios start from."""
    code, out = lane.run("deploy")
    assert code == 0, out[-3000:]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    lane = getattr(getattr(item, "module", None), "LANE", None)
    if report.failed and isinstance(lane, Lane):
        FAILED[lane.name] = lane
        report.sections.append(("chaos lane", lane.describe()))
        for command, output in lane.ended_early():
            report.sections.append((f"chaos lane: {command}", output))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if DECLARED:  # a chaos module was collected
        terminalreporter.write_line(f"chaos seed {SEED}: CHAOS_SEED={SEED} make chaos-local replays it")
    for lane in FAILED.values():  # just above the short summary: the last lines of a log show it
        terminalreporter.write_line(f"chaos {lane.describe()} (kept until the lane runs again)")

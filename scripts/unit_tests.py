#!/usr/bin/env python3
"""Run the unit suite as independent groups in two parallel lanes (make test-unit).

    unit_tests.py [extra pytest args for every group]

* lane 1, stacks: every test module that needs the synthesized stacks (the ~15 s jsii
  provider import is paid here, once), under coverage;
* lane 2, first handler and tools: the handler's example tests (tests/unit/test_handler.py)
  and the tests of the tools that need no synthesized stack (STACKLESS), under coverage, then
  properties: the modules that use hypothesis (found by their import), without coverage
  tracing, which would double their cost and add nothing: they run the lines the example
  tests already cover.

The lanes are balanced by measurement (make bench, issue 12): with the stackless tool tests
in lane 1 it ran 83 s against lane 2's 52 s.

Coverage of lib/ must reach 100 % of lines and branches from the two covered groups
together (`coverage combine` + `coverage report --fail-under=100`). Lane 2 never imports the
provider, so on a 2-core machine the lanes run side by side. Each group's output is printed
in full once its lane ends; the exit status is the first failure's.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "tests" / "unit"
HANDLER_EXAMPLES = "tests/unit/test_handler.py"
# Tests that neither synthesize nor read a synthesized stack: they can run beside the stacks.
STACKLESS = [
    "tests/unit/test_call_api.py",
    "tests/unit/test_gameday.py",
    "tests/unit/test_gameday_client.py",
    "tests/unit/test_api_client.py",
    "tests/unit/test_restore.py",
    "tests/unit/test_emulator_script.py",
    "tests/unit/test_local_endpoints.py",
    "tests/unit/test_reconcile_receipts.py",
    "tests/unit/test_terraform_runner.py",
    "tests/unit/test_tools.py",
    "tests/unit/test_plan_summary.py",
    "tests/unit/test_previews.py",
    "tests/unit/test_ci_target.py",
    "tests/unit/test_workflows.py",
    "tests/unit/test_ci_role_check.py",
    "tests/unit/test_synth.py",
    "tests/unit/test_progress.py",
    "tests/unit/test_state_lock.py",
    "tests/unit/test_state_encryption.py",
    "tests/unit/test_outputs_file.py",
    "tests/unit/test_makefile.py",
    "tests/unit/test_deploy_requirements.py",
    "tests/unit/test_pipeline_env.py",
    "tests/unit/test_make_stages.py",
]
USES_HYPOTHESIS = re.compile(r"^(?:from|import) hypothesis\b", re.MULTILINE)
COVERAGE_DATA = ROOT / ".coverage"


def property_modules() -> list[str]:
    return sorted(
        str(p.relative_to(ROOT)) for p in UNIT.glob("test_*.py") if USES_HYPOTHESIS.search(p.read_text())
    )


def _pytest(*args: str, covered: bool = False) -> list[str]:
    # Each group covers part of lib/: the threshold applies to the combined data, below.
    cov = ["--cov=lib", "--cov-branch", "--cov-report=", "--cov-fail-under=0"]
    return [sys.executable, "-m", "pytest", "-q", *args, *(cov if covered else [])]


def _lane(commands: list[tuple[str, list[str], dict[str, str]]]) -> subprocess.Popen[str]:
    """One shell that runs the lane's groups in order and prints each group's output."""
    script = " ; ".join(
        f"echo '==> unit tests: {name}'; "
        + " ".join(f"{k}={v}" for k, v in env.items())
        + " "
        + subprocess.list2cmdline(cmd)
        + " || status=1"
        for name, cmd, env in commands
    )
    return subprocess.Popen(
        ["bash", "-c", f"status=0; {script}; exit $status"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def main(argv: list[str] | None = None) -> int:
    extra = list(sys.argv[1:] if argv is None else argv)
    properties = property_modules()
    if not properties or HANDLER_EXAMPLES in properties:
        print("error: expected hypothesis modules apart from test_handler.py", file=sys.stderr)
        return 2
    missing = [path for path in STACKLESS if not (ROOT / path).is_file() or path in properties]
    if missing:
        print(f"error: STACKLESS lists {', '.join(missing)}: not a plain test module", file=sys.stderr)
        return 2
    for stale in ROOT.glob(".coverage*"):
        if stale.is_file() and stale.name != ".coveragerc":
            stale.unlink()
    ignores = [f"--ignore={path}" for path in [HANDLER_EXAMPLES, *STACKLESS, *properties]]
    started = time.monotonic()
    lanes = [
        _lane(
            [
                (
                    "stacks",
                    _pytest("tests/unit", *ignores, *extra, covered=True),
                    {"COVERAGE_FILE": ".coverage.stacks"},
                )
            ]
        ),
        _lane(
            [
                (
                    "handler and tools",
                    _pytest(HANDLER_EXAMPLES, *STACKLESS, *extra, covered=True),
                    {"COVERAGE_FILE": ".coverage.handler"},
                ),
                ("properties", _pytest(*properties, *extra), {}),
            ]
        ),
    ]
    status = 0
    for lane in lanes:
        out, _ = lane.communicate()
        print(out.rstrip(), flush=True)
        status = status or lane.returncode
    coverage = [sys.executable, "-m", "coverage"]
    subprocess.run(
        [*coverage, "combine", "-q", ".coverage.stacks", ".coverage.handler"], cwd=ROOT, check=False
    )
    print("==> unit tests: coverage of lib/ (both covered groups)", flush=True)
    report = subprocess.run([*coverage, "report", "--fail-under=100"], cwd=ROOT, check=False)
    status = status or report.returncode
    print(f"==> unit tests: done in {time.monotonic() - started:.1f} s (exit {status})")
    return status


if __name__ == "__main__":
    sys.exit(main())

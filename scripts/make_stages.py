"""Run `make` targets in order, each timed, and print how long each took (bench F).

    python3 -m scripts.make_stages [--json OUT] TARGET...

`make test` runs its stages through this, so every CI log ends with the time of each stage,
and `make bench --stages` records the same figures. Stops at the first stage that fails and
exits with its status. Standard library only: it runs before the project's environment exists.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

from cli.steps import TimedSteps

ROOT = Path(__file__).resolve().parents[1]
TARGET_LINE = re.compile(r"^([a-z][a-z0-9-]*):(?!=)", re.MULTILINE)


def makefile_targets() -> set[str]:
    return set(TARGET_LINE.findall((ROOT / "Makefile").read_text()))


class StageFailed(Exception):
    pass


def run(targets: list[str]) -> tuple[TimedSteps, int]:
    """Each target timed (``make <target>``), up to and including the first failure; the steps
    and the exit status of the failed one (0: all passed)."""
    steps = TimedSteps()
    for target in targets:
        try:
            with steps.step(f"make {target}"):
                status = subprocess.run(["make", target], cwd=ROOT, check=False).returncode
                if status != 0:
                    raise StageFailed(f"exit {status}")
        except StageFailed:
            return steps, status
    return steps, 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="+", metavar="TARGET")
    parser.add_argument("--json", type=Path, help="also write {target: seconds} here")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.targets) - makefile_targets())
    if unknown:
        parser.error(f"not a Makefile target: {', '.join(unknown)}")
    if len(set(args.targets)) != len(args.targets):
        parser.error("a target is listed twice")
    steps, status = run(args.targets)
    steps.print_timings(
        "make test stages", width=24, not_run=tuple(f"make {t}" for t in args.targets[len(steps.timings) :])
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        stages = {name.removeprefix("make "): seconds for name, seconds, _ in steps.timings}
        failed = next((name for name, _, result in steps.timings if result != "ok"), None)
        record = {"stages": stages, "failed": failed and failed.removeprefix("make ")}
        args.json.write_text(json.dumps(record, indent=2) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())

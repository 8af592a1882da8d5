"""Run `make` targets in order, each timed, and print how long each took (bench F).

    python3 -m tools.make_stages [--json OUT] TARGET...

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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_LINE = re.compile(r"^([a-z][a-z0-9-]*):(?!=)", re.MULTILINE)


def makefile_targets() -> set[str]:
    return set(TARGET_LINE.findall((ROOT / "Makefile").read_text()))


def run(targets: list[str]) -> tuple[list[tuple[str, float, int]], int]:
    """Each target's (name, seconds, exit status), up to and including the first failure."""
    timings: list[tuple[str, float, int]] = []
    for target in targets:
        print(f"==> make {target}", flush=True)
        started = time.monotonic()
        status = subprocess.run(["make", target], cwd=ROOT, check=False).returncode
        timings.append((target, time.monotonic() - started, status))
        if status != 0:
            return timings, status
    return timings, 0


def summary(timings: list[tuple[str, float, int]], skipped: list[str]) -> str:
    width = max(len(name) for name, _, _ in timings) if timings else 0
    lines = ["stages (seconds)"]
    lines += [
        f"  {name:<{width}}  {seconds:8.1f}  {'ok' if status == 0 else f'FAILED (exit {status})'}"
        for name, seconds, status in timings
    ]
    lines += [f"  {name:<{width}}  {'':>8}  not run" for name in skipped]
    lines.append(f"  {'total':<{width}}  {sum(s for _, s, _ in timings):8.1f}")
    return "\n".join(lines)


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
    timings, status = run(args.targets)
    print(summary(timings, args.targets[len(timings) :]), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        stages = {name: seconds for name, seconds, _ in timings}
        failed = next((name for name, _, code in timings if code != 0), None)
        args.json.write_text(json.dumps({"stages": stages, "failed": failed}, indent=2) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Policy scan of a synthesized stack with checkov, honouring in-code justified skips.

checkov's terraform_json runner ignores suppression comments, so the suppressions live in
the synthesized JSON itself: ``lib/policy.py::skip_checks`` writes
``"//": {"checkov": ["checkov:skip=<ID>:<reason>", ...]}`` into a resource's block. This
script runs checkov and fails on any failed check that the resource does not skip with a
reason, and on any skip that no longer matches a failure (stale suppressions rot).

    scripts/policy_scan.py cdktf.out/stacks/TapStackdev/cdk.tf.json [--checkov PATH]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

SKIP_RE = re.compile(r"^checkov:skip=(?P<id>CKV2?_[A-Z]+_\d+):(?P<reason>.*)$")


def suppressions(stack: dict) -> tuple[dict[tuple[str, str], str], list[str]]:
    """``{(logical id, check id): reason}`` and a list of malformed entries."""
    found: dict[tuple[str, str], str] = {}
    bad: list[str] = []
    for resources in stack.get("resource", {}).values():
        for logical_id, body in resources.items():
            for entry in body.get("//", {}).get("checkov", []):
                match = SKIP_RE.match(entry)
                if not match or len(match["reason"].strip()) < 10:
                    bad.append(f"{logical_id}: {entry!r} (need checkov:skip=ID:<reason>)")
                else:
                    found[(logical_id, match["id"])] = match["reason"].strip()
    return found, bad


def run_checkov(checkov: str, stack_file: Path) -> list[dict]:
    proc = subprocess.run(
        [checkov, "-f", str(stack_file), "--framework", "terraform_json", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise SystemExit(f"error: checkov failed (exit {proc.returncode}): {proc.stderr.strip()}")
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    return [
        {"passed": len(r["results"]["passed_checks"]), "failed": r["results"]["failed_checks"]}
        for r in reports
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stack_file", type=Path, help="synthesized cdk.tf.json")
    parser.add_argument("--checkov", default=shutil.which("checkov") or "checkov")
    args = parser.parse_args(argv)
    if not args.stack_file.is_file():
        parser.error(f"{args.stack_file} does not exist: run the synth first")
    if not shutil.which(args.checkov):
        parser.error(f"checkov not found at {args.checkov!r}: run 'make install'")

    stack = json.loads(args.stack_file.read_text())
    allowed, malformed = suppressions(stack)
    passed = 0
    unexpected: list[str] = []
    used: set[tuple[str, str]] = set()
    for report in run_checkov(args.checkov, args.stack_file):
        passed += report["passed"]
        for failure in report["failed"]:
            key = (failure["resource"].split(".")[-1], failure["check_id"])
            if key in allowed:
                used.add(key)
            else:
                unexpected.append(f"{failure['check_id']} {failure['check_name']}: {key[0]}")
    stale = sorted(f"{rid}: {cid}" for rid, cid in set(allowed) - used)

    print(
        f"policy scan: {passed} passed, {len(used)} skipped with a reason, "
        f"{len(unexpected)} failed, {len(stale)} stale skips, {len(malformed)} malformed"
    )
    for title, rows in (("FAILED", unexpected), ("STALE SKIP", stale), ("MALFORMED", malformed)):
        for row in sorted(rows):
            print(f"  {title}: {row}")
    return 1 if unexpected or stale or malformed else 0


if __name__ == "__main__":
    sys.exit(main())

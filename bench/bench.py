#!/usr/bin/env python3
"""Benchmark the development loop and print medians and ratios measured in ONE run.

    bench/bench.py [--repeat N] [--suite-repeat N] [--no-emulator] [--stages [--lanes 1,2,3,4]] [--out ...]

Each measurement is a fresh process, and the cheap ones are interleaved round by round
(A B D C, A B D C, ...) so that machine noise spreads over all of them alike:

  A  bare `import cdktf_cdktf_provider_aws.s3_bucket` (the jsii load every synth pays)
  B  full synth of TapStack: `python main.py`
  C  the unit suite as `make test-unit` runs it (scripts/unit_tests.py: coverage, two lanes)
  D  `terraform validate` of the synthesized stack (after one untimed `terraform init`)
  E  `make deploy-local` (apply on the emulator) and `make destroy-local`, once each
  F  with --stages: `make test` once per --lanes value (default 2), through
     scripts/make_stages.py as `make test` runs it: each stage's wall and CPU time and the
     total (F_<stage>, F_cpu_<stage>, F_total; with several lane counts, each suffixed _L<n>)

The goals: B/A <= 0.4 (the synth imports only the provider modules lib/ uses:
lib/fast_provider_import.py) and C/A <= 2, ratios to A measured in the same run so that
machine noise cancels; `make test` warm (installed, nothing deployed) <= 720 s. E/A is still
measured and reported, no longer a goal (issue 23: the provider's fixed waits set its floor).
Writes every sample, the medians, the ratios and the machine to --out. No test asserts
timings: performance lives here.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
FAILURE_LOG = ROOT / ".cache" / "bench-failure.log"
STACK_JSON = ROOT / "cdktf.out" / "stacks" / "TapStackdev" / "cdk.tf.json"
GOALS = {"B/A": 0.4, "C/A": 2.0}
RATIOS = (*GOALS, "E_deploy/A", "E_destroy/A")  # measured; E's goals retired in issue 23
MAKE_TEST_GOAL_SECONDS = 720  # issue 23: `make test`, warm (installed, nothing deployed), 2 cores


def environment() -> dict[str, str]:
    """What `make` exports (quiet jsii, the project's Terraform CLI config)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update(
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=env.get(
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20"
        ),
        CHECKPOINT_DISABLE="1",
        TF_IN_AUTOMATION="1",
        TF_CLI_CONFIG_FILE=str(ROOT / ".cache" / "terraform.rc"),
        PYTHONDONTWRITEBYTECODE="1",
        ENVIRONMENT_SUFFIX="dev",
        ENVIRONMENT="dev",
        PATH=f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def timed(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        output = proc.stdout + proc.stderr
        FAILURE_LOG.write_text(output)
        failures = [line for line in output.splitlines() if line.startswith(("FAILED ", "ERROR "))]
        tail = "\n".join([*failures, *output.strip().splitlines()[-15:]])
        raise SystemExit(
            f"error: {' '.join(cmd[:4])} exited {proc.returncode} (full output: {FAILURE_LOG}):\n{tail}"
        )
    return elapsed


def stage_times(env: dict[str, str], work: Path, lanes: int) -> dict[str, Any]:
    """F: `make test` once with ``lanes`` chaos lanes, as it runs (a failure stops the bench)."""
    out = work / f"stages-{lanes}.json"
    cmd = ["python3", "-m", "scripts.make_stages", "--lanes", str(lanes), "--json", str(out)]
    status = subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode
    if status != 0:
        raise SystemExit(f"error: make test failed with {lanes} lanes (exit {status}); F not measured")
    return json.loads(out.read_text())


def node_version(env: dict[str, str]) -> str:
    node = env.get("JSII_NODE") or shutil.which("node", path=env["PATH"]) or "node"
    return subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()


def _init_validation(directory: Path, env: dict[str, str]) -> None:
    """A copy of the stack B just synthesized, initialised once (untimed)."""
    directory.mkdir()
    shutil.copy2(STACK_JSON, directory / "cdk.tf.json")
    (directory / "assets").symlink_to(STACK_JSON.parent / "assets")
    timed(["terraform", "init", "-backend=false", "-input=false", "-no-color"], env, directory)


LABELS = {
    "A": "bare provider import",
    "B": "synth (python main.py)",
    "C": "unit suite",
    "D": "terraform validate",
    "E_deploy": "make deploy-local",
    "E_destroy": "make destroy-local",
    "F_total": "make test (all stages)",
}


def measure(args: argparse.Namespace, env: dict[str, str]) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"A": [], "B": [], "C": [], "D": []}
    commands = {
        "A": [str(PYTHON), "-c", "import cdktf_cdktf_provider_aws.s3_bucket"],
        "B": [str(PYTHON), "main.py"],
        "C": [str(PYTHON), "scripts/unit_tests.py"],  # what `make test-unit` runs
        "D": ["terraform", "validate", "-no-color"],
    }
    print(f"bench: {args.repeat} rounds (suite {args.suite_repeat}x), node {node_version(env)}", flush=True)
    with tempfile.TemporaryDirectory(prefix="tap-bench-") as work:
        validate_dir = Path(work) / "stack"
        for round_ in range(args.repeat):
            for name in ("A", "B", "D", "C")[: 4 if round_ < args.suite_repeat else 3]:
                if name == "D" and round_ == 0:
                    _init_validation(validate_dir, env)  # the stack B just synthesized
                seconds = timed(commands[name], env, validate_dir if name == "D" else ROOT)
                samples[name].append(seconds)
                print(f"  round {round_ + 1} {name} {seconds:7.2f} s", flush=True)

    if not args.no_emulator:
        for name, target in (("E_deploy", "deploy-local"), ("E_destroy", "destroy-local")):
            samples[name] = [timed(["make", "-s", target], env)]
            print(f"  {name} {samples[name][0]:7.2f} s", flush=True)

    if args.stages:
        for lanes in args.lanes:
            suffix = f"_L{lanes}" if len(args.lanes) > 1 else ""
            with tempfile.TemporaryDirectory(prefix="tap-bench-") as work:
                record = stage_times(env, Path(work), lanes)
            for stage, seconds in record["stages"].items():
                samples[f"F_{stage}{suffix}"] = [seconds]
                samples[f"F_cpu_{stage}{suffix}"] = [record["cpu"][stage]]
            samples[f"F_total{suffix}"] = [record["total"]]
    return samples


def summarize(samples: dict[str, list[float]], env: dict[str, str]) -> dict[str, Any]:
    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratios = {
        name: medians[name.split("/")[0]] / medians["A"] for name in RATIOS if name.split("/")[0] in medians
    }
    goals: dict[str, dict[str, Any]] = {
        k: {"goal": v, "met": ratios[k] <= v} for k, v in GOALS.items() if k in ratios
    }
    for name in [n for n in medians if n.startswith("F_total")]:
        goals[name] = {"goal_seconds": MAKE_TEST_GOAL_SECONDS, "met": medians[name] <= MAKE_TEST_GOAL_SECONDS}
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "node": node_version(env),
            "platform": platform.platform(),
        },
        "samples_seconds": samples,
        "median_seconds": medians,
        "ratios": ratios,
        "goals": goals,
    }


def report(results: dict[str, Any]) -> None:
    samples, medians = results["samples_seconds"], results["median_seconds"]
    print("\nmedian of each (seconds)")
    for name, value in medians.items():
        label = LABELS.get(name, f"make {name[2:]}")
        print(f"  {name:<16} {label:<26} {value:7.2f}   (n={len(samples[name])})")
    print("ratios")
    for name, value in results["ratios"].items():
        goal = GOALS.get(name)
        verdict = f"   goal <= {goal}: {'met' if value <= goal else 'NOT met'}" if goal else ""
        print(f"  {name:<12} {value:5.2f}{verdict}")
    for name in [n for n in medians if n.startswith("F_total")]:
        met = "met" if results["goals"][name]["met"] else "NOT met"
        print(f"  {name:<12} {medians[name]:.0f} s   goal <= {MAKE_TEST_GOAL_SECONDS} s: {met}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of A, B and D (default 3)")
    parser.add_argument("--suite-repeat", type=int, default=2, help="runs of C, interleaved (default 2)")
    parser.add_argument("--no-emulator", action="store_true", help="skip E (deploy/destroy)")
    parser.add_argument("--stages", action="store_true", help="also F: make test, once per --lanes value")
    parser.add_argument("--lanes", default="2", help="F: comma-separated chaos lane counts (default 2)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args(argv)
    if not 1 <= args.repeat <= 20 or not 1 <= args.suite_repeat <= args.repeat:
        parser.error("need 1 <= --suite-repeat <= --repeat <= 20")
    try:
        args.lanes = [int(n) for n in args.lanes.split(",")]
    except ValueError:
        parser.error(f"--lanes must be comma-separated numbers, got {args.lanes!r}")
    if not all(1 <= n <= 8 for n in args.lanes):
        parser.error("--lanes: each count between 1 and 8")
    if not PYTHON.is_file():
        parser.error(f"{PYTHON} missing: run `make install` first")
    if not shutil.which("terraform"):
        parser.error("terraform is not on PATH")
    env = environment()
    if not Path(env["TF_CLI_CONFIG_FILE"]).is_file():
        parser.error("the Terraform CLI config is missing: run `make terraform-config` first")

    results = summarize(measure(args, env), env)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    report(results)
    print(f"wrote {args.out.relative_to(ROOT)}")
    return 0 if all(g["met"] for g in results["goals"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())

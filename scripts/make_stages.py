"""`make test`: its stages as jobs, the deploy-bound ones side by side, each in its own lane.

    python3 -m scripts.make_stages [--lanes N] [--cpu-slots N] [--skip STAGE]... [--json OUT]
                                   [--logs DIR] [TARGET...]

Without targets it runs ``make test``'s plan (``plan()``): ``make install`` first, then

- the deploy-bound stages, which mostly wait (the provider's fixed waits, the emulator's time),
  all at once: the emulator pipeline (``make test-e2e``), its twin (a second deployment of the
  same suffix in an emulator of its own, with its integration tests: ``make test-twin``), the
  chaos modules spread over ``--lanes`` lanes, the emulator-harness modules over two;
- the CPU-bound stages (``make lint``, ``make test-unit``) beside them, ``--cpu-slots`` at a
  time (default 1: each of them can keep both cores busy by itself).

Each job's output goes to its own log (``DIR/<job>.log``, default ``.local-aws/make-test``);
the console gets one line when a job starts and one when it ends, never a job's output, so
lanes never interleave. A failed job is named with its stage, its lane, the scenarios pytest
reports failed, its log and the log's last lines; the other jobs run to their end, and the
exit status is the first failure's. The run ends with each stage's wall time, CPU time and
lanes, and how much the stages overlapped (``--json`` records the same).

Ctrl-C (or SIGTERM/SIGHUP): every running job gets SIGINT in its own process group (pytest and
the pipelines then undo what they started: deployments destroyed or left consistent, emulators
stopped), is given ``STOP_GRACE`` seconds, then SIGTERM, then SIGKILL; then any emulator the
run started that still runs from ``.local-aws`` is stopped (one running before the run, a
``make deploy-local`` of the user's or another run's, is left alone). Nothing of it is left.

``--skip lint --skip unit`` (``make test TEST_SKIP="lint unit"``) leaves CPU-bound stages out:
the checks workflow's emulator job, whose lint and unit stages its own jobs already ran.

With targets (``python3 -m scripts.make_stages lint test-unit``) it runs those ``make`` targets
one after the other, as before. Standard library only: it runs before the project's environment
exists. A job, and what it can leave running (its process group, emulators): scripts/stage_jobs.py.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from scripts.stage_jobs import Job, left_in_group, running_emulators, signal_group, stop_emulators

ROOT = Path(__file__).resolve().parents[1]
TARGET_LINE = re.compile(r"^([a-z][a-z0-9-]*):(?!=)", re.MULTILINE)
FAILED_TEST = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)
STOP_GRACE = 240.0  # seconds a job may take to undo what it started after Ctrl-C
TAIL_LINES = 40
POLL = 0.2
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Seconds each module took alone (issue 23, this machine): lanes are filled longest first.
CHAOS_SECONDS = {
    "test_chaos_first_deploy.py": 290,
    "test_chaos_adoption_unrecorded.py": 180,
    "test_chaos_adoption_recorded.py": 150,
    "test_chaos_emulator.py": 22,
}
HARNESS_SECONDS = {
    "test_docs_route53.py": 75,
    "test_docs_replication.py": 72,
    "test_switch_terraform.py": 36,
    "test_route53_dataplane.py": 30,
    "test_lambda_runtime.py": 25,
    "test_docs_apigateway.py": 12,
}
HARNESS_LANES = 2


def makefile_targets() -> set[str]:
    return set(TARGET_LINE.findall((ROOT / "Makefile").read_text()))


def spread(modules: dict[str, float], lanes: int) -> list[list[str]]:
    """``modules`` (name -> expected seconds) over ``lanes`` lanes, longest first into the lane
    that ends soonest; each lane keeps its modules in a stable order."""
    lanes = max(1, min(lanes, len(modules)))
    filled: list[tuple[float, list[str]]] = [(0.0, []) for _ in range(lanes)]
    for name in sorted(modules, key=lambda m: (-modules[m], m)):
        total, names = min(filled, key=lambda lane: lane[0])
        filled[filled.index((total, names))] = (total + modules[name], [*names, name])
    return [names for _, names in filled if names]


def _modules(folder: str, known: dict[str, float], default: float = 20.0) -> dict[str, float]:
    found = sorted(p.name for p in (ROOT / "tests" / folder).glob("test_*.py"))
    return {name: known.get(name, default) for name in found}


def _pytest(folder: str, modules: list[str]) -> list[str]:
    python = str(ROOT / ".venv" / "bin" / "python")
    paths = [f"tests/{folder}/{m}" for m in modules]
    return [python, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider", "-rA"]


SKIPPABLE = ("lint", "unit")


def plan(lanes: int, skip: tuple[str, ...] = ()) -> list[Job]:
    """``make test``: install, then everything else, the deploy-bound stages in lanes;
    ``skip``: CPU-bound stages (``SKIPPABLE``) left out."""
    # The three installs (pipenv, npm, the policy scanner's venv) are independent: at once, a
    # fresh clone's install took 55 s instead of 97 s (farm-bench, 2 runs each, this machine).
    install = ["make", "-j3", "--output-sync=target", "install", "terraform-config"]
    jobs = [Job("install", "install", install, cpu=True)]
    after = ("install",)
    jobs += [
        Job("e2e", "e2e", ["make", "test-e2e"], after),
        Job("twin", "twin", ["make", "test-twin"], after),
    ]
    # One seed for every chaos lane, so that CHAOS_SEED=<n> make test replays them all.
    seed = {"CHAOS_SEED": os.environ.get("CHAOS_SEED") or str(int(time.time()))}
    for n, modules in enumerate(spread(_modules("chaos", CHAOS_SECONDS), lanes), 1):
        jobs.append(Job(f"chaos-{n}", "chaos", _pytest("chaos", modules), after, env=seed))
    for n, modules in enumerate(spread(_modules("harness", HARNESS_SECONDS), HARNESS_LANES), 1):
        jobs.append(Job(f"harness-{n}", "harness", _pytest("harness", modules), after))
    jobs += [
        Job("unit", "unit", ["make", "test-unit"], after, cpu=True),
        Job("lint", "lint", ["make", "lint"], after, cpu=True),
    ]
    return [job for job in jobs if job.stage not in skip]


def sequence(targets: list[str]) -> list[Job]:
    """``make`` targets one after the other (each waits for the one before)."""
    jobs: list[Job] = []
    for target in targets:
        jobs.append(Job(target, target, ["make", target], (jobs[-1].name,) if jobs else (), cpu=True))
    return jobs


class Interrupted(Exception):
    pass


class Runner:
    def __init__(
        self, jobs: list[Job], *, logs: Path, cpu_slots: int, echo: bool, state_root: Path | None = None
    ) -> None:
        self.jobs, self.logs, self.cpu_slots, self.echo = jobs, logs, cpu_slots, echo
        self.t0 = time.monotonic()
        # Emulators running before this run (a `make deploy-local` of the user's, another run's)
        # are not this run's to stop; a pid file nobody runs under is not one of them.
        self.state_root = state_root or ROOT / ".local-aws"
        self.preexisting = running_emulators(self.state_root)
        self.failures: list[Job] = []
        self._signal: int | None = None

    # -- console --------------------------------------------------------------------------

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.t0:7.1f} s] {text}", flush=True)

    # -- running ----------------------------------------------------------------------------

    def _ready(self, job: Job) -> bool:
        done = {j.name: j.status for j in self.jobs if j.status is not None}
        return job.started is None and all(done.get(name) == 0 for name in job.after)

    def _blocked(self, job: Job) -> bool:
        """A job that will never run: something it needs failed."""
        failed = {j.name for j in self.failures}
        return job.started is None and bool(failed & set(job.after))

    def _start(self, job: Job) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        job.log = self.logs / f"{job.name}.log"
        stream = subprocess.DEVNULL if self.echo else job.log.open("wb")
        job.started = time.monotonic()
        job.proc = subprocess.Popen(
            job.cmd,
            cwd=ROOT,
            env={**os.environ, **job.env},
            stdout=None if self.echo else stream,
            stderr=subprocess.STDOUT if not self.echo else None,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches it only through the runner
        )
        if not self.echo:
            stream.close()  # type: ignore[union-attr]
        self.say(f"start {job.name}" + ("" if self.echo else f" (log {self._shown(job.log)})"))

    @staticmethod
    def _shown(path: Path) -> str:
        try:
            return str(path.relative_to(ROOT))
        except ValueError:
            return str(path)

    def _reap(self, job: Job) -> bool:
        """Whether the job ended (then its status and CPU time, its descendants' included)."""
        assert job.proc is not None
        pid, status, usage = os.wait4(job.proc.pid, os.WNOHANG)
        if pid == 0:
            return False
        job.proc.returncode = job.status = os.waitstatus_to_exitcode(status)
        job.ended = time.monotonic()
        job.cpu_seconds = usage.ru_utime + usage.ru_stime
        # What it left in its process group (a Terraform provider plugin whose Terraform was
        # interrupted under pytest) has no one left to stop it: the job's end is its end too.
        # Emulators are not in it: emulator.sh starts each in a session of its own.
        left = left_in_group(job.proc.pid)
        if left:
            signal_group(job, signal.SIGKILL)
            self.say(f"stopped {len(left)} process(es) {job.name} left running in its process group")
        if job.status == 0:
            self.say(f"ok {job.name} ({job.wall:.1f} s)")
        else:
            self.failures.append(job)
            self._report(job)
        return True

    def _report(self, job: Job) -> None:
        text = job.log.read_text(errors="replace") if job.log and job.log.exists() else ""
        scenarios = list(dict.fromkeys(FAILED_TEST.findall(text)))
        self.say(f"FAILED {job.name} (stage {job.stage}) after {job.wall:.1f} s: exit {job.status}")
        for scenario in scenarios:
            print(f"    failed: {scenario}", flush=True)
        if job.log:
            print(f"    log: {self._shown(job.log)}; its last lines:", flush=True)
            for line in text.rstrip().splitlines()[-TAIL_LINES:]:
                print(f"    | {line}", flush=True)

    def run(self) -> int:
        handlers = {
            s: signal.signal(s, self._interrupt) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        }
        try:
            self._loop()
        except Interrupted:
            self._stop_all()
            return 128 + (self._signal or signal.SIGINT)
        finally:
            for signum, handler in handlers.items():
                signal.signal(signum, handler)
        return next((j.status or 1 for j in self.failures), 0)

    def _interrupt(self, signum: int, _frame: FrameType | None) -> None:
        self._signal = signum
        raise Interrupted

    def _loop(self) -> None:
        while True:
            running = [j for j in self.jobs if j.started is not None and j.status is None]
            for job in running:
                self._reap(job)
            for job in self.jobs:
                if self._blocked(job):
                    job.status = -1
                    self.say(f"not run {job.name}: {', '.join(job.after)} failed")
            busy = sum(1 for j in self.jobs if j.cpu and j.started is not None and j.status is None)
            for job in self.jobs:
                if self._ready(job) and (not job.cpu or busy < self.cpu_slots):
                    self._start(job)
                    busy += job.cpu
            if all(j.status is not None for j in self.jobs):
                return
            time.sleep(POLL)

    def _stop_all(self) -> None:
        """SIGINT to every running job, its grace to undo what it started, then SIGTERM, then
        SIGKILL; a second interrupt cuts the grace short. Then no emulator is left running."""
        running = [j for j in self.jobs if j.proc is not None and j.status is None]
        self.say(f"interrupted: stopping {', '.join(j.name for j in running) or 'nothing'}")
        hurry: list[int] = []
        for signum in STOP_SIGNALS:
            signal.signal(signum, lambda received, _frame: hurry.append(received))
        for signum, grace in ((signal.SIGINT, STOP_GRACE), (signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
            for job in running:
                if job.status is None:
                    signal_group(job, signum)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and any(j.status is None for j in running):
                if hurry and signum == signal.SIGINT:
                    self.say("interrupted again: not waiting for them to clean up")
                    break
                for job in running:
                    if job.status is None:
                        try:
                            self._reap(job)
                        except ChildProcessError:
                            job.status = -signum
                time.sleep(POLL)
        stop_emulators(self.state_root, exclude=self.preexisting)

    # -- the table ----------------------------------------------------------------------------

    def summary(self) -> dict[str, dict[str, float | int | str]]:
        stages: dict[str, dict[str, float | int | str]] = {}
        for job in self.jobs:
            if job.started is None:
                continue
            row = stages.setdefault(
                job.stage, {"wall": 0.0, "cpu": 0.0, "lanes": 0, "first": 1e9, "last": 0.0}
            )
            row["lanes"] = int(row["lanes"]) + 1
            row["cpu"] = float(row["cpu"]) + job.cpu_seconds
            row["first"] = min(float(row["first"]), job.started - self.t0)
            row["last"] = max(float(row["last"]), (job.ended or time.monotonic()) - self.t0)
            row["wall"] = float(row["last"]) - float(row["first"])
            row["result"] = "FAILED" if job.status not in (0, None) else row.get("result", "ok")
        return stages

    def print_table(self) -> dict[str, object]:
        stages = self.summary()
        total = time.monotonic() - self.t0
        lane_seconds = sum(j.wall for j in self.jobs if j.started is not None)
        cpu = sum(float(row["cpu"]) for row in stages.values())
        print("\nmake test stages (wall = first start to last end of the stage's lanes)")
        print(f"  {'stage':<10} {'lanes':>5} {'start':>8} {'wall':>9} {'cpu':>9}  result")
        for name, row in stages.items():
            print(
                f"  {name:<10} {row['lanes']:>5} {row['first']:>7.1f}s {row['wall']:>8.1f}s "
                f"{row['cpu']:>8.1f}s  {row['result']}"
            )
        not_run = [j.name for j in self.jobs if j.started is None]
        if not_run:
            print(f"  not run: {', '.join(not_run)}")
        print(
            f"  total {total:.1f} s wall, {cpu:.1f} s CPU (the emulators' own not counted: they run "
            f"detached); lanes {lane_seconds:.1f} s in all, overlap {lane_seconds / max(total, 1e-9):.2f}x",
            flush=True,
        )
        return {
            "stages": {name: round(float(row["wall"]), 1) for name, row in stages.items()},
            "cpu": {name: round(float(row["cpu"]), 1) for name, row in stages.items()},
            "lanes": {name: int(row["lanes"]) for name, row in stages.items()},
            "jobs": {j.name: round(j.wall, 1) for j in self.jobs if j.started is not None},
            "total": round(total, 1),
            "failed": next((j.stage for j in self.failures), None),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET", help="make targets, one after the other")
    parser.add_argument("--lanes", type=int, default=None, help="chaos lanes (default $TEST_LANES, else 2)")
    parser.add_argument("--cpu-slots", type=int, default=1, help="CPU-bound stages at a time")
    parser.add_argument("--logs", type=Path, default=ROOT / ".local-aws" / "make-test")
    parser.add_argument("--json", type=Path, help="also write the stage table here")
    parser.add_argument(
        "--skip", action="append", default=[], metavar="STAGE", help=f"leave out: {', '.join(SKIPPABLE)}"
    )
    args = parser.parse_args(argv)
    bad = sorted(set(args.skip) - set(SKIPPABLE))
    if bad:
        parser.error(f"--skip {', '.join(bad)}: only {', '.join(SKIPPABLE)} can be left out")
    if args.skip and args.targets:
        parser.error("--skip is for make test's stages, not with targets")
    if args.lanes is None:
        raw = os.environ.get("TEST_LANES") or "2"
        if not raw.isdigit():
            parser.error(f"TEST_LANES must be a number of lanes, got {raw!r}")
        args.lanes = int(raw)
    if not 1 <= args.lanes <= 8:
        parser.error("--lanes must be between 1 and 8")
    if not 1 <= args.cpu_slots <= 4:
        parser.error("--cpu-slots must be between 1 and 4")
    unknown = sorted(set(args.targets) - makefile_targets())
    if unknown:
        parser.error(f"not a Makefile target: {', '.join(unknown)}")
    if len(set(args.targets)) != len(args.targets):
        parser.error("a target is listed twice")
    jobs = sequence(args.targets) if args.targets else plan(args.lanes, tuple(args.skip))
    runner = Runner(jobs, logs=args.logs, cpu_slots=args.cpu_slots, echo=bool(args.targets))
    seeds = {job.env["CHAOS_SEED"] for job in jobs if "CHAOS_SEED" in job.env}
    if seeds:
        print(f"chaos seed {seeds.pop()}: CHAOS_SEED=<seed> make test replays the chaos lanes", flush=True)
    status = runner.run()
    record = runner.print_table()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({**record, "lanes_setting": args.lanes}, indent=2) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())

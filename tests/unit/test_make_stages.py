"""scripts/make_stages.py: `make test`'s stages as jobs in lanes, each in its own log, CPU-bound
ones a slot at a time, every failure named with its scenarios and log, Ctrl-C stopping all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from scripts import make_stages
from scripts.make_stages import Runner
from scripts.stage_jobs import Job

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "Makefile").write_text(
        "X ?= 1\n"
        "ok: ## passes\n\t@echo ran ok >> log\n"
        "bad:\n\t@echo ran bad >> log; exit 3\n"
        "later:\n\t@echo ran later >> log\n"
    )
    monkeypatch.setattr(make_stages, "ROOT", tmp_path)
    return tmp_path


def _py(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def _runner(tmp_path: Path, jobs: list[Job], cpu_slots: int = 1) -> Runner:
    return Runner(jobs, logs=tmp_path / "logs", cpu_slots=cpu_slots, echo=False, state_root=tmp_path)


# -- the plan --------------------------------------------------------------------------------


def test_the_targets_of_this_projects_makefile_are_found():
    targets = make_stages.makefile_targets()
    assert {"lint", "test-unit", "test-harness", "test-e2e", "test-twin", "chaos-local", "test"} <= targets
    assert "HOST_PYTHON" not in targets and "export" not in targets  # variables are not targets


@pytest.mark.parametrize("lanes", [1, 2, 3, 4])
def test_the_plan_installs_first_then_runs_every_module_once_in_its_lanes(lanes):
    jobs = make_stages.plan(lanes)
    assert jobs[0].name == "install" and jobs[0].after == ()
    assert all(job.after == ("install",) for job in jobs[1:])
    assert {job.stage for job in jobs} == {"install", "e2e", "twin", "chaos", "harness", "unit", "lint"}
    assert [job.name for job in jobs if job.cpu] == ["install", "unit", "lint"]
    for folder in ("chaos", "harness"):
        run = [
            arg
            for job in jobs
            if job.stage == folder
            for arg in job.cmd
            if arg.startswith(f"tests/{folder}/")
        ]
        on_disk = sorted(f"tests/{folder}/{p.name}" for p in (ROOT / "tests" / folder).glob("test_*.py"))
        assert sorted(run) == on_disk  # every module, each once
    chaos = [job for job in jobs if job.stage == "chaos"]
    assert len(chaos) == min(lanes, len(list((ROOT / "tests" / "chaos").glob("test_*.py"))))
    assert len({job.env["CHAOS_SEED"] for job in chaos}) == 1  # one seed replays every lane


def test_skipped_stages_are_left_out_and_nothing_else():
    """The checks workflow's emulator job: lint and unit ran in their own jobs."""
    full = make_stages.plan(2)
    skipped = make_stages.plan(2, ("lint", "unit"))
    assert [job.name for job in skipped] == [job.name for job in full if job.stage not in ("lint", "unit")]
    assert {job.stage for job in skipped} == {"install", "e2e", "twin", "chaos", "harness"}


def test_modules_are_spread_longest_first_into_the_lane_that_ends_soonest():
    lanes = make_stages.spread({"a": 400, "b": 300, "c": 150, "d": 25, "e": 20}, 2)
    assert lanes == [["a", "d", "e"], ["b", "c"]]  # 445 s and 450 s
    assert make_stages.spread({"a": 1}, 4) == [["a"]]


# -- running ----------------------------------------------------------------------------------


def test_waiting_jobs_run_side_by_side_and_cpu_jobs_one_at_a_time(tmp_path, capsys):
    stamp = "import time, sys; print(time.monotonic(), flush=True); time.sleep(0.6); print(time.monotonic())"
    jobs = [
        Job("w1", "waits", _py(stamp)),
        Job("w2", "waits", _py(stamp)),
        Job("c1", "cpu", _py(stamp), cpu=True),
        Job("c2", "cpu", _py(stamp), cpu=True),
    ]
    runner = _runner(tmp_path, jobs)
    assert runner.run() == 0
    spans = {
        j.name: [float(x) for x in (tmp_path / "logs" / f"{j.name}.log").read_text().split()] for j in jobs
    }
    assert spans["w1"][0] < spans["w2"][1] and spans["w2"][0] < spans["w1"][1]  # overlapped
    assert spans["c2"][0] >= spans["c1"][1] or spans["c1"][0] >= spans["c2"][1]  # never together
    printed = capsys.readouterr().out
    assert "start w1" in printed and "ok c2" in printed
    assert all(str(x) not in printed for span in spans.values() for x in span)  # no job output on the console
    record = runner.print_table()
    assert record["lanes"] == {"waits": 2, "cpu": 2} and record["failed"] is None
    assert set(record["stages"]) == {"waits", "cpu"}  # one row per stage, lanes folded into it


def test_a_failure_names_its_stage_lane_scenarios_and_log_and_the_rest_still_runs(tmp_path, capsys):
    failing = "print('FAILED tests/chaos/test_x.py::test_it - AssertionError'); raise SystemExit(4)"
    jobs = [Job("chaos-2", "chaos", _py(failing)), Job("e2e", "e2e", _py("print('fine')"))]
    runner = _runner(tmp_path, jobs)
    assert runner.run() == 4
    printed = capsys.readouterr().out
    assert "FAILED chaos-2 (stage chaos)" in printed and "exit 4" in printed
    assert "failed: tests/chaos/test_x.py::test_it" in printed
    assert f"log: {tmp_path / 'logs' / 'chaos-2.log'}" in printed
    assert "ok e2e" in printed
    assert runner.print_table()["failed"] == "chaos"


def test_a_job_after_a_failed_one_is_not_run(tmp_path, capsys):
    jobs = [
        Job("install", "install", _py("raise SystemExit(2)"), cpu=True),
        Job("lint", "lint", _py("1"), ("install",)),
    ]
    runner = _runner(tmp_path, jobs)
    assert runner.run() == 2
    assert "not run lint: install failed" in capsys.readouterr().out
    assert not (tmp_path / "logs" / "lint.log").exists()


RUNNER_SCRIPT = """
import sys, textwrap
from pathlib import Path
from scripts.make_stages import Runner
from scripts.stage_jobs import Job
child = '''
import pathlib, signal, sys, time
def undo(*_):
    pathlib.Path(sys.argv[1]).write_text("undone")
    sys.exit(1)
signal.signal(signal.SIGINT, undo)
print("started", flush=True)
time.sleep(60)
'''
jobs = [Job(f"lane-{n}", "chaos", [sys.executable, "-c", child, f"{sys.argv[1]}/undone-{n}"]) for n in (1, 2)]
runner = Runner(jobs, logs=Path(sys.argv[1]) / "logs", cpu_slots=1, echo=False, state_root=Path(sys.argv[1]))
status = runner.run()
runner.print_table()
sys.exit(status)
"""


def test_ctrl_c_stops_every_lane_after_it_undoes_its_work_and_leaves_nothing_running(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER_SCRIPT, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    logs = [tmp_path / "logs" / f"lane-{n}.log" for n in (1, 2)]
    deadline = time.monotonic() + 30
    while not all(log.exists() and "started" in log.read_text() for log in logs):
        assert time.monotonic() < deadline, "the lanes never started"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGINT
    assert "interrupted: stopping lane-1, lane-2" in out
    assert [(tmp_path / f"undone-{n}").read_text() for n in (1, 2)] == ["undone", "undone"]
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "undone-")], capture_output=True, check=False)
    assert leftovers.stdout == b""


# -- targets one after the other (make bench) -----------------------------------------------


def test_targets_run_in_order_each_timed(project, capsys):
    out = project / "stages.json"
    assert make_stages.main(["ok", "later", "--json", str(out), "--logs", str(project / "logs")]) == 0
    assert (project / "log").read_text() == "ran ok\nran later\n"
    recorded = json.loads(out.read_text())
    assert list(recorded["stages"]) == ["ok", "later"] and recorded["failed"] is None


def test_the_first_failing_target_stops_the_rest_with_its_status(project, capsys):
    out = project / "stages.json"
    assert make_stages.main(["ok", "bad", "later", "--json", str(out), "--logs", str(project / "logs")]) == 2
    assert (project / "log").read_text() == "ran ok\nran bad\n"  # "later" never ran
    printed = capsys.readouterr().out
    assert "FAILED bad" in printed and "not run later: bad failed" in printed
    assert json.loads(out.read_text())["failed"] == "bad"


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        (["ok", "nope"], {}, "not a Makefile target: nope"),
        (["ok", "ok"], {}, "a target is listed twice"),
        (["--lanes", "9"], {}, "--lanes must be between 1 and 8"),
        ([], {"TEST_LANES": "two"}, "TEST_LANES must be a number of lanes, got 'two'"),
        (["--skip", "e2e"], {}, "--skip e2e: only lint, unit can be left out"),
        (["--skip", "lint", "ok"], {}, "--skip is for make test's stages, not with targets"),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(project, capsys, monkeypatch, argv, environ, message):  # noqa: PLR0917
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SystemExit) as exit_:
        make_stages.main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
    assert not (project / "log").exists()


def test_after_ctrl_c_only_the_emulators_this_run_started_are_stopped(tmp_path, monkeypatch):
    """A `make deploy-local` of the user's (or another run's lanes) keeps its emulator."""
    stopped: list[str] = []

    def fake_run(cmd, env, **_):
        stopped.append(env["EMULATOR_STATE_DIR"])
        return subprocess.CompletedProcess(cmd, 0)

    (tmp_path / "mine").mkdir()
    (tmp_path / "moto.pid").write_text("1")  # running before the run
    runner = _runner(tmp_path, [])
    (tmp_path / "mine" / "moto.pid").write_text("2")  # a lane's, started by the run
    monkeypatch.setattr(make_stages.subprocess, "run", fake_run)
    runner._stop_all()
    assert stopped == [str(tmp_path / "mine")]


def test_a_stale_pid_file_does_not_spare_the_emulator_the_run_starts_there(tmp_path, monkeypatch):
    """A crashed run can leave a lane's moto.pid behind (seen at a session's start): the lane's
    emulator of this run writes its pid there, and Ctrl-C must stop it. Only an emulator alive
    before the run, still under the same pid, is spared."""
    stopped: list[str] = []

    def fake_run(cmd, env, **_):
        stopped.append(env["EMULATOR_STATE_DIR"])
        return subprocess.CompletedProcess(cmd, 0)

    dead = subprocess.Popen(["true"])
    dead.wait()
    for lane in ("stale", "restarted"):
        (tmp_path / lane).mkdir()
    (tmp_path / "stale" / "moto.pid").write_text(f"{dead.pid}\n")  # nobody runs under it
    (tmp_path / "restarted" / "moto.pid").write_text("1\n")  # alive before the run...
    runner = _runner(tmp_path, [])
    (tmp_path / "stale" / "moto.pid").write_text(f"{os.getpid()}\n")  # the run's lane emulator
    (tmp_path / "restarted" / "moto.pid").write_text(f"{os.getpid()}\n")  # ...replaced by the run's
    monkeypatch.setattr(make_stages.subprocess, "run", fake_run)
    runner._stop_all()
    assert stopped == [str(tmp_path / "restarted"), str(tmp_path / "stale")]


def test_what_a_job_leaves_in_its_process_group_is_stopped_with_it(tmp_path, capsys):
    """A Terraform interrupted under pytest leaves its provider plugin behind, reparented to
    init but still in the job's process group (seen in a real Ctrl-C of make test): when the
    job ends, the runner stops the rest of its group, whether the job passed or failed."""
    left = (
        "import subprocess, sys\n"
        "p = subprocess.Popen(['sleep', '60'])\n"
        "print(p.pid, flush=True)\n"
        "sys.exit({})"
    )
    jobs = [Job("passes", "unit", _py(left.format(0))), Job("fails", "lint", _py(left.format(3)))]
    runner = _runner(tmp_path, jobs, cpu_slots=2)
    assert runner.run() == 3
    for job in jobs:
        pid = int((tmp_path / "logs" / f"{job.name}.log").read_text().split()[0])
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z":
            assert time.monotonic() < deadline, f"{job.name} left sleep {pid} running"
            time.sleep(0.05)
    printed = capsys.readouterr().out
    assert "stopped 1 process(es) passes left running in its process group" in printed
    assert "stopped 1 process(es) fails left running in its process group" in printed

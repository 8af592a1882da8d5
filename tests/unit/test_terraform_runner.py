"""deploy/terraform_runner.py: interrupts let Terraform save its state; a broken state is never
used; every later deploy or destroy must match the deployment's recorded identity."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from deploy.terraform_runner import (
    BACKUPS_KEPT,
    Interrupted,
    LocalState,
    RunError,
    Runner,
    run_forwarding_signals,
)
from deploy.terraform_state import identity_differences, state_problem

# A stand-in for Terraform: on SIGINT it finishes its "write" before exiting, as Terraform's
# graceful stop does; it counts the interrupts it received.
GRACEFUL = """
import signal, sys, time
received = []
signal.signal(signal.SIGINT, lambda *a: received.append(1))
deadline = time.monotonic() + 20
while not received and time.monotonic() < deadline:
    time.sleep(0.05)
time.sleep(0.5)  # still writing the state after the first interrupt
open(sys.argv[1], "w").write(f"saved after {len(received)} interrupt(s)")
sys.exit(1 if received else 0)
"""


def _signal_self_later(signum: int, *, after: float, times: int = 1, ready: Path | None = None) -> None:
    """Send ``signum`` to this process ``after`` seconds once run_forwarding_signals handles it
    (and, with ``ready``, once the child has written that file: its own handler is installed).

    Counted from the handler's installation, not from now: on a loaded machine starting the
    child can take longer than ``after``, and a signal that arrives before the handler (or
    after it is restored) would interrupt pytest itself. Never sent while unhandled."""
    default = signal.getsignal(signum)

    def handled() -> bool:
        return signal.getsignal(signum) is not default and (ready is None or ready.exists())

    def send() -> None:
        deadline = time.monotonic() + 30
        while not handled() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(after)
        for _ in range(times):
            if handled():
                os.kill(os.getpid(), signum)
            time.sleep(0.1)

    threading.Thread(target=send, daemon=True).start()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_reaches_the_child_once_as_an_interrupt_and_is_waited_for(tmp_path, signum, capsys):
    marker = tmp_path / "state"
    # What pytest had (SIG_IGN, not Python's default, when the suite runs as a background job).
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    _signal_self_later(signum, after=0.5, times=2)  # the operator presses Ctrl-C twice
    with pytest.raises(Interrupted, match=rf"interrupted \({signal.Signals(signum).name}\).*saved its state"):
        run_forwarding_signals([sys.executable, "-c", GRACEFUL, str(marker)], env=dict(os.environ))
    # The child finished its write, after exactly one interrupt: a second one would have made
    # Terraform exit at once ("data loss may have occurred").
    assert marker.read_text() == "saved after 1 interrupt(s)"
    assert "waiting for it to save its state" in capsys.readouterr().err
    assert {s: signal.getsignal(s) for s in before} == before  # handlers restored


# A stand-in for an apply: it runs to its end whatever it receives, counting interrupts.
FINISHING = """
import signal, sys, time
received = []
signal.signal(signal.SIGINT, lambda *a: received.append(1))
time.sleep(1.5)
open(sys.argv[1], "w").write(f"finished after {len(received)} interrupt(s)")
"""


def test_the_first_ctrl_c_of_an_apply_lets_it_finish(tmp_path, capsys):
    """Terraform's graceful stop cancels in-flight creates (they may be left in AWS and not in
    the state): the first Ctrl-C is held back and the apply finishes."""
    marker = tmp_path / "state"
    _signal_self_later(signal.SIGINT, after=0.3)
    with pytest.raises(Interrupted, match=r"\(SIGINT\): .* finished first .* nothing was orphaned"):
        run_forwarding_signals(
            [sys.executable, "-c", FINISHING, str(marker)], env=dict(os.environ), finish_first=True
        )
    assert marker.read_text() == "finished after 0 interrupt(s)"
    assert "Ctrl-C again to stop it now" in capsys.readouterr().err


# A stand-in for an apply that stops gracefully: it says when its handler is installed, runs
# until an interrupt (or 20 s), then finishes its write. No fixed run time: on a loaded machine a
# fixed 1.5 s ended before the second Ctrl-C was sent (a fresh-clone make test failed so).
STOPPABLE = """
import pathlib, signal, sys, time
received = []
signal.signal(signal.SIGINT, lambda *a: received.append(1))
pathlib.Path(sys.argv[2]).write_text("ready")
deadline = time.monotonic() + 20
while not received and time.monotonic() < deadline:
    time.sleep(0.05)
time.sleep(0.5)  # still writing after the interrupt: a later signal must not be forwarded
open(sys.argv[1], "w").write(f"finished after {len(received)} interrupt(s)")
"""


@pytest.mark.parametrize(
    ("signals", "first"), [([signal.SIGINT] * 3, "SIGINT"), ([signal.SIGTERM], "SIGTERM")]
)
def test_a_second_ctrl_c_or_a_sigterm_stops_an_apply_gracefully_now(tmp_path, signals, first):
    marker, ready = tmp_path / "state", tmp_path / "ready"
    for n, signum in enumerate(signals):
        _signal_self_later(signum, after=0.1 + 0.1 * n, ready=ready)
    with pytest.raises(Interrupted, match=rf"interrupted \({first}\): .* stopped gracefully"):
        child = [sys.executable, "-c", STOPPABLE, str(marker), str(ready)]
        run_forwarding_signals(child, env=dict(os.environ), finish_first=True)
    assert marker.read_text() == "finished after 1 interrupt(s)"  # forwarded exactly once


def test_without_a_signal_the_exit_code_is_returned(tmp_path):
    log = tmp_path / "log"
    code = run_forwarding_signals(
        [sys.executable, "-c", "print('hi'); raise SystemExit(3)"], env=dict(os.environ), log=log
    )
    assert code == 3
    assert log.read_text() == "hi\n"


def test_a_watch_stops_the_child_gracefully_with_its_reason(tmp_path):
    marker = tmp_path / "state"
    polls: list[int] = []

    def emulator_died() -> str | None:
        polls.append(1)
        return "the emulator died" if len(polls) >= 2 else None

    with pytest.raises(RunError, match=r"^the emulator died$"):
        run_forwarding_signals(
            [sys.executable, "-c", GRACEFUL, str(marker)], env=dict(os.environ), watch=emulator_died
        )
    assert marker.read_text() == "saved after 1 interrupt(s)"


# --- the local state -----------------------------------------------------------------------------

STATE = {
    "version": 4,
    "terraform_version": "1.11.4",
    "serial": 3,
    "lineage": "x",
    "outputs": {},
    "resources": [],
}


def _state(path: Path, resources: int = 1) -> Path:
    path.write_text(json.dumps({**STATE, "resources": [{"mode": "managed"}] * resources}))
    return path


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "is empty"),
        ("   \n", "is empty"),
        ('{"version": 4, "resources": [', "is not valid JSON (a write was cut short?)"),
        ('{"hello": "world"}', "is not a Terraform state"),
        ("[]", "is not a Terraform state"),
    ],
)
def test_a_broken_state_is_named(tmp_path, content, problem):
    path = tmp_path / "terraform.TapStackdev.tfstate"
    path.write_text(content)
    assert state_problem(path) == problem
    assert state_problem(tmp_path / "absent.tfstate") is None
    assert state_problem(_state(tmp_path / "good.tfstate")) is None


def test_a_broken_state_is_refused_with_the_restore_command(tmp_path):
    local = LocalState(tmp_path / "terraform.TapStackdev.tfstate")
    _state(local.path)
    kept = local.backup()
    assert kept is not None and kept.parent == tmp_path / "backups"
    local.path.write_text("")  # what an aborted write leaves
    with pytest.raises(RunError) as error:
        local.check()
    assert str(error.value) == (
        f"the state {local.path} is empty: nothing was run; "
        f"restore the newest good copy: cp {kept} {local.path}"
    )


def test_without_a_good_backup_the_refusal_says_so(tmp_path):
    local = LocalState(tmp_path / "terraform.TapStackdev.tfstate")
    local.path.write_text("{")
    with pytest.raises(RunError, match="no good backup exists"):
        local.check()


def test_backups_keep_only_good_non_empty_states_and_the_newest_ten(tmp_path):
    local = LocalState(tmp_path / "terraform.TapStackdev.tfstate")
    assert local.backup() is None  # nothing yet
    _state(local.path, resources=0)
    assert local.backup() is None  # nothing deployed: nothing worth keeping
    _state(local.path)
    for _ in range(BACKUPS_KEPT + 3):
        local.backup()
    assert len(local.good_backups()) == BACKUPS_KEPT
    local.path.write_text("")
    assert local.backup() is None  # a broken state never replaces a good backup


# --- identity ------------------------------------------------------------------------------------

IDENTITY = {
    "suffix": "prod",
    "profile": "prod",
    "primary_region": "us-east-1",
    "secondary_region": "us-west-2",
    "manages_account_settings": True,
}


def test_identity_differences_name_each_changed_setting():
    current = {**IDENTITY, "profile": "dev", "primary_region": "us-east-2"}
    assert identity_differences(IDENTITY, current) == [
        "primary_region 'us-east-1' (deployed) != 'us-east-2' (now)",
        "profile 'prod' (deployed) != 'dev' (now)",
    ]
    assert identity_differences(IDENTITY, dict(IDENTITY)) == []


def _runner(tmp_path: Path, recorded: dict | None) -> Runner:
    """A stack directory with a local backend, and a state recording ``recorded`` (or none)."""
    outdir = tmp_path / "out"
    stack_dir = outdir / "stacks" / "TapStackprod"
    stack_dir.mkdir(parents=True)
    state = tmp_path / "terraform.TapStackprod.tfstate"
    (stack_dir / "cdk.tf.json").write_text(
        json.dumps({"terraform": {"backend": {"local": {"path": str(state)}}}})
    )
    if recorded is not None:
        value = json.dumps(recorded, sort_keys=True)
        state.write_text(
            json.dumps({**STATE, "outputs": {"deployment_identity": {"value": value, "type": "string"}}})
        )
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    runner = Runner("TapStackprod", outdir, env=env, logs=tmp_path / "logs", local_state=LocalState(state))
    runner.init()
    return runner


def test_a_deploy_or_destroy_with_another_configuration_is_refused(tmp_path):
    runner = _runner(tmp_path, IDENTITY)
    assert runner.recorded_identity() == IDENTITY
    runner.check_identity(dict(IDENTITY))  # the same: allowed
    with pytest.raises(RunError) as error:
        runner.check_identity({**IDENTITY, "profile": "dev"})  # ENVIRONMENT forgotten
    assert str(error.value) == (
        "TapStackprod was deployed with another configuration: profile 'prod' (deployed) != 'dev' (now). "
        "Nothing was changed: set the variables it was deployed with"
    )


def test_nothing_deployed_yet_has_no_identity_to_match(tmp_path):
    runner = _runner(tmp_path, None)
    assert runner.recorded_identity() is None
    runner.check_identity({**IDENTITY, "profile": "dev"})
    assert not (tmp_path / "logs" / "identity.log").exists()  # no state file: Terraform not asked
    runner.local_state.path.write_text(json.dumps(STATE))  # a state without the output
    assert runner.recorded_identity() is None
    assert (tmp_path / "logs" / "identity.log").exists()


def test_a_failing_terraform_command_is_one_line_with_its_log(tmp_path, capsys):
    runner = _runner(tmp_path, None)
    with pytest.raises(RunError, match=r"^terraform plan exited 1 \(full log: .*plan\.log\)$"):
        runner.terraform("plan.log", "plan", "-var=nope=1")
    assert "|" in capsys.readouterr().err  # the log's tail, for the cause


@pytest.mark.parametrize(
    ("deployed", "calls"),
    [(True, ["init", "identity", "synth", "init", "identity"]), (False, ["synth", "init", "identity"])],
)
def test_synth_checked_checks_what_is_deployed_before_the_synth_overwrites_it(tmp_path, deployed, calls):
    runner = Runner("TapStackprod", tmp_path / "out", env={}, logs=tmp_path / "logs")
    seen: list[str] = []
    runner.init = lambda: seen.append("init")
    runner.synth = lambda: seen.append("synth")
    runner.check_identity = lambda identity: seen.append("identity")
    runner.synth_checked(IDENTITY, deployed=deployed)
    assert seen == calls


def test_another_configuration_is_refused_before_the_synth(tmp_path):
    runner = _runner(tmp_path, IDENTITY)
    synthesized: list[bool] = []
    runner.synth = lambda: synthesized.append(True)
    with pytest.raises(RunError, match="deployed with another configuration"):
        runner.synth_checked({**IDENTITY, "profile": "dev"}, deployed=True)
    assert synthesized == []  # the deployed stack's directory was left as it was


def _stack_with(runner: Runner, **resources: dict) -> None:
    """``cdk.tf.json`` declaring ``resources`` (type -> names), keeping the backend."""
    path = runner.stack_dir / "cdk.tf.json"
    document = json.loads(path.read_text())
    document["resource"] = {kind: {name: {} for name in names} for kind, names in resources.items()}
    path.write_text(json.dumps(document))


@pytest.mark.parametrize(
    ("in_state", "expected"),
    [
        # deployed, one permission lost from the state: adopt it before the apply
        ({"aws_lambda_permission.a", "aws_kms_key.k"}, ["aws_lambda_permission.b"]),
        ({"aws_lambda_permission.a", "aws_lambda_permission.b"}, []),  # nothing lost
        (set(), []),  # a first deploy: no plan for what cannot exist yet
    ],
)
def test_slow_conflicts_are_the_lambda_permissions_a_deployed_state_lacks(tmp_path, in_state, expected):
    runner = Runner("TapStackprod", tmp_path / "out", env={}, logs=tmp_path / "logs")
    runner.stack_dir.mkdir(parents=True)
    (runner.stack_dir / "cdk.tf.json").write_text("{}")
    _stack_with(runner, aws_lambda_permission=["a", "b"], aws_kms_key=["k"])
    runner.state_addresses = lambda: set(in_state)
    assert runner.slow_conflicts() == expected


def test_without_a_synthesized_stack_there_is_no_slow_conflict(tmp_path):
    runner = Runner("TapStackprod", tmp_path / "out", env={}, logs=tmp_path / "logs")
    runner.state_addresses = lambda: pytest.fail("no stack: Terraform is not asked")
    assert runner.slow_conflicts() == []


def test_an_apply_refused_for_what_exists_adopts_and_returns_both_attempts(tmp_path, capsys):
    """The first attempt's imports stay in the state; its output is returned with the second's,
    so the caller counts every import. Only the first attempt looks for slow conflicts."""
    runner = Runner("TapStackprod", tmp_path / "out", env={}, logs=tmp_path / "logs")
    runner.stack_dir.mkdir(parents=True)
    runner.logs.mkdir(parents=True)
    first = (
        "aws_lambda_permission.p: Import complete [id=f/s]\n"
        "Error: creating KMS Alias: AlreadyExistsException: x\n"
    )
    adopted_with: list[tuple[str, ...]] = []
    runner.slow_conflicts = lambda: ["aws_lambda_permission.p"]
    runner.adopt_unfinished = lambda also=(): adopted_with.append(tuple(also)) or []
    runner.record_unfinished = lambda also=(): None
    attempts = iter(["refused", "Apply complete! Resources: 1 imported, 0 added, 0 changed, 0 destroyed.\n"])

    def guarded(name, *args, **kwargs):
        outcome = next(attempts)
        if outcome == "refused":
            (runner.logs / name).write_text(first)
            raise RunError("terraform apply exited 1")
        return 0, outcome

    runner.guarded = guarded
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("deploy.terraform_runner.conflicting_creates", lambda log: ["aws_kms_alias.a"])
        output = runner.apply()
    assert output.startswith(first) and output.endswith("0 destroyed.\n")
    assert adopted_with == [("aws_lambda_permission.p",), ()]
    assert "already in AWS, not in the state: aws_kms_alias.a: adopting them" in capsys.readouterr().out


# --- progress while Terraform runs ---------------------------------------------------------------

# A stand-in for terraform: real 1.11 output lines, the last ones after a pause and a marker file
# (the progress printed before the marker existed was printed while it ran).
FAKE_TERRAFORM = """#!{python}
import pathlib, sys, time
print("Plan: 2 to add, 0 to change, 0 to destroy.", flush=True)
print("terraform_data.quick: Creating...", flush=True)
print("terraform_data.quick: Creation complete after 0s [id=1cbde9e8]", flush=True)
print("terraform_data.slow: Creating...", flush=True)
time.sleep(1.5)
pathlib.Path({marker!r}).write_text("done")
print("terraform_data.slow: Creation complete after 2s [id=9dbd7f4f]", flush=True)
"""


class _Recorder:
    """stdout, recording for each line written whether the fake terraform had finished."""

    def __init__(self, marker: Path) -> None:
        self.marker, self.lines = marker, []

    def write(self, text: str) -> int:
        self.lines += [(line, self.marker.exists()) for line in text.splitlines()]
        return len(text)

    def flush(self) -> None:
        pass


def _fake_terraform(tmp_path: Path) -> tuple[Runner, Path]:
    marker, bin_dir = tmp_path / "finished", tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "terraform"
    script.write_text(FAKE_TERRAFORM.format(python=sys.executable, marker=str(marker)))
    script.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    return Runner("TapStackprod", tmp_path / "out", env=env, logs=tmp_path / "logs"), marker


@pytest.mark.parametrize("command", ["apply", "destroy"])
def test_an_apply_or_destroy_prints_each_completed_resource_while_it_runs(tmp_path, monkeypatch, command):
    runner, marker = _fake_terraform(tmp_path)
    out = _Recorder(marker)
    monkeypatch.setattr(sys, "stdout", out)
    _, log = runner.terraform(f"{command}.log", command, "-auto-approve")
    assert out.lines == [
        ("  [1/2] terraform_data.quick created (0s)", False),  # printed before terraform ended
        ("  [2/2] terraform_data.slow created (2s)", True),
    ]
    assert log.count("\n") == 5 and log == (tmp_path / "logs" / f"{command}.log").read_text()  # the full log


def test_a_plan_stays_quiet_and_progress_can_be_turned_off(tmp_path, monkeypatch):
    runner, marker = _fake_terraform(tmp_path)
    out = _Recorder(marker)
    monkeypatch.setattr(sys, "stdout", out)
    runner.terraform("plan.log", "plan")
    runner.progress = False
    runner.terraform("apply.log", "apply", "-auto-approve")
    assert out.lines == []

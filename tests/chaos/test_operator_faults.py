"""Operator faults against a real deployment on the emulator (make chaos-local).

What an operator does by accident - Ctrl-C in the middle of a deploy, a redeploy or a destroy,
a forgotten variable, an interrupted game day, a crashed emulator, two runs on one port - and after each:
the state is valid, a rerun converges (a plan shows no changes), no stored payment is lost,
nothing is left running. One deployment in .local-aws/chaos on its own port, faults in order;
every wait is bounded, and the module stops its emulator whatever happens.

    make chaos-local            # CHAOS_SEED=<n> replays the same interrupt points
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.terraform_runner import state_problem
from local_aws import emulator
from local_aws.dataplane import control

ROOT = Path(__file__).resolve().parents[2]
STATE = ROOT / ".local-aws" / "chaos"
PORT = os.environ.get("CHAOS_EMULATOR_PORT", "4591")
SEED = int(os.environ.get("CHAOS_SEED") or time.time())
STACK = "TapStackchaos"
TFSTATE = STATE / f"terraform.{STACK}.tfstate"
OUTPUTS = STATE / "flat-outputs.json"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
EMULATOR = str(ROOT / "local_aws" / "emulator.sh")
STEP_TIMEOUT = 600  # seconds: no fault may hang a run

pytestmark = pytest.mark.chaos
rng = random.Random(SEED)  # noqa: S311 - reproducible interrupt points, not secrets


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ENVIRONMENT", "TERRAFORM_"))}
    return {
        **base,
        "ENVIRONMENT_SUFFIX": "chaos",
        "EMULATOR_PORT": PORT,
        "EMULATOR_STATE_DIR": str(STATE),
        "PYTHONDONTWRITEBYTECODE": "1",
        **extra,
    }


STARTED: list[subprocess.Popen[str]] = []  # killed after each test if a failed assertion left them


def pipeline(command: str, **extra: str) -> subprocess.Popen[str]:
    """The local pipeline in a session of its own, as a terminal runs it (so that a signal to
    its process group is what Ctrl-C sends). Terraform's logs of earlier runs are removed first,
    so that ``wait_for_log`` sees only this run's."""
    shutil.rmtree(STATE / "logs", ignore_errors=True)
    return spawn(["-m", "local_aws.pipeline", command, "--state-dir", str(STATE)], **extra)


def spawn(args: list[str], **extra: str) -> subprocess.Popen[str]:
    """A project script in a session of its own, killed after the test if still running."""
    proc = subprocess.Popen(
        [PYTHON, *args],
        cwd=ROOT,
        env=env(**extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    STARTED.append(proc)
    return proc


def finish(proc: subprocess.Popen[str], timeout: float = STEP_TIMEOUT) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def run(command: str, **extra: str) -> tuple[int, str]:
    return finish(pipeline(command, **extra))


def wait_for_log(name: str, pattern: str, timeout: float = 300) -> None:
    """Until Terraform's log says it is working (``pattern``)."""
    deadline = time.monotonic() + timeout
    log = STATE / "logs" / name
    while time.monotonic() < deadline:
        if log.exists() and re.search(pattern, log.read_text(errors="replace")):
            return
        time.sleep(0.5)
    raise AssertionError(f"{log} never showed {pattern!r} within {timeout:.0f} s")


def interrupted_run(proc: subprocess.Popen[str], signum: int = signal.SIGINT) -> tuple[int, str, float]:
    """Ctrl-C (or ``signum``) now, then the run's exit code, output and seconds to stop."""
    os.killpg(proc.pid, signum)
    sent = time.monotonic()
    code, out = finish(proc, timeout=180)
    return code, out, time.monotonic() - sent


def emulator_running() -> bool:
    return emulator.running(env())


def terraform_env() -> dict[str, str]:
    """The emulator's endpoint and credentials and the project's Terraform CLI config."""
    return {
        **env(),
        **emulator.endpoint_env(env()),
        "TF_CLI_CONFIG_FILE": str(ROOT / ".cache" / "terraform.rc"),
    }


def terraform_plan_exit() -> int:
    """terraform plan -detailed-exitcode on the chaos deployment (0: converged)."""
    stack_dir = STATE / "cdktf.out" / "stacks" / STACK
    return subprocess.run(
        ["terraform", f"-chdir={stack_dir}", "plan", "-detailed-exitcode", "-input=false", "-no-color"],
        env=terraform_env(),
        capture_output=True,
        timeout=STEP_TIMEOUT,
        check=False,
    ).returncode


def call_api(method: str, path: str, body: str | None = None) -> tuple[int, str]:
    args = [
        PYTHON,
        "-m",
        "local_aws.call_api",
        method,
        path,
        *([body] if body else []),
        "--outputs",
        str(OUTPUTS),
    ]
    proc = subprocess.run(args, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout


def retried_creates() -> list[str]:
    """The POST/PUT requests an SDK re-sent (the emulator logs them): a create whose response
    was lost, which AWS then refuses as a duplicate."""
    log = (STATE / "moto.log").read_text(errors="replace")
    return re.findall(r"^local_aws: retried by the client \([^)]*\): ((?:POST|PUT) \S+)$", log, re.MULTILINE)


def managed_resources() -> int:
    state = json.loads(TFSTATE.read_text())
    return sum(len(r["instances"]) for r in state["resources"] if r["mode"] == "managed")


@pytest.fixture(scope="module", autouse=True)
def chaos_deployment() -> Iterator[None]:
    subprocess.run([EMULATOR, "stop"], env=env(), capture_output=True, check=False)
    shutil.rmtree(STATE, ignore_errors=True)
    try:
        yield
    finally:  # nothing left running, whatever failed
        subprocess.run([EMULATOR, "stop"], env=env(), capture_output=True, check=False)
        shutil.rmtree(STATE, ignore_errors=True)


@pytest.fixture(autouse=True)
def nothing_left_running() -> Iterator[None]:
    """A test that failed half-way must not leave its pipeline running into the next one."""
    yield
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)


def test_ctrl_c_during_the_first_deploy_lets_the_apply_finish_so_nothing_is_orphaned():
    """Terraform's graceful stop cancels in-flight creates, which AWS may already have carried
    out (in AWS, not in the state): the first Ctrl-C lets the apply finish instead."""
    proc = pipeline("deploy")
    wait_for_log("apply.log", r"Creating\.\.\.")
    into_apply = rng.uniform(2, 30)
    time.sleep(into_apply)
    code, out, stopped = interrupted_run(proc)
    assert code != 0 and "interrupted (SIGINT)" in out and "finished first" in out, out[-2000:]
    assert state_problem(TFSTATE) is None, TFSTATE.read_text()[:200]
    assert emulator_running()  # the deployment was not thrown away
    created = managed_resources()

    started = time.monotonic()
    code, out = run("deploy")
    assert code == 0, out[-3000:]
    applied = re.search(r"apply: (?:(\d+) imported, )?(\d+) added, 0 changed, 0 destroyed", out)
    assert applied, out[-3000:]
    imported, added = int(applied[1] or 0), int(applied[2])
    retried = retried_creates()
    # The interrupted apply had finished: nothing left to add. Unless a create whose response was
    # lost and that the SDK re-sent failed as a duplicate: the rerun adopts it and adds the rest.
    assert added == 0 or (imported > 0 and retried), out[-3000:]
    assert terraform_plan_exit() == 0
    print(
        f"measured: Ctrl-C {into_apply:.1f} s into the first apply; it finished {stopped:.1f} s later "
        f"with {created} resources in the state; the rerun took {time.monotonic() - started:.0f} s; "
        f"creates the SDK re-sent: {retried or 'none'}"
    )


def test_sigterm_during_a_redeploy_stops_it_loses_no_payment_and_a_rerun_converges():
    """A cancelled CI job: Terraform's graceful stop at once, the state saved."""
    status, created = call_api(
        "POST", "/payments", json.dumps({"amount": "10.50", "currency": "EUR", "customer_id": "chaos"})
    )
    assert status == 0, created
    payment_id = json.loads(created)["payment_id"]
    deployed = managed_resources()
    author = f"chaos-{SEED}"  # a new default tag: every resource is updated
    proc = pipeline("deploy", COMMIT_AUTHOR=author)
    wait_for_log("apply.log", r"Modifying\.\.\.")
    time.sleep(rng.uniform(1, 10))
    code, out, stopped = interrupted_run(proc, signal.SIGTERM)
    assert code != 0 and "interrupted (SIGTERM)" in out and "saved its state" in out, out[-2000:]
    assert state_problem(TFSTATE) is None
    assert managed_resources() == deployed  # an interrupted update orphans nothing

    code, out = run("deploy", COMMIT_AUTHOR=author)
    assert code == 0, out[-3000:]
    status, read = call_api("GET", f"/payments/{payment_id}")
    assert status == 0 and json.loads(read)["payment_id"] == payment_id
    code, out = run("deploy")  # back to the default author for the tests below
    assert code == 0, out[-3000:]
    assert terraform_plan_exit() == 0
    print(f"measured: SIGTERM during the redeploy; stopped {stopped:.1f} s later, {deployed} resources kept")


# What a create cancelled in flight (or retried after a lost response) leaves behind: in AWS,
# not in the state. Name-unique resources, and API Gateway resources (unique by parent and path,
# found by a lookup): one under the REST API's root, one under another resource.
ORPHANED = {
    True: (
        "aws_iam_policy.api-primary_function-role_policy_F8E94018",
        "aws_cloudwatch_log_group.api-secondary_function-logs_787F6A06",
        "aws_api_gateway_resource.api-secondary_resource-payments-payment_id_B815A38B",
    ),
    False: (
        "aws_kms_alias.key-secondary_alias_F90F46BE",
        "aws_lambda_permission.api-primary_invoke-permission_5A7D8981",
        "aws_api_gateway_resource.api-primary_resource-health_A12F36C5",
    ),
}


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded-by-the-stopped-apply", "unrecorded"])
def test_creates_left_in_aws_but_not_in_the_state_are_adopted(recorded):
    """recorded: the stopped apply listed its unfinished creates and the next one adopts them
    first. unrecorded (a lost response the SDK retried, a lost record): AWS answers "already
    exists", the deploy adopts them and applies once more. Either way: imported, nothing added."""
    orphans = ORPHANED[recorded]
    subprocess.run(
        ["terraform", f"-chdir={STATE / 'cdktf.out' / 'stacks' / STACK}", "state", "rm", *orphans],
        env=terraform_env(),
        capture_output=True,
        check=True,
    )
    if recorded:
        (STATE / f"unfinished-creates.{STACK}.json").write_text(json.dumps(orphans))
    code, out = run("deploy")
    assert code == 0, out[-3000:]
    assert f"apply: {len(orphans)} imported, 0 added, 0 changed, 0 destroyed" in out, out[-3000:]
    assert ("already in AWS, not in the state" in out) is not recorded
    assert terraform_plan_exit() == 0


@pytest.mark.parametrize(
    ("variables", "difference"),
    [
        ({"ENVIRONMENT": "staging"}, "profile 'dev' (deployed) != 'staging' (now)"),
        ({"PRIMARY_REGION": "us-east-2"}, "primary_region 'us-east-1' (deployed) != 'us-east-2' (now)"),
        ({"MANAGE_ACCOUNT_SETTINGS": "false"}, "manages_account_settings True (deployed) != False (now)"),
    ],
)
@pytest.mark.parametrize("command", ["deploy", "destroy"])
def test_another_configuration_is_refused_before_anything_changes(command, variables, difference):
    before, serial = managed_resources(), json.loads(TFSTATE.read_text())["serial"]
    code, out = run(command, **variables)
    assert code == 1 and f"{STACK} was deployed with another configuration: {difference}" in out, out[-2000:]
    assert (managed_resources(), json.loads(TFSTATE.read_text())["serial"]) == (before, serial)
    assert emulator_running()


def _gameday(*args: str) -> subprocess.Popen[str]:
    return spawn(["-m", "dr.gameday", "--target", "local", "--outputs", str(OUTPUTS), *args])


def _regions_out() -> list[str]:
    return control.status(emulator.endpoint_env(env())["AWS_ENDPOINT_URL"])["regions_out"]


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT"])
def test_an_interrupted_gameday_never_leaves_the_primary_out(how):
    """A cancelled job (SIGTERM) or Ctrl-C (SIGINT) while the primary region is out: the game
    day brings it back on the way out and says so."""
    proc = _gameday("--scenarios", "region-loss", "--report", str(STATE / "gameday-report.json"))
    deadline = time.monotonic() + 120
    while not _regions_out():
        assert time.monotonic() < deadline and proc.poll() is None, "the game day never took the primary out"
        time.sleep(0.05)
    os.killpg(proc.pid, getattr(signal, how))
    code, out = finish(proc, timeout=60)
    assert code == 1 and f"game day interrupted ({'SIGINT' if how == 'SIGINT' else how})" in out, out
    assert _regions_out() == []


def test_ctrl_c_during_destroy_keeps_a_valid_state_and_a_rerun_finishes():
    proc = pipeline("destroy")
    wait_for_log("destroy.log", r"Destroying\.\.\.")
    time.sleep(rng.uniform(1, 20))
    code, out, stopped = interrupted_run(proc)
    assert code != 0 and "saved its state" in out, out[-2000:]
    assert state_problem(TFSTATE) is None
    assert emulator_running()  # what was not destroyed is still deployed and in the state
    print(f"measured: Ctrl-C during the destroy; stopped {stopped:.1f} s later, {managed_resources()} left")

    code, out = run("destroy")
    assert code == 0, out[-3000:]
    assert "leftovers: 0" in out
    assert not emulator_running() and not TFSTATE.exists() and not OUTPUTS.exists()
    assert not (STATE / "local-endpoints.json").exists()  # nothing points at the stopped emulator


def test_a_crashed_emulator_is_reported_at_once():
    proc = pipeline("deploy")
    wait_for_log("apply.log", r"Creating\.\.\.")
    pid = int((STATE / "moto.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    code, out = finish(proc, timeout=180)
    assert code == 1 and "the emulator died while Terraform was running" in out, out[-2000:]
    reported = time.monotonic() - killed
    assert reported < 30  # not after Terraform's own retries
    print(f"measured: the emulator's death reported {reported:.1f} s after the kill")
    assert state_problem(TFSTATE) is None


def test_two_starts_on_one_port_never_share_an_emulator():
    starts = [
        subprocess.Popen(
            [EMULATOR, "start"],
            env={**env(), "EMULATOR_STATE_DIR": str(STATE / f"race-{n}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for n in range(2)
    ]
    results = [finish(start, timeout=60) for start in starts]
    try:
        assert sorted(code for code, _ in results) == [0, 1], results
        loser = next(out for code, out in results if code == 1)
        assert ("port" in loser and "in use" in loser) or "another emulator" in loser, loser
    finally:
        for n in range(2):
            subprocess.run(
                [EMULATOR, "stop"], env={**env(), "EMULATOR_STATE_DIR": str(STATE / f"race-{n}")}, check=False
            )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-v"]))

"""Operator faults around one deployment's life, in order (make chaos-local).

Ctrl-C in the middle of the first deploy, SIGTERM in the middle of a redeploy, a forgotten
variable, an interrupted game day, Ctrl-C in the middle of the destroy - and after each: the
state is valid, a rerun converges (a plan shows no changes), no stored payment is lost, nothing
is left running. Each fault starts from the deployment the one before left; every wait is
bounded, and the module stops its emulator whatever happens.

    make chaos-local            # CHAOS_SEED=<n> replays the same interrupt points
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from deploy.terraform_state import state_problem
from local_aws import emulator
from local_aws.dataplane import control
from tests.chaos.lanes import SEED, STACK, Lane, finish, interrupted_run

LANE = Lane("first-deploy", port=4592, block="127.0.32")

pytestmark = pytest.mark.chaos


def test_ctrl_c_during_the_first_deploy_lets_the_apply_finish_so_nothing_is_orphaned():
    """Terraform's graceful stop cancels in-flight creates, which AWS may already have carried
    out (in AWS, not in the state): the first Ctrl-C lets the apply finish instead."""
    proc = LANE.pipeline("deploy")
    LANE.wait_for_log("apply.log", r"Creating\.\.\.")
    into_apply = LANE.rng.uniform(2, 30)
    time.sleep(into_apply)
    code, out, stopped = interrupted_run(proc)
    assert code != 0 and "interrupted (SIGINT)" in out and "finished first" in out, out[-2000:]
    assert state_problem(LANE.tfstate) is None, LANE.tfstate.read_text()[:200]
    assert LANE.emulator_running()  # the deployment was not thrown away
    created = LANE.managed_resources()

    started = time.monotonic()
    code, out = LANE.run("deploy")
    assert code == 0, out[-3000:]
    applied = re.search(r"apply: (?:(\d+) imported, )?(\d+) added, 0 changed, 0 destroyed", out)
    assert applied, out[-3000:]
    imported, added = int(applied[1] or 0), int(applied[2])
    retried = LANE.retried_creates()
    # The interrupted apply had finished: nothing left to add. Unless a create whose response was
    # lost and that the SDK re-sent failed as a duplicate: the rerun adopts it and adds the rest.
    assert added == 0 or (imported > 0 and retried), out[-3000:]
    assert LANE.terraform_plan_exit() == 0
    print(
        f"measured: Ctrl-C {into_apply:.1f} s into the first apply; it finished {stopped:.1f} s later "
        f"with {created} resources in the state; the rerun took {time.monotonic() - started:.0f} s; "
        f"creates the SDK re-sent: {retried or 'none'}"
    )


def test_sigterm_during_a_redeploy_stops_it_loses_no_payment_and_a_rerun_converges():
    """A cancelled CI job: Terraform's graceful stop at once, the state saved."""
    status, created = LANE.call_api(
        "POST", "/payments", json.dumps({"amount": "10.50", "currency": "EUR", "customer_id": "chaos"})
    )
    assert status == 0, created
    payment_id = json.loads(created)["payment_id"]
    deployed = LANE.managed_resources()
    author = f"chaos-{SEED}"  # a new default tag: every resource is updated
    proc = LANE.pipeline("deploy", COMMIT_AUTHOR=author)
    LANE.wait_for_log("apply.log", r"Modifying\.\.\.")
    time.sleep(LANE.rng.uniform(1, 10))
    code, out, stopped = interrupted_run(proc, signal.SIGTERM)
    assert code != 0 and "interrupted (SIGTERM)" in out and "saved its state" in out, out[-2000:]
    assert state_problem(LANE.tfstate) is None
    assert LANE.managed_resources() == deployed  # an interrupted update orphans nothing

    code, out = LANE.run("deploy", COMMIT_AUTHOR=author)
    assert code == 0, out[-3000:]
    status, read = LANE.call_api("GET", f"/payments/{payment_id}")
    assert status == 0 and json.loads(read)["payment_id"] == payment_id
    code, out = LANE.run("deploy")  # back to the default author for the tests below
    assert code == 0, out[-3000:]
    assert LANE.terraform_plan_exit() == 0
    print(f"measured: SIGTERM during the redeploy; stopped {stopped:.1f} s later, {deployed} resources kept")


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
    before, serial = LANE.managed_resources(), json.loads(LANE.tfstate.read_text())["serial"]
    code, out = LANE.run(command, **variables)
    assert code == 1 and f"{STACK} was deployed with another configuration: {difference}" in out, out[-2000:]
    assert (LANE.managed_resources(), json.loads(LANE.tfstate.read_text())["serial"]) == (before, serial)
    assert LANE.emulator_running()


def _gameday(*args: str) -> subprocess.Popen[str]:
    return LANE.spawn(["-m", "dr.gameday", "--target", "local", "--outputs", str(LANE.outputs), *args])


def _regions_out() -> list[str]:
    return control.status(emulator.endpoint_env(LANE.env())["AWS_ENDPOINT_URL"])["regions_out"]


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT"])
def test_an_interrupted_gameday_never_leaves_the_primary_out(how):
    """A cancelled job (SIGTERM) or Ctrl-C (SIGINT) while the primary region is out: the game
    day brings it back on the way out and says so."""
    proc = _gameday("--scenarios", "region-loss", "--report", str(LANE.state / "gameday-report.json"))
    deadline = time.monotonic() + 120
    while not _regions_out():
        assert time.monotonic() < deadline and proc.poll() is None, "the game day never took the primary out"
        time.sleep(0.05)
    os.killpg(proc.pid, getattr(signal, how))
    code, out = finish(proc, timeout=60)
    assert code == 1 and f"game day interrupted ({'SIGINT' if how == 'SIGINT' else how})" in out, out
    assert _regions_out() == []


def test_ctrl_c_during_destroy_keeps_a_valid_state_and_a_rerun_finishes():
    proc = LANE.pipeline("destroy")
    LANE.wait_for_log("destroy.log", r"Destroying\.\.\.")
    time.sleep(LANE.rng.uniform(1, 20))
    code, out, stopped = interrupted_run(proc)
    assert code != 0 and "saved its state" in out, out[-2000:]
    assert state_problem(LANE.tfstate) is None
    assert LANE.emulator_running()  # what was not destroyed is still deployed and in the state
    print(
        f"measured: Ctrl-C during the destroy; stopped {stopped:.1f} s later, {LANE.managed_resources()} left"
    )

    code, out = LANE.run("destroy")
    assert code == 0, out[-3000:]
    assert "leftovers: 0" in out
    assert not LANE.emulator_running() and not LANE.tfstate.exists() and not LANE.outputs.exists()
    assert not (LANE.state / "local-endpoints.json").exists()  # nothing points at the stopped emulator


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-v"]))

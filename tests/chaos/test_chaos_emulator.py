"""The emulator under the operator's feet (make chaos-local): it dies while Terraform runs, or two
runs start one on the same port. Each is reported at once, and never shared; the module stops
its emulators whatever happens.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from deploy.terraform_state import state_problem
from tests.chaos.lanes import EMULATOR, Lane, finish

LANE = Lane("emulator", port=4595, block="127.0.35")

pytestmark = pytest.mark.chaos


def test_a_crashed_emulator_is_reported_at_once():
    proc = LANE.pipeline("deploy")
    LANE.wait_for_log("apply.log", r"Creating\.\.\.")
    pid = int((LANE.state / "moto.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    code, out = finish(proc, timeout=180)
    assert code == 1 and "the emulator died while Terraform was running" in out, out[-2000:]
    reported = time.monotonic() - killed
    assert reported < 30  # not after Terraform's own retries
    print(f"measured: the emulator's death reported {reported:.1f} s after the kill")
    assert state_problem(LANE.tfstate) is None


def test_two_starts_on_one_port_never_share_an_emulator():
    starts = [
        subprocess.Popen(
            [EMULATOR, "start"],
            env={**LANE.env(), "EMULATOR_STATE_DIR": str(LANE.state / f"race-{n}")},
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
                [EMULATOR, "stop"],
                env={**LANE.env(), "EMULATOR_STATE_DIR": str(LANE.state / f"race-{n}")},
                check=False,
            )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-v"]))

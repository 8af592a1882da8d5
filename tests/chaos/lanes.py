"""What every chaos module shares: a ``Lane`` (one deployment on one emulator of its own) and the
helpers that drive it, written once.

Each module declares its lane with a fixed port and loopback block; the lane's emulator, state,
logs and outputs live in ``.local-aws/chaos-<name>/`` and nowhere else, so that modules run at
the same time in separate pytest processes without seeing each other. Every lane deploys the
same stack (suffix ``chaos``): deployments of the same name, side by side in separate emulators.
conftest.py starts each module from nothing (the lane's emulator stopped, its state removed)
and kills whatever a failed test left running.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from local_aws import emulator

ROOT = Path(__file__).resolve().parents[2]
# One seed for every lane of a pytest process (separate processes each draw their own, printed
# at the end, unless CHAOS_SEED sets it for all of them).
SEED = int(os.environ.get("CHAOS_SEED") or time.time())
SUFFIX = "chaos"  # the same in every lane
STACK = f"TapStack{SUFFIX}"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
EMULATOR = str(ROOT / "local_aws" / "emulator.sh")
STEP_TIMEOUT = 600  # seconds: no fault may hang a run
# Lanes take ports 4591-4599 and blocks 127.0.31-127.0.39 (4591, the port of the one chaos
# deployment before the lanes, is left free: a checkout still running that never collides). A
# lane's interrupt points are drawn from SEED + (port - FIRST_PORT + 1): each module replays on
# its own, whatever else runs.
FIRST_PORT, LAST_PORT = 4591, 4599
BLOCK = re.compile(r"127\.0\.3[1-9]")

DECLARED: dict[str, Lane] = {}  # "name x", "port n", "block b" -> the lane that took it


@dataclass(frozen=True)
class Lane:
    """One deployment on one emulator: its port, its loopback block (the regions' API addresses
    ``<block>.2, <block>.3, ...``, its DNS server ``<block>.1``) and its state directory."""

    name: str
    port: int
    block: str
    started: list[subprocess.Popen[str]] = field(default_factory=list, compare=False, repr=False)
    rng: random.Random = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not FIRST_PORT <= self.port <= LAST_PORT or not BLOCK.fullmatch(self.block):
            raise ValueError(f"lane {self.name}: port {FIRST_PORT}-{LAST_PORT}, block 127.0.31-127.0.39")
        for key in (f"name {self.name}", f"port {self.port}", f"block {self.block}"):
            if key in DECLARED:
                raise ValueError(f"lane {self.name}: {key} is lane {DECLARED[key].name}'s")
            DECLARED[key] = self
        # Reproducible interrupt points, not secrets.
        object.__setattr__(self, "rng", random.Random(SEED + self.port - FIRST_PORT + 1))  # noqa: S311

    # -- where the lane keeps things ----------------------------------------------------------

    @property
    def state(self) -> Path:
        return ROOT / ".local-aws" / f"chaos-{self.name}"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def tfstate(self) -> Path:
        return self.state / f"terraform.{STACK}.tfstate"

    @property
    def outputs(self) -> Path:
        return self.state / "flat-outputs.json"

    @property
    def stack_dir(self) -> Path:
        return self.state / "cdktf.out" / "stacks" / STACK

    def describe(self) -> str:
        """One line for a failure report: where to look."""
        return (
            f"lane {self.name}: emulator 127.0.0.1:{self.port}, addresses {self.block}.*, "
            f"logs {self.logs.relative_to(ROOT)}/, emulator log {(self.state / 'moto.log').relative_to(ROOT)}"
        )

    # -- running things -----------------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        base = {
            k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ENVIRONMENT", "TERRAFORM_"))
        }
        return {
            **base,
            "ENVIRONMENT_SUFFIX": SUFFIX,
            "EMULATOR_PORT": str(self.port),
            "EMULATOR_ADDRESSES": self.block,
            "EMULATOR_STATE_DIR": str(self.state),
            "PYTHONDONTWRITEBYTECODE": "1",
            **extra,
        }

    def pipeline(self, command: str, **extra: str) -> subprocess.Popen[str]:
        """The local pipeline in a session of its own, as a terminal runs it (so that a signal to
        its process group is what Ctrl-C sends). Terraform's logs of earlier runs are removed
        first, so that ``wait_for_log`` sees only this run's."""
        shutil.rmtree(self.logs, ignore_errors=True)
        return self.spawn(["-m", "flows.pipeline", command, "--state-dir", str(self.state)], **extra)

    def spawn(self, args: list[str], **extra: str) -> subprocess.Popen[str]:
        """A project script in a session of its own, killed after the test if still running."""
        proc = subprocess.Popen(
            [PYTHON, *args],
            cwd=ROOT,
            env=self.env(**extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.started.append(proc)
        return proc

    def run(self, command: str, **extra: str) -> tuple[int, str]:
        return finish(self.pipeline(command, **extra))

    def wait_for_log(self, name: str, pattern: str, timeout: float = 300) -> None:
        """Until Terraform's log says it is working (``pattern``)."""
        deadline = time.monotonic() + timeout
        log = self.logs / name
        while time.monotonic() < deadline:
            if log.exists() and re.search(pattern, log.read_text(errors="replace")):
                return
            if self.started and all(proc.poll() is not None for proc in self.started):
                out, _ = self.started[-1].communicate()
                raise AssertionError(
                    f"the run exited ({self.started[-1].returncode}) before {log} showed {pattern!r}:\n"
                    f"{(out or '')[-3000:]}"
                )
            time.sleep(0.5)
        raise AssertionError(f"{log} never showed {pattern!r} within {timeout:.0f} s")

    def kill_started(self) -> None:
        """What a test (or a fixture) that failed half-way left running."""
        while self.started:
            proc = self.started.pop()
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate(timeout=30)

    def ended_early(self) -> list[tuple[str, str]]:
        """For a failure report: the output of each process of the test that exited unread (a run
        that the test was waiting on may have ended, with the reason)."""
        ended = []
        for proc in self.started:
            if proc.poll() is not None and proc.stdout is not None and not proc.stdout.closed:
                try:
                    out, _ = proc.communicate(timeout=5)
                except (subprocess.TimeoutExpired, ValueError):
                    continue
                command = " ".join(str(arg) for arg in proc.args[1:4])  # type: ignore[index]
                ended.append((f"{command} (exit {proc.returncode})", (out or "")[-3000:]))
        return ended

    def stop_emulator(self) -> None:
        subprocess.run([EMULATOR, "stop"], env=self.env(), capture_output=True, check=False)

    def emulator_running(self) -> bool:
        return emulator.running(self.env())

    # -- reading the deployment ---------------------------------------------------------------

    def terraform_env(self) -> dict[str, str]:
        """The emulator's endpoint and credentials and the project's Terraform CLI config."""
        return {
            **self.env(),
            **emulator.endpoint_env(self.env()),
            "TF_CLI_CONFIG_FILE": str(ROOT / ".cache" / "terraform.rc"),
        }

    def terraform_plan_exit(self) -> int:
        """terraform plan -detailed-exitcode on the lane's deployment (0: converged)."""
        return subprocess.run(
            [
                "terraform",
                f"-chdir={self.stack_dir}",
                "plan",
                "-detailed-exitcode",
                "-input=false",
                "-no-color",
            ],
            env=self.terraform_env(),
            capture_output=True,
            timeout=STEP_TIMEOUT,
            check=False,
        ).returncode

    def call_api(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        args = [
            PYTHON,
            "-m",
            "flows.call_api",
            method,
            path,
            *([body] if body else []),
            "--outputs",
            str(self.outputs),
        ]
        proc = subprocess.run(
            args, cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=120, check=False
        )
        return proc.returncode, proc.stdout

    def retried_creates(self) -> list[str]:
        """The POST/PUT requests an SDK re-sent (the emulator logs them): a create whose response
        was lost, which AWS then refuses as a duplicate."""
        log = (self.state / "moto.log").read_text(errors="replace")
        return re.findall(
            r"^local_aws: retried by the client \([^)]*\): ((?:POST|PUT) \S+)$", log, re.MULTILINE
        )

    def managed_resources(self) -> int:
        state = json.loads(self.tfstate.read_text())
        return sum(len(r["instances"]) for r in state["resources"] if r["mode"] == "managed")


def finish(proc: subprocess.Popen[str], timeout: float = STEP_TIMEOUT) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def interrupted_run(proc: subprocess.Popen[str], signum: int = signal.SIGINT) -> tuple[int, str, float]:
    """Ctrl-C (or ``signum``) now, then the run's exit code, output and seconds to stop."""
    os.killpg(proc.pid, signum)
    sent = time.monotonic()
    code, out = finish(proc, timeout=180)
    return code, out, time.monotonic() - sent


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


def creates_left_in_aws_are_adopted(lane: Lane, recorded: bool) -> None:
    """recorded: the stopped apply listed its unfinished creates and the next one adopts them
    first. unrecorded (a lost response the SDK retried, a lost record): AWS answers "already
    exists", the deploy adopts them and applies once more. Either way: imported, nothing added.

    The scenario of both adoption lanes, each on a deployed stack of its own."""
    orphans = ORPHANED[recorded]
    subprocess.run(
        ["terraform", f"-chdir={lane.stack_dir}", "state", "rm", *orphans],
        env=lane.terraform_env(),
        capture_output=True,
        check=True,
    )
    if recorded:
        (lane.state / f"unfinished-creates.{STACK}.json").write_text(json.dumps(orphans))
    code, out = lane.run("deploy")
    assert code == 0, out[-3000:]
    assert f"apply: {len(orphans)} imported, 0 added, 0 changed, 0 destroyed" in out, out[-3000:]
    assert ("already in AWS, not in the state" in out) is not recorded
    assert lane.terraform_plan_exit() == 0

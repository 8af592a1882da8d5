"""Synthesize the stack and drive plain Terraform on it, safely, for local and real deploys.

Why not ``cdktf deploy``: cdktf runs Terraform in a pseudo-terminal session of its own and, on
Ctrl-C, aborts it while it may be writing the state (an interrupted redeploy left a 0-byte
state in 3 of 4 trials: every resource orphaned). Here:

- Terraform runs in its own process group, so a terminal's Ctrl-C reaches only this driver.
  Terraform's graceful stop writes the state but cancels the provider's in-flight calls: a
  create AWS already carried out is then in AWS and not in the state (deploy/orphans.py). So the
  first Ctrl-C during an apply lets the apply finish (nothing is orphaned); a second Ctrl-C, a
  SIGTERM or a SIGHUP (a cancelled CI job, a closed terminal) forwards ONE interrupt, Terraform's
  graceful stop, and waits for it; a further one is not forwarded (Terraform would exit at once,
  "data loss may have occurred"). Any other command is stopped gracefully at the first signal.
- The creates an apply started and never finished are recorded; the next apply adopts those AWS
  completed (import blocks), and an apply refused with "already exists" adopts and retries once.
- A local state file is checked before Terraform touches it: an empty or unreadable state is
  never used (the error names the newest good backup and the command that restores it), and
  every good state is copied to ``backups/`` before an apply or destroy (the last 10 kept).
- The deployment's identity (suffix, profile, regions, account-settings owner) is a stack
  output; before an apply or destroy the one recorded in the state must equal the current
  configuration's, or nothing happens (a forgotten ``ENVIRONMENT=prod`` would otherwise
  re-synthesize the dev profile, without ``prevent_destroy``, and destroy prod).

The adoption steps are deploy/adoption.py's (mixed into ``Runner``); reading a state file and
Terraform's JSON, deploy/terraform_state.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deploy.adoption import Adoption
from deploy.orphans import ADOPTABLE, conflicting_creates
from deploy.progress import Follower
from deploy.terraform_state import identity_differences, json_in, load_state, state_problem

ROOT = Path(__file__).resolve().parents[1]
BACKUPS_KEPT = 10
IDENTITY_OUTPUT = "deployment_identity"
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
LOG_TAIL = 25
PROGRESS_COMMANDS = ("apply", "destroy", "import")  # a plan stays quiet: it changes nothing


class RunError(Exception):
    """A step failed; the message is one line for the user."""


class Interrupted(RunError):
    """Stopped by a signal after Terraform saved its state."""


# --- processes ---------------------------------------------------------------------------------


def run_forwarding_signals(
    cmd: list[str],
    *,
    env: dict[str, str],
    cwd: Path = ROOT,
    log: Path | None = None,
    watch: Callable[[], str | None] | None = None,
    finish_first: bool = False,
    poll: Callable[[], None] | None = None,
) -> int:
    """Run ``cmd`` in its own process group; forward the first SIGINT/SIGTERM/SIGHUP to it as
    SIGINT and wait for it to exit. Returns its exit code; raises ``Interrupted`` afterwards if
    a signal arrived. ``finish_first``: the first SIGINT (Ctrl-C) is not forwarded, the command
    runs to its end, and the next signal is forwarded. ``watch`` is polled twice a second: when
    it returns a reason (say, the emulator died), the command is interrupted the same way and
    ``RunError(reason)`` raised. ``poll`` (say, following the log for progress) is called as
    often; it takes no part in the signals."""
    received: list[int] = []
    forwarded: list[int] = []
    stopped_because: list[str] = []
    handle = log.open("a") if log is not None else None
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT if handle else None,
            start_new_session=True,  # the terminal's Ctrl-C reaches us, not it
        )

        def forward(signum: int, _frame: Any) -> None:
            received.append(signum)
            name = signal.Signals(signum).name
            if finish_first and signum == signal.SIGINT and len(received) == 1:
                print(
                    f"\n    {name}: letting {Path(cmd[0]).name} finish, so that nothing it is creating "
                    "is left in AWS but not in the state; Ctrl-C again to stop it now (creates in "
                    "flight may then be orphaned: the next deploy adopts them)",
                    file=sys.stderr,
                    flush=True,
                )
            elif not forwarded:
                forwarded.append(signum)
                proc.send_signal(signal.SIGINT)
                print(
                    f"\n    {name}: asked {Path(cmd[0]).name} to stop; waiting for it to save its "
                    "state (interrupting again does not stop it sooner)",
                    file=sys.stderr,
                    flush=True,
                )

        previous = {s: signal.signal(s, forward) for s in FORWARDED}
        try:
            while True:
                try:
                    returncode = proc.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    if poll is not None:
                        poll()
                    reason = watch() if watch is not None and not stopped_because else None
                    if reason:
                        stopped_because.append(reason)
                        proc.send_signal(signal.SIGINT)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    finally:
        if handle is not None:
            handle.close()
    if stopped_because:
        raise RunError(stopped_because[0])
    if forwarded:
        raise Interrupted(
            f"interrupted ({signal.Signals(forwarded[0]).name}): {Path(cmd[0]).name} stopped "
            f"gracefully (exit {returncode}) and saved its state; rerun to continue"
        )
    if received:
        raise Interrupted(
            f"interrupted ({signal.Signals(received[0]).name}): {Path(cmd[0]).name} finished first "
            f"(exit {returncode}) and saved its state, so nothing was orphaned; rerun to continue"
        )
    return returncode


# --- local state -------------------------------------------------------------------------------


@dataclass
class LocalState:
    """A local Terraform state file with timestamped backups next to it."""

    path: Path
    backups: Path = field(init=False)

    def __post_init__(self) -> None:
        self.backups = self.path.parent / "backups"

    def good_backups(self) -> list[Path]:
        found = sorted(self.backups.glob(f"{self.path.stem}.*.tfstate"), reverse=True)
        return [p for p in found if state_problem(p) is None]

    def check(self) -> dict[str, Any] | None:
        """Refuse a state that Terraform would read as 'nothing deployed' or choke on; returns
        the state (None: there is none yet)."""
        state, problem = load_state(self.path)
        if problem is None:
            return state
        newest = next(iter(self.good_backups()), None)
        restore = (
            f"restore the newest good copy: cp {newest} {self.path}"
            if newest
            else "no good backup exists; recover it from the emulator or AWS by `terraform import`"
        )
        raise RunError(f"the state {self.path} {problem}: nothing was run; {restore}")

    def backup(self, state: dict[str, Any] | None = None) -> Path | None:
        """Copy a usable, non-empty state to backups/ (keeps the newest ``BACKUPS_KEPT``);
        ``state``: the file's content, already loaded by ``check``."""
        if state is None:
            state = load_state(self.path)[0]
        if state is None or not state.get("resources"):
            return None
        self.backups.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.backups / f"{self.path.stem}.{stamp}.tfstate"
        shutil.copy2(self.path, target)
        for old in sorted(self.backups.glob(f"{self.path.stem}.*.tfstate"), reverse=True)[BACKUPS_KEPT:]:
            old.unlink()
        return target


# --- synth and terraform -----------------------------------------------------------------------


@dataclass
class Runner(Adoption):
    """One stack: synthesize it into ``outdir`` and run Terraform on it, logging to ``logs``."""

    stack: str
    outdir: Path
    env: dict[str, str]
    logs: Path
    local_state: LocalState | None = None
    watch: Callable[[], str | None] | None = None
    progress: bool = True  # apply/destroy/import print what they complete (deploy/progress.py)

    @property
    def stack_dir(self) -> Path:
        return self.outdir / "stacks" / self.stack

    def logged(
        self,
        name: str,
        cmd: list[str],
        ok_codes: tuple[int, ...] = (0,),
        env: dict[str, str] | None = None,
        *,
        finish_first: bool = False,
        progress: bool = False,
    ) -> tuple[int, str]:
        """Run ``cmd`` with its output in ``logs/name`` (signals forwarded, the emulator watched);
        an exit code outside ``ok_codes`` prints the log's tail and raises ``RunError``.
        ``progress``: while it runs, print to stdout each resource Terraform completes and, at
        times, what is in flight (deploy/progress.py), read from the log as it grows."""
        log = self.logs / name
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")
        follower = Follower(log, sys.stdout) if progress else None
        try:
            returncode = run_forwarding_signals(
                cmd,
                env=env or self.env,
                log=log,
                watch=self.watch,
                finish_first=finish_first,
                poll=follower.poll if follower else None,
            )
        finally:
            if follower is not None:  # what the last half second wrote, even when interrupted
                follower.finish()
        output = log.read_text(errors="replace")
        if returncode not in ok_codes:
            tail = output.strip().splitlines()[-LOG_TAIL:]
            print("\n".join(f"    | {line}" for line in tail), file=sys.stderr)
            what = " ".join([Path(cmd[0]).name, *(a for a in cmd[1:3] if not a.startswith("-chdir"))])
            raise RunError(f"{what} exited {returncode} (full log: {_shown(log)})")
        return returncode, output

    def synth(self) -> None:
        """``python main.py`` (it validates the configuration before the provider import), once
        per input (deploy/synth.py: a content-keyed cache)."""
        python = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
        env = {**self.env, "CDKTF_OUTDIR": str(self.outdir)}
        command = [python, "-m", "deploy.synth", "--outdir", str(self.outdir)]
        _, output = self.logged("synth.log", command, ok_codes=(0, 2), env=env)
        if "error: Invalid stack configuration" in output:
            raise RunError(" ".join(output.split("error: ", 1)[1].split()))
        if not (self.stack_dir / "cdk.tf.json").exists():
            raise RunError(f"synth wrote no {self.stack_dir / 'cdk.tf.json'}")

    def terraform(
        self, name: str, *args: str, ok_codes: tuple[int, ...] = (0,), finish_first: bool = False
    ) -> tuple[int, str]:
        interactive = args[0] in ("init", "plan", "apply", "destroy", "import", "refresh")
        progress = self.progress and args[0] in PROGRESS_COMMANDS
        cmd = [
            "terraform",
            f"-chdir={self.stack_dir}",
            *args,
            "-no-color",
            *(["-input=false"] if interactive else []),
        ]
        return self.logged(name, cmd, ok_codes, finish_first=finish_first, progress=progress)

    def init(self) -> None:
        self.terraform("init.log", "init")

    def recorded_identity(self) -> dict[str, Any] | None:
        """The identity output recorded in the state (None: nothing deployed yet)."""
        if self.local_state is not None and not self.local_state.path.exists():
            return None  # no local state at all: nothing to ask Terraform
        returncode, output = self.terraform("identity.log", "output", "-json", ok_codes=(0, 1))
        if returncode != 0:
            return None
        value = json_in(output).get(IDENTITY_OUTPUT, {}).get("value")
        return json.loads(value) if isinstance(value, str) else None

    def check_identity(self, current: dict[str, Any]) -> None:
        recorded = self.recorded_identity()
        if recorded is None:
            return
        differences = identity_differences(recorded, current)
        if differences:
            raise RunError(
                f"{self.stack} was deployed with another configuration: {'; '.join(differences)}. "
                "Nothing was changed: set the variables it was deployed with"
            )

    def synth_checked(self, identity: dict[str, Any], *, deployed: bool) -> None:
        """Synthesize and initialise the stack for ``identity``, refusing another configuration:
        checked against the recorded identity before the synth overwrites the directory of what
        is ``deployed`` (a different configuration then changes nothing), and after."""
        if deployed:
            self.init()
            self.check_identity(identity)
        self.synth()
        self.init()
        self.check_identity(identity)

    def guarded(
        self, name: str, *args: str, ok_codes: tuple[int, ...] = (0,), finish_first: bool = False
    ) -> tuple[int, str]:
        """An apply/destroy: the local state checked and backed up first."""
        if self.local_state is not None:
            self.local_state.backup(self.local_state.check())
        return self.terraform(name, *args, ok_codes=ok_codes, finish_first=finish_first)

    def apply(self) -> str:
        """``terraform apply``: first adopting what an earlier apply left in flight (and, on a
        deployed state, what the provider is slow to find already there: ``SLOW_CONFLICTS``); if
        AWS answers "already exists" for a create, adopting it and applying once more. Returns
        the output of every attempt, in order."""
        earlier = ""  # a refused attempt's output: its imports happened, the caller counts them
        for attempt in (1, 2):
            self.adopt_unfinished(self.slow_conflicts() if attempt == 1 else ())
            try:
                output = self.guarded(
                    "apply.log", "apply", "-auto-approve", "-lock-timeout=60s", finish_first=True
                )[1]
            except Interrupted:
                self.record_unfinished()
                raise
            except RunError:
                log = (self.logs / "apply.log").read_text(errors="replace")
                earlier += log
                conflicts = [a for a in conflicting_creates(log) if a.partition(".")[0] in ADOPTABLE]
                self.record_unfinished(conflicts)
                if attempt == 2 or not conflicts:
                    raise
                print(
                    f"    already in AWS, not in the state: {', '.join(conflicts)}: adopting them", flush=True
                )
                continue
            finally:
                self.adopt_file.unlink(missing_ok=True)
            self.unfinished_record.unlink(missing_ok=True)
            return earlier + output
        raise AssertionError("unreachable")  # pragma: no cover

    def destroy(self) -> str:
        return self.guarded("destroy.log", "destroy", "-auto-approve", "-lock-timeout=60s")[1]

    def plan(self, out: Path) -> int:
        """``terraform plan`` saved to ``out``, read-only: 0 no changes, 2 changes (anything else
        raises ``RunError`` naming the log). The state is neither backed up nor written."""
        # -lock=false: the pull-request plan runs with a read-only role, which cannot write the
        # S3 backend's lock object (<key>.tflock, use_lockfile) and so would fail to take the
        # lock; a plan changes nothing, so it needs none.
        returncode, _ = self.terraform(
            "plan.log", "plan", "-lock=false", f"-out={out}", "-detailed-exitcode", ok_codes=(0, 2)
        )
        return returncode

    def show_json(self, plan: Path) -> dict[str, Any]:
        """The saved plan ``plan`` as Terraform's JSON (``terraform show -json``)."""
        _, output = self.terraform("plan-show.log", "show", "-json", str(plan))
        return json_in(output)

    def outputs(self) -> dict[str, Any]:
        _, output = self.terraform("outputs.log", "output", "-json")
        return {name: entry["value"] for name, entry in json_in(output).items()}


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def clean_env(env: dict[str, str] | None = None) -> dict[str, str]:
    base = dict(os.environ if env is None else env)
    base.setdefault("CHECKPOINT_DISABLE", "1")
    base.setdefault("TF_IN_AUTOMATION", "1")
    return base

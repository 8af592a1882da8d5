"""Release the stack's S3 state lock that a cancelled or failed job of THIS runner left behind.

    python -m deploy.state_lock release      # run after a cancelled/failed deploy job

Why a lock is left: the state is locked with S3-native locking (``use_lockfile``, lib/tap_stack.py):
Terraform writes ``<key>.tflock`` next to the state when an apply or destroy starts and deletes it
when it ends. GitHub cancels a job like this (docs.github.com, "Workflow cancellation reference",
https://docs.github.com/en/actions/reference/workflow-cancellation-reference): "the runner machine
sends SIGINT/Ctrl-C to the step's entry process [...]. If the process doesn't exit within 7500 ms,
the runner will send SIGTERM/Ctrl-Break to the process, then wait for 2500 ms for the process to
exit. If the process is still running, the runner kills the process tree." An apply given its
graceful stop (deploy/terraform_runner.py) seldom ends within those 10 s: it is killed, and its
lock stays until someone runs ``terraform force-unlock``; every later deploy of the stack waits
``-lock-timeout`` and fails.

What the lock object holds is Terraform's ``LockInfo`` as JSON (terraform v1.11.4,
internal/states/statemgr/locker.go): ``ID`` ("Unique ID for the lock"), ``Operation``, ``Info``,
``Who`` ("user@hostname when available", made by ``NewLockInfo`` as
``fmt.Sprintf("%s@%s", userName, host)`` from ``user.Current().Username`` and ``os.Hostname()``),
``Version``, ``Created`` and ``Path``; the S3 backend sets ``info.Path = c.lockPath()``, that is
``<bucket>/<key>`` (internal/backend/remote-state/s3/client.go), and names the object
``<key>.tflock`` (backend_state.go: "For `default.tfstate`, the lock file is stored at
`default.tfstate.tflock`").

This runner holds the lock when ``Who`` is this process's user@hostname, formed as Terraform
forms it, and no ``terraform`` for this stack still runs here (a live one still uses it). Only
then is it released:

- by ``terraform force-unlock -force <ID>`` in the synthesized, initialised stack directory when
  there is one: Terraform's own unlock (client.go ``unlockWithFile``) reads the object, refuses
  when "lock ID '%s' does not match the existing lock ID '%s'", and deletes it;
- else by deleting the object with ``If-Match: <the ETag read>``. The Amazon S3 User Guide
  ("How to perform conditional deletes"): "If the ETag value of an object in an S3 bucket doesn't
  match with the ETag that you provide during the delete operation, the operation fails", so a
  lock taken by another run since it was read is never deleted. Not by version id: deleting a
  version removes it for good and needs ``s3:DeleteObjectVersion``, which the deploy role lacks
  (it has ``s3:GetObject`` and ``s3:DeleteObject`` on ``*.tflock``, lib/ci_state_bucket.py), and
  on a versioned bucket a delete without one adds a delete marker, which is what Terraform's
  unlock does too.

A lock held by anyone else is left alone (it is not this job's): who, since when, for what, and
the exact command to release it by hand are printed, and the exit status is 0. So is "no lock".
"""

from __future__ import annotations

import json
import os
import pwd
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from cli.args import ArgumentParser
from deploy.terraform_runner import clean_env
from lib import regions
from lib.config import stack_id, state_bucket_errors, suffix_errors

ROOT = Path(__file__).resolve().parents[1]
STACKS = Path("cdktf.out") / "stacks"
STATE_KEY = "{stack}/terraform.tfstate"  # lib/tap_stack.py's S3Backend key
LOCK_SUFFIX = ".tflock"


class LockError(Exception):
    """The lock cannot be read or released; the message is one line."""


@dataclass(frozen=True)
class Lock:
    """A lock object: Terraform's LockInfo and the object's ETag."""

    id: str
    operation: str
    who: str
    version: str
    created: str
    path: str
    etag: str

    @classmethod
    def parse(cls, body: bytes, etag: str, where: str) -> Lock:
        try:
            info = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise LockError(
                f"{where} is not Terraform lock info (not JSON): look at it before deleting it"
            ) from None
        if not isinstance(info, dict) or not isinstance(info.get("ID"), str) or not info["ID"]:
            raise LockError(f"{where} has no lock ID: look at it before deleting it")
        text = lambda key: str(info.get(key) or "?")  # noqa: E731
        return cls(
            info["ID"], text("Operation"), text("Who"), text("Version"), text("Created"), text("Path"), etag
        )


@dataclass(frozen=True)
class Target:
    """Where the stack's lock is: its state bucket, the bucket's region and the lock's key."""

    stack: str
    bucket: str
    region: str

    @property
    def key(self) -> str:
        return STATE_KEY.format(stack=self.stack) + LOCK_SUFFIX

    @property
    def stack_dir(self) -> Path:
        return STACKS / self.stack

    def manual_command(self, lock: Lock) -> str:
        return f"terraform -chdir={self.stack_dir} force-unlock {lock.id}"


def target_from_env(env: Mapping[str, str]) -> Target:
    """The stack's lock from ``TERRAFORM_STATE_BUCKET``, ``TERRAFORM_STATE_BUCKET_REGION`` (else
    the primary region, as lib/config.py takes it) and ``ENVIRONMENT_SUFFIX`` (default dev)."""

    def get(key: str) -> str | None:
        return env.get(key, "").strip() or None

    bucket, region = get("TERRAFORM_STATE_BUCKET"), get("TERRAFORM_STATE_BUCKET_REGION")
    suffix = get("ENVIRONMENT_SUFFIX") or "dev"
    errors = [*suffix_errors(suffix), *state_bucket_errors(bucket, region)]
    if not bucket:
        errors.insert(0, "TERRAFORM_STATE_BUCKET is not set: a local state has no lock object to release")
    if errors:
        raise LockError("; ".join(errors))
    region = region or get("PRIMARY_REGION") or regions.DEFAULT_PRIMARY
    return Target(stack_id(suffix), bucket, region)


def this_holder() -> str:
    """user@hostname as Terraform's ``NewLockInfo`` forms it: ``user.Current().Username`` (the
    real user id's name, not $USER) and ``os.Hostname()`` (the kernel's host name)."""
    return f"{pwd.getpwuid(os.getuid()).pw_name}@{socket.gethostname()}"


def running_terraform(stack: str, proc: Path = Path("/proc")) -> list[int] | None:
    """The ids of processes here running ``terraform`` on ``stack`` (None: cannot tell, no /proc)."""
    if not proc.is_dir():
        return None
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if Path(argv[0].decode(errors="replace")).name == "terraform" and any(
            f"stacks/{stack}".encode() in arg for arg in argv[1:]
        ):
            found.append(int(entry.name))
    return sorted(found)


def read_lock(s3: Any, target: Target) -> Lock | None:
    where = f"s3://{target.bucket}/{target.key}"
    try:
        response = s3.get_object(Bucket=target.bucket, Key=target.key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise LockError(f"cannot read {where}: {error}") from None
    return Lock.parse(response["Body"].read(), response["ETag"], where)


def run_terraform(cmd: list[str]) -> tuple[int, str]:
    proc = subprocess.run(cmd, cwd=ROOT, env=clean_env(), capture_output=True, text=True, check=False)
    return proc.returncode, (proc.stdout + proc.stderr).strip()


@dataclass
class Releaser:
    """``release()``: the steps above, with the S3 client, Terraform, who this runner is and the
    terraform processes running here given (tests give fakes)."""

    target: Target
    s3: Any
    terraform: Callable[[list[str]], tuple[int, str]] = run_terraform
    holder: str = ""
    running: Callable[[str], list[int] | None] = running_terraform
    root: Path = ROOT

    def release(self) -> str:
        """What was done, in one line; ``LockError`` when the lock is ours and stays."""
        target = self.target
        lock = read_lock(self.s3, target)
        if lock is None:
            return f"no state lock on {target.stack} (s3://{target.bucket}/{target.key}): nothing to release"
        held = f"{lock.who} ({lock.operation}, since {lock.created}, Terraform {lock.version}, ID {lock.id})"
        if lock.who != self.holder:
            return (
                f"the state lock of {target.stack} is held by {held}, not by this runner ({self.holder}): "
                f"left alone. If that run is over, release it by hand: {target.manual_command(lock)}"
            )
        live = self.running(target.stack)
        if live is None or live:
            why = f"terraform still runs here (pid {', '.join(map(str, live))})" if live else "no /proc"
            return (
                f"the state lock of {target.stack} is this machine's, {held}, but {why}: left alone. "
                f"Once no terraform uses it, release it by hand: {target.manual_command(lock)}"
            )
        how = self._force_unlock(lock) or self._conditional_delete(lock)
        return f"released the state lock of {target.stack} this runner left: {held}, by {how}"

    def _force_unlock(self, lock: Lock) -> str | None:
        """``terraform force-unlock`` where the stack is synthesized and initialised (None: not
        possible here, or it failed; the conditional delete follows)."""
        stack_dir = self.root / self.target.stack_dir
        if not (stack_dir / "cdk.tf.json").is_file() or not (stack_dir / ".terraform").is_dir():
            return None
        code, output = self.terraform(["terraform", f"-chdir={stack_dir}", "force-unlock", "-force", lock.id])
        if code != 0:
            print(f"    terraform force-unlock exited {code}: {_last(output)}; deleting the object instead")
            return None
        after = read_lock(self.s3, self.target)
        if after is not None and after.id == lock.id:
            raise LockError(f"terraform force-unlock exited 0 but the lock {lock.id} is still there")
        return "terraform force-unlock"

    def _conditional_delete(self, lock: Lock) -> str:
        try:
            self.s3.delete_object(Bucket=self.target.bucket, Key=self.target.key, IfMatch=lock.etag)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("PreconditionFailed", "412", "NoSuchKey", "404"):
                # Another run released it, and may hold a new lock: not ours to touch.
                raise LockError(
                    f"the lock {lock.id} changed while being released ({code}): nothing deleted; "
                    "run this again to see who holds it now"
                ) from None
            raise LockError(f"cannot delete s3://{self.target.bucket}/{self.target.key}: {error}") from None
        return f"deleting s3://{self.target.bucket}/{self.target.key} if its ETag is still {lock.etag}"


def _last(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no output"


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None, s3: Any = None) -> int:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("release",))
    parser.parse_args(argv)
    try:
        target = target_from_env(os.environ if env is None else env)
        s3 = s3 or boto3.client("s3", region_name=target.region)
        print(Releaser(target, s3, holder=this_holder()).release(), flush=True)
    except (LockError, BotoCoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

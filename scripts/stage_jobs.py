"""A job of `make test` (scripts/make_stages.py) and what it can leave running.

``Job``: one command in its own lane, with its stage, what it waits for and whether it keeps
cores busy; once started, its process, log, times and status. What a job can leave behind: the
live processes of its process group (found in /proc) and the emulators it started under
``.local-aws`` (each by its pid file), stopped with ``emulator.sh stop``. Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Job:
    """One command in its own lane: its stage (a row of the table), what it waits for, whether it
    keeps cores busy (``cpu``) or mostly waits."""

    name: str
    stage: str
    cmd: list[str]
    after: tuple[str, ...] = ()
    cpu: bool = False
    env: dict[str, str] = field(default_factory=dict)
    # filled in as it runs
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    started: float | None = None
    ended: float | None = None
    status: int | None = None
    cpu_seconds: float = 0.0

    @property
    def wall(self) -> float:
        return (self.ended or time.monotonic()) - (self.started or time.monotonic())


def _stat(path: Path) -> list[str]:
    """A /proc/<pid>/stat's fields after the command name (state, ppid, pgrp, ...); [] if gone."""
    try:
        return path.read_text().rpartition(")")[2].split()
    except OSError:
        return []


def left_in_group(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group ``pgid``, from /proc."""
    left = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat(stat)
        if len(fields) > 2 and fields[0] != "Z" and fields[2] == str(pgid):
            left.append(int(stat.parent.name))
    return left


def _alive(pid: int) -> bool:
    """As emulator.sh's ``alive``: the process exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    fields = _stat(Path(f"/proc/{pid}/stat"))
    return not fields or fields[0] != "Z"  # no procfs: trust kill


def running_emulators(state_root: Path) -> dict[Path, str]:
    """The pid files under ``state_root`` whose emulator is alive now, with the pid each names."""
    running = {}
    for pid_file in emulator_pid_files(state_root):
        with contextlib.suppress(OSError, ValueError):
            pid = pid_file.read_text().strip()
            if _alive(int(pid)):
                running[pid_file] = pid
    return running


def signal_group(job: Job, signum: int) -> None:
    if job.proc is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(job.proc.pid, signum)


def emulator_pid_files(state_root: Path) -> list[Path]:
    return sorted(state_root.glob("**/moto.pid"))


def stop_emulators(state_root: Path, *, exclude: dict[Path, str] | None = None) -> list[str]:
    """Stop every emulator running from ``state_root/**`` (each by its own pid file: the lanes'
    emulators have state directories of their own) but those ``exclude`` names with the pid
    their file still holds (``running_emulators`` before the run); the directories stopped."""
    stopped = []
    for pid_file in emulator_pid_files(state_root):
        with contextlib.suppress(OSError):
            if exclude and exclude.get(pid_file) == pid_file.read_text().strip():
                continue
        env = {**os.environ, "EMULATOR_STATE_DIR": str(pid_file.parent)}
        done = subprocess.run(
            [str(ROOT / "local_aws" / "emulator.sh"), "stop"], env=env, capture_output=True, check=False
        )
        if done.returncode == 0:
            stopped.append(str(pid_file.parent))
    return stopped

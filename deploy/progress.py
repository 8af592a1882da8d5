"""Resource-level progress of a Terraform apply, destroy or import, read from its human output.

Terraform's output goes to a log file (deploy/terraform_runner.py); while an apply or destroy
runs, the runner follows that log (``Follower.poll``, every half second in its wait loop) and
prints one line per resource Terraform completes, and at most every ``WAIT_REPORT_SECONDS`` a
line on what is still in flight::

      [12/162] aws_s3_bucket.receipts created (3s)
      waiting: 3 in progress (aws_acm_certificate_validation.v 2m10s), 40 of 162 remaining

The lines parsed are the ones Terraform's UI hook prints (internal/command/views/hook_ui.go,
v1.11.4): ``<addr>: Creating...``, ``Modifying... [id=…]``, ``Destroying... [id=…]``,
``Importing... [id=…]``; ``<addr>: Still creating... [10s elapsed]`` (newer releases print
``[00m10s elapsed]``); ``<addr>: Creation complete after 3s [id=…]``, ``Modifications complete
after …``, ``Destruction complete after …``, ``Import complete [id=…]``; and the plan's
``Plan: [N to import, ]A to add, C to change, D to destroy.``, printed before the operations by
``apply -auto-approve`` and ``destroy -auto-approve``. A replacement is one add and one destroy
in that line and two completions here, so the count of operations is the line's sum.
Reads (``Reading...``, data sources) are not counted: the plan line does not count them.
"""

from __future__ import annotations

import codecs
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

WAIT_REPORT_SECONDS = 30.0
LONGEST_SHOWN = 2

START = {"Creating": "create", "Modifying": "modify", "Destroying": "destroy", "Importing": "import"}
STILL = {"creating": "create", "modifying": "modify", "destroying": "destroy"}
DONE = {
    "Creation complete": "created",
    "Modifications complete": "modified",
    "Destruction complete": "destroyed",
    "Import complete": "imported",
}
_START_RE = re.compile(rf"^(?P<addr>\S.*): (?P<op>{'|'.join(START)})\.\.\.(?: \[.*\])?$")
_STILL_RE = re.compile(
    rf"^(?P<addr>\S.*): Still (?P<op>{'|'.join(STILL)})\.\.\. \[(?:.*, )?(?P<elapsed>[\dhms]+) elapsed\]$"
)
_DONE_RE = re.compile(
    rf"^(?P<addr>\S.*): (?P<op>{'|'.join(DONE)})(?: after (?P<after>[\dhms.]+))?(?: \[.*\])?$"
)
_PLAN_RE = re.compile(r"^Plan: (?P<counts>\d+ to \w+(?:, \d+ to \w+)*)\.$")
_COUNTED = ("import", "add", "change", "destroy")  # "forget" removes from the state only: no line
_DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$")


@dataclass(frozen=True)
class Event:
    """One line of Terraform's that says something about a resource operation."""

    kind: str  # "start", "still", "done" or "error"
    address: str = ""
    action: str = ""  # start/still: create, modify, destroy, import; done: created, modified, …
    seconds: float | None = None  # still: elapsed; done: how long it took (None: not printed)
    text: str = ""  # error: the diagnostic's summary


def parse_duration(text: str) -> float | None:
    """Seconds in a Go duration as Terraform prints it (``3s``, ``1m10s``, ``00m10s``, ``1h0m0s``)."""
    match = _DURATION_RE.match(text)
    if not text or not match:
        return None
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def planned_operations(line: str) -> int | None:
    """How many operations an apply/destroy will carry out, from its ``Plan: …`` line."""
    match = _PLAN_RE.match(line.strip())
    if not match:
        return None
    counts = dict((what, int(n)) for n, what in re.findall(r"(\d+) to (\w+)", match["counts"]))
    return sum(counts.get(what, 0) for what in _COUNTED)


def parse_line(line: str) -> Event | None:
    """The event a line of Terraform's (``-no-color``) output reports, or None."""
    line = line.rstrip()
    if match := _START_RE.match(line):
        return Event("start", match["addr"], START[match["op"]])
    if match := _STILL_RE.match(line):
        return Event("still", match["addr"], STILL[match["op"]], parse_duration(match["elapsed"]))
    if match := _DONE_RE.match(line):
        after = parse_duration(match["after"]) if match["after"] else None
        return Event("done", match["addr"], DONE[match["op"]], after)
    if line.startswith("Error: "):
        return Event("error", text=line.removeprefix("Error: ").strip())
    return None


def format_duration(seconds: float) -> str:
    """``3s``, ``2m10s``, ``1h05m``: short, for a progress line."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


@dataclass
class Progress:
    """What an apply/destroy has done and has in flight, fed its output line by line with the
    time each line was read (``now``, monotonic seconds); returns the lines to print."""

    started: float
    total: int | None = None
    done: int = 0
    in_flight: dict[str, float] = field(default_factory=dict)  # address -> when it started
    last_report: float = field(init=False)

    def __post_init__(self) -> None:
        self.last_report = self.started

    def feed(self, line: str, now: float) -> list[str]:
        planned = planned_operations(line)
        if planned is not None:
            self.total = planned
            return []
        event = parse_line(line)
        if event is None:
            return []
        if event.kind == "start":
            self.in_flight[event.address] = now
        elif event.kind == "still" and event.seconds is not None:
            # Terraform's own clock: the start may have been read late (or before this follower).
            self.in_flight[event.address] = min(self.in_flight.get(event.address, now), now - event.seconds)
        elif event.kind == "done":
            began = self.in_flight.pop(event.address, None)
            self.done += 1
            took = (
                event.seconds if event.seconds is not None else (now - began if began is not None else None)
            )
            count = f"{self.done}/{self.total}" if self.total else str(self.done)
            return [
                f"  [{count}] {event.address} {event.action}"
                + (f" ({format_duration(took)})" if took is not None else "")
            ]
        elif event.kind == "error":
            return [f"  Error: {event.text}"]
        return []

    def waiting(self, now: float) -> str | None:
        """A line on what is in flight, at most every ``WAIT_REPORT_SECONDS`` (None: not due)."""
        if not self.in_flight or now - self.last_report < WAIT_REPORT_SECONDS:
            return None
        self.last_report = now
        longest = sorted(self.in_flight.items(), key=lambda item: item[1])[:LONGEST_SHOWN]
        shown = ", ".join(f"{address} {format_duration(now - began)}" for address, began in longest)
        line = f"  waiting: {len(self.in_flight)} in progress ({shown})"
        if self.total:
            line += f", {max(self.total - self.done, 0)} of {self.total} remaining"
        return line


@dataclass
class Follower:
    """Follows a log file Terraform is writing: ``poll()`` reads what was appended since, feeds
    every complete line to a ``Progress`` and prints what it returns to ``out``, flushed."""

    path: Path
    out: TextIO | None
    clock: Callable[[], float] = time.monotonic
    progress: Progress = field(init=False)
    offset: int = 0
    partial: str = ""
    decoder: codecs.IncrementalDecoder = field(init=False)

    def __post_init__(self) -> None:
        self.progress = Progress(started=self.clock())
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")  # a split character waits

    def poll(self) -> None:
        """Never raises: it runs inside the runner's wait for Terraform, which must not end while
        Terraform, in a process group of its own, still runs. A fault ends the progress only."""
        if self.out is None:
            return
        try:
            self._poll()
        except Exception as error:  # any fault: see the docstring
            self._print([f"  (progress stopped: {type(error).__name__}: {error}; the log has everything)"])
            self.out = None

    def _poll(self) -> None:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except OSError:
            return
        self.offset += len(chunk)
        text = self.partial + self.decoder.decode(chunk)
        *lines, self.partial = text.split("\n")
        now = self.clock()
        printed = [out for line in lines for out in self.progress.feed(line, now)]
        waiting = self.progress.waiting(now)
        printed += [waiting] if waiting else []
        self._print(printed)

    def finish(self) -> None:
        """The last lines, once the command has exited (a last line without its newline too)."""
        self.poll()
        if self.partial and self.out is not None:
            self.partial, last = "", self.partial
            self._print(self.progress.feed(last, self.clock()))

    def _print(self, lines: list[str]) -> None:
        """Print, flushed; an output gone (a closed pipe) ends the printing, never the run: the
        runner must go on waiting for Terraform, which runs in a process group of its own."""
        if not lines or self.out is None:
            return
        try:
            self.out.write("".join(f"{line}\n" for line in lines))
            self.out.flush()
        except (OSError, ValueError):
            self.out = None

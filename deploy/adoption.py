"""Adoption: what an apply left unfinished, or finds already in AWS, taken into the state.

The creates an interrupted or failed apply started and never finished are recorded beside the
logs; before the next apply, and for the resources the provider is slow to find already there
(``SLOW_CONFLICTS``), a plan proves which objects exist and import blocks adopt them (no
change). What to adopt is read from Terraform's logs and plans by deploy/orphans.py; the apply
that uses it is ``Runner.apply`` (deploy/terraform_runner.py), whose Runner this mixes into.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from deploy.orphans import adoption_document, import_blocks, missing_objects, unfinished_creates
from deploy.terraform_state import json_in

# Types whose "already exists" the hashicorp/aws provider does not report at once: it retries
# AddPermission's ResourceConflictException for its Lambda propagation timeout (5 minutes, the
# same on AWS), so a Lambda permission already in its function's policy but not in the state
# cost a repairing deploy five minutes before the adoption below could run.
SLOW_CONFLICTS = ("aws_lambda_permission",)


class Adoption:
    """The adoption steps of a ``Runner``: they use its ``stack``, ``logs``, ``stack_dir`` and
    ``terraform``."""

    if TYPE_CHECKING:
        stack: str
        logs: Path

        @property
        def stack_dir(self) -> Path: ...

        def terraform(
            self, name: str, *args: str, ok_codes: tuple[int, ...] = (0,), finish_first: bool = False
        ) -> tuple[int, str]: ...

    @property
    def unfinished_record(self) -> Path:
        """Creates an apply left unfinished, kept until a later apply adopts or makes them."""
        return self.logs.parent / f"unfinished-creates.{self.stack}.json"

    @property
    def adopt_file(self) -> Path:
        return self.stack_dir / "adopt-unfinished.tf.json"

    def state_addresses(self) -> set[str]:
        returncode, output = self.terraform("state-list.log", "state", "list", ok_codes=(0, 1))
        return set(output.split()) if returncode == 0 else set()

    def _recorded(self) -> list[str]:
        try:
            recorded = json.loads(self.unfinished_record.read_text())
        except (OSError, ValueError):
            return []
        return [a for a in recorded if isinstance(a, str)] if isinstance(recorded, list) else []

    def _not_in_state(self, addresses: Iterable[str]) -> list[str]:
        """``addresses`` (deduplicated, in order) that the state does not hold; when none is
        left, the record of unfinished creates has nothing more to say and is removed."""
        candidates = list(dict.fromkeys(addresses))
        in_state = self.state_addresses() if candidates else set()
        pending = [a for a in candidates if a not in in_state]
        if not pending:
            self.unfinished_record.unlink(missing_ok=True)
        return pending

    def record_unfinished(self, also: Iterable[str] = ()) -> None:
        """After a failed or interrupted apply: the creates it left unfinished that are not in
        the state (with those still recorded from before), for the next apply to adopt."""
        log_file = self.logs / "apply.log"
        log = log_file.read_text(errors="replace") if log_file.exists() else ""
        pending = self._not_in_state([*self._recorded(), *unfinished_creates(log), *also])
        if not pending:
            return
        self.unfinished_record.parent.mkdir(parents=True, exist_ok=True)
        self.unfinished_record.write_text(json.dumps(pending, indent=2) + "\n")
        print(
            f"    {len(pending)} create(s) did not finish and are not in the state; if AWS completed "
            f"them, the next deploy adopts them: {', '.join(pending)}",
            file=sys.stderr,
            flush=True,
        )

    def slow_conflicts(self) -> list[str]:
        """The resources of ``SLOW_CONFLICTS`` types that a deployed state lacks: the apply would
        wait minutes to learn that one is already in AWS, a plan with an import block tells now
        (none on a first deploy, and none when the state has them all: no extra plan then)."""
        stack = self.stack_dir / "cdk.tf.json"
        in_state = self.state_addresses() if stack.exists() else set()
        if not in_state:
            return []
        resources = json.loads(stack.read_text()).get("resource", {})
        wanted = [f"{kind}.{name}" for kind in SLOW_CONFLICTS for name in resources.get(kind, {})]
        return [address for address in wanted if address not in in_state]

    def adopt_unfinished(self, also: Iterable[str] = ()) -> list[str]:
        """Import blocks for the recorded creates AWS completed, and for ``also`` (a plan proves
        each object exists); returns the adopted addresses. The blocks live in ``adopt_file``
        for the apply."""
        pending = self._not_in_state([*self._recorded(), *also])
        if not pending:
            return []
        print(f"    looking for what an earlier apply left unfinished: {', '.join(pending)}", flush=True)
        plan_file = "adopt.tfplan"
        try:
            self.terraform("adopt-plan.log", "plan", f"-out={plan_file}", "-lock-timeout=60s")
            _, shown = self.terraform("adopt-show.log", "show", "-json", plan_file)
        finally:
            (self.stack_dir / plan_file).unlink(missing_ok=True)
        config = json.loads((self.stack_dir / "cdk.tf.json").read_text())
        blocks, others = import_blocks(json_in(shown), pending, config)
        if others:
            print(
                f"    cannot be found by name (if AWS created them, they are duplicates; the leftover "
                f"check after a destroy lists them): {', '.join(others)}",
                file=sys.stderr,
                flush=True,
            )
        for _ in range(len(blocks)):
            if not blocks:
                break
            self.adopt_file.write_text(json.dumps(adoption_document(blocks), indent=2) + "\n")
            returncode, output = self.terraform(
                "adopt-check.log", "plan", "-lock-timeout=60s", ok_codes=(0, 1)
            )
            if returncode == 0:
                break
            missing = missing_objects(output, blocks)
            if not missing:  # another problem: the apply will show it
                blocks = []
                break
            blocks = [b for b in blocks if b["to"] not in missing]  # never created: the apply will
        if not blocks:
            self.adopt_file.unlink(missing_ok=True)
            return []
        adopted = [b["to"] for b in blocks]
        print(f"    adopting {len(adopted)} (import, no change): {', '.join(adopted)}", flush=True)
        return adopted

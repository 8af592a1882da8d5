"""dr/restore.py's report, typed: ``cfn-outputs/restore-report.json`` and the table printed with it.

The JSON: the restore (``restore_to``, ``region_role``, ``region``, ``table``, ``restored_table``,
``source_table_arn``, ``made_at``), ``counts`` (unchanged, repair, kept, review, receipts to
restore and to review), ``payments`` (every payment that is not unchanged: kind, why, the
attributes that changed, the item at T and the item as seen), ``receipts`` (each receipt to
restore or review) and, once ``--repair`` ran, ``repair`` (when, and the outcome per payment and
per receipt). The items are DynamoDB's own JSON (``{"amount": {"N": "10.5"}}``): the repair
writes them back exactly, and its conditions compare with exactly what was seen. The report holds
payment data (customers, amounts): keep it where the table's data may be.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dr.restore_compare import KEPT, REPAIR, REVIEW, Entry
from dr.restore_receipts import RESTORE, ReceiptPlan

GOOD_OUTCOMES = frozenset({"repaired", "already", "restored"})
SHOWN = 40  # payments listed in the table; the JSON has them all
SCALARS = ("restore_to", "region_role", "region", "table", "restored_table", "source_table_arn", "made_at")


class ReportError(ValueError):
    """Not a restore report, or not the one asked for: the message is one line."""


@dataclass(frozen=True)
class RestoreReport:
    restore_to: str
    region_role: str
    region: str
    table: str
    restored_table: str
    source_table_arn: str
    made_at: str
    unchanged: int
    payments: list[Entry] = field(default_factory=list)
    receipts: list[ReceiptPlan] = field(default_factory=list)
    repaired_at: str | None = None
    outcomes: dict[str, str] = field(default_factory=dict)  # payment id -> repaired/already/conflict
    receipt_outcomes: dict[str, str] = field(default_factory=dict)  # payment id -> restored/already/...

    def of_kind(self, kind: str) -> list[Entry]:
        return [entry for entry in self.payments if entry.kind == kind]

    def receipts_to(self, state: str) -> list[ReceiptPlan]:
        return [receipt for receipt in self.receipts if receipt.state == state]

    def counts(self) -> dict[str, int]:
        return {
            "unchanged": self.unchanged,
            REPAIR: len(self.of_kind(REPAIR)),
            KEPT: len(self.of_kind(KEPT)),
            REVIEW: len(self.of_kind(REVIEW)),
            "receipts_to_restore": len(self.receipts_to(RESTORE)),
            "receipts_to_review": len(self.receipts) - len(self.receipts_to(RESTORE)),
        }

    def needs_repair(self) -> bool:
        return bool(self.of_kind(REPAIR) or self.receipts_to(RESTORE))

    def left_for_a_human(self) -> list[str]:
        """What neither the dry run nor the repair can settle, one line each."""
        lines = [f"payment {e.payment_id}: {e.why}" for e in self.of_kind(REVIEW)]
        lines += [f"receipt {r.key}: {r.why}" for r in self.receipts if r.state != RESTORE]
        lines += [
            f"payment {pid}: {outcome} (it changed after the report: run the dry run again)"
            for pid, outcome in sorted(self.outcomes.items())
            if outcome not in GOOD_OUTCOMES
        ]
        lines += [
            f"receipt of {pid}: {outcome}"
            for pid, outcome in sorted(self.receipt_outcomes.items())
            if outcome not in GOOD_OUTCOMES
        ]
        return lines

    def with_repair(self, at: str, outcomes: dict[str, str], receipts: dict[str, str]) -> RestoreReport:
        return replace(self, repaired_at=at, outcomes=outcomes, receipt_outcomes=receipts)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: getattr(self, name) for name in SCALARS}
        data["counts"] = self.counts()
        data["payments"] = [entry.to_json() for entry in self.payments]
        data["receipts"] = [receipt.to_json() for receipt in self.receipts]
        if self.repaired_at is not None:
            data["repair"] = {
                "made_at": self.repaired_at,
                "payments": self.outcomes,
                "receipts": self.receipt_outcomes,
            }
        return data

    @classmethod
    def from_json(cls, data: Any) -> RestoreReport:
        try:
            repair = data.get("repair") or {}
            return cls(
                **{name: data[name] for name in SCALARS},
                unchanged=int(data["counts"]["unchanged"]),
                payments=[Entry.from_json(entry) for entry in data["payments"]],
                receipts=[ReceiptPlan.from_json(receipt) for receipt in data["receipts"]],
                repaired_at=repair.get("made_at"),
                outcomes=dict(repair.get("payments", {})),
                receipt_outcomes=dict(repair.get("receipts", {})),
            )
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise ReportError(f"not a restore report ({type(error).__name__}: {error})") from None

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n")


def load(path: Path) -> RestoreReport:
    """The report at ``path``; a one-line ``ReportError`` when it is missing or not one."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ReportError(f"{path} not found: run the dry run (without --repair) first") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ReportError(f"{path}: not a readable JSON file ({type(error).__name__}: {error})") from None
    try:
        return RestoreReport.from_json(data)
    except ReportError as error:
        raise ReportError(f"{path}: {error}") from None


def render(report: RestoreReport) -> str:
    """The report as a table: the counts, then each payment to repair or review (and its outcome)."""
    counts = report.counts()
    lines = [
        f"Restore of {report.table} to {report.restore_to} in {report.region} ({report.region_role}): "
        f"{report.restored_table}",
        f"  {'unchanged since T':<28}{counts['unchanged']:>6}",
        f"  {'repair (the fault changed)':<28}{counts[REPAIR]:>6}",
        f"  {'kept (the API, after T)':<28}{counts[KEPT]:>6}",
        f"  {'review (not the API)':<28}{counts[REVIEW]:>6}",
        f"  {'receipts to restore':<28}{counts['receipts_to_restore']:>6}",
        f"  {'receipts to review':<28}{counts['receipts_to_review']:>6}",
    ]
    listed = [entry for entry in report.payments if entry.kind != KEPT]
    if listed:
        lines.append(f"  {'payment':<40} {'kind':<7} {'outcome':<10} why")
    for entry in listed[:SHOWN]:
        outcome = report.outcomes.get(entry.payment_id, "-")
        lines.append(f"  {entry.payment_id:<40} {entry.kind:<7} {outcome:<10} {entry.why}")
    if len(listed) > SHOWN:
        lines.append(f"  ... {len(listed) - SHOWN} more in the report")
    return "\n".join(lines)

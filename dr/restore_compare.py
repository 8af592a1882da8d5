"""The compare half of dr/restore.py: the table restored to T next to the live table of the same
region, payment by payment, and which payments a repair puts back.

What is legitimate and what is the fault's follows from what the API does (lib/lambda/handler.py,
contract.json): a payment is created once, by ``POST /payments``, with a conditional write that
never overwrites one (``attribute_not_exists(payment_id)``; a retry with the same id writes
nothing), and no route changes or deletes a payment. Every item the handler writes carries its
write stamp (``written_by``: the function's name and the request id; ``written_at``) and the
``request_fingerprint`` of the fields it was created with. So, with T just before the fault:

- **unchanged**: at T and now the same item (counted, not listed);
- **repair** (the fault's): a payment that existed at T and is now different (``changed``) or
  gone (``deleted``). The API cannot have done either, so the repair puts its T value back;
- **kept** (legitimate): a payment created after T by the API: not in the restored table, and
  stamped by one of this deployment's functions with a fingerprint that matches its fields;
- **review** (the fault's, for a human): a payment created after T without that stamp, stamped
  by another function, or whose amount, currency, customer or description no longer match the
  fingerprint it was created with. The tool never deletes live data: it lists these.

The operator supplies T and nothing else. Limits: a writer that forges the stamp and the
fingerprint (both are plain attributes anyone with ``dynamodb:PutItem`` can write) passes as the
API; a payment the fault changed that was created between T and the fault has no T value and is
found only if its fingerprint no longer matches (a changed ``status``, ``created_at`` or
``region`` is not covered by the fingerprint); anything the API wrote before T and the fault
changed before T is outside what a restore to T can see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from lib.api_contract import CONTRACT

STAMP = CONTRACT["write_stamp"]
KEY = "payment_id"
REPAIR, KEPT, REVIEW = "repair", "kept", "review"
Raw = dict[str, Any]  # an item as DynamoDB's low-level API answers it: {"amount": {"N": "1.00"}, ...}


@dataclass(frozen=True)
class Entry:
    """One payment that is not unchanged: what it is, why, and the two items compared."""

    payment_id: str
    kind: str  # REPAIR, KEPT or REVIEW
    why: str
    restored: Raw | None  # the item at T (None: it did not exist then)
    seen: Raw | None  # the live item as compared (None: gone)
    changed: tuple[str, ...] = ()  # the attributes that differ, for a changed payment

    def to_json(self) -> dict[str, Any]:
        return {
            "payment_id": self.payment_id,
            "kind": self.kind,
            "why": self.why,
            "changed": list(self.changed),
            "restored": self.restored,
            "seen": self.seen,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        return cls(
            data["payment_id"],
            data["kind"],
            data["why"],
            data.get("restored"),
            data.get("seen"),
            tuple(data.get("changed", ())),
        )


@dataclass(frozen=True)
class Comparison:
    unchanged: int
    entries: list[Entry] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Entry]:
        return [entry for entry in self.entries if entry.kind == kind]


class StampCheck:
    """Whether a live item carries the API's stamp: written by one of ``functions`` (this
    deployment's, from its outputs), and its fingerprint is the handler's for its fields."""

    def __init__(self, handler: ModuleType, functions: Iterable[str]) -> None:
        self.handler, self.functions = handler, frozenset(functions)

    def problem(self, raw: Raw) -> str | None:
        """None for an item the API wrote; else why it is not one (one line)."""
        item = {name: self.handler._DESERIALIZER.deserialize(value) for name, value in raw.items()}
        by, at = item.get(STAMP["by"]), item.get(STAMP["at"])
        if not isinstance(by, str) or not isinstance(at, str):
            return f"created after T without the API's write stamp ({STAMP['by']}, {STAMP['at']})"
        function_name, _, request_id = by.partition("/")
        if function_name not in self.functions or not request_id:
            return f"created after T, stamped {by!r}: not a request to a function of this deployment"
        if item.get("request_fingerprint") != self._fingerprint(item):
            return "created after T by the API, then changed: its fields no longer match its fingerprint"
        return None

    def _fingerprint(self, item: dict[str, Any]) -> str | None:
        """The handler's fingerprint of the request fields the item holds (the amount as the
        handler validated it: quantized to cents), None when they cannot be read back."""
        handler = self.handler
        payment = {name: item[name] for name in handler.ALLOWED_FIELDS if name in item}
        amount, cent = payment.get("amount"), handler.CENT
        if not isinstance(amount, type(cent)):
            return None  # no amount, or not a number: not what the handler wrote
        try:
            payment["amount"] = amount.quantize(cent)
        except ArithmeticError:  # more digits than a Decimal context holds
            return None
        return handler._fingerprint(payment)


def scan(dynamodb: Any, table: str) -> dict[str, Raw]:
    """Every item of ``table`` (strongly consistent), by payment id."""
    items: dict[str, Raw] = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for raw in page.get("Items", []):
            items[raw[KEY]["S"]] = raw
    return items


def classify(restored: dict[str, Raw], live: dict[str, Raw], stamps: StampCheck) -> Comparison:
    """Each payment of either table, as the module docstring defines the kinds (sorted by id)."""
    unchanged, entries = 0, []
    for payment_id in sorted(set(restored) | set(live)):
        then, now = restored.get(payment_id), live.get(payment_id)
        if then is not None and then == now:
            unchanged += 1
        elif then is not None and now is None:
            entries.append(Entry(payment_id, REPAIR, "deleted after T", then, None))
        elif then is not None and now is not None:
            changed = tuple(sorted(name for name in set(then) | set(now) if then.get(name) != now.get(name)))
            why = f"changed after T ({', '.join(changed)}): the API never changes a payment"
            entries.append(Entry(payment_id, REPAIR, why, then, now, changed))
        elif now is not None:
            problem = stamps.problem(now)
            if problem is None:
                entries.append(Entry(payment_id, KEPT, "created after T by the API", None, now))
            else:
                entries.append(Entry(payment_id, REVIEW, problem, None, now))
    return Comparison(unchanged, entries)

"""The repair half of dr/restore.py: each payment the report marked ``repair`` written back to its
value at T in the surviving region, only if it is still what the report saw.

"A condition that must be satisfied in order for a conditional PutItem operation to succeed"
(``ConditionExpression``, https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html):

- a payment the report saw deleted is put back with ``attribute_not_exists(payment_id)``: a
  payment created with that id since (a client's retry) is not overwritten;
- a payment the report saw changed is put back only while every attribute it had then still
  holds the value the report saw (``#a = :v`` for each; ``attribute_exists`` for a value that
  cannot be compared with ``=``): a write that arrived after the report is not overwritten.

"Use ReturnValuesOnConditionCheckFailure to get the item attributes if the ... condition fails"
(``ALL_OLD``, same page): a refusal whose current item is already the T value is a payment an
earlier run repaired (``already``: a re-run, or a run resumed after an interruption, writes
nothing new); any other refusal is a ``conflict``, left alone for a human. Never a delete.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from dr.restore_compare import KEY, Entry

COMPARABLE = frozenset({"S", "N", "B", "BOOL"})  # types ``=`` compares in a condition


def condition(seen: dict[str, Any] | None) -> dict[str, Any]:
    """The PutItem arguments that make the write conditional on the item as the report saw it."""
    if seen is None:
        return {"ConditionExpression": "attribute_not_exists(#k)", "ExpressionAttributeNames": {"#k": KEY}}
    terms, names, values = [], {}, {}
    for n, (name, value) in enumerate(sorted(seen.items())):
        names[f"#a{n}"] = name
        if set(value) <= COMPARABLE:
            terms.append(f"#a{n} = :v{n}")
            values[f":v{n}"] = value
        else:
            terms.append(f"attribute_exists(#a{n})")
    arguments = {"ConditionExpression": " AND ".join(terms), "ExpressionAttributeNames": names}
    if values:
        arguments["ExpressionAttributeValues"] = values
    return arguments


def repair(dynamodb: Any, table: str, entry: Entry) -> str:
    """Write ``entry``'s T value back: ``repaired``, ``already`` or ``conflict``."""
    try:
        dynamodb.put_item(
            TableName=table,
            Item=entry.restored,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
            **condition(entry.seen),
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return "already" if error.response.get("Item") == entry.restored else "conflict"
    return "repaired"

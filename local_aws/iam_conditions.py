"""IAM condition blocks on the side that grants: a resource policy's Allow statement applies only
when every condition holds ("If you specify multiple condition operators, or multiple keys in a
single condition operator, the conditions are evaluated using a logical AND", and a key absent
from the request makes a condition false, except with ...IfExists:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition-logic-multiple-context-keys-or-values.html).
Only the string and ARN operators are evaluated; any other operator (or a key the caller does not
know) never holds, so an Allow it guards grants nothing: stricter than AWS, never more lenient.
Used by the Route 53 query-log policy check and API Gateway's invoke permission."""

from __future__ import annotations

import fnmatch
from typing import Any

OPERATORS = frozenset({"StringEquals", "StringLike", "ArnEquals", "ArnLike"})


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def matches(pattern: str, value: str, *, wildcards: bool) -> bool:
    return fnmatch.fnmatchcase(value, pattern) if wildcards else value == pattern


def conditions_hold(condition: dict[str, Any], context: dict[str, str]) -> bool:
    """Every operator and key of ``condition`` holds for ``context`` (lower-case keys)."""
    for operator, block in condition.items():
        if operator not in OPERATORS:
            return False
        for key, expected in block.items():
            actual = context.get(key.lower())
            wildcards = operator.endswith("Like")
            if actual is None or not any(
                matches(str(e), actual, wildcards=wildcards) for e in as_list(expected)
            ):
                return False
    return True

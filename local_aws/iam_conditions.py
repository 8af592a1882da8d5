"""IAM condition operators and the wildcard and three-valued logic policies are read with: the
half of the project's IAM evaluator (local_aws/iam_policy.py, whose docstring cites the pages)
that compares one condition key of a request with a policy's values, as "Condition operators"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)
and the single- vs multivalued context keys page
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html)
define them.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from local_aws.iam_policy import Request

Tri = bool | None  # True, False, or None: unknown here (read against the caller)


def _all(results: Iterable[Tri]) -> Tri:
    found = list(results)
    return False if False in found else (None if None in found else True)


def _any(results: Iterable[Tri]) -> Tri:
    found = list(results)
    return True if True in found else (None if None in found else False)


def _not(result: Tri) -> Tri:
    return None if result is None else not result


@functools.lru_cache(maxsize=4096)
def _regex(pattern: str, mode: str) -> re.Pattern[str]:
    """``*`` and ``?`` as IAM reads them. ``any``: anywhere (``action``: also ignoring case);
    ``segment``: within a colon-delimited segment, except a ``*`` that ends one."""
    parts = []
    for index, char in enumerate(pattern):
        if char == "*":
            ends = index + 1 == len(pattern) or pattern[index + 1] == ":"
            parts.append(".*" if mode != "segment" or ends else "[^:]*")
        elif char == "?":
            parts.append("[^:]" if mode == "segment" else ".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if mode == "action" else 0))


def _glob(pattern: str, value: str, mode: str = "any") -> bool:
    return _regex(pattern, mode).fullmatch(value) is not None


def _arn(pattern: str, value: str) -> bool:
    """ArnEquals/ArnLike: component by component ("With an ArnLike condition, which matches
    elements between colons, the match fails" where StringLike's would succeed)."""
    patterns, values = pattern.split(":", 5), value.split(":", 5)
    return len(patterns) == len(values) and all(map(_glob, patterns, values))


def _ip(pattern: str, value: str) -> Tri:
    """IpAddress: ``value`` inside the CIDR ``pattern`` (an address alone is one address); a pattern
    or value that is no IP address: undecided."""
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return None


_MATCHERS = {
    "Ip": _ip,
    "String": lambda p, v: p == v,
    "StringIgnoreCase": lambda p, v: p.casefold() == v.casefold(),
    "StringLike": _glob,
    "Arn": _arn,
    "Bool": lambda p, v: p.lower() == v.lower(),
}
# operator: (matcher, negated)
OPERATORS: dict[str, tuple[str, bool]] = {
    "StringEquals": ("String", False),
    "StringNotEquals": ("String", True),
    "StringEqualsIgnoreCase": ("StringIgnoreCase", False),
    "StringNotEqualsIgnoreCase": ("StringIgnoreCase", True),
    "StringLike": ("StringLike", False),
    "StringNotLike": ("StringLike", True),
    "ArnEquals": ("Arn", False),
    "ArnLike": ("Arn", False),
    "ArnNotEquals": ("Arn", True),
    "ArnNotLike": ("Arn", True),
    "Bool": ("Bool", False),
    "IpAddress": ("Ip", False),
    "NotIpAddress": ("Ip", True),
}


def condition(operator: str, key: str, values: tuple[str, ...], request: Request) -> Tri:
    """One key of one operator: True, False, or None when the emulator cannot tell."""
    qualifier, _, operator = operator.rpartition(":")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if not _known(qualifier, base, if_exists):
        return None
    value = request.context.get(key.lower())
    if value is None and (not request.complete or key.lower() in request.unknown_keys):
        return None  # a key this caller does not model
    if base == "Null":  # "missing context keys or context keys with empty values" are null
        return _any((v.lower() == "true") == (value is None or value == ()) for v in values)
    matcher, negated = OPERATORS[base]
    if qualifier:  # the request's values as a set: none if the key is absent, one if a string
        members = () if value is None else (value,) if isinstance(value, str) else value
        results = (_matches(matcher, negated, values, member) for member in members)
        return _all(results) if qualifier == "ForAllValues" else _any(results)
    if value is None:
        return True if if_exists else negated
    # "Multivalued context keys require a condition set operator": without one, unsaid.
    return _matches(matcher, negated, values, value) if isinstance(value, str) else None


def _known(qualifier: str, base: str, if_exists: bool) -> bool:
    """Whether the operator is one this module evaluates. The set operators, as
    reference_policies_condition-single-vs-multi-valued-context-keys.html words them:
    ForAllValues "tests whether the value of every member of the request context matches the
    condition operator that follows the qualifier" and "It also returns true if there are no
    context keys in the request." (a negated operator applies to each member: the multivalued
    examples page's ForAllValues:StringNotLike table); ForAnyValue "returns true if any one of the
    context key values in the request matches any one of the context key values in the policy.
    For no matching context key or if the key does not exist, the condition returns false." An
    empty list is "an empty data set": ForAllValues true, ForAnyValue false
    (reference_policies_multi-value-conditions.html). Unsaid, so unknown: another qualifier, a
    qualifier with ``...IfExists`` or ``Null``, and ForAnyValue with a negated operator."""
    if base == "Null":
        return not (if_exists or qualifier)
    if base not in OPERATORS:
        return False
    if not qualifier:
        return True
    return not if_exists and (
        qualifier == "ForAllValues" or (qualifier == "ForAnyValue" and not OPERATORS[base][1])
    )


def _matches(matcher: str, negated: bool, values: tuple[str, ...], value: str) -> Tri:
    """One request value against the policy's values: ORed, NORed for a negated operator."""
    matched = _any(None if "${" in v else _MATCHERS[matcher](v, value) for v in values)
    return _not(matched) if negated else matched

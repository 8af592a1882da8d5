"""The emulator's one IAM policy evaluator: may this request be made, under these policies?

Every policy the emulator enforces goes through ``evaluate(documents, Request(...))``: a function
role's identity policies (patches/iam_function_credentials.py), an S3 bucket policy
(patches/s3_bucket_policy_conditions.py), the CloudWatch Logs resource policies Route 53 query
logging needs (patches/route53_query_log_policy.py) and a Lambda function's resource policy when
API Gateway invokes it (dataplane/apigateway_integration.py). Each caller builds the request it
knows: the action, the resource ARN, the principal (a service, or None), and the request context.

Why not moto's evaluator. moto 5.2.5 ships one (moto/iam/access_control.py: ``IAMPolicy``,
``IAMPolicyStatement``, ``PermissionResult``); S3 bucket policies go through it
(``FakeBucket.get_permission``). Its module docstring says what it is: "This implementation is NOT
complete" and "TODO add support for the Resource and Condition parts of IAM policies", "TODO add
support for resource-based policies". Read against the IAM User Guide:

- ``_match`` is ``pattern.replace("*", ".*")`` then ``re.match``: nothing else is escaped, so
  ``arn:aws:s3:::a.b/*`` matches bucket ``axb`` and ``?`` is a regex quantifier, not "any single
  character"; and it is case-sensitive, so ``S3:GetObject`` does not match ``s3:GetObject``.
- ``NotResource`` is not read: ``# For trust policies, which doesn't contain resource segments``
  ``if not self._statement.get("Resource"): return PermissionResult.PERMITTED`` makes a statement
  with ``NotResource`` (a Deny included) an Allow of everything.
- Conditions (moto/iam/policy_conditions.py): only ``StringEquals`` is known, and ``# If the
  evaluation operation is not supported, ignore condition evaluation`` makes any other operator
  hold (in an Allow too); a key absent from the request is skipped, so the condition holds; a
  condition that fails in an Allow returns ``PermissionResult.DENIED``, an explicit deny.
- ``is_unknown_principal``: "For now, Moto only verifies principal == *"; any other string
  principal makes the statement neutral.

So none of it decides for us. What is kept from moto is its ``PermissionResult`` (PERMITTED, DENIED,
NEUTRAL: allowed, explicitly denied, implicitly denied), the answer ``evaluate`` gives and the one
moto's S3 compares against. The maintained PyPI libraries evaluate no request either:
policyuniverse 1.5.1 (last release 2023-11) parses statements and expands actions against its
bundled list; parliament 1.6.4 audits policies (its ``is_glob_match`` compares two globs, ``*``
only); policy-sentry 0.15.2 writes least-privilege policies; iam-ape 1.1.6 (GPL-3.0) summarises an
entity's effective permissions with the conditions carried along, unevaluated. None takes one
request with its context and answers allow or deny, so this module is the last resort.

The rules, each as the IAM User Guide words it (its pages under
https://docs.aws.amazon.com/IAM/latest/UserGuide/, named after each quote):

- "An explicit deny in any of the policies overrides the allow." and "An implicit denial occurs
  when there is no applicable Deny statement but also no applicable Allow statement."
  (reference_policies_evaluation-logic_policy-eval-basics.html, ..._AccessPolicyLanguage_Interplay.html)
- Action: "The prefix and the action name are case insensitive." with "multi-character match
  wildcards (*) and single-character match wildcards (?)" (reference_policies_elements_action.html).
  ``NotAction`` "explicitly matches everything except the specified list of actions"
  (reference_policies_elements_notaction.html); ``NotResource`` likewise.
- Resource: "You can use wildcard characters (* and ?) within the individual segments of an ARN
  (the parts separated by colons)" and "If the * wildcard is the last character of a resource ARN
  segment, it can expand to match beyond the colon boundaries." (reference_policies_elements_resource.html);
  matched case-sensitively ("In the Resource element, the IAM user name is case sensitive").
- Conditions (reference_policies_condition-logic-multiple-context-keys-or-values.html): "If your
  policy statement has multiple condition operators, the condition operators are evaluated using a
  logical AND.", "If your policy statement has multiple context keys attached to a single condition
  operator, the context keys are evaluated using a logical AND.", "If a single condition operator
  includes multiple values for a context key, those values are evaluated using a logical OR.", "If a
  single negated matching condition operator includes multiple values for a context key, those
  values are evaluated using a logical NOR." "Context key names are not case-sensitive."
  (reference_policies_elements_condition.html).
- A missing key (reference_policies_elements_condition_operators.html): "If the key that you
  specify in a policy condition is not present in the request context, the values do not match and
  the condition is false. If the policy condition requires that the key is not matched, such as
  StringNotLike or ArnNotLike, and the right key is not present, the condition is true."; with
  ``...IfExists``: "If the key is not present, evaluate the condition element as true."; ``Null``
  tests the key's absence. Operators: ``StringEquals``/``StringNotEquals`` ("Exact matching, case
  sensitive"), their ``IgnoreCase`` forms, ``StringLike``/``StringNotLike`` (``*`` and ``?``
  "anywhere in the string"), ``Bool``, and ``ArnEquals``/``ArnLike`` ("Each of the six
  colon-delimited components of the ARN is checked separately and each can include multi-character
  match wildcards (*) or single-character match wildcards (?). The ArnEquals and ArnLike condition
  operators behave identically.") with their negations; ``IpAddress``/``NotIpAddress`` ("The
  specified IP address or range" / "All IP addresses except the specified IP address or range";
  "The value must be in the standard CIDR format (for example, 203.0.113.0/24 or
  2001:DB8:1234:5678::/64). If you specify an IP address without the associated routing prefix, IAM
  uses the default prefix value of /32."). A value that is no IP address or range is undecided.
- Principals (reference_policies_elements_principal.html): a caller whose every name the emulator
  knows gives them in ``Request.principal_names`` (an IAM user's ARN; a role session's ARN and its
  role's ARN; the account's root where the caller wants an account principal to count); a
  statement's ``AWS`` principal then matches exactly when it names one of them (an account id is
  its root), and ``"*"`` or ``{"AWS": "*"}`` matches every caller.
- Set operators (reference_policies_condition-single-vs-multi-valued-context-keys.html), over a
  multivalued key given in ``Request.context`` as a list (a string is a set of one):
  ``ForAllValues:`` "tests whether the value of every member of the request context matches the
  condition operator that follows the qualifier" and "It also returns true if there are no context
  keys in the request." (the page warns: "Use caution if you use ForAllValues with an Allow effect");
  ``ForAnyValue:`` is true "if any one of the context key values in the request matches any one of
  the context key values in the policy. For no matching context key or if the key does not exist,
  the condition returns false." An empty list: "a condition operator modified by ForAllValues
  returns true, and a condition operator modified by ForAnyValue returns false"
  (reference_policies_multi-value-conditions.html); ``Null`` reads it as null ("context keys with
  empty values", reference_policies_condition_examples-multi-valued-context-keys.html, whose
  ``ForAllValues:StringNotLike`` table applies a negated operator to each member).

Stricter than AWS, never more lenient: whatever the emulator cannot decide is read against the
caller. An undecidable part makes a statement "unknown"; an unknown Allow grants nothing and an
unknown Deny denies. Unknown are: an operator not listed above (numeric, date, binary; and
where the pages are silent: ``ForAnyValue:`` with a negated operator, a set operator with
``...IfExists`` or ``Null``, a plain operator on a key given several values: "Multivalued context
keys require a condition set operator."), a policy variable (``${...}``; a multivalued key is
never one: "you cannot use a multivalued context key as a policy variable"), a context key the
caller does not model (``Request.complete`` False: keys outside ``context`` are unknown rather than
absent), ``NotPrincipal``, a principal the request cannot be compared with, a statement without
``Action``/``NotAction`` or ``Resource``/``NotResource``, and a Resource wildcard whose two readings
differ (a ``*`` or ``?`` inside a segment where the resource has a colon: the page says a ``*``
that ends a segment "can" cross colons, and leaves the others unsaid).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.iam.access_control import PermissionResult

from local_aws.iam_conditions import Tri, _all, _any, _glob, _not
from local_aws.iam_conditions import condition as _condition

__all__ = ["PermissionResult", "Request", "Statement", "evaluate", "statements"]


@dataclass(frozen=True)
class Request:
    """One request as a policy sees it. ``context`` maps condition keys (any case) to values, a
    list for a multivalued key (``aws:TagKeys``: ``[]`` when the request has none); with
    ``complete`` a key outside it is absent from the request, else it is unknown here.
    ``principal`` is ``(kind, name)`` such as ``("Service", "apigateway.amazonaws.com")``, or
    None for an identity-based policy's own principal or a caller the emulator does not know."""

    action: str
    resource: str
    context: Mapping[str, str | Iterable[str]] = field(default_factory=dict)
    complete: bool = False
    principal: tuple[str, str] | None = None
    # Every name of an ("AWS", ...) principal (the module docstring's Principals); None: unknown.
    principal_names: tuple[str, ...] | None = None
    # Keys AWS always has but this caller cannot tell, even with ``complete`` (any case): unknown.
    unknown_keys: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "context", {k.lower(): _context_value(v) for k, v in self.context.items()})
        object.__setattr__(self, "unknown_keys", frozenset(k.lower() for k in self.unknown_keys))


def _context_value(value: Any) -> str | tuple[str, ...]:
    """A key's value: one string, or the tuple of a multivalued key's values (``aws:TagKeys``)."""
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(str(v) for v in value)
    return str(value)


def evaluate(documents: Iterable[Any], request: Request) -> PermissionResult:
    """IAM's decision over all ``documents`` together: DENIED if a Deny applies, else PERMITTED
    if an Allow does, else NEUTRAL (the implicit deny)."""
    allowed = False
    for document in documents:
        for statement in statements(document):
            if not statement.applies(request):
                continue
            if statement.effect == "Deny":
                return PermissionResult.DENIED
            allowed = True
    return PermissionResult.PERMITTED if allowed else PermissionResult.NEUTRAL


def statements(document: Any) -> list[Statement]:
    """A policy's statements, normalised: ``document`` is its JSON text, the parsed policy, or a
    list of statements (a Lambda function policy as moto keeps it). Invalid JSON: ValueError."""
    if isinstance(document, bytes | str):
        document = json.loads(document)
    raw = document.get("Statement", []) if isinstance(document, Mapping) else document
    raw = raw if isinstance(raw, list) else [raw]
    return [Statement.parse(statement) for statement in raw if isinstance(statement, Mapping)]


def _strings(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    return tuple(("true" if v else "false") if isinstance(v, bool) else str(v) for v in values)


@dataclass(frozen=True)
class Statement:
    """One statement, its elements as lists of strings (None where the element is absent)."""

    effect: str
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principal: Any  # "*", {kind: (names...)}, or None
    not_principal: bool
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] | None  # None: a malformed block

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Statement:
        def element(name: str) -> tuple[str, ...] | None:
            return _strings(raw[name]) if name in raw else None

        principal = raw.get("Principal")
        if isinstance(principal, Mapping):
            principal = {str(kind): _strings(names) for kind, names in principal.items()}
        condition = raw.get("Condition") or {}
        conditions: tuple[tuple[str, str, tuple[str, ...]], ...] | None = None
        if isinstance(condition, Mapping) and all(isinstance(b, Mapping) for b in condition.values()):
            conditions = tuple(
                (str(operator), str(key), _strings(values))
                for operator, block in condition.items()
                for key, values in block.items()
            )
        return cls(
            effect=str(raw.get("Effect", "")),
            actions=element("Action"),
            not_actions=element("NotAction"),
            resources=element("Resource"),
            not_resources=element("NotResource"),
            principal=principal,
            not_principal="NotPrincipal" in raw,
            conditions=conditions,
        )

    def applies(self, request: Request) -> bool:
        """Whether the statement takes effect: an Allow only when it surely matches, a Deny also
        when it might (never in the caller's favour)."""
        return self.in_effect(self.matches(request))

    def in_effect(self, matched: Tri) -> bool:
        if self.effect not in ("Allow", "Deny"):
            return False
        return matched is True or (matched is None and self.effect == "Deny")

    def matches(self, request: Request) -> Tri:
        return _all(
            (
                self._principal(request.principal, request.principal_names),
                _element(self.actions, self.not_actions, request.action, _action),
                _element(
                    self.resources,
                    self.not_resources,
                    request.resource,
                    lambda pattern, value: _resource(pattern, value, request.context),
                ),
                self.conditions_hold(request),
            )
        )

    def conditions_hold(self, request: Request) -> Tri:
        if self.conditions is None:
            return None
        return _all(_condition(op, key, values, request) for op, key, values in self.conditions)

    def _principal(self, principal: tuple[str, str] | None, known: tuple[str, ...] | None) -> Tri:
        if self.not_principal:
            return None
        if self.principal is None:  # an identity-based policy: the principal is its holder
            return True if principal is None else None
        if self.principal == "*":
            return True
        named = self.principal if isinstance(self.principal, dict) else {}
        if known is not None and principal is not None and principal[0] == "AWS":
            listed = {_root(name) for name in named.get("AWS", ())}  # every name known: decided
            return "*" in listed or any(_root(name) in listed for name in known)
        return _names(named, principal)


def _names(named: dict[str, tuple[str, ...]], principal: tuple[str, str] | None) -> Tri:
    """Whether a statement's Principal element ``named`` names ``principal`` (None: a caller the
    emulator does not know)."""
    anyone = "*" in named.get("AWS", ())
    if principal is None:
        return True if anyone else None
    kind, name = principal
    names = named.get(kind, ())
    if kind == "AWS":  # "a shortened form that consists of the AWS: prefix followed by the
        # account ID" stands for arn:aws:iam::<account>:root (reference_policies_elements_principal.html)
        names, name = tuple(_root(n) for n in names), _root(name)
    if name in names or (anyone and kind == "AWS"):
        return True
    # {"AWS": "*"} for a service, or another spelling of an AWS principal: undecided here.
    return None if anyone or kind != "Service" or not named else False


_ACCOUNT = re.compile(r"\d{12}")


def _root(name: str) -> str:
    """A principal's name, an account id read as its root ("a shortened form that consists of the
    AWS: prefix followed by the account ID", reference_policies_elements_principal.html)."""
    return f"arn:aws:iam::{name}:root" if _ACCOUNT.fullmatch(name) else name


def _element(listed: tuple[str, ...] | None, negated: tuple[str, ...] | None, value: str, match: Any) -> Tri:
    if listed is not None:
        return _any(match(pattern, value) for pattern in listed)
    if negated is not None:
        return _not(_any(match(pattern, value) for pattern in negated))
    return None  # neither element: not a valid statement


def action_matches(pattern: str, action: str) -> bool:
    """Whether an Action element's ``pattern`` names ``action``: "The prefix and the action name
    are case insensitive", with "multi-character match wildcards (*) and single-character match
    wildcards (?)" (reference_policies_elements_action.html). The CI role check
    (flows/ci_role_check.py) reads actions with it too."""
    return _glob(pattern, action, "action")


def _action(pattern: str, action: str) -> Tri:
    return action_matches(pattern, action)


_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _substitute(pattern: str, context: Mapping[str, Any]) -> str | None:
    """``pattern`` with its policy variables replaced by the request's values: "the policy
    variables are replaced with values that come from the context of the request itself"
    (reference_policies_variables.html). None when one has no value here (a key the request
    lacks, or a default or special form this evaluator does not read: "If AWS cannot resolve a
    variable, this might cause the entire statement to be invalid", same page), or when a value
    holds a wildcard character (it would match as a literal there): undecided."""
    values = [context.get(name.lower()) for name in _VARIABLE.findall(pattern)]
    # "you cannot use a multivalued context key as a policy variable"
    # (reference_policies_condition-single-vs-multi-valued-context-keys.html): a tuple is undecided.
    if any(not isinstance(value, str) or "*" in value or "?" in value for value in values):
        return None
    found = iter(values)
    return _VARIABLE.sub(lambda _: next(found) or "", pattern)


def _resource(pattern: str, resource: str, context: Mapping[str, Any]) -> Tri:
    if pattern.startswith("arn:") and any(c in pattern.split(":")[2:3][0] for c in "*?"):
        # "You can't use a wildcard in the service segment that identifies the AWS product"
        # (reference_policies_elements_resource.html): not a valid resource, so undecided.
        return None
    if "${" in pattern:
        substituted = _substitute(pattern, context)
        if substituted is None:
            return None
        pattern = substituted
    strict, loose = _glob(pattern, resource, "segment"), _glob(pattern, resource)
    return strict if strict == loose else None

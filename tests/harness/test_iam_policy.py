"""The emulator's one IAM policy evaluator (local_aws/iam_policy.py), tested from the IAM User
Guide's sentences: each test quotes the rule it checks.

    .venv/bin/python -m pytest tests/harness/test_iam_policy.py -p no:cacheprovider -q
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_aws.iam_policy import PermissionResult, Request, evaluate, statements

ALLOW, DENY, IMPLICIT = PermissionResult.PERMITTED, PermissionResult.DENIED, PermissionResult.NEUTRAL
GET = "s3:GetObject"
OBJECT = "arn:aws:s3:::receipts/r1.json"


def _statement(effect: str, action: Any = GET, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource, **extra}


def _policy(*statements_: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements_)}


def _decide(*statements_: dict[str, Any], request: Request | None = None) -> PermissionResult:
    return evaluate([_policy(*statements_)], request or Request(GET, OBJECT))


def _with(condition: dict[str, Any], effect: str = "Allow", **context: str) -> PermissionResult:
    """One statement with ``condition``, for a request whose context is exactly ``context``."""
    request = Request(GET, OBJECT, {k.replace("_", ":", 1): v for k, v in context.items()}, complete=True)
    return _decide(_statement(effect, Condition=condition), request=request)


# --------------------------------------------------------------------------- Allow and Deny


def test_an_explicit_deny_overrides_an_allow():
    """ "An explicit deny in any of the policies overrides the allow." (policy-eval-basics)"""
    assert _decide(_statement("Allow"), _statement("Deny")) == DENY
    documents = [_policy(_statement("Allow")), json.dumps(_policy(_statement("Deny", "s3:*")))]
    assert evaluate(documents, Request(GET, OBJECT)) == DENY


def test_without_an_applicable_allow_the_request_is_implicitly_denied():
    """ "An implicit denial occurs when there is no applicable Deny statement but also no applicable
    Allow statement." (AccessPolicyLanguage_Interplay)"""
    assert _decide() == IMPLICIT
    assert _decide(_statement("Allow", "s3:PutObject")) == IMPLICIT
    assert _decide(_statement("Allow")) == ALLOW


def test_not_action_matches_everything_except_the_listed_actions():
    """ "NotAction is an advanced policy element that explicitly matches everything except the
    specified list of actions." (elements_notaction)"""
    allow_all_but_iam = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert _decide(allow_all_but_iam) == ALLOW
    assert _decide(allow_all_but_iam, request=Request("iam:CreateUser", "*")) == IMPLICIT
    deny_all_but_iam = {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}
    assert _decide(_statement("Allow"), deny_all_but_iam) == DENY


def test_not_resource_matches_every_resource_except_the_listed_ones():
    """moto's own evaluator reads any statement without Resource as an Allow of everything."""
    deny_elsewhere = {"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:s3:::receipts/*"}
    assert _decide(_statement("Allow"), deny_elsewhere) == ALLOW
    assert _decide(_statement("Allow"), deny_elsewhere, request=Request(GET, "arn:aws:s3:::audit/k")) == DENY


# --------------------------------------------------------------------------- actions and resources


@pytest.mark.parametrize(
    ("pattern", "action", "matched"),
    [
        ("IAM:listaccesskeys", "iam:ListAccessKeys", True),  # the page's own example
        ("iam:*AccessKey*", "iam:CreateAccessKey", True),
        ("s3:GetObjec?", "s3:GetObject", True),
        ("s3:GetObjec?", "s3:GetObjectAcl", False),  # ? is exactly one character
        ("s3:Get.bject", "s3:GetObject", False),  # a dot is a dot
        ("*", "dynamodb:Query", True),
    ],
)
def test_action_names_ignore_case_and_take_wildcards(pattern, action, matched):
    """ "The prefix and the action name are case insensitive. For example, iam:ListAccessKeys is
    the same as IAM:listaccesskeys." (elements_action)"""
    assert (_decide(_statement("Allow", pattern), request=Request(action, "*")) == ALLOW) is matched


@pytest.mark.parametrize(
    ("pattern", "resource", "decision"),
    [
        ("arn:aws:s3:::receipts/*", OBJECT, ALLOW),
        ("arn:aws:s3:::receipts/r?.json", OBJECT, ALLOW),
        ("arn:aws:s3:::receipts/r?.json", "arn:aws:s3:::receipts/r10.json", IMPLICIT),
        ("arn:aws:s3:::RECEIPTS/*", OBJECT, IMPLICIT),  # case-sensitive
        ("arn:aws:s3:::re.eipts/*", "arn:aws:s3:::rexeipts/k", IMPLICIT),  # a dot is a dot
        ("arn:aws:dynamodb:*:*:table/payments", "arn:aws:dynamodb:us-east-1:1:table/payments", ALLOW),
        # A * that ends a segment crosses the colons of a log stream's ARN.
        (
            "arn:aws:logs:us-east-1:1:log-group:/aws/route53/*",
            "arn:aws:logs:us-east-1:1:log-group:/aws/route53/z:log-stream:s",
            ALLOW,
        ),
        # A * inside a segment where the resource has a colon: the page leaves it open (unknown).
        ("arn:aws:s3:::receipts/a*z", "arn:aws:s3:::receipts/a:z", IMPLICIT),
    ],
)
def test_resources_are_case_sensitive_with_wildcards_within_segments(pattern, resource, decision):
    """ "You can use wildcard characters (* and ?) within the individual segments of an ARN (the
    parts separated by colons)" and "If the * wildcard is the last character of a resource ARN
    segment, it can expand to match beyond the colon boundaries." (elements_resource)"""
    assert _decide(_statement("Allow", "*", pattern), request=Request(GET, resource)) == decision


def test_a_wildcard_the_docs_leave_open_still_denies():
    deny = _statement("Deny", "*", "arn:aws:s3:::receipts/a*z")
    assert _decide(_statement("Allow"), deny, request=Request(GET, "arn:aws:s3:::receipts/a:z")) == DENY


# --------------------------------------------------------------------------- conditions


def test_a_key_absent_from_the_request_context_makes_the_condition_false():
    """ "If the key that you specify in a policy condition is not present in the request context,
    the values do not match and the condition is false. If the policy condition requires that the
    key is not matched, such as StringNotLike or ArnNotLike, and the right key is not present, the
    condition is true." (condition_operators)"""
    assert _with({"StringEquals": {"aws:SourceVpce": "vpce-1"}}) == IMPLICIT
    assert _with({"StringEquals": {"aws:SourceVpce": "vpce-1"}}, "Deny") == IMPLICIT
    assert _with({"StringNotLike": {"aws:SourceVpce": "vpce-*"}}) == ALLOW
    assert _with({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:t"}}) == ALLOW


def test_if_exists_and_null_test_whether_the_key_is_present():
    """...IfExists: "If the key is not present, evaluate the condition element as true."; "Use a
    Null condition operator to check if a condition key is absent at the time of authorization."
    (condition_operators)"""
    assert _with({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}) == ALLOW
    assert _with({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}, aws_SourceVpce="vpce-2") == IMPLICIT
    assert _with({"Null": {"aws:TokenIssueTime": "true"}}) == ALLOW
    assert _with({"Null": {"aws:TokenIssueTime": "false"}}) == IMPLICIT
    assert _with({"Null": {"aws:TokenIssueTime": "false"}}, aws_TokenIssueTime="2024-01-01") == ALLOW


def test_multiple_operators_and_keys_are_anded_and_values_ored():
    """ "If your policy statement has multiple condition operators, the condition operators are
    evaluated using a logical AND.", "... multiple context keys attached to a single condition
    operator, the context keys are evaluated using a logical AND.", "If a single condition operator
    includes multiple values for a context key, those values are evaluated using a logical OR."
    (condition-logic-multiple-context-keys-or-values)"""
    two_keys = {"StringEquals": {"aws:SourceAccount": "1", "aws:SourceOwner": "1"}}
    assert _with(two_keys, aws_SourceAccount="1", aws_SourceOwner="1") == ALLOW
    assert _with(two_keys, aws_SourceAccount="1", aws_SourceOwner="2") == IMPLICIT
    two_operators = {
        "StringEquals": {"aws:SourceAccount": "1"},
        "ArnLike": {"aws:SourceArn": "arn:aws:s3:::b"},
    }
    assert _with(two_operators, aws_SourceAccount="1", aws_SourceArn="arn:aws:s3:::b") == ALLOW
    assert _with(two_operators, aws_SourceAccount="1", aws_SourceArn="arn:aws:s3:::c") == IMPLICIT
    assert _with({"StringEquals": {"aws:SourceAccount": ["2", "1"]}}, aws_SourceAccount="1") == ALLOW


def test_a_negated_operator_with_several_values_is_a_nor():
    """ "If a single negated matching condition operator includes multiple values for a context key,
    those values are evaluated using a logical NOR." (condition-logic-multiple-context-keys-or-values)"""
    neither = {"StringNotEquals": {"aws:SourceAccount": ["1", "2"]}}
    assert _with(neither, aws_SourceAccount="3") == ALLOW
    assert _with(neither, aws_SourceAccount="2") == IMPLICIT


@pytest.mark.parametrize(
    ("condition", "context", "decision"),
    [
        ({"StringEquals": {"aws:username": "john"}}, {"aws_username": "John"}, IMPLICIT),
        ({"StringEqualsIgnoreCase": {"aws:username": "john"}}, {"aws_username": "John"}, ALLOW),
        ({"StringLike": {"s3:prefix": "home/*"}}, {"s3_prefix": "home/john/"}, ALLOW),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws_SecureTransport": "true"}, IMPLICIT),
        ({"Bool": {"aws:SecureTransport": True}}, {"aws_SecureTransport": "true"}, ALLOW),
        ({"StringEquals": {"AWS:SOURCEACCOUNT": "1"}}, {"aws_SourceAccount": "1"}, ALLOW),  # key names
    ],
)
def test_string_and_bool_operators(condition, context, decision):
    """StringEquals: "Exact matching, case sensitive"; StringEqualsIgnoreCase: "Exact matching,
    ignoring case"; "Context key names are not case-sensitive." (condition_operators, condition)"""
    assert _with(condition, **context) == decision


def test_arn_operators_match_each_of_the_six_components_separately():
    """ "Each of the six colon-delimited components of the ARN is checked separately" ... "The
    ArnEquals and ArnLike condition operators behave identically." The page's example: StringLike
    matches, ArnLike "fails on 999999999999:store/abc:". (condition_operators)"""
    pattern = "arn:aws:someservice:*:111122223333:finance/*"
    value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    assert _with({"StringLike": {"aws:SourceArn": pattern}}, aws_SourceArn=value) == ALLOW
    assert _with({"ArnLike": {"aws:SourceArn": pattern}}, aws_SourceArn=value) == IMPLICIT
    assert _with({"ArnLike": {"aws:SourceArn": pattern}}, "Deny", aws_SourceArn=value) == IMPLICIT
    good = "arn:aws:someservice:us-east-2:111122223333:finance/report"
    assert _with({"ArnEquals": {"aws:SourceArn": pattern}}, aws_SourceArn=good) == ALLOW


# --------------------------------------------------------------------------- what the emulator cannot tell


@pytest.mark.parametrize(
    "condition",
    [
        {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},  # an operator the evaluator does not know
        {"ForAnyValue:StringNotEquals": {"aws:TagKeys": "a"}},  # ForAnyValue + a negated operator: unsaid
        {"ForAllValues:StringEqualsIfExists": {"aws:TagKeys": "a"}},  # a set operator + IfExists: unsaid
        {"ForEachValue:StringEquals": {"aws:TagKeys": "a"}},  # not a set operator
        {"StringEquals": {"aws:username": "${aws:username}"}},  # a policy variable
    ],
)
def test_an_allow_with_an_unknown_condition_grants_nothing_and_a_deny_with_one_applies(condition):
    """Undocumented for an emulator: what it cannot evaluate is never read in the caller's favour."""
    assert _with(condition, aws_SourceIp="10.0.0.1", aws_username="john") == IMPLICIT
    assert _with(condition, "Deny", aws_SourceIp="10.0.0.1", aws_username="john") == DENY


def test_a_key_the_caller_does_not_model_is_unknown_not_absent():
    """With an incomplete context (``complete=False``) a missing key may be present on AWS."""
    condition = {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}
    request = Request(GET, OBJECT, {"aws:SourceAccount": "1"})
    assert _decide(_statement("Allow", Condition=condition), request=request) == IMPLICIT
    deny = _statement("Deny", Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-1"}})
    assert _decide(_statement("Allow"), deny, request=request) == DENY


def test_principals_of_a_resource_policy():
    """A resource policy names who it grants; an identity policy has no Principal."""
    service = {"Service": "route53.amazonaws.com"}
    route53 = Request("logs:PutLogEvents", "*", principal=("Service", "route53.amazonaws.com"))
    other = Request("logs:PutLogEvents", "*", principal=("Service", "delivery.logs.amazonaws.com"))
    allow = _statement("Allow", "logs:*", Principal=service)
    assert (_decide(allow, request=route53), _decide(allow, request=other)) == (ALLOW, IMPLICIT)
    assert _decide(_statement("Allow", "logs:*", Principal="*"), request=other) == ALLOW
    # An unknown caller (moto's S3 does not say who): {"AWS": "*"} is everyone, a named role unknown.
    anyone = _statement("Deny", Principal={"AWS": "*"})
    assert _decide(anyone) == DENY
    assert _decide(_statement("Allow", Principal={"AWS": "arn:aws:iam::1:role/r"})) == IMPLICIT
    assert _decide(_statement("Deny", Principal={"AWS": "arn:aws:iam::1:role/r"})) == DENY
    assert _decide({**_statement("Allow"), "NotPrincipal": service}, request=route53) == IMPLICIT


def test_statements_are_normalised_from_any_spelling():
    """A JSON text (moto keeps a bucket policy as bytes), a policy whose one statement is an object,
    or a bare list of statements (a Lambda function policy as moto keeps it)."""
    one = {"Effect": "Allow", "Action": GET, "Resource": OBJECT}
    spellings = (json.dumps({"Statement": [one]}).encode(), {"Statement": one}, [one])
    for document in spellings:
        parsed = statements(document)
        assert [(s.effect, s.actions, s.resources) for s in parsed] == [("Allow", (GET,), (OBJECT,))]
    with pytest.raises(ValueError):
        statements("not json")


def test_a_multivalued_key_is_no_policy_variable():
    """ "you cannot use a multivalued context key as a policy variable"
    (condition-single-vs-multi-valued-context-keys): a list-valued key in ``${...}`` is undecided
    (an Allow grants nothing, a Deny denies)."""
    prefixed = "arn:aws:s3:::receipts/${aws:TagKeys}.json"
    request = Request(GET, OBJECT, {"aws:TagKeys": ["r1"]}, complete=True)
    assert _decide(_statement("Allow", resource=prefixed), request=request) == IMPLICIT
    assert _decide(_statement("Deny", resource=prefixed), request=request) == DENY
    one = Request(GET, OBJECT, {"aws:username": "r1"}, complete=True)
    assert (
        _decide(_statement("Allow", resource="arn:aws:s3:::receipts/${aws:username}.json"), request=one)
        == ALLOW
    )


# --------------------------------------------------------------------------- IP addresses and callers


@pytest.mark.parametrize(
    ("condition", "source", "decision"),
    [
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, "203.0.113.7", ALLOW),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, "198.51.100.1", IMPLICIT),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.7"}}, "203.0.113.7", ALLOW),  # no prefix: one address
        ({"IpAddress": {"aws:SourceIp": "203.0.113.7"}}, "203.0.113.8", IMPLICIT),
        (
            {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:DB8:1234:5678::/64"]}},
            "2001:db8:1234:5678::1",
            ALLOW,
        ),
        ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, "198.51.100.1", ALLOW),
        ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, "203.0.113.7", IMPLICIT),
    ],
)
def test_ip_address_operators(condition, source, decision):
    """ "IpAddress | The specified IP address or range", "NotIpAddress | All IP addresses except the
    specified IP address or range"; "The value must be in the standard CIDR format (for example,
    203.0.113.0/24 or 2001:DB8:1234:5678::/64). If you specify an IP address without the associated
    routing prefix, IAM uses the default prefix value of /32." (elements_condition_operators)"""
    assert _with(condition, aws_SourceIp=source) == decision


def test_an_ip_range_that_is_no_range_is_undecided():
    """Undocumented: a value that is no CIDR: never in the caller's favour."""
    condition = {"IpAddress": {"aws:SourceIp": "not-an-address"}}
    assert _with(condition, aws_SourceIp="203.0.113.7") == IMPLICIT
    assert _with(condition, "Deny", aws_SourceIp="203.0.113.7") == DENY


def test_a_caller_whose_names_are_all_known_matches_only_the_principals_naming_it():
    """ "Use the Principal element in a resource-based JSON policy to specify the principal that is
    allowed or denied access to a resource." (elements_principal): with every name of the caller
    given (``principal_names``), a statement naming someone else does not apply to it, even a Deny;
    an account id is the account's root; ``"*"`` and ``{"AWS": "*"}`` name everyone."""
    alice = "arn:aws:iam::111122223333:user/alice"
    caller = Request(GET, OBJECT, principal=("AWS", alice), principal_names=(alice,))
    bob = {"AWS": "arn:aws:iam::111122223333:user/bob"}
    assert (
        _decide(_statement("Deny", Principal=bob), _statement("Allow", Principal="*"), request=caller)
        == ALLOW
    )
    assert _decide(_statement("Allow", Principal={"AWS": [alice]}), request=caller) == ALLOW
    assert _decide(_statement("Allow", Principal={"AWS": "*"}), request=caller) == ALLOW
    assert _decide(_statement("Allow", Principal={"Service": "s3.amazonaws.com"}), request=caller) == IMPLICIT
    as_account = Request(
        GET, OBJECT, principal=("AWS", alice), principal_names=(alice, "arn:aws:iam::111122223333:root")
    )
    assert _decide(_statement("Deny", Principal={"AWS": "111122223333"}), request=as_account) == DENY
    assert _decide(_statement("Deny", Principal={"AWS": "111122223333"}), request=caller) == IMPLICIT
    anonymous = Request(GET, OBJECT, principal=("AWS", "anonymous"), principal_names=())
    assert _decide(_statement("Allow", Principal="*"), request=anonymous) == ALLOW
    assert _decide(_statement("Allow", Principal={"AWS": alice}), request=anonymous) == IMPLICIT


def test_a_key_the_caller_cannot_tell_stays_unknown_in_a_complete_context():
    """ "The aws:SourceIp key is always present in the request context, except when the requester
    uses a VPC endpoint" (elements_condition_operators): a caller that cannot tell it names it in
    ``unknown_keys``, and a condition on it is undecided rather than false."""
    request = Request(GET, OBJECT, {}, complete=True, unknown_keys=frozenset({"aws:SourceIp"}))
    condition = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    assert _decide(_statement("Deny", Condition=condition), request=request) == DENY
    assert _decide(_statement("Allow", Condition=condition), request=request) == IMPLICIT
    assert _with(condition, "Deny") == IMPLICIT  # absent from a complete context: false

"""The escalation paths a docs-only review of the synthesized bootstrap policies found (question 9
of its findings), each replayed with the emulator's IAM evaluator (local_aws/iam_policy.py):

- A: a role a deploy role creates, assumed by anyone with ANY session tags, reaches no other
  environment's data ("New session tags override existing assumed role or federated user tags
  with the same tag key": IAM User Guide, id_session-tags.html), so no boundary may grant by a
  tag the caller can set;
- B: ``table/tap-*-pr*`` also matches ``table/tap-payments-prod/index/<gsi>`` ("The asterisk (*)
  character can expand to replace everything within a segment, including characters like a
  forward slash": reference_policies_elements_resource.html);
- C: no role strips or rewrites the ``EnvironmentSuffix`` tag of an API Gateway resource (the
  tag fence reads it), in any case, nor untags with no tag keys in the request context;
- D: no role lists the account's API keys (``GET /apikeys?includeValues=true`` returns every
  key's value, prod's included);
- F: only the target that owns the account's settings attaches the account's API Gateway logging
  policy, and only to the account's logging role; it passes that role only to API Gateway, and
  no role changes the role's trust.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lib.config import APIGATEWAY_CLOUDWATCH_ROLE
from local_aws.iam_policy import PermissionResult, Request, evaluate
from tests.unit.test_ci_scoping import ACCOUNT, _concrete, allows, role_documents, synth_bootstrap

OWN = {"preview": "pr7", "staging": "staging", "production": "prod"}
# What a role created with the boundary can hold: everything (its policies are the creator's).
EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.fixture(scope="module")
def boot() -> dict[str, Any]:
    return synth_bootstrap()


def data(suffix: str) -> list[tuple[str, str]]:
    """(action, ARN) on an environment's data, as the main stack names it."""
    table = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/tap-payments-{suffix}"
    bucket = f"arn:aws:s3:::tap-receipts-primary-{suffix}-{ACCOUNT}"
    return [
        ("dynamodb:GetItem", table),
        ("dynamodb:PutItem", table),
        ("dynamodb:Query", f"{table}/index/by-status"),
        ("s3:ListBucket", bucket),
        ("s3:GetObject", f"{bucket}/receipts/p-1.json"),
        ("s3:PutObject", f"{bucket}/receipts/p-1.json"),
        (
            "logs:PutLogEvents",
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/tap-payments-api-primary-{suffix}:log-stream:s",
        ),
    ]


def required_boundary(boot: dict[str, Any], kind: str) -> str:
    """The ARN of the boundary the ``kind`` role must give every role it creates."""
    (create,) = [
        s
        for document in role_documents(boot, kind)
        for s in document["Statement"]
        if s.get("Sid") == "IamCreateRolesWithBoundary"
    ]
    return create["Condition"]["StringEquals"]["iam:PermissionsBoundary"]


def boundary_document(boot: dict[str, Any], kind: str) -> dict[str, Any]:
    """That boundary as IAM receives it (Terraform turns the escaped $${ into ${)."""
    name = required_boundary(boot, kind).rsplit("/", 1)[1]
    (policy,) = [p for p in boot["resource"]["aws_iam_policy"].values() if p["name"] == name]
    return json.loads(_concrete(policy["policy"]).replace("$${", "${"))


@pytest.mark.parametrize("kind", ["preview", "staging", "production"])
def test_a_created_role_assumed_with_any_session_tags_reaches_no_other_environment(boot, kind):
    """A (CONCRETE): the deploy role creates a role with its boundary, trusting an outside
    principal with sts:TagSession, and gives it ``*:*``; the assumer picks the session tags.
    The effective permissions are the intersection ("The effective permissions are the
    intersection of both policy types": access_policies_boundaries.html)."""
    boundary = boundary_document(boot, kind)
    role = f"arn:aws:iam::{ACCOUNT}:role/tap-x-{OWN[kind].replace('*', '')}"

    def effective(action: str, resource: str, tags: dict[str, str]) -> bool:
        request = Request(action, resource, context={"aws:PrincipalArn": role, **tags}, complete=True)
        return all(evaluate([d], request) == PermissionResult.PERMITTED for d in (EVERYTHING, boundary))

    reached = [
        f"session tag {tag}: {action} {resource}"
        for tag in (None, "pr7", "staging", "prod")
        for suffix in set(OWN.values()) - {OWN[kind]}
        for action, resource in data(suffix)
        if effective(action, resource, {"aws:PrincipalTag/EnvironmentSuffix": tag} if tag else {})
    ]
    assert reached == []
    # its own environment's data stays reachable (what the stack's roles need)
    own_tag = {"aws:PrincipalTag/EnvironmentSuffix": OWN[kind]}
    assert all(effective(action, resource, own_tag) for action, resource in data(OWN[kind]))


@pytest.mark.parametrize(
    ("kind", "resource"),
    [
        ("preview", "table/tap-payments-prod/index/by-status"),
        ("preview", "table/tap-payments-staging/index/by-product"),
        ("preview", "table/tap-payments-prod/stream/2026-01-01T00:00:00.000"),
        ("staging", "table/tap-payments-prod/index/by-status"),
        ("production", "table/tap-payments-staging/index/by-status"),
    ],
)
def test_another_environments_table_indexes_are_fenced(boot, kind, resource):
    """B (CONCRETE): ``table/tap-*-pr*`` matches a prod index; the fence names its ``/*``."""
    documents = role_documents(boot, kind)
    arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:{resource}"
    assert not allows(documents, "dynamodb:Query", arn)
    own = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/tap-payments-{OWN[kind]}"
    assert allows(documents, "dynamodb:UpdateTable", own)


@pytest.mark.parametrize("kind", ["preview", "staging", "production"])
def test_no_role_strips_or_rewrites_the_environment_tag_of_an_api(boot, kind):
    """C (CONCRETE): untag ``EnvironmentSuffix`` from a prod REST API, then delete it. The fence's
    own ``ForAnyValue:StringEquals`` on ``aws:TagKeys`` is evaluated over the request's tag keys."""
    documents = role_documents(boot, kind)
    api = "arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2Fa1b2c3"
    tags = f"arn:aws:apigateway:us-east-1::/tags/{api}"
    assert not allows(documents, "apigateway:DELETE", tags, **{"aws:TagKeys": ["EnvironmentSuffix"]})
    assert not allows(documents, "apigateway:DELETE", tags, **{"aws:TagKeys": ["Owner", "EnvironmentSuffix"]})
    retag = {"aws:TagKeys": ["Owner", "EnvironmentSuffix"], "aws:RequestTag/EnvironmentSuffix": OWN[kind]}
    assert not allows(documents, "apigateway:PUT", tags, **{**retag, "aws:RequestTag/Owner": "x"})
    # other tags of its own API: still Terraform's to change
    assert allows(documents, "apigateway:DELETE", tags, **{"aws:TagKeys": ["Owner", "CostCenter"]})
    assert allows(documents, "apigateway:DELETE", tags, **{"aws:TagKeys": ["Owner"]})
    assert allows(
        documents, "apigateway:PUT", tags, **{"aws:TagKeys": ["Owner"], "aws:RequestTag/Owner": "x"}
    )


@pytest.mark.parametrize("kind", ["preview", "staging", "production"])
def test_an_untag_whose_keys_are_not_in_the_request_context_is_refused(boot, kind):
    """C (CONDITIONAL): UntagResource sends its keys in the query string (``DELETE
    /tags/<arn>?tagKeys=``) and no page found says AWS puts them in ``aws:TagKeys``; if it does
    not, ``ForAnyValue`` over an absent key is false and the tag Deny never fires. Fail closed:
    an untag with no (or an empty) ``aws:TagKeys`` is denied."""
    documents = role_documents(boot, kind)
    tags = "arn:aws:apigateway:us-east-1::/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2Fa1b2c3"
    assert not allows(documents, "apigateway:DELETE", tags)
    assert not allows(documents, "apigateway:DELETE", tags, **{"aws:TagKeys": []})


@pytest.mark.parametrize("kind", ["preview", "staging", "production"])
@pytest.mark.parametrize("key", ["environmentsuffix", "ENVIRONMENTSUFFIX", "EnvironmentSuffix"])
def test_no_role_adds_or_removes_a_tag_key_equal_ignoring_case_to_the_environment_tag(boot, kind, key):
    """C (minor): API Gateway: "Tag keys are case sensitive" (apigateway-tagging.html), while IAM
    matches ``aws:ResourceTag/EnvironmentSuffix`` by a key name it does not read case-sensitively
    ("condition key names are not case-sensitive": reference_policies_elements_condition.html):
    a second key ``environmentsuffix`` could confuse the tag fence."""
    documents = role_documents(boot, kind)
    tags = "arn:aws:apigateway:us-east-1::/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2Fa1b2c3"
    put = {"aws:TagKeys": ["Owner", key], f"aws:RequestTag/{key}": OWN[kind], "aws:RequestTag/Owner": "x"}
    assert not allows(documents, "apigateway:PUT", tags, **put)
    assert not allows(documents, "apigateway:DELETE", tags, **{"aws:TagKeys": [key]})


@pytest.mark.parametrize("kind", ["plan", "preview", "staging", "production"])
def test_no_role_lists_the_accounts_api_keys(boot, kind):
    """D (CONCRETE): ``GET /apikeys?includeValues=true`` is authorized on the untaggable
    collection, so no tag fence applies; a key of the role's own environment stays readable."""
    documents = role_documents(boot, kind)
    assert not allows(documents, "apigateway:GET", "arn:aws:apigateway:us-east-1::/apikeys")
    own = {"aws:ResourceTag/EnvironmentSuffix": "staging" if kind == "plan" else OWN[kind]}
    assert allows(documents, "apigateway:GET", "arn:aws:apigateway:us-east-1::/apikeys/abc123", **own)
    if kind != "plan":
        assert allows(documents, "apigateway:POST", "arn:aws:apigateway:us-east-1::/apikeys")


@pytest.mark.parametrize(("kind", "owner"), [("preview", False), ("staging", True), ("production", False)])
def test_only_the_account_settings_owner_attaches_the_logging_policy(boot, kind, owner):
    """F (CONCRETE): production could attach ``tap-apigateway-cloudwatch-logs`` (whose role
    writes every log group) to a prod role."""
    documents = role_documents(boot, kind)
    bounded = {"iam:PermissionsBoundary": required_boundary(boot, kind)}
    logging = {"iam:PolicyARN": f"arn:aws:iam::{ACCOUNT}:policy/{APIGATEWAY_CLOUDWATCH_ROLE}"}
    own_role = f"arn:aws:iam::{ACCOUNT}:role/tap-payments-api-fn-primary-{OWN[kind]}"
    logging_role = f"arn:aws:iam::{ACCOUNT}:role/{APIGATEWAY_CLOUDWATCH_ROLE}"
    assert not allows(documents, "iam:AttachRolePolicy", own_role, **bounded, **logging)
    assert allows(documents, "iam:AttachRolePolicy", logging_role, **bounded, **logging) == owner
    own_policy = {"iam:PolicyARN": f"arn:aws:iam::{ACCOUNT}:policy/tap-payments-api-fn-primary-{OWN[kind]}"}
    assert allows(documents, "iam:AttachRolePolicy", own_role, **bounded, **own_policy)
    # Not even the owner deletes it: delete-and-recreate would re-trust it (an administrator does).
    assert not allows(documents, "iam:DeleteRole", logging_role)


@pytest.mark.parametrize(
    ("service", "passed"),
    [("apigateway.amazonaws.com", True), ("lambda.amazonaws.com", False), ("s3.amazonaws.com", False)],
)
def test_the_logging_role_is_passed_to_api_gateway_only(boot, service, passed):
    """F (CONCRETE): staging passes ``tap-apigateway-cloudwatch-logs`` (account-wide log
    Get/Filter/Put in its boundary) to a Lambda function or S3 and reads prod's logs through it;
    its own environment's roles keep every stack service."""
    documents = role_documents(boot, "staging")
    logging_role = f"arn:aws:iam::{ACCOUNT}:role/{APIGATEWAY_CLOUDWATCH_ROLE}"
    own_role = f"arn:aws:iam::{ACCOUNT}:role/tap-payments-api-fn-primary-staging"
    assert allows(documents, "iam:PassRole", logging_role, **{"iam:PassedToService": service}) == passed
    assert allows(documents, "iam:PassRole", own_role, **{"iam:PassedToService": service})


@pytest.mark.parametrize("kind", ["plan", "preview", "staging", "production"])
def test_no_role_retrusts_the_logging_role(boot, kind):
    """F (CONCRETE): staging re-trusts the logging role to itself and reads prod's logs; its
    trust is set at CreateRole, which the owner of the account's settings still may do."""
    documents = role_documents(boot, kind)
    logging_role = f"arn:aws:iam::{ACCOUNT}:role/{APIGATEWAY_CLOUDWATCH_ROLE}"
    assert not allows(documents, "iam:UpdateAssumeRolePolicy", logging_role)
    # Delete and recreate would re-trust it as well: CreateRole takes any trust policy.
    assert not allows(documents, "iam:DeleteRole", logging_role)
    if kind == "staging":
        bounded = {"iam:PermissionsBoundary": required_boundary(boot, kind)}
        assert allows(documents, "iam:CreateRole", logging_role, **bounded)
        own_role = f"arn:aws:iam::{ACCOUNT}:role/tap-payments-api-fn-primary-staging"
        assert allows(documents, "iam:UpdateAssumeRolePolicy", own_role)

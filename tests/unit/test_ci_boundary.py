"""lib/ci_boundary.py: the workload boundary is sufficient (every Allow of every role policy of
the synthesized main stack is allowed by it, evaluated with the emulator's IAM evaluator for the
role's own environment) and keeps a role in its own environment and out of IAM, STS,
Organizations and Account."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from lib.ci_bootstrap_config import WORKLOAD_BOUNDARY
from lib.ci_boundary import NEVER, VIA_SERVICES, XRAY_WRITE_ACTIONS, boundary_statements
from lib.config import APIGATEWAY_CLOUDWATCH_ROLE
from local_aws.iam_policy import PermissionResult, Request, evaluate
from tests.unit.conftest import PROD_ENV, Synth, policy_of, synthesize

ACCOUNT = "123456789012"
TOKEN = "${data.aws_caller_identity.caller.account_id}"


def boundary() -> dict[str, Any]:
    """The boundary as IAM receives it (Terraform turns the escaped $${ into ${)."""
    text = json.dumps({"Version": "2012-10-17", "Statement": boundary_statements(ACCOUNT)})
    return json.loads(text.replace("$${", "${"))


@pytest.fixture(scope="module", params=["dev", "prod"])
def stack(request: pytest.FixtureRequest) -> Synth:
    from cdktf import Testing

    from lib.config import StackConfig
    from lib.tap_stack import TapStack

    env = {} if request.param == "dev" else PROD_ENV
    config = StackConfig.from_env({**env, "PERMISSIONS_BOUNDARY": WORKLOAD_BOUNDARY})
    return Synth(config.stack_id, synthesize(TapStack(Testing.app(), config.stack_id, config)))


def _arn(type_: str, logical_id: str, body: dict[str, Any], region: str) -> str | None:
    """The ARN AWS gives the resource (a key's id made up), or None for types no policy names."""
    if type_ == "aws_dynamodb_table":
        return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{body['name']}"
    if type_ == "aws_s3_bucket":
        return f"arn:aws:s3:::{body['bucket']}"
    if type_ == "aws_kms_key":
        return f"arn:aws:kms:{region}:{ACCOUNT}:key/{logical_id}"
    if type_ == "aws_cloudwatch_log_group":
        return f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{body['name']}"
    return None


def _arns(stack: Synth) -> dict[str, str]:
    """Each ``${type.id.arn}`` reference of the stack -> a concrete ARN in ACCOUNT."""
    regions = {f"aws.{p['alias']}": p["region"] for p in stack.json["provider"]["aws"]}
    found = {}
    for type_, blocks in stack.json["resource"].items():
        for logical_id, body in blocks.items():
            arn = _arn(type_, logical_id, body, regions[body["provider"]])
            if arn:
                found[f"${{{type_}.{logical_id}.arn}}"] = arn
    for logical_id, replica in stack.resources("aws_dynamodb_table_replica").items():
        table = found[replica["global_table_arn"]].split(":")
        table[3] = regions[replica["provider"]]
        found[f"${{aws_dynamodb_table_replica.{logical_id}.arn}}"] = ":".join(table)
    return {ref: arn.replace(TOKEN, ACCOUNT) for ref, arn in found.items()}


def _requests(stack: Synth) -> list[tuple[str, Request]]:
    """Every (action, resource) a role policy of the stack allows, as its role makes it."""
    arns = _arns(stack)
    roles = {
        f"${{aws_iam_role.{i}.name}}": role["name"] for i, role in stack.resources("aws_iam_role").items()
    }
    policy_role = {
        a["policy_arn"]: roles[a["role"]] for a in stack.resources("aws_iam_role_policy_attachment").values()
    }
    requests = []
    for logical_id, body in stack.resources("aws_iam_policy").items():
        role = policy_role[f"${{aws_iam_policy.{logical_id}.arn}}"]
        for stmt in policy_of(body)["Statement"]:
            assert stmt["Effect"] == "Allow"
            for action in stmt["Action"]:
                for resource in stmt["Resource"]:
                    concrete = re.sub(r"\$\{[^}]+\.arn\}", lambda m: arns[m.group(0)], resource)
                    concrete = concrete.replace(TOKEN, ACCOUNT).replace("*", "x")
                    parts = concrete.split(":")
                    region = parts[3] if len(parts) > 3 and parts[3] else "us-east-1"
                    context = {
                        "aws:PrincipalTag/EnvironmentSuffix": stack.stack_id.removeprefix("TapStack"),
                        "aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                        # The function and the replication use their keys through S3 (the handler
                        # calls S3 and DynamoDB only: lib/lambda/payments_runtime.py).
                        "kms:ViaService": f"s3.{region}.amazonaws.com",
                    }
                    requests.append((role, Request(action, concrete, context=context, complete=True)))
    return requests


def test_the_boundary_allows_everything_the_stacks_roles_are_granted(stack):
    requests = _requests(stack)
    assert len({role for role, _ in requests}) == 5  # function and replication x2, API Gateway's
    document = boundary()
    refused = [
        f"{role}: {r.action} {r.resource}"
        for role, r in requests
        if evaluate([document], r) != PermissionResult.PERMITTED
    ]
    assert refused == []


def test_another_environments_data_is_outside_a_roles_boundary():
    document = boundary()
    table = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/tap-payments-prod"
    objects = f"arn:aws:s3:::tap-receipts-primary-prod-{ACCOUNT}/receipts/x"

    def decision(action: str, resource: str, **context: str) -> PermissionResult:
        return evaluate([document], Request(action, resource, context=context, complete=True))

    for suffix, expected in (("prod", PermissionResult.PERMITTED), ("pr7", PermissionResult.NEUTRAL)):
        tag = {"aws:PrincipalTag/EnvironmentSuffix": suffix}
        assert decision("dynamodb:PutItem", table, **tag) == expected
        assert decision("s3:GetObject", objects, **tag) == expected
    # a role without the tag resolves no name: nothing
    assert decision("dynamodb:GetItem", table) == PermissionResult.NEUTRAL
    # keys only through the stack's services
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"
    assert (
        decision("kms:Decrypt", key, **{"kms:ViaService": "s3.us-east-1.amazonaws.com"})
        == PermissionResult.PERMITTED
    )
    assert decision("kms:Decrypt", key) == PermissionResult.NEUTRAL
    # the account's log groups only for the account's API Gateway logging role
    group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/tap-payments-api-primary-prod"
    other_role = {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/tap-payments-api-fn-primary-pr7"}
    assert decision("logs:FilterLogEvents", group, **other_role) == PermissionResult.NEUTRAL
    logging_role = {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/{APIGATEWAY_CLOUDWATCH_ROLE}"}
    assert decision("logs:CreateLogGroup", group, **logging_role) == PermissionResult.PERMITTED


@pytest.mark.parametrize(
    "action",
    [
        "iam:CreateRole",
        "iam:PassRole",
        "iam:AttachRolePolicy",
        "sts:AssumeRole",
        "organizations:LeaveOrganization",
        "account:PutAlternateContact",
    ],
)
def test_identity_and_account_changes_are_denied_outright(action):
    request = Request(action, "*", context={}, complete=True)
    assert evaluate([boundary()], request) == PermissionResult.DENIED


def test_no_allow_in_the_boundary_names_a_wildcard_action():
    allowed = [a for s in boundary()["Statement"] if s["Effect"] == "Allow" for a in s["Action"]]
    assert allowed and not [a for a in allowed if "*" in a]
    assert sorted(NEVER) == NEVER


def test_values_the_boundary_spells_out_match_where_they_are_defined():
    from lib.keys import VIA_SERVICES as KEY_SERVICES
    from lib.regional_function import XRAY_WRITE_ACTIONS as FUNCTION_XRAY

    assert VIA_SERVICES == KEY_SERVICES
    assert XRAY_WRITE_ACTIONS == FUNCTION_XRAY

"""lib/ci_boundary.py: each environment's boundary is sufficient (every Allow of every role policy
of that environment's synthesized main stack is allowed by it, evaluated with the emulator's IAM
evaluator) and keeps a role in its own environment, whatever its tags, and out of IAM, STS,
Organizations and Account."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from lib.ci_bootstrap_config import boundary_name
from lib.ci_boundary import (
    BACKUP_BUCKET_ACTIONS,
    BACKUP_OBJECT_ACTIONS,
    NEVER,
    NO_BACKUP_ERASURE,
    VIA_SERVICES,
    XRAY_WRITE_ACTIONS,
    boundary_statements,
)
from lib.config import APIGATEWAY_CLOUDWATCH_ROLE
from local_aws.iam_policy import PermissionResult, Request, evaluate
from tests.unit.conftest import PROD_ENV, Synth, policy_of, synthesize

ACCOUNT = "123456789012"
TOKEN = "${data.aws_caller_identity.caller.account_id}"


# target: (its suffix as the bootstrap renders it, the other exact suffixes, owns the account's
# settings), as .github/deploy-targets.json describes the pipeline.
TARGETS = {
    "preview": ("pr*", ["staging", "prod"], False),
    "staging": ("staging", ["prod"], True),
    "prod": ("prod", ["staging"], False),
}


def boundary(target: str = "prod") -> dict[str, Any]:
    """``target``'s boundary as IAM receives it."""
    suffix, others, settings = TARGETS[target]
    statements = boundary_statements(ACCOUNT, suffix=suffix, others=others, account_settings=settings)
    return json.loads(json.dumps({"Version": "2012-10-17", "Statement": statements}))


# The stacks the targets deploy (a preview: pull request 7); prod's profile with the custom domain.
STACK_ENVS = {
    "preview": {"ENVIRONMENT": "dev", "ENVIRONMENT_SUFFIX": "pr7", "MANAGE_ACCOUNT_SETTINGS": "false"},
    "staging": {"ENVIRONMENT": "staging", "ENVIRONMENT_SUFFIX": "staging", "MANAGE_ACCOUNT_SETTINGS": "true"},
    "prod": {**PROD_ENV, "MANAGE_ACCOUNT_SETTINGS": "false"},
}


@pytest.fixture(scope="module", params=list(STACK_ENVS))
def stack(request: pytest.FixtureRequest) -> tuple[str, Synth]:
    from cdktf import Testing

    from lib.config import StackConfig
    from lib.tap_stack import TapStack

    env = {**STACK_ENVS[request.param], "PERMISSIONS_BOUNDARY": boundary_name(request.param)}
    config = StackConfig.from_env(env)
    return request.param, Synth(config.stack_id, synthesize(TapStack(Testing.app(), config.stack_id, config)))


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
    if type_ == "aws_backup_vault":
        return f"arn:aws:backup:{region}:{ACCOUNT}:backup-vault:{body['name']}"
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
        role = policy_role.get(f"${{aws_iam_policy.{logical_id}.arn}}")
        if role is None:  # the caller policy: for the API's callers' roles, not the stack's
            assert body["name"].startswith("tap-payments-invoke-"), body["name"]
            continue
        for stmt in policy_of(body)["Statement"]:
            assert stmt["Effect"] == "Allow"
            for action in stmt["Action"]:
                for resource in stmt["Resource"]:
                    concrete = re.sub(r"\$\{[^}]+\.arn\}", lambda m: arns[m.group(0)], resource)
                    concrete = concrete.replace(TOKEN, ACCOUNT).replace("*", "x")
                    parts = concrete.split(":")
                    region = parts[3] if len(parts) > 3 and parts[3] else "us-east-1"
                    context = {
                        "aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                        # The function and the replication use their keys through S3 (the handler
                        # calls S3 and DynamoDB only: lib/lambda/payments_runtime.py).
                        "kms:ViaService": f"s3.{region}.amazonaws.com",
                    }
                    requests.append((role, Request(action, concrete, context=context, complete=True)))
    return requests


def test_the_boundary_allows_everything_the_stacks_roles_are_granted(stack):
    target, synth = stack
    requests = _requests(synth)
    # function, replication and backup role per region, and the account's API Gateway role (its
    # owner's)
    assert len({role for role, _ in requests}) == (7 if TARGETS[target][2] else 6)
    document = boundary(target)
    refused = [
        f"{role}: {r.action} {r.resource}"
        for role, r in requests
        if evaluate([document], r) != PermissionResult.PERMITTED
    ]
    assert refused == []


def decision(target: str, action: str, resource: str, **context: str) -> PermissionResult:
    return evaluate([boundary(target)], Request(action, resource, context=context, complete=True))


@pytest.mark.parametrize("tag", [None, "pr7", "staging", "prod"])
def test_another_environments_data_is_outside_a_roles_boundary_whatever_its_tags(tag):
    """The boundary reads no tag: a session tag ("New session tags override existing assumed
    role or federated user tags with the same tag key") changes nothing."""
    context = {"aws:PrincipalTag/EnvironmentSuffix": tag} if tag else {}
    table = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/tap-payments-{{}}"
    objects = f"arn:aws:s3:::tap-receipts-primary-{{}}-{ACCOUNT}/receipts/x"
    allowed, denied, neutral = PermissionResult.PERMITTED, PermissionResult.DENIED, PermissionResult.NEUTRAL
    expected = {
        ("prod", "prod"): allowed,
        ("prod", "pr7"): neutral,
        ("prod", "staging"): denied,
        ("preview", "pr7"): allowed,
        ("preview", "prod"): denied,  # tap-*-pr* matches it: the trap, denied by name
        ("preview", "staging"): denied,
        ("staging", "prod"): denied,
    }
    for (target, suffix), result in expected.items():
        assert decision(target, "dynamodb:PutItem", table.format(suffix), **context) == result, (
            target,
            suffix,
        )
        assert decision(target, "s3:GetObject", objects.format(suffix), **context) == result, (target, suffix)
    # the index of another environment's table (tap-*-pr* spans the "/")
    index = table.format("prod") + "/index/by-status"
    assert decision("preview", "dynamodb:Query", index, **context) == denied
    assert decision("prod", "dynamodb:Query", index, **context) == allowed


def test_keys_only_through_the_stacks_services_and_logs_only_for_the_logging_role():
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"
    via_s3 = {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    assert decision("prod", "kms:Decrypt", key, **via_s3) == PermissionResult.PERMITTED
    assert decision("prod", "kms:Decrypt", key) == PermissionResult.NEUTRAL
    # the account's log groups only for the account's API Gateway logging role, and only in the
    # boundary of the target that creates that role (staging owns the account's settings)
    group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/tap-payments-api-primary-prod"
    other_role = {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/tap-payments-api-fn-primary-staging"}
    assert decision("staging", "logs:FilterLogEvents", group, **other_role) != PermissionResult.PERMITTED
    logging_role = {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/{APIGATEWAY_CLOUDWATCH_ROLE}"}
    execution_logs = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:API-Gateway-Execution-Logs_a1b2/v1"
    assert (
        decision("staging", "logs:CreateLogGroup", execution_logs, **logging_role)
        == PermissionResult.PERMITTED
    )
    for target in ("preview", "prod"):
        assert (
            decision(target, "logs:CreateLogGroup", execution_logs, **logging_role)
            == PermissionResult.NEUTRAL
        )


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
    for target in TARGETS:
        assert evaluate([boundary(target)], request) == PermissionResult.DENIED


def test_no_allow_in_the_boundary_names_a_wildcard_action():
    allowed = [a for s in boundary()["Statement"] if s["Effect"] == "Allow" for a in s["Action"]]
    assert allowed and not [a for a in allowed if "*" in a]
    assert sorted(NEVER) == NEVER


def test_values_the_boundary_spells_out_match_where_they_are_defined():
    from lib import backup
    from lib.keys import VIA_SERVICES as KEY_SERVICES
    from lib.regional_function import XRAY_WRITE_ACTIONS as FUNCTION_XRAY

    assert VIA_SERVICES == KEY_SERVICES
    assert XRAY_WRITE_ACTIONS == FUNCTION_XRAY
    # the backup role's reads, less what the other roles already had on the same names
    assert sorted([*BACKUP_BUCKET_ACTIONS, "s3:ListBucket"]) == backup.S3_BUCKET_ACTIONS
    assert (
        sorted(
            [*BACKUP_OBJECT_ACTIONS, "s3:GetObject", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
        )
        == backup.S3_OBJECT_ACTIONS
    )
    assert (
        set(backup.NO_ERASURE)
        < set(NO_BACKUP_ERASURE)
        == {
            *backup.NO_ERASURE,
            "backup:DeleteBackupVaultLockConfiguration",
        }
    )


@pytest.mark.parametrize(
    "action",
    [
        "backup:DeleteRecoveryPoint",
        "backup:UpdateRecoveryPointLifecycle",
        "backup:DeleteBackupVaultLockConfiguration",
    ],
)
def test_no_role_of_any_environment_erases_a_backup_or_unlocks_a_vault(action):
    """Whatever a later edit allows: a role a deploy role creates cannot undo lib/backup.py."""
    for target, (suffix, _, _) in TARGETS.items():
        own = suffix.replace("*", "7")
        for resource in (
            f"arn:aws:backup:us-east-1:{ACCOUNT}:recovery-point:1EB3B5E7-9EB0-435A-A80B-108B488B0D45",
            f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:tap-backups-primary-{own}",
        ):
            assert decision(target, action, resource) == PermissionResult.DENIED, (target, resource)


def test_a_backup_role_copies_only_into_its_own_environments_vaults():
    vault = f"arn:aws:backup:us-west-2:{ACCOUNT}:backup-vault:tap-backups-secondary-{{}}"
    allowed, denied = PermissionResult.PERMITTED, PermissionResult.DENIED
    for target, suffix, result in (
        ("prod", "prod", allowed),
        ("staging", "prod", denied),
        ("preview", "prod", denied),  # tap-*-pr* matches it: denied by name
        ("preview", "pr7", allowed),
        ("prod", "staging", denied),
    ):
        assert decision(target, "backup:CopyIntoBackupVault", vault.format(suffix)) == result, (
            target,
            suffix,
        )

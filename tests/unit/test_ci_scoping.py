"""The CI roles against the names of the stacks they deploy (lib/ci_permissions.py,
lib/ci_fences.py, lib/ci_roles.py), evaluated with the emulator's IAM evaluator
(local_aws/iam_policy.py) over the synthesized bootstrap: each deploy role reaches its own
environment's names, tags and state and no other's (the preview role's ``pr*`` included, which
also matches ``prod``); the plan role reads staging only; no role creates, attaches or
re-bounds a role without the workload boundary (issue 25)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from lib.ci_bootstrap_config import ROLE_TARGETS, BootstrapConfig, boundary_name
from lib.config import APIGATEWAY_CLOUDWATCH_ROLE, QUERY_LOG_GROUP_PREFIX
from local_aws.iam_policy import PermissionResult, Request, action_matches, evaluate
from tests.unit.conftest import Synth, policy_of, synthesize

ACCOUNT = "123456789012"
TOKEN = "${data.aws_caller_identity.caller.account_id}"
STATE_BUCKET = f"arn:aws:s3:::tap-terraform-state-{ACCOUNT}-us-east-2"
STATE_KEY = f"arn:aws:kms:us-east-2:{ACCOUNT}:key/state"
BOUNDARIES = {
    "preview": "tap-ci-boundary-preview",
    "staging": "tap-ci-boundary-staging",
    "production": "tap-ci-boundary-production",
}


def boundary_arn(kind: str) -> str:
    """The ARN of the boundary of the ``kind`` role's environment (the plan role's: staging's)."""
    return f"arn:aws:iam::{ACCOUNT}:policy/{BOUNDARIES['staging' if kind == 'plan' else kind]}"


ROLES = ("plan", "preview", "staging", "production")
# Each pipeline target as .github/deploy-targets.json describes it; preview: pull request 7.
TARGETS = {
    "preview": {"ENVIRONMENT_SUFFIX": "pr7", "ENVIRONMENT": "dev", "MANAGE_ACCOUNT_SETTINGS": "false"},
    "staging": {"ENVIRONMENT_SUFFIX": "staging", "ENVIRONMENT": "staging", "MANAGE_ACCOUNT_SETTINGS": "true"},
    "prod": {
        "ENVIRONMENT_SUFFIX": "prod",
        "ENVIRONMENT": "prod",
        "MANAGE_ACCOUNT_SETTINGS": "false",
        "ALARM_SUBSCRIPTIONS": "email:oncall@acme-corp.io",
    },
}
OWN_TARGET = {"plan": "staging", "preview": "preview", "staging": "staging", "production": "prod"}
# What changes a role's permissions: only with the workload boundary (the SAR lists
# iam:PermissionsBoundary for each of these).
BOUNDED_ACTIONS = (
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
)
NEVER_ALLOWED = ("iam:DeleteRolePermissionsBoundary", "iam:PutRolePolicy", "iam:DeleteRolePolicy")
POLICY_WRITES = ("iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")


def synth_bootstrap() -> dict[str, Any]:
    """The CI bootstrap as the committed targets file describes the pipeline, synthesized."""
    from cdktf import Testing

    from lib.ci_bootstrap import CiBootstrapStack

    config = BootstrapConfig.from_env({"GITHUB_REPOSITORY": "acme-corp/payments-dr"})
    return json.loads(
        Testing.synth(CiBootstrapStack(Testing.app(), "boot", config=config, local_state_path="s"))
    )


@pytest.fixture(scope="module")
def boot() -> dict[str, Any]:
    return synth_bootstrap()


@pytest.fixture(scope="module")
def stacks() -> dict[str, Synth]:
    from cdktf import Testing

    from lib.config import StackConfig
    from lib.tap_stack import TapStack

    built = {}
    for target, env in TARGETS.items():
        config = StackConfig.from_env({**env, "PERMISSIONS_BOUNDARY": boundary_name(target)})
        built[target] = Synth(config.stack_id, synthesize(TapStack(Testing.app(), config.stack_id, config)))
    return built


def _concrete(text: str) -> str:
    """A synthesized policy as IAM receives it for account ACCOUNT (references resolved)."""
    text = text.replace(TOKEN, ACCOUNT)
    text = re.sub(r"\$\{aws_s3_bucket\.[^}]+\.arn\}", STATE_BUCKET, text)
    return re.sub(r"\$\{aws_kms_key\.[^}]+\.arn\}", STATE_KEY, text)


def role_documents(boot: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """Every policy attached to ``tap-ci-<kind>``, parsed."""
    resources = boot["resource"]
    (role_id,) = [i for i, r in resources["aws_iam_role"].items() if r["name"] == f"tap-ci-{kind}"]
    found = []
    for attachment in resources["aws_iam_role_policy_attachment"].values():
        if attachment["role"] == f"${{aws_iam_role.{role_id}.name}}":
            policy_id = attachment["policy_arn"].removeprefix("${aws_iam_policy.").removesuffix(".arn}")
            found.append(json.loads(_concrete(resources["aws_iam_policy"][policy_id]["policy"])))
    assert found, kind
    return found


def allows(documents: list[dict[str, Any]], action: str, resource: str, **context: str) -> bool:
    request = Request(action, resource, context=context, complete=True)
    return evaluate(documents, request) == PermissionResult.PERMITTED


def samples(stack: Synth) -> list[tuple[str, str | None, str]]:
    """(read action, write action, ARN) for each resource the stack names, and its state."""

    def names(type_: str, key: str = "name") -> list[str]:
        return [body[key].replace(TOKEN, ACCOUNT) for body in stack.resources(type_).values()]

    arn = f"arn:aws:{{}}:us-east-1:{ACCOUNT}:{{}}"
    found = [
        *(
            (None, "dynamodb:DeleteTable", arn.format("dynamodb", f"table/{n}"))
            for n in names("aws_dynamodb_table")
        ),
        *((None, "s3:DeleteBucket", f"arn:aws:s3:::{n}") for n in names("aws_s3_bucket", "bucket")),
        *((None, "s3:DeleteObject", f"arn:aws:s3:::{n}/any") for n in names("aws_s3_bucket", "bucket")),
        *(
            ("lambda:GetFunction", "lambda:DeleteFunction", arn.format("lambda", f"function:{n}"))
            for n in names("aws_lambda_function", "function_name")
        ),
        *(
            ("iam:GetRole", "iam:DeleteRole", f"arn:aws:iam::{ACCOUNT}:role/{n}")
            for n in names("aws_iam_role")
            # The account's logging role is deleted by an administrator only (test_ci_escalation).
            if n != APIGATEWAY_CLOUDWATCH_ROLE
        ),
        *(
            ("iam:GetPolicy", "iam:DeletePolicy", f"arn:aws:iam::{ACCOUNT}:policy/{n}")
            for n in names("aws_iam_policy")
        ),
        *(
            ("logs:ListTagsForResource", "logs:DeleteLogGroup", arn.format("logs", f"log-group:{n}:*"))
            for n in names("aws_cloudwatch_log_group")
            if "${" not in n and not n.startswith(QUERY_LOG_GROUP_PREFIX)  # random ids, domains: residual
        ),
        *(
            ("cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms", arn.format("cloudwatch", f"alarm:{n}"))
            for n in names("aws_cloudwatch_metric_alarm", "alarm_name")
        ),
        *(
            ("sns:GetTopicAttributes", "sns:DeleteTopic", arn.format("sns", n))
            for n in names("aws_sns_topic")
        ),
        *(
            ("ssm:GetParameter", "ssm:DeleteParameter", arn.format("ssm", f"parameter{n}"))
            for n in names("aws_ssm_parameter")
        ),
        *(
            ("wafv2:GetWebACL", "wafv2:DeleteWebACL", arn.format("wafv2", f"regional/webacl/{n}/0a1b"))
            for n in names("aws_wafv2_web_acl")
        ),
        *((None, "kms:DeleteAlias", arn.format("kms", n)) for n in names("aws_kms_alias")),
        *(
            (
                "backup:DescribeBackupVault",
                "backup:DeleteBackupVault",
                arn.format("backup", f"backup-vault:{n}"),
            )
            for n in names("aws_backup_vault")
        ),
        *(
            (
                "backup:GetBackupVaultAccessPolicy",
                "backup:DeleteBackupVaultAccessPolicy",
                arn.format("backup", f"backup-vault:{n}"),
            )
            for n in names("aws_backup_vault")
        ),
        ("s3:GetObject", "s3:PutObject", f"{STATE_BUCKET}/{stack.stack_id}/terraform.tfstate"),
        (None, "s3:DeleteObject", f"{STATE_BUCKET}/{stack.stack_id}/terraform.tfstate.tflock"),
    ]
    assert len(found) > 40
    return found


@pytest.mark.parametrize("kind", ["preview", "staging", "production"])
def test_a_deploy_role_changes_its_own_environment_and_no_other(boot, stacks, kind):
    documents = role_documents(boot, kind)
    wrong = []
    for target, stack in stacks.items():
        own = target == OWN_TARGET[kind]
        for _, write, resource in samples(stack):
            if allows(documents, write, resource) != own:
                wrong.append(f"{'cannot' if own else 'can'} {write} {resource}")
    assert wrong == []


def test_the_plan_role_reads_staging_only_and_writes_nothing(boot, stacks):
    documents = role_documents(boot, "plan")
    wrong = []
    for target, stack in stacks.items():
        for read, write, resource in samples(stack):
            if read and allows(documents, read, resource) != (target == "staging"):
                wrong.append(f"{read} {resource}")
            if write and allows(documents, write, resource):
                wrong.append(f"{write} {resource}")
    assert wrong == []
    lock = f"{STATE_BUCKET}/TapStackstaging/terraform.tfstate.tflock"
    assert not allows(documents, "s3:GetObject", lock)  # -lock=false


@pytest.mark.parametrize(
    ("kind", "tags"),
    [
        ("preview", {"pr7": True, "staging": False, "prod": False}),
        ("staging", {"pr7": False, "staging": True, "prod": False}),
        ("production", {"pr7": False, "staging": False, "prod": True}),
        ("plan", {"pr7": False, "staging": True, "prod": False}),
    ],
)
def test_resources_named_by_random_ids_are_fenced_by_their_environment_tag(boot, kind, tags):
    """A KMS key, an API key (its value: a secret) and a certificate of another environment."""
    documents = role_documents(boot, kind)
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-0000-0000-0000-000000000000"
    api_key = "arn:aws:apigateway:us-east-1::/apikeys/abc123"
    certificate = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0000"
    for suffix, expected in tags.items():
        tag = {"aws:ResourceTag/EnvironmentSuffix": suffix}
        via_ssm = {**tag, "kms:ViaService": "ssm.us-east-1.amazonaws.com", "kms:CallerAccount": ACCOUNT}
        assert allows(documents, "kms:Decrypt", key, **via_ssm) == expected, suffix
        assert allows(documents, "apigateway:GET", api_key, **tag) == expected, suffix
        assert allows(documents, "acm:DescribeCertificate", certificate, **tag) == expected, suffix
        if kind != "plan":
            assert allows(documents, "kms:ScheduleKeyDeletion", key, **tag) == expected, suffix
            assert allows(documents, "apigateway:DELETE", api_key, **tag) == expected, suffix


@pytest.mark.parametrize(
    ("kind", "suffix", "role"),
    [
        ("preview", "pr7", "tap-payments-api-fn-primary-pr7"),
        ("staging", "staging", "tap-payments-api-fn-primary-staging"),
        ("production", "prod", "tap-payments-api-fn-primary-prod"),
    ],
)
def test_a_role_is_created_only_with_the_boundary_and_its_own_suffix_tag(boot, kind, suffix, role):
    documents = role_documents(boot, kind)
    arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
    bounded = {"iam:PermissionsBoundary": boundary_arn(kind)}
    assert allows(documents, "iam:CreateRole", arn, **bounded, **{"aws:RequestTag/EnvironmentSuffix": suffix})
    assert not allows(documents, "iam:CreateRole", arn, **{"aws:RequestTag/EnvironmentSuffix": suffix})
    other = f"arn:aws:iam::{ACCOUNT}:policy/tap-other"
    assert not allows(documents, "iam:CreateRole", arn, **{"iam:PermissionsBoundary": other})
    for foreign in {"pr7", "staging", "prod"} - {suffix}:
        tag = {"aws:RequestTag/EnvironmentSuffix": foreign}
        assert not allows(documents, "iam:CreateRole", arn, **bounded, **tag), foreign
        assert not allows(documents, "iam:TagRole", arn, **tag), foreign
    own_policy = f"arn:aws:iam::{ACCOUNT}:policy/{role}"
    assert allows(documents, "iam:AttachRolePolicy", arn, **bounded, **{"iam:PolicyARN": own_policy})
    assert not allows(documents, "iam:AttachRolePolicy", arn, **{"iam:PolicyARN": own_policy})
    ci_policy = f"arn:aws:iam::{ACCOUNT}:policy/tap-ci-{kind}-operations"
    assert not allows(documents, "iam:AttachRolePolicy", arn, **bounded, **{"iam:PolicyARN": ci_policy})
    assert allows(documents, "iam:PutRolePermissionsBoundary", arn, **bounded)
    assert not allows(documents, "iam:DeleteRolePermissionsBoundary", arn, **bounded)


@pytest.mark.parametrize("kind", ROLES)
def test_no_ci_role_erases_a_backup_unlocks_a_vault_or_restores(boot, stacks, kind):
    """The deploy role's attacker cannot erase what lib/backup.py keeps, in its own environment
    either: no grant of these, whatever the vault's access policy says (lib/backup.py)."""
    documents = role_documents(boot, kind)
    recovery_point = f"arn:aws:backup:us-east-1:{ACCOUNT}:recovery-point:1EB3B5E7-9EB0-435A-A80B-108B488B0D45"
    table_backup = (
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/tap-payments-prod/backup/01234567890123-abcdefgh"
    )
    for stack in stacks.values():
        for vault in stack.resources("aws_backup_vault").values():
            arn = f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:{vault['name']}"
            for action in ("backup:DeleteBackupVaultLockConfiguration", "backup:StartRestoreJob"):
                assert not allows(documents, action, arn), (action, arn)
    for action in (
        "backup:DeleteRecoveryPoint",
        "backup:UpdateRecoveryPointLifecycle",
        "backup:StartRestoreJob",
        "backup:StartCopyJob",
    ):
        assert not allows(documents, action, recovery_point), action
    assert not allows(documents, "dynamodb:DeleteBackup", table_backup)


@pytest.mark.parametrize(
    ("kind", "tags"),
    [
        ("preview", {"pr7": True, "staging": False, "prod": False}),
        ("production", {"pr7": False, "staging": False, "prod": True}),
        ("plan", {"pr7": False, "staging": True, "prod": False}),
    ],
)
def test_backup_plans_named_by_random_ids_are_fenced_by_their_environment_tag(boot, kind, tags):
    documents = role_documents(boot, kind)
    plan = f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-plan:0a1b2c3d-0000-0000-0000-000000000000"
    for suffix, expected in tags.items():
        tag = {"aws:ResourceTag/EnvironmentSuffix": suffix}
        assert allows(documents, "backup:GetBackupPlan", plan, **tag) == expected, suffix
        if kind != "plan":
            assert allows(documents, "backup:UpdateBackupPlan", plan, **tag) == expected, suffix
            assert allows(documents, "backup:DeleteBackupSelection", plan, **tag) == expected, suffix


def _statements(boot: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [s for document in role_documents(boot, kind) for s in document["Statement"]]


def _actions(stmt: dict[str, Any]) -> list[str]:
    return [stmt["Action"]] if isinstance(stmt["Action"], str) else stmt["Action"]


@pytest.mark.parametrize("kind", ROLES)
def test_no_allow_creates_attaches_or_rebounds_a_role_without_the_boundary(boot, kind):
    """The issue's goal: no statement that creates or changes a role without a boundary
    condition. Every Allow of every CI role naming a boundary-carrying action holds
    StringEquals iam:PermissionsBoundary = the boundary of its own environment."""
    unbounded = [
        (s["Sid"], action)
        for s in _statements(boot, kind)
        if s["Effect"] == "Allow"
        for action in BOUNDED_ACTIONS
        if any(action_matches(pattern, action) for pattern in _actions(s))
        and s.get("Condition", {}).get("StringEquals", {}).get("iam:PermissionsBoundary")
        != boundary_arn(kind)
    ]
    assert unbounded == []
    allowed = {a for s in _statements(boot, kind) if s["Effect"] == "Allow" for a in _actions(s)}
    assert not [a for a in NEVER_ALLOWED if any(action_matches(p, a) for p in allowed)]


@pytest.mark.parametrize("kind", ["preview", "staging", "production"])
def test_what_creates_policies_cannot_reach_the_boundary_or_the_ci_policies(boot, kind):
    """CreatePolicy and CreatePolicyVersion carry no iam:PermissionsBoundary key: a policy they
    write grants only once attached, which needs the boundary (above); the boundary policy and
    the CI's own policies and roles are denied every IAM action the role holds."""
    documents = role_documents(boot, kind)
    for name in (*BOUNDARIES.values(), f"tap-ci-{kind}-compute", "tap-ci-deploy-guardrails"):
        policy = f"arn:aws:iam::{ACCOUNT}:policy/{name}"
        for action in (*POLICY_WRITES, "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:TagPolicy"):
            assert not allows(documents, action, policy), (action, name)
    for name in ("tap-ci-plan", "tap-ci-production", "tap-ci-preview"):
        role = f"arn:aws:iam::{ACCOUNT}:role/{name}"
        for action in ("iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:DeleteRole"):
            assert not allows(documents, action, role), (action, name)
        bounded = {
            "iam:PermissionsBoundary": boundary_arn(kind),
            "iam:PolicyARN": f"arn:aws:iam::{ACCOUNT}:policy/x",
        }
        assert not allows(documents, "iam:AttachRolePolicy", role, **bounded), name
    # and it may still write its own environment's policies (the stack's)
    own = {"preview": "pr7", "staging": "staging", "production": "prod"}[kind]
    assert allows(
        documents, "iam:CreatePolicy", f"arn:aws:iam::{ACCOUNT}:policy/tap-payments-api-fn-primary-{own}"
    )


def test_each_target_deploys_with_the_boundary_its_deploy_role_requires(boot):
    """deploy/ci_target.py's PERMISSIONS_BOUNDARY, the policy the bootstrap creates and the one
    the deploy role's CreateRole requires are the same, per target."""
    for kind, name in BOUNDARIES.items():
        assert boundary_name(ROLE_TARGETS[kind]) == name
        (boundary,) = [p for p in boot["resource"]["aws_iam_policy"].values() if p["name"] == name]
        assert policy_of(boundary)["Statement"]
        (create,) = [s for s in _statements(boot, kind) if s["Sid"] == "IamCreateRolesWithBoundary"]
        assert create["Condition"]["StringEquals"]["iam:PermissionsBoundary"] == boundary_arn(kind)

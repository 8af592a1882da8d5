"""The CI bootstrap: lib/ci_bootstrap.py (the stack), lib/ci_permissions.py (the permission table,
checked against the synthesized main stack), lib/ci_scopes.py, lib/ci_roles.py (the GitHub OIDC
roles and their policies), lib/ci_state_bucket.py, lib/ci_bootstrap_config.py and
deploy/bootstrap.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from deploy import bootstrap
from lib.ci_bootstrap_config import (
    GITHUB_OIDC_URL,
    LOCAL_STATE_FILE,
    STACK_ID,
    BootstrapConfig,
)
from lib.config import ConfigError
from tests.unit.conftest import ROOT, Synth, Validations, policy_of, synthesize

REPOSITORY = "acme-corp/payments-dr"
ENV = {"GITHUB_REPOSITORY": REPOSITORY}
ACCOUNT = "${data.aws_caller_identity.caller.account_id}"
OIDC = "${aws_iam_openid_connect_provider.github-oidc.arn}"
SUBJECTS = {
    "plan": [f"repo:{REPOSITORY}:pull_request"],
    "preview": [f"repo:{REPOSITORY}:environment:preview"],
    "release": [f"repo:{REPOSITORY}:environment:staging", f"repo:{REPOSITORY}:environment:production"],
}
GITHUB_VARIABLES = {
    "AWS_PLAN_ROLE_ARN",
    "AWS_PREVIEW_ROLE_ARN",
    "AWS_RELEASE_ROLE_ARN",
    "TERRAFORM_STATE_BUCKET",
    "TERRAFORM_STATE_BUCKET_REGION",
}
DATA_READS = {
    "dynamodb:BatchGetItem",
    "dynamodb:GetItem",
    "dynamodb:PartiQLSelect",
    "dynamodb:Query",
    "dynamodb:Scan",
    "s3:GetObject",
    "s3:GetObjectVersion",
}
WRITE_VERBS = re.compile(
    r"^(Add|Associate|Attach|Batch|Cancel|Change|Create|Delete|Detach|Disable|Disassociate|Enable|"
    r"Encrypt|Generate|Invoke|Pass|Publish|Put|Remove|Replicate|Request|Restore|Retire|Revoke|"
    r"Schedule|Set|Tag|Untag|Update|POST|PUT|PATCH|DELETE)"
)


# --- fixtures: one synth per variant -----------------------------------------------------------


@pytest.fixture(scope="module")
def ci(tmp_path_factory: pytest.TempPathFactory, validations: Validations) -> Synth:
    """The bootstrap as `python -m deploy.bootstrap synth` writes it (checkov reads this file)."""
    outdir = tmp_path_factory.mktemp("ci-bootstrap")
    stack_file = bootstrap.synth(BootstrapConfig.from_env(ENV), outdir)
    synthesized = json.loads(stack_file.read_text())
    validations.start("ci-bootstrap", synthesized)
    return Synth(STACK_ID, synthesized)


@pytest.fixture(scope="module")
def existing_oidc() -> Synth:
    from cdktf import Testing

    from lib.ci_bootstrap import CiBootstrapStack

    config = BootstrapConfig.from_env({**ENV, "CREATE_OIDC_PROVIDER": "false"})
    stack = CiBootstrapStack(Testing.app(), STACK_ID, config=config, local_state_path="state.tfstate")
    return Synth(STACK_ID, synthesize(stack))


def _by_name(synth: Synth, type_: str, key: str = "name") -> dict[str, dict[str, Any]]:
    return {body[key]: body for body in synth.resources(type_).values()}


def _logical(synth: Synth, type_: str, name: str, key: str = "name") -> str:
    (found,) = [lid for lid, body in synth.resources(type_).items() if body[key] == name]
    return found


def _attached(synth: Synth, role: str) -> dict[str, dict[str, Any]]:
    """The policies attached to the role named ``role``: {policy name: parsed document}."""
    role_ref = f"${{aws_iam_role.{_logical(synth, 'aws_iam_role', role)}.name}}"
    policies = {lid: body for lid, body in synth.resources("aws_iam_policy").items()}
    attached = {}
    for attachment in synth.resources("aws_iam_role_policy_attachment").values():
        if attachment["role"] == role_ref:
            logical_id = attachment["policy_arn"].removeprefix("${aws_iam_policy.").removesuffix(".arn}")
            attached[policies[logical_id]["name"]] = policy_of(policies[logical_id])
    return attached


def _statements(documents: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for document in documents.values() for s in document["Statement"]]


def _allowed(documents: dict[str, dict[str, Any]]) -> set[str]:
    return {a for s in _statements(documents) if s["Effect"] == "Allow" for a in s["Action"]}


def _every_policy(synth: Synth) -> list[tuple[str, dict[str, Any]]]:
    found = [(body["name"], policy_of(body)) for body in synth.resources("aws_iam_policy").values()]
    found += [(body["name"], policy_of(body, "assume_role_policy")) for body in _roles(synth).values()]
    found += [("key", policy_of(body)) for body in synth.resources("aws_kms_key").values()]
    found += [("bucket", policy_of(body)) for body in synth.resources("aws_s3_bucket_policy").values()]
    return found


def _roles(synth: Synth) -> dict[str, dict[str, Any]]:
    return _by_name(synth, "aws_iam_role")


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


# --- configuration -----------------------------------------------------------------------------


def test_the_state_defaults_to_us_east_2_outside_the_dr_pair(ci):
    config = BootstrapConfig.from_env(ENV)
    assert (config.state_bucket_region, config.create_oidc_provider) == ("us-east-2", True)
    assert ci.json["provider"]["aws"][0]["region"] == "us-east-2"
    assert ci.output("state_bucket_region")["value"] == "us-east-2"


def test_every_problem_is_reported_in_one_message():
    with pytest.raises(ConfigError) as raised:
        BootstrapConfig.from_env(
            {
                "GITHUB_REPOSITORY": "acme corp/payments",
                "STATE_BUCKET_REGION": "us-middle-9",
                "CREATE_OIDC_PROVIDER": "yes",
            }
        )
    lines = str(raised.value).splitlines()
    assert lines[0] == "Invalid bootstrap configuration:"
    assert [line.split("=")[0].strip(" -") for line in lines[1:]] == [
        "GITHUB_REPOSITORY",
        "STATE_BUCKET_REGION",
        "CREATE_OIDC_PROVIDER",
    ]
    assert "'acme corp/payments'" in lines[1] and "'us-middle-9'" in lines[2] and "'yes'" in lines[3]


@pytest.mark.parametrize(
    "repository",
    [
        "",
        "payments-dr",
        "-acme/payments",
        "acme-/payments",
        "ac--me/payments",
        "acme/",
        "acme/..",
        "a" * 40 + "/x",
    ],
)
def test_a_repository_github_would_not_allow_is_refused(repository):
    with pytest.raises(ConfigError, match="GITHUB_REPOSITORY"):
        BootstrapConfig.from_env({"GITHUB_REPOSITORY": repository})


@pytest.mark.parametrize("repository", ["Acme-Corp/payments.dr_v2", "a/b", "a" * 39 + "/" + "r" * 100])
def test_repositories_github_allows_are_accepted_as_spelled(repository):
    config = BootstrapConfig.from_env({"GITHUB_REPOSITORY": repository})
    assert config.subjects("plan") == [f"repo:{repository}:pull_request"]


def test_a_region_of_the_dr_pair_is_refused_for_the_state():
    with pytest.raises(ConfigError, match=r"STATE_BUCKET_REGION='us-west-2' is a region of the DR pair"):
        BootstrapConfig.from_env({**ENV, "STATE_BUCKET_REGION": "us-west-2"})
    # ... the pair as configured for the main stack, not only its defaults
    env = {**ENV, "PRIMARY_REGION": "eu-west-1", "SECONDARY_REGION": "eu-central-1"}
    assert (
        BootstrapConfig.from_env({**env, "STATE_BUCKET_REGION": "us-east-1"}).state_bucket_region
        == "us-east-1"
    )
    with pytest.raises(ConfigError, match="eu-west-1, eu-central-1"):
        BootstrapConfig.from_env({**env, "STATE_BUCKET_REGION": "eu-west-1"})


# --- OIDC provider and trust -------------------------------------------------------------------


def test_github_oidc_provider_without_thumbprints(ci):
    (provider,) = ci.resources("aws_iam_openid_connect_provider").values()
    assert provider["url"] == GITHUB_OIDC_URL
    assert provider["client_id_list"] == ["sts.amazonaws.com"]
    assert "thumbprint_list" not in provider  # optional in 5.100: AWS trusts GitHub's CA


@pytest.mark.parametrize("kind", ["plan", "preview", "release"])
def test_each_role_trusts_only_its_exact_github_subjects(ci, kind):
    role = _roles(ci)[f"tap-ci-{kind}"]
    trust = policy_of(role, "assume_role_policy")
    assert trust["Statement"] == [
        {
            "Sid": "GithubActionsOidc",
            "Effect": "Allow",
            "Principal": {"Federated": OIDC},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    "token.actions.githubusercontent.com:sub": SUBJECTS[kind],
                }
            },
        }
    ]
    assert role["max_session_duration"] == (3600 if kind == "plan" else 7200)


def test_an_existing_oidc_provider_is_looked_up_by_its_url(existing_oidc):
    assert existing_oidc.resources("aws_iam_openid_connect_provider") == {}
    data = existing_oidc.json["data"]["aws_iam_openid_connect_provider"]["github-oidc"]
    assert data["url"] == GITHUB_OIDC_URL and data["provider"] == "aws"
    for role in _roles(existing_oidc).values():
        federated = policy_of(role, "assume_role_policy")["Statement"][0]["Principal"]["Federated"]
        assert federated == "${data.aws_iam_openid_connect_provider.github-oidc.arn}"


def test_every_resource_and_data_source_names_its_provider(ci):
    for section in ("resource", "data"):
        for type_, blocks in ci.json[section].items():
            for logical_id, body in blocks.items():
                assert body.get("provider") == "aws", f"{type_}.{logical_id}"


# --- the permission table against the main stack -----------------------------------------------


def test_every_resource_type_of_the_main_stack_has_deploy_permissions(dev):
    from lib.ci_permissions import DEPLOY_ACTIONS

    used = set(dev.json["resource"]) | {f"data.{t}" for t in dev.json["data"]}
    assert set(DEPLOY_ACTIONS) == used  # a new type fails here until the CI roles can deploy it
    # A validation only waits for ACM to issue the certificate; sts:GetCallerIdentity needs nothing.
    waits = {"aws_acm_certificate_validation", "data.aws_caller_identity"}
    for type_, entries in DEPLOY_ACTIONS.items():
        assert any(e.read for e in entries) or type_.startswith("data."), f"{type_}: a plan cannot refresh it"
        assert any(e.write for e in entries) != (type_ in waits), f"{type_}: a deploy cannot create it"


def _covered(arn: str, scope: Any, account: str = ACCOUNT) -> bool:
    from lib.ci_scopes import render

    return any(fnmatchcase(arn, pattern) for pattern in render(list(scope.resources), account))


def test_the_main_stacks_names_fall_in_the_deploy_scopes(dev):
    from lib import ci_permissions as table

    def names(type_: str, key: str = "name") -> list[str]:
        found = [body[key] for body in dev.resources(type_).values()]
        assert found, type_
        return found

    expected = [
        *((f"arn:aws:s3:::{n}", table.S3_BUCKETS) for n in names("aws_s3_bucket", "bucket")),
        *((f"arn:aws:iam::{ACCOUNT}:role/{n}", table.IAM_ROLES) for n in names("aws_iam_role")),
        *((f"arn:aws:iam::{ACCOUNT}:policy/{n}", table.IAM_POLICIES) for n in names("aws_iam_policy")),
        *(
            (f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{n}", table.DYNAMODB_TABLES)
            for n in names("aws_dynamodb_table")
        ),
        *(
            (f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{n}", table.LAMBDA_FUNCTIONS)
            for n in names("aws_lambda_function", "function_name")
        ),
        *(
            (f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{n}", table.LOG_GROUPS)
            for n in names("aws_cloudwatch_log_group")
        ),
        *((f"arn:aws:kms:us-east-1:{ACCOUNT}:{n}", table.KMS_ALIASES) for n in names("aws_kms_alias")),
        *((f"arn:aws:sns:us-east-1:{ACCOUNT}:{n}", table.TOPICS) for n in names("aws_sns_topic")),
        *(
            (f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{n}", table.ALARMS)
            for n in names("aws_cloudwatch_metric_alarm", "alarm_name")
        ),
        *(
            (f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{n}", table.PARAMETERS)
            for n in names("aws_ssm_parameter")
        ),
        *(
            (f"arn:aws:wafv2:us-east-1:{ACCOUNT}:regional/webacl/{n}/0a1b2c", table.WAF_ACLS)
            for n in names("aws_wafv2_web_acl")
        ),
    ]
    assert [arn for arn, scope in expected if not _covered(arn, scope)] == []


def test_the_state_bucket_and_the_ci_roles_are_not_what_the_deploy_scopes_mean(ci):
    from lib import ci_permissions as table

    (bucket,) = ci.resources("aws_s3_bucket").values()
    assert bucket["bucket"] == f"tap-terraform-state-{ACCOUNT}-us-east-2"
    assert not _covered(f"arn:aws:s3:::{bucket['bucket']}", table.S3_BUCKETS)
    assert not _covered(f"arn:aws:s3:::{bucket['bucket']}/TapStackprod/terraform.tfstate", table.S3_OBJECTS)
    # The CI roles are tap-* too: the guardrails deny them (test below).
    assert _covered(f"arn:aws:iam::{ACCOUNT}:role/tap-ci-release", table.IAM_ROLES)


def test_resources_are_star_only_with_a_reason():
    from lib import ci_permissions as table

    scopes = {
        e.scope
        for by_key in (table.DEPLOY_ACTIONS, table.OPERATION_ACTIONS)
        for entries in by_key.values()
        for e in entries
    }
    for scope in scopes:
        if "*" in scope.resources:
            assert scope.resources == ("*",) and len(scope.why) > 20, scope.sid
        else:
            assert scope.why == "", scope.sid
            assert all(r.startswith("arn:aws:") for r in scope.resources), scope.sid
    assert len({s.sid for s in scopes}) == len(scopes)  # one statement per scope


def test_the_permission_table_is_declared_data():
    """lib/ci_permissions.py holds literal scopes and entries only: no function, class, loop,
    comprehension or f-string, and no call but Scope(...) and Permissions(...)."""
    import ast

    tree = ast.parse((ROOT / "lib" / "ci_permissions.py").read_text())
    assert ast.get_docstring(tree).startswith("DECLARED DATA: ")
    kinds = {type(node).__name__ for node in tree.body[1:]}
    assert kinds == {"ImportFrom", "Assign", "AnnAssign"}
    imports = [
        (node.module, [a.name for a in node.names]) for node in tree.body if isinstance(node, ast.ImportFrom)
    ]
    assert imports == [("__future__", ["annotations"]), ("lib.ci_scopes", ["ANY", "Permissions", "Scope"])]
    code = [
        type(node).__name__
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.Lambda, ast.comprehension, ast.JoinedStr, ast.Starred))
    ]
    assert code == []
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert called == {"Scope", "Permissions"}


def test_reading_the_table_loads_no_construct_code():
    probe = (
        "import sys; from lib import ci_permissions as t; "
        "print(len(t.DEPLOY_ACTIONS), "
        "any(m.startswith(('cdktf', 'jsii', 'constructs')) for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.stdout.split() == ["48", "False"], result.stderr


def test_values_the_table_spells_out_match_where_they_are_defined():
    from lib import ci_permissions as table
    from lib.api_contract import RECEIPTS_PREFIX
    from lib.ci_bootstrap_config import PREVIEW, RELEASE
    from lib.config import QUERY_LOG_GROUP_PREFIX
    from lib.failover_switch import NAMESPACE
    from lib.keys import VIA_SERVICES

    assert table.KMS_THROUGH_SERVICES.condition == {
        "StringLike": {"kms:ViaService": [f"{s}.*.amazonaws.com" for s in VIA_SERVICES]}
    }
    assert table.FAILOVER_SWITCH.condition == {"StringEquals": {"cloudwatch:namespace": NAMESPACE}}
    assert table.RECEIPTS.resources == (
        f"arn:aws:s3:::{{project}}-receipts-*-{{account}}/{RECEIPTS_PREFIX}*",
    )
    assert table.LOG_GROUPS.resources[-1] == f"arn:aws:logs:*:{{account}}:log-group:{QUERY_LOG_GROUP_PREFIX}*"
    assert list(table.ROLE_OPERATIONS) == [PREVIEW, RELEASE]
    assert {op for ops in table.ROLE_OPERATIONS.values() for op in ops} == set(table.OPERATION_ACTIONS)


def test_render_fills_the_account_and_the_project_in_nested_conditions():
    from lib import ci_permissions as table
    from lib.ci_scopes import render

    assert render(list(table.IAM_ATTACHMENTS.resources), "123456789012") == [
        "arn:aws:iam::123456789012:role/tap-*"
    ]
    assert render(table.IAM_ATTACHMENTS.condition, "123456789012", "acme") == {
        "ArnLike": {"iam:PolicyARN": "arn:aws:iam::123456789012:policy/acme-*"}
    }


def test_lib_ci_bootstrap_keeps_its_public_names():
    from lib import ci_bootstrap, ci_bootstrap_config, ci_permissions

    assert ci_bootstrap.__all__ == ["DEPLOY_ACTIONS", "BootstrapConfig", "CiBootstrapStack"]
    assert ci_bootstrap.DEPLOY_ACTIONS is ci_permissions.DEPLOY_ACTIONS
    assert ci_bootstrap.BootstrapConfig is ci_bootstrap_config.BootstrapConfig


def test_statements_follow_the_order_their_scopes_first_appear_in_the_table(ci):
    """The synthesized order is part of the policies (moving an entry of lib/ci_permissions.py
    rewrites them): grouped per policy, in the table's order."""
    sids = {
        body["name"]: [s["Sid"] for s in policy_of(body)["Statement"]]
        for body in ci.resources("aws_iam_policy").values()
    }
    assert sids["tap-ci-deploy-network"] == [
        "AcmCertificates",
        "NetworkCreates",
        "ApiGatewayAccount",
        "ApiGatewayKeysAndUsagePlans",
        "ApiGatewayTags",
        "ApiGatewayDomainNames",
        "ApiGatewayRestApis",
        "Route53HealthChecks",
        "Route53QueryLogs",
        "Route53Zones",
        "Route53Changes",
        "WafWebAcls",
        "ApiGatewayStageFirewalls",
    ]
    assert sids["tap-ci-deploy-compute"] == [
        "IamPassStackRoles",
        "DynamoDbTables",
        "KmsThroughStackServices",
        "DynamoDbReplicationServiceRole",
        "IamPolicies",
        "IamRoles",
        "IamAttachProjectPolicies",
        "KmsAliases",
        "KmsKeys",
        "KmsCreates",
        "LambdaFunctions",
        "S3Buckets",
        "S3ObjectsOnForceDestroy",
    ]
    assert sids["tap-ci-deploy-observability"] == [
        "LogGroups",
        "LogsAccountPolicies",
        "CloudWatchAlarms",
        "SnsTopics",
        "SsmParameters",
        "SsmDescribe",
        "LogDeliveries",
    ]
    # The plan role: the same order, without the scopes that only write.
    assert sids["tap-ci-plan-network"] == [
        s for s in sids["tap-ci-deploy-network"] if s not in ("NetworkCreates", "Route53Changes")
    ]
    assert sids["tap-ci-plan-compute"] == [
        "DynamoDbTables",
        "KmsThroughStackServices",
        "IamPolicies",
        "IamRoles",
        "KmsKeys",
        "KmsCreates",
        "LambdaFunctions",
        "S3Buckets",
    ]
    # One operations policy per deploy role: its groups one after the other.
    assert sids["tap-ci-release-operations"] == [
        "Preflight",
        "ReceiptObjects",
        "FailoverSwitch",
        "LambdaFunctions",
        "DynamoDbTables",
        "ApiGatewayAccount",
        "Route53Zones",
        "LogsAccountPolicies",
    ]
    assert sids["tap-ci-preview-operations"] == [
        s for s in sids["tap-ci-release-operations"] if s != "FailoverSwitch"
    ]


# --- policies ----------------------------------------------------------------------------------


def test_no_wildcard_action_in_any_policy_but_the_tls_deny(ci):
    wildcards = [
        (name, s.get("Sid"), s["Effect"], action)
        for name, document in _every_policy(ci)
        for s in document["Statement"]
        for action in _as_list(s["Action"])
        if action == "*" or action.endswith(":*")
    ]
    assert wildcards == [("bucket", "DenyInsecureTransport", "Deny", "s3:*")]


def test_pass_role_only_on_project_roles_and_only_to_the_stacks_services(ci):
    passing = [
        (name, s)
        for name, document in _every_policy(ci)
        for s in document["Statement"]
        if "iam:PassRole" in _as_list(s["Action"]) and s["Effect"] == "Allow"
    ]
    assert [name for name, _ in passing] == ["tap-ci-deploy-compute"]
    (_, allowed) = passing[0]
    assert allowed["Action"] == ["iam:PassRole"]
    assert allowed["Resource"] == [f"arn:aws:iam::{ACCOUNT}:role/tap-*"]
    assert allowed["Condition"] == {
        "StringEquals": {
            "iam:PassedToService": ["apigateway.amazonaws.com", "lambda.amazonaws.com", "s3.amazonaws.com"]
        }
    }


def test_the_plan_role_reads_state_and_refreshes_nothing_else(ci):
    attached = _attached(ci, "tap-ci-plan")
    assert set(attached) == {
        "tap-ci-plan-compute",
        "tap-ci-plan-network",
        "tap-ci-plan-observability",
        "tap-ci-plan-state",
    }
    actions = _allowed(attached)
    assert actions & DATA_READS == {"s3:GetObject"}
    writes = sorted(a for a in actions if WRITE_VERBS.match(a.split(":")[1]))
    assert writes == []  # -lock=false: not even the lock file
    state_bucket = f"${{{ci.address('aws_s3_bucket', 'state/bucket')}.arn}}"
    (get_object,) = [s for s in _statements(attached) if "s3:GetObject" in s["Action"]]
    assert get_object == {
        "Sid": "StateObjectsRead",
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": [f"{state_bucket}/*"],
    }
    assert {"s3:ListBucket", "s3:GetBucketVersioning", "kms:Decrypt", "apigateway:GET"} <= actions


def test_the_deploy_roles_write_state_and_release_the_lock_only(ci):
    state = _attached(ci, "tap-ci-preview")["tap-ci-deploy-state"]
    bucket = f"${{{ci.address('aws_s3_bucket', 'state/bucket')}.arn}}"
    key = f"${{{ci.address('aws_kms_key', 'state/key')}.arn}}"
    assert {s["Sid"]: (s["Action"], s["Resource"]) for s in state["Statement"]} == {
        "StateObjectsReadWrite": (["s3:GetObject", "s3:PutObject"], [f"{bucket}/*"]),
        "StateLockRelease": (["s3:DeleteObject"], [f"{bucket}/*.tflock"]),
        "StateBucketRead": (["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"], [bucket]),
        "StateKeyUse": (["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], [key]),
    }


def test_preview_and_release_share_the_deploy_policies_and_differ_in_their_operations(ci):
    preview, release = _attached(ci, "tap-ci-preview"), _attached(ci, "tap-ci-release")
    deploy = {f"tap-ci-deploy-{g}" for g in ("compute", "network", "observability", "state", "guardrails")}
    assert set(preview) == deploy | {"tap-ci-preview-operations"}
    assert set(release) == deploy | {"tap-ci-release-operations"}
    assert len(ci.resources("aws_iam_policy")) == 11  # shared, not copied per role
    preview_ops = _allowed({"ops": preview["tap-ci-preview-operations"]})
    release_ops = _allowed({"ops": release["tap-ci-release-operations"]})
    tests = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "s3:GetObject", "s3:DeleteObject"}
    assert tests <= preview_ops and tests <= release_ops  # integration tests on previews and staging
    assert "cloudwatch:PutMetricData" not in preview_ops  # only the game day fails over
    assert not {"dynamodb:Scan", "dynamodb:Query", "s3:PutObject"} & (preview_ops | release_ops)
    (switch,) = [s for s in release["tap-ci-release-operations"]["Statement"] if s["Sid"] == "FailoverSwitch"]
    assert switch["Action"] == ["cloudwatch:PutMetricData"]
    assert switch["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Tap/DR"}}
    (receipts,) = [
        s for s in release["tap-ci-release-operations"]["Statement"] if s["Sid"] == "ReceiptObjects"
    ]
    assert receipts["Resource"] == [f"arn:aws:s3:::tap-receipts-*-{ACCOUNT}/receipts/*"]


def test_the_deploy_roles_cannot_touch_the_ci_roles_or_policies(ci):
    from lib.ci_roles import protected_iam_actions

    (deny,) = _attached(ci, "tap-ci-release")["tap-ci-deploy-guardrails"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Resource"] == [
        f"arn:aws:iam::{ACCOUNT}:role/tap-ci-*",
        f"arn:aws:iam::{ACCOUNT}:policy/tap-ci-*",
    ]
    deploy = {name: doc for name, doc in _attached(ci, "tap-ci-release").items() if "operations" not in name}
    iam_allowed = {a for a in _allowed(deploy) if a.startswith("iam:")} - {"iam:CreateServiceLinkedRole"}
    assert set(deny["Action"]) == iam_allowed == set(protected_iam_actions())
    assert {
        "iam:PassRole",
        "iam:AttachRolePolicy",
        "iam:CreatePolicyVersion",
        "iam:UpdateAssumeRolePolicy",
    } <= iam_allowed


def test_attaching_is_limited_to_the_projects_policies(ci):
    compute = _attached(ci, "tap-ci-preview")["tap-ci-deploy-compute"]
    (attach,) = [s for s in compute["Statement"] if "iam:AttachRolePolicy" in s["Action"]]
    assert attach["Condition"] == {"ArnLike": {"iam:PolicyARN": f"arn:aws:iam::{ACCOUNT}:policy/tap-*"}}


def test_star_resources_are_the_documented_few(ci):
    stars = set()
    for name, document in _every_policy(ci):
        if not name.startswith("tap-ci-"):
            continue
        for s in document["Statement"]:
            if s.get("Resource") == ["*"]:
                stars.add(s["Sid"])
    assert stars == {
        "NetworkCreates",
        "KmsCreates",
        "LogDeliveries",
        "SsmDescribe",
        "Preflight",
        "FailoverSwitch",
    }


def test_every_policy_fits_iams_size_limit(ci):
    from lib.ci_roles import MANAGED_POLICY_MAX_CHARS

    for body in ci.resources("aws_iam_policy").values():
        policy = re.sub(
            r"\$\{aws_kms_key[^}]*\}", "arn:aws:kms:us-east-2:123456789012:key/" + "k" * 36, body["policy"]
        )
        policy = re.sub(
            r"\$\{aws_s3_bucket[^}]*\}", "arn:aws:s3:::tap-terraform-state-123456789012-us-east-2", policy
        )
        policy = policy.replace(ACCOUNT, "123456789012")
        assert "${" not in policy
        compact = re.sub(r"\s", "", json.dumps(json.loads(policy), separators=(",", ":")))
        assert len(compact) <= MANAGED_POLICY_MAX_CHARS, body["name"]


def test_no_role_has_more_managed_policies_than_iam_allows(ci):
    """ "Managed policies attached to an IAM role: 10" by default (raisable to 20; an 11th
    attachment fails the apply): https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"""
    per_role: dict[str, int] = {}
    for attachment in ci.resources("aws_iam_role_policy_attachment").values():
        per_role[attachment["role"]] = per_role.get(attachment["role"], 0) + 1
    assert len(per_role) == 3
    assert max(per_role.values()) <= 10, per_role


# --- the state bucket --------------------------------------------------------------------------


def test_the_state_bucket_is_versioned_encrypted_private_and_kept(ci):
    bucket_ref = f"${{{ci.address('aws_s3_bucket', 'state/bucket')}.id}}"
    key_ref = f"${{{ci.address('aws_kms_key', 'state/key')}.arn}}"
    bucket = ci.get("aws_s3_bucket", "state/bucket")
    assert bucket["force_destroy"] is False and bucket["lifecycle"] == {"prevent_destroy": True}
    assert ci.get("aws_s3_bucket_versioning", "state/bucket/versioning")["versioning_configuration"] == {
        "status": "Enabled"
    }
    (rule,) = ci.get("aws_s3_bucket_server_side_encryption_configuration", "state/bucket/encryption")["rule"]
    assert rule == {
        "apply_server_side_encryption_by_default": {"kms_master_key_id": key_ref, "sse_algorithm": "aws:kms"},
        "bucket_key_enabled": True,
    }
    block = ci.get("aws_s3_bucket_public_access_block", "state/bucket/public-access-block")
    assert {k: block[k] for k in block if k.startswith(("block", "ignore", "restrict"))} == {
        "block_public_acls": True,
        "block_public_policy": True,
        "ignore_public_acls": True,
        "restrict_public_buckets": True,
    }
    ownership = ci.get("aws_s3_bucket_ownership_controls", "state/ownership")
    assert ownership["rule"] == {"object_ownership": "BucketOwnerEnforced"}
    for type_, path in (
        ("aws_s3_bucket_versioning", "state/bucket/versioning"),
        ("aws_s3_bucket_policy", "state/bucket/tls-only"),
    ):
        assert ci.get(type_, path)["bucket"] == bucket_ref


def test_the_state_bucket_denies_plain_http(ci):
    bucket = f"${{{ci.address('aws_s3_bucket', 'state/bucket')}.arn}}"
    policy = policy_of(ci.get("aws_s3_bucket_policy", "state/bucket/tls-only"))
    assert policy["Statement"] == [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": ["s3:*"],
            "Resource": [bucket, f"{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]


def test_old_state_versions_expire_after_90_days(ci):
    (rule,) = ci.get("aws_s3_bucket_lifecycle_configuration", "state/bucket/lifecycle")["rule"]
    assert rule["status"] == "Enabled" and rule["filter"] == [{"prefix": ""}]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 90}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert rule["expiration"] == [{"expired_object_delete_marker": True}]


def test_the_state_key_rotates_is_kept_and_the_ci_roles_only_use_it_through_s3(ci):
    key = ci.get("aws_kms_key", "state/key")
    assert key["enable_key_rotation"] is True and key["lifecycle"] == {"prevent_destroy": True}
    statements = {s["Sid"]: s for s in policy_of(key)["Statement"]}
    root = f"arn:aws:iam::{ACCOUNT}:root"
    ci_roles = f"arn:aws:iam::{ACCOUNT}:role/tap-ci-*"
    assert statements["AccountAdministration"]["Principal"] == {"AWS": root}
    assert statements["AccountAdministration"]["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": ci_roles}}
    assert not any(a in statements["AccountAdministration"]["Action"] for a in ("kms:Decrypt", "kms:Encrypt"))
    via_s3 = {"kms:ViaService": "s3.us-east-2.amazonaws.com", "kms:CallerAccount": ACCOUNT}
    role = f"arn:aws:iam::{ACCOUNT}:role/tap-ci-"
    assert statements["CiReadState"]["Action"] == ["kms:Decrypt"]
    assert statements["CiReadState"]["Condition"] == {
        "StringEquals": via_s3,
        "ArnEquals": {"aws:PrincipalArn": [f"{role}plan"]},
    }
    assert statements["CiWriteState"]["Condition"] == {
        "StringEquals": via_s3,
        "ArnEquals": {"aws:PrincipalArn": [f"{role}preview", f"{role}release"]},
    }


# --- outputs, backend, Terraform ---------------------------------------------------------------


def test_outputs_and_the_github_variables(ci):
    assert set(ci.json["output"]) == {
        "plan_role_arn",
        "preview_role_arn",
        "release_role_arn",
        "state_bucket",
        "state_bucket_region",
        "github_variables",
    }
    variables = json.loads(ci.output("github_variables")["value"])
    assert set(variables) == GITHUB_VARIABLES
    for kind in ("plan", "preview", "release"):
        arn = f"${{aws_iam_role.{_logical(ci, 'aws_iam_role', f'tap-ci-{kind}')}.arn}}"
        assert variables[f"AWS_{kind.upper()}_ROLE_ARN"] == ci.output(f"{kind}_role_arn")["value"] == arn
    assert variables["TERRAFORM_STATE_BUCKET"] == f"${{{ci.address('aws_s3_bucket', 'state/bucket')}.bucket}}"
    assert variables["TERRAFORM_STATE_BUCKET_REGION"] == "us-east-2"


def test_its_own_state_is_a_local_file_in_the_project_root(ci, tmp_path):
    assert bootstrap.local_state_path(bootstrap.DEFAULT_OUT) == f"../../../../{LOCAL_STATE_FILE}"
    assert ci.json["terraform"]["backend"].keys() == {"local"}
    # The fixture synthesized into a temporary directory: the path still leads to the root.
    assert (
        bootstrap.stack_dir(tmp_path) / bootstrap.local_state_path(tmp_path)
    ).resolve() == ROOT / LOCAL_STATE_FILE


def test_terraform_validates_the_bootstrap(ci, validations):
    returncode, out, err = validations.result("ci-bootstrap")
    assert returncode == 0, err
    assert json.loads(out)["valid"] is True, out


# --- deploy/bootstrap.py -----------------------------------------------------------------------


def test_an_unknown_mode_is_one_line(capsys):
    with pytest.raises(SystemExit) as exited:
        bootstrap.main(["deploy"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.startswith("error: argument mode: invalid choice: 'deploy'")


def test_a_bad_configuration_is_one_line_and_exit_1(monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    monkeypatch.setenv("CREATE_OIDC_PROVIDER", "maybe")
    assert bootstrap.main(["synth"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: Invalid bootstrap configuration: - GITHUB_REPOSITORY is required")
    assert "CREATE_OIDC_PROVIDER='maybe'" in err


def test_an_emulator_endpoint_is_refused_for_aws_modes(monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:4566")
    assert bootstrap.main(["apply"]) == 1
    assert capsys.readouterr().err == (
        "error: AWS_ENDPOINT_URL set: the bootstrap targets real AWS only (unset it)\n"
    )
    assert bootstrap.endpoint_problem({"AWS_ENDPOINT_URL_S3": "http://x", "AWS_ENDPOINT_URL": ""}) == (
        "AWS_ENDPOINT_URL_S3 set: the bootstrap targets real AWS only (unset it)"
    )


def test_the_error_paths_never_import_the_provider():
    probe = (
        "import sys; from deploy import bootstrap; code = bootstrap.main(['plan']); "
        "print(code, any(m.startswith(('cdktf', 'jsii', 'boto3')) for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "GITHUB_REPOSITORY": "acme/payments",
            "STATE_BUCKET_REGION": "us-east-1",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split() == ["1", "False"], result.stderr
    assert "STATE_BUCKET_REGION='us-east-1' is a region of the DR pair" in result.stderr


def test_gh_commands_quote_their_values():
    assert bootstrap.github_commands({"B": "two words", "A": "arn:aws:iam::1:role/x"}) == [
        "gh variable set A --body arn:aws:iam::1:role/x",
        "gh variable set B --body 'two words'",
    ]


def test_destroy_targets_the_access_and_keeps_the_state(ci, existing_oidc):
    targets = bootstrap.access_addresses(ci.json)
    assert len(targets) == 1 + 11 + 3 + 16
    assert targets[0] == "aws_iam_openid_connect_provider.github-oidc"
    assert not [t for t in targets if t.startswith(("aws_s3", "aws_kms"))]
    assert not [t for t in bootstrap.access_addresses(existing_oidc.json) if "openid" in t]


class FakeRunner:
    """Records what deploy/bootstrap.py asks Terraform to do."""

    calls: list[tuple[str, ...]] = []

    def __init__(self, stack: str, outdir: Path, **_: Any) -> None:
        self.calls.append(("runner", stack, str(outdir)))

    def init(self) -> None:
        self.calls.append(("init",))

    def terraform(self, name: str, *args: str) -> tuple[int, str]:
        self.calls.append(("terraform", *args))
        return 0, "Plan: 40 to add, 0 to change, 0 to destroy."

    def apply(self) -> str:
        self.calls.append(("apply",))
        return ""

    def outputs(self) -> dict[str, Any]:
        return {"github_variables": json.dumps({"TERRAFORM_STATE_BUCKET_REGION": "us-east-2"})}

    def guarded(self, name: str, *args: str) -> tuple[int, str]:
        self.calls.append(("guarded", *args))
        return 0, ""


@pytest.fixture
def fake_terraform(monkeypatch, ci, tmp_path):
    FakeRunner.calls = []
    stack_file = tmp_path / "cdk.tf.json"
    stack_file.write_text(json.dumps(ci.json))
    monkeypatch.setattr(bootstrap, "Runner", FakeRunner)
    monkeypatch.setattr(bootstrap, "synth", lambda config, outdir: stack_file)
    return FakeRunner.calls


def _identity(region: str) -> dict[str, str]:
    assert region == "us-east-2"
    return {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/admin"}


def test_apply_prints_the_gh_commands(fake_terraform, capsys, tmp_path):
    bootstrap.run("apply", dict(ENV), tmp_path, caller_identity=_identity)
    assert fake_terraform == [("runner", STACK_ID, str(tmp_path)), ("init",), ("apply",)]
    out = capsys.readouterr().out
    assert "account 123456789012 as arn:aws:iam::123456789012:user/admin" in out
    assert out.endswith("gh variable set TERRAFORM_STATE_BUCKET_REGION --body us-east-2\n")


def test_plan_prints_terraforms_plan(fake_terraform, capsys, tmp_path):
    bootstrap.run("plan", dict(ENV), tmp_path, caller_identity=_identity)
    assert fake_terraform[-1] == ("terraform", "plan", "-lock-timeout=60s")
    assert "Plan: 40 to add" in capsys.readouterr().out


def test_destroy_passes_only_the_access_as_targets(fake_terraform, ci, tmp_path):
    bootstrap.run("destroy", dict(ENV), tmp_path, caller_identity=_identity)
    (guarded,) = [c for c in fake_terraform if c[0] == "guarded"]
    assert guarded[1:4] == ("destroy", "-auto-approve", "-lock-timeout=60s")
    assert [a.removeprefix("-target=") for a in guarded[4:]] == bootstrap.access_addresses(ci.json)


def test_synth_needs_no_credentials(fake_terraform, tmp_path):
    def no_credentials(region: str) -> dict[str, str]:
        raise AssertionError("synth must not ask AWS")

    bootstrap.run("synth", dict(ENV), tmp_path, caller_identity=no_credentials)
    assert fake_terraform == []

"""The CI bootstrap: lib/ci_bootstrap.py (the stack), lib/ci_permissions.py (the permission table,
checked against the synthesized main stack), lib/ci_scopes.py, lib/ci_roles.py (the GitHub OIDC
roles and their policies), lib/ci_state_bucket.py, lib/ci_bootstrap_config.py and
deploy/bootstrap.py. What each role reaches, evaluated: tests/unit/test_ci_scoping.py and
tests/unit/test_ci_escalation.py; the environments' boundaries: tests/unit/test_ci_boundary.py."""

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
    "staging": [f"repo:{REPOSITORY}:environment:staging"],
    "production": [f"repo:{REPOSITORY}:environment:production"],
}
DEPLOY = ("preview", "staging", "production")
GITHUB_VARIABLES = {
    "AWS_PLAN_ROLE_ARN",
    "AWS_PREVIEW_ROLE_ARN",
    "AWS_STAGING_ROLE_ARN",
    "AWS_PRODUCTION_ROLE_ARN",
    "TERRAFORM_STATE_BUCKET",
    "TERRAFORM_STATE_BUCKET_REGION",
    "TERRAFORM_STATE_KEY_ARN",
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


def _targets_file(tmp_path: Path, **changes: dict[str, Any]) -> Path:
    data = json.loads((ROOT / ".github" / "deploy-targets.json").read_text())
    for name, fields in changes.items():
        data[name].update(fields)
    path = tmp_path / "targets.json"
    path.write_text(json.dumps(data))
    return path


def test_the_roles_targets_come_from_the_pipelines_targets_file():
    from lib.ci_bootstrap_config import read_targets

    targets = read_targets()
    assert {n: (t.suffix, t.exact, t.manages_account_settings) for n, t in targets.items()} == {
        "preview": ("pr*", False, False),
        "prod": ("prod", True, False),
        "staging": ("staging", True, True),
    }
    assert targets["preview"].state_key == "TapStackpr*/terraform.tfstate"
    config = BootstrapConfig.from_env(ENV)
    assert [t.name for t in config.others("preview")] == ["prod", "staging"]
    assert [t.name for t in config.others("plan")] == [t.name for t in config.others("staging")] == ["prod"]
    assert [t.name for t in config.others("production")] == ["staging"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"preview": {"suffix": "pr"}}, "preview.suffix 'pr': lowercase letters and digits with {number}"),
        ({"prod": {"suffix": "prod{number}"}}, "prod.suffix 'prod*': lowercase letters and digits without"),
        ({"staging": {"suffix": "Stg"}}, "staging.suffix 'Stg'"),
        ({"staging": {"suffix": "prod"}}, "the targets' suffixes must differ"),
        ({"prod": {"manage_account_settings": "yes"}}, "prod.manage_account_settings must be true or false"),
        ({"prod": {"suffix": 7}}, "cannot describe the pipeline's targets"),
    ],
)
def test_a_targets_file_the_roles_cannot_be_built_from_is_refused(tmp_path, changes, message):
    from lib.ci_bootstrap_config import read_targets

    with pytest.raises(ConfigError, match=re.escape(message)):
        read_targets(_targets_file(tmp_path, **changes))


def test_an_unreadable_targets_file_is_one_more_problem_in_the_message(monkeypatch, tmp_path):
    from lib import ci_bootstrap_config

    monkeypatch.setattr(ci_bootstrap_config, "TARGETS_FILE", tmp_path / "missing.json")
    with pytest.raises(ConfigError) as raised:
        BootstrapConfig.from_env({"GITHUB_REPOSITORY": "", "CREATE_OIDC_PROVIDER": "x"})
    lines = str(raised.value).splitlines()
    assert len(lines) == 4 and "missing.json cannot describe the pipeline's targets" in lines[3]


# --- OIDC provider and trust -------------------------------------------------------------------


def test_github_oidc_provider_without_thumbprints(ci):
    (provider,) = ci.resources("aws_iam_openid_connect_provider").values()
    assert provider["url"] == GITHUB_OIDC_URL
    assert provider["client_id_list"] == ["sts.amazonaws.com"]
    assert "thumbprint_list" not in provider  # optional in 5.100: AWS trusts GitHub's CA


@pytest.mark.parametrize("kind", ["plan", "preview", "staging", "production"])
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


def test_every_resource_type_of_the_main_stack_has_deploy_permissions(dev, prod):
    from lib.ci_permissions import DEPLOY_ACTIONS

    # prod: the vault locks are its own
    used = {t for stack in (dev, prod) for t in stack.json["resource"]}
    used |= {f"data.{t}" for t in dev.json["data"]}
    assert set(DEPLOY_ACTIONS) == used  # a new type fails here until the CI roles can deploy it
    # A validation only waits for ACM to issue the certificate; sts:GetCallerIdentity needs nothing.
    waits = {"aws_acm_certificate_validation", "data.aws_caller_identity"}
    for type_, entries in DEPLOY_ACTIONS.items():
        assert any(e.read for e in entries) or type_.startswith("data."), f"{type_}: a plan cannot refresh it"
        assert any(e.write for e in entries) != (type_ in waits), f"{type_}: a deploy cannot create it"


def _covered(arn: str, scope: Any, suffix: str = "dev", account: str = ACCOUNT) -> bool:
    """``arn`` is in ``scope`` for the role of environment ``suffix`` (with the account's settings)."""
    from lib.ci_scopes import render

    patterns = render([*scope.resources, *scope.account_settings], account, suffix=suffix)
    return any(fnmatchcase(arn, pattern) for pattern in patterns)


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
        *(
            (f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:{n}", scope)
            for n in names("aws_backup_vault")
            for scope in (table.BACKUP_VAULTS, table.BACKUP_VAULT_LOCKS)
        ),
    ]
    assert [arn for arn, scope in expected if not _covered(arn, scope)] == []


def test_the_state_bucket_and_the_ci_roles_are_not_what_the_deploy_scopes_mean(ci):
    from lib import ci_permissions as table

    (bucket,) = ci.resources("aws_s3_bucket").values()
    assert bucket["bucket"] == f"tap-terraform-state-{ACCOUNT}-us-east-2"
    for suffix in ("pr*", "staging", "prod"):
        assert not _covered(f"arn:aws:s3:::{bucket['bucket']}", table.S3_BUCKETS, suffix)
        state = f"arn:aws:s3:::{bucket['bucket']}/TapStackprod/terraform.tfstate"
        assert not _covered(state, table.S3_OBJECTS, suffix)
    # The preview role's names match CI roles (tap-ci-preview, tap-ci-production): the guardrails
    # deny them (test below).
    assert _covered(f"arn:aws:iam::{ACCOUNT}:role/tap-ci-production", table.IAM_ROLES, "pr*")


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
    assert result.stdout.split() == ["55", "False"], result.stderr


def test_values_the_table_spells_out_match_where_they_are_defined():
    from lib import ci_permissions as table
    from lib.api_contract import RECEIPTS_PREFIX
    from lib.ci_bootstrap_config import DEPLOY_KINDS
    from lib.config import APIGATEWAY_CLOUDWATCH_ROLE, QUERY_LOG_GROUP_PREFIX
    from lib.failover_switch import NAMESPACE
    from lib.keys import VIA_SERVICES

    assert table.KMS_THROUGH_SERVICES.condition == {
        "StringLike": {"kms:ViaService": [f"{s}.*.amazonaws.com" for s in VIA_SERVICES]}
    }
    assert table.FAILOVER_SWITCH.condition == {"StringEquals": {"cloudwatch:namespace": NAMESPACE}}
    assert table.RECEIPTS.resources == (
        f"arn:aws:s3:::{{project}}-receipts-*-{{suffix}}-{{account}}/{RECEIPTS_PREFIX}*",
    )
    assert table.LOG_GROUPS.resources[-1] == f"arn:aws:logs:*:{{account}}:log-group:{QUERY_LOG_GROUP_PREFIX}*"
    assert list(table.ROLE_OPERATIONS) == list(DEPLOY_KINDS)
    boundary = "arn:aws:iam::{account}:policy/{project}-ci-boundary-{kind}"  # lib/ci_roles.py boundary()
    for scope in (table.IAM_ROLE_CREATES, table.IAM_ATTACHMENTS, table.IAM_SETTINGS_ATTACHMENT):
        assert scope.condition["StringEquals"] == {"iam:PermissionsBoundary": boundary}
    assert table.IAM_SETTINGS_ATTACHMENT.account_settings == table.IAM_ROLES.account_settings
    assert table.IAM_SETTINGS_ATTACHMENT.resources == ()  # the owner target's only
    settings = APIGATEWAY_CLOUDWATCH_ROLE.replace("tap-", "{project}-", 1)
    for scope in (table.IAM_ROLES, table.IAM_ROLE_CREATES, table.IAM_ROLE_TAGS, table.IAM_PASS_LOGGING_ROLE):
        assert scope.account_settings == (f"arn:aws:iam::{{account}}:role/{settings}",)
    assert table.IAM_PASS_ROLE.account_settings == ()  # the logging role: to API Gateway only
    assert table.IAM_PASS_LOGGING_ROLE.resources == ()
    assert table.IAM_POLICIES.account_settings == (f"arn:aws:iam::{{account}}:policy/{settings}",)
    assert {op for ops in table.ROLE_OPERATIONS.values() for op in ops} == set(table.OPERATION_ACTIONS)
    from lib.backup import LOCK_GRACE_DAYS
    from lib.backup_retention import PROD

    assert table.BACKUP_VAULT_LOCKS.condition == {
        "NumericGreaterThanEquals": {
            "backup:ChangeableForDays": str(LOCK_GRACE_DAYS),
            "backup:MinRetentionDays": str(PROD.lock_min_days),
        }
    }
    assert table.BACKUP_VAULT_LOCKS.resources == table.BACKUP_VAULTS.resources


def test_render_fills_the_account_and_the_project_in_nested_conditions():
    from lib import ci_permissions as table
    from lib.ci_scopes import render

    assert render(list(table.IAM_ATTACHMENTS.resources), "123456789012", suffix="pr*") == [
        "arn:aws:iam::123456789012:role/tap-*-pr*"
    ]
    assert render(table.IAM_ATTACHMENTS.condition, "123456789012", "acme", "staging", "staging") == {
        "ArnLike": {"iam:PolicyARN": "arn:aws:iam::123456789012:policy/acme-*-staging"},
        "StringEquals": {
            "iam:PermissionsBoundary": "arn:aws:iam::123456789012:policy/acme-ci-boundary-staging"
        },
    }
    # a pattern suffix before a * is one *; a name without its suffix or kind is an error, not a
    # wildcard
    assert render("fn:{project}-*-{suffix}*", "1", suffix="pr*") == "fn:tap-*-pr*"
    with pytest.raises(ValueError, match="give the suffix"):
        render("table/{project}-*-{suffix}", "123456789012")
    with pytest.raises(ValueError, match="give the kind"):
        render(table.IAM_ATTACHMENTS.condition, "123456789012", suffix="prod")


def test_with_children_adds_the_slash_star_form_of_a_name_that_does_not_end_with_a_star():
    from lib.ci_scopes import with_children

    assert with_children(["table/t-prod", "log-group:/aws/lambda/x-prod*", "table/t-prod"]) == [
        "table/t-prod",
        "table/t-prod/*",
        "log-group:/aws/lambda/x-prod*",
    ]


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
    network = [
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
    compute = [
        "KmsThroughStackServices",  # first needed by aws_backup_vault
        "DynamoDbTables",
        "KmsAliases",
        "KmsKeys",
        "KmsCreates",
        "LambdaFunctions",
        "S3Buckets",
        "S3ObjectsOnForceDestroy",
    ]
    identity = [
        "IamPassStackRoles",  # first needed by aws_backup_selection
        "DynamoDbReplicationServiceRole",
        "IamPolicies",
        "IamRoles",
        "IamCreateRolesWithBoundary",
        "IamTagRolesWithOwnSuffix",
        "IamAttachProjectPolicies",
    ]
    backup = ["BackupPlans", "BackupVaults", "BackupStorage", "BackupVaultLocksInComplianceMode"]
    observability = [
        "LogGroups",
        "LogsAccountPolicies",
        "CloudWatchAlarms",
        "SnsTopics",
        "SsmParameters",
        "SsmDescribe",
        "LogDeliveries",
    ]
    fence = [
        "OtherEnvironmentsByTag",
        "NoRoleTaggedForAnotherEnvironment",
        "OtherEnvironmentsByName",
        "OtherEnvironmentsState",
        "NoEnvironmentTagChange",
        "NoUntagWithoutTagKeys",
        "NoApiKeyListing",
        "NoAccountLoggingRoleRetrust",
    ]
    for kind in DEPLOY:
        assert sids[f"tap-ci-{kind}-network"] == network
        assert sids[f"tap-ci-{kind}-compute"] == compute
        # the account's logging role and policy: only the target that owns the account's settings
        owner = kind == "staging"
        assert sids[f"tap-ci-{kind}-identity"] == [
            *(["IamPassAccountLoggingRole"] if owner else []),
            *identity,
            *(["IamAttachAccountSettingsPolicy"] if owner else []),
        ]
        assert sids[f"tap-ci-{kind}-backup"] == backup
        assert sids[f"tap-ci-{kind}-observability"] == observability
        assert sids[f"tap-ci-{kind}-fence"] == fence
    # The plan role: the same order, without the scopes that only write.
    assert sids["tap-ci-plan-network"] == [
        s for s in network if s not in ("NetworkCreates", "Route53Changes")
    ]
    assert sids["tap-ci-plan-compute"] == [
        s for s in compute if s not in ("KmsAliases", "S3ObjectsOnForceDestroy")
    ]
    assert sids["tap-ci-plan-identity"] == ["IamPolicies", "IamRoles"]
    assert sids["tap-ci-plan-backup"] == ["BackupPlans", "BackupVaults"]
    assert sids["tap-ci-plan-fence"] == fence
    # One operations policy per deploy role: its groups one after the other.
    assert sids["tap-ci-staging-operations"] == [
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
        s for s in sids["tap-ci-staging-operations"] if s != "FailoverSwitch"
    ]
    assert sids["tap-ci-production-operations"] == [
        s for s in sids["tap-ci-preview-operations"] if s not in ("ReceiptObjects", "DynamoDbTables")
    ]


# --- policies ----------------------------------------------------------------------------------


def _kindless(name: str) -> str:
    """``tap-ci-preview-fence`` -> ``tap-ci-<kind>-fence``, ``tap-ci-boundary-preview`` ->
    ``tap-ci-boundary-<kind>``; the state bucket's policy stays ``bucket``."""
    if name.startswith("tap-ci-boundary-"):
        return "tap-ci-boundary-<kind>"
    return re.sub(r"-ci-\w+-", "-ci-<kind>-", name)


def test_no_wildcard_action_in_any_allow(ci):
    """Wildcard actions only in Deny statements: the state bucket's TLS rule, the fences (the
    other environments' resources and state) and the boundaries' (the other environments' names,
    identity and account changes)."""
    wildcards = sorted(
        {
            (_kindless(name), s.get("Sid"), s["Effect"], action)
            for name, document in _every_policy(ci)
            for s in document["Statement"]
            for action in _as_list(s["Action"])
            if "*" in action
        }
    )
    assert {w[2] for w in wildcards} == {"Deny"}
    assert wildcards == sorted(
        [
            ("bucket", "DenyInsecureTransport", "Deny", "s3:*"),
            ("tap-ci-<kind>-fence", "OtherEnvironmentsByName", "Deny", "*"),
            ("tap-ci-<kind>-fence", "OtherEnvironmentsByTag", "Deny", "*"),
            ("tap-ci-<kind>-fence", "OtherEnvironmentsState", "Deny", "s3:*"),
            ("tap-ci-boundary-<kind>", "OtherEnvironments", "Deny", "*"),
            *(
                ("tap-ci-boundary-<kind>", "NoIdentityOrAccountChanges", "Deny", a)
                for a in ("account:*", "iam:*", "organizations:*", "sts:*")
            ),
        ]
    )


@pytest.mark.parametrize(
    ("kind", "suffix"), [("preview", "pr*"), ("staging", "staging"), ("production", "prod")]
)
def test_pass_role_only_on_the_environments_roles_and_only_to_the_stacks_services(ci, kind, suffix):
    passing = [
        (name, s)
        for name, document in _attached(ci, f"tap-ci-{kind}").items()
        for s in document["Statement"]
        if "iam:PassRole" in _as_list(s["Action"]) and s["Effect"] == "Allow"
    ]
    # the account's logging role (staging owns the account's settings): to API Gateway only
    owner = kind == "staging"
    assert [name for name, _ in passing] == [f"tap-ci-{kind}-identity"] * (2 if owner else 1)
    *logging, (_, allowed) = passing
    assert allowed["Action"] == ["iam:PassRole"]
    assert allowed["Resource"] == [f"arn:aws:iam::{ACCOUNT}:role/tap-*-{suffix}"]
    assert allowed["Condition"] == {
        "StringEquals": {
            "iam:PassedToService": [
                "apigateway.amazonaws.com",
                "backup.amazonaws.com",
                "lambda.amazonaws.com",
                "s3.amazonaws.com",
            ]
        }
    }
    assert [s for _, s in logging] == (
        [
            {
                "Sid": "IamPassAccountLoggingRole",
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": [f"arn:aws:iam::{ACCOUNT}:role/tap-apigateway-cloudwatch-logs"],
                "Condition": {"StringEquals": {"iam:PassedToService": "apigateway.amazonaws.com"}},
            }
        ]
        if owner
        else []
    )


def test_the_plan_role_reads_stagings_state_and_refreshes_nothing_else(ci):
    attached = _attached(ci, "tap-ci-plan")
    assert set(attached) == {
        f"tap-ci-plan-{group}"
        for group in ("backup", "compute", "identity", "network", "observability", "state", "fence")
    }
    actions = _allowed(attached)
    assert actions & DATA_READS == {"s3:GetObject"}
    writes = sorted(a for a in actions if WRITE_VERBS.match(a.split(":")[1]))
    assert writes == []  # -lock=false: not even the lock file
    state_bucket = f"${{{ci.address('aws_s3_bucket', 'state/bucket')}.arn}}"
    (get_object,) = [
        s for s in _statements(attached) if "s3:GetObject" in s["Action"] and s["Effect"] == "Allow"
    ]
    assert get_object == {
        "Sid": "StateObjectRead",
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": [f"{state_bucket}/TapStackstaging/terraform.tfstate"],
    }
    assert {"s3:ListBucket", "s3:GetBucketVersioning", "kms:Decrypt", "apigateway:GET"} <= actions


@pytest.mark.parametrize(
    ("kind", "stack"),
    [("preview", "TapStackpr*"), ("staging", "TapStackstaging"), ("production", "TapStackprod")],
)
def test_a_deploy_role_writes_its_own_state_and_releases_its_own_lock_only(ci, kind, stack):
    state = _attached(ci, f"tap-ci-{kind}")[f"tap-ci-{kind}-state"]
    bucket = f"${{{ci.address('aws_s3_bucket', 'state/bucket')}.arn}}"
    key = f"${{{ci.address('aws_kms_key', 'state/key')}.arn}}"
    objects = f"{bucket}/{stack}/terraform.tfstate"
    assert {s["Sid"]: (s["Action"], s["Resource"]) for s in state["Statement"]} == {
        "StateObjectReadWrite": (["s3:GetObject", "s3:PutObject"], [objects, f"{objects}.tflock"]),
        "StateLockRelease": (["s3:DeleteObject"], [f"{objects}.tflock"]),
        "StateBucketRead": (["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"], [bucket]),
        "StateKey": (["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], [key]),
    }
    if kind == "preview":  # TapStackpr* also matches TapStackprod: denied by the fence
        fence = _attached(ci, "tap-ci-preview")["tap-ci-preview-fence"]["Statement"]
        (denied,) = [s for s in fence if s["Sid"] == "OtherEnvironmentsState"]
        assert denied["Resource"] == [f"{bucket}/TapStackprod/*", f"{bucket}/TapStackstaging/*"]


def test_each_deploy_role_has_its_own_policies_and_shares_the_guardrails(ci):
    groups = ("backup", "compute", "identity", "network", "observability", "state", "fence", "operations")
    for kind in DEPLOY:
        assert set(_attached(ci, f"tap-ci-{kind}")) == {
            *(f"tap-ci-{kind}-{g}" for g in groups),
            "tap-ci-deploy-guardrails",
        }
    # plan, deploy roles, guardrails, one boundary per deploy role
    assert len(ci.resources("aws_iam_policy")) == 7 + 3 * 8 + 1 + 3
    ops = {
        kind: _allowed({"ops": _attached(ci, f"tap-ci-{kind}")[f"tap-ci-{kind}-operations"]})
        for kind in DEPLOY
    }
    tests = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "s3:GetObject", "s3:DeleteObject"}
    assert tests <= ops["preview"] and tests <= ops["staging"]  # integration tests on previews and staging
    assert not tests & ops["production"]  # no test payments in prod
    assert (
        "cloudwatch:PutMetricData" not in ops["preview"] | ops["production"]
    )  # only the game day fails over
    assert not {"dynamodb:Scan", "dynamodb:Query", "s3:PutObject"} & (ops["preview"] | ops["staging"])
    staging = _attached(ci, "tap-ci-staging")["tap-ci-staging-operations"]["Statement"]
    (switch,) = [s for s in staging if s["Sid"] == "FailoverSwitch"]
    assert switch["Action"] == ["cloudwatch:PutMetricData"]
    assert switch["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Tap/DR"}}
    (receipts,) = [s for s in staging if s["Sid"] == "ReceiptObjects"]
    assert receipts["Resource"] == [f"arn:aws:s3:::tap-receipts-*-staging-{ACCOUNT}/receipts/*"]


def test_the_deploy_roles_cannot_touch_the_ci_roles_or_policies(ci):
    from lib.ci_roles import protected_iam_actions

    guardrails = {
        s["Sid"]: s for s in _attached(ci, "tap-ci-staging")["tap-ci-deploy-guardrails"]["Statement"]
    }
    assert {s["Effect"] for s in guardrails.values()} == {"Deny"}
    deny = guardrails["ProtectCiAccess"]
    assert deny["Resource"] == [
        f"arn:aws:iam::{ACCOUNT}:role/tap-ci-*",
        f"arn:aws:iam::{ACCOUNT}:policy/tap-ci-*",
    ]
    for kind in DEPLOY:
        deploy = {n: doc for n, doc in _attached(ci, f"tap-ci-{kind}").items() if "operations" not in n}
        iam_allowed = {a for a in _allowed(deploy) if a.startswith("iam:")} - {"iam:CreateServiceLinkedRole"}
        assert set(deny["Action"]) == iam_allowed == set(protected_iam_actions())
    assert {
        "iam:PassRole",
        "iam:AttachRolePolicy",
        "iam:CreatePolicyVersion",
        "iam:UpdateAssumeRolePolicy",
        "iam:PutRolePermissionsBoundary",
    } <= set(deny["Action"])
    # the IAM User Guide's delegation example, on every environment's boundary
    assert guardrails["NoBoundaryPolicyEdit"]["Resource"] == [
        f"arn:aws:iam::{ACCOUNT}:policy/tap-ci-boundary-{kind}"
        for kind in ("preview", "staging", "production")
    ]
    assert guardrails["NoBoundaryRemoval"]["Action"] == ["iam:DeleteRolePermissionsBoundary"]
    assert guardrails["NoCiPolicyAttached"]["Condition"] == {
        "ArnLike": {"iam:PolicyARN": f"arn:aws:iam::{ACCOUNT}:policy/tap-ci-*"}
    }


def test_attaching_is_limited_to_the_environments_policies_and_needs_the_boundary(ci):
    identity = _attached(ci, "tap-ci-preview")["tap-ci-preview-identity"]
    (attach,) = [s for s in identity["Statement"] if "iam:AttachRolePolicy" in s["Action"]]
    assert attach["Condition"] == {
        "ArnLike": {"iam:PolicyARN": f"arn:aws:iam::{ACCOUNT}:policy/tap-*-pr*"},
        "StringEquals": {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/tap-ci-boundary-preview"},
    }


def test_star_resources_are_the_documented_few(ci):
    stars = set()
    for name, document in _every_policy(ci):
        if not name.startswith("tap-ci-"):
            continue
        for s in document["Statement"]:
            if s.get("Resource") == ["*"]:
                stars.add((s["Effect"], s["Sid"]))
    assert stars == {
        ("Allow", "NetworkCreates"),
        ("Allow", "KmsCreates"),
        ("Allow", "LogDeliveries"),
        ("Allow", "SsmDescribe"),
        ("Allow", "Preflight"),
        ("Allow", "FailoverSwitch"),
        ("Allow", "XRayTraces"),  # the boundary: X-Ray has no resource-level permission
        ("Allow", "BackupStorage"),  # CreateBackupVault's backup-storage:MountCapsule
        ("Deny", "NoBackupErasure"),
        ("Deny", "NoRoleTaggedForAnotherEnvironment"),
        ("Deny", "NoBoundaryRemoval"),
        ("Deny", "NoCiPolicyAttached"),
        ("Deny", "NoIdentityOrAccountChanges"),
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
        policy = policy.replace(ACCOUNT, "123456789012").replace("$${", "${")  # Terraform's escape
        assert "${" not in policy.replace("${aws:PrincipalTag/EnvironmentSuffix}", "")
        compact = re.sub(r"\s", "", json.dumps(json.loads(policy), separators=(",", ":")))
        assert len(compact) <= MANAGED_POLICY_MAX_CHARS, body["name"]


def test_no_role_has_more_managed_policies_than_iam_allows(ci):
    """ "Managed policies attached to an IAM role: 10" by default (raisable to 20; an 11th
    attachment fails the apply): https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"""
    per_role: dict[str, int] = {}
    for attachment in ci.resources("aws_iam_role_policy_attachment").values():
        per_role[attachment["role"]] = per_role.get(attachment["role"], 0) + 1
    assert len(per_role) == 4
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
    # the statements that follow (SSE-KMS with the state key): tests/unit/test_ci_state_bucket.py
    assert policy["Statement"][:1] == [
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
        "ArnEquals": {"aws:PrincipalArn": [f"{role}preview", f"{role}staging", f"{role}production"]},
    }


# --- outputs, backend, Terraform ---------------------------------------------------------------


def test_outputs_and_the_github_variables(ci):
    assert set(ci.json["output"]) == {
        "plan_role_arn",
        "preview_role_arn",
        "staging_role_arn",
        "production_role_arn",
        "state_bucket",
        "state_bucket_region",
        "state_key_arn",
        "github_variables",
    }
    variables = json.loads(ci.output("github_variables")["value"])
    assert set(variables) == GITHUB_VARIABLES
    for kind in ("plan", "preview", "staging", "production"):
        arn = f"${{aws_iam_role.{_logical(ci, 'aws_iam_role', f'tap-ci-{kind}')}.arn}}"
        assert variables[f"AWS_{kind.upper()}_ROLE_ARN"] == ci.output(f"{kind}_role_arn")["value"] == arn
    assert variables["TERRAFORM_STATE_BUCKET"] == f"${{{ci.address('aws_s3_bucket', 'state/bucket')}.bucket}}"
    assert variables["TERRAFORM_STATE_BUCKET_REGION"] == "us-east-2"
    key = f"${{{ci.address('aws_kms_key', 'state/key')}.arn}}"
    assert variables["TERRAFORM_STATE_KEY_ARN"] == ci.output("state_key_arn")["value"] == key


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
    assert len(targets) == 1 + 35 + 4 + 34  # provider, policies, roles, attachments (7 + 3 x 9)
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

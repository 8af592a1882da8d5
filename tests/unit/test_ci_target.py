"""deploy/ci_target.py and .github/deploy-targets.json: what each pipeline target deploys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy import ci_target
from lib.config import ConfigError, StackConfig

RUNNER = {
    "TERRAFORM_STATE_BUCKET": "acme-terraform-state",
    "TERRAFORM_STATE_BUCKET_REGION": "us-east-2",
    "TERRAFORM_STATE_KEY_ARN": "arn:aws:kms:us-east-2:123456789012:key/0b3f6c1e-5a8d-4f1e-9c2b-7d4e8a9b1c2d",
    "GITHUB_REPOSITORY": "acme/payments-dr",
    "GITHUB_ACTOR": "alice",
}


# The committed prod target has no subscription (nobody's address is guessed): the tests give it one.
ONCALL = {"alarm_subscriptions": ["email:oncall@acme-corp.io", "https://hooks.acme-corp.io/alarms"]}


def _targets(tmp_path: Path, **changes: dict[str, object]) -> Path:
    data = json.loads(ci_target.TARGETS_FILE.read_text())
    for name, fields in changes.items():
        data[name].update(fields)
    path = tmp_path / "targets.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("target", "pr", "profile", "suffix", "boundary"),
    [
        ("preview", 123, "dev", "pr123", "tap-ci-boundary-preview"),
        ("staging", None, "staging", "staging", "tap-ci-boundary-staging"),
        ("prod", None, "prod", "prod", "tap-ci-boundary-production"),
    ],
)
def test_each_committed_target_is_a_valid_stack_configuration(
    target: str, pr: int | None, profile: str, suffix: str, boundary: str, *, tmp_path: Path
) -> None:
    env = ci_target.resolve(target, pr, RUNNER, _targets(tmp_path, prod=ONCALL))
    assert (env["ENVIRONMENT"], env["ENVIRONMENT_SUFFIX"]) == (profile, suffix)
    assert (env["REPOSITORY"], env["COMMIT_AUTHOR"]) == ("acme/payments-dr", "alice")
    config = StackConfig.from_env({**RUNNER, **env})
    assert config.state_bucket == "acme-terraform-state" and config.state_bucket_region == "us-east-2"
    assert config.profile.name == profile
    assert config.state_key_arn == RUNNER["TERRAFORM_STATE_KEY_ARN"]
    # Every role the stack creates carries its own environment's boundary, the one its deploy
    # role requires (lib/ci_permissions.py; tests/unit/test_ci_scoping.py checks the bootstrap).
    assert config.permissions_boundary == boundary == env["PERMISSIONS_BOUNDARY"]


def test_prod_keeps_its_protections_and_one_target_owns_the_account_settings() -> None:
    targets = ci_target.load_targets()
    assert targets["prod"]["profile"] == "prod"  # deletion protection, prevent_destroy, no force_destroy
    assert [name for name, t in targets.items() if t["manage_account_settings"]] == ["staging"]
    # The longest preview suffix (GitHub's pull request numbers are below 10^10) fits the stack's names.
    assert len(targets["preview"]["suffix"].replace("{number}", "9" * 10)) <= 20


def test_a_target_without_a_domain_deselects_the_custom_domain_tests(tmp_path: Path) -> None:
    env = ci_target.resolve("staging", None, RUNNER, _targets(tmp_path))
    assert env["ENABLE_CUSTOM_DOMAIN"] == "false" and "DOMAIN_NAME" not in env
    assert env["PYTEST_ADDOPTS"] == '-m "not custom_domain"'


def test_a_target_with_a_zone_deploys_the_custom_domain(tmp_path: Path) -> None:
    path = _targets(
        tmp_path,
        prod={"domain_name": "payments.acme.com", "hosted_zone_id": "Z0123456789ABC", **ONCALL},
        preview={"domain_name": "pr{number}.preview.acme.com"},
    )
    env = ci_target.resolve("prod", None, RUNNER, path)
    assert (env["ENABLE_CUSTOM_DOMAIN"], env["DOMAIN_NAME"], env["HOSTED_ZONE_ID"]) == (
        "true",
        "payments.acme.com",
        "Z0123456789ABC",
    )
    assert "PYTEST_ADDOPTS" not in env
    assert ci_target.resolve("preview", 7, RUNNER, path)["DOMAIN_NAME"] == "pr7.preview.acme.com"


def test_prod_without_an_alarm_subscription_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The committed prod target has none: a release must not reach prod with alarms reaching no one."""
    with pytest.raises(ci_target.TargetError) as error:
        ci_target.resolve("prod", None, RUNNER, ci_target.TARGETS_FILE)
    message = str(error.value)
    assert message.startswith("the prod target has no alarm subscription: set prod.alarm_subscriptions")
    assert "\n" not in message
    assert ci_target.main(["prod"], RUNNER) == 2
    assert capsys.readouterr().err.startswith("error: the prod target has no alarm subscription")
    # A runner's own ALARM_SUBSCRIPTIONS never decides: the targets file is the one source.
    with pytest.raises(ci_target.TargetError):
        ci_target.resolve(
            "prod", None, {**RUNNER, "ALARM_SUBSCRIPTIONS": "email:x@acme-corp.io"}, ci_target.TARGETS_FILE
        )
    env = ci_target.resolve("prod", None, RUNNER, _targets(tmp_path, prod=ONCALL))
    assert env["ALARM_SUBSCRIPTIONS"] == "email:oncall@acme-corp.io,https://hooks.acme-corp.io/alarms"
    staging = ci_target.resolve(
        "staging", None, {**RUNNER, "ALARM_SUBSCRIPTIONS": "email:x@acme-corp.io"}, ci_target.TARGETS_FILE
    )
    assert staging["ALARM_SUBSCRIPTIONS"] == ""  # dev/staging may have none


def test_a_bad_subscription_is_the_stacks_own_error(tmp_path: Path) -> None:
    path = _targets(tmp_path, staging={"alarm_subscriptions": ["http://hooks.acme-corp.io/x"]})
    with pytest.raises(ConfigError, match="uses http to a host that is not loopback"):
        ci_target.resolve("staging", None, RUNNER, path)


def test_a_runner_without_the_state_bucket_is_refused() -> None:
    """A runner is thrown away after the job: a local state would be lost with it."""
    with pytest.raises(ConfigError, match="TERRAFORM_STATE_BUCKET is not set"):
        ci_target.resolve("staging", None, {"GITHUB_REPOSITORY": "acme/x"}, ci_target.TARGETS_FILE)


def test_a_runner_without_the_state_key_is_refused() -> None:
    """Without the key the S3 backend would send AES256, which the state bucket refuses."""
    runner = {k: v for k, v in RUNNER.items() if k != "TERRAFORM_STATE_KEY_ARN"}
    with pytest.raises(ConfigError, match="TERRAFORM_STATE_KEY_ARN is not set"):
        ci_target.resolve("staging", None, runner, ci_target.TARGETS_FILE)


def test_the_game_day_refuses_a_target_without_a_domain_up_front(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Staging ships without a domain: the weekly game day died later with 'is it this stack's?'."""
    with pytest.raises(ci_target.TargetError) as error:
        ci_target.resolve("staging", None, RUNNER, _targets(tmp_path), "gameday")
    message = str(error.value)
    assert message.startswith("the game day needs a domain, and the staging target has none")
    assert "staging.domain_name" in message and "\n" not in message
    argv = ["staging", "--for", "gameday", "--targets-file", str(_targets(tmp_path))]
    assert ci_target.main(argv, RUNNER) == 2
    assert capsys.readouterr().err.startswith("error: the game day needs a domain")
    zone = {"domain_name": "staging.acme.com", "hosted_zone_id": "Z0123456789ABC"}
    with_domain = _targets(tmp_path, staging=zone)
    env = ci_target.resolve("staging", None, RUNNER, with_domain, "gameday")
    assert env["DOMAIN_NAME"] == "staging.acme.com"


def test_the_stacks_own_checks_refuse_a_bad_target(tmp_path: Path) -> None:
    path = _targets(tmp_path, staging={"profile": "qa", "hosted_zone_id": "nonsense"})
    with pytest.raises(ConfigError) as error:
        ci_target.resolve("staging", None, RUNNER, path)
    assert "ENVIRONMENT='qa' must be one of dev, staging, prod" in str(error.value)
    assert "HOSTED_ZONE_ID='nonsense' is not a Route 53 zone id" in str(error.value)


def test_a_value_with_a_line_break_cannot_inject_a_variable(tmp_path: Path) -> None:
    runner = {**RUNNER, "GITHUB_ACTOR": "mallory\nAWS_ROLE=x"}
    with pytest.raises((ConfigError, ci_target.TargetError)):
        ci_target.resolve("staging", None, runner, ci_target.TARGETS_FILE)
    env = ci_target.target_env("staging", ci_target.load_targets(), None)
    assert all("\n" not in value for value in env.values())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot be read as JSON"),
        ("[]", "must hold a JSON object of targets"),
        (
            '{"staging": 1}',
            "target 'preview' is missing; target 'prod' is missing; target 'staging' must be an object",
        ),
        (
            '{"preview": {"profile": "dev"}, "staging": {}, "prod": {}}',
            "preview.suffix must be a str; preview.manage_account_settings must be a bool",
        ),
        (
            '{"preview": {"alarm_subscriptions": [1]}, "staging": {}, "prod": {}}',
            "preview.alarm_subscriptions must be a list of strings",
        ),
    ],
)
def test_a_broken_targets_file_is_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "targets.json"
    path.write_text(content)
    with pytest.raises(ci_target.TargetError, match="^" + str(path)) as error:
        ci_target.load_targets(path)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_pr_is_for_the_preview_only() -> None:
    targets = ci_target.load_targets()
    with pytest.raises(ci_target.TargetError, match="--pr is required for the preview target"):
        ci_target.target_env("preview", targets, None)
    with pytest.raises(ci_target.TargetError, match="only for it"):
        ci_target.target_env("prod", targets, 3)
    with pytest.raises(ci_target.TargetError, match="unknown target 'qa'"):
        ci_target.target_env("qa", targets, None)


def test_main_prints_github_env_lines_or_one_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert ci_target.main(["preview", "--pr", "42"], RUNNER) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "ENVIRONMENT_SUFFIX=pr42" in lines and "MANAGE_ACCOUNT_SETTINGS=false" in lines
    assert all("=" in line for line in lines)

    assert ci_target.main(["staging"], {}) == 1
    assert capsys.readouterr().err.startswith("error: TERRAFORM_STATE_BUCKET is not set")
    (tmp_path / "bad.json").write_text("[]")
    assert ci_target.main(["staging", "--targets-file", str(tmp_path / "bad.json")], RUNNER) == 2
    assert capsys.readouterr().err.count("\n") == 1
    with pytest.raises(SystemExit) as exit_:
        ci_target.main(["preview", "--pr", "0"], RUNNER)
    assert exit_.value.code == 2
    assert "a pull request number is a positive integer" in capsys.readouterr().err


def test_only_the_tested_targets_api_admits_its_own_ci_role() -> None:
    """The integration tests and the game day sign as the target's CI role: preview's and
    staging's APIs admit exactly their own role; prod's none (no tests write there)."""
    targets = ci_target.load_targets()
    assert ci_target.target_env("preview", targets, 7)["API_CALLER_ROLES"] == "tap-ci-preview"
    assert ci_target.target_env("staging", targets, None)["API_CALLER_ROLES"] == "tap-ci-staging"
    assert ci_target.target_env("prod", targets, None)["API_CALLER_ROLES"] == ""
    env = ci_target.target_env("staging", targets, None)
    assert StackConfig.from_env({**env, "TERRAFORM_STATE_BUCKET": ""}).caller_roles == ("tap-ci-staging",)

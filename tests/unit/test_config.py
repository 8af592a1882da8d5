"""lib/config.py: one place reads and validates the environment."""

from __future__ import annotations

import pytest

from lib.config import AUDIT_LOG_RETENTION_DAYS, PROFILES, ConfigError, Profile, StackConfig

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
STATE = {"TERRAFORM_STATE_BUCKET": "acme-state", "TERRAFORM_STATE_BUCKET_REGION": "eu-west-1"}
STATE_KEY = {"TERRAFORM_STATE_KEY_ARN": KEY_ARN}


def test_defaults_describe_a_dev_stack_in_us_east_1_and_us_west_2():
    config = StackConfig.from_env({})
    assert config.suffix == "dev"
    assert config.profile.name == "dev"
    assert config.stack_id == "TapStackdev"
    assert config.topology.global_region == "us-east-1"
    assert [(r.role, r.name) for r in config.topology.roles] == [
        ("primary", "us-east-1"),
        ("secondary", "us-west-2"),
    ]
    assert config.domain_name == "tap-dev.payments-dr.net"
    assert config.api_domain_name == "api.tap-dev.payments-dr.net"
    assert config.hosted_zone_id is None
    assert config.custom_domain is True
    assert config.state_bucket is None and config.state_bucket_region is None
    assert config.tags == {
        "Environment": "dev",
        "Project": "tap",
        "Repository": "unknown",
        "Author": "unknown",
        "ManagedBy": "cdktf",
        "EnvironmentSuffix": "dev",
    }


def test_reads_os_environ_when_no_mapping_is_given(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT_SUFFIX", "pr-42")
    monkeypatch.setenv("ENVIRONMENT", "staging")
    config = StackConfig.from_env()
    assert (config.suffix, config.profile.name) == ("pr-42", "staging")


def test_names_follow_project_purpose_role_suffix():
    config = StackConfig.from_env({"ENVIRONMENT_SUFFIX": "pr-7"})
    assert config.name("payments-api", "secondary") == "tap-payments-api-secondary-pr-7"
    assert config.name("payments") == "tap-payments-pr-7"


def test_blank_values_fall_back_to_defaults():
    config = StackConfig.from_env({"ENVIRONMENT_SUFFIX": "  ", "ENVIRONMENT": ""})
    assert (config.suffix, config.profile.name) == ("dev", "dev")


@pytest.mark.parametrize(
    ("profile", "retention", "window", "protection", "force_destroy"),
    [("dev", 7, 7, False, True), ("staging", 30, 14, False, True), ("prod", 365, 30, True, False)],
)
def test_profiles(profile, retention, window, protection, force_destroy):
    p = StackConfig.from_env(
        {"ENVIRONMENT": profile, "ALARM_SUBSCRIPTIONS": "email:ops@acme-corp.io"}
    ).profile
    assert p.log_retention_days == retention
    assert p.kms_deletion_window_days == window and 7 <= window <= 30
    assert p.deletion_protection is protection
    assert p.force_destroy is force_destroy
    # prevent_destroy and force_destroy contradict each other: exactly one is on.
    assert p.prevent_destroy is not force_destroy


def test_only_prod_keeps_logs_for_an_audit_year():
    assert PROFILES["prod"].log_retention_days >= AUDIT_LOG_RETENTION_DAYS
    assert PROFILES["dev"].log_retention_days < AUDIT_LOG_RETENTION_DAYS


def test_prod_has_the_largest_capacity():
    assert PROFILES["prod"].reserved_concurrency > PROFILES["staging"].reserved_concurrency
    assert PROFILES["prod"].quota_per_day > PROFILES["dev"].quota_per_day


def test_dev_reserves_no_lambda_concurrency():
    # AWS keeps an account's unreserved concurrency >= 100 after every reservation; a new
    # account's quota is 10, so any reservation fails there. dev must deploy anywhere.
    assert PROFILES["dev"].reserved_concurrency is None
    assert all(p.reserved_concurrency is None or p.reserved_concurrency > 0 for p in PROFILES.values())


def test_profiles_are_built_with_keywords_only():
    with pytest.raises(TypeError):
        Profile("dev", 7)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("domain", "accepted"),
    [
        # api.<domain> is the certificate's name: ACM allows 64 characters, so 60 here.
        ("a" * 56 + ".com", True),
        ("a" * 57 + ".com", False),
        (".".join(["b" * 30, "c" * 30, "io"]), False),
    ],
)
def test_domain_name_must_fit_acm_certificate_limit(domain, accepted):
    env = {"DOMAIN_NAME": domain}
    if accepted:
        assert len(StackConfig.from_env(env).api_domain_name) == 64
        return
    with pytest.raises(ConfigError) as error:
        StackConfig.from_env(env)
    message = str(error.value).splitlines()[1]
    assert f"api.{domain}" in message
    assert "ACM allows 64" in message and "DOMAIN_NAME at most 60" in message


def test_longest_default_domain_fits_acm():
    config = StackConfig.from_env({"ENVIRONMENT_SUFFIX": "x" * 20})
    assert len(config.api_domain_name) <= 64


@pytest.mark.parametrize(("value", "owner"), [(None, True), ("true", True), ("FALSE", False)])
def test_account_settings_owner_by_default(value, owner):
    env = {} if value is None else {"MANAGE_ACCOUNT_SETTINGS": value}
    assert StackConfig.from_env(env).manages_account_settings is owner


@pytest.mark.parametrize("suffix", ["a", "pr-123", "x" * 20, "0abc9"])
def test_valid_suffixes(suffix):
    assert StackConfig.from_env({"ENVIRONMENT_SUFFIX": suffix}).suffix == suffix


@pytest.mark.parametrize("suffix", ["Dev", "a_b", "-ab", "ab-", "x" * 21, "a.b", "ümlaut"])
def test_invalid_suffix_is_a_clear_error(suffix):
    with pytest.raises(ConfigError, match=r"ENVIRONMENT_SUFFIX=.*1-20 characters"):
        StackConfig.from_env({"ENVIRONMENT_SUFFIX": suffix})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ENVIRONMENT": "qa"}, r"ENVIRONMENT='qa' must be one of dev, staging, prod"),
        ({"PRIMARY_REGION": "us-east"}, r"PRIMARY_REGION='us-east' is not an AWS region"),
        ({"SECONDARY_REGION": "US-WEST-2"}, r"SECONDARY_REGION='US-WEST-2' is not an AWS region"),
        ({"SECONDARY_REGION": "us-east-1"}, r"must differ \(both 'us-east-1'\)"),
        # a pattern-shaped typo and another partition: both would fail only mid-apply
        ({"PRIMARY_REGION": "us-east-9"}, r"PRIMARY_REGION='us-east-9' is not a region of the aws partition"),
        (
            {"SECONDARY_REGION": "us-gov-west-1"},
            r"SECONDARY_REGION='us-gov-west-1' is not a region of the aws",
        ),
        ({"HOSTED_ZONE_ID": "Z123ABC"}, r"HOSTED_ZONE_ID is set but DOMAIN_NAME is not"),
        (
            {"HOSTED_ZONE_ID": "abc", "DOMAIN_NAME": "pay.acme.io"},
            r"HOSTED_ZONE_ID='abc' is not a Route 53 zone id",
        ),
        ({"DOMAIN_NAME": "example.com"}, r"reserved name"),
        ({"DOMAIN_NAME": "api.example.org"}, r"reserved name"),
        ({"DOMAIN_NAME": "payments.test"}, r"reserved name"),
        ({"DOMAIN_NAME": "payments.local"}, r"reserved name"),
        ({"DOMAIN_NAME": "localhost"}, r"not a valid DNS name"),
        ({"DOMAIN_NAME": "a..b.com"}, r"not a valid DNS name"),
        ({"DOMAIN_NAME": "under_score.com"}, r"not a valid DNS name"),
        ({"ENABLE_CUSTOM_DOMAIN": "yes"}, r"ENABLE_CUSTOM_DOMAIN='yes' must be 'true' or 'false'"),
        ({"MANAGE_ACCOUNT_SETTINGS": "1"}, r"MANAGE_ACCOUNT_SETTINGS='1' must be 'true' or 'false'"),
        ({"TERRAFORM_STATE_BUCKET": "Bad_Bucket"}, r"not a valid S3 bucket name"),
        (
            {"TERRAFORM_STATE_BUCKET_REGION": "eu-west-1"},
            r"TERRAFORM_STATE_BUCKET_REGION is set but TERRAFORM_STATE_BUCKET is not",
        ),
        (
            {"TERRAFORM_STATE_BUCKET": "state", "TERRAFORM_STATE_BUCKET_REGION": "moon", **STATE_KEY},
            r"TERRAFORM_STATE_BUCKET_REGION='moon' is not a region name",
        ),
        (
            {"TERRAFORM_STATE_BUCKET": "acme-state"},
            r"TERRAFORM_STATE_KEY_ARN is required with TERRAFORM_STATE_BUCKET: .* without it "
            r"Terraform's S3 backend encrypts the state with AES256, not the key",
        ),
        (STATE_KEY, r"TERRAFORM_STATE_KEY_ARN is set but TERRAFORM_STATE_BUCKET is not"),
        (
            {
                **STATE,
                "TERRAFORM_STATE_KEY_ARN": "arn:aws:kms:eu-west-1:123456789012:alias/tap-terraform-state",
            },
            r"TERRAFORM_STATE_KEY_ARN='arn:aws:kms:eu-west-1:123456789012:alias/tap-terraform-state' is "
            r"not a KMS key ARN \(arn:aws:kms:<region>:<account>:key/<id>; not an alias\)",
        ),
        (
            {**STATE, "TERRAFORM_STATE_KEY_ARN": "alias/tap-terraform-state"},
            r"TERRAFORM_STATE_KEY_ARN='alias/tap-terraform-state' is not a KMS key ARN",
        ),
        (
            {**STATE, "TERRAFORM_STATE_KEY_ARN": KEY_ARN.replace("eu-west-1", "us-east-2")},
            r"TERRAFORM_STATE_KEY_ARN is a key in us-east-2, not in the state bucket's region eu-west-1",
        ),
        (
            # Without TERRAFORM_STATE_BUCKET_REGION the bucket is in the primary region.
            {"TERRAFORM_STATE_BUCKET": "acme-state", **STATE_KEY},
            r"TERRAFORM_STATE_KEY_ARN is a key in eu-west-1, not in the state bucket's region us-east-1",
        ),
        (
            {"PERMISSIONS_BOUNDARY": "a b"},
            r"PERMISSIONS_BOUNDARY='a b' is not an IAM policy name \(1-128 letters, digits and "
            r"\+ = , \. @ - _\)",
        ),
        ({"PERMISSIONS_BOUNDARY": "p" * 129}, r"PERMISSIONS_BOUNDARY='p{129}' is not an IAM policy name"),
        ({"REPOSITORY": "acme/<script>"}, r"REPOSITORY=.* is not a valid AWS tag value"),
        ({"COMMIT_AUTHOR": "x" * 257}, r"COMMIT_AUTHOR=.* is not a valid AWS tag value"),
    ],
)
def test_bad_configuration_is_a_clear_error(env, message):
    with pytest.raises(ConfigError, match=message):
        StackConfig.from_env(env)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as error:
        StackConfig.from_env({"ENVIRONMENT_SUFFIX": "BAD", "ENVIRONMENT": "qa"})
    text = str(error.value)
    assert text.startswith("Invalid stack configuration:")
    assert "ENVIRONMENT_SUFFIX='BAD'" in text and "ENVIRONMENT='qa'" in text


def test_existing_zone_domain_is_normalised():
    config = StackConfig.from_env(
        {"DOMAIN_NAME": "Payments.Acme-Corp.IO.", "HOSTED_ZONE_ID": "Z0123456789ABCDEFGHIJ"}
    )
    assert config.domain_name == "payments.acme-corp.io"
    assert config.hosted_zone_id == "Z0123456789ABCDEFGHIJ"


def test_custom_domain_switch_is_case_insensitive():
    assert StackConfig.from_env({"ENABLE_CUSTOM_DOMAIN": "FALSE"}).custom_domain is False


def test_state_bucket_region_defaults_to_the_primary_region():
    key = KEY_ARN.replace("eu-west-1", "eu-central-1")
    config = StackConfig.from_env(
        {
            "TERRAFORM_STATE_BUCKET": "acme-state",
            "PRIMARY_REGION": "eu-central-1",
            "TERRAFORM_STATE_KEY_ARN": key,
        }
    )
    assert (config.state_bucket, config.state_bucket_region) == ("acme-state", "eu-central-1")
    assert config.state_key_arn == key


def test_the_state_key_and_the_boundary_are_read():
    config = StackConfig.from_env(
        {**STATE, **STATE_KEY, "PERMISSIONS_BOUNDARY": "tap-workload-boundary+v2=a,b.c@d-e_f"}
    )
    assert (config.state_bucket, config.state_bucket_region) == ("acme-state", "eu-west-1")
    assert config.state_key_arn == KEY_ARN
    assert config.permissions_boundary == "tap-workload-boundary+v2=a,b.c@d-e_f"
    # A multi-Region key's id (mrk-...) is a key ARN too.
    mrk = "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"
    assert StackConfig.from_env({**STATE, "TERRAFORM_STATE_KEY_ARN": mrk}).state_key_arn == mrk


def test_without_a_state_bucket_there_is_no_state_key_nor_a_boundary():
    config = StackConfig.from_env({})
    assert (config.state_bucket, config.state_key_arn, config.permissions_boundary) == (None, None, None)


def test_state_key_problem_names_what_it_was_given():
    from lib.config import state_key_problem

    assert state_key_problem(KEY_ARN, "eu-west-1") is None
    assert state_key_problem("alias/x", "eu-west-1", name="--key-arn") == (
        "--key-arn='alias/x' is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>; not an alias)"
    )
    assert state_key_problem(KEY_ARN, "us-east-2", name="--key-arn") == (
        "--key-arn is a key in eu-west-1, not in the state bucket's region us-east-2"
    )


def test_config_is_immutable():
    config = StackConfig.from_env({})
    with pytest.raises(AttributeError):
        config.suffix = "other"  # type: ignore[misc]


def test_the_known_regions_are_the_commercial_ones_botocore_knows_too():
    """A sanity check of the provider's list against botocore's own endpoint data."""
    import botocore.session

    from lib.regions import KNOWN

    botocore_regions = set(botocore.session.get_session().get_available_regions("ec2", "aws"))
    assert botocore_regions >= KNOWN
    assert {"us-east-1", "us-west-2", "eu-west-1", "eu-central-1"} <= KNOWN


# --- ALARM_SUBSCRIPTIONS (lib/alarm_subscriptions.py) ---------------------------------------------


def test_alarm_subscriptions_are_parsed_in_order():
    from lib.alarm_subscriptions import Subscription

    config = StackConfig.from_env(
        {
            "ALARM_SUBSCRIPTIONS": " email:ops@acme-corp.io , https://hooks.acme-corp.io/a,,http://127.0.0.1:8125/sns"
        }
    )
    assert config.alarm_subscriptions == (
        Subscription("email", "ops@acme-corp.io"),
        Subscription("https", "https://hooks.acme-corp.io/a"),
        Subscription("http", "http://127.0.0.1:8125/sns"),
    )
    assert StackConfig.from_env({}).alarm_subscriptions == ()  # dev may have none
    for loopback in ("http://localhost:9/x", "http://[::1]:9/x", "http://127.0.0.2/x"):
        assert (
            StackConfig.from_env({"ALARM_SUBSCRIPTIONS": loopback}).alarm_subscriptions[0].protocol == "http"
        )


def test_prod_refuses_to_synthesize_without_a_subscription():
    env = {"ENVIRONMENT": "prod", "ENVIRONMENT_SUFFIX": "prod"}
    with pytest.raises(ConfigError) as error:
        StackConfig.from_env(env)
    lines = [line for line in str(error.value).splitlines() if "ALARM_SUBSCRIPTIONS" in line]
    assert lines == [
        "  - ALARM_SUBSCRIPTIONS is empty: prod needs at least one subscription (email:<address> or "
        "https://<url>) so that an alarm reaches a person"
    ]
    assert (
        StackConfig.from_env({**env, "ALARM_SUBSCRIPTIONS": "email:ops@acme-corp.io"}).profile.name == "prod"
    )


def test_every_bad_subscription_is_one_line_of_the_one_error():
    value = ",".join(
        [
            "email:not-an-address",
            "http://hooks.acme-corp.io/x",
            "sms:+15555550100",
            "https://",
            "https://[::1",
            "email:ops@acme-corp.io",
            "EMAIL:ops@acme-corp.io",
            "http//127.0.0.1/x",
        ]
    )
    with pytest.raises(ConfigError) as error:
        StackConfig.from_env({"ALARM_SUBSCRIPTIONS": value})
    message = str(error.value)
    assert "entry 'email:not-an-address' is not an email address" in message
    assert "entry 'http://hooks.acme-corp.io/x' uses http to a host that is not loopback" in message
    assert "entry 'sms:+15555550100' must be email:<address>, https://<url>" in message
    assert "entry 'https://' is not a URL" in message
    assert "entry 'https://[::1' is not a URL" in message
    assert "entry 'EMAIL:ops@acme-corp.io' is listed twice" in message
    assert "entry 'http//127.0.0.1/x' must be email:<address>" in message
    assert message.count("ALARM_SUBSCRIPTIONS entry") == 7
    # a prod with only bad entries says what is wrong with them, not "empty" too
    with pytest.raises(ConfigError) as error:
        StackConfig.from_env({"ENVIRONMENT": "prod", "ALARM_SUBSCRIPTIONS": "email:x"})
    assert "is empty" not in str(error.value)


def test_describe_names_each_subscription_as_it_was_given():
    from lib.alarm_subscriptions import Subscription

    assert Subscription("email", "ops@acme-corp.io").describe() == "email:ops@acme-corp.io"
    assert Subscription("https", "https://h.acme-corp.io/").describe() == "https://h.acme-corp.io/"


# --- API_CALLER_ACCOUNTS (lib/api_access.py's resource policy) -----------------------------------


def test_caller_accounts_are_twelve_digit_ids_in_order_without_repeats():
    assert StackConfig.from_env({}).caller_accounts == ()
    config = StackConfig.from_env({"API_CALLER_ACCOUNTS": " 111122223333, 444455556666 ,111122223333,"})
    assert config.caller_accounts == ("111122223333", "444455556666")


@pytest.mark.parametrize("value", ["12345", "11112222333a", "arn:aws:iam::111122223333:root", "*"])
def test_a_caller_account_that_is_not_an_account_id_is_refused_in_one_line(value):
    with pytest.raises(ConfigError) as raised:
        StackConfig.from_env({"API_CALLER_ACCOUNTS": f"111122223333,{value}"})
    (line,) = [line for line in str(raised.value).splitlines() if "API_CALLER_ACCOUNTS" in line]
    assert line.endswith(f"{value!r} is not a 12-digit AWS account id")

"""deploy/preflight_aws.py: what `make deploy` / `make destroy` check in the account first.

Each bad account state is played against moto (with the harness's Lambda account-settings
patch, which moto lacks) and must be refused with ONE line that names the fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, NoCredentialsError
from moto import mock_aws
from moto.route53 import models as route53_models

from deploy import preflight_aws
from deploy.preflight_aws import DnsLookupError, main, run
from local_aws.patches import lambda_concurrency

EAST, WEST = "us-east-1", "us-west-2"
DOMAIN = "payments.acme-corp.io"


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Route 53 zone ids start with "Z" (moto's do not): the configuration checks the shape.
    original = route53_models.create_route53_zone_id
    monkeypatch.setattr(
        route53_models, "create_route53_zone_id", lambda *a, **k: "Z" + original(*a, **k)[:20]
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("EMULATOR_LAMBDA_CONCURRENCY_LIMIT", "1000")
    lambda_concurrency.apply()
    with mock_aws():
        yield


def client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)


def delegated_to(*name_servers: str):
    return lambda domain: {ns.lower().rstrip(".") for ns in name_servers}


def not_delegated(domain: str) -> set[str]:
    return set()


def check(mode: str, env: dict[str, str], lookup=not_delegated) -> preflight_aws.Report:
    return run(mode, env, client, lookup)


def key_arn(region: str) -> str:
    """A state key in ``region`` (TERRAFORM_STATE_KEY_ARN must be in the bucket's region)."""
    return f"arn:aws:kms:{region}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def state_env(bucket: str, region: str) -> dict[str, str]:
    return {
        "TERRAFORM_STATE_BUCKET": bucket,
        "TERRAFORM_STATE_BUCKET_REGION": region,
        "TERRAFORM_STATE_KEY_ARN": key_arn(region),
    }


def state_bucket(region: str = EAST) -> dict[str, str]:
    """A versioned state bucket, as staging and prod need."""
    s3 = client("s3", region)
    s3.create_bucket(Bucket="acme-tf-state")
    s3.put_bucket_versioning(Bucket="acme-tf-state", VersioningConfiguration={"Status": "Enabled"})
    return state_env("acme-tf-state", region)


# Settings that pass every deploy check but the one under test.
# prod refuses to synthesize without an alarm subscription (lib/alarm_subscriptions.py)
SUBSCRIBED = {"ALARM_SUBSCRIPTIONS": "email:oncall@acme-corp.io"}
OK = {"ENABLE_CUSTOM_DOMAIN": "false", **SUBSCRIBED}


def _zone(name: str = DOMAIN) -> tuple[str, list[str]]:
    zone = client("route53", EAST).create_hosted_zone(Name=name, CallerReference=name)
    return zone["HostedZone"]["Id"].split("/")[-1], zone["DelegationSet"]["NameServers"]


def _owner_settings() -> None:
    """What the environment that owns the account-level settings leaves in the account."""
    client("logs", EAST).put_resource_policy(policyName="tap-route53-query-logs", policyDocument="{}")
    iam = client("iam", EAST)
    role = iam.create_role(RoleName="tap-apigateway-cloudwatch-logs", AssumeRolePolicyDocument="{}")
    for region in (EAST, WEST):
        client("apigateway", region).update_account(
            patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role["Role"]["Arn"]}]
        )


def test_a_clean_dev_deploy_passes_and_says_whose_account_it_is():
    report = check("deploy", OK)
    assert report.errors == []
    assert any("(account 123456789012)" in note for note in report.notes)


def test_an_emulator_endpoint_is_refused():
    report = check("deploy", {**OK, "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"})
    assert report.errors == [
        "AWS_ENDPOINT_URL=http://127.0.0.1:4566 is set; `make deploy` targets real AWS (use the "
        "`-local` targets for the emulator, or unset it)"
    ]


def test_every_configuration_problem_is_one_line():
    report = check("deploy", {"ENVIRONMENT": "qa", "DOMAIN_NAME": "a" * 61 + ".io"})
    assert len(report.errors) == 2
    assert report.errors[0].startswith("ENVIRONMENT='qa' must be one of")
    assert "ACM allows 64" in report.errors[1]


def test_missing_credentials_are_one_line():
    def no_credentials(service: str, region: str) -> Any:
        raise NoCredentialsError()

    report = run("deploy", OK, no_credentials, not_delegated)
    assert len(report.errors) == 1
    assert report.errors[0].startswith("no usable AWS credentials (NoCredentialsError)")


# --- the custom domain ---------------------------------------------------------------------------


def test_the_default_configuration_is_refused_with_both_ways_forward():
    """Without HOSTED_ZONE_ID the stack creates an undelegated zone and ACM times out."""
    (error,) = check("deploy", {}).errors
    assert "the custom domain cannot validate" in error
    assert "tap-dev.payments-dr.net" in error
    assert "DOMAIN_NAME + HOSTED_ZONE_ID" in error  # way 1: an existing delegated zone
    assert "ENABLE_CUSTOM_DOMAIN=false" in error and "name_servers output" in error  # way 2


def test_the_stacks_own_zone_passes_once_delegated():
    _, name_servers = _zone("tap-dev.payments-dr.net")
    (error,) = check("deploy", {}).errors
    assert "tap-dev.payments-dr.net is not delegated" in error
    assert "public DNS has no NS records" in error
    assert all(ns in error for ns in name_servers)
    assert check("deploy", {}, delegated_to(*name_servers)).errors == []


def test_an_existing_zone_must_exist_be_named_domain_name_and_be_delegated():
    zone_id, name_servers = _zone()
    env = {"DOMAIN_NAME": DOMAIN, "HOSTED_ZONE_ID": zone_id}
    assert check("deploy", env, delegated_to(*name_servers)).errors == []
    (error,) = check("deploy", env, delegated_to("ns1.elsewhere.net")).errors
    assert "public DNS answers ns1.elsewhere.net" in error

    other_id, _ = _zone("other.acme-corp.io")
    (error,) = check("deploy", {**env, "HOSTED_ZONE_ID": other_id}, delegated_to(*name_servers)).errors
    assert error == f"HOSTED_ZONE_ID={other_id} is the zone 'other.acme-corp.io', not DOMAIN_NAME='{DOMAIN}'"

    (error,) = check("deploy", {**env, "HOSTED_ZONE_ID": "ZNOSUCHZONE0"}).errors
    assert error.startswith("HOSTED_ZONE_ID=ZNOSUCHZONE0: NoSuchHostedZone")


def test_an_unanswerable_dns_lookup_is_a_refusal_not_a_pass():
    def offline(domain: str) -> set[str]:
        raise DnsLookupError("Timeout: no answer in 10 s")

    zone_id, _ = _zone()
    (error,) = check("deploy", {"DOMAIN_NAME": DOMAIN, "HOSTED_ZONE_ID": zone_id}, offline).errors
    assert error.startswith(f"cannot check the delegation of {DOMAIN} (Timeout")


# --- Lambda reserved concurrency ---------------------------------------------------------------


def test_a_reservation_that_leaves_less_than_100_unreserved_is_refused(monkeypatch):
    monkeypatch.setenv("EMULATOR_LAMBDA_CONCURRENCY_LIMIT", "10")  # a new account
    errors = check("deploy", {**OK, "ENVIRONMENT": "staging", **state_bucket()}).errors
    assert errors == [
        f"{region}: reserving 20 concurrent executions for tap-payments-api-{role}-dev would leave -10 "
        "of the account's 10 unreserved, and AWS keeps at least 100: ask for a Lambda "
        f"concurrent-executions quota of at least 120 in {region}, or deploy a profile without a "
        "reservation (ENVIRONMENT=dev)"
        for role, region in (("primary", EAST), ("secondary", WEST))
    ]
    assert check("deploy", OK).errors == []  # dev reserves nothing: deploys on a new account


def test_a_reservation_that_fits_passes_and_a_redeploy_counts_its_own(monkeypatch):
    monkeypatch.setenv("EMULATOR_LAMBDA_CONCURRENCY_LIMIT", "220")
    env = {
        **OK,
        "ENVIRONMENT": "prod",
        "ENVIRONMENT_SUFFIX": "prod",
        "ALARM_SUBSCRIPTIONS": "email:oncall@acme-corp.io",
        **state_bucket(),
    }
    assert check("deploy", env).errors == []  # 220 - 100 = 120 >= 100
    lam = client("lambda", EAST)
    role = client("iam", EAST).create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(
        FunctionName="tap-payments-api-primary-prod",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )
    lam.put_function_concurrency(
        FunctionName="tap-payments-api-primary-prod", ReservedConcurrentExecutions=100
    )
    # 120 unreserved now, but the redeploy gives back its own 100 first: still fits.
    assert check("deploy", env).errors == []


# --- account-level singletons ------------------------------------------------------------------


def test_the_owner_needs_a_free_resource_policy_slot():
    logs = client("logs", EAST)
    for number in range(10):
        logs.put_resource_policy(policyName=f"other-{number}", policyDocument="{}")
    (error,) = check("deploy", OK).errors
    assert error.startswith("us-east-1 already holds 10 CloudWatch Logs resource policies")
    assert "delete an unused one" in error
    logs.delete_resource_policy(policyName="other-0")
    logs.put_resource_policy(policyName="tap-route53-query-logs", policyDocument="{}")
    assert check("deploy", OK).errors == []  # its own policy is an update, not a new slot


def test_another_environment_needs_the_owners_settings_first():
    env = {"ENVIRONMENT_SUFFIX": "pr7", "MANAGE_ACCOUNT_SETTINGS": "false", "ENABLE_CUSTOM_DOMAIN": "false"}
    errors = check("deploy", env).errors
    assert len(errors) == 3
    assert "no tap-route53-query-logs resource policy in us-east-1" in errors[0]
    assert "API Gateway in us-east-1 has no CloudWatch role" in errors[1]
    assert "API Gateway in us-west-2 has no CloudWatch role" in errors[2]
    assert all(
        e.endswith("deploy the environment that manages them first (MANAGE_ACCOUNT_SETTINGS=true)")
        for e in errors
    )
    _owner_settings()
    assert check("deploy", env).errors == []


# --- the state bucket --------------------------------------------------------------------------


def test_the_state_bucket_must_exist_be_versioned_and_be_where_configured():
    env = {**OK, **state_env("acme-state", WEST)}
    (error,) = check("deploy", env).errors
    assert error.startswith("TERRAFORM_STATE_BUCKET=acme-state: NoSuchBucket")

    s3 = client("s3", EAST)
    s3.create_bucket(Bucket="acme-state")
    errors = check("deploy", env).errors
    assert errors == [
        "TERRAFORM_STATE_BUCKET=acme-state is in us-east-1, not us-west-2: set "
        "TERRAFORM_STATE_BUCKET_REGION=us-east-1",
        "TERRAFORM_STATE_BUCKET=acme-state is not versioned: enable versioning so an overwritten or "
        "deleted state can be recovered",
    ]
    s3.put_bucket_versioning(Bucket="acme-state", VersioningConfiguration={"Status": "Enabled"})
    assert check("deploy", {**OK, **state_env("acme-state", EAST)}).errors == []


def test_local_state_is_a_warning_for_dev_and_refused_for_staging_and_prod():
    notes = check("deploy", OK).notes
    assert any(
        n.startswith("WARNING: no TERRAFORM_STATE_BUCKET: the state would stay in a local file")
        for n in notes
    )
    for profile in ("staging", "prod"):
        errors = check("deploy", {**OK, "ENVIRONMENT": profile, "ENVIRONMENT_SUFFIX": "p"}).errors
        error = errors[-1]
        assert error.startswith("no TERRAFORM_STATE_BUCKET") and error.endswith(
            f"{profile} refuses local state"
        )


def _state(kind: str, key: str = "", stack: str = "TapStackprod") -> str:
    """The stack's state object as Terraform wrote it: ``kind`` AES256, aws:kms or none."""
    encryption = {"AES256": {"ServerSideEncryption": "AES256"}, "none": {}}.get(
        kind, {"ServerSideEncryption": "aws:kms", **({"SSEKMSKeyId": key} if key else {})}
    )
    s3 = client("s3", EAST)
    s3.put_object(Bucket="acme-tf-state", Key=f"{stack}/terraform.tfstate", Body=b"{}", **encryption)
    return f"s3://acme-tf-state/{stack}/terraform.tfstate"


PROD = {
    "ENVIRONMENT": "prod",
    "ENVIRONMENT_SUFFIX": "prod",
    "ALARM_SUBSCRIPTIONS": "email:oncall@acme-corp.io",
}


def _migrate(region: str = EAST, stack: str = "TapStackprod") -> str:
    return (
        f"python -m deploy.state_encryption migrate --bucket acme-tf-state --region {region} "
        f"--key-arn {key_arn(region)} --prefix {stack}/ --apply"
    )


@pytest.mark.parametrize("mode", ["deploy", "plan"])
def test_a_state_not_encrypted_with_the_state_key_is_refused_with_the_migration(mode):
    env = {**OK, **PROD, "ENABLE_CUSTOM_DOMAIN": "false", **state_bucket()}
    key = key_arn(EAST)
    assert [e for e in check(mode, env).errors if "terraform.tfstate" in e] == []  # first deploy: none yet
    state = _state("AES256")
    assert [e for e in check(mode, env).errors if "terraform.tfstate" in e] == [
        f"{state} is encrypted with AES256, not the state key {key}: re-encrypt it with administrator "
        f"credentials: {_migrate()} (docs/state-encryption.md)"
    ]
    other = key.replace("1234abcd", "9999abcd")
    _state("aws:kms", other)
    (error,) = [e for e in check(mode, env).errors if "terraform.tfstate" in e]
    assert error.startswith(f"{state} is encrypted with aws:kms with {other}, not the state key {key}")
    _state("aws:kms")  # the AWS managed key: S3 reports aws:kms alone here (moto)
    (error,) = [e for e in check(mode, env).errors if "terraform.tfstate" in e]
    assert error.startswith(f"{state} is encrypted with aws:kms, not the state key")
    _state("none")
    (error,) = [e for e in check(mode, env).errors if "terraform.tfstate" in e]
    assert error.startswith(f"{state} is encrypted with no server-side encryption reported, not")
    _state("aws:kms", key)
    assert [e for e in check(mode, env).errors if "terraform.tfstate" in e] == []


def test_only_the_stacks_own_state_is_read():
    env = {**OK, **PROD, **state_bucket()}
    _state("AES256", stack="TapStackpr7")  # another environment's: its own preflight says so
    assert check("plan", env).errors == []


def test_a_state_that_cannot_be_read_is_one_line():
    env = {**PROD, **state_bucket()}

    def no_head(service: str, region: str) -> Any:
        real = client(service, region)
        if service != "s3":
            return real

        class Forbidden:
            def __getattr__(self, name: str) -> Any:
                return getattr(real, name)

            def head_object(self, **kwargs: Any) -> Any:
                raise ClientError({"Error": {"Code": "403", "Message": "Forbidden"}}, "HeadObject")

        return Forbidden()

    assert run("plan", env, no_head, not_delegated).errors == [
        "could not check the account (ClientError: An error occurred (403) when calling the HeadObject "
        "operation: Forbidden): check the credentials' permissions"
    ]


# --- destroy -----------------------------------------------------------------------------------


def _table(name: str, region: str = EAST) -> None:
    client("dynamodb", region).create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
    )


def test_the_owner_of_the_account_settings_is_destroyed_last():
    _table("tap-payments-dev")
    _table("tap-payments-pr7", WEST)
    _table("other-project-table")
    (error,) = check("destroy", {}).errors
    assert error.startswith("this environment owns the account-level settings")
    assert "that pr7 use: destroy those first" in error
    # the other environment itself may go at any time
    assert check("destroy", {"ENVIRONMENT_SUFFIX": "pr7", "MANAGE_ACCOUNT_SETTINGS": "false"}).errors == []
    client("dynamodb", WEST).delete_table(TableName="tap-payments-pr7")
    assert check("destroy", {}).errors == []


# --- the command -------------------------------------------------------------------------------


def test_main_prints_one_line_per_problem_and_exits_1(monkeypatch, capsys):
    monkeypatch.setenv("ENVIRONMENT", "staging")
    monkeypatch.setenv("ENABLE_CUSTOM_DOMAIN", "false")
    for name, value in state_bucket().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("EMULATOR_LAMBDA_CONCURRENCY_LIMIT", "10")
    assert main(["deploy"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("error: us-") for line in err)


def test_main_passes_a_gameday_with_credentials(monkeypatch, capsys):
    assert main(["gameday"]) == 0
    assert "gameday as arn:aws:sts::123456789012" in capsys.readouterr().out


def test_main_refuses_an_unknown_mode(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["deploy-everything"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith("error: argument mode: invalid choice")


def test_public_name_servers_reads_ns_records(monkeypatch):
    import dns.resolver

    class Answer(list):
        pass

    class Record:
        def __init__(self, text: str) -> None:
            self.text = text

        def to_text(self) -> str:
            return self.text

    answers = {"acme-corp.io": Answer([Record("NS-1.AWSDNS-01.COM."), Record("ns-2.awsdns-02.net.")])}

    def resolve(name: str, rdtype: str, lifetime: float) -> Answer:
        assert rdtype == "NS"
        if name not in answers:
            raise dns.resolver.NXDOMAIN()
        return answers[name]

    monkeypatch.setattr(dns.resolver, "resolve", resolve)
    assert preflight_aws.public_name_servers("acme-corp.io") == {"ns-1.awsdns-01.com", "ns-2.awsdns-02.net"}
    assert preflight_aws.public_name_servers("undelegated.acme-corp.io") == set()

    def timeout(name: str, rdtype: str, lifetime: float) -> Answer:
        raise dns.exception.Timeout()

    monkeypatch.setattr(dns.resolver, "resolve", timeout)
    with pytest.raises(DnsLookupError, match="Timeout"):
        preflight_aws.public_name_servers("acme-corp.io")


# --- plan (read-only, for a pull request) --------------------------------------------------------


def test_a_plan_checks_only_the_endpoint_the_configuration_the_credentials_and_the_state_bucket(
    monkeypatch,
):
    monkeypatch.setenv("EMULATOR_LAMBDA_CONCURRENCY_LIMIT", "10")  # a deploy would be refused
    _table("tap-payments-pr7")  # a destroy of the owner would be refused
    env = {
        "ENVIRONMENT": "prod",
        "ENVIRONMENT_SUFFIX": "prod",
        "ALARM_SUBSCRIPTIONS": "email:oncall@acme-corp.io",
        **state_bucket(),
    }  # undelegated domain
    assert check("deploy", env).errors != []
    report = check("plan", env)
    assert report.errors == []
    assert report.notes == ["plan as arn:aws:sts::123456789012:user/moto (account 123456789012)"]
    endpoint = check("plan", {**env, "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}).errors
    assert endpoint == [
        "AWS_ENDPOINT_URL=http://127.0.0.1:4566 is set; `make plan` targets real AWS (use the "
        "`-local` targets for the emulator, or unset it)"
    ]
    assert check("plan", {"ENVIRONMENT": "qa"}).errors[0].startswith("ENVIRONMENT='qa' must be one of")


def test_a_plan_needs_the_state_bucket_when_one_is_configured():
    env = state_env("acme-state", WEST)
    (error,) = check("plan", env).errors
    assert error.startswith("TERRAFORM_STATE_BUCKET=acme-state: NoSuchBucket")
    client("s3", EAST).create_bucket(Bucket="acme-state")
    errors = check("plan", env).errors
    assert len(errors) == 2
    assert errors[0].startswith("TERRAFORM_STATE_BUCKET=acme-state is in us-east-1, not us-west-2")
    assert errors[1].startswith("TERRAFORM_STATE_BUCKET=acme-state is not versioned")


def test_a_plan_without_a_state_bucket_is_not_refused_but_said():
    for profile in ("dev", "prod"):
        report = check("plan", {**SUBSCRIBED, "ENVIRONMENT": profile, "ENVIRONMENT_SUFFIX": "pr12"})
        assert report.errors == []
        assert report.notes[-1] == (
            "no TERRAFORM_STATE_BUCKET: the plan compares with the local state file "
            "terraform.TapStackpr12.tfstate (none: everything is to add)"
        )


def test_a_plan_whose_state_bucket_cannot_be_checked_is_one_line():
    def read_only(service: str, region: str) -> Any:
        real = client(service, region)
        if service != "s3":
            return real

        class Denied:
            def get_bucket_location(self, **kwargs: Any) -> Any:
                raise NoCredentialsError()

        return Denied()

    report = run("plan", state_bucket(), read_only, not_delegated)
    assert report.errors == [
        "could not check the account (NoCredentialsError: Unable to locate credentials): "
        "check the credentials' permissions"
    ]


def test_main_plan(capsys):
    assert main(["plan"]) == 0
    out = capsys.readouterr().out
    assert "preflight: plan as arn:aws:sts::123456789012" in out
    assert "no TERRAFORM_STATE_BUCKET" in out

"""Who may call the payments API (lib/api_access.py): the signed routes' authorization, each
API's resource policy and the caller policy, read from the synthesized stacks and played through
the project's IAM evaluator (local_aws/iam_policy.py) with concrete ARNs."""

from __future__ import annotations

import json

import pytest
from moto.iam.access_control import PermissionResult

from lib import api_access
from lib.api_contract import ROUTES, Route
from local_aws.iam_policy import Request, evaluate
from tests.unit.conftest import REGIONS, policy_of

ACCOUNT = "123456789012"
OTHER = "111122223333"  # PROD_ENV's API_CALLER_ACCOUNTS
STRANGER = "444455556666"
API_IDS = {"primary": "abc123defg", "secondary": "zyx987wvut"}
ACCOUNT_TOKEN = "${data.aws_caller_identity.caller.account_id}"


def _execution_arn(role: str, region: str) -> str:
    return f"arn:aws:execute-api:{region}:{ACCOUNT}:{API_IDS[role]}"


def _concrete(document: str, synth) -> dict:
    """A synthesized policy with the account and the APIs' execution ARNs filled in."""
    for role, region in REGIONS:
        reference = synth.ref("aws_api_gateway_rest_api", f"api-{role}/rest-api", "execution_arn")
        document = document.replace(reference, _execution_arn(role, region))
    return json.loads(document.replace(ACCOUNT_TOKEN, ACCOUNT))


def _invoke(
    role: str, region: str, method_path: str, *, principal: tuple[str, str] | None, account: str | None
):
    context = {"aws:PrincipalAccount": account} if account else {}
    return Request(
        action="execute-api:Invoke",
        resource=f"{_execution_arn(role, region)}/v1/{method_path}",
        context=context,
        complete=True,
        principal=principal,
    )


def _user(account: str) -> tuple[str, str]:
    return ("AWS", f"arn:aws:iam::{account}:user/app")


def _root(account: str) -> tuple[str, str]:
    return ("AWS", f"arn:aws:iam::{account}:root")


SIGNED_CALLS = ("POST/payments", "GET/payments/p-1", "GET/customers/c-1/payments")


def test_the_contract_names_each_routes_authorization():
    assert {(r.method, r.path): r.authorization for r in ROUTES} == {
        ("POST", "/payments"): "AWS_IAM",
        ("GET", "/payments/{payment_id}"): "AWS_IAM",
        ("GET", "/customers/{customer_id}/payments"): "AWS_IAM",
        ("GET", "/health"): "NONE",
    }
    assert [r.arn_path for r in ROUTES] == ["payments", "payments/*", "customers/*/payments", "health"]


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_methods_are_authorized_as_the_contract_says(dev, role, region):
    by_path = {(route.method, route.path): route.authorization for route in ROUTES}
    for route_id, (verb, path) in {
        "post-payments": ("POST", "/payments"),
        "get-payments-payment_id": ("GET", "/payments/{payment_id}"),
        "get-customers-customer_id-payments": ("GET", "/customers/{customer_id}/payments"),
        "get-health": ("GET", "/health"),
    }.items():
        body = dev.get("aws_api_gateway_method", f"api-{role}/method-{route_id}")
        assert body["authorization"] == by_path[(verb, path)], route_id
    assert dev.count("aws_api_gateway_method") == len(REGIONS) * len(ROUTES)


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_resource_policy_refuses_other_accounts_and_opens_only_health(dev, role, region):
    body = dev.get("aws_api_gateway_rest_api_policy", f"api-{role}/resource-policy")
    assert body["rest_api_id"] == dev.ref("aws_api_gateway_rest_api", f"api-{role}/rest-api", "id")
    assert body["provider"] == f"aws.{role}"
    policy = _concrete(body["policy"], dev)
    assert [s["Sid"] for s in policy["Statement"]] == [
        "OpenRoutesToAnyone",
        "SignedRoutesOnlyFromAdmittedAccounts",
    ]
    anonymous = None
    # health: anyone, signed or not (Route 53's checkers cannot sign)
    assert evaluate([policy], _invoke(role, region, "GET/health", principal=anonymous, account=None)) == (
        PermissionResult.PERMITTED
    )
    for call in SIGNED_CALLS:
        # this account: the resource policy neither allows nor denies (the caller's IAM policy decides)
        ours = _invoke(
            role, region, call, principal=("AWS", f"arn:aws:iam::{ACCOUNT}:user/app"), account=ACCOUNT
        )
        assert evaluate([policy], ours) == PermissionResult.NEUTRAL, call
        # any other account, and an anonymous caller: explicitly denied
        theirs = _invoke(
            role, region, call, principal=("AWS", f"arn:aws:iam::{STRANGER}:user/x"), account=STRANGER
        )
        assert evaluate([policy], theirs) == PermissionResult.DENIED, call
        assert evaluate([policy], _invoke(role, region, call, principal=anonymous, account=None)) == (
            PermissionResult.DENIED
        )
    # no other route is opened: the health allow names GET /health of this stage only
    for other in ("POST/health", "GET/healthz", "GET/payments"):
        assert evaluate([policy], _invoke(role, region, other, principal=anonymous, account=None)) != (
            PermissionResult.PERMITTED
        ), other


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_configured_accounts_are_admitted_and_need_their_own_grant(prod, role, region):
    policy = _concrete(
        prod.get("aws_api_gateway_rest_api_policy", f"api-{role}/resource-policy")["policy"], prod
    )
    admitted = policy["Statement"][-1]
    assert admitted["Sid"] == "SignedRoutesToCallerAccounts"
    assert admitted["Principal"] == {"AWS": [f"arn:aws:iam::{OTHER}:root"]}
    for call in SIGNED_CALLS:
        theirs = _invoke(role, region, call, principal=_root(OTHER), account=OTHER)
        assert evaluate([policy], theirs) == PermissionResult.PERMITTED, call
        stranger = _invoke(
            role, region, call, principal=("AWS", f"arn:aws:iam::{STRANGER}:root"), account=STRANGER
        )
        assert evaluate([policy], stranger) == PermissionResult.DENIED, call
        ours = _invoke(role, region, call, principal=_root(ACCOUNT), account=ACCOUNT)
        assert evaluate([policy], ours) == PermissionResult.NEUTRAL, call  # never an allow for this account


def test_caller_policy_grants_exactly_the_signed_routes_of_both_regions(dev):
    body = dev.get("aws_iam_policy", "caller-policy/policy")
    assert body["name"] == "tap-payments-invoke-dev"
    assert body["provider"] == "aws.primary"
    assert "SigV4" in body["description"]
    policy = _concrete(body["policy"], dev)
    (grant,) = policy["Statement"]
    assert grant["Action"] == ["execute-api:Invoke"]
    assert len(grant["Resource"]) == 3 * len(REGIONS)
    for role, region in REGIONS:
        for call in SIGNED_CALLS:
            request = _invoke(role, region, call, principal=None, account=ACCOUNT)
            assert evaluate([policy], request) == PermissionResult.PERMITTED, (role, call)
        for refused in ("GET/health", "DELETE/payments/p-1", "PUT/payments", "GET/customers/c-1"):
            assert evaluate([policy], _invoke(role, region, refused, principal=None, account=ACCOUNT)) == (
                PermissionResult.NEUTRAL
            ), (role, refused)
    # another stage, another API of the account, another region's copy of the same id: nothing
    for resource in (
        f"{_execution_arn('primary', 'us-east-1')}/test/POST/payments",
        f"arn:aws:execute-api:us-east-1:{ACCOUNT}:otherapi01/v1/POST/payments",
        f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:{API_IDS['primary']}/v1/POST/payments",
    ):
        request = Request(action="execute-api:Invoke", resource=resource, complete=True)
        assert evaluate([policy], request) == PermissionResult.NEUTRAL, resource


def test_caller_policy_is_an_output_with_the_admitted_accounts(dev, prod):
    assert dev.output("caller_policy_arn")["value"] == dev.ref(
        "aws_iam_policy", "caller-policy/policy", "arn"
    )
    assert "SigV4" in dev.output("caller_policy_arn")["description"]
    assert OTHER not in dev.output("api_caller_accounts")["value"]
    assert f"principals of {OTHER}" in prod.output("api_caller_accounts")["value"]


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_a_policy_change_redeploys_the_stage(dev, role, region):
    deployment = dev.get("aws_api_gateway_deployment", f"api-{role}/deployment")
    address = dev.address("aws_api_gateway_rest_api_policy", f"api-{role}/resource-policy")
    assert address in deployment["depends_on"]
    assert (
        dev.logical_id("aws_api_gateway_rest_api_policy", f"api-{role}/resource-policy")
        in (deployment["triggers"]["redeployment"])
    )
    from lib import regional_api

    shape = api_access.resource_policy("<api>", "v1", ROUTES, "<account>", caller_accounts=[])
    signature = regional_api._route_signature(shape)
    assert signature in deployment["triggers"]["redeployment"]
    # the shape is the synthesized document with placeholders for the API and the account
    synthesized = policy_of(dev.get("aws_api_gateway_rest_api_policy", f"api-{role}/resource-policy"))
    reference = dev.ref("aws_api_gateway_rest_api", f"api-{role}/rest-api", "execution_arn")
    placed = json.dumps(synthesized).replace(reference, "<api>").replace(ACCOUNT_TOKEN, "<account>")
    assert json.loads(placed) == shape
    # another admitted account changes the signature: the stage redeploys with the new policy
    admitted = api_access.resource_policy("<api>", "v1", ROUTES, "<account>", caller_accounts=[OTHER])
    assert regional_api._route_signature(admitted) != signature


def test_a_route_without_a_valid_authorization_is_refused():
    from lib.api_contract import _route

    for bad in (
        {"method": "GET", "path": "/x", "api_key": True},
        {"method": "GET", "path": "/x", "api_key": True, "authorization": "COGNITO"},
    ):
        with pytest.raises(ValueError, match="authorization must be one of AWS_IAM, NONE"):
            _route(bad)


def test_resource_policy_without_open_routes_has_no_open_statement():
    signed_only = [Route("POST", "/payments", True, authorization="AWS_IAM")]
    api = "arn:aws:execute-api:us-east-1:1:a"
    policy = api_access.resource_policy(api, "v1", signed_only, "1")
    assert [s["Sid"] for s in policy["Statement"]] == ["SignedRoutesOnlyFromAdmittedAccounts"]
    # this account listed among the callers is not an "other" account
    listed = api_access.resource_policy(api, "v1", signed_only, "1", caller_accounts=["1"])
    assert listed == policy


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_named_roles_of_this_account_are_admitted_without_a_grant_of_their_own(staging, role, region):
    """API_CALLER_ROLES (the CI role that runs a target's integration tests): Table A lets a
    same-account caller in on the resource policy's allow alone; nobody else gains anything."""
    body = staging.get("aws_api_gateway_rest_api_policy", f"api-{role}/resource-policy")
    policy = _concrete(body["policy"], staging)
    named = policy["Statement"][-1]
    assert named["Sid"] == "SignedRoutesToNamedRoles"
    assert named["Principal"] == {"AWS": [f"arn:aws:iam::{ACCOUNT}:role/tap-ci-staging"]}
    ci = ("AWS", f"arn:aws:iam::{ACCOUNT}:role/tap-ci-staging")
    other_role = ("AWS", f"arn:aws:iam::{ACCOUNT}:role/tap-ci-preview")
    for call in SIGNED_CALLS:
        request = _invoke(role, region, call, principal=ci, account=ACCOUNT)
        assert evaluate([policy], request) == PermissionResult.PERMITTED, call
        other = _invoke(role, region, call, principal=other_role, account=ACCOUNT)
        assert evaluate([policy], other) == PermissionResult.NEUTRAL, call
    assert "tap-ci-staging" in staging.output("api_caller_accounts")["value"]


def test_a_caller_role_that_is_not_a_role_name_is_refused_in_one_line():
    from lib.config import ConfigError, StackConfig

    assert StackConfig.from_env({"API_CALLER_ROLES": "a, b,a"}).caller_roles == ("a", "b")
    refused = r"API_CALLER_ROLES: 'arn:aws:iam::1:role/x' is not an IAM role name"
    with pytest.raises(ConfigError, match=refused):
        StackConfig.from_env({"API_CALLER_ROLES": "arn:aws:iam::1:role/x"})

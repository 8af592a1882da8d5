"""The payment routes are AWS_IAM: over HTTP, through each region's stage, each custom domain and
the failover name, an unsigned request is refused and a request signed as the caller (the stack's
``caller_policy_arn`` policy) is served; /health stays open; a signature for the other region is
refused with API Gateway's scope error, which the client answers by re-signing. The caller
policy itself grants exactly the signed routes of both stages.

API Gateway's answers, from "How do I troubleshoot HTTP 403 errors from API Gateway?"
(https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden): "Missing
authentication token | "x-amzn-errortype" = "MissingAuthenticationTokenException" | "Missing
Authentication Token" | An authentication token wasn't found in the request." The scope error:
"Credential should be scoped to a valid region, not '<region>'. " (a third-party capture of real
AWS, https://github.com/Kong/insomnia/issues/713). The stack's DEFAULT_4XX response gives each
message the handler's ``{"error": ...}`` shape.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.credentials import Credentials

from cli.api_client import Endpoint, Response, Signer
from lib.api_contract import ROUTES
from tests.integration.conftest import ClientFactory, Deployment
from tests.integration.support import as_list, policy_document

pytestmark = pytest.mark.integration

VALID_BODY = {"amount": "1.00", "currency": "EUR", "customer_id": "it-sigv4"}


def error_type(response: Response) -> str:
    """x-amzn-ErrorType without the namespace some services append after a colon."""
    return (response.header("x-amzn-ErrorType") or "").split(":")[0]


def stored(
    deployment: Deployment, client: ClientFactory, role: str, payment_id: str
) -> dict[str, Any] | None:
    return (
        client("dynamodb", deployment.region(role))
        .get_item(TableName=deployment.table_name, Key={"payment_id": {"S": payment_id}}, ConsistentRead=True)
        .get("Item")
    )


def new_payment() -> dict[str, str]:
    return {**VALID_BODY, "payment_id": f"it-sigv4-{uuid.uuid4().hex}"}


def assert_unsigned_is_refused(
    endpoint: Endpoint, deployment: Deployment, client: ClientFactory, role: str
) -> None:
    payment = new_payment()
    response = endpoint.call("POST", "/payments", payment, signed=False)
    assert (response.status, response.body) == (403, {"error": "Missing Authentication Token"})
    assert error_type(response) == "MissingAuthenticationTokenException"
    assert response.signed_for is None
    assert stored(deployment, client, role, payment["payment_id"]) is None  # nothing reached the function


def assert_signed_is_created(
    endpoint: Endpoint, deployment: Deployment, client: ClientFactory, role: str
) -> None:
    payment = new_payment()
    response = endpoint.call("POST", "/payments", payment)
    region = deployment.region(role)
    assert response.status == 201, (response.status, response.body)
    assert (response.body["payment_id"], response.body["region"], response.signed_for) == (
        payment["payment_id"],
        region,
        region,
    )
    assert stored(deployment, client, role, payment["payment_id"]) is not None


# --- each region's stage --------------------------------------------------------------------


def test_an_unsigned_payment_through_each_stage_is_missing_authentication_token(
    endpoints: dict[str, Endpoint], deployment: Deployment, client: ClientFactory, role: str
) -> None:
    assert_unsigned_is_refused(endpoints[role], deployment, client, role)


def test_a_payment_signed_as_the_caller_is_created_through_each_stage(
    endpoints: dict[str, Endpoint], deployment: Deployment, client: ClientFactory, role: str
) -> None:
    assert_signed_is_created(endpoints[role], deployment, client, role)


def test_health_stays_open_unsigned_through_each_stage(
    endpoints: dict[str, Endpoint], role: str, region: str
) -> None:
    response = endpoints[role].call("GET", "/health", with_key=False, signed=False)
    assert (response.status, response.body) == (200, {"status": "ok", "region": region, "role": role})


# --- each region's custom domain, and the failover name --------------------------------------


@pytest.mark.custom_domain
def test_an_unsigned_payment_through_each_custom_domain_is_missing_authentication_token(
    custom_domains: dict[str, Endpoint], deployment: Deployment, client: ClientFactory, role: str
) -> None:
    assert_unsigned_is_refused(custom_domains[role], deployment, client, role)


@pytest.mark.custom_domain
def test_a_payment_signed_for_its_region_is_created_through_each_custom_domain(
    custom_domains: dict[str, Endpoint], deployment: Deployment, client: ClientFactory, role: str
) -> None:
    assert_signed_is_created(custom_domains[role], deployment, client, role)


@pytest.mark.custom_domain
def test_health_stays_open_unsigned_through_each_custom_domain(
    custom_domains: dict[str, Endpoint], role: str, region: str
) -> None:
    response = custom_domains[role].call("GET", "/health", with_key=False, signed=False)
    assert (response.status, response.body) == (200, {"status": "ok", "region": region, "role": role})


@pytest.mark.custom_domain
def test_an_unsigned_payment_through_the_failover_name_is_missing_authentication_token(
    failover_endpoint: Endpoint, deployment: Deployment, client: ClientFactory
) -> None:
    assert_unsigned_is_refused(failover_endpoint, deployment, client, "primary")


@pytest.mark.custom_domain
def test_a_signed_payment_through_the_failover_name_is_created_in_the_primary(
    failover_endpoint: Endpoint, deployment: Deployment, client: ClientFactory
) -> None:
    assert_signed_is_created(failover_endpoint, deployment, client, "primary")


@pytest.mark.custom_domain
def test_a_signature_for_the_other_region_is_refused_unprocessed_and_the_client_re_signs(
    custom_domains: dict[str, Endpoint], deployment: Deployment, client: ClientFactory, caller: Credentials
) -> None:
    """The secondary's custom domain (the same name as the primary's) signed for the primary, as
    a client of the failover name signs first: API Gateway refuses the scope before processing
    anything; the client's next signature, for the secondary, is served."""
    primary, secondary = deployment.region("primary"), deployment.region("secondary")
    domain = custom_domains["secondary"]
    refused_payment = new_payment()
    only_primary = Endpoint(domain.base_url, domain.api_key, domain.connect_to, Signer(caller, [primary]))
    refused = only_primary.call("POST", "/payments", refused_payment)
    assert refused.status == 403 and refused.wrong_region, (refused.status, refused.body)
    assert f"not '{primary}'" in refused.body["error"]
    assert stored(deployment, client, "secondary", refused_payment["payment_id"]) is None

    signer = Signer(caller, [primary, secondary])
    preferring_primary = Endpoint(domain.base_url, domain.api_key, domain.connect_to, signer)
    payment = new_payment()
    served = preferring_primary.call("POST", "/payments", payment)
    assert (served.status, served.body["region"], served.signed_for) == (201, secondary, secondary)
    host = domain.base_url.split("//", 1)[1]
    assert signer.remembered(host) == secondary
    assert stored(deployment, client, "secondary", payment["payment_id"]) is not None


# --- the caller policy ------------------------------------------------------------------------


def test_the_caller_policy_grants_invoke_on_exactly_the_signed_routes_of_both_stages(
    deployment: Deployment, client: ClientFactory
) -> None:
    iam = client("iam", deployment.topology.global_region)
    policy = iam.get_policy(PolicyArn=deployment.outputs["caller_policy_arn"])["Policy"]
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
    document = policy_document(version["PolicyVersion"]["Document"])
    granted: set[str] = set()
    for statement in as_list(document["Statement"]):
        assert statement["Effect"] == "Allow" and as_list(statement["Action"]) == ["execute-api:Invoke"], (
            statement
        )
        assert "Condition" not in statement and "NotResource" not in statement, statement
        granted |= set(as_list(statement["Resource"]))
    expected = {
        deployment.arn(
            "execute-api",
            role,
            f"{deployment.api_id(role)}/{deployment.stage(role)}/{route.method}/{route.arn_path}",
        )
        for role, _ in deployment.topology.roles
        for route in ROUTES
        if route.signed
    }
    assert granted == expected
    assert not any("/health" in arn for arn in granted)

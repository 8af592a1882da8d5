"""What API Gateway itself answers, over HTTP in both regions: the API key, the request
validator, the routes it does not have, the throttle; and the failover name, reached as a
client reaches it (DNS, then HTTP). The configuration these come from is checked in
test_api.py; here it has to work. Requests are signed as the caller (conftest) unless a test
says ``signed=False``; what the signature itself decides is in test_sigv4.py.
"""

from __future__ import annotations

import concurrent.futures
import uuid

import pytest

from cli.api_client import Endpoint
from lib.api_contract import ROUTES
from lib.config import Profile
from tests.integration.conftest import ClientFactory, Deployment
from tests.integration.support import eventually

pytestmark = pytest.mark.integration

KEYED = [(r.method, r.path) for r in ROUTES if r.api_key_required]
SAMPLE_PATH = {"{payment_id}": "it-none", "{customer_id}": "it-none"}
VALID_BODY = {"amount": "1.00", "currency": "EUR", "customer_id": "it-c"}


def _concrete(path: str) -> str:
    for template, value in SAMPLE_PATH.items():
        path = path.replace(template, value)
    return path


@pytest.fixture
def stage(endpoints: dict[str, Endpoint], role: str) -> Endpoint:
    return endpoints[role]


@pytest.mark.parametrize(("method", "path"), KEYED)
def test_a_keyed_route_refuses_a_missing_or_wrong_key(stage: Endpoint, method: str, path: str) -> None:
    body = VALID_BODY if method == "POST" else None
    missing = stage.call(method, _concrete(path), body, with_key=False)
    assert (missing.status, missing.body) == (403, {"error": "Forbidden"})
    wrong = stage.call(method, _concrete(path), body, headers={"x-api-key": "w" * 40})
    assert (wrong.status, wrong.body) == (403, {"error": "Forbidden"})


def test_health_needs_no_key_and_no_signature(stage: Endpoint, region: str, role: str) -> None:
    response = stage.call("GET", "/health", with_key=False, signed=False)
    assert (response.status, response.body) == (200, {"status": "ok", "region": region, "role": role})


@pytest.mark.parametrize(("method", "path"), [("GET", "/nope"), ("DELETE", "/payments"), ("PUT", "/health")])
def test_a_route_the_api_does_not_have_is_missing_authentication_token(
    stage: Endpoint, method: str, path: str
) -> None:
    """API Gateway answers 403 MISSING_AUTHENTICATION_TOKEN for an unknown resource or method
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html);
    the stack's DEFAULT_4XX response gives it the handler's {"error": ...} shape."""
    response = stage.call(method, path)
    assert (response.status, response.body) == (403, {"error": "Missing Authentication Token"})


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "1.00", "currency": "EUR"},  # customer_id missing
        {**VALID_BODY, "currency": "euro"},  # pattern
        {**VALID_BODY, "unexpected": True},  # additionalProperties
    ],
)
def test_the_validator_refuses_a_bad_body_before_the_function(
    stage: Endpoint, body: dict, deployment: Deployment, client: ClientFactory, region: str
) -> None:
    payment_id = f"it-{uuid.uuid4().hex}"
    response = stage.call("POST", "/payments", {**body, "payment_id": payment_id})
    # The handler's own 400s name the field; API Gateway's validator says only this.
    assert (response.status, response.body) == (400, {"error": "Invalid request body"})
    stored = client("dynamodb", region).get_item(
        TableName=deployment.table_name, Key={"payment_id": {"S": payment_id}}, ConsistentRead=True
    )
    assert "Item" not in stored


def test_a_body_that_is_not_json_is_refused_by_the_validator(stage: Endpoint) -> None:
    response = stage.call("POST", "/payments", raw=b"{not json", headers={"Content-Type": "application/json"})
    assert (response.status, response.body) == (400, {"error": "Invalid request body"})


@pytest.mark.custom_domain
def test_the_failover_name_answers_from_the_primary_while_it_is_healthy(
    failover_endpoint: Endpoint, deployment: Deployment
) -> None:
    response = failover_endpoint.call("GET", "/health", with_key=False, signed=False)
    assert response.status == 200
    assert response.body == {"status": "ok", "region": deployment.region("primary"), "role": "primary"}


def test_a_burst_over_the_throttle_gets_429_then_the_stage_recovers(
    endpoints: dict[str, Endpoint], profile: Profile
) -> None:
    """The stage and usage plan allow ``throttle_burst_limit`` at once, then
    ``throttle_rate_limit`` per second: a burst of three times the limit, from a few threads,
    must meet 429 (bounded: three times the burst, no more). Invalid bodies keep the function out."""
    stage = endpoints["primary"]
    limit = 3 * profile.throttle_burst_limit

    def one(_: int) -> tuple[int, str]:
        response = stage.call("POST", "/payments", {"bad": True})
        return response.status, response.body["error"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        answers = set(pool.map(one, range(limit)))
    assert (429, "Too Many Requests") in answers, sorted(answers)
    assert answers <= {(400, "Invalid request body"), (429, "Too Many Requests")}
    eventually(
        lambda: stage.call("GET", "/health").status == 200,
        "the stage to accept requests again after the burst",
        timeout=profile.throttle_burst_limit / profile.throttle_rate_limit + 10,
    )

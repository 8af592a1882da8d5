"""Who may call the signed routes, on the emulator only (it creates IAM users, which the CI roles on
AWS may not: conftest's ``collect_ignore``): a correct signature is not enough, the signer needs
``execute-api:Invoke`` on the route of this stage; a signature too old is refused whoever signs.

API Gateway's answers, from "How do I troubleshoot HTTP 403 errors from API Gateway?"
(https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden): "Access denied |
"x-amzn-errortype" = "AccessDeniedException" | "User: <user-arn> is not authorized to perform:
execute-api:Invoke on resource: <api-resource-arn>"" and "Authentication token expired |
"x-amzn-errortype" = "InvalidSignatureException" | "Signature expired"". The window: "a request
must reach AWS within five minutes of the time stamp in the request"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html, as quoted on re:Post).
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import botocore.auth
import pytest
from botocore.credentials import Credentials

from cli.api_client import Endpoint, Signer
from lib.api_contract import ROUTES
from tests.integration.conftest import ClientFactory, Deployment
from tests.integration.test_sigv4 import error_type, new_payment, stored

pytestmark = pytest.mark.integration

MakeUser = Callable[[list[str] | None], tuple[str, Credentials]]


@pytest.fixture
def make_user(deployment: Deployment, client: ClientFactory) -> Iterator[MakeUser]:
    """``make_user(resources)``: an IAM user with an access key and, given ``resources``, an inline
    policy allowing execute-api:Invoke on them; deleted after the test."""
    iam = client("iam", deployment.topology.global_region)
    made: list[str] = []

    def make(resources: list[str] | None) -> tuple[str, Credentials]:
        name = f"tap-it-sigv4-{uuid.uuid4().hex[:12]}"
        arn = iam.create_user(UserName=name)["User"]["Arn"]
        made.append(name)
        if resources is not None:
            document = {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resources}],
            }
            iam.put_user_policy(UserName=name, PolicyName="invoke", PolicyDocument=json.dumps(document))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return arn, Credentials(key["AccessKeyId"], key["SecretAccessKey"])

    yield make
    for name in made:
        for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
        for policy in iam.list_user_policies(UserName=name)["PolicyNames"]:
            iam.delete_user_policy(UserName=name, PolicyName=policy)
        iam.delete_user(UserName=name)


def _payment_arns(deployment: Deployment, role: str, stage: str) -> list[str]:
    api = deployment.api_id(role)
    return [
        deployment.arn("execute-api", role, f"{api}/{stage}/{route.method}/{route.arn_path}")
        for route in ROUTES
        if route.signed
    ]


SignedBy = Callable[[list[str] | None], tuple[str, Endpoint]]


@pytest.fixture
def signed_by(
    endpoints: dict[str, Endpoint], deployment: Deployment, make_user: MakeUser, role: str
) -> SignedBy:
    """``signed_by(resources)``: a new user (``make_user``) and the stage of ``role`` signed as it."""

    def stage_as(resources: list[str] | None) -> tuple[str, Endpoint]:
        arn, credentials = make_user(resources)
        stage = endpoints[role]
        return arn, Endpoint(
            stage.base_url, stage.api_key, stage.connect_to, Signer(credentials, [deployment.region(role)])
        )

    return stage_as


def _post(endpoint: Endpoint) -> tuple[dict[str, str], Any]:
    payment = new_payment()
    return payment, endpoint.call("POST", "/payments", payment)


def test_a_signed_request_by_a_user_without_a_policy_is_access_denied(
    signed_by: SignedBy, deployment: Deployment, client: ClientFactory, role: str
) -> None:
    arn, stage = signed_by(None)
    payment, response = _post(stage)
    assert response.status == 403, (response.status, response.body)
    assert error_type(response) == "AccessDeniedException"
    assert (
        f"User: {arn} is not authorized to perform: execute-api:Invoke on resource: "
        in response.body["error"]
    )
    assert stored(deployment, client, role, payment["payment_id"]) is None


@pytest.mark.parametrize(
    ("granted", "status"),
    [
        ("this stage", 201),  # the control: the same user shape is served when its grant matches
        ("the other region's stage", 403),
        ("another stage of this API", 403),
    ],
)
def test_a_user_is_served_only_with_a_grant_on_this_stages_routes(
    signed_by: SignedBy, deployment: Deployment, role: str, granted: str, status: int
) -> None:
    other_role = next(r for r, _ in deployment.topology.roles if r != role)
    resources = {
        "this stage": _payment_arns(deployment, role, deployment.stage(role)),
        "the other region's stage": _payment_arns(deployment, other_role, deployment.stage(other_role)),
        "another stage of this API": _payment_arns(deployment, role, "v2"),
    }[granted]
    arn, stage = signed_by(resources)
    _, response = _post(stage)
    assert response.status == status, (response.status, response.body)
    if status == 403:
        assert error_type(response) == "AccessDeniedException"
        assert f"User: {arn} is not authorized to perform: execute-api:Invoke" in response.body["error"]
    else:
        assert response.body["region"] == deployment.region(role)


def test_a_signature_ten_minutes_old_is_refused_as_expired(
    endpoints: dict[str, Endpoint],
    deployment: Deployment,
    client: ClientFactory,
    monkeypatch: pytest.MonkeyPatch,
    role: str,
) -> None:
    """Signed properly by the caller, whose policy allows the route, with X-Amz-Date ten minutes
    back (botocore's signing clock moved, nothing else)."""
    now = botocore.auth.get_current_datetime
    monkeypatch.setattr(
        botocore.auth, "get_current_datetime", lambda *a, **k: now(*a, **k) - datetime.timedelta(minutes=10)
    )
    payment, response = _post(endpoints[role])
    assert response.status == 403, (response.status, response.body)
    assert error_type(response) == "InvalidSignatureException"
    assert "Signature expired" in response.body["error"]
    assert stored(deployment, client, role, payment["payment_id"]) is None
    monkeypatch.undo()
    _, fresh = _post(endpoints[role])  # the same caller, signing now: served
    assert fresh.status == 201


def test_the_local_caller_holds_the_caller_policy_and_nothing_else(
    deployment: Deployment, client: ClientFactory, local: dict[str, Any] | None
) -> None:
    assert local is not None  # this module runs on the emulator only
    iam = client("iam", deployment.topology.global_region)
    name = local["caller"]["user_arn"].rsplit("/", 1)[1]
    assert name == deployment.name("caller")
    attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [deployment.outputs["caller_policy_arn"]]
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == []
    keys = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [local["caller"]["access_key_id"]]

"""Tests for the IAM checks on the Lambda functions' credentials
(local_aws/patches/iam_function_credentials.py, which evaluates through local_aws/iam_policy.py).

Starts the patched moto server in-process on a free port. The role under test carries the
project's function policy, built by the project's own statement code (lib/table.py,
lib/storage.py, lib/keys.py, lib/regional_function.py), so that a grant removed there shows
here:

    .venv/bin/python -m pytest tests/harness/test_iam_function_credentials.py -p no:cacheprovider -q
"""

from __future__ import annotations

import json
import os
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from lib.fast_provider_import import install

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
install()  # before lib/ imports the provider: only the modules it uses are loaded

from cli.handler_loader import PACKAGE_DIR, package_zip, proxy_event  # noqa: E402
from lib.keys import RegionalKey  # noqa: E402
from lib.policy import document, statement  # noqa: E402
from lib.regional_function import XRAY_WRITE_ACTIONS  # noqa: E402
from lib.storage import ReceiptBucket  # noqa: E402
from lib.table import GlobalTable  # noqa: E402
from local_aws.dataplane.lambda_runtime import Invocation, LambdaRuntime  # noqa: E402
from local_aws.iam_policy import PermissionResult, Request, evaluate  # noqa: E402
from local_aws.patches import iam_function_credentials as patch  # noqa: E402
from tests.harness.conftest import boto, payments_table  # noqa: E402

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
TABLE, OTHER_TABLE = "payments", "ledger"
INDEX = json.loads((PACKAGE_DIR / "contract.json").read_text())["customer_index"]
BUCKET, OTHER_BUCKET = "payments-receipts-use1", "audit-use1"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/payments-api"
SDK_CONFIG = Config(
    retries={"total_max_attempts": 1},
    request_checksum_calculation="when_required",  # as the Lambda runtime sets them
    response_checksum_validation="when_required",
)


def _reset(endpoint: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))


@pytest.fixture(autouse=True)
def reset(endpoint: str) -> None:
    _reset(endpoint)


def _client(endpoint: str, service: str, key: str, secret: str, token: str | None = None) -> Any:
    return boto(service, REGION, endpoint, SDK_CONFIG, key=key, secret=secret, token=token)


@pytest.fixture
def admin(endpoint: str) -> Callable[[str], Any]:
    """Clients with the deploy's dummy key, which no check applies to."""
    return lambda service: _client(endpoint, service, "test", "test")


def project_statements(*, receipts: bool = True) -> list[dict[str, Any]]:
    """The function role's statements as lib/regional_function.py lists them (``receipts``:
    with the bucket's object grant, ReceiptObjects)."""
    table = SimpleNamespace(arn_in=lambda region: TABLE_ARN)
    bucket_statements = ReceiptBucket.read_write_statements(SimpleNamespace(arn=BUCKET_ARN))
    if not receipts:
        bucket_statements = [s for s in bucket_statements if s["Sid"] != "ReceiptObjects"]
        assert len(bucket_statements) == 1, "the receipt object grant is no longer called ReceiptObjects"
    key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{uuid.uuid4()}"
    return [
        GlobalTable.read_write_statement(table, SimpleNamespace(name=REGION)),
        *bucket_statements,
        RegionalKey.encrypt_decrypt_statement(SimpleNamespace(arn=key_arn)),
        statement("OwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{LOG_GROUP_ARN}:*"]),
        statement("XRayTraces", XRAY_WRITE_ACTIONS, ["*"]),
    ]


def _create_role(admin: Callable[[str], Any], name: str, statements: list[dict[str, Any]]) -> str:
    """A Lambda execution role with one attached customer-managed policy, as lib/service_role.py."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = admin("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policy = iam.create_policy(PolicyName=name, PolicyDocument=document(*statements))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    return arn


def _create_resources(admin: Callable[[str], Any]) -> None:
    for name in (TABLE, OTHER_TABLE):
        admin("dynamodb").create_table(**payments_table(name))
    for name in (BUCKET, OTHER_BUCKET):
        admin("s3").create_bucket(Bucket=name)


def _assume(role_arn: str, *, registered: bool = True) -> Any:
    """The role assumed in moto's STS as the Lambda runtime does it, and registered as issued."""
    from moto.sts.models import sts_backends

    credentials = sts_backends[ACCOUNT]["aws"].assume_role(
        region_name=REGION,
        role_session_name="payments-api",
        role_arn=role_arn,
        policy=None,
        duration=3600,
        external_id=None,
    )
    if registered:
        patch.register(credentials.access_key_id)
    return credentials


@pytest.fixture
def function_client(endpoint: str, admin: Callable[[str], Any]) -> Callable[..., Any]:
    """Clients signed with the credentials of a role carrying the project's function policy."""
    _create_resources(admin)
    credentials = _assume(_create_role(admin, "payments-api-fn", project_statements()))

    def make(service: str, *, secret: str | None = None, token: str | None = None) -> Any:
        return _client(
            endpoint,
            service,
            credentials.access_key_id,
            secret or credentials.secret_access_key,
            token or credentials.session_token,
        )

    make.credentials = credentials  # type: ignore[attr-defined]
    return make


def _error(call: Callable[..., Any], /, **kwargs: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def _item(payment_id: str, customer_id: str = "c-1") -> dict[str, Any]:
    return {
        "payment_id": {"S": payment_id},
        "customer_id": {"S": customer_id},
        "created_at": {"S": "2025-01-01T00:00:00.000000Z"},
    }


# --------------------------------------------------------------------------- the checks


def test_what_the_project_policy_grants_works(function_client):
    ddb, s3 = function_client("dynamodb"), function_client("s3")

    ddb.put_item(TableName=TABLE, Item=_item("p-1"), ConditionExpression="attribute_not_exists(payment_id)")
    assert ddb.get_item(TableName=TABLE, Key={"payment_id": {"S": "p-1"}}, ConsistentRead=True)["Item"]
    found = ddb.query(
        TableName=TABLE,
        IndexName=INDEX,
        KeyConditionExpression="customer_id = :c",
        ExpressionAttributeValues={":c": {"S": "c-1"}},
    )
    assert [i["payment_id"]["S"] for i in found["Items"]] == ["p-1"]
    assert ddb.describe_table(TableName=TABLE)["Table"]["TableName"] == TABLE

    s3.put_object(Bucket=BUCKET, Key="receipts/p-1.json", Body=b"{}")
    assert s3.get_object(Bucket=BUCKET, Key="receipts/p-1.json")["Body"].read() == b"{}"
    assert s3.head_object(Bucket=BUCKET, Key="receipts/p-1.json")["ContentLength"] == 2
    s3.head_bucket(Bucket=BUCKET)  # authorized as s3:ListBucket
    # s3:ListBucket granted: a missing receipt is a 404, as the handler's healing expects.
    assert _error(s3.head_object, Bucket=BUCKET, Key="receipts/none.json")[:2] == ("404", 404)
    identity = function_client("sts").get_caller_identity()  # needs no permission
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/payments-api-fn/payments-api"


def test_dynamodb_calls_outside_the_policy_answer_access_denied_exception(function_client):
    ddb = function_client("dynamodb")
    key = {"payment_id": {"S": "p-1"}}

    code, status, message = _error(ddb.delete_item, TableName=TABLE, Key=key)
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/payments-api-fn/payments-api is not authorized to "
        f"perform: dynamodb:DeleteItem on resource: {TABLE_ARN} because no identity-based policy "
        "allows the dynamodb:DeleteItem action"
    )
    assert _error(ddb.scan, TableName=TABLE)[:2] == ("AccessDeniedException", 400)
    code, _, message = _error(
        ddb.query,
        TableName=OTHER_TABLE,
        IndexName=INDEX,
        KeyConditionExpression="customer_id = :c",
        ExpressionAttributeValues={":c": {"S": "c-1"}},
    )
    assert code == "AccessDeniedException"
    assert f"table/{OTHER_TABLE}/index/{INDEX}" in message
    assert _error(ddb.get_item, TableName=OTHER_TABLE, Key=key)[0] == "AccessDeniedException"
    assert _error(ddb.list_tables)[0] == "AccessDeniedException"  # resource "*", not granted


def test_s3_calls_outside_the_policy_answer_access_denied(function_client, admin):
    s3 = function_client("s3")
    admin("s3").put_object(Bucket=OTHER_BUCKET, Key="receipts/x.json", Body=b"{}")

    assert _error(s3.put_object, Bucket=BUCKET, Key="exports/p-1.json", Body=b"{}")[:2] == (
        "AccessDenied",
        403,
    )
    assert _error(s3.get_object, Bucket=BUCKET, Key="audit/x.json")[:2] == ("AccessDenied", 403)
    assert _error(s3.delete_object, Bucket=BUCKET, Key="receipts/p-1.json")[:2] == ("AccessDenied", 403)
    assert _error(s3.get_object, Bucket=OTHER_BUCKET, Key="receipts/x.json")[:2] == ("AccessDenied", 403)
    assert _error(s3.list_objects_v2, Bucket=OTHER_BUCKET)[:2] == ("AccessDenied", 403)
    assert _error(s3.head_bucket, Bucket=OTHER_BUCKET)[:2] == ("403", 403)  # HEAD: no body, as on AWS
    assert "exports/p-1.json" not in [
        o["Key"] for o in admin("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])
    ]


def test_head_bucket_and_missing_keys_need_list_bucket(endpoint, admin):
    _create_resources(admin)
    statements = [s for s in project_statements() if s["Sid"] != "ReceiptBucket"]
    credentials = _assume(_create_role(admin, "no-list", statements))
    s3 = _client(
        endpoint, "s3", credentials.access_key_id, credentials.secret_access_key, credentials.session_token
    )

    assert _error(s3.head_bucket, Bucket=BUCKET)[:2] == ("403", 403)
    # Without s3:ListBucket a missing key is 403, not 404 (S3 does not tell what exists).
    assert _error(s3.head_object, Bucket=BUCKET, Key="receipts/none.json")[:2] == ("403", 403)
    assert _error(s3.get_object, Bucket=BUCKET, Key="receipts/none.json")[:2] == ("AccessDenied", 403)
    s3.put_object(Bucket=BUCKET, Key="receipts/p-1.json", Body=b"{}")
    assert s3.head_object(Bucket=BUCKET, Key="receipts/p-1.json")["ContentLength"] == 2


def test_a_deny_scoped_to_the_table_wins_over_the_allow(endpoint, admin):
    _create_resources(admin)
    deny = statement("NoWrites", ["dynamodb:PutItem"], [TABLE_ARN], effect="Deny")
    credentials = _assume(_create_role(admin, "denied", [*project_statements(), deny]))
    ddb = _client(
        endpoint,
        "dynamodb",
        credentials.access_key_id,
        credentials.secret_access_key,
        credentials.session_token,
    )

    code, _, message = _error(ddb.put_item, TableName=TABLE, Item=_item("p-1"))
    assert code == "AccessDeniedException"
    assert message.endswith("with an explicit deny in an identity-based policy")
    assert "Item" not in ddb.get_item(TableName=TABLE, Key={"payment_id": {"S": "p-1"}})


def test_the_deploys_key_and_unregistered_credentials_are_not_checked(admin, endpoint):
    _create_resources(admin)
    admin("dynamodb").delete_item(TableName=TABLE, Key={"payment_id": {"S": "p-1"}})
    admin("dynamodb").scan(TableName=OTHER_TABLE)
    admin("s3").put_object(Bucket=BUCKET, Key="exports/anything", Body=b"x")
    admin("s3").head_bucket(Bucket=OTHER_BUCKET)
    # Credentials of a role with no policy at all, not issued to a function: as before the patch.
    role = _create_role(admin, "not-a-function", [statement("Nothing", ["sqs:GetQueueUrl"], ["*"])])
    other = _assume(role, registered=False)
    ddb = _client(endpoint, "dynamodb", other.access_key_id, other.secret_access_key, other.session_token)
    ddb.scan(TableName=TABLE)


def test_a_wrong_secret_or_token_is_refused(function_client):
    wrong = "x" * 40
    code, status, _ = _error(function_client("dynamodb", secret=wrong).describe_table, TableName=TABLE)
    assert (code, status) == ("InvalidSignatureException", 400)
    code, status, _ = _error(function_client("s3", secret=wrong).get_object, Bucket=BUCKET, Key="receipts/a")
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    code, status, _ = _error(function_client("dynamodb", token="forged").describe_table, TableName=TABLE)
    assert (code, status) == ("UnrecognizedClientException", 400)
    assert _error(function_client("s3", token="forged").get_object, Bucket=BUCKET, Key="receipts/a")[0] == (
        "InvalidToken"
    )


def test_credentials_from_before_a_reset_are_refused_not_let_through(function_client, endpoint, admin):
    old = function_client("dynamodb")
    old.describe_table(TableName=TABLE)
    _reset(endpoint)
    _create_resources(admin)

    assert patch.is_issued(function_client.credentials.access_key_id)
    assert _error(old.describe_table, TableName=TABLE)[0] == "UnrecognizedClientException"
    assert _error(old.delete_item, TableName=TABLE, Key={"payment_id": {"S": "p"}})[0] == (
        "UnrecognizedClientException"
    )


# --------------------------------------------------------------------------- the evaluation


def _allow(action: str, resource: str | None = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, **({"Resource": resource} if resource else {}), **extra}


def _deny(action: str, resource: str | None = "*", **extra: Any) -> dict[str, Any]:
    return {**_allow(action, resource, **extra), "Effect": "Deny"}


GET, OBJECT = "dynamodb:GetItem", "arn:aws:s3:::b/r1.json"
TLS = {"Bool": {"aws:SecureTransport": "true"}}
ELSEWHERE = {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
ALLOW, DENY, IMPLICIT = PermissionResult.PERMITTED, PermissionResult.DENIED, PermissionResult.NEUTRAL


@pytest.mark.parametrize(
    ("statements", "action", "resource", "decision"),
    [
        ([_allow("DynamoDB:get*", TABLE_ARN)], GET, TABLE_ARN, ALLOW),  # actions ignore case
        ([_allow(GET, TABLE_ARN.upper())], GET, TABLE_ARN, IMPLICIT),  # resources do not
        ([_allow("s3:GetObject", "arn:aws:s3:::b/r?.json")], "s3:GetObject", OBJECT, ALLOW),
        ([_allow("s3:GetObject", "arn:aws:s3:::b/r?.json")], "s3:GetObject", OBJECT + "x", IMPLICIT),
        ([_allow("s3:GetObject", "arn:aws:s3:::a.b/*")], "s3:GetObject", "arn:aws:s3:::axb/k", IMPLICIT),
        # A Condition is never evaluated in the caller's favour.
        ([_allow("*", Condition=TLS)], GET, TABLE_ARN, IMPLICIT),
        ([_allow("*"), _deny("*", Condition=ELSEWHERE)], GET, TABLE_ARN, DENY),
        # NotAction / NotResource (moto's own check reads a Deny with NotResource as an Allow).
        ([_allow("*"), _deny("*", None, NotResource=BUCKET_ARN)], GET, TABLE_ARN, DENY),
        ([{"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "Resource": "*"}], GET, TABLE_ARN, ALLOW),
        (
            [{"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "Resource": "*"}],
            "dynamodb:DeleteItem",
            TABLE_ARN,
            IMPLICIT,
        ),
        ([_allow(GET, None, NotResource=TABLE_ARN)], GET, TABLE_ARN, IMPLICIT),
        ([_allow(GET, None)], GET, TABLE_ARN, IMPLICIT),  # no Resource: invalid, grants nothing
    ],
)
def test_identity_policies_are_evaluated_as_iam_does(statements, action, resource, decision):
    """The role's policies as the patch evaluates them: no request context, no principal."""
    policy = {"Version": "2012-10-17", "Statement": statements}
    assert evaluate([policy], Request(action, resource)) == decision


def test_dynamodb_requests_are_authorized_on_their_tables():
    checks = patch.dynamodb_checks

    def on(**body: Any) -> dict[str, Any]:
        return body

    assert checks("Query", on(TableName="t", IndexName="i"), region=REGION, account=ACCOUNT) == [
        ("dynamodb:Query", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t/index/i")
    ]
    assert checks("GetItem", on(TableName="t", IndexName="i"), region=REGION, account=ACCOUNT) == [
        ("dynamodb:GetItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t")
    ]
    items = [
        {"Put": {"TableName": "a"}},
        {"ConditionCheck": {"TableName": "b"}},
        {"Delete": {"TableName": "a"}},
    ]
    assert checks("TransactWriteItems", on(TransactItems=items), region=REGION, account=ACCOUNT) == [
        ("dynamodb:PutItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/a"),
        ("dynamodb:ConditionCheckItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/b"),
        ("dynamodb:DeleteItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/a"),
    ]
    assert checks("BatchWriteItem", on(RequestItems={"a": [], "b": []}), region=REGION, account=ACCOUNT) == [
        ("dynamodb:BatchWriteItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/a"),
        ("dynamodb:BatchWriteItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/b"),
    ]
    assert checks("ListTables", on(), region=REGION, account=ACCOUNT) == [("dynamodb:ListTables", "*")]


# --------------------------------------------------------------------------- the real handler


def _deploy_handler(admin: Callable[[str], Any], name: str, role: str) -> None:
    admin("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": package_zip()},  # the package as the stack ships it
        Timeout=10,  # the handler wants its whole retry budget (5.5 s) left before an AWS call
        Environment={"Variables": {"TABLE_NAME": TABLE, "BUCKET_NAME": BUCKET, "REGION_ROLE": "primary"}},
    )


@pytest.fixture
def runtime(endpoint: str, tmp_path: Path) -> Iterator[LambdaRuntime]:
    lambda_runtime = LambdaRuntime(endpoint_url=endpoint, work_dir=tmp_path / "lambda")
    yield lambda_runtime
    lambda_runtime.close()


def _call(runtime: LambdaRuntime, function: str, method: str, path: str, body: Any = None) -> Invocation:
    event = proxy_event(method, path, body=None if body is None else json.dumps(body))
    return runtime.invoke(
        account_id=ACCOUNT, region=REGION, function=function, event=event, request_id=str(uuid.uuid4())
    )


def test_the_project_handler_works_with_exactly_the_project_policy(runtime, admin):
    _create_resources(admin)
    _deploy_handler(admin, "payments-api", _create_role(admin, "payments-api-fn", project_statements()))
    payment = {"payment_id": "p-42", "amount": "10.50", "currency": "EUR", "customer_id": "c-7"}

    health = _call(runtime, "payments-api", "GET", "/health")
    created = _call(runtime, "payments-api", "POST", "/payments", payment)
    again = _call(runtime, "payments-api", "POST", "/payments", payment)  # idempotent: HeadObject
    listed = _call(runtime, "payments-api", "GET", "/customers/c-7/payments")

    assert health.payload["statusCode"] == 200, health.logs
    assert created.payload["statusCode"] == 201, created.logs
    assert again.payload["statusCode"] == 200, again.logs
    assert listed.payload["statusCode"] == 200, listed.logs
    assert [p["payment_id"] for p in json.loads(listed.payload["body"])["items"]] == ["p-42"]
    receipt = admin("s3").get_object(Bucket=BUCKET, Key="receipts/p-42.json")["Body"].read()
    assert json.loads(receipt)["amount"] == "10.50"


def test_the_project_handler_fails_without_the_receipt_grant(runtime, admin):
    _create_resources(admin)
    role = _create_role(admin, "payments-api-no-s3", project_statements(receipts=False))
    _deploy_handler(admin, "payments-api", role)

    health = _call(runtime, "payments-api", "GET", "/health")  # DescribeTable + HeadBucket: granted
    created = _call(
        runtime, "payments-api", "POST", "/payments", {"amount": "1", "currency": "EUR", "customer_id": "c"}
    )

    assert health.payload["statusCode"] == 200, health.logs
    assert created.payload["statusCode"] == 500, created.logs
    assert json.loads(created.payload["body"])["error"] == "Internal server error"
    errors = [json.loads(line) for line in created.logs.splitlines() if '"unhandled_error"' in line]
    assert [e["error_code"] for e in errors] == ["AccessDenied"]  # S3's refusal of the PutObject
    assert admin("s3").list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0

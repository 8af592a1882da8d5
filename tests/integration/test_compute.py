"""The API Lambda in each region: configuration, concurrency, IAM role, logs, invoke permission."""

from __future__ import annotations

import pytest

from lib.config import Profile
from tests.integration.conftest import ClientFactory, Deployment
from tests.integration.support import as_list, attached_policy_document, log_group, policy_document

pytestmark = pytest.mark.integration


def test_function_configuration(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    name = deployment.function_name(role)
    assert name == deployment.name("payments-api", role)
    config = client("lambda", region).get_function_configuration(FunctionName=name)
    assert config["FunctionArn"] == deployment.arn("lambda", role, f"function:{name}")
    assert config["Runtime"] == "python3.12"
    assert config["Handler"] == "handler.handler"
    assert config["PackageType"] == "Zip"
    assert config["MemorySize"] == 256
    assert config["Timeout"] == 10
    assert config["LastUpdateStatus"] == "Successful"
    assert config["Environment"]["Variables"] == {
        "TABLE_NAME": deployment.table_name,
        "BUCKET_NAME": deployment.bucket(role),
        "REGION_ROLE": role,
    }
    assert config["KMSKeyArn"] == deployment.key_arn(role)
    assert config.get("VpcConfig", {}).get("SubnetIds", []) == []
    assert config.get("VpcConfig", {}).get("SecurityGroupIds", []) == []
    assert config["Role"] == deployment.arn("iam", None, f"role/{deployment.name('payments-api-fn', role)}")
    assert config["LoggingConfig"]["LogFormat"] == "Text"
    assert config["LoggingConfig"]["LogGroup"] == f"/aws/lambda/{name}"


def test_reserved_concurrency_follows_the_profile(
    deployment: Deployment, client: ClientFactory, profile: Profile, role: str, region: str
) -> None:
    lam = client("lambda", region)
    concurrency = lam.get_function_concurrency(FunctionName=deployment.function_name(role))
    assert concurrency.get("ReservedConcurrentExecutions") == profile.reserved_concurrency
    # AWS keeps at least 100 executions of the account unreserved, whatever is reserved.
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] >= 100


def test_function_log_group_is_encrypted_with_retention(
    deployment: Deployment, client: ClientFactory, profile: Profile, role: str, region: str
) -> None:
    name = f"/aws/lambda/{deployment.function_name(role)}"
    group = log_group(client("logs", region), name)
    assert group["retentionInDays"] == profile.log_retention_days
    assert group["kmsKeyId"] == deployment.key_arn(role)


def test_function_role_is_least_privilege(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    iam = client("iam", region)
    role_name = deployment.name("payments-api-fn", role)
    trust = policy_document(iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"])
    assert [(s["Effect"], s["Principal"], s["Action"], s["Condition"]) for s in trust["Statement"]] == [
        (
            "Allow",
            {"Service": "lambda.amazonaws.com"},
            "sts:AssumeRole",
            {"StringEquals": {"aws:SourceAccount": deployment.account_id}},
        )
    ]
    assert iam.list_role_policies(RoleName=role_name)["PolicyNames"] == []
    document = attached_policy_document(iam, role_name)

    for stmt in document["Statement"]:
        assert stmt["Effect"] == "Allow"
        for action in as_list(stmt["Action"]):
            assert action != "*" and not action.endswith(":*"), stmt
        for resource in as_list(stmt["Resource"]):
            # X-Ray's write API has no resource-level permissions: "*" is its only form.
            assert resource != "*" or stmt["Sid"] == "XRayTraces", stmt

    table_arn, bucket_arn = deployment.table_arn(role), deployment.bucket_arn(role)
    log_group = deployment.log_group_arn(role, f"/aws/lambda/{deployment.function_name(role)}")
    grants = {s["Sid"]: (sorted(as_list(s["Action"])), as_list(s["Resource"])) for s in document["Statement"]}
    assert grants == {
        "PaymentsTable": (
            ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
            [table_arn, f"{table_arn}/index/*"],
        ),
        "ReceiptObjects": (["s3:GetObject", "s3:PutObject"], [f"{bucket_arn}/receipts/*"]),
        "ReceiptBucket": (["s3:ListBucket"], [bucket_arn]),
        "RegionKey": (["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], [deployment.key_arn(role)]),
        "OwnLogs": (["logs:CreateLogStream", "logs:PutLogEvents"], [f"{log_group}:*"]),
        "XRayTraces": (["xray:PutTelemetryRecords", "xray:PutTraceSegments"], ["*"]),
    }


def test_only_this_regions_api_may_invoke_the_function(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    policy = policy_document(
        client("lambda", region).get_policy(FunctionName=deployment.function_name(role))["Policy"]
    )
    [stmt] = policy["Statement"]
    assert stmt["Sid"] == "AllowApiGatewayInvoke"
    assert stmt["Effect"] == "Allow"
    assert stmt["Action"] == "lambda:InvokeFunction"
    assert stmt["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert stmt["Resource"] == deployment.arn("lambda", role, f"function:{deployment.function_name(role)}")
    assert stmt["Condition"] == {
        "ArnLike": {"AWS:SourceArn": deployment.arn("execute-api", role, f"{deployment.api_id(role)}/*/*/*")}
    }

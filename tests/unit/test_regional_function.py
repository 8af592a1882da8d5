"""lib/regional_function.py: one region's function (log group, role, Lambda), built twice."""

from __future__ import annotations

import pytest

from tests.unit.conftest import REGIONS, policy_of

ACCOUNT = "${data.aws_caller_identity.caller.account_id}"

# --- Lambda --------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_function(dev, role, region):
    fn = dev.get("aws_lambda_function", f"api-{role}/function")
    assert fn["provider"] == f"aws.{role}"
    assert fn["function_name"] == f"tap-payments-api-{role}-dev"
    assert fn["runtime"] == "python3.12"
    assert fn["handler"] == "handler.handler"
    assert fn["filename"].startswith("assets/lambda-package/") and fn["filename"].endswith("/archive.zip")
    assert fn["source_code_hash"] in fn["filename"]
    assert fn["role"] == dev.ref("aws_iam_role", f"api-{role}/function-role/role", "arn")
    assert fn["kms_key_arn"] == dev.ref("aws_kms_key", f"key-{role}/key", "arn")
    assert "reserved_concurrent_executions" not in fn  # dev: the account's unreserved pool
    assert "vpc_config" not in fn
    table_name = "tap-payments-dev"
    assert fn["environment"] == {
        "variables": {
            "TABLE_NAME": table_name,
            "BUCKET_NAME": dev.ref("aws_s3_bucket", f"receipts-{role}/bucket", "bucket"),
            "REGION_ROLE": role,
        }
    }
    assert not [k for k in fn["environment"]["variables"] if k.startswith("AWS_")]
    assert fn["tracing_config"] == {"mode": "Active"}
    # A dead-letter queue receives only failed ASYNCHRONOUS invocations; API Gateway invokes
    # synchronously, so one would stay empty forever: none, and the scanner skip says why.
    assert "dead_letter_config" not in fn
    skips = {e.split(":")[1].removeprefix("skip=") for e in fn["//"]["checkov"]}
    assert "CKV_AWS_116" in skips


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_log_group_exists_before_the_function(dev, role, region):
    fn = dev.get("aws_lambda_function", f"api-{role}/function")
    log_group_id = dev.logical_id("aws_cloudwatch_log_group", f"api-{role}/function-logs")
    assert f"aws_cloudwatch_log_group.{log_group_id}" in fn["depends_on"]
    # ... and only once its permissions are attached.
    assert (
        dev.address("aws_iam_role_policy_attachment", f"api-{role}/function-role/attachment")
        in fn["depends_on"]
    )
    log_group = dev.get("aws_cloudwatch_log_group", f"api-{role}/function-logs")
    assert log_group["name"] == f"/aws/lambda/tap-payments-api-{role}-dev"
    assert log_group["retention_in_days"] == 7
    assert log_group["kms_key_id"] == dev.ref("aws_kms_key", f"key-{role}/key", "arn")
    assert fn["logging_config"]["log_group"] == dev.ref(
        "aws_cloudwatch_log_group", f"api-{role}/function-logs", "name"
    )


@pytest.mark.parametrize(
    ("fixture", "retention", "concurrency"), [("dev", 7, None), ("staging", 30, 20), ("prod", 365, 100)]
)
def test_profile_drives_retention_and_concurrency(request, fixture, retention, concurrency):
    synth = request.getfixturevalue(fixture)
    for role, _ in REGIONS:
        for group in ("function-logs", "access-logs", "execution-logs"):
            log_group = synth.get("aws_cloudwatch_log_group", f"api-{role}/{group}")
            assert log_group["retention_in_days"] == retention
        fn = synth.get("aws_lambda_function", f"api-{role}/function")
        assert fn.get("reserved_concurrent_executions") == concurrency
        # The scanner's "function-level concurrency limit" is skipped, with the reason, only
        # where the profile reserves nothing.
        skips = {e.split(":")[1].removeprefix("skip=") for e in fn["//"]["checkov"]}
        assert ("CKV_AWS_115" in skips) is (concurrency is None)


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_function_policy_is_scoped_to_its_region(dev, role, region):
    table_arn = (
        dev.ref("aws_dynamodb_table", "payments-table/table", "arn")
        if role == "primary"
        else dev.ref("aws_dynamodb_table_replica", "payments-table/replica", "arn")
    )
    bucket_arn = dev.ref("aws_s3_bucket", f"receipts-{role}/bucket", "arn")
    statements = {
        s["Sid"]: s
        for s in policy_of(dev.get("aws_iam_policy", f"api-{role}/function-role/policy"))["Statement"]
    }
    assert statements["PaymentsTable"]["Action"] == [
        "dynamodb:DescribeTable",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
    ]
    assert statements["PaymentsTable"]["Resource"] == [table_arn, f"{table_arn}/index/*"]
    assert statements["ReceiptObjects"]["Resource"] == [f"{bucket_arn}/receipts/*"]
    assert statements["ReceiptBucket"] == {
        "Sid": "ReceiptBucket",
        "Effect": "Allow",
        "Action": ["s3:ListBucket"],
        "Resource": [bucket_arn],
    }
    assert statements["RegionKey"]["Resource"] == [dev.ref("aws_kms_key", f"key-{role}/key", "arn")]
    log_group_arn = dev.ref("aws_cloudwatch_log_group", f"api-{role}/function-logs", "arn")
    assert statements["OwnLogs"]["Resource"] == [f"{log_group_arn}:*"]
    assert statements["XRayTraces"]["Action"] == ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    assert len(statements) == 6  # nothing else


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_policy_attachment_takes_the_role_name(dev, role, region):
    attachment = dev.get("aws_iam_role_policy_attachment", f"api-{role}/function-role/attachment")
    assert attachment["role"] == dev.ref("aws_iam_role", f"api-{role}/function-role/role", "name")
    assert attachment["policy_arn"] == dev.ref("aws_iam_policy", f"api-{role}/function-role/policy", "arn")
    trust = policy_of(dev.get("aws_iam_role", f"api-{role}/function-role/role"), "assume_role_policy")
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    # Confused deputy: only Lambda acting for this account may assume the role.
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}

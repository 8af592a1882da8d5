"""Security hardening as deployed: WAF, X-Ray, access logs, query logs."""

from __future__ import annotations

import pytest

from tests.integration.conftest import ClientFactory, Deployment
from tests.integration.support import log_group

pytestmark = pytest.mark.integration


def _web_acl(deployment: Deployment, client: ClientFactory, role: str, region: str) -> dict:
    waf = client("wafv2", region)
    name = deployment.name("payments-api-waf", role)
    [summary] = [a for a in waf.list_web_acls(Scope="REGIONAL")["WebACLs"] if a["Name"] == name]
    return waf.get_web_acl(Name=name, Scope="REGIONAL", Id=summary["Id"])["WebACL"]


def test_waf_guards_the_regions_stage(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    acl = _web_acl(deployment, client, role, region)
    api, stage = deployment.api_id(role), deployment.stage(role)
    stage_arn = f"arn:{deployment.partition}:apigateway:{region}::/restapis/{api}/stages/{stage}"
    guarding = client("wafv2", region).get_web_acl_for_resource(ResourceArn=stage_arn)["WebACL"]
    assert guarding["ARN"] == acl["ARN"]
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    assert rules["rate-limit-per-ip"]["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert "AWSManagedRulesKnownBadInputsRuleSet" in rules


def test_waf_logs_redact_the_api_key(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    acl = _web_acl(deployment, client, role, region)
    config = client("wafv2", region).get_logging_configuration(ResourceArn=acl["ARN"])["LoggingConfiguration"]
    group_name = f"aws-waf-logs-{deployment.name('payments-api-waf', role)}"
    assert config["LogDestinationConfigs"] == [deployment.log_group_arn(role, group_name)]
    assert config["RedactedFields"] == [{"SingleHeader": {"Name": "x-api-key"}}]
    assert log_group(client("logs", region), group_name)["kmsKeyId"] == deployment.key_arn(role)


def test_function_traces_and_has_no_dead_letter_queue(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    """API Gateway invokes synchronously: a dead-letter queue would never receive anything."""
    config = client("lambda", region).get_function_configuration(FunctionName=deployment.function_name(role))
    assert config["TracingConfig"] == {"Mode": "Active"}
    assert "TargetArn" not in config.get("DeadLetterConfig", {})


def test_stage_traces_requests(deployment: Deployment, client: ClientFactory, role: str, region: str) -> None:
    stage = client("apigateway", region).get_stage(
        restApiId=deployment.api_id(role), stageName=deployment.stage(role)
    )
    assert stage["tracingEnabled"] is True


def test_receipt_access_is_logged_to_an_sse_s3_private_bucket(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    """S3 delivers server access logs only into SSE-S3 buckets: with SSE-KMS on the target,
    logging is "enabled" and no log ever arrives."""
    s3 = client("s3", region)
    logging = s3.get_bucket_logging(Bucket=deployment.bucket(role))["LoggingEnabled"]
    target = logging["TargetBucket"]
    assert target == f"{deployment.name('access-logs', role)}-{deployment.account_id}"
    assert logging["TargetPrefix"] == "access-logs/"
    rule = s3.get_bucket_encryption(Bucket=target)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    block = s3.get_public_access_block(Bucket=target)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4


def test_dns_queries_of_a_zone_this_stack_creates_are_logged_in_us_east_1(
    deployment: Deployment, client: ClientFactory
) -> None:
    zone_id = deployment.outputs["hosted_zone_id"]
    route53 = client("route53", deployment.region("primary"))
    zone_name = route53.get_hosted_zone(Id=zone_id)["HostedZone"]["Name"].rstrip(".")
    created_here = deployment.outputs["dns_delegation"].startswith("required")
    # Route 53's only query-log region, whichever regions the stack serves from.
    ours = f"arn:{deployment.partition}:logs:us-east-1:{deployment.account_id}:log-group:/aws/route53/"
    ours += zone_name
    configs = route53.list_query_logging_configs(HostedZoneId=zone_id)["QueryLoggingConfigs"]
    logged_by_us = [c for c in configs if c["CloudWatchLogsLogGroupArn"] == ours]
    # Only a zone the stack creates; an existing zone's logging is its owner's business.
    assert len(logged_by_us) == (1 if created_here else 0)

"""lib/tap_stack.py: providers, backend, composition, and stack-wide invariants."""

from __future__ import annotations

import json

import pytest

from tests.unit.conftest import REGIONS

ALIASES = {"aws.primary", "aws.secondary"}


def test_two_aliased_providers_with_default_tags(prod):
    providers = prod.json["provider"]["aws"]
    assert [(p["alias"], p["region"]) for p in providers] == list(REGIONS)
    for provider in providers:
        assert provider["default_tags"] == [
            {
                "tags": {
                    "Environment": "prod",
                    "Project": "tap",
                    "Repository": "acme/payments-dr",
                    "Author": "jane.doe@acme-corp.io",
                    "ManagedBy": "cdktf",
                    "EnvironmentSuffix": "prod",
                }
            }
        ]
        assert "endpoints" not in provider  # emulators are reached through the environment


def test_provider_is_pinned_to_5_100_0(dev):
    assert dev.json["terraform"]["required_providers"]["aws"]["version"] == "5.100.0"


def test_every_resource_and_data_source_names_its_provider(each_profile):
    missing = [
        f"{kind}.{type_}.{name}"
        for kind in ("resource", "data")
        for type_, items in each_profile.json.get(kind, {}).items()
        for name, body in items.items()
        if body.get("provider") not in ALIASES
    ]
    assert missing == []


# The backend (S3 with the state key, or a local file): tests/unit/test_state_backend.py.


def test_account_id_comes_from_the_caller_identity(dev):
    assert dev.json["data"]["aws_caller_identity"]["caller"]["provider"] == "aws.primary"


@pytest.mark.parametrize(
    ("type_", "count"),
    [
        ("aws_kms_key", 2),
        ("aws_kms_alias", 2),
        ("aws_dynamodb_table", 1),
        ("aws_s3_bucket", 4),
        ("aws_s3_bucket_logging", 2),
        ("aws_s3_bucket_replication_configuration", 2),
        ("aws_lambda_function", 2),
        ("aws_api_gateway_rest_api", 2),
        ("aws_api_gateway_stage", 2),
        ("aws_api_gateway_usage_plan", 2),
        ("aws_acm_certificate", 2),
        ("aws_api_gateway_domain_name", 2),
        ("aws_route53_health_check", 4),  # 2 endpoints, the failover switch, primary + switch
        ("aws_route53_zone", 1),
        ("aws_sns_topic", 2),
        ("aws_sns_topic_subscription", 4),  # the two ALARM_SUBSCRIPTIONS entries on each topic
        # the failover switch's alarm, traffic moved, switch thrown and switch unreadable among them
        ("aws_cloudwatch_metric_alarm", 19),
        ("aws_sqs_queue", 0),
        ("aws_dynamodb_table_replica", 1),
        ("aws_api_gateway_account", 2),
        ("aws_cloudwatch_log_resource_policy", 1),
        ("aws_wafv2_web_acl", 2),
        ("aws_wafv2_web_acl_association", 2),
        ("aws_route53_query_log", 1),
        ("aws_cloudwatch_log_group", 9),
        ("aws_ssm_parameter", 4),
    ],
)
def test_dev_stack_composition(dev, type_, count):
    assert dev.count(type_) == count


def test_no_reserved_or_placeholder_domains_anywhere(each_profile):
    text = json.dumps(each_profile.json)
    for reserved in ("example.com", "example.org", "example.net", '.test"'):
        assert reserved not in text


def test_no_ec2_or_vpc_anything(each_profile):
    text = json.dumps(each_profile.json)
    assert "ec2:" not in text
    assert "vpc_config" not in text
    assert not any(t.startswith(("aws_vpc", "aws_subnet", "aws_nat")) for t in each_profile.json["resource"])

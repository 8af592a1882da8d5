"""lib/dns_failover.py: zone, certificates, custom domains, health checks, failover records."""

from __future__ import annotations

import json

import pytest

from tests.unit.conftest import REGIONS, synthesize

ZONE_REF = "${aws_route53_zone.zone_6E295601.zone_id}"


def test_dev_creates_a_zone_named_from_the_suffix(dev):
    (zone,) = dev.resources("aws_route53_zone").values()
    assert zone["name"] == "tap-dev.payments-dr.net"
    assert zone["force_destroy"] is True
    assert zone["provider"] == "aws.primary"
    assert dev.ref("aws_route53_zone", "zone/zone", "zone_id") == ZONE_REF
    assert "data" not in dev.json or "aws_route53_zone" not in dev.json["data"]


def test_prod_uses_the_existing_parent_zone(prod):
    assert prod.count("aws_route53_zone") == 0
    existing = prod.json["data"]["aws_route53_zone"]
    (zone,) = existing.values()
    assert zone == {"provider": "aws.primary", "zone_id": "Z0123456789ABCDEFGHIJ"}
    for role, _ in REGIONS:
        record = prod.get("aws_route53_record", f"endpoint-{role}/failover-record")
        assert record["zone_id"] == "Z0123456789ABCDEFGHIJ"
        assert record["name"] == "api.payments.acme-corp.io"


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_health_check_probes_the_regions_health_route(dev, role, region):
    check = dev.get("aws_route53_health_check", f"endpoint-{role}/health-check")
    api_id = dev.ref("aws_api_gateway_rest_api", f"api-{role}/rest-api", "id")
    assert check["fqdn"] == f"{api_id}.execute-api.{region}.amazonaws.com"
    assert check["type"] == "HTTPS"
    assert check["port"] == 443
    assert check["resource_path"] == (
        "/" + dev.ref("aws_api_gateway_stage", f"api-{role}/stage", "stage_name") + "/health"
    )
    assert check["request_interval"] == 10
    assert check["failure_threshold"] == 3
    assert check["enable_sni"] is True


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_certificate_is_dns_validated_in_the_zone(dev, role, region):
    cert = dev.get("aws_acm_certificate", f"endpoint-{role}/certificate")
    assert cert["provider"] == f"aws.{role}"
    assert cert["domain_name"] == "api.tap-dev.payments-dr.net"
    assert cert["validation_method"] == "DNS"
    assert cert["lifecycle"] == {"create_before_destroy": True}

    cert_id = dev.logical_id("aws_acm_certificate", f"endpoint-{role}/certificate")
    option = f"tolist(aws_acm_certificate.{cert_id}.domain_validation_options).0"
    record = dev.get("aws_route53_record", f"endpoint-{role}/certificate-validation-record")
    assert record["zone_id"] == ZONE_REF
    assert record["name"] == f"${{{option}.resource_record_name}}"
    assert record["type"] == f"${{{option}.resource_record_type}}"
    assert record["records"] == [f"${{{option}.resource_record_value}}"]
    assert record["allow_overwrite"] is True

    validation = dev.get("aws_acm_certificate_validation", f"endpoint-{role}/certificate-validation")
    assert validation["certificate_arn"] == dev.ref(
        "aws_acm_certificate", f"endpoint-{role}/certificate", "arn"
    )
    assert validation["validation_record_fqdns"] == [
        dev.ref("aws_route53_record", f"endpoint-{role}/certificate-validation-record", "fqdn")
    ]
    # An undelegated zone can never validate: the wait is bounded, not 72 hours.
    assert validation["timeouts"] == {"create": "15m"}


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_custom_domain_and_base_path_mapping(dev, role, region):
    domain = dev.get("aws_api_gateway_domain_name", f"endpoint-{role}/custom-domain")
    assert domain["provider"] == f"aws.{role}"
    assert domain["domain_name"] == "api.tap-dev.payments-dr.net"
    assert domain["regional_certificate_arn"] == dev.ref(
        "aws_acm_certificate_validation", f"endpoint-{role}/certificate-validation", "certificate_arn"
    )
    assert domain["endpoint_configuration"] == {"types": ["REGIONAL"]}
    assert domain["security_policy"] == "TLS_1_2"
    mapping = dev.get("aws_api_gateway_base_path_mapping", f"endpoint-{role}/base-path-mapping")
    assert mapping["api_id"] == dev.ref("aws_api_gateway_rest_api", f"api-{role}/rest-api", "id")
    assert mapping["stage_name"] == dev.ref("aws_api_gateway_stage", f"api-{role}/stage", "stage_name")
    assert mapping["domain_name"] == dev.ref(
        "aws_api_gateway_domain_name", f"endpoint-{role}/custom-domain", "domain_name"
    )


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_failover_alias_records(dev, role, region):
    record = dev.get("aws_route53_record", f"endpoint-{role}/failover-record")
    assert record["zone_id"] == ZONE_REF
    assert record["name"] == "api.tap-dev.payments-dr.net"
    assert record["type"] == "A"
    assert record["set_identifier"] == f"{role}-{region}"
    assert record["failover_routing_policy"] == {"type": role.upper()}
    assert record["health_check_id"] == dev.ref(
        "aws_route53_health_check", f"endpoint-{role}/health-check", "id"
    )
    domain = f"endpoint-{role}/custom-domain"
    assert record["alias"] == {
        "name": dev.ref("aws_api_gateway_domain_name", domain, "regional_domain_name"),
        "zone_id": dev.ref("aws_api_gateway_domain_name", domain, "regional_zone_id"),
        "evaluate_target_health": True,
    }
    assert "records" not in record  # an alias, never a CNAME to execute-api


def test_custom_domain_path_can_be_switched_off(staging):
    for type_ in (
        "aws_acm_certificate",
        "aws_acm_certificate_validation",
        "aws_api_gateway_domain_name",
        "aws_api_gateway_base_path_mapping",
        "aws_route53_record",
    ):
        assert staging.count(type_) == 0, type_
    assert staging.count("aws_route53_health_check") == 2
    assert staging.output("failover_domain_name")["value"] == ""


def test_dns_queries_are_logged_to_an_encrypted_us_east_1_log_group(dev):
    group = dev.get("aws_cloudwatch_log_group", "zone/query-logs")
    assert group["provider"] == "aws.primary"  # us-east-1: the only region Route 53 logs to
    assert group["name"] == "/aws/route53/tap-dev.payments-dr.net"
    assert group["kms_key_id"] == dev.ref("aws_kms_key", "key-primary/key", "arn")
    query_log = dev.get("aws_route53_query_log", "zone/query-log")
    assert query_log["zone_id"] == ZONE_REF
    assert query_log["cloudwatch_log_group_arn"] == dev.ref(
        "aws_cloudwatch_log_group", "zone/query-logs", "arn"
    )
    assert query_log["depends_on"] == [
        dev.address("aws_cloudwatch_log_resource_policy", "zone/query-log-policy")
    ]

    policy = dev.get("aws_cloudwatch_log_resource_policy", "zone/query-log-policy")
    (stmt,) = json.loads(policy["policy_document"])["Statement"]
    assert stmt["Principal"] == {"Service": "route53.amazonaws.com"}
    assert stmt["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert stmt["Resource"] == [dev.ref("aws_cloudwatch_log_group", "zone/query-logs", "arn") + ":*"]
    assert stmt["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:route53:::hostedzone/{ZONE_REF}"}
    zone_skips = dev.get("aws_route53_zone", "zone/zone")["//"]["checkov"]
    assert [e.split(":")[1] for e in zone_skips] == ["skip=CKV2_AWS_38"]  # DNSSEC only


def test_without_a_us_east_1_region_query_logging_is_a_justified_skip():
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from lib.dns_failover import HostedZone
    from lib.region import Region

    stack = TerraformStack(Testing.app(), "zone-only")
    region = Region("primary", "eu-west-1", AwsProvider(stack, "aws", region="eu-west-1", alias="primary"))
    HostedZone(
        stack,
        "zone",
        region=region,
        domain_name="dr.acme-corp.io",
        hosted_zone_id=None,
        force_destroy=True,
        query_logging=None,
    )
    synthesized = synthesize(stack)
    assert "aws_route53_query_log" not in synthesized["resource"]
    (zone,) = synthesized["resource"]["aws_route53_zone"].values()
    reasons = dict(e.removeprefix("checkov:skip=").split(":", 1) for e in zone["//"]["checkov"])
    assert set(reasons) == {"CKV2_AWS_38", "CKV2_AWS_39"}
    assert "us-east-1" in reasons["CKV2_AWS_39"]

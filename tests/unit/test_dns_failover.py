"""lib/dns_failover.py: zone, certificates, custom domains, health checks, failover records."""

from __future__ import annotations

import json

import pytest

from tests.unit.conftest import REGIONS, regional_key

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

    # ACM asks for the same CNAME for a name in every region of the account: ONE record,
    # created from the primary's certificate, validates both.
    primary_cert = dev.logical_id("aws_acm_certificate", "endpoint-primary/certificate")
    option = f"tolist(aws_acm_certificate.{primary_cert}.domain_validation_options).0"
    record = dev.get("aws_route53_record", "endpoint-primary/certificate-validation-record")
    assert record["zone_id"] == ZONE_REF
    assert record["name"] == f"${{{option}.resource_record_name}}"
    assert record["type"] == f"${{{option}.resource_record_type}}"
    assert record["records"] == [f"${{{option}.resource_record_value}}"]
    assert "allow_overwrite" not in record  # nothing else manages this record

    validation = dev.get("aws_acm_certificate_validation", f"endpoint-{role}/certificate-validation")
    assert validation["certificate_arn"] == dev.ref(
        "aws_acm_certificate", f"endpoint-{role}/certificate", "arn"
    )
    assert validation["validation_record_fqdns"] == [
        dev.ref("aws_route53_record", "endpoint-primary/certificate-validation-record", "fqdn")
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
    # The primary's record also follows the failover switch (lib/failover_switch.py).
    check = "health-check-with-switch" if role == "primary" else "health-check"
    assert record["health_check_id"] == dev.ref("aws_route53_health_check", f"endpoint-{role}/{check}", "id")
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
    assert staging.count("aws_route53_health_check") == 2  # no records: no switch either
    assert staging.output("failover_domain_name")["value"] == ""
    assert staging.output("failover_switch")["value"] == ""


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
    # The owner of the account settings creates the one resource policy first.
    assert query_log["depends_on"] == [
        dev.address("aws_cloudwatch_log_resource_policy", "account-settings/route53-query-log-policy")
    ]
    zone_skips = dev.get("aws_route53_zone", "zone/zone")["//"]["checkov"]
    assert [e.split(":")[1] for e in zone_skips] == ["skip=CKV2_AWS_38"]  # DNSSEC only


def test_one_query_log_resource_policy_per_account_not_per_zone(dev, eu):
    """AWS allows 10 CloudWatch Logs resource policies per region and account (not raisable):
    one per environment ran out at about the tenth. The owner's one policy covers every
    /aws/route53/* group; the other environments create none."""
    (policy,) = dev.resources("aws_cloudwatch_log_resource_policy").values()
    assert policy["policy_name"] == "tap-route53-query-logs"  # no environment suffix
    assert policy["provider"] == "aws.primary"
    (stmt,) = json.loads(policy["policy_document"])["Statement"]
    assert stmt["Principal"] == {"Service": "route53.amazonaws.com"}
    assert stmt["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert stmt["Resource"] == [
        "arn:aws:logs:us-east-1:${data.aws_caller_identity.caller.account_id}:log-group:/aws/route53/*"
    ]
    assert stmt["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "${data.aws_caller_identity.caller.account_id}"},
        "ArnLike": {"aws:SourceArn": "arn:aws:route53:::hostedzone/*"},
    }
    assert dev.get("aws_cloudwatch_log_group", "zone/query-logs")["name"].startswith("/aws/route53/")
    assert eu.count("aws_cloudwatch_log_resource_policy") == 0
    assert "depends_on" not in eu.get("aws_route53_query_log", "zone/query-log")


def test_query_logs_go_to_us_east_1_for_a_pair_without_it(eu):
    group = eu.get("aws_cloudwatch_log_group", "zone/query-logs")
    assert group["provider"] == "aws.global"
    assert group["kms_key_id"] == eu.ref("aws_kms_key", "key-global/key", "arn")
    assert eu.get("aws_route53_query_log", "zone/query-log")["provider"] == "aws.global"
    zone_skips = eu.get("aws_route53_zone", "zone/zone")["//"]["checkov"]
    assert [e.split(":")[1] for e in zone_skips] == ["skip=CKV2_AWS_38"]  # query logs are on


def test_query_logging_outside_us_east_1_is_refused():
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from lib.dns_failover import HostedZone, QueryLogging
    from lib.region import Region

    stack = TerraformStack(Testing.app(), "zone-only")
    region = Region("primary", "eu-west-1", AwsProvider(stack, "aws", region="eu-west-1", alias="primary"))
    with pytest.raises(ValueError, match="only to log groups in us-east-1"):
        HostedZone(
            stack,
            "zone",
            region=region,
            domain_name="dr.acme-corp.io",
            hosted_zone_id=None,
            force_destroy=True,
            query_logging=QueryLogging(key=regional_key(stack, region), retention_days=7, policy=None),
        )


def test_exactly_one_validation_record_per_validation_name(each_profile):
    """Two resources managing one CNAME (allow_overwrite) meant that destroying either
    region's endpoint deleted the record the other certificate needs to renew."""
    names = [
        body["name"]
        for body in each_profile.resources("aws_route53_record").values()
        if "domain_validation_options" in body["name"]
    ]
    certificates = {body["domain_name"] for body in each_profile.resources("aws_acm_certificate").values()}
    assert len(names) == len(set(names)) == len(certificates) == 1
    assert not [b for b in each_profile.resources("aws_route53_record").values() if b.get("allow_overwrite")]

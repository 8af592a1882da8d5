"""Route 53 failover: zone, health checks, certificates, custom domains and failover records."""

from __future__ import annotations

import json
import re

import pytest

from tests.integration.conftest import ROLES, ClientFactory, Deployment
from tests.integration.support import tags_dict

# Everything here exists only with the custom domain (ENABLE_CUSTOM_DOMAIN=true).
pytestmark = [pytest.mark.integration, pytest.mark.custom_domain]


def _fqdn(name: str) -> str:
    """Route 53 returns absolute, lower-case names (trailing dot)."""
    return name.lower().rstrip(".") + "."


def test_zone_holds_the_failover_name_and_matches_the_name_servers_output(
    deployment: Deployment, client: ClientFactory, primary_region: str
) -> None:
    response = client("route53", primary_region).get_hosted_zone(Id=deployment.outputs["hosted_zone_id"])
    zone = response["HostedZone"]
    assert zone["Id"].rsplit("/", 1)[-1] == deployment.outputs["hosted_zone_id"]
    assert zone["Config"]["PrivateZone"] is False
    assert _fqdn(deployment.domain_name) == f"api.{_fqdn(zone['Name'])}"
    assert sorted(response["DelegationSet"]["NameServers"]) == sorted(deployment.outputs["name_servers"])
    assert len(deployment.outputs["name_servers"]) == 4


def test_health_check_probes_the_regional_health_route(
    deployment: Deployment, client: ClientFactory, primary_region: str, role: str, region: str
) -> None:
    route53 = client("route53", primary_region)
    check_id = deployment.outputs[f"{role}_health_check_id"]
    config = route53.get_health_check(HealthCheckId=check_id)["HealthCheck"]["HealthCheckConfig"]
    assert config["Type"] == "HTTPS"
    assert config["FullyQualifiedDomainName"] == deployment.execute_api_host(role)
    assert (
        config["FullyQualifiedDomainName"] == f"{deployment.api_id(role)}.execute-api.{region}.amazonaws.com"
    )
    assert config["Port"] == 443
    assert config["ResourcePath"] == f"/{deployment.stage(role)}/health" == "/v1/health"
    assert config["RequestInterval"] == 10
    assert config["FailureThreshold"] == 3
    assert config["MeasureLatency"] is True
    assert config["EnableSNI"] is True
    assert config.get("Inverted", False) is False
    assert config.get("Disabled", False) is False
    tags = route53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=check_id)["ResourceTagSet"]
    assert tags_dict(tags["Tags"])["Name"] == f"{deployment.domain_name} {role} ({region})"


def test_certificate_is_issued_for_the_failover_name_in_each_region(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    domain = client("apigateway", region).get_domain_name(domainName=deployment.domain_name)
    certificate_arn = domain["regionalCertificateArn"]
    assert certificate_arn.startswith(deployment.arn("acm", role, "certificate/"))
    certificate = client("acm", region).describe_certificate(CertificateArn=certificate_arn)["Certificate"]
    assert certificate["DomainName"] == deployment.domain_name
    assert certificate["Status"] == "ISSUED"
    assert certificate["Type"] == "AMAZON_ISSUED"
    assert [o["ValidationMethod"] for o in certificate["DomainValidationOptions"]] == ["DNS"]


def test_custom_domain_maps_to_this_regions_stage(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    apigw = client("apigateway", region)
    domain = apigw.get_domain_name(domainName=deployment.domain_name)
    assert domain["domainName"] == deployment.domain_name
    assert domain["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert domain["securityPolicy"] == "TLS_1_2"
    assert domain["domainNameStatus"] == "AVAILABLE"
    assert re.fullmatch(
        rf"d-[a-z0-9]+\.execute-api\.{region}\.amazonaws\.com(\.cn)?", domain["regionalDomainName"]
    )
    assert domain["regionalHostedZoneId"]
    mappings = apigw.get_base_path_mappings(domainName=deployment.domain_name)["items"]
    assert mappings == [{"basePath": "(none)", "restApiId": deployment.api_id(role), "stage": "v1"}]


def test_failover_records_alias_each_regional_domain_with_its_health_check(
    deployment: Deployment, client: ClientFactory, primary_region: str
) -> None:
    name = _fqdn(deployment.domain_name)
    response = client("route53", primary_region).list_resource_record_sets(
        HostedZoneId=deployment.outputs["hosted_zone_id"], StartRecordName=name, StartRecordType="A"
    )
    records = [r for r in response["ResourceRecordSets"] if _fqdn(r["Name"]) == name and r["Type"] == "A"]
    by_failover = {r["Failover"]: r for r in records}
    assert len(records) == 2 and set(by_failover) == {"PRIMARY", "SECONDARY"}, records

    for role in ROLES:
        region = deployment.region(role)
        domain = client("apigateway", region).get_domain_name(domainName=deployment.domain_name)
        record = by_failover[role.upper()]
        assert record["SetIdentifier"] == f"{role}-{region}"
        if role == "secondary":
            assert record["HealthCheckId"] == deployment.outputs[f"{role}_health_check_id"]
        else:  # its endpoint AND the failover switch: see the test below
            assert record["HealthCheckId"] != deployment.outputs[f"{role}_health_check_id"]
        assert "TTL" not in record and "ResourceRecords" not in record  # an alias record
        alias = record["AliasTarget"]
        assert _fqdn(alias["DNSName"]) == _fqdn(domain["regionalDomainName"])
        assert alias["HostedZoneId"] == domain["regionalHostedZoneId"]
        assert alias["EvaluateTargetHealth"] is True
    # Each region's API Gateway has its own hosted zone: the two targets must differ.
    zones = {r["Failover"]: r["AliasTarget"]["HostedZoneId"] for r in records}
    assert zones["PRIMARY"] != zones["SECONDARY"], zones


def test_the_primary_record_also_follows_the_data_plane_switch(
    deployment: Deployment, client: ClientFactory, primary_region: str, secondary_region: str
) -> None:
    """PRIMARY answers only while its endpoint's HTTPS check AND the failover switch (a
    CLOUDWATCH_METRIC check on an alarm in the secondary) are healthy: failing over is one
    PutMetricData there, never a Route 53 call."""
    route53 = client("route53", primary_region)
    name = _fqdn(deployment.domain_name)
    records = route53.list_resource_record_sets(
        HostedZoneId=deployment.outputs["hosted_zone_id"], StartRecordName=name, StartRecordType="A"
    )["ResourceRecordSets"]
    (primary,) = [r for r in records if _fqdn(r["Name"]) == name and r.get("Failover") == "PRIMARY"]
    calculated = route53.get_health_check(HealthCheckId=primary["HealthCheckId"])["HealthCheck"][
        "HealthCheckConfig"
    ]
    assert calculated["Type"] == "CALCULATED"
    children = calculated["ChildHealthChecks"]
    assert calculated["HealthThreshold"] == len(children) == 2
    assert deployment.outputs["primary_health_check_id"] in children
    (switch_id,) = [c for c in children if c != deployment.outputs["primary_health_check_id"]]
    held = route53.get_health_check(HealthCheckId=switch_id)["HealthCheck"]
    switch = held["HealthCheckConfig"]
    described = json.loads(deployment.outputs["failover_switch"])
    assert switch["Type"] == "CLOUDWATCH_METRIC"
    assert switch["AlarmIdentifier"] == {"Region": secondary_region, "Name": described["alarm_name"]}
    # Without data Route 53 keeps the last status: one datapoint holds a failover (or a failback).
    assert switch["InsufficientDataHealthStatus"] == "LastKnownStatus"
    (alarm,) = client("cloudwatch", secondary_region).describe_alarms(AlarmNames=[described["alarm_name"]])[
        "MetricAlarms"
    ]
    assert (alarm["Namespace"], alarm["MetricName"]) == (described["namespace"], described["metric"])
    assert alarm["Dimensions"] == [{"Name": k, "Value": v} for k, v in described["dimensions"].items()]
    assert (alarm["Threshold"], alarm["TreatMissingData"]) == (described["fail_over"], "ignore")
    # What Route 53 evaluates is its copy of the alarm's criteria: the same as the alarm's now.
    criteria = ("ComparisonOperator", "EvaluationPeriods", "MetricName", "Namespace", "Period", "Statistic")
    assert held["CloudWatchAlarmConfiguration"] == {
        **{name: alarm[name] for name in criteria},
        "Threshold": alarm["Threshold"],
        "Dimensions": alarm["Dimensions"],
    }

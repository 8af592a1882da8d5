"""lib/firewall.py: a regional WAF in front of each region's stage."""

from __future__ import annotations

import pytest

from tests.unit.conftest import REGIONS

MANAGED = [
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
]


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_web_acl_rules(dev, role, region):
    acl = dev.get("aws_wafv2_web_acl", f"firewall-{role}/web-acl")
    assert acl["provider"] == f"aws.{role}"
    assert acl["name"] == f"tap-payments-api-waf-{role}-dev"
    assert acl["scope"] == "REGIONAL"
    assert acl["default_action"] == {"allow": {}}
    rate, *managed = acl["rule"]
    assert rate["priority"] == 0
    assert rate["action"] == {"block": {}}
    assert rate["statement"] == {"rate_based_statement": {"aggregate_key_type": "IP", "limit": 2000}}
    assert [r["statement"]["managed_rule_group_statement"]["name"] for r in managed] == MANAGED
    assert [r["priority"] for r in managed] == [1, 2, 3, 4]
    for rule in managed:
        group = rule["statement"]["managed_rule_group_statement"]
        assert group["vendor_name"] == "AWS"
        assert rule["override_action"] == {"none": {}}  # the groups' own block actions apply
        assert "action" not in rule
    for rule in acl["rule"]:
        assert rule["visibility_config"] == {
            "cloudwatch_metrics_enabled": True,
            "metric_name": rule["name"],
            "sampled_requests_enabled": True,
        }


def test_only_hosting_provider_addresses_are_counted_not_blocked(dev):
    acl = dev.get("aws_wafv2_web_acl", "firewall-primary/web-acl")
    overrides = {
        r["name"]: r["statement"]["managed_rule_group_statement"].get("rule_action_override")
        for r in acl["rule"][1:]
    }
    assert overrides.pop("AWSManagedRulesAnonymousIpList") == [
        {"name": "HostingProviderIPList", "action_to_use": {"count": {}}}
    ]
    assert set(overrides.values()) == {None}


@pytest.mark.parametrize(("fixture", "limit"), [("dev", 2_000), ("staging", 5_000), ("prod", 20_000)])
def test_rate_limit_follows_the_profile(request, fixture, limit):
    synth = request.getfixturevalue(fixture)
    for role, _ in REGIONS:
        rate = synth.get("aws_wafv2_web_acl", f"firewall-{role}/web-acl")["rule"][0]
        assert rate["statement"]["rate_based_statement"]["limit"] == limit


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_web_acl_guards_the_regions_stage(dev, role, region):
    association = dev.get("aws_wafv2_web_acl_association", f"firewall-{role}/association")
    assert association["resource_arn"] == dev.ref("aws_api_gateway_stage", f"api-{role}/stage", "arn")
    assert association["web_acl_arn"] == dev.ref("aws_wafv2_web_acl", f"firewall-{role}/web-acl", "arn")
    assert association["provider"] == f"aws.{role}"


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_waf_logs_are_encrypted_and_never_hold_the_api_key(dev, role, region):
    group = dev.get("aws_cloudwatch_log_group", f"firewall-{role}/logs")
    assert group["name"] == f"aws-waf-logs-tap-payments-api-waf-{role}-dev"  # WAF's required prefix
    assert group["kms_key_id"] == dev.ref("aws_kms_key", f"key-{role}/key", "arn")
    assert group["retention_in_days"] == 7
    logging = dev.get("aws_wafv2_web_acl_logging_configuration", f"firewall-{role}/logging")
    assert logging["resource_arn"] == dev.ref("aws_wafv2_web_acl", f"firewall-{role}/web-acl", "arn")
    assert logging["log_destination_configs"] == [
        dev.ref("aws_cloudwatch_log_group", f"firewall-{role}/logs", "arn")
    ]
    assert logging["redacted_fields"] == [{"single_header": {"name": "x-api-key"}}]


def test_the_handler_accepts_no_body_the_waf_would_block():
    """The WAF's common rule set blocks bodies over 8 KB; a handler that accepted 16 KB
    advertised a limit no client behind the WAF could ever reach."""
    from cli.handler_loader import load_handler
    from lib.firewall import BODY_LIMIT_BYTES

    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_REGION", "us-east-1")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        handler = load_handler()
    assert handler.MAX_BODY_BYTES == BODY_LIMIT_BYTES == 8192


def test_size_restriction_rule_keeps_its_block_action(each_profile):
    for acl in each_profile.resources("aws_wafv2_web_acl").values():
        for rule in acl["rule"]:
            group = rule["statement"].get("managed_rule_group_statement", {})
            overridden = {o["name"] for o in group.get("rule_action_override", [])}
            assert "SizeRestrictions_BODY" not in overridden


def test_web_acl_fits_the_base_capacity_and_rate_minimum(each_profile):
    from lib.firewall import (
        MANAGED_RULE_GROUP_WCU,
        RATE_BASED_RULE_WCU,
        RATE_LIMIT_MINIMUM,
        WEB_ACL_BASE_WCU,
    )

    for acl in each_profile.resources("aws_wafv2_web_acl").values():
        used = 0
        for rule in acl["rule"]:
            statement = rule["statement"]
            if "rate_based_statement" in statement:
                used += RATE_BASED_RULE_WCU
                assert statement["rate_based_statement"]["limit"] >= RATE_LIMIT_MINIMUM
            else:
                used += MANAGED_RULE_GROUP_WCU[statement["managed_rule_group_statement"]["name"]]
        assert used <= WEB_ACL_BASE_WCU
        # WAF names: 1-128 of [A-Za-z0-9_-] (WebACL API reference).
        assert len(acl["name"]) <= 128 and acl["name"].replace("-", "").replace("_", "").isalnum()

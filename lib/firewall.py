"""A regional WAF in front of one region's API stage, with KMS-encrypted, redacted logs."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclDefaultAction,
    Wafv2WebAclDefaultActionAllow,
    Wafv2WebAclRule,
    Wafv2WebAclRuleAction,
    Wafv2WebAclRuleActionBlock,
    Wafv2WebAclRuleOverrideAction,
    Wafv2WebAclRuleOverrideActionNone,
    Wafv2WebAclRuleVisibilityConfig,
    Wafv2WebAclVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
    Wafv2WebAclLoggingConfigurationRedactedFields,
    Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader,
)
from constructs import Construct

from lib.keys import RegionalKey
from lib.logs import encrypted_log_group
from lib.region import Region

# AWS managed rule groups, in evaluation order (the rate limit runs first, below), each
# with the rules it only counts instead of blocking.
MANAGED_RULE_GROUPS: dict[str, tuple[str, ...]] = {
    "AWSManagedRulesAmazonIpReputationList": (),
    # Tor exits and anonymising proxies are blocked; payment clients that call from a cloud
    # provider's addresses (server-to-server integrations) are only counted.
    "AWSManagedRulesAnonymousIpList": ("HostingProviderIPList",),
    "AWSManagedRulesCommonRuleSet": (),
    "AWSManagedRulesKnownBadInputsRuleSet": (),  # includes the Log4j (CVE-2021-44228) rules
}
# AWSManagedRulesCommonRuleSet's SizeRestrictions_BODY blocks request bodies over 8 KB
# (https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html):
# the API's body limit. The handler enforces the same number for callers that bypass the WAF.
BODY_LIMIT_BYTES = 8 * 1024
# Web ACL capacity units of each managed group (the same page, "WCU") and AWS's 1,500 WCU
# per web ACL included in the base price
# (https://docs.aws.amazon.com/waf/latest/developerguide/aws-waf-capacity-units.html).
MANAGED_RULE_GROUP_WCU = {
    "AWSManagedRulesAmazonIpReputationList": 25,
    "AWSManagedRulesAnonymousIpList": 50,
    "AWSManagedRulesCommonRuleSet": 700,
    "AWSManagedRulesKnownBadInputsRuleSet": 200,
}
RATE_BASED_RULE_WCU = 2
WEB_ACL_BASE_WCU = 1_500
# WAF's documented rate-based limits: at least 10 requests per evaluation window
# (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html).
RATE_LIMIT_MINIMUM = 10
# Never written to the WAF logs: the API key is a credential.
REDACTED_HEADERS = ("x-api-key",)


@dataclass(frozen=True)
class FirewallSettings:
    name: str
    requests_per_ip: int  # per 5-minute window
    log_retention_days: int


def _visibility(metric: str) -> Wafv2WebAclRuleVisibilityConfig:
    return Wafv2WebAclRuleVisibilityConfig(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _managed_group(name: str, counted: tuple[str, ...]) -> dict[str, object]:
    statement: dict[str, object] = {"name": name, "vendor_name": "AWS"}
    if counted:
        statement["rule_action_override"] = [
            {"name": rule, "action_to_use": {"count": {}}} for rule in counted
        ]
    return statement


class RegionalFirewall(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        region: Region,
        settings: FirewallSettings,
        key: RegionalKey,
        stage_arn: str,
    ) -> None:
        super().__init__(scope, id)
        provider = region.provider
        rules = [
            Wafv2WebAclRule(
                name="rate-limit-per-ip",
                priority=0,
                action=Wafv2WebAclRuleAction(block=Wafv2WebAclRuleActionBlock()),
                # Untyped in the provider bindings: keys are Terraform's block names.
                statement={
                    "rate_based_statement": {
                        "limit": settings.requests_per_ip,
                        "aggregate_key_type": "IP",
                    }
                },
                visibility_config=_visibility("rate-limit-per-ip"),
            ),
            *(
                Wafv2WebAclRule(
                    name=group,
                    priority=priority,
                    override_action=Wafv2WebAclRuleOverrideAction(none=Wafv2WebAclRuleOverrideActionNone()),
                    statement={"managed_rule_group_statement": _managed_group(group, counted)},
                    visibility_config=_visibility(group),
                )
                for priority, (group, counted) in enumerate(MANAGED_RULE_GROUPS.items(), start=1)
            ),
        ]
        self.web_acl = Wafv2WebAcl(
            self,
            "web-acl",
            provider=provider,
            name=settings.name,
            description=f"Payments API firewall in {region.name}",
            scope="REGIONAL",
            default_action=Wafv2WebAclDefaultAction(allow=Wafv2WebAclDefaultActionAllow()),
            rule=rules,
            visibility_config=Wafv2WebAclVisibilityConfig(
                cloudwatch_metrics_enabled=True,
                metric_name=settings.name,
                sampled_requests_enabled=True,
            ),
        )
        # WAF delivers only to log groups whose name starts with "aws-waf-logs-".
        self.log_group = encrypted_log_group(
            self,
            "logs",
            key=key,
            name=f"aws-waf-logs-{settings.name}",
            retention_days=settings.log_retention_days,
        )
        Wafv2WebAclLoggingConfiguration(
            self,
            "logging",
            provider=provider,
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.log_group.arn],
            redacted_fields=[
                Wafv2WebAclLoggingConfigurationRedactedFields(
                    single_header=Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader(name=header)
                )
                for header in REDACTED_HEADERS
            ],
        )
        Wafv2WebAclAssociation(
            self,
            "association",
            provider=provider,
            resource_arn=stage_arn,
            web_acl_arn=self.web_acl.arn,
        )

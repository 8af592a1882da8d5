"""Route 53 failover: the zone, and per region a health check, certificate, custom domain,
base path mapping and failover alias record (one ``RegionalEndpoint`` per region).

Both regions' certificates are for the same name, and ACM asks for the same validation CNAME
in every region ("the CNAME validation token works for any AWS Region",
https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html): the first endpoint
creates that one record and the other validates against it, so no two resources manage one
record and renewals keep finding it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import (
    AcmCertificateValidation,
    AcmCertificateValidationTimeouts,
)
from cdktf_cdktf_provider_aws.api_gateway_base_path_mapping import ApiGatewayBasePathMapping
from cdktf_cdktf_provider_aws.api_gateway_domain_name import (
    ApiGatewayDomainName,
    ApiGatewayDomainNameEndpointConfiguration,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_resource_policy import CloudwatchLogResourcePolicy
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.route53_health_check import Route53HealthCheck
from cdktf_cdktf_provider_aws.route53_query_log import Route53QueryLog
from cdktf_cdktf_provider_aws.route53_record import (
    Route53Record,
    Route53RecordAlias,
    Route53RecordFailoverRoutingPolicy,
)
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone
from constructs import Construct

from lib.account import query_log_group_name
from lib.failover_switch import FailoverSwitch
from lib.keys import RegionalKey
from lib.logs import encrypted_log_group
from lib.policy import skip_checks
from lib.region import Region
from lib.regional_api import HEALTH_PATH, RegionalApi
from lib.regions import GLOBAL

# ACM waits for the DNS record to be visible publicly. In a zone that is not delegated yet
# that never happens: fail the deploy after this long instead of hanging for 72 hours.
CERT_VALIDATION_TIMEOUT = "15m"
HEALTH_CHECK_INTERVAL = 10
HEALTH_CHECK_FAILURES = 3


@dataclass(frozen=True)
class QueryLogging:
    """Where the zone's DNS query logs go: us-east-1 (a stack region or the extra one) and its
    key. ``policy`` is the account's resource policy letting Route 53 write there, when this
    stack manages it (the query log must wait for it); None when another environment does."""

    key: RegionalKey  # the log group is in the key's region
    retention_days: int
    policy: CloudwatchLogResourcePolicy | None

    @property
    def region(self) -> Region:
        return self.key.region


class HostedZone(Construct):
    """The zone holding ``api.<domain>``: an existing one (by id) or one created here."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        region: Region,
        domain_name: str,
        hosted_zone_id: str | None,
        force_destroy: bool,
        query_logging: QueryLogging,
    ) -> None:
        super().__init__(scope, id)
        if query_logging.region.name != GLOBAL:
            raise ValueError(f"Route 53 delivers query logs only to log groups in {GLOBAL}")
        if hosted_zone_id:
            existing = DataAwsRoute53Zone(self, "existing", provider=region.provider, zone_id=hosted_zone_id)
            self.zone_id: str = hosted_zone_id
            self.name_servers: list[str] = existing.name_servers
            self.created = False
        else:
            zone = Route53Zone(
                self,
                "zone",
                provider=region.provider,
                name=domain_name,
                comment=f"Payments API failover zone for {domain_name} (delegate it to use it)",
                force_destroy=force_destroy,
            )
            skip_checks(
                zone,
                {
                    "CKV2_AWS_38": "DNSSEC needs a DS record in the parent zone, outside this "
                    "stack; a DS left behind after destroy would take the name offline",
                },
            )
            self._log_queries(zone, domain_name, query_logging)
            self.zone_id = zone.zone_id
            self.name_servers = zone.name_servers
            self.created = True

    def _log_queries(self, zone: Route53Zone, domain_name: str, settings: QueryLogging) -> None:
        provider = settings.region.provider
        group = encrypted_log_group(
            self,
            "query-logs",
            key=settings.key,
            name=query_log_group_name(domain_name),
            retention_days=settings.retention_days,
        )
        Route53QueryLog(
            self,
            "query-log",
            provider=provider,
            zone_id=zone.zone_id,
            cloudwatch_log_group_arn=group.arn,
            depends_on=[settings.policy] if settings.policy else None,
        )


class RegionalEndpoint(Construct):
    """One region's entry in the failover pair."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        region: Region,
        api: RegionalApi,
        zone_id: str,
        api_domain_name: str,
        custom_domain: bool,
        validation_record: Route53Record | None = None,
        switch: FailoverSwitch | None = None,
    ) -> None:
        """``validation_record``: the certificate-validation CNAME another region's endpoint
        created for the same name; None for the first endpoint, which creates it. ``switch``:
        the data-plane failover switch the PRIMARY record also depends on (lib/failover_switch.py)."""
        super().__init__(scope, id)
        self._region, self._api_domain_name, self._zone_id = region, api_domain_name, zone_id
        self.health_check = self._health_check(api)
        self.custom_domain: ApiGatewayDomainName | None = None
        self.validation_record: Route53Record | None = None
        # What the failover record's health follows: the endpoint's check, and with a switch a
        # CALCULATED check healthy only while both are (Route 53 evaluates it in its data plane:
        # https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html#health-checks-creating-values-calculated).
        self.record_health_check = self.health_check
        if not custom_domain:
            return
        if switch is not None:
            self.record_health_check = self._health_check_with_switch(switch)
        validation = self._validated_certificate(validation_record)
        self.custom_domain = self._custom_domain(api, validation)
        self._failover_record(self.custom_domain)

    def _health_check(self, api: RegionalApi) -> Route53HealthCheck:
        """HTTPS probes of the region's own health route, through execute-api."""
        return Route53HealthCheck(
            self,
            "health-check",
            provider=self._region.provider,
            type="HTTPS",
            fqdn=api.execute_api_host,
            port=443,
            resource_path=f"/{api.stage.stage_name}{HEALTH_PATH}",
            request_interval=HEALTH_CHECK_INTERVAL,
            failure_threshold=HEALTH_CHECK_FAILURES,
            measure_latency=True,
            enable_sni=True,
            tags={"Name": f"{self._api_domain_name} {self._region.role} ({self._region.name})"},
        )

    def _health_check_with_switch(self, switch: FailoverSwitch) -> Route53HealthCheck:
        children = [self.health_check.id, switch.health_check.id]
        return Route53HealthCheck(
            self,
            "health-check-with-switch",
            provider=self._region.provider,
            type="CALCULATED",
            child_healthchecks=children,
            child_health_threshold=len(children),
            tags={"Name": f"{self._api_domain_name} {self._region.role}: endpoint and failover switch"},
        )

    def _validated_certificate(self, validation_record: Route53Record | None) -> AcmCertificateValidation:
        """The certificate for the API's name, validated through ``validation_record`` (created
        here from this certificate's validation option when None)."""
        provider = self._region.provider
        certificate = AcmCertificate(
            self,
            "certificate",
            provider=provider,
            domain_name=self._api_domain_name,
            validation_method="DNS",
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        if validation_record is None:
            option = certificate.domain_validation_options.get(0)
            validation_record = Route53Record(
                self,
                "certificate-validation-record",
                provider=provider,
                zone_id=self._zone_id,
                name=option.resource_record_name,
                type=option.resource_record_type,
                records=[option.resource_record_value],
                ttl=60,
            )
        # The provider checks that this record is the one the certificate asks for: were the
        # two regions' records ever to differ, the apply would fail here, never silently.
        self.validation_record = validation_record
        return AcmCertificateValidation(
            self,
            "certificate-validation",
            provider=provider,
            certificate_arn=certificate.arn,
            validation_record_fqdns=[validation_record.fqdn],
            timeouts=AcmCertificateValidationTimeouts(create=CERT_VALIDATION_TIMEOUT),
        )

    def _custom_domain(self, api: RegionalApi, validation: AcmCertificateValidation) -> ApiGatewayDomainName:
        """The regional custom domain, and the mapping of its root to the API's stage."""
        domain = ApiGatewayDomainName(
            self,
            "custom-domain",
            provider=self._region.provider,
            domain_name=self._api_domain_name,
            regional_certificate_arn=validation.certificate_arn,
            endpoint_configuration=ApiGatewayDomainNameEndpointConfiguration(types=["REGIONAL"]),
            security_policy="TLS_1_2",
        )
        ApiGatewayBasePathMapping(
            self,
            "base-path-mapping",
            provider=self._region.provider,
            api_id=api.rest_api.id,
            stage_name=api.stage.stage_name,
            domain_name=domain.domain_name,
        )
        return domain

    def _failover_record(self, domain: ApiGatewayDomainName) -> Route53Record:
        """The alias to the custom domain, this region's half of the failover pair."""
        region = self._region
        return Route53Record(
            self,
            "failover-record",
            provider=region.provider,
            zone_id=self._zone_id,
            name=self._api_domain_name,
            type="A",
            set_identifier=f"{region.role}-{region.name}",
            failover_routing_policy=Route53RecordFailoverRoutingPolicy(type=region.role.upper()),
            health_check_id=self.record_health_check.id,
            alias=Route53RecordAlias(
                name=domain.regional_domain_name,
                zone_id=domain.regional_zone_id,
                evaluate_target_health=True,
            ),
        )

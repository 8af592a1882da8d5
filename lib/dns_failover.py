"""Route 53 failover: the zone, and per region a health check, certificate, custom domain,
base path mapping and failover alias record (one ``RegionalEndpoint`` per region)."""

from __future__ import annotations

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
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.route53_health_check import Route53HealthCheck
from cdktf_cdktf_provider_aws.route53_record import (
    Route53Record,
    Route53RecordAlias,
    Route53RecordFailoverRoutingPolicy,
)
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone
from constructs import Construct

from lib.policy import skip_checks
from lib.region import Region
from lib.regional_api import HEALTH_PATH, RegionalApi

# ACM waits for the DNS record to be visible publicly. In a zone that is not delegated yet
# that never happens: fail the deploy after this long instead of hanging for 72 hours.
CERT_VALIDATION_TIMEOUT = "15m"
HEALTH_CHECK_INTERVAL = 10
HEALTH_CHECK_FAILURES = 3


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
    ) -> None:
        super().__init__(scope, id)
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
                    "CKV2_AWS_38": "DNSSEC signing needs the parent zone's DS record, which a "
                    "zone created for delegation does not have yet",
                    "CKV2_AWS_39": "query logging needs a us-east-1 log group with a "
                    "resource policy; health checks and API access logs cover this API",
                },
            )
            self.zone_id = zone.zone_id
            self.name_servers = zone.name_servers
            self.created = True


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
    ) -> None:
        super().__init__(scope, id)
        provider = region.provider
        self.health_check = Route53HealthCheck(
            self,
            "health-check",
            provider=provider,
            type="HTTPS",
            fqdn=api.execute_api_host,
            port=443,
            resource_path=f"/{api.stage.stage_name}{HEALTH_PATH}",
            request_interval=HEALTH_CHECK_INTERVAL,
            failure_threshold=HEALTH_CHECK_FAILURES,
            measure_latency=True,
            enable_sni=True,
            tags={"Name": f"{api_domain_name} {region.role} ({region.name})"},
        )
        self.custom_domain: ApiGatewayDomainName | None = None
        if not custom_domain:
            return

        certificate = AcmCertificate(
            self,
            "certificate",
            provider=provider,
            domain_name=api_domain_name,
            validation_method="DNS",
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        option = certificate.domain_validation_options.get(0)
        # Both regions' certificates for the same name ask for the same CNAME:
        # each region upserts it, so neither depends on the other.
        validation_record = Route53Record(
            self,
            "certificate-validation-record",
            provider=provider,
            zone_id=zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=60,
            allow_overwrite=True,
        )
        validation = AcmCertificateValidation(
            self,
            "certificate-validation",
            provider=provider,
            certificate_arn=certificate.arn,
            validation_record_fqdns=[validation_record.fqdn],
            timeouts=AcmCertificateValidationTimeouts(create=CERT_VALIDATION_TIMEOUT),
        )
        self.custom_domain = ApiGatewayDomainName(
            self,
            "custom-domain",
            provider=provider,
            domain_name=api_domain_name,
            regional_certificate_arn=validation.certificate_arn,
            endpoint_configuration=ApiGatewayDomainNameEndpointConfiguration(types=["REGIONAL"]),
            security_policy="TLS_1_2",
        )
        ApiGatewayBasePathMapping(
            self,
            "base-path-mapping",
            provider=provider,
            api_id=api.rest_api.id,
            stage_name=api.stage.stage_name,
            domain_name=self.custom_domain.domain_name,
        )
        Route53Record(
            self,
            "failover-record",
            provider=provider,
            zone_id=zone_id,
            name=api_domain_name,
            type="A",
            set_identifier=f"{region.role}-{region.name}",
            failover_routing_policy=Route53RecordFailoverRoutingPolicy(type=region.role.upper()),
            health_check_id=self.health_check.id,
            alias=Route53RecordAlias(
                name=self.custom_domain.regional_domain_name,
                zone_id=self.custom_domain.regional_zone_id,
                evaluate_target_health=True,
            ),
        )

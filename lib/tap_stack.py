"""TapStack: the multi-region disaster-recovery payments API, composed one concern at a time."""

from __future__ import annotations

import json

from cdktf import LocalBackend, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from lib.account import AccountSettings
from lib.config import StackConfig
from lib.dns_failover import HostedZone, QueryLogging, RegionalEndpoint
from lib.failover_switch import FailoverSwitch
from lib.firewall import FirewallSettings, RegionalFirewall
from lib.keys import RegionalKey
from lib.monitoring import HealthCheckMonitoring, RegionalMonitoring
from lib.outputs import define_outputs
from lib.region import Region
from lib.regional_api import ApiNames, RegionalApi, lambda_asset
from lib.storage import AccessLogBucket, BucketReplication, BucketSettings, ReceiptBucket
from lib.table import GlobalTable, Replica


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, id: str, config: StackConfig) -> None:
        super().__init__(scope, id)
        self._backend(id, config)
        profile = config.profile

        def region(role: str, name: str) -> Region:
            provider = AwsProvider(
                self,
                f"aws-{role}",
                alias=role,
                region=name,
                default_tags=[AwsProviderDefaultTags(tags=config.tags)],
            )
            return Region(role, name, provider)

        topology = config.topology
        regions = [region(r.role, r.name) for r in topology.roles]
        by_role = {r.role: r for r in regions}
        primary = regions[0]
        account_id = DataAwsCallerIdentity(self, "caller", provider=primary.provider).account_id

        def key(r: Region, purpose: str = "payments data, receipts, logs and alarms") -> RegionalKey:
            return RegionalKey(
                self,
                f"key-{r.role}",
                region=r,
                alias_name=config.name("data", r.role),
                account_id=account_id,
                deletion_window_days=profile.kms_deletion_window_days,
                prevent_destroy=profile.prevent_destroy,
                purpose=purpose,
            )

        keys = {r.role: key(r) for r in regions}
        # Route 53 writes query logs and publishes health-check metrics only in the global
        # region (lib/regions.py): a pair without it gets a third role there (provider and key).
        global_role = topology.global_role
        home = by_role.get(global_role.role)
        if home is None:
            home = region(global_role.role, global_role.name)
            keys[home.role] = key(home, "Route 53 query logs and health-check alarms")

        account = (
            AccountSettings(
                self, "account-settings", regions=regions, query_log_region=home, account_id=account_id
            )
            if config.manages_account_settings
            else None
        )

        table = GlobalTable(
            self,
            "payments-table",
            name=config.name("payments"),
            primary=primary,
            primary_key=keys[primary.role],
            replicas=[Replica(r, keys[r.role]) for r in regions[1:]],
            deletion_protection=profile.deletion_protection,
            prevent_destroy=profile.prevent_destroy,
        )

        def bucket_settings(r: Region, purpose: str, key: RegionalKey | None) -> BucketSettings:
            return BucketSettings(
                region=r,
                name=f"{config.name(purpose, r.role)}-{account_id}",  # account id: globally unique
                key=key,
                force_destroy=profile.force_destroy,
                prevent_destroy=profile.prevent_destroy,
            )

        buckets = {}
        for r in regions:
            receipts = bucket_settings(r, "receipts", keys[r.role])
            buckets[r.role] = ReceiptBucket(
                self,
                f"receipts-{r.role}",
                settings=receipts,
                access_logs=AccessLogBucket(
                    self,
                    f"access-logs-{r.role}",
                    settings=bucket_settings(r, "access-logs", None),
                    source_bucket=receipts.name,
                    account_id=account_id,
                    retention_days=profile.log_retention_days,
                ),
            )
        # Each role to its peer, round the ring: DR copies to the secondary, failback copies
        # back what it wrote.
        replications = {
            r.role: BucketReplication(
                self,
                f"receipts-replication-{r.role}",
                source=buckets[r.role],
                destination=buckets[topology.peer(r.role)],
                role_name=config.name("receipts-replication", r.role),
            )
            for r in regions
        }

        asset = lambda_asset(self)
        apis: dict[str, RegionalApi] = {}
        api_key_value = None  # generated in the primary, reused by the secondary
        for r in regions:
            apis[r.role] = RegionalApi(
                self,
                f"api-{r.role}",
                region=r,
                names=ApiNames(
                    function=config.name("payments-api", r.role),
                    function_role=config.name("payments-api-fn", r.role),
                    api=config.name("payments-api", r.role),
                    api_key=config.name("payments-client", r.role),
                    usage_plan=config.name("payments-plan", r.role),
                ),
                profile=profile,
                account_id=account_id,
                asset=asset,
                key=keys[r.role],
                table=table,
                bucket=buckets[r.role],
                logging_account=account.api_gateway[r.role] if account else None,
                api_key_value=api_key_value,
            )
            api_key_value = apis[r.role].api_key.value
            RegionalFirewall(
                self,
                f"firewall-{r.role}",
                region=r,
                settings=FirewallSettings(
                    name=config.name("payments-api-waf", r.role),
                    requests_per_ip=profile.waf_requests_per_ip,
                    log_retention_days=profile.log_retention_days,
                ),
                key=keys[r.role],
                stage_arn=apis[r.role].stage.arn,
            )

        zone = HostedZone(
            self,
            "zone",
            region=primary,
            domain_name=config.domain_name,
            hosted_zone_id=config.hosted_zone_id,
            force_destroy=profile.force_destroy,
            query_logging=QueryLogging(
                key=keys[home.role],
                retention_days=profile.log_retention_days,
                policy=account.query_log_policy if account else None,
            ),
        )
        # Failing over needs one PutMetricData in the secondary, never the primary's region or
        # Route 53's control plane (lib/failover_switch.py).
        switch = (
            FailoverSwitch(
                self,
                "failover-switch",
                region=by_role[topology.peer(primary.role)],  # where traffic goes
                alarm_name=config.name("failover-switch"),
                environment=config.suffix,
            )
            if config.custom_domain
            else None
        )
        endpoints: dict[str, RegionalEndpoint] = {}
        for r in regions:
            endpoints[r.role] = RegionalEndpoint(
                self,
                f"endpoint-{r.role}",
                region=r,
                api=apis[r.role],
                zone_id=zone.zone_id,
                api_domain_name=config.api_domain_name,
                custom_domain=config.custom_domain,
                # One validation record for the one name, created by the first endpoint.
                validation_record=endpoints[primary.role].validation_record if endpoints else None,
                switch=switch if r is primary else None,
            )
        health_check_ids = {role: e.health_check.id for role, e in endpoints.items()}
        for r in regions:
            other = by_role[topology.peer(r.role)]
            RegionalMonitoring(
                self,
                f"monitoring-{r.role}",
                region=r,
                topic_name=config.name("alarms", r.role),
                parameter_prefix=f"/{config.name('payments')}/{r.role}",
                key=keys[r.role],
                api=apis[r.role],
                table_name=table.name,
                replica_region=other.name,
                outgoing=replications[r.role],
                incoming=replications[other.role],
                health_check_ids=health_check_ids if r is home else {},
            )
        if home not in regions:
            HealthCheckMonitoring(
                self,
                f"monitoring-{home.role}",
                region=home,
                topic_name=config.name("alarms", home.role),
                key=keys[home.role],
                health_check_ids=health_check_ids,
            )

        define_outputs(
            self,
            {
                **{f"{role}_api_endpoint": a.stage.invoke_url for role, a in apis.items()},
                **{f"{role}_bucket_name": b.name for role, b in buckets.items()},
                **{f"{role}_lambda_function_name": a.function.function_name for role, a in apis.items()},
                **{f"{r.role}_kms_key_arn": keys[r.role].arn for r in regions},
                **{f"{role}_health_check_id": e.health_check.id for role, e in endpoints.items()},
                **{f"{role}_api_key_id": a.api_key.id for role, a in apis.items()},
                "failover_domain_name": config.api_domain_name if config.custom_domain else "",
                "failover_switch": json.dumps(switch.describe(), sort_keys=True) if switch else "",
                "dns_delegation": _delegation_note(config, zone.created),
                "dynamodb_table_name": table.name,
                "topology": topology.to_json(),
                "deployment_identity": json.dumps(config.identity, sort_keys=True),
                "account_settings": (
                    "managed by this stack (MANAGE_ACCOUNT_SETTINGS=true)"
                    if account
                    else "used, not managed: another environment of the account owns them"
                ),
                "hosted_zone_id": zone.zone_id,
                "name_servers": zone.name_servers,
            },
        )

    def _backend(self, id: str, config: StackConfig) -> None:
        if config.state_bucket:
            S3Backend(
                self,
                bucket=config.state_bucket,
                key=f"{id}/terraform.tfstate",
                region=config.state_bucket_region,
                encrypt=True,
            )
            # S3-native state locking (Terraform >= 1.10); cdktf 0.21 has no property for it.
            self.add_override("terraform.backend.s3.use_lockfile", True)
        else:
            # Relative to the synthesized stack directory (cdktf.out/stacks/<id>): the state
            # lands in the project root for cdktf and plain `terraform -chdir=...` alike.
            LocalBackend(self, path=f"../../../terraform.{id}.tfstate")


def _delegation_note(config: StackConfig, zone_created: bool) -> str:
    if not zone_created:
        return f"none: records live in the existing zone {config.hosted_zone_id}"
    return (
        f"required: {config.domain_name} is a new zone; create NS records for it with the "
        "name_servers output in its parent zone, or certificate validation and the failover "
        "name cannot work on real AWS (or deploy with ENABLE_CUSTOM_DOMAIN=false first)"
    )

"""TapStack: the multi-region disaster-recovery payments API, composed one concern at a time."""

from __future__ import annotations

import json

from cdktf import Fn, LocalBackend, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from lib.account import AccountSettings
from lib.api_access import CallerPolicy
from lib.api_contract import ROUTES
from lib.backup import BackupSources, RegionalBackup, RegionalVault
from lib.config import StackConfig
from lib.dns_failover import HostedZone, QueryLogging, RegionalEndpoint
from lib.failover_switch import FailoverSwitch
from lib.firewall import FirewallSettings, RegionalFirewall
from lib.keys import RegionalKey
from lib.monitoring import AlarmTopic, HealthCheckMonitoring, RegionalMonitoring
from lib.outputs import define_outputs
from lib.permissions_boundary import apply_permissions_boundary
from lib.region import Region
from lib.regional_api import STAGE_NAME, ApiNames, RegionalApi, lambda_asset
from lib.storage import AccessLogBucket, BucketReplication, BucketSettings, ReceiptBucket
from lib.table import GlobalTable, Replica

# The route a payment arrives by (the contract's POST with the CreatePayment body): its count on
# the secondary's stage is "traffic moved" as the secondary sees it.
CREATE_PAYMENT = next(r for r in ROUTES if r.method == "POST" and r.body_model == "CreatePayment")


class TapStack(TerraformStack):
    """Built from the configuration's topology (lib/regions.py), one concern at a time, in the
    order the resources are declared: providers and keys, data, APIs, DNS, monitoring, outputs.
    Construct ids are Terraform addresses: each part keeps the ids it always had."""

    def __init__(self, scope: Construct, id: str, config: StackConfig) -> None:
        super().__init__(scope, id)
        self._backend(id, config)
        self.config, self.profile, self.topology = config, config.profile, config.topology
        self.regions = [self._region(r.role, r.name) for r in self.topology.roles]
        self.by_role = {r.role: r for r in self.regions}
        self.primary = self.regions[0]
        self.account_id = DataAwsCallerIdentity(self, "caller", provider=self.primary.provider).account_id
        apply_permissions_boundary(self, self.account_id, config.permissions_boundary)
        self.keys = {r.role: self._key(r) for r in self.regions}
        self.home = self._global_region()
        self.account = (
            AccountSettings(
                self,
                "account-settings",
                regions=self.regions,
                query_log_region=self.home,
                account_id=self.account_id,
            )
            if config.manages_account_settings
            else None
        )
        self.table = GlobalTable(
            self,
            "payments-table",
            name=config.name("payments"),
            primary=self.primary,
            primary_key=self.keys[self.primary.role],
            replicas=[Replica(r, self.keys[r.role]) for r in self.regions[1:]],
            deletion_protection=self.profile.deletion_protection,
            prevent_destroy=self.profile.prevent_destroy,
            pitr_days=self.profile.backups.pitr_days,
        )
        self.buckets = {r.role: self._receipts(r) for r in self.regions}
        self.replications = self._replications()
        self.vaults, self.backups = self._backups()
        self.apis = self._apis()
        self.caller_policy = CallerPolicy(
            self,
            "caller-policy",
            region=self.primary,  # IAM is global: the extra Route 53 region (home) holds only its alarms
            name=config.name("payments-invoke"),
            execution_arns=[api.rest_api.execution_arn for api in self.apis.values()],
            stage=STAGE_NAME,
            routes=ROUTES,
        ).policy
        self.zone = self._zone()
        self.switch = self._switch()
        self.endpoints = self._endpoints()
        self.monitors = self._monitoring()
        self._failover_alarms()
        self._outputs()

    def _region(self, role: str, name: str) -> Region:
        provider = AwsProvider(
            self,
            f"aws-{role}",
            alias=role,
            region=name,
            default_tags=[AwsProviderDefaultTags(tags=self.config.tags)],
        )
        return Region(role, name, provider)

    def _key(self, r: Region, purpose: str = "payments data, receipts, logs and alarms") -> RegionalKey:
        return RegionalKey(
            self,
            f"key-{r.role}",
            region=r,
            alias_name=self.config.name("data", r.role),
            account_id=self.account_id,
            deletion_window_days=self.profile.kms_deletion_window_days,
            prevent_destroy=self.profile.prevent_destroy,
            purpose=purpose,
        )

    def _global_region(self) -> Region:
        """Route 53 writes query logs and publishes health-check metrics only in the global
        region (lib/regions.py): a pair without it gets a third role there (provider and key)."""
        wanted = self.topology.global_role
        home = self.by_role.get(wanted.role)
        if home is None:
            home = self._region(wanted.role, wanted.name)
            self.keys[home.role] = self._key(home, "Route 53 query logs and health-check alarms")
        return home

    def _bucket_settings(self, r: Region, purpose: str, key: RegionalKey | None) -> BucketSettings:
        return BucketSettings(
            region=r,
            name=f"{self.config.name(purpose, r.role)}-{self.account_id}",  # account id: globally unique
            key=key,
            force_destroy=self.profile.force_destroy,
            prevent_destroy=self.profile.prevent_destroy,
        )

    def _receipts(self, r: Region) -> ReceiptBucket:
        receipts = self._bucket_settings(r, "receipts", self.keys[r.role])
        return ReceiptBucket(
            self,
            f"receipts-{r.role}",
            settings=receipts,
            access_logs=AccessLogBucket(
                self,
                f"access-logs-{r.role}",
                settings=self._bucket_settings(r, "access-logs", None),
                source_bucket=receipts.name,
                account_id=self.account_id,
                retention_days=self.profile.log_retention_days,
            ),
        )

    def _replications(self) -> dict[str, BucketReplication]:
        """Each role to its peer, round the ring: DR copies to the secondary, failback copies
        back what it wrote."""
        return {
            r.role: BucketReplication(
                self,
                f"receipts-replication-{r.role}",
                source=self.buckets[r.role],
                destination=self.buckets[self.topology.peer(r.role)],
                role_name=self.config.name("receipts-replication", r.role),
            )
            for r in self.regions
        }

    def _backups(self) -> tuple[dict[str, RegionalVault], dict[str, RegionalBackup]]:
        """A vault in every region of the pair, then each region's daily plan of its table (or
        replica) and receipts, copied to its peer's vault (lib/backup.py)."""
        retention = self.profile.backups
        vaults = {
            r.role: RegionalVault(
                self,
                f"backup-vault-{r.role}",
                region=r,
                name=self.config.name("backups", r.role),
                key=self.keys[r.role],
                force_destroy=self.profile.force_destroy,
                prevent_destroy=self.profile.prevent_destroy,
                lock_min_days=retention.lock_min_days,
            )
            for r in self.regions
        }
        backups = {
            r.role: RegionalBackup(
                self,
                f"backup-{r.role}",
                vault=vaults[r.role],
                copy_to=vaults[self.topology.peer(r.role)],
                name=self.config.name("backups", r.role),
                sources=BackupSources(table_arn=self.table.arn_in(r), bucket=self.buckets[r.role]),
                account_id=self.account_id,
                retention=retention,
            )
            for r in self.regions
        }
        return vaults, backups

    def _apis(self) -> dict[str, RegionalApi]:
        config = self.config
        asset = lambda_asset(self)
        apis: dict[str, RegionalApi] = {}
        api_key_value = None  # generated in the primary, reused by the others
        for r in self.regions:
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
                profile=self.profile,
                account_id=self.account_id,
                asset=asset,
                key=self.keys[r.role],
                table=self.table,
                bucket=self.buckets[r.role],
                logging_account=self.account.api_gateway[r.role] if self.account else None,
                caller_accounts=config.caller_accounts,
                caller_roles=config.caller_roles,
                api_key_value=api_key_value,
            )
            api_key_value = apis[r.role].api_key.value
            RegionalFirewall(
                self,
                f"firewall-{r.role}",
                region=r,
                settings=FirewallSettings(
                    name=config.name("payments-api-waf", r.role),
                    requests_per_ip=self.profile.waf_requests_per_ip,
                    log_retention_days=self.profile.log_retention_days,
                ),
                key=self.keys[r.role],
                stage_arn=apis[r.role].stage.arn,
            )
        return apis

    def _zone(self) -> HostedZone:
        return HostedZone(
            self,
            "zone",
            region=self.primary,
            domain_name=self.config.domain_name,
            hosted_zone_id=self.config.hosted_zone_id,
            force_destroy=self.profile.force_destroy,
            query_logging=QueryLogging(
                key=self.keys[self.home.role],
                retention_days=self.profile.log_retention_days,
                policy=self.account.query_log_policy if self.account else None,
            ),
        )

    def _switch(self) -> FailoverSwitch | None:
        """Failing over needs one PutMetricData where traffic goes (the primary's peer), never
        the primary's region or Route 53's control plane (lib/failover_switch.py)."""
        if not self.config.custom_domain:
            return None
        return FailoverSwitch(
            self,
            "failover-switch",
            region=self.by_role[self.topology.peer(self.primary.role)],
            alarm_name=self.config.name("failover-switch"),
            environment=self.config.suffix,
        )

    def _endpoints(self) -> dict[str, RegionalEndpoint]:
        endpoints: dict[str, RegionalEndpoint] = {}
        for r in self.regions:
            endpoints[r.role] = RegionalEndpoint(
                self,
                f"endpoint-{r.role}",
                region=r,
                api=self.apis[r.role],
                zone_id=self.zone.zone_id,
                api_domain_name=self.config.api_domain_name,
                custom_domain=self.config.custom_domain,
                # One validation record for the one name, created by the first endpoint.
                validation_record=endpoints[self.primary.role].validation_record if endpoints else None,
                switch=self.switch if r is self.primary else None,
            )
        return endpoints

    def _monitoring(self) -> dict[str, AlarmTopic]:
        """One alarm topic per region (and in us-east-1), each with every configured subscription."""
        health_check_ids = {role: e.health_check.id for role, e in self.endpoints.items()}
        subscriptions = self.config.alarm_subscriptions
        monitors: dict[str, AlarmTopic] = {}
        for r in self.regions:
            other = self.by_role[self.topology.peer(r.role)]
            monitors[r.role] = RegionalMonitoring(
                self,
                f"monitoring-{r.role}",
                region=r,
                topic_name=self.config.name("alarms", r.role),
                parameter_prefix=f"/{self.config.name('payments')}/{r.role}",
                key=self.keys[r.role],
                api=self.apis[r.role],
                table_name=self.table.name,
                replica_region=other.name,
                outgoing=self.replications[r.role],
                incoming=self.replications[other.role],
                health_check_ids=health_check_ids if r is self.home else {},
                subscriptions=subscriptions,
            )
        if self.home not in self.regions:
            monitors[self.home.role] = HealthCheckMonitoring(
                self,
                f"monitoring-{self.home.role}",
                region=self.home,
                topic_name=self.config.name("alarms", self.home.role),
                key=self.keys[self.home.role],
                health_check_ids=health_check_ids,
                subscriptions=subscriptions,
            )
        return monitors

    def _failover_alarms(self) -> None:
        """Traffic moved and the switch unreadable where Route 53 publishes its metrics (the
        global region); the switch thrown where it is published (the secondary), and traffic moved
        as the secondary sees it (payments its stage served), which survives the primary's loss. Without a
        custom domain there is no failover record, and no switch."""
        if self.switch is None:
            return
        home = self.monitors[self.home.role]
        home.traffic_moved_alarm(self.endpoints[self.primary.role].record_health_check.id)
        home.switch_unreadable_alarm(self.switch.health_check.id)
        self.monitors[self.switch.region.role].switch_thrown_alarm(self.switch)
        secondary = self.switch.region.role
        self.monitors[secondary].payments_served_alarm(self.apis[secondary], CREATE_PAYMENT)

    def _outputs(self) -> None:
        define_outputs(
            self,
            {
                **{f"{role}_api_endpoint": a.stage.invoke_url for role, a in self.apis.items()},
                **{f"{role}_bucket_name": b.name for role, b in self.buckets.items()},
                **{f"{role}_lambda_function_name": a.function.function_name for role, a in self.apis.items()},
                **{f"{r.role}_kms_key_arn": self.keys[r.role].arn for r in self.regions},
                **{f"{role}_health_check_id": e.health_check.id for role, e in self.endpoints.items()},
                **{f"{role}_api_key_id": a.api_key.id for role, a in self.apis.items()},
                "failover_domain_name": self.config.api_domain_name if self.config.custom_domain else "",
                "failover_switch": json.dumps(self.switch.describe(), sort_keys=True) if self.switch else "",
                "dns_delegation": _delegation_note(self.config, self.zone.created),
                "dynamodb_table_name": self.table.name,
                "topology": self.topology.to_json(),
                "deployment_identity": json.dumps(self.config.identity, sort_keys=True),
                "account_settings": (
                    "managed by this stack (MANAGE_ACCOUNT_SETTINGS=true)"
                    if self.account
                    else "used, not managed: another environment of the account owns them"
                ),
                "alarm_topic_arns": Fn.jsonencode({role: m.topic.arn for role, m in self.monitors.items()}),
                "backup_vault_names": Fn.jsonencode({role: v.name for role, v in self.vaults.items()}),
                "backup_vault_arns": Fn.jsonencode({role: v.arn for role, v in self.vaults.items()}),
                "backup_plan_ids": Fn.jsonencode({role: b.plan.id for role, b in self.backups.items()}),
                "alarm_subscriptions": _subscriptions_note(self.config),
                "hosted_zone_id": self.zone.zone_id,
                "name_servers": self.zone.name_servers,
                "caller_policy_arn": self.caller_policy.arn,
                "api_caller_accounts": _caller_accounts_note(self.config),
            },
        )

    def _backend(self, id: str, config: StackConfig) -> None:
        """The state in the CI bootstrap's bucket, state and lock file encrypted with its key.

        Terraform 1.11 (v1.11.0-v1.11.4 alike), internal/backend/remote-state/s3/client.go: both
        ``RemoteClient.put`` (the state) and ``RemoteClient.lockWithFile`` (the ``.tflock`` of
        ``use_lockfile``) build their PutObjectInput with::

            if c.serverSideEncryption {
                if c.kmsKeyID != "" {
                    input.SSEKMSKeyId = aws.String(c.kmsKeyID)
                    input.ServerSideEncryption = s3types.ServerSideEncryptionAwsKms
                } else if c.customerEncryptionKey != nil { ... SSE-C ...
                } else {
                    input.ServerSideEncryption = s3EncryptionAlgorithm   // const "AES256"
                }
            }

        so ``encrypt = true`` without ``kms_key_id`` sends ``x-amz-server-side-encryption:
        AES256``, and S3 applies the bucket's default key only to a request without an
        encryption header: the state bucket's key never met the state. backend.go
        (``Configure``): ``b.kmsKeyID = stringAttr(obj, "kms_key_id")``, described as "The ARN
        of a KMS Key to use for encrypting the state"; validate.go's ``validateKMSKey`` accepts a
        key ARN, a key id, an alias or an alias ARN. We pass the key ARN (lib/config.py refuses
        aliases): the state bucket's policy compares it with the request's
        ``s3:x-amz-server-side-encryption-aws-kms-key-id`` (lib/ci_state_bucket.py)."""
        if config.state_bucket:
            S3Backend(
                self,
                bucket=config.state_bucket,
                key=f"{id}/terraform.tfstate",
                region=config.state_bucket_region,
                encrypt=True,
                kms_key_id=config.state_key_arn,
            )
            # S3-native state locking (Terraform >= 1.10); cdktf 0.21 has no property for it.
            self.add_override("terraform.backend.s3.use_lockfile", True)
        else:
            # Relative to the synthesized stack directory (cdktf.out/stacks/<id>): the state
            # lands in the project root for cdktf and plain `terraform -chdir=...` alike.
            LocalBackend(self, path=f"../../../terraform.{id}.tfstate")


def _subscriptions_note(config: StackConfig) -> str:
    entries = config.alarm_subscriptions
    if not entries:
        return (
            "none: the alarms reach no one; set ALARM_SUBSCRIPTIONS (email:<address>, https://<url>) "
            "or subscribe a chat integration to the alarm_topic_arns"
        )
    listed = ", ".join(e.describe() for e in entries)
    return (
        f"on every alarm topic: {listed}; email and http(s) subscriptions stay pending, receiving "
        "nothing, until their owner confirms them (the link SNS sends)"
    )


def _delegation_note(config: StackConfig, zone_created: bool) -> str:
    if not zone_created:
        return f"none: records live in the existing zone {config.hosted_zone_id}"
    return (
        f"required: {config.domain_name} is a new zone; create NS records for it with the "
        "name_servers output in its parent zone, or certificate validation and the failover "
        "name cannot work on real AWS (or deploy with ENABLE_CUSTOM_DOMAIN=false first)"
    )


def _caller_accounts_note(config: StackConfig) -> str:
    others = ", ".join(config.caller_accounts)
    admitted = "this account's principals that hold the caller policy (caller_policy_arn)"
    if config.caller_roles:
        roles = ", ".join(config.caller_roles)
        admitted += f"; the roles {roles} of this account (the resource policy admits them)"
    if others:
        admitted += f"; and principals of {others} whose own IAM policies allow them execute-api:Invoke"
    return admitted + "; every other principal is refused by each API's resource policy"

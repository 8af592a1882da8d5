"""Every stack output: flat names, each with a description.

``OUTPUTS`` is the one list of outputs: the tools and the integration tests read it too, so
importing this module loads nothing else (cdktf, whose jsii load takes seconds, is imported
by ``define_outputs`` itself)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from constructs import Construct

OUTPUTS: dict[str, str] = {
    "primary_api_endpoint": "Invoke URL of the primary region's API stage",
    "secondary_api_endpoint": "Invoke URL of the secondary region's API stage",
    "failover_domain_name": "Failover name clients call (Route 53 PRIMARY/SECONDARY alias "
    "records); empty when ENABLE_CUSTOM_DOMAIN=false",
    "dns_delegation": "What DNS delegation the failover name needs before it resolves publicly",
    "dynamodb_table_name": "Payments global table (replicated to the secondary region)",
    "topology": "Each role's region and the global region (Route 53's), as JSON "
    '({"roles": {"primary": ..., "secondary": ...}, "global": ...}): the tools read regions here',
    "deployment_identity": "What this deployment is (suffix, profile, regions, account-settings owner), "
    "as JSON: every later deploy or destroy must match it",
    "account_settings": "Whether this stack owns the account-level singletons (API Gateway's "
    "CloudWatch role, the Route 53 query-log resource policy) or uses another environment's",
    "primary_bucket_name": "Receipts bucket in the primary region (replicates to secondary)",
    "secondary_bucket_name": "Receipts bucket in the secondary region (replica destination)",
    "primary_lambda_function_name": "API Lambda function in the primary region",
    "secondary_lambda_function_name": "API Lambda function in the secondary region",
    "primary_kms_key_arn": "Customer-managed KMS key of the primary region",
    "secondary_kms_key_arn": "Customer-managed KMS key of the secondary region",
    "hosted_zone_id": "Route 53 zone holding the failover records",
    "primary_health_check_id": "Route 53 health check on the primary region's /health",
    "secondary_health_check_id": "Route 53 health check on the secondary region's /health",
    "failover_switch": "The data-plane failover switch, as JSON (region, namespace, metric, "
    "dimensions, fail_over/fail_back values): fail over with PutMetricData there, never a Route 53 "
    "call; empty when ENABLE_CUSTOM_DOMAIN=false",
    "alarm_topic_arns": "Every alarm topic's ARN by region role, as JSON: subscribe a chat integration "
    "here (Amazon Q Developer in chat applications takes SNS topic ARNs)",
    "backup_vault_names": "Every region's AWS Backup vault by region role, as JSON: recovery points of that "
    "region's table and receipts and the other region's copies; no principal may delete them (the vault's "
    "access policy), and prod's are locked in compliance mode",
    "backup_vault_arns": "The same vaults' ARNs by region role, as JSON (each plan's copy destination)",
    "backup_plan_ids": "Every region's daily AWS Backup plan id by region role, as JSON "
    "('aws backup get-backup-plan --backup-plan-id <id>' in that region)",
    "alarm_subscriptions": "Who the alarm topics notify (ALARM_SUBSCRIPTIONS): each entry on every topic; "
    "email and http(s) subscriptions stay pending until confirmed; 'none' when nothing is subscribed",
    "name_servers": "Name servers of the zone: create NS records for the domain with these "
    "at your registrar or parent zone (delegation)",
    "caller_policy_arn": "Managed IAM policy granting execute-api:Invoke on exactly the signed payment "
    "routes of every region's stage (stage URL, custom domain, failover name): attach it to a caller's role, "
    "which then signs its requests with SigV4 (service execute-api, the answering region)",
    "api_caller_accounts": "Who may call the signed routes (API_CALLER_ACCOUNTS): this account's principals "
    "with the caller policy, plus the listed accounts; every API's resource policy refuses the rest",
    "primary_api_key_id": "API key id (same key value in both regions); read the value with "
    "'aws apigateway get-api-key --api-key <id> --include-value'",
    "secondary_api_key_id": "API key id in the secondary region (same value as the primary key)",
}


def define_outputs(scope: Construct, values: dict[str, Any]) -> None:
    """One ``TerraformOutput`` per entry of ``OUTPUTS``; ``values`` must match it exactly."""
    from cdktf import TerraformOutput  # noqa: PLC0415 - see the module docstring

    if set(values) != set(OUTPUTS):
        raise ValueError(
            f"outputs mismatch: missing {sorted(set(OUTPUTS) - set(values))}, "
            f"unknown {sorted(set(values) - set(OUTPUTS))}"
        )
    for name, description in OUTPUTS.items():
        TerraformOutput(scope, name, value=values[name], description=description)

"""Patches that fill gaps in moto 5.2.5's API for this stack: what AWS's API refuses, answers
or stores that moto does not.

Each module fills one gap, says which in its docstring, and exposes ``apply()``. A behaviour the
emulator *serves* (replication, checkers, DNS, a stage's HTTP answers, a certificate's validation)
belongs in ``dataplane/``, which may read what a patch stored; a patch never imports the data plane
(local_aws/README.md, "What goes where"). ``server.apply_patches()`` applies them in this
order, then the data plane's hooks.
"""

from __future__ import annotations

NAMES = (
    "acm_domain_length",
    "apigateway_account",
    "apigateway_default_endpoint",
    "apigateway_deployment_snapshot",
    "apigateway_gateway_responses",
    "apigateway_logging_role",
    "apigateway_policy_escaped",
    "apigateway_regional_domains",
    "apigateway_resource_conflict",
    "apigateway_tags",
    "backup_list_tags",
    "backup_plans",
    "backup_selections",
    "backup_vault_lock",
    "backup_vault_policy",
    "backup_vaults",
    "dynamodb_disabled_streams",
    "dynamodb_point_in_time",
    "dynamodb_restore",
    "dynamodb_tags",
    "fail_fast_errors",
    "iam_function_credentials",
    "lambda_concurrency",
    "lambda_dead_letter_config",
    "lambda_logging_config",
    "lambda_permission_conflict",
    "lambda_reserved_variables",
    "route53_health_check_alarms",
    "route53_health_check_status",
    "route53_query_log_policy",
    "route53_query_logging",
    "s3_bucket_policy_conditions",
    "s3_delete_marker_versions",
    "s3_delete_markers",
    "s3_replication",
    "s3_replication_versioning",
    "sns_http_subscriptions",
    "emulator_endpoints",  # last: the outermost wrapper of moto's dispatcher
)

"""Patches that fill gaps between moto 5.2.5 and real AWS for this stack.

Each module fills one gap, says which in its docstring, and exposes
``apply()``.  ``apply_all()`` applies them in order; applying twice is a no-op.
"""

from __future__ import annotations

import importlib

NAMES = (
    "acm_domain_length",
    "acm_validation",
    "apigateway_account",
    "apigateway_default_endpoint",
    "apigateway_deployment_snapshot",
    "apigateway_gateway_responses",
    "apigateway_logging_role",
    "apigateway_regional_domains",
    "apigateway_resource_conflict",
    "apigateway_tags",
    "dynamodb_disabled_streams",
    "dynamodb_global_tables",
    "dynamodb_tags",
    "fail_fast_errors",
    "iam_function_credentials",
    "lambda_concurrency",
    "lambda_dead_letter_config",
    "lambda_logging_config",
    "lambda_permission_conflict",
    "lambda_reserved_variables",
    "route53_health_check_alarms",
    "route53_query_log_policy",
    "route53_query_logging",
    "s3_bucket_policy_conditions",
    "s3_delete_markers",
    "s3_object_replication",
    "s3_replication",
    "s3_replication_versioning",
)

_applied: list[str] = []


def apply_all() -> list[str]:
    if not _applied:
        for name in NAMES:
            importlib.import_module(f"{__name__}.{name}").apply()
            _applied.append(name)
    return list(_applied)

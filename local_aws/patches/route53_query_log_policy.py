"""Stricter: Route 53 query logging needs a resource policy that lets Route 53 write the group.

AWS: before ``CreateQueryLoggingConfig``, "create a CloudWatch Logs resource policy, and give it
the permissions that Route 53 needs to create log streams and to send query logs to log
streams" (``logs:CreateLogStream`` and ``logs:PutLogEvents`` for ``route53.amazonaws.com``, in
us-east-1); without it the call fails with ``InsufficientCloudWatchLogsResourcePolicy``
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateQueryLoggingConfig.html).

moto 5.2.5 never looks at resource policies (its own comment says so): a stack that logs a
zone's queries without any policy, or whose policy does not cover the group (a wrong ARN
pattern, a condition on another account or zone), deploys here and fails on AWS. That is the
policy one environment per account owns and the others rely on.

This patch evaluates the us-east-1 resource policies of the account: some Allow statement for
``route53.amazonaws.com`` must cover both actions on the log group (``*`` wildcards in actions
and resources, a ``:*`` stream suffix), with its ``StringEquals``/``StringLike``/``ArnEquals``/
``ArnLike`` conditions on ``aws:SourceAccount`` and ``aws:SourceArn`` (the zone's ARN) holding.
Any other condition key or operator makes the statement not apply (never more lenient than AWS).
"""

from __future__ import annotations

import functools
import json

from moto.route53.exceptions import Route53ClientError
from moto.route53.models import QueryLoggingConfig, Route53Backend

from local_aws.iam_conditions import as_list, conditions_hold, matches

LOGS_REGION = "us-east-1"
PRINCIPAL = "route53.amazonaws.com"
ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


class InsufficientCloudWatchLogsResourcePolicy(Route53ClientError):
    def __init__(self) -> None:
        super().__init__(
            "InsufficientCloudWatchLogsResourcePolicy",
            "Amazon Route 53 doesn't have the permissions required to create log streams and send "
            "query logs to log streams.",
        )


def allows(policy_document: str, log_group_arn: str, context: dict[str, str]) -> bool:
    """Whether one resource policy lets Route 53 create streams in and write to the group."""
    try:
        statements = as_list(json.loads(policy_document).get("Statement", []))
    except (ValueError, AttributeError):
        return False
    granted: set[str] = set()
    stream = f"{log_group_arn}:log-stream:any"
    for statement in statements:
        principal = statement.get("Principal", {})
        services = as_list(principal.get("Service", [])) if isinstance(principal, dict) else []
        if statement.get("Effect") != "Allow" or PRINCIPAL not in services:
            continue
        if not conditions_hold(statement.get("Condition", {}), context):
            continue
        resources = [str(r) for r in as_list(statement.get("Resource", []))]
        if not any(
            matches(r, target, wildcards=True) for r in resources for target in (log_group_arn, stream)
        ):
            continue
        for action in ACTIONS:
            if any(matches(str(a), action, wildcards=True) for a in as_list(statement.get("Action", []))):
                granted.add(action)
    return granted == set(ACTIONS)


def apply() -> None:
    original = Route53Backend.create_query_logging_config

    @functools.wraps(original)
    def create_query_logging_config(
        self: Route53Backend, hosted_zone_id: str, log_group_arn: str
    ) -> QueryLoggingConfig:
        from moto.logs import logs_backends  # noqa: PLC0415 - as moto's own route53 does

        group_arn = (log_group_arn or "").removesuffix(":*")
        context = {
            "aws:sourceaccount": self.account_id,
            "aws:sourcearn": f"arn:aws:route53:::hostedzone/{hosted_zone_id.rsplit('/', maxsplit=1)[-1]}",
        }
        policies = logs_backends[self.account_id][LOGS_REGION].resource_policies.values()
        if group_arn and not any(allows(p.policy_document, group_arn, context) for p in policies):
            raise InsufficientCloudWatchLogsResourcePolicy()
        return original(self, hosted_zone_id, log_group_arn)

    Route53Backend.create_query_logging_config = create_query_logging_config

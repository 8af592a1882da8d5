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

This patch evaluates the account's us-east-1 resource policies together with the emulator's one
IAM evaluator (local_aws/iam_policy.py): for each of the two actions, on the log group or on a
stream in it, a statement for the principal ``route53.amazonaws.com`` must allow it and none deny
it. The request context is the zone's: ``aws:SourceAccount`` and ``aws:SourceArn`` (the zone's
ARN); any other condition key, an unknown operator or a policy variable makes an Allow grant
nothing and a Deny apply (never more lenient than AWS).
"""

from __future__ import annotations

import functools
import json

from moto.route53.exceptions import Route53ClientError
from moto.route53.models import QueryLoggingConfig, Route53Backend

from lib import regions
from local_aws.iam_policy import PermissionResult, Request, evaluate

LOGS_REGION = regions.GLOBAL  # Route 53 writes query logs only in us-east-1 (lib/regions.py)
PRINCIPAL = "route53.amazonaws.com"
ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


class InsufficientCloudWatchLogsResourcePolicy(Route53ClientError):
    def __init__(self) -> None:
        super().__init__(
            "InsufficientCloudWatchLogsResourcePolicy",
            "Amazon Route 53 doesn't have the permissions required to create log streams and send "
            "query logs to log streams.",
        )


def allows(policy_documents: list[str], log_group_arn: str, context: dict[str, str]) -> bool:
    """Whether the resource policies let Route 53 create streams in and write to the group."""
    documents = []
    for document in policy_documents:
        try:
            documents.append(json.loads(document))
        except ValueError:  # not JSON: it grants nothing
            continue
    targets = (log_group_arn, f"{log_group_arn}:log-stream:any")
    for action in ACTIONS:
        decisions = {
            evaluate(documents, Request(action, target, context, principal=("Service", PRINCIPAL)))
            for target in targets
        }
        if PermissionResult.DENIED in decisions or PermissionResult.PERMITTED not in decisions:
            return False
    return True


def apply() -> None:
    original = Route53Backend.create_query_logging_config

    @functools.wraps(original)
    def create_query_logging_config(
        self: Route53Backend, hosted_zone_id: str, log_group_arn: str
    ) -> QueryLoggingConfig:
        from moto.logs import logs_backends  # noqa: PLC0415 - as moto's own route53 does

        group_arn = (log_group_arn or "").removesuffix(":*")
        context = {
            "aws:SourceAccount": self.account_id,
            "aws:SourceArn": f"arn:aws:route53:::hostedzone/{hosted_zone_id.rsplit('/', maxsplit=1)[-1]}",
        }
        policies = logs_backends[self.account_id][LOGS_REGION].resource_policies.values()
        if group_arn and not allows([p.policy_document for p in policies], group_arn, context):
            raise InsufficientCloudWatchLogsResourcePolicy()
        return original(self, hosted_zone_id, log_group_arn)

    Route53Backend.create_query_logging_config = create_query_logging_config

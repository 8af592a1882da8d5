"""Account-level singletons: settings AWS keeps once per account (and region), not per stack.

- API Gateway's CloudWatch role: one ``cloudWatchRoleArn`` per account and region. A stage
  can log to CloudWatch only once it is set; whoever sets it last wins, and whoever resets it
  breaks logging for every API in that region
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html; AWS advises
  "only one AWS::ApiGateway::Account resource per region per account").
- The CloudWatch Logs resource policy that lets Route 53 write DNS query logs (us-east-1): at
  most 10 resource policies per region and account, and "this quota can't be changed"
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html). One
  policy for every ``/aws/route53/*`` group is AWS's recommended way to stay under it
  (https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateQueryLoggingConfig.html).

Exactly one environment per account owns them (``MANAGE_ACCOUNT_SETTINGS=true``, the default):
every other environment uses them without declaring them, so deploying or destroying it never
touches them. The owner is destroyed last (``make destroy`` refuses while others exist).
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.api_gateway_account import ApiGatewayAccount
from cdktf_cdktf_provider_aws.cloudwatch_log_resource_policy import CloudwatchLogResourcePolicy
from constructs import Construct

from lib.config import (
    APIGATEWAY_CLOUDWATCH_ROLE,
    APIGATEWAY_LOG_ACTIONS,
    QUERY_LOG_GROUP_PREFIX,
    QUERY_LOG_POLICY,
)
from lib.policy import document, statement
from lib.region import Region
from lib.service_role import ServiceRole


def query_log_group_name(domain_name: str) -> str:
    return f"{QUERY_LOG_GROUP_PREFIX}{domain_name}"


class AccountSettings(Construct):
    """The account's API Gateway logging role (in each stack region) and the one Route 53
    query-log resource policy (in ``query_log_region``, always us-east-1)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        regions: Sequence[Region],
        query_log_region: Region,
        account_id: str,
    ) -> None:
        super().__init__(scope, id)
        role = ServiceRole(
            self,
            "apigateway-cloudwatch-role",
            provider=regions[0].provider,  # IAM is global
            name=APIGATEWAY_CLOUDWATCH_ROLE,
            service="apigateway.amazonaws.com",
            description="API Gateway access and execution logs (account setting, shared by all environments)",
            statements=[
                statement(
                    "WriteApiGatewayLogs",
                    APIGATEWAY_LOG_ACTIONS,
                    [f"arn:aws:logs:{r.name}:{account_id}:log-group:*" for r in regions],
                )
            ],
        )
        self.role_arn = role.arn
        self.api_gateway: dict[str, ApiGatewayAccount] = {
            r.role: ApiGatewayAccount(
                self,
                f"apigateway-{r.role}",
                provider=r.provider,
                cloudwatch_role_arn=role.arn,
                # Only the owner ever resets it, and only when it is destroyed, last.
                reset_on_delete=True,
                depends_on=[role.attachment],
            )
            for r in regions
        }
        self.query_log_policy = CloudwatchLogResourcePolicy(
            self,
            "route53-query-log-policy",
            provider=query_log_region.provider,
            policy_name=QUERY_LOG_POLICY,
            policy_document=document(
                statement(
                    "Route53QueryLogs",
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [
                        f"arn:aws:logs:{query_log_region.name}:{account_id}:log-group:"
                        f"{QUERY_LOG_GROUP_PREFIX}*"
                    ],
                    principal={"Service": "route53.amazonaws.com"},
                    condition={
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {"aws:SourceArn": "arn:aws:route53:::hostedzone/*"},
                    },
                )
            ),
        )

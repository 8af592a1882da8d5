"""The account-level singletons every environment relies on (lib/account.py).

API Gateway's CloudWatch role (one per account and region) and the Route 53 query-log resource
policy (one per account, us-east-1) belong to exactly one environment; the others use them.
`make test` deploys a second environment that does not own them into the same emulator and
destroys it before these tests run: they prove that destroying it left the owner's settings
intact (the drift check that follows proves the owner's state unchanged).
"""

from __future__ import annotations

import json

import pytest

from lib.config import APIGATEWAY_CLOUDWATCH_ROLE, APIGATEWAY_LOG_ACTIONS, QUERY_LOG_POLICY
from tests.integration.conftest import ClientFactory, Deployment
from tests.integration.support import attached_policy_document, policy_document

pytestmark = pytest.mark.integration


def test_the_output_says_who_owns_the_settings(deployment: Deployment) -> None:
    assert deployment.outputs["account_settings"].startswith(("managed by this stack", "used, not managed"))


def test_api_gateway_logs_through_the_accounts_one_role(
    deployment: Deployment, client: ClientFactory, role: str, region: str
) -> None:
    account = client("apigateway", region).get_account()
    assert account["cloudwatchRoleArn"] == deployment.arn("iam", None, f"role/{APIGATEWAY_CLOUDWATCH_ROLE}")


def test_the_logging_role_trusts_api_gateway_and_may_write_logs(
    deployment: Deployment, client: ClientFactory
) -> None:
    iam = client("iam", deployment.region("primary"))
    role = iam.get_role(RoleName=APIGATEWAY_CLOUDWATCH_ROLE)["Role"]
    trust = policy_document(role["AssumeRolePolicyDocument"])
    assert [(s["Principal"], s["Action"]) for s in trust["Statement"]] == [
        ({"Service": "apigateway.amazonaws.com"}, "sts:AssumeRole")
    ]
    (grant,) = attached_policy_document(iam, APIGATEWAY_CLOUDWATCH_ROLE)["Statement"]
    assert sorted(grant["Action"]) == sorted(APIGATEWAY_LOG_ACTIONS)
    for role_name in ("primary", "secondary"):
        assert deployment.log_group_arn(role_name, "*") in grant["Resource"]


def test_route53_may_write_every_environments_query_logs(
    deployment: Deployment, client: ClientFactory
) -> None:
    policies = client("logs", "us-east-1").describe_resource_policies()["resourcePolicies"]
    (policy,) = [p for p in policies if p["policyName"] == QUERY_LOG_POLICY]
    (statement,) = json.loads(policy["policyDocument"])["Statement"]
    assert statement["Principal"] == {"Service": "route53.amazonaws.com"}
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == [
        f"arn:{deployment.partition}:logs:us-east-1:{deployment.account_id}:log-group:/aws/route53/*"
    ]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": deployment.account_id}

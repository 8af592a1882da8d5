"""Who may call the payments API: the execute-api ARNs of its routes, each region's API resource
policy, and the managed policy the stack offers its callers.

A route the contract marks ``AWS_IAM`` is called with a SigV4 signature; API Gateway then
evaluates the caller's IAM policies and the API's resource policy together ("Policy evaluation
outcome tables",
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html):
in "Table A ... both of which are in the same AWS account" an allow in either (and no deny)
allows; in Table B, different accounts, "If either is silent (neither allow nor deny),
cross-account access is denied".
So the resource policy never *allows* this account's principals (an allow there would let every
principal of the account in, with or without a policy): it denies every principal outside the
admitted accounts, allows the admitted *other* accounts (which still need their own IAM grant),
and allows anyone on the open routes (the health probe: "API Gateway resource policy only ...
seeking an explicit allow", the same page). A caller of this account gets in only with an IAM
grant: the caller policy below.

Method ARNs: ``arn:aws:execute-api:{region}:{account-id}:{api-id}/{stage}/{METHOD_HTTP_VERB}/
{Resource-path}`` ("Resource format of permissions for executing API in API Gateway",
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-iam-policy-examples-for-api-execution.html).
A request through a custom domain name (or the failover name, which is one) invokes the method of
the API its base path mapping names: the same ARN.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from cdktf_cdktf_provider_aws.api_gateway_rest_api import ApiGatewayRestApi
from cdktf_cdktf_provider_aws.api_gateway_rest_api_policy import ApiGatewayRestApiPolicy
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from constructs import Construct

from lib.api_contract import Route
from lib.policy import document, statement
from lib.region import Region

INVOKE = "execute-api:Invoke"


def route_arns(execution_arn: str, stage: str, routes: Iterable[Route]) -> list[str]:
    """The execute-api ARN of each route of ``stage`` (``execution_arn``: the API's
    ``arn:aws:execute-api:<region>:<account>:<api-id>``)."""
    return [f"{execution_arn}/{stage}/{route.method}/{route.arn_path}" for route in routes]


def _signed(routes: Iterable[Route]) -> list[Route]:
    return [route for route in routes if route.signed]


def resource_policy(
    execution_arn: str,
    stage: str,
    routes: Sequence[Route],
    account_id: str,
    *,
    caller_accounts: Sequence[str] = (),
    caller_roles: Sequence[str] = (),
) -> dict[str, Any]:
    """The API's resource policy: the open routes to anyone, the signed ones refused to every
    principal outside this account and ``caller_accounts``, allowed to those other accounts
    (their own IAM policies must allow it too) and to ``caller_roles``, roles of this account
    named here that need no IAM grant of their own (the CI role that runs the integration
    tests: execute-api:Invoke cannot be scoped to one environment's APIs in an identity policy,
    whose API ids are not known before the deploy)."""
    signed = route_arns(execution_arn, stage, _signed(routes))
    open_routes = route_arns(execution_arn, stage, [r for r in routes if not r.signed])
    others = sorted({a for a in caller_accounts if a != account_id})
    statements = []
    if open_routes:
        statements.append(statement("OpenRoutesToAnyone", [INVOKE], open_routes, principal="*"))
    statements.append(
        statement(
            "SignedRoutesOnlyFromAdmittedAccounts",
            [INVOKE],
            signed,
            effect="Deny",
            principal="*",
            condition={"StringNotEquals": {"aws:PrincipalAccount": [account_id, *others]}},
        )
    )
    if caller_roles:
        statements.append(
            statement(
                "SignedRoutesToNamedRoles",
                [INVOKE],
                signed,
                principal={"AWS": [f"arn:aws:iam::{account_id}:role/{name}" for name in caller_roles]},
            )
        )
    if others:
        statements.append(
            statement(
                "SignedRoutesToCallerAccounts",
                [INVOKE],
                signed,
                principal={"AWS": [f"arn:aws:iam::{account}:root" for account in others]},
            )
        )
    return {"Version": "2012-10-17", "Statement": statements}


class ApiResourcePolicy:
    """``rest_api``'s resource policy (``resource_policy``), built in ``scope``. ``shape`` is the
    document with placeholders for the API's ARN and the account (tokens at synth, whose text
    depends on construction order): the stage's redeployment signature includes it, so that a
    change reaches the stage: "If you update the resource policy, you'll need to deploy the API"
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html)."""

    def __init__(
        self,
        scope: Construct,
        *,
        region: Region,
        rest_api: ApiGatewayRestApi,
        stage: str,
        routes: Sequence[Route],
        account_id: str,
        caller_accounts: Sequence[str],
        caller_roles: Sequence[str] = (),
    ) -> None:
        callers = {"caller_accounts": caller_accounts, "caller_roles": caller_roles}
        self.shape = resource_policy("<api>", stage, routes, "<account>", **callers)
        document = resource_policy(rest_api.execution_arn, stage, routes, account_id, **callers)
        self.resource = ApiGatewayRestApiPolicy(
            scope,
            "resource-policy",
            provider=region.provider,
            rest_api_id=rest_api.id,
            policy=json.dumps(document),
        )


class CallerPolicy(Construct):
    """The managed policy a caller attaches to its role: ``execute-api:Invoke`` on exactly the
    signed routes of every region's stage (the stage URLs, the custom domain in each region and
    the failover name all invoke these methods), nothing else."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        region: Region,
        name: str,
        execution_arns: Sequence[str],
        stage: str,
        routes: Sequence[Route],
    ) -> None:
        super().__init__(scope, id)
        signed = _signed(routes)
        arns = [arn for execution_arn in execution_arns for arn in route_arns(execution_arn, stage, signed)]
        self.policy = IamPolicy(
            self,
            "policy",
            provider=region.provider,
            name=name,
            description="Lets a caller invoke the payments API's signed routes (SigV4) in every region: "
            "attach it to the caller's role",
            policy=document(statement("InvokePaymentRoutes", [INVOKE], arns)),
        )

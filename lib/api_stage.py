"""ONE REST API's deployment and stage: the stage, its access and execution logs and its method
settings (logging, metrics, throttling) (what CDK's ``Deployment`` and ``Stage`` are to its
``RestApi``).

Built inside the ``RegionalApi`` construct (its ``scope``), so the resources keep the construct
ids they have always had (``api-<role>/stage``, ...): ids are an API, and a new one would
replace the deployed resource.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from cdktf import Fn, TerraformResource, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.api_gateway_account import ApiGatewayAccount
from cdktf_cdktf_provider_aws.api_gateway_deployment import ApiGatewayDeployment
from cdktf_cdktf_provider_aws.api_gateway_method_settings import (
    ApiGatewayMethodSettings,
    ApiGatewayMethodSettingsSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_rest_api import ApiGatewayRestApi
from cdktf_cdktf_provider_aws.api_gateway_stage import (
    ApiGatewayStage,
    ApiGatewayStageAccessLogSettings,
)
from constructs import Construct

from lib.config import Profile
from lib.keys import RegionalKey
from lib.logs import encrypted_log_group
from lib.policy import skip_checks
from lib.region import Region

STAGE_NAME = "v1"

ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "apiKeyId": "$context.identity.apiKeyId",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
        "requestTime": "$context.requestTime",
    },
    separators=(",", ":"),
)


def execution_log_group_name(rest_api_id: str, stage_name: str = STAGE_NAME) -> str:
    """The group API Gateway writes execution logs to: it picks the name, and creates the group
    itself (unencrypted, kept forever) unless it exists
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-execution-logging.html)."""
    return f"API-Gateway-Execution-Logs_{rest_api_id}/{stage_name}"


class ApiStage:
    """The ``STAGE_NAME`` stage of ``rest_api``, built in ``scope``.

    ``deployed``: the methods and integrations the deployment waits for; ``signature``: a hash
    of the API definition (with them, it recreates the deployment when the API changes);
    ``logging_account``: the account's API Gateway CloudWatch setting when this stack manages
    it (the stage must wait for it), None when another environment does."""

    def __init__(
        self,
        scope: Construct,
        *,
        region: Region,
        api_name: str,
        rest_api: ApiGatewayRestApi,
        deployed: Sequence[TerraformResource],
        signature: str,
        profile: Profile,
        key: RegionalKey,
        logging_account: ApiGatewayAccount | None,
    ) -> None:
        provider = region.provider
        deployment = ApiGatewayDeployment(
            scope,
            "deployment",
            provider=provider,
            rest_api_id=rest_api.id,
            description="Payments API deployment",
            triggers={"redeployment": Fn.sha1(Fn.jsonencode([signature] + [r.id for r in deployed]))},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            depends_on=list(deployed),
        )
        self.access_log_group = encrypted_log_group(
            scope,
            "access-logs",
            key=key,
            name=f"/aws/apigateway/{api_name}/access",
            retention_days=profile.log_retention_days,
        )
        # Declared here so that it is encrypted, kept as long as the profile says and destroyed
        # with the stack; otherwise API Gateway creates it on the first error it logs.
        self.execution_log_group = encrypted_log_group(
            scope,
            "execution-logs",
            key=key,
            name=execution_log_group_name(rest_api.id, STAGE_NAME),
            retention_days=profile.log_retention_days,
        )
        self.stage = ApiGatewayStage(
            scope,
            "stage",
            provider=provider,
            rest_api_id=rest_api.id,
            deployment_id=deployment.id,
            stage_name=STAGE_NAME,
            access_log_settings=ApiGatewayStageAccessLogSettings(
                destination_arn=self.access_log_group.arn, format=ACCESS_LOG_FORMAT
            ),
            xray_tracing_enabled=True,
            depends_on=[logging_account] if logging_account else None,
        )
        skip_checks(
            self.stage,
            {
                "CKV_AWS_120": "payments are writes and per-customer reads: caching would "
                "serve stale or cross-customer data",
                "CKV2_AWS_51": "the integration is Lambda (AWS_PROXY), not an HTTP backend "
                "that could verify a client certificate",
            },
        )
        self._method_settings(scope, region, rest_api, profile)

    def _method_settings(
        self, scope: Construct, region: Region, rest_api: ApiGatewayRestApi, profile: Profile
    ) -> None:
        """Every method's metrics, error logging and throttling on the stage."""
        method_settings = ApiGatewayMethodSettings(
            scope,
            "method-settings",
            provider=region.provider,
            rest_api_id=rest_api.id,
            stage_name=self.stage.stage_name,
            method_path="*/*",
            settings=ApiGatewayMethodSettingsSettings(
                metrics_enabled=True,
                logging_level="ERROR",
                data_trace_enabled=False,
                throttling_rate_limit=profile.throttle_rate_limit,
                throttling_burst_limit=profile.throttle_burst_limit,
            ),
            # Execution logging starts here: the group must exist before API Gateway makes its own.
            depends_on=[self.execution_log_group],
        )
        skip_checks(
            method_settings,
            {"CKV_AWS_225": "caching is off on purpose (see the stage's CKV_AWS_120 reason)"},
        )

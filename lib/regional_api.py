"""ONE region's API: the function (lib/regional_function.py) + the REST API (routes and
validation from the API contract, stage, logs, key, usage plan).

The stack calls ``RegionalApi`` once per region with that region's provider, key, bucket and
table constructs: both regions are built by exactly this code.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cdktf import AssetType, Fn, TerraformAsset, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.api_gateway_account import ApiGatewayAccount
from cdktf_cdktf_provider_aws.api_gateway_api_key import ApiGatewayApiKey
from cdktf_cdktf_provider_aws.api_gateway_deployment import ApiGatewayDeployment
from cdktf_cdktf_provider_aws.api_gateway_gateway_response import ApiGatewayGatewayResponse
from cdktf_cdktf_provider_aws.api_gateway_integration import ApiGatewayIntegration
from cdktf_cdktf_provider_aws.api_gateway_method import ApiGatewayMethod
from cdktf_cdktf_provider_aws.api_gateway_method_settings import (
    ApiGatewayMethodSettings,
    ApiGatewayMethodSettingsSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_model import ApiGatewayModel
from cdktf_cdktf_provider_aws.api_gateway_request_validator import ApiGatewayRequestValidator
from cdktf_cdktf_provider_aws.api_gateway_resource import ApiGatewayResource
from cdktf_cdktf_provider_aws.api_gateway_rest_api import (
    ApiGatewayRestApi,
    ApiGatewayRestApiEndpointConfiguration,
)
from cdktf_cdktf_provider_aws.api_gateway_stage import (
    ApiGatewayStage,
    ApiGatewayStageAccessLogSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_usage_plan import (
    ApiGatewayUsagePlan,
    ApiGatewayUsagePlanApiStages,
    ApiGatewayUsagePlanQuotaSettings,
    ApiGatewayUsagePlanThrottleSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_usage_plan_key import ApiGatewayUsagePlanKey
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from constructs import Construct

from lib.api_contract import CREATE_PAYMENT_SCHEMA, MODELS, ROUTES
from lib.config import Profile
from lib.keys import RegionalKey
from lib.logs import encrypted_log_group
from lib.policy import skip_checks
from lib.region import Region
from lib.regional_function import (  # noqa: F401 - re-exported: the stack and tests read them here
    LAMBDA_HANDLER,
    LAMBDA_RUNTIME,
    LAMBDA_TIMEOUT_SECONDS,
    XRAY_WRITE_ACTIONS,
    RegionalFunction,
)
from lib.storage import ReceiptBucket
from lib.table import GlobalTable

LAMBDA_SOURCE = Path(__file__).parent / "lambda"
STAGE_NAME = "v1"
HEALTH_PATH = "/health"

# The routes and their request models come from the API contract (lib/lambda/contract.json).
PAYMENT_ID_PATTERN = CREATE_PAYMENT_SCHEMA["properties"]["payment_id"]["pattern"]
CUSTOMER_ID_PATTERN = CREATE_PAYMENT_SCHEMA["properties"]["customer_id"]["pattern"]
CURRENCY_PATTERN = CREATE_PAYMENT_SCHEMA["properties"]["currency"]["pattern"]

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


@dataclass(frozen=True)
class ApiNames:
    function: str
    function_role: str
    api: str
    api_key: str
    usage_plan: str


def execution_log_group_name(rest_api_id: str, stage_name: str = STAGE_NAME) -> str:
    """The group API Gateway writes execution logs to: it picks the name, and creates the group
    itself (unencrypted, kept forever) unless it exists
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-execution-logging.html)."""
    return f"API-Gateway-Execution-Logs_{rest_api_id}/{stage_name}"


def lambda_asset(scope: Construct) -> TerraformAsset:
    """The handler package, zipped at synth.

    Only the ``*.py`` sources and the ``*.json`` data (the API contract) are staged: a
    ``__pycache__`` left by tests would otherwise change both the zip and cdktf's content hash,
    and with it the deployed function.
    """
    staging = Path(tempfile.mkdtemp(prefix="tap-lambda-"))
    atexit.register(shutil.rmtree, staging, ignore_errors=True)
    for source in sorted([*LAMBDA_SOURCE.glob("*.py"), *LAMBDA_SOURCE.glob("*.json")]):
        shutil.copy2(source, staging / source.name)
    return TerraformAsset(scope, "lambda-package", path=str(staging), type=AssetType.ARCHIVE)


def _route_signature() -> str:
    """Changes whenever the API definition in this file changes (redeploys the stage): the
    routes, the schema of each body route's model in route order (a schema's title is its
    model's name, see ``lib.api_contract.MODELS``) and the access log format."""
    payload = json.dumps(
        [[r.method, r.path, r.api_key_required, r.parameters, r.body_model is not None] for r in ROUTES]
        + [MODELS[r.body_model] for r in ROUTES if r.body_model]
        + [ACCESS_LOG_FORMAT],
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _kebab(name: str) -> str:
    """A model's construct id part: ``CreatePayment`` -> ``create-payment``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


class RegionalApi(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        region: Region,
        names: ApiNames,
        profile: Profile,
        account_id: str,
        asset: TerraformAsset,
        key: RegionalKey,
        table: GlobalTable,
        bucket: ReceiptBucket,
        logging_account: ApiGatewayAccount | None,
        api_key_value: str | None = None,
    ) -> None:
        """``key``, ``table``, ``bucket``: what the function reads and writes (their constructs
        grant it: ``read_write_statement`` and the like); ``logging_account``: the account's API
        Gateway CloudWatch setting when this stack manages it (the stage must wait for it); None
        when another environment does."""
        super().__init__(scope, id)
        self.region = region
        provider = region.provider

        # --- the function: its logs, role and code (lib/regional_function.py) ------------
        fn = RegionalFunction(
            self,
            region=region,
            name=names.function,
            role_name=names.function_role,
            profile=profile,
            account_id=account_id,
            asset=asset,
            key=key,
            table=table,
            bucket=bucket,
        )
        self.function_log_group = fn.log_group
        self.function = fn.function

        # --- REST API ------------------------------------------------------------------
        self.rest_api = ApiGatewayRestApi(
            self,
            "rest-api",
            provider=provider,
            name=names.api,
            description=f"Payments API ({region.role}, {region.name})",
            endpoint_configuration=ApiGatewayRestApiEndpointConfiguration(types=["REGIONAL"]),
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        validator = ApiGatewayRequestValidator(
            self,
            "validator",
            provider=provider,
            rest_api_id=self.rest_api.id,
            name="body-and-parameters",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        # One model per body the routes take, each route validated by its own.
        models = {
            name: ApiGatewayModel(
                self,
                f"{_kebab(name)}-model",
                provider=provider,
                rest_api_id=self.rest_api.id,
                name=name,
                content_type="application/json",
                schema=json.dumps(MODELS[name], sort_keys=True),
            )
            for name in dict.fromkeys(r.body_model for r in ROUTES if r.body_model)
        }
        # API Gateway's own errors in the handler's {"error": ...} shape.
        for response_type, template in (
            ("DEFAULT_4XX", '{"error": $context.error.messageString}'),
            ("DEFAULT_5XX", '{"error": "Internal server error"}'),
        ):
            ApiGatewayGatewayResponse(
                self,
                f"response-{response_type.lower()}",
                provider=provider,
                rest_api_id=self.rest_api.id,
                response_type=response_type,
                response_templates={"application/json": template},
            )

        resources: dict[str, str] = {"": self.rest_api.root_resource_id}

        def resource_for(path: str) -> str:
            """The API Gateway resource id for ``path``, creating parents as needed."""
            if path not in resources:
                parent, _, part = path.rpartition("/")
                resources[path] = ApiGatewayResource(
                    self,
                    "resource" + path.replace("/", "-").replace("{", "").replace("}", ""),
                    provider=provider,
                    rest_api_id=self.rest_api.id,
                    parent_id=resource_for(parent),
                    path_part=part,
                ).id
            return resources[path]

        deployed: list = []
        for route in ROUTES:
            route_id = f"{route.method.lower()}{route.path.replace('/', '-')}".replace("{", "").replace(
                "}", ""
            )
            method = ApiGatewayMethod(
                self,
                f"method-{route_id}",
                provider=provider,
                rest_api_id=self.rest_api.id,
                resource_id=resource_for(route.path),
                http_method=route.method,
                authorization="NONE",
                api_key_required=route.api_key_required,
                request_parameters=dict(route.parameters) or None,
                request_validator_id=validator.id,
                request_models={"application/json": models[route.body_model].name}
                if route.body_model
                else None,
            )
            if not route.api_key_required:
                skip_checks(
                    method,
                    {
                        "CKV_AWS_59": "health probe for Route 53 failover, which cannot send an "
                        "API key; it reveals only 'ok' and the region"
                    },
                )
            integration = ApiGatewayIntegration(
                self,
                f"integration-{route_id}",
                provider=provider,
                rest_api_id=self.rest_api.id,
                resource_id=method.resource_id,
                http_method=method.http_method,
                integration_http_method="POST",
                type="AWS_PROXY",
                uri=self.function.invoke_arn,
            )
            deployed += [method, integration]

        LambdaPermission(
            self,
            "invoke-permission",
            provider=provider,
            statement_id="AllowApiGatewayInvoke",
            action="lambda:InvokeFunction",
            function_name=self.function.function_name,
            principal="apigateway.amazonaws.com",
            source_arn=f"{self.rest_api.execution_arn}/*/*/*",
        )

        deployment = ApiGatewayDeployment(
            self,
            "deployment",
            provider=provider,
            rest_api_id=self.rest_api.id,
            description="Payments API deployment",
            triggers={
                "redeployment": Fn.sha1(Fn.jsonencode([_route_signature()] + [r.id for r in deployed]))
            },
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            depends_on=deployed,
        )

        # --- Stage, logging ------------------------------------------------------------
        retention_days = profile.log_retention_days
        self.access_log_group = encrypted_log_group(
            self,
            "access-logs",
            key=key,
            name=f"/aws/apigateway/{names.api}/access",
            retention_days=retention_days,
        )
        # Declared here so that it is encrypted, kept as long as the profile says and destroyed
        # with the stack; otherwise API Gateway creates it on the first error it logs.
        self.execution_log_group = encrypted_log_group(
            self,
            "execution-logs",
            key=key,
            name=execution_log_group_name(self.rest_api.id, STAGE_NAME),
            retention_days=retention_days,
        )
        self.stage = ApiGatewayStage(
            self,
            "stage",
            provider=provider,
            rest_api_id=self.rest_api.id,
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
        method_settings = ApiGatewayMethodSettings(
            self,
            "method-settings",
            provider=provider,
            rest_api_id=self.rest_api.id,
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

        # --- API key + usage plan ------------------------------------------------------
        self.api_key = ApiGatewayApiKey(
            self,
            "api-key",
            provider=provider,
            name=names.api_key,
            description="Payments API client key (same value in both regions for failover)",
            enabled=True,
            value=api_key_value,
        )
        usage_plan = ApiGatewayUsagePlan(
            self,
            "usage-plan",
            provider=provider,
            name=names.usage_plan,
            api_stages=[ApiGatewayUsagePlanApiStages(api_id=self.rest_api.id, stage=self.stage.stage_name)],
            throttle_settings=ApiGatewayUsagePlanThrottleSettings(
                rate_limit=profile.throttle_rate_limit, burst_limit=profile.throttle_burst_limit
            ),
            quota_settings=ApiGatewayUsagePlanQuotaSettings(limit=profile.quota_per_day, period="DAY"),
        )
        ApiGatewayUsagePlanKey(
            self,
            "usage-plan-key",
            provider=provider,
            key_id=self.api_key.id,
            key_type="API_KEY",
            usage_plan_id=usage_plan.id,
        )

    @property
    def execute_api_host(self) -> str:
        return f"{self.rest_api.id}.execute-api.{self.region.name}.amazonaws.com"

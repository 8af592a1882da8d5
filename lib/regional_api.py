"""ONE region's API: the function (lib/regional_function.py) + the REST API, in the rooms AWS
CDK gives them: its routes with their request models and validator (lib/api_routes.py), its
deployment, stage and logs (lib/api_stage.py), its client key and usage plan
(lib/api_usage_plan.py).

The stack calls ``RegionalApi`` once per region with that region's provider, key, bucket and
table constructs: both regions are built by exactly this code. Every part is built in this
construct, so each resource keeps its construct id (``api-<role>/stage``, ...), which is its
Terraform address.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cdktf import AssetType, TerraformAsset, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.api_gateway_account import ApiGatewayAccount
from cdktf_cdktf_provider_aws.api_gateway_rest_api import (
    ApiGatewayRestApi,
    ApiGatewayRestApiEndpointConfiguration,
)
from constructs import Construct

from lib.api_access import ApiResourcePolicy
from lib.api_contract import CREATE_PAYMENT_SCHEMA, MODELS, PACKAGE_DIR, ROUTES, package_files
from lib.api_routes import ApiRoutes
from lib.api_stage import (  # noqa: F401 - re-exported: what the stage is called and logs
    ACCESS_LOG_FORMAT,
    STAGE_NAME,
    ApiStage,
    execution_log_group_name,
)
from lib.api_usage_plan import ApiUsagePlan
from lib.config import Profile
from lib.keys import RegionalKey
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

LAMBDA_SOURCE = PACKAGE_DIR
HEALTH_PATH = "/health"

# The routes and their request models come from the API contract (lib/lambda/contract.json).
PAYMENT_ID_PATTERN = CREATE_PAYMENT_SCHEMA["properties"]["payment_id"]["pattern"]
CUSTOMER_ID_PATTERN = CREATE_PAYMENT_SCHEMA["properties"]["customer_id"]["pattern"]
CURRENCY_PATTERN = CREATE_PAYMENT_SCHEMA["properties"]["currency"]["pattern"]


@dataclass(frozen=True)
class ApiNames:
    function: str
    function_role: str
    api: str
    api_key: str
    usage_plan: str


def lambda_asset(scope: Construct) -> TerraformAsset:
    """The handler package, zipped at synth.

    Only the ``*.py`` sources and the ``*.json`` data (the API contract) are staged: a
    ``__pycache__`` left by tests would otherwise change both the zip and cdktf's content hash,
    and with it the deployed function.
    """
    staging = Path(tempfile.mkdtemp(prefix="tap-lambda-"))
    atexit.register(shutil.rmtree, staging, ignore_errors=True)
    for source in package_files(LAMBDA_SOURCE):
        shutil.copy2(source, staging / source.name)
    return TerraformAsset(scope, "lambda-package", path=str(staging), type=AssetType.ARCHIVE)


def _route_signature(resource_policy: dict[str, object]) -> str:
    """Changes whenever the API definition changes (redeploys the stage): the routes with their
    authorization, the schema of each body route's model in route order (a schema's title is
    its model's name, see ``lib.api_contract.MODELS``), the access log format and the resource
    policy's shape (``ApiResourcePolicy.shape``)."""
    payload = json.dumps(
        [
            [r.method, r.path, r.api_key_required, r.parameters, r.body_model is not None, r.authorization]
            for r in ROUTES
        ]
        + [MODELS[r.body_model] for r in ROUTES if r.body_model]
        + [ACCESS_LOG_FORMAT, resource_policy],
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


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
        caller_accounts: tuple[str, ...] = (),
        caller_roles: tuple[str, ...] = (),
        api_key_value: str | None = None,
    ) -> None:
        """``key``, ``table``, ``bucket``: what the function reads and writes (their constructs
        grant it: ``read_write_statement`` and the like); ``logging_account``: the account's API
        Gateway CloudWatch setting when this stack manages it (the stage must wait for it); None
        when another environment does; ``caller_accounts``: other accounts whose principals may
        call the signed routes (this account's always may, with the caller policy);
        ``caller_roles``: roles of this account the resource policy itself admits."""
        super().__init__(scope, id)
        self.region = region
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
        self.rest_api = self._rest_api(names.api)
        # ROUTES and MODELS are read here, at build time, so that a test may replace them.
        routes = ApiRoutes(
            self, region=region, rest_api=self.rest_api, function=self.function, routes=ROUTES, models=MODELS
        )
        self.resource_policy = ApiResourcePolicy(
            self,
            region=region,
            rest_api=self.rest_api,
            stage=STAGE_NAME,
            routes=ROUTES,
            account_id=account_id,
            caller_accounts=caller_accounts,
            caller_roles=caller_roles,
        )
        stage = ApiStage(
            self,
            region=region,
            api_name=names.api,
            rest_api=self.rest_api,
            deployed=[*routes.deployed, self.resource_policy.resource],
            signature=_route_signature(self.resource_policy.shape),
            profile=profile,
            key=key,
            logging_account=logging_account,
        )
        self.access_log_group = stage.access_log_group
        self.execution_log_group = stage.execution_log_group
        self.stage = stage.stage
        self.api_key = ApiUsagePlan(
            self,
            region=region,
            key_name=names.api_key,
            plan_name=names.usage_plan,
            rest_api=self.rest_api,
            stage=self.stage,
            profile=profile,
            api_key_value=api_key_value,
        ).api_key

    def _rest_api(self, name: str) -> ApiGatewayRestApi:
        return ApiGatewayRestApi(
            self,
            "rest-api",
            provider=self.region.provider,
            name=name,
            description=f"Payments API ({self.region.role}, {self.region.name})",
            endpoint_configuration=ApiGatewayRestApiEndpointConfiguration(types=["REGIONAL"]),
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )

    @property
    def execute_api_host(self) -> str:
        return f"{self.rest_api.id}.execute-api.{self.region.name}.amazonaws.com"

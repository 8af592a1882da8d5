"""ONE REST API's client key and the usage plan that throttles and caps it on the stage (what
CDK's ``ApiKey`` and ``UsagePlan`` are to its ``RestApi``).

Built inside the ``RegionalApi`` construct (its ``scope``), so the resources keep the construct
ids they have always had (``api-<role>/api-key``, ...): ids are an API, and a new one would
replace the deployed resource.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.api_gateway_api_key import ApiGatewayApiKey
from cdktf_cdktf_provider_aws.api_gateway_rest_api import ApiGatewayRestApi
from cdktf_cdktf_provider_aws.api_gateway_stage import ApiGatewayStage
from cdktf_cdktf_provider_aws.api_gateway_usage_plan import (
    ApiGatewayUsagePlan,
    ApiGatewayUsagePlanApiStages,
    ApiGatewayUsagePlanQuotaSettings,
    ApiGatewayUsagePlanThrottleSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_usage_plan_key import ApiGatewayUsagePlanKey
from constructs import Construct

from lib.config import Profile
from lib.region import Region


class ApiUsagePlan:
    """The client key of ``stage`` and its usage plan, built in ``scope``.

    ``key_name``, ``plan_name``: their names; ``api_key_value``: None to let API Gateway
    generate the key (the primary), or the primary key's value (the secondary: one key works
    in both regions, so a client needs nothing new at failover)."""

    def __init__(
        self,
        scope: Construct,
        *,
        region: Region,
        key_name: str,
        plan_name: str,
        rest_api: ApiGatewayRestApi,
        stage: ApiGatewayStage,
        profile: Profile,
        api_key_value: str | None,
    ) -> None:
        provider = region.provider
        self.api_key = ApiGatewayApiKey(
            scope,
            "api-key",
            provider=provider,
            name=key_name,
            description="Payments API client key (same value in both regions for failover)",
            enabled=True,
            value=api_key_value,
        )
        usage_plan = ApiGatewayUsagePlan(
            scope,
            "usage-plan",
            provider=provider,
            name=plan_name,
            api_stages=[ApiGatewayUsagePlanApiStages(api_id=rest_api.id, stage=stage.stage_name)],
            throttle_settings=ApiGatewayUsagePlanThrottleSettings(
                rate_limit=profile.throttle_rate_limit, burst_limit=profile.throttle_burst_limit
            ),
            quota_settings=ApiGatewayUsagePlanQuotaSettings(limit=profile.quota_per_day, period="DAY"),
        )
        ApiGatewayUsagePlanKey(
            scope,
            "usage-plan-key",
            provider=provider,
            key_id=self.api_key.id,
            key_type="API_KEY",
            usage_plan_id=usage_plan.id,
        )

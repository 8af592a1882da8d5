"""ONE region's API function: its log group, its role (granted by the key, table and bucket it
uses) and the Lambda function itself.

Built inside the ``RegionalApi`` construct (its ``scope``), so the resources keep the construct
ids they have always had (``api-<role>/function``, ...): ids are an API, and a new one would
replace the deployed resource.
"""

from __future__ import annotations

from cdktf import TerraformAsset
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionEnvironment,
    LambdaFunctionLoggingConfig,
    LambdaFunctionTracingConfig,
)
from constructs import Construct

from lib.config import Profile
from lib.keys import RegionalKey
from lib.logs import encrypted_log_group
from lib.policy import skip_checks, statement
from lib.region import Region
from lib.service_role import ServiceRole
from lib.storage import ReceiptBucket
from lib.table import GlobalTable

LAMBDA_RUNTIME = "python3.12"
LAMBDA_HANDLER = "handler.handler"
LAMBDA_TIMEOUT_SECONDS = 10  # the handler's AWS retry budget is sized to finish inside it
# X-Ray's write API has no resource-level permissions: AWS documents Resource "*" as the
# only form (https://docs.aws.amazon.com/xray/latest/devguide/security_iam_service-with-iam.html).
XRAY_WRITE_ACTIONS = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]


def _function_skips(profile: Profile) -> dict[str, str]:
    """The scanner checks the function does not meet, and why."""
    skips = {
        "CKV_AWS_116": "API Gateway invokes the function synchronously: a dead-letter "
        "queue only ever receives failed asynchronous invocations, so it would stay empty "
        "(errors go back to the client as 5xx and to the Errors alarm)",
        "CKV_AWS_117": "talks only to regional AWS APIs (DynamoDB, S3, KMS); a VPC "
        "would add NAT/endpoints and cold-start cost with no resource to reach",
        "CKV_AWS_272": "code signing needs a Signer profile outside this stack; the "
        "package is built from this repository at synth",
    }
    if profile.reserved_concurrency is None:
        skips["CKV_AWS_115"] = (
            "no reservation in this profile: AWS keeps at least 100 of the account's concurrency "
            "unreserved and new accounts have 10, so any reservation fails there; the usage plan "
            "and stage throttling bound the load (staging and prod reserve, checked by make deploy)"
        )
    return skips


class RegionalFunction:
    """The function of one region, built in ``scope``."""

    def __init__(
        self,
        scope: Construct,
        *,
        region: Region,
        name: str,
        role_name: str,
        profile: Profile,
        account_id: str,
        asset: TerraformAsset,
        key: RegionalKey,
        table: GlobalTable,
        bucket: ReceiptBucket,
    ) -> None:
        provider = region.provider
        self.log_group = encrypted_log_group(
            scope,
            "function-logs",
            key=key,
            name=f"/aws/lambda/{name}",
            retention_days=profile.log_retention_days,
        )
        role = ServiceRole(
            scope,
            "function-role",
            provider=provider,
            name=role_name,
            service="lambda.amazonaws.com",
            source_account=account_id,
            description=f"Payments API Lambda in {region.name}: its table, bucket, key and logs",
            statements=[
                table.read_write_statement(region),
                *bucket.read_write_statements(),
                key.encrypt_decrypt_statement(),
                statement(
                    "OwnLogs",
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [f"{self.log_group.arn}:*"],
                ),
                statement("XRayTraces", XRAY_WRITE_ACTIONS, ["*"]),
            ],
        )
        self.function = LambdaFunction(
            scope,
            "function",
            provider=provider,
            function_name=name,
            description=f"Payments API ({region.role}, {region.name})",
            role=role.arn,
            runtime=LAMBDA_RUNTIME,
            handler=LAMBDA_HANDLER,
            filename=asset.path,
            source_code_hash=asset.asset_hash,
            memory_size=256,
            timeout=LAMBDA_TIMEOUT_SECONDS,
            reserved_concurrent_executions=profile.reserved_concurrency,
            kms_key_arn=key.arn_for(region),
            environment=LambdaFunctionEnvironment(
                variables={
                    "TABLE_NAME": table.name,
                    "BUCKET_NAME": bucket.name,
                    "REGION_ROLE": region.role,
                }
            ),
            logging_config=LambdaFunctionLoggingConfig(log_format="Text", log_group=self.log_group.name),
            tracing_config=LambdaFunctionTracingConfig(mode="Active"),
            depends_on=[self.log_group, role.attachment],
        )
        skip_checks(self.function, _function_skips(profile))

"""Log groups: always encrypted with the region's key, kept as long as the profile says."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from constructs import Construct

from lib.config import AUDIT_LOG_RETENTION_DAYS
from lib.keys import RegionalKey
from lib.policy import skip_checks


def encrypted_log_group(
    scope: Construct,
    id: str,
    *,
    key: RegionalKey,
    name: str,
    retention_days: int,
) -> CloudwatchLogGroup:
    """A log group in ``key``'s region (CloudWatch Logs takes only a key of its own region)."""
    group = CloudwatchLogGroup(
        scope,
        id,
        provider=key.region.provider,
        name=name,
        retention_in_days=retention_days,
        kms_key_id=key.arn,
    )
    if retention_days < AUDIT_LOG_RETENTION_DAYS:  # dev and staging
        skip_checks(
            group,
            {
                "CKV_AWS_338": f"{retention_days}-day retention outside prod keeps test logs "
                f"cheap; prod keeps them {AUDIT_LOG_RETENTION_DAYS} days"
            },
        )
    return group

"""A region handle: its role in the failover pair, its name and the provider that deploys there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the handle is also read by tools that must not load the jsii bindings
    from cdktf_cdktf_provider_aws.provider import AwsProvider

# Route 53 is global, but it delivers DNS query logs and publishes health-check metrics only in
# us-east-1 (https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateQueryLoggingConfig.html,
# https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html).
ROUTE53_HOME_REGION = "us-east-1"


@dataclass(frozen=True)
class Region:
    role: str  # "primary" | "secondary" | "global" (us-east-1 for Route 53 when neither is)
    name: str  # e.g. "us-east-1"
    provider: AwsProvider

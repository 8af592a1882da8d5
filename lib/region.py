"""A region handle: its role in the failover pair, its name and the provider that deploys there."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.provider import AwsProvider


@dataclass(frozen=True)
class Region:
    role: str  # "primary" | "secondary"
    name: str  # e.g. "us-east-1"
    provider: AwsProvider

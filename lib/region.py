"""A region handle: its role in the failover pair, its name and the provider that deploys there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the handle is also read by tools that must not load the jsii bindings
    from cdktf_cdktf_provider_aws.provider import AwsProvider


@dataclass(frozen=True)
class Region:
    role: str  # "primary" | "secondary" | "global" (lib/regions.py: Route 53's region when neither is)
    name: str  # a region of lib/regions.py
    provider: AwsProvider

"""Gap: moto gives REGIONAL custom domains CloudFront's hosted zone.

moto 5.2.5 reports ``regionalHostedZoneId: Z2FDTNDATAQYW2`` (CloudFront's global zone) in
every region, plus a ``distributionDomainName`` even for a REGIONAL domain. The stack's
failover alias records therefore point both regions at the same, wrong zone: nothing
fails, but the deployed records are not what AWS would hold and a test cannot tell the
regions' targets apart.

This patch reports each region's API Gateway hosted zone (values from the AWS General
Reference, API Gateway endpoints; regions not listed get a stable synthetic id) and no
CloudFront distribution for a REGIONAL-only domain.

AWS: a REGIONAL domain name has ``regionalDomainName`` and ``regionalHostedZoneId`` and no
distribution fields: https://docs.aws.amazon.com/apigateway/latest/api/API_DomainName.html;
hosted zone ids per region: https://docs.aws.amazon.com/general/latest/gr/apigateway.html
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from moto.apigateway.models import DomainName

from lib import regions

# Each region's API Gateway hosted zone: lib/regions.py, the project's one list of regions.
REGIONAL_ZONE_IDS = {r.name: r.apigateway_zone_id for r in regions.SUPPORTED if r.apigateway_zone_id}


def zone_id_for(region: str) -> str:
    if region in REGIONAL_ZONE_IDS:
        return REGIONAL_ZONE_IDS[region]
    return "Z" + hashlib.sha256(region.encode()).hexdigest()[:13].upper()


def _regional_only(domain: DomainName) -> bool:
    types = (domain.endpoint_configuration or {}).get("types") or []
    return types == ["REGIONAL"]


def apply() -> None:
    init = DomainName.__init__
    to_json = DomainName.to_json

    @functools.wraps(init)
    def regional_init(self: DomainName, domain_name: str, **kwargs: Any) -> None:
        init(self, domain_name, **kwargs)
        self.regional_hosted_zone_id = zone_id_for(kwargs.get("region_name") or regions.GLOBAL)

    @functools.wraps(to_json)
    def regional_json(self: DomainName) -> dict[str, Any]:
        data = to_json(self)
        if _regional_only(self):
            data.pop("distributionDomainName", None)
            data.pop("distributionHostedZoneId", None)
        return data

    DomainName.__init__ = regional_init  # type: ignore[method-assign]
    DomainName.to_json = regional_json  # type: ignore[method-assign]

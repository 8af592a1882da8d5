"""The regions this project supports: the one list, and the topology every part reads.

``SUPPORTED`` is the one list of AWS regions. The stack's configuration accepts exactly these, the
CI bootstrap checks its state region against them, and the local emulator serves each one on a
loopback address of its own in this order (so a new region goes at the END: the addresses of the
others never move). A new AWS region is one line here.

A ``Topology`` is what a deployment is made of: each role (primary, secondary) with its region, and
the region for global resources (Route 53's). The stack is built from it, records it as the
``topology`` output, and every tool reads it back from the outputs: no tool parses an ARN to find a
region, and nothing else spells the pair.

Importing this module loads nothing but the standard library: the tools and the emulator read it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class SupportedRegion:
    name: str
    # The hosted zone of API Gateway's regional endpoints there, which an alias to a regional
    # custom domain names (https://docs.aws.amazon.com/general/latest/gr/apigateway.html); None
    # where this project has not recorded it (the emulator then makes one up).
    apigateway_zone_id: str | None = None
    # API Gateway's account throttle in this region is the lower default, 2,500 rps / 1,250 burst
    # (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html): the emulator
    # enforces it.
    apigateway_low_quota: bool = False


# The commercial (``aws``) partition's regions that the pinned provider, hashicorp/aws 5.100.0,
# knows (read from its endpoint data). The stack writes arn:aws: ARNs, so other partitions
# (aws-cn, aws-us-gov, iso) are refused.
SUPPORTED: tuple[SupportedRegion, ...] = (
    SupportedRegion("us-east-1", "Z1UJRXOUMOOFQ8"),
    SupportedRegion("us-west-2", "Z2OJLYMUO9EFXC"),
    SupportedRegion("us-east-2", "ZOJJZC49E0EPZ"),
    SupportedRegion("us-west-1", "Z2MUQ32089INYE"),
    SupportedRegion("ca-central-1", "Z19DQILCV0OWEC"),
    SupportedRegion("eu-west-1", "ZLY8HYME6SFDD"),
    SupportedRegion("eu-west-2", "ZJ5UAJN8Y3Z2Q"),
    SupportedRegion("eu-west-3", "Z3KY65QIEKYHQQ"),
    SupportedRegion("eu-central-1", "Z1U9ULNL0V5AJ3"),
    SupportedRegion("eu-central-2", apigateway_low_quota=True),  # Europe (Zurich)
    SupportedRegion("eu-north-1", "Z3UWIKFBOOGXPP"),
    SupportedRegion("eu-south-1", apigateway_low_quota=True),  # Europe (Milan)
    SupportedRegion("eu-south-2", apigateway_low_quota=True),  # Europe (Spain)
    SupportedRegion("ap-northeast-1", "Z1YSHQZHG15GKL"),
    SupportedRegion("ap-northeast-2", "Z20JF4UZKIW1U8"),
    SupportedRegion("ap-northeast-3"),
    SupportedRegion("ap-southeast-1", "ZL327KTPIQFUL"),
    SupportedRegion("ap-southeast-2", "Z2RPCDW04V8134"),
    SupportedRegion("ap-southeast-3", apigateway_low_quota=True),  # Asia Pacific (Jakarta)
    SupportedRegion("ap-southeast-4", apigateway_low_quota=True),  # Asia Pacific (Melbourne)
    SupportedRegion("ap-south-1", "Z3VO1THU9YC4UR"),
    SupportedRegion("ap-south-2", apigateway_low_quota=True),  # Asia Pacific (Hyderabad)
    SupportedRegion("ap-east-1"),
    SupportedRegion("sa-east-1", "ZCMLWB8V5SYIT"),
    SupportedRegion("me-south-1"),
    SupportedRegion("me-central-1", apigateway_low_quota=True),  # Middle East (UAE)
    SupportedRegion("af-south-1", apigateway_low_quota=True),  # Africa (Cape Town)
    SupportedRegion("il-central-1", apigateway_low_quota=True),  # Israel (Tel Aviv)
    SupportedRegion("ca-west-1", apigateway_low_quota=True),  # Canada West (Calgary)
    SupportedRegion("mx-central-1", apigateway_low_quota=True),  # Mexico (Central)
    SupportedRegion("ap-southeast-5", apigateway_low_quota=True),  # Asia Pacific (Malaysia)
    SupportedRegion("ap-southeast-7", apigateway_low_quota=True),  # Asia Pacific (Thailand)
)
NAMES: tuple[str, ...] = tuple(r.name for r in SUPPORTED)
KNOWN: frozenset[str] = frozenset(NAMES)
APIGATEWAY_LOW_QUOTA: frozenset[str] = frozenset(r.name for r in SUPPORTED if r.apigateway_low_quota)

# The shape of a region name, to tell a typo from a region of another partition in an error.
PATTERN = re.compile(r"^[a-z]{2}(?:-gov)?-[a-z]+-\d$")

# Route 53 is global, but it delivers DNS query logs and publishes health-check metrics only in
# us-east-1 (https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateQueryLoggingConfig.html,
# https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html); its
# control plane answers there too. A pair without it gets a third, "global" role there.
GLOBAL = "us-east-1"
# S3's GetBucketLocation answers an empty LocationConstraint for buckets in this region
# (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html).
S3_EMPTY_LOCATION = "us-east-1"

# The configuration's defaults (lib/config.py, lib/ci_bootstrap_config.py).
DEFAULT_PRIMARY = "us-east-1"
DEFAULT_SECONDARY = "us-west-2"
# The CI bootstrap's state bucket: neither region of the default pair, so losing either leaves
# every state and its lock reachable.
DEFAULT_STATE_BUCKET = "us-east-2"

ROLES = ("primary", "secondary")
GLOBAL_ROLE = "global"


class RoleRegion(NamedTuple):
    """A role of the failover pair (``primary``, ``secondary``, ``global``) and its region."""

    role: str
    name: str


class TopologyError(ValueError):
    """A topology that cannot be: the message is one line."""


def check(name: str, what: str) -> str:
    """``name`` if it is a supported region, else a one-line ``TopologyError`` naming ``what``."""
    if name in KNOWN:
        return name
    if not PATTERN.match(str(name)):
        raise TopologyError(f"{what}={name!r} is not an AWS region name like {DEFAULT_PRIMARY!r}")
    raise TopologyError(
        f"{what}={name!r} is not a region of the aws partition that the pinned provider "
        "(hashicorp/aws 5.100.0) knows: a typo, or a region of another partition"
    )


@dataclass(frozen=True)
class Topology:
    """Each role's region, in failover order (the first is the primary), and the global region."""

    roles: tuple[RoleRegion, ...]
    global_region: str = GLOBAL

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", tuple(RoleRegion(*pair) for pair in self.roles))
        if tuple(role for role, _ in self.roles) != ROLES:
            raise TopologyError(f"a topology has the roles {', '.join(ROLES)} in that order")
        for role, name in self.roles:
            check(name, f"{role} region")
        check(self.global_region, "global region")
        names = [name for _, name in self.roles]
        if len(set(names)) != len(names):
            raise TopologyError(f"the roles' regions must differ (both {names[0]!r})")

    @classmethod
    def of(cls, primary: str, secondary: str) -> Topology:
        return cls((("primary", primary), ("secondary", secondary)))

    def region(self, role: str) -> str:
        """The region of ``role`` (``global`` too)."""
        if role == GLOBAL_ROLE:
            return self.global_region
        for name, region in self.roles:
            if name == role:
                return region
        raise TopologyError(f"no role {role!r} in this topology ({', '.join(self.names)})")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(role for role, _ in self.roles)

    @property
    def global_role(self) -> RoleRegion:
        """Where global resources go: the role whose region is the global one, else a third
        role, ``global``, of its own."""
        return next(
            (r for r in self.roles if r.name == self.global_region),
            RoleRegion(GLOBAL_ROLE, self.global_region),
        )

    @property
    def primary(self) -> str:
        return self.roles[0][1]

    @property
    def secondary(self) -> str:
        return self.roles[1][1]

    @property
    def regions(self) -> tuple[str, ...]:
        """Every region the deployment uses: the roles', then the global one when it is not one."""
        return tuple(dict.fromkeys([*(name for _, name in self.roles), self.global_region]))

    def peer(self, role: str) -> str:
        """The role that ``role`` replicates to and fails over to: the next one, round the ring."""
        names = self.names
        return names[(names.index(role) + 1) % len(names)]

    def to_json(self) -> str:
        return json.dumps({"roles": dict(self.roles), "global": self.global_region}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Topology:
        """The topology of a ``topology`` output; a one-line ``TopologyError`` for anything else."""
        try:
            data = json.loads(text)
            roles = tuple((str(role), data["roles"][role]) for role in ROLES)
            return cls(roles, data["global"])
        except (ValueError, TypeError, KeyError) as error:
            if isinstance(error, TopologyError):
                raise
            raise TopologyError(f"not a topology ({type(error).__name__}: {error})") from None

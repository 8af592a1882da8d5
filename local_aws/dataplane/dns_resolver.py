"""Route 53's answers for the emulator: moto's public hosted zones resolved as Route 53's name
servers would, without the wire (``dns_server.DnsServer`` serves them over UDP and TCP).

``Resolver.resolve`` gives the whole answer (records, authority, rcode, health) for in-process
use; ``Resolver.lookup`` the address a host goes to (the data plane and the health checkers).

What is modelled:

- The zone with the longest matching suffix answers; a name outside every zone is REFUSED. A
  name with no record in its zone is NXDOMAIN, a name with records of other types only (or
  records below it) NOERROR with no answer; both carry the zone's SOA in the authority section,
  with the negative-caching TTL of RFC 2308 (the lower of the SOA's TTL and its minimum).
- CNAME records are followed while the target is in a hosted zone (or is an execute-api name);
  the answer holds the chain.
- Alias records answer with the target's values under the record's own name. Their TTL is the
  target's: "If an alias record points to an AWS resource, you can't set the time to live (TTL);
  Route 53 uses the default TTL for the resource. If an alias record points to another record in
  the same hosted zone, Route 53 uses the TTL of the record that the alias record points to"
  (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-choosing-alias-non-alias.html).
  API Gateway's regional names answer with a 60-second TTL (``EXECUTE_API_TTL``; AWS documents
  60 s as the fixed alias TTL for ELB and S3 website endpoints, https://aws.amazon.com/route53/faqs/,
  and does not document API Gateway's).
- ``*.execute-api.<region>.amazonaws.com`` names (an API's default endpoint, a regional custom
  domain's ``d-xxxx`` target) answer the region's data-plane address (``regions.address_of``):
  the emulator's stand-in for AWS's public DNS.
- Failover records: the primary while it is healthy, else the secondary while it is healthy. A
  record is healthy when its health check is (a record without one always is) and, for an alias
  with ``EvaluateTargetHealth``, when its target resolves to healthy records
  (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-how-route-53-chooses-records.html,
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-types.html). If no
  record in the group is healthy, Route 53 considers them all healthy and chooses by the
  routing policy alone (first page): when both are unhealthy it answers with the primary.
- Route 53's DNS is a global service that stays up in a regional outage: ``OUTAGES`` is not
  consulted (a region's outage shows through its health checks).

Where the emulator differs: every TTL is divided by the emulator's time scale (the precise value
in ``resolve()``); private hosted zones (answered only inside their VPCs on AWS) are not served;
wildcard records are not expanded; routing policies other than simple and failover (weighted,
latency, geolocation, multivalue) answer their first healthy record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from local_aws.regions import address_of, execute_api_region

EXECUTE_API_TTL = 60  # seconds: API Gateway's execute-api names, and so the alias records to them
MAX_CHAIN = 8  # CNAME and alias hops followed before SERVFAIL

NOERROR, NXDOMAIN, REFUSED, SERVFAIL = "NOERROR", "NXDOMAIN", "REFUSED", "SERVFAIL"


@dataclass(frozen=True)
class Record:
    name: str  # lower case, no trailing dot
    type: str  # "A", "CNAME", "SOA", ...
    ttl: float  # seconds, already divided by the time scale
    value: str  # presentation format, as Route 53 stores it


@dataclass(frozen=True)
class Answer:
    name: str
    type: str
    rcode: str  # NOERROR, NXDOMAIN, REFUSED, SERVFAIL
    records: tuple[Record, ...] = ()  # the answer section: a CNAME chain, then the values
    authority: tuple[Record, ...] = ()  # the zone's SOA for NXDOMAIN and empty answers
    zone: str | None = None  # the hosted zone that answered (None: none did)
    healthy: bool = True  # False when the records are unhealthy (all-unhealthy fallback, none)

    @property
    def values(self) -> list[str]:
        """The values of the queried type (the end of any CNAME chain)."""
        return [r.value for r in self.records if r.type == self.type]

    @property
    def addresses(self) -> list[str]:
        """The A (or AAAA) values answered: where the name goes."""
        return self.values if self.type in ("A", "AAAA") else []

    @property
    def ttl(self) -> float | None:
        return min((r.ttl for r in self.records), default=None)


def _norm(name: str) -> str:
    return name.lower().replace("\\052", "*").rstrip(".")


def _values(rrset: Any) -> list[str]:
    # moto stores the values as strings, except the SOA it creates itself ({"Value": ...}).
    return [v["Value"] if isinstance(v, dict) else str(v) for v in rrset.records or []]


def _zones() -> Iterator[Any]:
    """Every public hosted zone in moto, all accounts."""
    from moto.route53.models import route53_backends  # noqa: PLC0415 - moto loads after the env is set

    for per_account in list(route53_backends.values()):
        backend = dict.get(per_account, "aws")  # no lookup by key: that would create a backend
        if backend is not None:
            yield from (zone for zone in list(backend.zones.values()) if not zone.private_zone)


def _failover_rank(rrset: Any) -> int:
    return {"PRIMARY": 0, "SECONDARY": 1}.get(str(rrset.failover or "").upper(), 2)


def _evaluates_target(rrset: Any) -> bool:
    alias = rrset.alias_target or {}
    return str(alias.get("EvaluateTargetHealth", "false")).lower() == "true"


class Resolver:
    """Authoritative answers from moto's hosted zones. ``health(health_check_id)`` is the
    checkers' verdict (True when unknown), e.g. ``HealthCheckers.is_healthy``; ``scale``
    divides every TTL."""

    def __init__(self, *, health: Callable[[str], bool], scale: float = 1.0) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.scale = scale
        self._health = health

    def resolve(self, name: str, rtype: str = "A") -> Answer:
        """The answer Route 53 would give for ``name``/``rtype``, TTLs scaled (not rounded)."""
        return self._resolve(_norm(name), rtype.upper(), 0)

    def lookup(self, host: str) -> str | None:
        """The first IPv4 address ``host`` resolves to, or None (for ``HealthCheckers``)."""
        values = self.resolve(host, "A").values
        return values[0] if values else None

    def _ttl(self, seconds: float) -> float:
        return float(seconds) / self.scale

    def _resolve(self, name: str, rtype: str, depth: int) -> Answer:
        if depth > MAX_CHAIN:
            return Answer(name, rtype, SERVFAIL)
        zone = self._zone_for(name)
        if zone is None:
            return self._execute_api(name, rtype)
        zone_name = _norm(zone.name)
        rrsets = [rrset for rrset in list(zone.rrsets) if _norm(rrset.name) == name]
        group = [rrset for rrset in rrsets if str(rrset.type).upper() == rtype]
        if group:
            records, healthy = self._select(group, name, rtype, depth)
            authority = () if records else self._soa(zone)
            return Answer(name, rtype, NOERROR, records, authority, zone_name, healthy and bool(records))
        cnames = [rrset for rrset in rrsets if str(rrset.type).upper() == "CNAME"]
        if cnames:
            chain, healthy = self._select(cnames, name, "CNAME", depth)
            if chain:
                target = self._chase(_norm(chain[-1].value), rtype, depth + 1)
                if target is None:  # outside the emulator's zones: the resolver follows it
                    return Answer(name, rtype, NOERROR, chain, (), zone_name, healthy)
                return Answer(
                    name,
                    rtype,
                    target.rcode,
                    chain + target.records,
                    target.authority,
                    zone_name,
                    healthy and target.healthy,
                )
        exists = bool(rrsets) or any(_norm(r.name).endswith(f".{name}") for r in list(zone.rrsets))
        return Answer(name, rtype, NOERROR if exists else NXDOMAIN, (), self._soa(zone), zone_name, False)

    def _chase(self, target: str, rtype: str, depth: int) -> Answer | None:
        if self._zone_for(target) is None and execute_api_region(target) is None:
            return None
        return self._resolve(target, rtype, depth)

    def _execute_api(self, name: str, rtype: str) -> Answer:
        region = execute_api_region(name)
        if region is None:
            return Answer(name, rtype, REFUSED, healthy=False)
        if rtype != "A":
            return Answer(name, rtype, NOERROR)
        return Answer(
            name, rtype, NOERROR, (Record(name, "A", self._ttl(EXECUTE_API_TTL), address_of(region)),)
        )

    def _zone_for(self, name: str) -> Any | None:
        best, best_length = None, -1
        for zone in _zones():
            zone_name = _norm(zone.name)
            if (name == zone_name or name.endswith(f".{zone_name}")) and len(zone_name) > best_length:
                best, best_length = zone, len(zone_name)
        return best

    def _soa(self, zone: Any) -> tuple[Record, ...]:
        zone_name = _norm(zone.name)
        for rrset in list(zone.rrsets):
            if str(rrset.type).upper() == "SOA" and _norm(rrset.name) == zone_name:
                for value in _values(rrset):
                    fields = value.split()
                    minimum = int(fields[-1]) if len(fields) == 7 and fields[-1].isdigit() else None
                    ttl = int(rrset.ttl) if minimum is None else min(int(rrset.ttl), minimum)
                    return (Record(zone_name, "SOA", self._ttl(ttl), value),)
        return ()

    def _select(self, group: list[Any], name: str, rtype: str, depth: int) -> tuple[tuple[Record, ...], bool]:
        """The records of the first healthy record set in routing order (failover: primary,
        then secondary); when none is healthy, the first one's (all count as healthy)."""
        first: tuple[Record, ...] | None = None
        for rrset in sorted(group, key=_failover_rank):
            records, target_healthy = self._records_of(rrset, name, rtype, depth)
            if first is None:
                first = records
            checked = rrset.health_check_id is None or self._health(str(rrset.health_check_id))
            if checked and (target_healthy or not _evaluates_target(rrset)):
                return records, True
        return first or (), False

    def _records_of(self, rrset: Any, name: str, rtype: str, depth: int) -> tuple[tuple[Record, ...], bool]:
        """A record set's records, and whether its target is healthy (alias records)."""
        alias = rrset.alias_target
        if not alias:
            ttl = self._ttl(int(rrset.ttl or 0))
            return tuple(Record(name, rtype, ttl, value) for value in _values(rrset)), True
        target = _norm(str(alias.get("DNSName", "")))
        answer = self._resolve(target, rtype, depth + 1)
        if answer.rcode != NOERROR or not answer.records:
            return (), False
        renamed = tuple(
            Record(name, r.type, r.ttl, r.value) if r.name == target else r for r in answer.records
        )
        return renamed, answer.healthy

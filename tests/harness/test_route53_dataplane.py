"""Tests for the emulator's Route 53 data plane: the health checkers and the DNS server.

Starts the patched moto server in-process on a free port (zones, records and health checks are
created with boto3, as Terraform would), a tiny HTTP server per region on its loopback address
(127.0.0.2 for us-east-1, 127.0.0.3 for us-west-2) on a free port standing in for the API
Gateway data plane, and the checkers and DNS server at a large time scale:

    .venv/bin/python -m pytest tests/harness/test_route53_dataplane.py -p no:cacheprovider -q
"""

from __future__ import annotations

import itertools
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest
from botocore.exceptions import ClientError

from local_aws.dataplane import health_checks
from local_aws.dataplane.dns_resolver import EXECUTE_API_TTL
from local_aws.dataplane.dns_server import DnsServer
from local_aws.dataplane.health_checks import HealthCheckers
from local_aws.dataplane.health_probe import Observation
from local_aws.regions import address_of
from tests.harness.conftest import (
    API_NAME,
    EAST_API,
    EAST_DOMAIN,
    WEST_API,
    WEST_DOMAIN,
    ZONE,
    boto,
    region_port,
    wait_for,
)

EAST, WEST = "us-east-1", "us-west-2"
SCALE = 20  # RequestInterval 10 -> a probe every 0.5 s; TTL 60 -> 3 s
INTERVAL, THRESHOLD = 10, 3


class Target:
    """A region's data plane, in miniature: plain HTTP on the region's loopback address. It
    answers by Host header (without a port): ``responses[host] = (status, body)``, 200 otherwise."""

    def __init__(self, address: str, port: int) -> None:
        self.address, self.port = address, port
        self.responses: dict[str, tuple[int, bytes]] = {}
        self.requests: list[tuple[str, str]] = []  # (Host header, path)
        self.delay = 0.0  # seconds before each answer
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host = self.headers.get("Host", "")
                target.requests.append((host, self.path))
                time.sleep(target.delay)
                status, body = target.responses.get(host.rsplit(":", 1)[0], (200, b'{"status": "ok"}'))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((self.address, self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1})
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None


@pytest.fixture(scope="module")
def port() -> int:
    """A port free on both regions' addresses: the data-plane port."""
    return region_port(EAST, WEST)


@pytest.fixture(scope="module")
def dataplane(endpoint: str, port: int) -> Iterator[tuple[HealthCheckers, DnsServer]]:
    # Each needs the other: DNS asks the checkers' verdicts, the checkers resolve through DNS.
    checkers: HealthCheckers
    dns_server = DnsServer(port=0, health=lambda hc: checkers.is_healthy(hc), scale=SCALE, tcp=True)  # noqa: PLW0108
    checkers = HealthCheckers(port=port, resolve=dns_server.lookup, scale=SCALE)
    dns_server.start()
    checkers.start()
    health_checks.apply(checkers)
    yield checkers, dns_server
    health_checks.apply(None)
    checkers.stop()
    dns_server.stop()


@pytest.fixture
def checkers(dataplane: tuple[HealthCheckers, DnsServer]) -> HealthCheckers:
    return dataplane[0]


@pytest.fixture
def dns_server(dataplane: tuple[HealthCheckers, DnsServer]) -> DnsServer:
    return dataplane[1]


@pytest.fixture(autouse=True)
def reset(endpoint: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))


@pytest.fixture
def client(endpoint: str) -> Callable[[str, str], object]:
    def make(service: str, region: str = EAST) -> object:
        return boto(service, region, endpoint)

    return make


@pytest.fixture
def route53(client):
    return client("route53")


@pytest.fixture
def east(port: int) -> Iterator[Target]:
    target = Target(address_of(EAST), port)
    target.start()
    yield target
    target.stop()


@pytest.fixture
def west(port: int) -> Iterator[Target]:
    target = Target(address_of(WEST), port)
    target.start()
    yield target
    target.stop()


def _health_check(route53, fqdn: str | None = None, **config: object) -> str:
    """The stack's health check (lib/dns_failover.py) unless ``config`` says otherwise (None:
    leave the setting out)."""
    settings = {
        "Type": "HTTPS",
        "Port": 443,
        "ResourcePath": "/v1/health",
        "RequestInterval": INTERVAL,
        "FailureThreshold": THRESHOLD,
        "MeasureLatency": True,
        "EnableSNI": True,
        **({"FullyQualifiedDomainName": fqdn} if fqdn else {}),
        **config,
    }
    settings = {key: value for key, value in settings.items() if value is not None}
    reference = f"{fqdn}-{time.monotonic_ns()}"
    return route53.create_health_check(CallerReference=reference, HealthCheckConfig=settings)["HealthCheck"][
        "Id"
    ]


def _observed(checkers: HealthCheckers, health_check_id: str, count: int) -> list[Observation]:
    return wait_for(  # type: ignore[return-value]
        f"{count} observations of {health_check_id}",
        lambda: (
            len(checkers.observations(health_check_id)) >= count and checkers.observations(health_check_id)
        ),
    )


def _healthy(checkers: HealthCheckers, health_check_id: str, healthy: bool) -> None:
    wait_for(
        f"{health_check_id} {'healthy' if healthy else 'unhealthy'}",
        lambda: (state := checkers.status(health_check_id)) is not None and state.healthy is healthy,
    )


def _zone(route53, name: str = ZONE) -> str:
    return route53.create_hosted_zone(Name=name, CallerReference=f"{name}-{time.monotonic_ns()}")[
        "HostedZone"
    ]["Id"]


def _records(route53, zone_id: str, *record_sets: dict) -> None:
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": rs} for rs in record_sets]},
    )


def _failover_alias(role: str, region: str, target: str, health_check_id: str) -> dict:
    """As lib/dns_failover.py creates it."""
    return {
        "Name": API_NAME,
        "Type": "A",
        "SetIdentifier": f"{role.lower()}-{region}",
        "Failover": role,
        "HealthCheckId": health_check_id,
        "AliasTarget": {"HostedZoneId": "Z1UJRXOUMOOFQ8", "DNSName": target, "EvaluateTargetHealth": True},
    }


def _query(dns_server: DnsServer, name: str, rtype: str = "A", *, tcp: bool = False) -> dns.message.Message:
    host, dns_port = dns_server.address
    query = dns.message.make_query(name, rtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, host, port=dns_port, timeout=3)


def _a_records(response: dns.message.Message, name: str) -> tuple[list[str], int]:
    rrset = response.get_rrset(response.answer, dns.name.from_text(name), dns.rdataclass.IN, dns.rdatatype.A)
    assert rrset is not None, response
    return sorted(r.address for r in rrset), rrset.ttl


# -- health checkers -------------------------------------------------------------------------


def test_a_healthy_target_stays_healthy_and_get_health_check_status_says_so(checkers, route53, east):
    health_check_id = _health_check(route53, EAST_API)

    observations = _observed(checkers, health_check_id, THRESHOLD + 1)

    assert all(o.success and o.healthy and o.status_code == 200 for o in observations)
    assert {o.address for o in observations} == {address_of(EAST)}
    state = checkers.status(health_check_id)
    assert state.healthy and state.measured_healthy and state.consecutive_failures == 0
    # Port 443 with HTTPS: the Host header is the domain name alone (the API is chosen by it).
    assert (EAST_API, "/v1/health") in east.requests
    [observation] = route53.get_health_check_status(HealthCheckId=health_check_id)["HealthCheckObservations"]
    assert observation["Region"] == "us-east-1"
    assert observation["StatusReport"]["Status"] == "Success: HTTP Status Code 200, OK"
    assert abs(observation["StatusReport"]["CheckedTime"] - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_stopped_target_turns_unhealthy_after_failure_threshold_failures_and_recovers(
    checkers, route53, east
):
    health_check_id = _health_check(route53, EAST_API)
    _observed(checkers, health_check_id, 2)

    east.stop()  # the region's API stops answering, as in an outage
    _healthy(checkers, health_check_id, False)

    observations = checkers.observations(health_check_id)
    last_success = max(i for i, o in enumerate(observations) if o.success)
    failures = observations[last_success + 1 :]
    # Unhealthy on the third consecutive failure, not before.
    assert [o.healthy for o in failures[:THRESHOLD]] == [True, True, False]
    assert not any(o.success for o in failures)
    assert failures[-1].error == "connection refused"  # (one in flight at the stop may see a reset)
    [observation] = route53.get_health_check_status(HealthCheckId=health_check_id)["HealthCheckObservations"]
    assert observation["StatusReport"]["Status"].startswith("Failure: Connection refused.")

    east.start()
    _healthy(checkers, health_check_id, True)

    observations = checkers.observations(health_check_id)
    last_failure = max(i for i, o in enumerate(observations) if not o.success)
    # Healthy again after as many consecutive successes.
    assert [o.healthy for o in observations[last_failure + 1 :][:THRESHOLD]] == [False, False, True]


def test_the_next_probe_waits_the_request_interval_after_the_response(checkers, route53, east):
    """RequestInterval: "The number of seconds between the time that Amazon Route 53 gets a
    response from your endpoint and the time that it sends the next health check request."
    (API_HealthCheckConfig): a slow endpoint is probed less often, not back to back."""
    east.delay = 0.3  # slow, but within the 2 s response limit; the interval is 0.5 s here
    health_check_id = _health_check(route53, EAST_API)
    observations = _observed(checkers, health_check_id, 4)
    interval = INTERVAL / SCALE
    for previous, following in itertools.pairwise(observations):
        started = following.time - following.latency
        assert started - previous.time >= interval - 0.05, (previous, following)


def test_only_2xx_and_3xx_are_healthy_and_a_new_health_check_starts_healthy(checkers, route53, east):
    codes = {200: True, 302: True, 404: False, 500: False}
    ids = {}
    for code in codes:
        host = f"api{code}.execute-api.us-east-1.amazonaws.com"
        east.responses[host] = (code, b"")
        ids[code] = _health_check(route53, host)

    for code, healthy in codes.items():
        observations = _observed(checkers, ids[code], THRESHOLD)
        assert {o.status_code for o in observations} == {code}
        assert all(o.success is healthy for o in observations)
        # Healthy until there's enough data: unhealthy at the third failure, not before.
        assert [o.healthy for o in observations[:THRESHOLD]] == (
            [True] * 3 if healthy else [True, True, False]
        )
    assert checkers.observations(ids[500])[0].report == "Failure: HTTP Status Code 500, Internal Server Error"
    assert checkers.observations(ids[302])[0].report.startswith("Success: HTTP Status Code 302")


def test_string_matching_searches_the_first_5120_bytes_of_the_body(checkers, route53, east):
    bodies = {
        "found.execute-api.us-east-1.amazonaws.com": (200, b"x" * 5000 + b"READY" + b"y" * 1000),
        "late.execute-api.us-east-1.amazonaws.com": (200, b"x" * 5117 + b"READY"),  # ends past 5,120
        "error.execute-api.us-east-1.amazonaws.com": (500, b"READY"),
    }
    east.responses.update(bodies)
    ids = {
        host: _health_check(route53, host, Type="HTTP_STR_MATCH", Port=80, SearchString="READY")
        for host in bodies
    }

    verdicts = {host: {o.success for o in _observed(checkers, ids[host], 2)} for host in bodies}

    assert verdicts == {
        "found.execute-api.us-east-1.amazonaws.com": {True},
        "late.execute-api.us-east-1.amazonaws.com": {False},
        "error.execute-api.us-east-1.amazonaws.com": {False},
    }
    assert "search string" in checkers.observations(ids["late.execute-api.us-east-1.amazonaws.com"])[0].report


def test_host_header_carries_a_port_other_than_80_or_443(checkers, route53, east):
    health_check_id = _health_check(route53, EAST_API, Type="HTTP", Port=8080, ResourcePath="/ping")

    _observed(checkers, health_check_id, 1)

    assert (f"{EAST_API}:8080", "/ping") in east.requests


def test_tcp_health_checks_connect_to_the_ip_address(checkers, route53, east):
    def tcp(address: str) -> str:
        return _health_check(route53, None, Type="TCP", IPAddress=address, ResourcePath=None, EnableSNI=None)

    listening, silent, outside = tcp(address_of(EAST)), tcp(address_of(WEST)), tcp("192.0.2.1")

    assert all(o.success for o in _observed(checkers, listening, 2))
    _healthy(checkers, silent, False)
    _healthy(checkers, outside, False)
    assert checkers.status(listening).healthy
    assert checkers.observations(outside)[0].address == "192.0.2.1"  # failed without leaving loopback


def test_an_unresolvable_domain_name_fails(checkers, route53):
    health_check_id = _health_check(route53, "api.nowhere.invalid")

    _healthy(checkers, health_check_id, False)

    assert all(o.address is None and not o.success for o in checkers.observations(health_check_id))


def test_inverted_reports_the_opposite(checkers, route53, east):
    up = _health_check(route53, EAST_API, Inverted=True)
    down = _health_check(route53, "api.nowhere.invalid", Inverted=True)

    _observed(checkers, up, 2)
    wait_for("the inverted failing check healthy", lambda: checkers.status(down).measured_healthy is False)

    assert checkers.status(up).measured_healthy and not checkers.status(up).healthy
    assert checkers.status(down).healthy


def test_disabled_is_healthy_without_probing_and_inverted_too_is_unhealthy(checkers, route53, client):
    disabled = _health_check(route53, "api.nowhere.invalid", Disabled=True)
    forced_down = _health_check(route53, "api.nowhere.invalid", Disabled=True, Inverted=True)
    cloudwatch = client("cloudwatch", EAST)

    # Disabled checks are still published each interval: wait for a few intervals' worth.
    for health_check_id in (disabled, forced_down):
        wait_for("three published datapoints", lambda h=health_check_id: _datapoints(cloudwatch, h, 3))

    assert checkers.observations(disabled) == checkers.observations(forced_down) == []
    assert checkers.status(disabled).healthy
    assert not checkers.status(forced_down).healthy


def test_calculated_counts_its_healthy_children(checkers, route53, east):
    up = _health_check(route53, EAST_API)
    down = _health_check(route53, "api.nowhere.invalid")
    _healthy(checkers, down, False)

    def calculated(threshold: int) -> str:
        return _health_check(
            route53,
            None,
            Type="CALCULATED",
            ChildHealthChecks=[up, down],
            HealthThreshold=threshold,
            **dict.fromkeys(("Port", "ResourcePath", "FailureThreshold", "MeasureLatency", "EnableSNI")),
        )

    ids = {threshold: calculated(threshold) for threshold in (0, 1, 2, 3)}

    wait_for("the calculated checks evaluated", lambda: all(checkers.status(i) for i in ids.values()))
    _healthy(checkers, ids[2], False)
    assert {t: checkers.status(i).healthy for t, i in ids.items()} == {0: True, 1: True, 2: False, 3: False}
    with pytest.raises(ClientError) as error:
        route53.get_health_check_status(HealthCheckId=ids[1])
    assert error.value.response["Error"]["Code"] == "InvalidInput"


def _datapoints(cloudwatch, health_check_id: str, count: int = 1) -> list[dict]:
    now = datetime.now(UTC)
    datapoints = cloudwatch.get_metric_statistics(
        Namespace="AWS/Route53",
        MetricName="HealthCheckStatus",
        Dimensions=[{"Name": "HealthCheckId", "Value": health_check_id}],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1),
        Period=3600,
        Statistics=["Minimum", "Maximum", "SampleCount"],
    )["Datapoints"]
    return datapoints if sum(d["SampleCount"] for d in datapoints) >= count else []


def test_health_check_status_metric_is_published_in_us_east_1(checkers, route53, client, east):
    up = _health_check(route53, EAST_API)
    down = _health_check(route53, "api.nowhere.invalid")
    _healthy(checkers, down, False)
    east_cloudwatch, west_cloudwatch = client("cloudwatch", EAST), client("cloudwatch", WEST)

    [healthy] = wait_for("datapoints", lambda: _datapoints(east_cloudwatch, up, 2))
    [unhealthy] = _datapoints(east_cloudwatch, down)

    assert (healthy["Minimum"], healthy["Maximum"]) == (1.0, 1.0)
    assert (unhealthy["Minimum"], unhealthy["Maximum"]) == (0.0, 1.0)  # healthy until the third failure
    assert _datapoints(west_cloudwatch, up) == []


def test_stop_leaves_nothing_running(endpoint, port):
    before = set(threading.enumerate())
    dns_server = DnsServer(port=0, health=lambda _: True, scale=SCALE, tcp=True)
    checkers = HealthCheckers(port=port, resolve=dns_server.lookup, scale=SCALE)
    dns_server.start()
    checkers.start()
    assert _query(dns_server, EAST_API).rcode() == dns.rcode.NOERROR
    assert _query(dns_server, EAST_API, tcp=True).rcode() == dns.rcode.NOERROR

    checkers.stop()
    dns_server.stop()

    wait_for("the threads gone", lambda: set(threading.enumerate()) <= before, deadline=5)


def test_dns_shares_the_emulator_port_with_moto_udp_only(endpoint):
    """As wired in the emulator: UDP on the port where moto's control plane holds TCP."""
    moto_port = int(endpoint.rsplit(":", 1)[1])
    dns_server = DnsServer(port=moto_port, health=lambda _: True, scale=SCALE)
    dns_server.start()
    try:
        assert dns_server.address == ("127.0.0.1", moto_port) and not dns_server.serves_tcp
        assert _a_records(_query(dns_server, WEST_DOMAIN), WEST_DOMAIN)[0] == [address_of(WEST)]
        assert dns_server.stats()["queries"] == 1
    finally:
        dns_server.stop()
    urllib.request.urlopen(f"{endpoint}/moto-api/data.json")  # moto still answers on TCP


# -- DNS ---------------------------------------------------------------------------------------


def test_failover_answers_the_primary_while_healthy_then_the_secondary(
    checkers, dns_server, route53, east, west
):
    zone_id = _zone(route53)
    primary = _health_check(route53, EAST_API)
    secondary = _health_check(route53, WEST_API)
    _records(
        route53,
        zone_id,
        _failover_alias("PRIMARY", EAST, EAST_DOMAIN, primary),
        _failover_alias("SECONDARY", WEST, WEST_DOMAIN, secondary),
    )
    _observed(checkers, primary, 1)

    response = _query(dns_server, API_NAME)

    assert response.rcode() == dns.rcode.NOERROR and response.flags & dns.flags.AA
    # An alias to API Gateway takes the resource's TTL: 60 s, over the time scale.
    assert _a_records(response, API_NAME) == ([address_of(EAST)], round(EXECUTE_API_TTL / SCALE))
    assert dns_server.resolve(API_NAME).ttl == EXECUTE_API_TTL / SCALE

    east.stop()  # us-east-1 is out: its health check fails, DNS moves to us-west-2
    _healthy(checkers, primary, False)
    assert _a_records(_query(dns_server, API_NAME), API_NAME)[0] == [address_of(WEST)]
    assert dns_server.lookup(API_NAME) == address_of(WEST)

    west.stop()  # both unhealthy: all count as healthy, so the primary
    _healthy(checkers, secondary, False)
    assert _a_records(_query(dns_server, API_NAME), API_NAME)[0] == [address_of(EAST)]
    assert not dns_server.resolve(API_NAME).healthy

    east.start()
    _healthy(checkers, primary, True)
    assert _a_records(_query(dns_server, API_NAME, tcp=True), API_NAME)[0] == [address_of(EAST)]


def test_failover_evaluates_the_alias_target(dns_server, route53):
    """No health check on the records; the primary's alias target does not resolve."""
    zone_id = _zone(route53)
    _records(
        route53,
        zone_id,
        {"Name": f"backend.{ZONE}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.20"}]},
        {
            "Name": API_NAME,
            "Type": "A",
            "SetIdentifier": "primary",
            "Failover": "PRIMARY",
            "AliasTarget": {"HostedZoneId": "Z1", "DNSName": f"gone.{ZONE}", "EvaluateTargetHealth": True},
        },
        {
            "Name": API_NAME,
            "Type": "A",
            "SetIdentifier": "secondary",
            "Failover": "SECONDARY",
            "AliasTarget": {
                "HostedZoneId": "Z1",
                "DNSName": f"backend.{ZONE}.",
                "EvaluateTargetHealth": True,
            },
        },
    )

    answer = dns_server.resolve(API_NAME)

    assert answer.values == ["192.0.2.20"]
    assert answer.ttl == 60 / SCALE  # an alias to a record in the zone takes that record's TTL


def test_dns_keeps_answering_while_a_region_is_out(dns_server, route53):
    """Undocumented, assumed: Route 53's DNS is a global service that a regional outage does not
    take down; the outage shows through health checks, not through the name servers."""
    from local_aws import regions

    _records(
        route53,
        _zone(route53),
        {"Name": f"www.{ZONE}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.7"}]},
    )
    regions.OUTAGES.set(EAST, True)
    try:
        assert _a_records(_query(dns_server, f"www.{ZONE}"), f"www.{ZONE}")[0] == ["192.0.2.7"]
        assert dns_server.resolve(EAST_API).addresses == [address_of(EAST)]
    finally:
        regions.OUTAGES.set(EAST, False)


def test_records_cname_chains_and_aliases(dns_server, route53):
    zone_id = _zone(route53)
    _records(
        route53,
        zone_id,
        {"Name": f"origin.{ZONE}", "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "192.0.2.10"}]},
        {
            "Name": f"www.{ZONE}",
            "Type": "CNAME",
            "TTL": 600,
            "ResourceRecords": [{"Value": f"origin.{ZONE}"}],
        },
        {"Name": f"txt.{ZONE}", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": '"v=spf1 -all"'}]},
        {
            "Name": f"edge.{ZONE}",
            "Type": "A",
            "AliasTarget": {"HostedZoneId": "Z1", "DNSName": WEST_DOMAIN, "EvaluateTargetHealth": False},
        },
        {  # ACM's validation record: its target is outside every hosted zone
            "Name": f"_abc123.api.{ZONE}",
            "Type": "CNAME",
            "TTL": 60,
            "ResourceRecords": [{"Value": "_def456.acm-validations.aws."}],
        },
    )

    www = _query(dns_server, f"www.{ZONE}")
    assert www.rcode() == dns.rcode.NOERROR
    [cname, a] = www.answer
    assert (cname.rdtype, cname[0].target.to_text(), cname.ttl) == (
        dns.rdatatype.CNAME,
        f"origin.{ZONE}.",
        30,
    )
    assert _a_records(www, f"origin.{ZONE}") == (["192.0.2.10"], 15)
    assert a.name.to_text() == f"origin.{ZONE}."

    assert _a_records(_query(dns_server, f"edge.{ZONE}"), f"edge.{ZONE}") == ([address_of(WEST)], 3)
    [txt] = _query(dns_server, f"txt.{ZONE}", "TXT").answer
    assert txt[0].strings == (b"v=spf1 -all",)
    validation = _query(dns_server, f"_abc123.api.{ZONE}")
    assert validation.rcode() == dns.rcode.NOERROR
    assert [r[0].target.to_text() for r in validation.answer] == ["_def456.acm-validations.aws."]


def test_execute_api_names_answer_their_region_address(dns_server):
    response = _query(dns_server, EAST_DOMAIN)

    assert _a_records(response, EAST_DOMAIN) == ([address_of(EAST)], round(EXECUTE_API_TTL / SCALE))
    assert not response.flags & dns.flags.AA  # not a hosted zone's answer
    assert dns_server.resolve(EAST_DOMAIN).addresses == [address_of(EAST)]
    assert dns_server.lookup(WEST_API.upper() + ".") == address_of(WEST)
    assert _query(dns_server, "abc.execute-api.xx-nowhere-9.amazonaws.com").rcode() == dns.rcode.REFUSED


def test_nxdomain_nodata_and_refused(dns_server, route53):
    zone_id = _zone(route53)
    _records(
        route53,
        zone_id,
        {"Name": f"host.deep.{ZONE}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]},
    )

    missing = _query(dns_server, f"missing.{ZONE}")
    assert missing.rcode() == dns.rcode.NXDOMAIN and missing.answer == []
    [soa] = missing.authority
    assert soa.rdtype == dns.rdatatype.SOA and soa.name.to_text() == f"{ZONE}."
    assert soa.ttl == 900 // SCALE  # min(SOA TTL 900, minimum 86400), over the time scale

    other_type = _query(dns_server, f"host.deep.{ZONE}", "AAAA")
    assert other_type.rcode() == dns.rcode.NOERROR and other_type.answer == []
    assert other_type.authority[0].rdtype == dns.rdatatype.SOA
    empty_non_terminal = _query(dns_server, f"deep.{ZONE}")
    assert empty_non_terminal.rcode() == dns.rcode.NOERROR and empty_non_terminal.answer == []

    refused = _query(dns_server, "www.example.org")
    assert refused.rcode() == dns.rcode.REFUSED and not refused.flags & dns.flags.AA


def test_the_longest_matching_zone_answers(dns_server, route53):
    parent, child = _zone(route53, ZONE), _zone(route53, f"sub.{ZONE}")
    _records(
        route53,
        parent,
        {"Name": f"x.sub.{ZONE}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]},
    )
    _records(
        route53,
        child,
        {"Name": f"x.sub.{ZONE}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.2"}]},
    )

    answer = dns_server.resolve(f"x.sub.{ZONE}")

    assert (answer.values, answer.zone) == (["192.0.2.2"], f"sub.{ZONE}")


def test_udp_answers_are_truncated_past_512_bytes_or_the_edns_size_up_to_4096(dns_server, route53):
    """DNSBehavior.html: "responses sent over UDP are no more than 512 bytes in size. Responses
    exceeding 512 bytes are truncated and the resolver must re-issue the request over TCP. If the
    resolver supports EDNS0 [...] Route 53 permits responses up to 4096 bytes over UDP, without
    truncation." So 4096 is the ceiling whatever size the query advertises."""
    zone_id = _zone(route53, f"tc.{ZONE}")
    strings = lambda n: [{"Value": f'"{i:03d}{"x" * 240}"'} for i in range(n)]  # noqa: E731
    _records(
        route53,
        zone_id,
        {"Name": f"mid.tc.{ZONE}", "Type": "TXT", "TTL": 60, "ResourceRecords": strings(8)},  # ~2 KB
        {"Name": f"big.tc.{ZONE}", "Type": "TXT", "TTL": 60, "ResourceRecords": strings(24)},  # ~6 KB
    )
    host, port = dns_server.address

    def ask(name: str, payload: int | None, *, tcp: bool = False) -> dns.message.Message:
        query = dns.message.make_query(name, "TXT", use_edns=0 if payload else False, payload=payload or 512)
        return (dns.query.tcp if tcp else dns.query.udp)(query, host, port=port, timeout=3)

    plain = ask(f"mid.tc.{ZONE}", None)
    assert plain.flags & dns.flags.TC and plain.answer == []
    assert len(ask(f"mid.tc.{ZONE}", 4096).answer[0]) == 8  # EDNS0: up to 4096 bytes, whole
    capped = ask(f"big.tc.{ZONE}", 8192)  # the client offers more than Route 53 sends
    assert capped.flags & dns.flags.TC and capped.answer == []
    whole = ask(f"big.tc.{ZONE}", None, tcp=True)
    assert not whole.flags & dns.flags.TC and len(whole.answer[0]) == 24

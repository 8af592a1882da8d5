"""Route 53 health checkers: probe every health check moto stores, as Route 53's checkers do.

moto 5.2.5 stores health checks but never checks anything: ``GetHealthCheckStatus`` always
answers a canned success and no ``HealthCheckStatus`` metric exists. ``HealthCheckers`` reads
the health checks from moto's in-memory backend (every account) on each cycle and probes their
endpoints through the emulator's data plane; ``apply(checkers)`` makes ``GetHealthCheckStatus``
answer what it saw, and each interval it publishes ``AWS/Route53 HealthCheckStatus`` (1 healthy,
0 unhealthy, dimension ``HealthCheckId``) into moto's CloudWatch in us-east-1, the only region
where Route 53 publishes health-check metrics
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html).

What is modelled, from "How Amazon Route 53 determines whether a health check is healthy"
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html)
and the ``HealthCheckConfig`` reference
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html):

- HTTP / HTTPS: a TCP connection within 4 seconds, then an HTTP status code 2xx or 3xx within
  2 seconds of connecting.
- HTTP_STR_MATCH / HTTPS_STR_MATCH: as HTTP(S), then the response body within the next 2
  seconds, and ``SearchString`` must appear entirely in its first 5,120 bytes.
- TCP: a TCP connection within 10 seconds.
- Probes every ``RequestInterval`` seconds (divided by the emulator's time scale), counted from
  the end of the previous probe ("The number of seconds between the time that Amazon Route 53
  gets a response from your endpoint and the time that it sends the next health check request",
  ``RequestInterval`` in the reference above); the status
  changes after ``FailureThreshold`` consecutive failures, and back after as many consecutive
  successes ("the number of consecutive health checks that an endpoint must pass or fail for
  Amazon Route 53 to change the current status of the endpoint from unhealthy to healthy or vice
  versa", ``FailureThreshold`` in the reference above).
- A new health check is healthy "until there's enough data to determine the actual status"
  (same page): it starts healthy and turns unhealthy after ``FailureThreshold`` failures.
- ``Inverted``: "Route 53 considers the health check to be unhealthy when the status is healthy
  and vice versa" (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-invert.html).
- ``Disabled``: no more requests, and "Route 53 considers the status of the health check to
  always be healthy"; "if you want to stop routing traffic to a resource, change the value of
  Inverted" (``Disabled`` in the reference above), so disabled + inverted is unhealthy.
- The ``Host`` header: ``FullyQualifiedDomainName`` for port 80 (HTTP types) or 443 (HTTPS
  types), ``FullyQualifiedDomainName:Port`` for any other port, ``IPAddress`` in its place when
  there is no domain name (``FullyQualifiedDomainName`` in the reference above). Without an
  ``IPAddress`` the domain name is resolved before each request (same entry).
- CALCULATED: healthy when at least ``HealthThreshold`` child health checks are healthy; 0 is
  always healthy, more than the number of children always unhealthy (``HealthThreshold`` in the
  reference above). ``GetHealthCheckStatus`` refuses calculated health checks
  (https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHealthCheckStatus.html).
- CLOUDWATCH_METRIC: from the metric's data with the alarm criteria the health check holds, never
  the alarm's state (``metric_checks.MetricHealthChecks``); otherwise ``InsufficientDataHealthStatus``.

Where the emulator differs from AWS:

- TLS is not emulated: HTTPS and HTTPS_STR_MATCH probe plain HTTP, like HTTP. AWS does not
  validate the certificate either, so only the handshake itself is missing.
- Every probe goes to the data-plane port given to ``HealthCheckers``, not to the configured
  ``Port`` (which only shapes the ``Host`` header): each region's data plane answers on its own
  loopback address on that one port (``regions.py``). Only loopback addresses are probed; any
  other address fails at once, like an unreachable endpoint.
- One checker location, not AWS's fleet of checkers in several regions whose reports are
  aggregated (healthy when more than 18% of the checkers report healthy): here the one
  checker's verdict is the health check's status, and ``GetHealthCheckStatus`` lists a single
  observation (checker region ``CHECKER_REGION``, address ``CHECKER_ADDRESS``).
- The probe timeouts (``ProbeTimeouts``) are AWS's, not divided by the time scale, so that a
  slow data plane on a loaded machine is not mistaken for a dead one; a probe still in flight
  when its next one is due makes that one skipped.
- A type without a modelled evaluator (RECOVERY_CONTROL) keeps the initial status, healthy: add
  an evaluator to ``HealthCheckers.evaluators`` to model it.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from local_aws.dataplane.metric_checks import MetricHealthChecks
from local_aws.dataplane.periodic import PeriodicThread

CHECKER_REGION = "us-east-1"  # a HealthCheckRegion value; the emulator has one checker
CHECKER_ADDRESS = "127.0.0.1"  # the emulator's own address, where the probes come from
METRICS_REGION = "us-east-1"
NAMESPACE = "AWS/Route53"
METRIC = "HealthCheckStatus"

ENDPOINT_TYPES = frozenset({"HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP"})
STR_MATCH_TYPES = frozenset({"HTTP_STR_MATCH", "HTTPS_STR_MATCH"})
SEARCH_BYTES = 5120  # the search string must be in the body's first 5,120 bytes
DEFAULT_REQUEST_INTERVAL = 30
DEFAULT_FAILURE_THRESHOLD = 3
MIN_INTERVAL = 0.1  # seconds: the floor of a scaled request interval
OBSERVATIONS_KEPT = 100  # per health check
PROBE_WORKERS = 8
METRIC_RETENTION = timedelta(hours=3)  # the published datapoints older than this are dropped
PRUNE_EVERY = 60.0  # seconds between two prunings of old datapoints
MAX_WAIT = 0.5  # seconds: how soon a new or changed health check is noticed

CONNECTION_REFUSED = (
    "Failure: Connection refused. The endpoint or the internet connection is down, or firewall "
    "or anti-spam software is blocking the connection."
)
CONNECTION_TIMED_OUT = (
    "Failure: Connection timed out. The endpoint or the internet connection is down, or requests "
    "are being blocked by your firewall."
)


# evaluator(config, status_of) -> measured status (None: no data); status_of(id) -> another
# health check's reported status (None: unknown).
Evaluator = Callable[[Any, Callable[[str], bool | None]], bool | None]


@dataclass(frozen=True)
class ProbeTimeouts:
    """AWS's limits, in seconds
    (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html)."""

    connect: float = 4.0  # HTTP(S): TCP connection
    response: float = 2.0  # HTTP(S): status code, counted from the connection
    body: float = 2.0  # *_STR_MATCH: the body, counted from the status code
    tcp_connect: float = 10.0  # TCP health checks


@dataclass(frozen=True)
class Observation:
    """One probe by the checker, and the health check's status right after it."""

    time: float  # the checkers' clock when the probe ended
    checked_at: datetime  # naive UTC, as moto stores times
    success: bool
    report: str  # "Success: HTTP Status Code 200, OK", "Failure: Connection refused. ..."
    status_code: int | None = None
    error: str | None = None
    latency: float | None = None  # seconds from the start of the probe to its end
    address: str | None = None  # where the probe went (None: nowhere to go)
    healthy: bool = True  # the health check's status after this observation


@dataclass(frozen=True)
class HealthCheckState:
    """A snapshot of one health check as the checkers see it."""

    health_check_id: str
    account_id: str
    type: str
    healthy: bool  # what Route 53 reports: after Disabled and Inverted
    measured_healthy: bool  # from the probes (or the children) alone
    disabled: bool
    inverted: bool
    consecutive_successes: int
    consecutive_failures: int
    probes: int  # probes finished since the checkers first saw the health check
    last: Observation | None


@dataclass
class _Check:
    health_check_id: str
    account_id: str
    config: Any  # moto's HealthCheck, live: UpdateHealthCheck changes it in place
    next_due: float
    measured_healthy: bool = True  # a new health check is healthy until there's enough data
    consecutive_successes: int = 0
    consecutive_failures: int = 0
    probes: int = 0
    in_flight: bool = False
    observations: deque[Observation] = field(default_factory=lambda: deque(maxlen=OBSERVATIONS_KEPT))


def _health_checks() -> Iterator[tuple[str, Any]]:
    """(account id, HealthCheck) for every health check in moto, all accounts."""
    from moto.route53.models import route53_backends  # noqa: PLC0415 - moto loads after the env is set

    for account_id, per_account in list(route53_backends.items()):
        backend = dict.get(per_account, "aws")  # no lookup by key: that would create a backend
        if backend is not None:
            for health_check in list(backend.health_checks.values()):
                yield account_id, health_check


def _reported(config: Any, measured_healthy: bool) -> bool:
    healthy = True if config.disabled else measured_healthy
    return not healthy if config.inverted else healthy


def _host_header(config: Any) -> str:
    host = config.fqdn or config.ip_address or ""
    default_port = 443 if str(config.type_).startswith("HTTPS") else 80
    port = int(config.port or default_port)
    return host if port == default_port else f"{host}:{port}"


def _phrase(code: int, reason: str) -> str:
    if reason:
        return reason
    with contextlib.suppress(ValueError):
        return HTTPStatus(code).phrase
    return ""


class HealthCheckers:
    """Route 53's health checkers for the emulator: one daemon thread, probes on a small pool.

    ``port``: the data-plane port every probe goes to. ``resolve(host)``: the loopback address
    serving ``host`` (None: unresolvable, the probe fails), e.g. ``DnsServer.lookup``.
    ``scale``: the emulator's time scale (intervals are ``RequestInterval / scale`` seconds).
    ``clock``: monotonic seconds, for the schedule and the observations' ``time``.
    """

    def __init__(
        self,
        *,
        port: int,
        resolve: Callable[[str], str | None],
        scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        timeouts: ProbeTimeouts | None = None,
    ) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.port = port
        self.scale = scale
        self.timeouts = timeouts or ProbeTimeouts()
        self._resolve = resolve
        self._clock = clock
        self._lock = threading.Lock()
        self._checks: dict[str, _Check] = {}
        self._periodic = PeriodicThread(
            "route53-health-checkers", self._cycle, fallback=MAX_WAIT, on_error=self._cycle_failed
        )
        self._pool: ThreadPoolExecutor | None = None
        self._next_prune = 0.0
        self.errors = 0  # cycles or publications that raised (the thread carries on)
        # Health check types judged from other data than a probe: type -> evaluator(config,
        # status_of) -> the measured status, or None when there is no data (the status stays as
        # it was). ``status_of(id)`` is another health check's reported status (None: unknown).
        self.evaluators: dict[str, Evaluator] = {
            "CALCULATED": calculated,
            "CLOUDWATCH_METRIC": MetricHealthChecks(scale=scale),
        }

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        if self._periodic.running:
            raise RuntimeError("health checkers already started")
        self._pool = ThreadPoolExecutor(max_workers=PROBE_WORKERS, thread_name_prefix="route53-probe")
        self._periodic.start()

    def stop(self) -> None:
        """Stop the thread and wait for the probes in flight (each ends within its timeouts)."""
        self._periodic.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        with self._lock:  # a probe cancelled before it ran must not block the next start()
            for check in self._checks.values():
                check.in_flight = False

    def __enter__(self) -> HealthCheckers:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the checkers saw --------------------------------------------------------------

    def status(self, health_check_id: str) -> HealthCheckState | None:
        """The health check's state, None until the checkers have seen it."""
        with self._lock:
            check = self._checks.get(health_check_id)
            if check is None:
                return None
            config = check.config
            return HealthCheckState(
                health_check_id=check.health_check_id,
                account_id=check.account_id,
                type=str(config.type_),
                healthy=_reported(config, check.measured_healthy),
                measured_healthy=check.measured_healthy,
                disabled=bool(config.disabled),
                inverted=bool(config.inverted),
                consecutive_successes=check.consecutive_successes,
                consecutive_failures=check.consecutive_failures,
                probes=check.probes,
                last=check.observations[-1] if check.observations else None,
            )

    def is_healthy(self, health_check_id: str) -> bool:
        """Route 53's verdict; True for a health check the checkers have not seen (yet)."""
        state = self.status(health_check_id)
        return True if state is None else state.healthy

    def status_observations(self, health_check_id: str) -> list[dict[str, Any]]:
        """``GetHealthCheckStatus``'s ``HealthCheckObservations``: the one checker's last one."""
        return [
            {
                "Region": CHECKER_REGION,
                "IPAddress": CHECKER_ADDRESS,
                "StatusReport": {"Status": o.report, "CheckedTime": o.checked_at},
            }
            for o in self.observations(health_check_id)[-1:]
        ]

    def observations(self, health_check_id: str) -> list[Observation]:
        """The last ``OBSERVATIONS_KEPT`` probes' observations, oldest first."""
        with self._lock:
            check = self._checks.get(health_check_id)
            return list(check.observations) if check else []

    # -- the cycle ---------------------------------------------------------------------------

    def _cycle_failed(self) -> None:
        self.errors += 1

    def interval(self, config: Any) -> float:
        """Seconds between two probes of ``config``: its RequestInterval over the time scale."""
        seconds = int(config.request_interval or DEFAULT_REQUEST_INTERVAL)
        return max(MIN_INTERVAL, seconds / self.scale)

    def _cycle(self) -> float:
        """Probe the health checks that are due; return how long to wait for the next one."""
        now = self._clock()
        seen = {hc.id: (account_id, hc) for account_id, hc in _health_checks()}
        probes: list[_Check] = []
        publish: list[tuple[str, str, bool]] = []
        with self._lock:
            self._follow(seen, now)
            for check in self._checks.values():
                self._evaluate(check)
                if now < check.next_due:
                    continue
                check.next_due = now + self.interval(check.config)
                if str(check.config.type_) in ENDPOINT_TYPES and not check.config.disabled:
                    if not check.in_flight:  # else a probe still running: this one is skipped
                        check.in_flight = True
                        probes.append(check)
                else:  # no probe to wait for: the status is published now
                    reported = _reported(check.config, check.measured_healthy)
                    publish.append((check.account_id, check.health_check_id, reported))
            earliest = min((c.next_due for c in self._checks.values()), default=now + MAX_WAIT)
        pool = self._pool
        for check in probes:
            if pool is not None:
                pool.submit(self._probe_and_record, check)
        for account_id, health_check_id, healthy in publish:
            self._publish(account_id, health_check_id, healthy)
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY
            self._prune_metrics()
        return min(max(earliest - now, 0.01), MAX_WAIT)

    def _follow(self, seen: dict[str, tuple[str, Any]], now: float) -> None:
        """Track the health checks moto holds now (lock held): new ones are due at once."""
        for gone in set(self._checks) - set(seen):
            del self._checks[gone]
        for health_check_id, (account_id, config) in seen.items():
            check = self._checks.get(health_check_id)
            if check is None or check.config is not config:
                self._checks[health_check_id] = _Check(health_check_id, account_id, config, next_due=now)

    def _evaluate(self, check: _Check) -> None:
        """Types judged from other data than a probe (lock held)."""
        evaluator = self.evaluators.get(str(check.config.type_))
        if evaluator is not None and not check.config.disabled:
            measured = evaluator(check.config, self._status_of)
            if measured is not None:
                check.measured_healthy = measured

    def _status_of(self, health_check_id: str) -> bool | None:
        """Another health check's reported status; the caller holds the lock (evaluators run
        inside ``_cycle``)."""
        check = self._checks.get(health_check_id)
        return None if check is None else _reported(check.config, check.measured_healthy)

    # -- probes ------------------------------------------------------------------------------

    def _probe_and_record(self, check: _Check) -> None:
        config = check.config
        try:
            observation = self.probe(config)
        except Exception as error:  # a probe that breaks is a failed probe
            observation = Observation(
                time=self._clock(),
                checked_at=_utcnow(),
                success=False,
                report=f"Failure: {error}",
                error=repr(error),
            )
        threshold = max(1, int(config.failure_threshold or DEFAULT_FAILURE_THRESHOLD))
        with self._lock:
            check.in_flight = False
            if self._checks.get(check.health_check_id) is not check:
                return  # deleted (or replaced) while the probe was in flight
            # RequestInterval: "The number of seconds between the time that Amazon Route 53 gets a
            # response from your endpoint and the time that it sends the next health check request."
            check.next_due = max(check.next_due, observation.time + self.interval(config))
            check.probes += 1
            if observation.success:
                check.consecutive_successes += 1
                check.consecutive_failures = 0
                if check.consecutive_successes >= threshold:
                    check.measured_healthy = True
            else:
                check.consecutive_failures += 1
                check.consecutive_successes = 0
                if check.consecutive_failures >= threshold:
                    check.measured_healthy = False
            reported = _reported(config, check.measured_healthy)
            check.observations.append(replace(observation, healthy=reported))
        self._publish(check.account_id, check.health_check_id, reported)

    def probe(self, config: Any) -> Observation:
        """Probe ``config``'s endpoint once, as one Route 53 checker does (no state changes)."""
        started = time.monotonic()
        kind = str(config.type_)
        address = self._target(config)

        def done(success: bool, report: str, **details: Any) -> Observation:
            return Observation(
                time=self._clock(),
                checked_at=_utcnow(),
                success=success,
                report=report,
                latency=time.monotonic() - started,
                address=address,
                **details,
            )

        if address is None:
            what = config.fqdn or config.ip_address
            return done(False, f"Failure: DNS resolution failed for {what}", error="unresolvable")
        if not address.startswith("127."):
            return done(False, CONNECTION_TIMED_OUT, error=f"{address} is not a loopback address")
        connect_timeout = self.timeouts.tcp_connect if kind == "TCP" else self.timeouts.connect
        sock = _connect(address, self.port, connect_timeout)
        if isinstance(sock, tuple):
            report, error = sock
            return done(False, report, error=error)
        try:
            if kind == "TCP":
                return done(True, "Success: TCP connection established")
            return self._http(sock, config, done)
        finally:
            sock.close()

    def _target(self, config: Any) -> str | None:
        if config.ip_address:
            return str(config.ip_address)
        if not config.fqdn:
            return None
        return self._resolve(str(config.fqdn))

    def _http(self, sock: socket.socket, config: Any, done: Callable[..., Observation]) -> Observation:
        connected = time.monotonic()
        connection = http.client.HTTPConnection(sock.getpeername()[0], self.port)
        connection.sock = sock
        sock.settimeout(self.timeouts.response)
        try:
            connection.request("GET", config.resource_path or "/", headers={"Host": _host_header(config)})
            response = connection.getresponse()
            if time.monotonic() - connected > self.timeouts.response:
                raise TimeoutError("no status code in time")
            code = response.status
            status = f"HTTP Status Code {code}, {_phrase(code, response.reason)}"
            if not 200 <= code < 400:
                return done(False, f"Failure: {status}", status_code=code)
            if str(config.type_) in STR_MATCH_TYPES:
                sock.settimeout(self.timeouts.body)
                got_status = time.monotonic()
                body = response.read(SEARCH_BYTES)
                if time.monotonic() - got_status > self.timeouts.body:
                    raise TimeoutError("no body in time")
                if str(config.search_string or "").encode() not in body:
                    return done(
                        False,
                        f"Failure: {status}. The response body didn't contain the search string",
                        status_code=code,
                    )
            return done(True, f"Success: {status}", status_code=code)
        except TimeoutError as error:
            return done(False, CONNECTION_TIMED_OUT, error=f"timeout: {error}")
        except (OSError, http.client.HTTPException) as error:
            return done(False, f"Failure: {error!r}", error=repr(error))
        finally:
            connection.close()

    # -- CloudWatch ------------------------------------------------------------------------

    def _publish(self, account_id: str, health_check_id: str, healthy: bool) -> None:
        try:
            from moto.cloudwatch.models import cloudwatch_backends  # noqa: PLC0415

            cloudwatch_backends[account_id][METRICS_REGION].put_metric_data(
                NAMESPACE,
                [
                    {
                        "MetricName": METRIC,
                        "Dimensions": [{"Name": "HealthCheckId", "Value": health_check_id}],
                        "Value": 1.0 if healthy else 0.0,
                        "Unit": "None",
                        "Timestamp": _utcnow(),
                    }
                ],
            )
        except Exception:
            self.errors += 1

    def _prune_metrics(self) -> None:
        """Drop this module's datapoints older than ``METRIC_RETENTION`` (memory stays bounded).
        Deletes by index from the end: moto only ever appends to the list meanwhile."""
        from moto.cloudwatch.models import cloudwatch_backends  # noqa: PLC0415

        cutoff = _utcnow() - METRIC_RETENTION
        for per_account in list(cloudwatch_backends.values()):
            backend = dict.get(per_account, METRICS_REGION)
            if backend is None:
                continue
            data = backend.metric_data
            stale = [
                i
                for i, datum in enumerate(list(data))
                if datum.namespace == NAMESPACE and datum.name == METRIC and datum.timestamp < cutoff
            ]
            for i in reversed(stale):
                del data[i]


def calculated(config: Any, status_of: Callable[[str], bool | None]) -> bool:
    """CALCULATED: healthy when at least ``HealthThreshold`` children are healthy, so 0 is
    always healthy and more than the number of children never (a child the checkers don't know
    counts as unhealthy). https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html"""
    children = list(config.children or [])
    threshold = int(config.health_threshold or 0)
    return sum(1 for child in children if status_of(child)) >= threshold


def _connect(address: str, port: int, timeout: float) -> socket.socket | tuple[str, str]:
    """A connected socket, or (status report, error) when the connection failed."""
    try:
        return socket.create_connection((address, port), timeout=timeout)
    except TimeoutError:
        return CONNECTION_TIMED_OUT, "connect timeout"
    except ConnectionRefusedError:
        return CONNECTION_REFUSED, "connection refused"
    except OSError as error:
        return f"Failure: {error.strerror or error}", repr(error)


def _utcnow() -> datetime:
    from moto.core.utils import utcnow  # noqa: PLC0415

    return utcnow()


# -- GetHealthCheckStatus (patches/route53_health_check_status.py) ----------------------------


def apply(checkers: HealthCheckers | None) -> None:
    """Make moto's ``GetHealthCheckStatus`` answer what ``checkers`` saw (None: moto's canned
    answer again): here the one checker's last observation, none before its first probe."""
    from local_aws.patches import route53_health_check_status  # noqa: PLC0415 - moto loads first

    route53_health_check_status.apply(checkers.status_observations if checkers else None)

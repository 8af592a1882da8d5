"""Route 53 health checkers: probe every health check moto stores, as Route 53's checkers do.

moto 5.2.5 stores health checks but never checks anything: ``GetHealthCheckStatus`` always
answers a canned success and no ``HealthCheckStatus`` metric exists. ``HealthCheckers`` reads
the health checks from moto's in-memory backend (every account) on each cycle and probes their
endpoints through the emulator's data plane (``health_probe``: the probe itself);
``apply(checkers)`` makes ``GetHealthCheckStatus`` answer what it saw, and each interval it
publishes ``AWS/Route53 HealthCheckStatus`` (``health_metrics``).

What is modelled, from "How Amazon Route 53 determines whether a health check is healthy"
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html)
and the ``HealthCheckConfig`` reference
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html):

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
- CALCULATED: healthy when at least ``HealthThreshold`` child health checks are healthy; 0 is
  always healthy, more than the number of children always unhealthy (``HealthThreshold`` in the
  reference above). ``GetHealthCheckStatus`` refuses calculated health checks
  (https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHealthCheckStatus.html).
- CLOUDWATCH_METRIC: from the metric's data with the alarm criteria the health check holds, never
  the alarm's state (``metric_checks.MetricHealthChecks``); otherwise ``InsufficientDataHealthStatus``.

Where the emulator differs from AWS:

- One checker location, not AWS's fleet of checkers in several regions whose reports are
  aggregated (healthy when more than 18% of the checkers report healthy): here the one
  checker's verdict is the health check's status, and ``GetHealthCheckStatus`` lists a single
  observation (checker region ``CHECKER_REGION``, address ``CHECKER_ADDRESS``).
- A probe still in flight when its next one is due makes that one skipped.
- A type without a modelled evaluator (RECOVERY_CONTROL) keeps the initial status, healthy: add
  an evaluator to ``HealthCheckers.evaluators`` to model it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from lib.regions import GLOBAL
from local_aws.dataplane import health_metrics
from local_aws.dataplane.health_probe import Observation, Prober, ProbeTimeouts, utcnow
from local_aws.dataplane.metric_checks import MetricHealthChecks
from local_aws.dataplane.periodic import PeriodicThread

# The emulator's one checker stands in Route 53's home region (a HealthCheckRegion value).
CHECKER_REGION = GLOBAL
CHECKER_ADDRESS = "127.0.0.1"  # the emulator's own address, where the probes come from

ENDPOINT_TYPES = frozenset({"HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP"})
DEFAULT_REQUEST_INTERVAL = 30
DEFAULT_FAILURE_THRESHOLD = 3
MIN_INTERVAL = 0.1  # seconds: the floor of a scaled request interval
OBSERVATIONS_KEPT = 100  # per health check
PROBE_WORKERS = 8
PRUNE_EVERY = 60.0  # seconds between two prunings of old datapoints
MAX_WAIT = 0.5  # seconds: how soon a new or changed health check is noticed


# evaluator(config, status_of) -> measured status (None: no data); status_of(id) -> another
# health check's reported status (None: unknown).
Evaluator = Callable[[Any, Callable[[str], bool | None]], bool | None]


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
        self._prober = Prober(port=port, resolve=resolve, timeouts=self.timeouts, clock=clock)
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
            health_metrics.prune()
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
                checked_at=utcnow(),
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
        return self._prober.probe(config)

    # -- CloudWatch ------------------------------------------------------------------------

    def _publish(self, account_id: str, health_check_id: str, healthy: bool) -> None:
        try:
            health_metrics.publish(account_id, health_check_id, healthy)
        except Exception:
            self.errors += 1


def calculated(config: Any, status_of: Callable[[str], bool | None]) -> bool:
    """CALCULATED: healthy when at least ``HealthThreshold`` children are healthy, so 0 is
    always healthy and more than the number of children never (a child the checkers don't know
    counts as unhealthy). https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html"""
    children = list(config.children or [])
    threshold = int(config.health_threshold or 0)
    return sum(1 for child in children if status_of(child)) >= threshold


# -- GetHealthCheckStatus (patches/route53_health_check_status.py) ----------------------------


def apply(checkers: HealthCheckers | None) -> None:
    """Make moto's ``GetHealthCheckStatus`` answer what ``checkers`` saw (None: moto's canned
    answer again): here the one checker's last observation, none before its first probe."""
    from local_aws.patches import route53_health_check_status  # noqa: PLC0415 - moto loads first

    route53_health_check_status.apply(checkers.status_observations if checkers else None)

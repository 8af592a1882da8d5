"""One Route 53 health checker's probe of an endpoint (HTTP, HTTPS, the string-matching types, TCP).

What is modelled, from "How Amazon Route 53 determines whether a health check is healthy"
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html)
and the ``HealthCheckConfig`` reference
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html):

- HTTP / HTTPS: a TCP connection within 4 seconds, then an HTTP status code 2xx or 3xx within
  2 seconds of connecting.
- HTTP_STR_MATCH / HTTPS_STR_MATCH: as HTTP(S), then the response body within the next 2
  seconds, and ``SearchString`` must appear entirely in its first 5,120 bytes.
- TCP: a TCP connection within 10 seconds.
- The ``Host`` header: ``FullyQualifiedDomainName`` for port 80 (HTTP types) or 443 (HTTPS
  types), ``FullyQualifiedDomainName:Port`` for any other port, ``IPAddress`` in its place when
  there is no domain name (``FullyQualifiedDomainName`` in the reference above). Without an
  ``IPAddress`` the domain name is resolved before each request (same entry).

Where the emulator differs from AWS:

- TLS is not emulated: HTTPS and HTTPS_STR_MATCH probe plain HTTP, like HTTP. AWS does not
  validate the certificate either, so only the handshake itself is missing.
- Every probe goes to the data-plane port given to ``HealthCheckers``, not to the configured
  ``Port`` (which only shapes the ``Host`` header): each region's data plane answers on its own
  loopback address on that one port (``regions.py``). Only loopback addresses are probed; any
  other address fails at once, like an unreachable endpoint.
- The probe timeouts (``ProbeTimeouts``) are AWS's, not divided by the time scale, so that a
  slow data plane on a loaded machine is not mistaken for a dead one.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any

STR_MATCH_TYPES = frozenset({"HTTP_STR_MATCH", "HTTPS_STR_MATCH"})
SEARCH_BYTES = 5120  # the search string must be in the body's first 5,120 bytes

CONNECTION_REFUSED = (
    "Failure: Connection refused. The endpoint or the internet connection is down, or firewall "
    "or anti-spam software is blocking the connection."
)
CONNECTION_TIMED_OUT = (
    "Failure: Connection timed out. The endpoint or the internet connection is down, or requests "
    "are being blocked by your firewall."
)


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


class Prober:
    """Probes an endpoint once, as one Route 53 checker does (no state kept).

    ``port``: the data-plane port every probe goes to. ``resolve(host)``: the loopback address
    serving ``host`` (None: unresolvable, the probe fails). ``clock``: monotonic seconds, for the
    observations' ``time``.
    """

    def __init__(
        self,
        *,
        port: int,
        resolve: Callable[[str], str | None],
        timeouts: ProbeTimeouts,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.port = port
        self.timeouts = timeouts
        self._resolve = resolve
        self._clock = clock

    def probe(self, config: Any) -> Observation:
        """Probe ``config``'s endpoint once, as one Route 53 checker does (no state changes)."""
        started = time.monotonic()
        kind = str(config.type_)
        address = self._target(config)

        def done(success: bool, report: str, **details: Any) -> Observation:
            return Observation(
                time=self._clock(),
                checked_at=utcnow(),
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


def utcnow() -> datetime:
    from moto.core.utils import utcnow  # noqa: PLC0415

    return utcnow()

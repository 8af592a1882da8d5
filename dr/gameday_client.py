"""The game day's client: it writes payments through the failover name at a steady rate, resolving
the name through DNS and keeping each answer for its TTL, and retries a failed write with the same
``payment_id`` (the API is idempotent on it), so each write is acknowledged once. Every attempt is
recorded: when, which payment, the status, the region that served it.

Each write is signed with SigV4 by the client's ``Signer`` (cli/api_client.py): the failover
name is the same name in both regions, so the signer signs for the region that last answered
(the primary at first) and, refused with "Credential should be scoped to a valid region", re-signs
for the other region of the topology within the same attempt; no call to the region being left
or to any control plane."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cli.api_client import Endpoint, Signer, resolve_with_ttl


class GameDayError(Exception):
    """A scenario could not run or an expectation failed: one line for the user."""


@dataclass
class Attempt:
    at: float
    payment_id: str
    status: int | None  # None: no answer (refused, timed out)
    region: str | None = None


@dataclass
class Client:
    """Writes payments through the failover name at ``rate`` per second, resolving it through
    DNS and honouring the TTL, retrying each write with its own payment_id until acknowledged."""

    url: str
    key: str
    dns_server: tuple[str, int] | None
    rate: float
    max_requests: int
    signer: Signer | None = None  # None: unsigned (the payment routes then answer 403)
    attempts: list[Attempt] = field(default_factory=list)
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> body + "acked_at"
    _stop: threading.Event = field(default_factory=threading.Event)
    _cache: tuple[list[str], float] = ([], 0.0)

    def _address(self) -> str | None:
        addresses, expires = self._cache
        if not addresses or time.monotonic() >= expires:
            host = urlsplit(self.url).hostname or ""
            server, port = self.dns_server if self.dns_server else (None, 53)
            try:
                addresses, ttl = resolve_with_ttl(host, server, port)
            except Exception:  # a DNS failure is a failed request, retried
                return None
            self._cache = (addresses, time.monotonic() + ttl)
        return addresses[0] if addresses else None

    def _write(self, payment_id: str) -> bool:
        body = {"payment_id": payment_id, "amount": "1.00", "currency": "EUR", "customer_id": "gameday"}
        address = self._address()
        status, served = None, None
        if address:
            try:
                endpoint = Endpoint(self.url, self.key, connect_to=address, signer=self.signer)
                response = endpoint.call("POST", "/payments", body)
                status = response.status
                served = response.body.get("region") if isinstance(response.body, dict) else None
                if status in (200, 201):
                    self.acknowledged[payment_id] = {**response.body, "acked_at": time.monotonic()}
            except OSError:
                status = None
        self.attempts.append(Attempt(time.monotonic(), payment_id, status, served))
        return status in (200, 201)

    def run(self) -> None:
        pending: str | None = None
        while not self._stop.is_set() and len(self.attempts) < self.max_requests:
            pending = pending or f"gd-{uuid.uuid4().hex}"
            if self._write(pending):
                pending = None
            self._stop.wait(1 / self.rate)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="gameday-client", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def first_success_from(self, region: str, after: float, timeout: float) -> float:
        """When the first 2xx served by ``region`` after ``after`` arrived (waits for it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for attempt in list(self.attempts):
                if attempt.at >= after and attempt.status in (200, 201) and attempt.region == region:
                    return attempt.at
            time.sleep(0.05)
        raise GameDayError(f"no write was served by {region} within {timeout:.0f} s")

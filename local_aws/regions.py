"""Where each region's data plane answers, which regions are out, and how fast time runs.

Each AWS region's APIs answer on a loopback address of their own, all on one port (the
emulator's), so that what DNS answers decides where a client's request goes, as on AWS:
us-east-1 on 127.0.0.2, us-west-2 on 127.0.0.3, and so on in the order of ``REGIONS``; the DNS
server answers on 127.0.0.1 (UDP, the same port), where moto is the control plane (TCP).

Emulators side by side each take a block of their own (``EMULATOR_ADDRESSES``, the first three
octets, default ``127.0.0``): with ``127.0.7`` the regions answer on 127.0.7.2, 127.0.7.3, ...
and DNS on 127.0.7.1, so one emulator's DNS never sends a client to another's APIs, even at the
same port. moto stays on 127.0.0.1 at the emulator's own port.
"""

from __future__ import annotations

import os
import re
import threading

from lib import regions

# The project's one list of regions (lib/regions.py), in its fixed order: a region's address
# never depends on the stack, and a new region (at the list's end) moves no other.
REGIONS = regions.NAMES
FIRST_HOST = 2  # <block>.1 is the DNS server (and, in the default block, moto's control plane)
DEFAULT_BLOCK = "127.0.0"
_BLOCK = re.compile(r"^127\.(?P<b>\d{1,3})\.(?P<c>\d{1,3})$")


def address_block(environ: dict[str, str] | None = None) -> str:
    """``EMULATOR_ADDRESSES``: the loopback /24 this emulator's regions and DNS answer in."""
    raw = (os.environ if environ is None else environ).get("EMULATOR_ADDRESSES") or DEFAULT_BLOCK
    match = _BLOCK.match(raw)
    if match is None or max(int(match["b"]), int(match["c"])) > 255:
        raise ValueError(f"EMULATOR_ADDRESSES must be a loopback block 127.X.Y (X, Y 0-255), got {raw!r}")
    return raw


try:
    BLOCK = address_block()
except ValueError:  # the server refuses it at start with one line (server.main); clients fall back
    BLOCK = DEFAULT_BLOCK


def dns_address() -> str:
    """Where this emulator's DNS server answers (UDP, on the emulator's port)."""
    return f"{BLOCK}.1"


# {api-id}.execute-api.{region}.amazonaws.com (an API's default endpoint) and
# d-{id}.execute-api.{region}.amazonaws.com (a regional custom domain's target).
EXECUTE_API_HOST = re.compile(r"^(?P<id>[a-z0-9-]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com\.?$")


def address_of(region: str) -> str:
    """The loopback address that serves ``region``'s data plane."""
    if region not in REGIONS:
        raise ValueError(f"no loopback address for region {region!r}")
    return f"{BLOCK}.{FIRST_HOST + REGIONS.index(region)}"


def region_at(address: str) -> str | None:
    """The region whose data plane answers on ``address`` (None: not a region's address)."""
    prefix, _, host = address.rpartition(".")
    if prefix != BLOCK or not host.isdigit():
        return None
    index = int(host) - FIRST_HOST
    return REGIONS[index] if 0 <= index < len(REGIONS) else None


def execute_api_region(host: str) -> str | None:
    """The region of an execute-api host name (None for any other name)."""
    match = EXECUTE_API_HOST.match(host.lower())
    return match["region"] if match and match["region"] in REGIONS else None


class Outages:
    """The regions switched off (``make outage-local``): thread-safe, nothing else changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down: set[str] = set()

    def set(self, region: str, down: bool) -> None:
        if region not in REGIONS:
            raise ValueError(f"unknown region {region!r}")
        with self._lock:
            (self._down.add if down else self._down.discard)(region)

    def is_down(self, region: str | None) -> bool:
        with self._lock:
            return region in self._down

    def down(self) -> list[str]:
        with self._lock:
            return sorted(self._down)


OUTAGES = Outages()


def time_scale(environ: dict[str, str] | None = None) -> float:
    """``EMULATOR_TIME_SCALE``: how many times faster than AWS the emulator's clocks run
    (health-check intervals, DNS TTLs). 1 (AWS's own pace) unless set; CI sets more."""
    raw = (os.environ if environ is None else environ).get("EMULATOR_TIME_SCALE", "1")
    try:
        scale = float(raw)
    except ValueError:
        raise ValueError(f"EMULATOR_TIME_SCALE must be a number >= 1, got {raw!r}") from None
    if not 1 <= scale <= 1000:
        raise ValueError(f"EMULATOR_TIME_SCALE must be between 1 and 1000, got {raw!r}")
    return scale

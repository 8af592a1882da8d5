"""The data plane's endpoints on the emulator's control port, and a client for them (no moto
import: the CLIs and tests load this alone)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

STATUS_PATH = "/_local_aws/dataplane"
OUTAGE_PATH = "/_local_aws/outage"
CALLS_PATH = "/_local_aws/calls"


def _call(request: urllib.request.Request) -> dict[str, Any]:
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())


def status(endpoint: str) -> dict[str, Any]:
    """What the data plane serves: addresses, regions out, time scale, DNS server."""
    return _call(urllib.request.Request(endpoint + STATUS_PATH))


def switch(endpoint: str, region: str, *, down: bool) -> dict[str, Any]:
    """Take ``region`` out (``down``) or bring it back; the status afterwards."""
    return _call(
        urllib.request.Request(
            endpoint + OUTAGE_PATH,
            data=json.dumps({"region": region, "down": down}).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
    )


def calls(endpoint: str) -> dict[str, int]:
    """How many AWS API calls the emulator has served, by ``service/region`` (SigV4 scope): the
    game day proves with it that its recovery path called no Route 53 and nothing in the region
    it left."""
    return _call(urllib.request.Request(endpoint + CALLS_PATH))

"""The data plane's endpoints on the emulator's control port, and a client for them (no moto
import: the CLIs and tests load this alone)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

STATUS_PATH = "/_local_aws/dataplane"
OUTAGE_PATH = "/_local_aws/outage"


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

"""The data plane, started and stopped with the emulator (local_aws/server.py).

One port for everything, as the emulator's (``EMULATOR_PORT``, default 4566):

- 127.0.0.1:<port> TCP: moto (the control plane) and the data plane's own endpoints below;
- <block>.1:<port> UDP: the DNS server (the hosted zones, failover by the checkers' verdicts);
- <block>.2:<port>, <block>.3:<port>, ...: each region's API Gateway stages (regions.py); the
  block is ``EMULATOR_ADDRESSES`` (default 127.0.0), so emulators side by side never share one.

Endpoints on the control port: ``GET /_local_aws/dataplane`` (what is served, which regions
are out, the health checkers' verdicts) and ``POST /_local_aws/outage`` with
``{"region": "us-east-1", "down": true}`` (``make outage-local`` / ``make restore-local``).
While a region is out its API addresses refuse connections and every AWS API call signed for
that region answers 503 ``ServiceUnavailable``, from clients and from the other region's
functions alike; nothing stored is touched, so restoring loses nothing.

What the outage stands for, in AWS's words: "This separation between Regions limits service
failures, when they occur, to a single Region. Other Regions' normal operations are unaffected in
this case." (https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/regions.html);
so only calls signed for the region that is out fail. Their answer is the error common to every
AWS service's API: "ServiceUnavailable: The request has failed due to a temporary failure of the
server. HTTP Status Code: 503" (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/CommonErrors.html,
"the errors common to the API actions of all AWS services"). The switch itself and the endpoints
above are emulator control, with no AWS counterpart (BEHAVIOURS.md E2-E5).
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from local_aws import regions
from local_aws.dataplane import health_checks
from local_aws.dataplane.alarms import AlarmEvaluator
from local_aws.dataplane.apigateway import Gateway, Listeners
from local_aws.dataplane.control import CALLS_PATH, OUTAGE_PATH, STATUS_PATH
from local_aws.dataplane.dns_server import DnsServer
from local_aws.dataplane.health_checks import HealthCheckers
from local_aws.dataplane.lambda_runtime import LambdaRuntime

# SigV4: "Credential=<key>/<date>/<region>/<service>/aws4_request" names the region called.
_SIGNED_REGION = re.compile(r"Credential=[^/,\s]+/\d{8}/(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)/")


class DataPlane:
    def __init__(self, *, port: int, state_dir: Path, scale: float) -> None:
        self.port, self.scale = port, scale
        self.runtime = LambdaRuntime(endpoint_url=f"http://127.0.0.1:{port}", work_dir=state_dir / "lambda")
        self.gateway = Gateway(invoke=self.runtime.invoke)
        self.listeners = Listeners(self.gateway, port, regions.REGIONS)
        # Each needs the other: DNS answers by the checkers' verdicts; the checkers find their
        # targets through DNS (UDP only: moto holds TCP on this port).
        self.dns = DnsServer(host=regions.dns_address(), port=port, health=self._healthy, scale=scale)
        self.checkers = HealthCheckers(port=port, resolve=self.dns.lookup, scale=scale)
        self.alarms = AlarmEvaluator(scale=scale)
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()  # AWS API calls served, by "service/region"

    def _healthy(self, health_check_id: str) -> bool:
        return self.checkers.is_healthy(health_check_id)

    def start(self) -> None:
        self.listeners.start()
        self.dns.start()
        self.alarms.start()
        self.checkers.start()
        health_checks.apply(self.checkers)  # GetHealthCheckStatus answers what they saw

    def stop(self) -> None:
        health_checks.apply(None)
        self.checkers.stop()
        self.alarms.stop()
        self.dns.stop()
        self.listeners.stop()
        self.runtime.close()

    def set_outage(self, region: str, down: bool) -> None:
        with self._lock:
            regions.OUTAGES.set(region, down)
            if down:
                self.listeners.stop(region)
            else:
                self.listeners.start(region)

    def status(self) -> dict[str, Any]:
        return {
            "port": self.port,
            "time_scale": self.scale,
            "dns": f"{regions.dns_address()}:{self.port}/udp",
            "regions_out": regions.OUTAGES.down(),
            "api_addresses": {r: regions.address_of(r) for r in self.listeners.serving()},
        }

    # --- the control port's hooks (server.py) ----------------------------------------
    def intercept(self, environ: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """An answer for this control-port request, or None to let moto handle it."""
        path = environ.get("PATH_INFO", "")
        if path == STATUS_PATH:
            return 200, self.status()
        if path == OUTAGE_PATH:
            return self._outage_request(environ)
        if path == CALLS_PATH:
            with self._lock:
                return 200, dict(sorted(self._calls.items()))
        match = _SIGNED_REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
        if match:
            with self._lock:
                self._calls[f"{match['service']}/{match['region']}"] += 1
        if match and regions.OUTAGES.is_down(match["region"]):
            service, region = match["service"], match["region"]
            return 503, {
                "__type": "ServiceUnavailable",
                "message": f"{service} in {region} is unavailable (emulated regional outage)",
            }
        return None

    def _outage_request(self, environ: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if environ.get("REQUEST_METHOD") != "POST":
            return 405, {"error": 'POST {"region": ..., "down": true|false}'}
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            document = json.loads(environ["wsgi.input"].read(length) or b"{}")
            region, down = document["region"], document["down"]
            if not isinstance(down, bool):
                raise TypeError("down must be true or false")
            self.set_outage(region, down)
        except (ValueError, KeyError, TypeError) as error:
            return 400, {"error": f"bad outage request: {error}"}
        return 200, self.status()

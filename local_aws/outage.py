"""Switch a region of the local emulator off and on (``make outage-local`` / ``make restore-local``).

    python -m local_aws.outage down us-east-1    its API addresses refuse connections, its services answer 503
    python -m local_aws.outage up us-east-1      back, with everything it held

The switch is the emulator's (local_aws/dataplane/plane.py): nothing stored changes, so
restoring loses nothing. Prints which regions are out afterwards.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
from urllib.parse import urlsplit

import dns.exception

from cli.api_client import Endpoint, resolve
from local_aws import emulator
from local_aws.dataplane.control import switch
from local_aws.dataplane.regions import REGIONS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("state", choices=("down", "up"))
    parser.add_argument("region", help="a region name, e.g. us-east-1")
    args = parser.parse_args(argv)
    if args.region not in REGIONS:
        parser.error(f"unknown region {args.region!r} (e.g. us-east-1, us-west-2)")
    if not emulator.running():
        parser.error("the local emulator is not running: run `make deploy-local` first")
    endpoint = emulator.endpoint_env()["AWS_ENDPOINT_URL"]
    try:
        status = switch(endpoint, args.region, down=args.state == "down")
    except (urllib.error.URLError, OSError, ValueError) as error:
        print(f"error: the emulator did not take the switch: {error}", file=sys.stderr)
        return 1
    out = ", ".join(status["regions_out"]) or "none"
    print(f"{args.region} is {'OUT' if args.state == 'down' else 'back'}; regions out: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def time_to_serve_from(
    failover_url: str,
    dns_server: tuple[str, int],
    address: str,
    role: str,
    *,
    timeout: float,
    poll: float = 0.1,
) -> float:
    """Seconds until the failover name resolves (through the emulator's DNS) to ``address`` and
    its /health, reached there, answers 200 from ``role``; TimeoutError after ``timeout``."""
    host = urlsplit(failover_url).hostname or ""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            answer = resolve(host, *dns_server)
            if answer and answer[0] == address:
                health = Endpoint(failover_url, connect_to=address).call("GET", "/health", with_key=False)
                if health.status == 200 and health.body.get("role") == role:
                    return time.monotonic() - started
        except (OSError, dns.exception.DNSException):
            pass  # the old region refusing connections, a DNS timeout: keep polling
        time.sleep(poll)
    raise TimeoutError(f"{host} did not answer from the {role} ({address}) within {timeout:.0f} s")

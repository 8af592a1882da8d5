"""Switch a region of the local emulator off and on (``make outage-local`` / ``make restore-local``).

    python -m flows.outage down us-east-1    its API addresses refuse connections, its services answer 503
    python -m flows.outage up us-east-1      back, with everything it held

The switch is the emulator's (local_aws/dataplane/plane.py): nothing stored changes, so
restoring loses nothing. Prints which regions are out afterwards.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error

from local_aws import emulator
from local_aws.dataplane.control import switch
from local_aws.regions import REGIONS


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

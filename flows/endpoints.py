"""Where the locally deployed API answers, and how to call it from this machine.

    python -m flows.endpoints write      cfn-outputs/local-endpoints.json, and curl commands
    python -m flows.endpoints resolve N  the address the emulator's DNS server answers for N
    python -m flows.endpoints api-key    the client API key's value (from the emulator)

``make deploy-local`` runs ``write``. Each region's stage answers on its own loopback address
at the emulator's port, and the failover name resolves through the emulator's DNS server (UDP,
same port) to whichever region Route 53's records and health checks choose; both addresses are
the running emulator's own (its status endpoint: ``EMULATOR_ADDRESSES`` picks its block).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.config import Config

from cli.outputs_file import FLAT_OUTPUTS, OutputsError, load_outputs, topology_of
from lib.regions import ROLES
from local_aws import emulator
from local_aws.dataplane import control

ROOT = Path(__file__).resolve().parents[1]
LOCAL_ENDPOINTS = ROOT / "cfn-outputs" / "local-endpoints.json"
NEEDED = (
    "topology",
    *(f"{role}_{name}" for role in ROLES for name in ("api_endpoint", "api_key_id")),
    "failover_domain_name",
)
STAGE_URL_PATH = "/restapis/{api}/{stage}/_user_request_"


def local_endpoints(outputs: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    """The stage base URLs reachable from this machine, the failover URL and the DNS server, from
    the running emulator's ``status`` (``dataplane/control.status``: its port, its DNS server and
    each region's API address)."""
    port, addresses = int(status["port"]), status["api_addresses"]
    endpoints: dict[str, Any] = {}
    for role, region in topology_of(outputs).roles:
        url = urlsplit(outputs[f"{role}_api_endpoint"])  # https://{api}.execute-api.{region}.amazonaws.com/v1
        api = (url.hostname or "").split(".", 1)[0]
        stage = url.path.strip("/")
        if region not in addresses:
            raise LookupError(f"the emulator serves no API address for {region}")
        stage_path = STAGE_URL_PATH.format(api=api, stage=stage)
        endpoints[f"{role}_api_url"] = f"http://{addresses[region]}:{port}{stage_path}"
        endpoints[f"{role}_region"] = region
        endpoints[f"{role}_address"] = addresses[region]
    name = outputs.get("failover_domain_name") or ""
    endpoints["failover_api_url"] = f"http://{name}:{port}" if name else ""
    endpoints["dns_server"] = str(status["dns"]).removesuffix("/udp")
    return endpoints


def curl_commands(endpoints: dict[str, Any]) -> str:
    python = ".venv/bin/python -m flows.endpoints"
    body = '{"amount": "10.50", "currency": "EUR", "customer_id": "c-1"}'
    key, json_type = '-H "x-api-key: $KEY"', "-H 'content-type: application/json'"
    primary, secondary = endpoints["primary_api_url"], endpoints["secondary_api_url"]
    lines = [
        "Call the API (each region's stage on its own loopback address; the failover name through",
        f"the emulator's DNS server, UDP {endpoints['dns_server']}):",
        f"  KEY=$({python} api-key)",
        f"  curl {primary}/health",
        f"  curl {secondary}/health",
        f"  curl {key} {json_type} -d '{body}' {primary}/payments      # create in the primary",
        f"  curl {key} {secondary}/customers/c-1/payments               # read it in the secondary",
    ]
    failover = endpoints["failover_api_url"]
    if failover:
        host = urlsplit(failover).hostname
        port = urlsplit(failover).port
        lines += [
            "  # the failover name, wherever DNS sends it now (make outage-local REGION=... moves it)",
            f"  AT={host}:{port}:$({python} resolve {host})",
            f'  curl --resolve "$AT" {failover}/health',
            f"  curl --resolve \"$AT\" {key} {json_type} -d '{body}' {failover}/payments",
            f'  curl --resolve "$AT" {key} {failover}/customers/c-1/payments',
        ]
    return "\n".join(lines)


def resolve(name: str, dns_server: str) -> list[str]:
    """Ask the emulator's DNS server (UDP, ``address:port``) for the A records of ``name``."""
    import dns.rcode  # noqa: PLC0415 - only for this command

    from cli.api_client import ask  # noqa: PLC0415

    address, _, port = dns_server.rpartition(":")
    answer = ask(name, address, int(port), timeout=3)
    if answer.rcode() != dns.rcode.NOERROR:
        raise LookupError(f"{name}: {dns.rcode.to_text(answer.rcode())} from the emulator's DNS server")
    addresses = [item.to_text() for rrset in answer.answer for item in rrset if rrset.rdtype == 1]
    if not addresses:
        raise LookupError(f"{name}: no A record")
    return addresses


def api_key_value(outputs: dict[str, Any], env: dict[str, str]) -> str:
    """The client key's value from the emulator (cli/api_client.client_api_key: the first
    region that answers)."""
    import boto3  # noqa: PLC0415

    from cli.api_client import client_api_key  # noqa: PLC0415

    def client(service: str, region: str) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=env["AWS_ENDPOINT_URL"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            config=Config(retries={"max_attempts": 1}),
        )

    return client_api_key(outputs, topology_of(outputs), client)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write", help="write local-endpoints.json and print curl commands")
    write.add_argument("--outputs", type=Path, default=FLAT_OUTPUTS)
    write.add_argument("--out", type=Path, default=LOCAL_ENDPOINTS)
    lookup = commands.add_parser("resolve", help="the address the emulator's DNS server answers for NAME")
    lookup.add_argument("name")
    key = commands.add_parser("api-key", help="the client API key's value, from the emulator")
    key.add_argument("--outputs", type=Path, default=FLAT_OUTPUTS)
    args = parser.parse_args(argv)
    if not emulator.running():
        parser.error("the local emulator is not running: run `make deploy-local` first")
    env = emulator.endpoint_env()
    try:
        status = control.status(env["AWS_ENDPOINT_URL"])
        if args.command == "resolve":
            print(resolve(args.name, str(status["dns"]).removesuffix("/udp"))[0])
            return 0
        outputs = load_outputs(args.outputs, list(NEEDED))
        if args.command == "api-key":
            print(api_key_value(outputs, {**os.environ, **env}))
            return 0
        endpoints = local_endpoints(outputs, status)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(endpoints, indent=2, sort_keys=True) + "\n")
        print(f"Local endpoints ({args.out}):")
        for name in ("primary_api_url", "secondary_api_url", "failover_api_url", "dns_server"):
            print(f"  {name:<20} {endpoints[name]}")
        print()
        print(curl_commands(endpoints))
    except (OutputsError, LookupError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

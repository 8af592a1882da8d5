#!/usr/bin/env python3
"""Call the locally deployed API over HTTP: the emulator's stage of a region, as a client would.

The emulator's data plane serves each region's deployed stage on a loopback address
(local-endpoints.json, written by `make deploy-local` beside the outputs); this sends the
request there with the client API key (read from the emulator), signed with SigV4 for that
region as the local caller (its key in local-endpoints.json: flows/endpoints.py, signing:
cli/api_client.py), and prints the answer.

    call_api.py METHOD PATH [BODY] [--region primary|secondary]
    call_api.py POST /payments '{"amount": "10.50", "currency": "EUR", "customer_id": "c-1"}'
    call_api.py GET '/customers/c-1/payments?limit=5' --region secondary
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import boto3

from cli.api_client import (
    CredentialsError,
    Endpoint,
    Signer,
    caller_credentials,
    client_api_key,
    local_endpoints,
)
from cli.outputs_file import FLAT_OUTPUTS, OutputsError, load_outputs, topology_of
from lib.regions import ROLES
from local_aws import emulator

ROOT = Path(__file__).resolve().parents[1]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


NEEDED = ("{role}_api_key_id", "topology")


def read_outputs(path: Path, role: str) -> tuple[dict[str, str], str]:
    """The outputs of a deployment of this stack and the region of ``role``: one-line errors for
    an empty, truncated, non-UTF-8, foreign or stale file."""
    outputs = load_outputs(path, [name.format(role=role) for name in NEEDED])
    return outputs, topology_of(outputs).region(role)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Call the locally deployed payments API over HTTP.")
    parser.add_argument("method", type=str.upper, choices=METHODS)
    parser.add_argument("path", help="e.g. /payments or '/customers/c-1/payments?limit=5'")
    parser.add_argument("body", nargs="?", help="JSON request body")
    parser.add_argument("--region", choices=ROLES, default=ROLES[0])
    parser.add_argument("--outputs", type=Path, default=FLAT_OUTPUTS)
    args = parser.parse_args(argv)
    if not args.path.startswith("/"):
        parser.error("PATH must start with '/'")
    if not args.outputs.is_file():
        parser.error(f"{args.outputs} does not exist: run `make deploy-local` first")
    if not emulator.running():
        parser.error("the local emulator is not running: run `make deploy-local` first")
    try:
        outputs, region = read_outputs(args.outputs, args.region)
        local = local_endpoints(args.outputs)
        stage_url = local[f"{args.region}_api_url"]
        signer = Signer(caller_credentials(local), (region,))
    except (OutputsError, OSError, ValueError, KeyError, CredentialsError) as error:
        parser.error(f"{error}")
    os.environ.update(emulator.endpoint_env())
    try:
        key = client_api_key(
            outputs,
            topology_of(outputs),
            lambda service, name: boto3.client(service, region_name=name),
            roles=(args.region,),
        )
    except LookupError as error:
        print(f"error: cannot read the API key from the emulator: {error}", file=sys.stderr)
        return 1
    url = urlsplit(args.path)
    response = Endpoint(stage_url, key, signer=signer).call(
        args.method,
        url.path,
        raw=args.body.encode() if args.body is not None else None,
        query=dict(parse_qsl(url.query)) or None,
        headers={"Content-Type": "application/json"} if args.body is not None else None,
    )
    print(f"HTTP {response.status} ({args.region}, {region})", file=sys.stderr)
    print(json.dumps(response.body, indent=2))
    return 0 if response.status < 400 else 1


if __name__ == "__main__":
    sys.exit(main())

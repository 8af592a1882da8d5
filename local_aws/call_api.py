#!/usr/bin/env python3
"""Call the locally deployed API: the deployed handler code, run in-process.

moto stores the Lambda functions but cannot execute them without Docker, so this builds the
API Gateway proxy event the function would receive and runs `lib/lambda/handler.py` (the
code that was zipped) against the deployed table and bucket in the emulator.

    call_api.py METHOD PATH [BODY] [--region primary|secondary]
    call_api.py POST /payments '{"amount": "10.50", "currency": "EUR", "customer_id": "c-1"}'
    call_api.py GET '/customers/c-1/payments?limit=5' --region secondary
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from cli.outputs_file import OutputsError, load_outputs, region_of
from local_aws import emulator
from local_aws.handler_loader import load_handler, proxy_event

ROOT = Path(__file__).resolve().parents[1]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


NEEDED = ("dynamodb_table_name", "{role}_bucket_name", "{role}_kms_key_arn")


def read_outputs(path: Path, role: str) -> tuple[dict[str, str], str]:
    """The outputs of a deployment of this stack and the region of ``role``: one-line errors for
    an empty, truncated, non-UTF-8, foreign or stale file."""
    outputs = load_outputs(path, [name.format(role=role) for name in NEEDED])
    return outputs, region_of(outputs[f"{role}_kms_key_arn"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Call the locally deployed payments API.")
    parser.add_argument("method", type=str.upper, choices=METHODS)
    parser.add_argument("path", help="e.g. /payments or '/customers/c-1/payments?limit=5'")
    parser.add_argument("body", nargs="?", help="JSON request body")
    parser.add_argument("--region", choices=("primary", "secondary"), default="primary")
    parser.add_argument("--outputs", type=Path, default=ROOT / "cfn-outputs" / "flat-outputs.json")
    args = parser.parse_args(argv)
    if not args.path.startswith("/"):
        parser.error("PATH must start with '/'")
    if not args.outputs.is_file():
        parser.error(f"{args.outputs} does not exist: run `make deploy-local` first")
    if not emulator.running():
        parser.error("the local emulator is not running: run `make deploy-local` first")

    try:
        outputs, region = read_outputs(args.outputs, args.region)
    except OutputsError as error:
        parser.error(str(error))
    os.environ.update(emulator.endpoint_env())
    handler = load_handler(
        TABLE_NAME=outputs["dynamodb_table_name"],
        BUCKET_NAME=outputs[f"{args.region}_bucket_name"],
        REGION_ROLE=args.region,
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
    )
    url = urlsplit(args.path)
    event = proxy_event(args.method, url.path, body=args.body, query=dict(parse_qsl(url.query)))
    with contextlib.redirect_stdout(sys.stderr):  # the handler's log lines are not the answer
        response = handler.handler(event, None)
    print(f"HTTP {response['statusCode']} ({args.region}, {region})", file=sys.stderr)
    print(json.dumps(json.loads(response["body"]), indent=2))
    return 0 if response["statusCode"] < 400 else 1


if __name__ == "__main__":
    sys.exit(main())

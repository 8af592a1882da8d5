#!/usr/bin/env python3
"""Find (and with --fix, write) the receipts of accepted payments that have none.

    python -m dr.reconcile_receipts [--outputs cfn-outputs/flat-outputs.json] [--fix]

How every accepted payment gets its receipt: the handler writes the receipt right after the
table. If that write fails (or there is no time left for it), the client gets 503 with
Retry-After and its retry, idempotent on payment_id or Idempotency-Key, finds the payment and
writes the missing receipt. A client that never retries leaves a payment without a receipt:
this scan finds those. A receipt belongs in the bucket of the region that accepted the payment
(replication copies it to the other). The check and the write are the handler's own
(``_receipt_missing``, ``_public_record``, ``_put_receipt``, loaded from lib/lambda/handler.py),
so a healed receipt is byte-identical to one written on time.

Exit 0 when every payment has its receipt (or --fix wrote the missing ones), 1 when some are
missing, 2 on bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from cli.args import ArgumentParser
from cli.handler_loader import load_handler
from cli.outputs_file import FLAT_OUTPUTS, OutputsError, load_outputs, topology_of
from lib.regions import ROLES

NEEDED = ("topology", "dynamodb_table_name", *(f"{role}_bucket_name" for role in ROLES))
MODULE_NAME = "payments_handler_for_reconcile"


def reconcile(outputs: dict[str, Any], *, fix: bool, handler: ModuleType | None = None) -> list[str]:
    """The payment ids without a receipt (written when ``fix``): the handler's own head and put
    (``_receipt_missing``, ``_put_receipt``), so key, body and content type are the handler's."""
    handler = handler or load_handler(module_name=MODULE_NAME)
    topology = topology_of(outputs)
    primary_region = topology.primary
    settings = {}
    for role, region in topology.roles:
        settings[region] = handler.Settings(
            table=None,  # the scan below reads the table; the receipt calls use only S3
            s3=boto3.client("s3", region_name=region),
            bucket=outputs[f"{role}_bucket_name"],
            table_name=outputs["dynamodb_table_name"],
            region=region,
            role=role,
        )
    dynamodb = boto3.client("dynamodb", region_name=primary_region)  # raw items, deserialized below
    missing: list[str] = []
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=outputs["dynamodb_table_name"], ConsistentRead=True
    )
    for page in pages:
        for raw in page.get("Items", []):
            item = {k: handler._DESERIALIZER.deserialize(v) for k, v in raw.items()}
            cfg = settings.get(item.get("region"), settings[primary_region])
            if not handler._receipt_missing(cfg, item["payment_id"]):
                continue
            missing.append(item["payment_id"])
            if fix:
                handler._put_receipt(cfg, handler._public_record(item))
    return sorted(missing)


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outputs", type=Path, default=FLAT_OUTPUTS)
    parser.add_argument("--fix", action="store_true", help="write the missing receipts")
    args = parser.parse_args(argv)
    try:
        missing = reconcile(load_outputs(args.outputs, NEEDED), fix=args.fix)
    except OutputsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as error:
        print(f"error: cannot read the deployment ({type(error).__name__}: {error})", file=sys.stderr)
        return 2
    if not missing:
        print("every payment has its receipt")
        return 0
    verb = "wrote" if args.fix else "missing"
    print(f"{verb} {len(missing)} receipt(s): {', '.join(missing[:20])}{' ...' if len(missing) > 20 else ''}")
    return 0 if args.fix else 1


if __name__ == "__main__":
    sys.exit(main())

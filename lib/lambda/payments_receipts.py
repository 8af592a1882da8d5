"""A payment's public record (what clients see) and its receipt: that record as JSON in this
region's bucket, under the contract's receipt key. dr/reconcile_receipts.py uses the same check
and write, so a receipt it heals is byte-identical to one written on time."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError
from payments_contract import CENT, PUBLIC_FIELDS, RECEIPT_KEY
from payments_runtime import Settings, _aws

MISSING_OBJECT_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


def _public_record(item: dict[str, Any]) -> dict[str, Any]:
    record = {name: item[name] for name in PUBLIC_FIELDS if name in item}
    record["amount"] = str(item["amount"].quantize(CENT))
    return record


def _receipt_key(payment_id: str) -> str:
    return RECEIPT_KEY.format(payment_id=payment_id)


def _put_receipt(cfg: Settings, record: dict[str, Any]) -> None:
    """The receipt of ``record`` (its public fields) in this region's bucket."""
    _aws(
        cfg.s3.put_object,
        Bucket=cfg.bucket,
        Key=_receipt_key(record["payment_id"]),
        Body=json.dumps(record, sort_keys=True).encode("utf-8"),
        ContentType="application/json",
    )


def _receipt_missing(cfg: Settings, payment_id: str) -> bool:
    try:
        _aws(cfg.s3.head_object, Bucket=cfg.bucket, Key=_receipt_key(payment_id))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in MISSING_OBJECT_CODES:
            raise
        return True
    return False


def _ensure_receipt(cfg: Settings, record: dict[str, Any]) -> None:
    """Heal a request that failed between the DynamoDB write and the S3 write."""
    if _receipt_missing(cfg, record["payment_id"]):
        _put_receipt(cfg, record)

"""The API contract (contract.json, shipped in this package) and the names, limits and patterns
the handler reads from it. The stack builds the API Gateway routes and request model from the
same file (lib/api_contract.py)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

CONTRACT = json.loads((Path(__file__).parent / "contract.json").read_text())
_BODY = CONTRACT["create_payment"]
GSI_NAME = CONTRACT["customer_index"]
RECEIPT_KEY = CONTRACT["receipt_key"]  # "receipts/{payment_id}.json"
# The WAF in front of the API blocks bodies over 8 KB (AWSManagedRulesCommonRuleSet,
# SizeRestrictions_BODY): the handler enforces the same limit for any other caller.
MAX_BODY_BYTES = CONTRACT["max_body_bytes"]
MAX_AMOUNT = Decimal(_BODY["amount_max"])
CENT = Decimal("0.01")
DEFAULT_LIMIT, MAX_LIMIT = CONTRACT["limit"]["default"], CONTRACT["limit"]["max"]
ID_RE = re.compile(_BODY["id_characters"] + "+")
PAYMENT_ID_MAX, CUSTOMER_ID_MAX = _BODY["payment_id_max"], _BODY["customer_id_max"]
DESCRIPTION_MAX = _BODY["description_max"]
CURRENCY_RE = re.compile(_BODY["currency_pattern"])
AMOUNT_STRING_RE = re.compile(_BODY["amount_string_pattern"])
LIMIT_RE = re.compile(CONTRACT["limit"]["pattern"])
ALLOWED_FIELDS = frozenset(_BODY["required"] + _BODY["optional"])
REQUIRED_FIELDS = tuple(_BODY["required"])
# What clients (and S3 receipts) see; the request_fingerprint attribute stays internal.
PUBLIC_FIELDS = tuple(CONTRACT["public_fields"])
IDEMPOTENCY_KEY_RE = re.compile(CONTRACT["idempotency_key_pattern"])
# The stamp on every item the handler writes: which function and request wrote it, and when.
STAMP = CONTRACT["write_stamp"]
STAMP_BY, STAMP_AT, STAMP_BY_FORMAT = STAMP["by"], STAMP["at"], STAMP["by_format"]

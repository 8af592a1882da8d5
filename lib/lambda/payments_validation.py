"""Parsing and validation of the API Gateway proxy event and of a create-payment request: the
event's shape, the request id, the Content-Type, the body (base64, size, UTF-8, strict JSON with
Decimals), ids, amounts, the list limit, field names and the Idempotency-Key header. Every
refusal is an ``ApiError`` carrying the client-facing status and message."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from payments_contract import (
    ALLOWED_FIELDS,
    AMOUNT_STRING_RE,
    CENT,
    CURRENCY_RE,
    CUSTOMER_ID_MAX,
    DESCRIPTION_MAX,
    ID_RE,
    IDEMPOTENCY_KEY_RE,
    LIMIT_RE,
    MAX_AMOUNT,
    MAX_LIMIT,
    PAYMENT_ID_MAX,
    REQUIRED_FIELDS,
)


class ApiError(Exception):
    """A failure with a client-facing status and message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


@dataclass(frozen=True)
class Request:
    """The validated parts of an API Gateway proxy event."""

    method: str
    path: str
    headers: dict[str, Any]
    query: dict[str, Any]
    body: str | None
    is_base64: bool
    request_id: str
    params: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- request parsing

_EVENT_FIELDS: tuple[tuple[str, tuple[type, ...], str], ...] = (
    ("httpMethod", (str,), "a string"),
    ("path", (str,), "a string"),
    ("headers", (dict, type(None)), "an object or null"),
    ("queryStringParameters", (dict, type(None)), "an object or null"),
    ("body", (str, type(None)), "a string or null"),
    ("isBase64Encoded", (bool, type(None)), "a boolean or null"),
)


def _parse_event(event: Any, request_id: str) -> Request:
    if not isinstance(event, dict):
        raise ApiError(400, "Malformed request event: expected an object")
    for name, types, expected in _EVENT_FIELDS:
        if not isinstance(event.get(name), types):
            raise ApiError(400, f"Malformed request event: {name} must be {expected}")
    path = event["path"]
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return Request(
        method=event["httpMethod"],
        path=path,
        headers={str(k).lower(): v for k, v in (event.get("headers") or {}).items()},
        query=event.get("queryStringParameters") or {},
        body=event.get("body"),
        is_base64=bool(event.get("isBase64Encoded")),
        request_id=request_id,
    )


def _request_id(event: Any, context: Any) -> str:
    ctx = event.get("requestContext") if isinstance(event, dict) else None
    request_id = ctx.get("requestId") if isinstance(ctx, dict) else None
    if not isinstance(request_id, str) or not request_id:
        request_id = getattr(context, "aws_request_id", None)
    return request_id if isinstance(request_id, str) and request_id else "unknown"


class _BadJson(Exception):
    pass


def _reject_constant(name: str) -> Any:
    raise _BadJson(f"Invalid JSON: {name} is not allowed")


def _parse_float(text: str) -> Decimal:
    if "e" in text or "E" in text:
        raise _BadJson("Invalid JSON: numbers in exponent notation are not allowed")
    return Decimal(text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _BadJson(f"Invalid JSON: duplicate key {json.dumps(key[:64])}")
        obj[key] = value
    return obj


def _check_content_type(request: Request) -> None:
    value = request.headers.get("content-type")
    if value is None:
        return
    if not isinstance(value, str):
        raise ApiError(400, "Content-Type header must be a string")
    media_type, *params = value.split(";")
    if media_type.strip().lower() != "application/json":
        raise ApiError(415, "Unsupported Content-Type: use application/json")
    for param in params:
        name, _, param_value = param.partition("=")
        charset = param_value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise ApiError(415, "Unsupported charset: use utf-8")


def _json_body(request: Request, *, max_bytes: int) -> Any:
    """Decode the body (base64, size: at most ``max_bytes``, UTF-8) and parse it as strict JSON
    with Decimals."""
    _check_content_type(request)
    if not request.body:
        raise ApiError(400, "Request body is required")
    try:
        raw = (
            base64.b64decode(request.body, validate=True)
            if request.is_base64
            else request.body.encode("utf-8")
        )
    except ValueError as exc:  # binascii.Error, non-ASCII base64 input, lone surrogates
        what = "valid base64" if request.is_base64 else "valid UTF-8"
        raise ApiError(400, f"Request body is not {what}") from exc
    if len(raw) > max_bytes:
        raise ApiError(413, f"Request body exceeds {max_bytes} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "Request body is not valid UTF-8") from exc
    try:
        return json.loads(
            text,
            parse_float=_parse_float,
            parse_int=Decimal,
            parse_constant=_reject_constant,
            object_pairs_hook=_unique_keys,
        )
    except _BadJson as exc:
        raise ApiError(400, str(exc)) from exc
    except json.JSONDecodeError as exc:
        message = f"Invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise ApiError(400, message) from exc
    except RecursionError as exc:
        raise ApiError(400, "Invalid JSON: nesting too deep") from exc


# --------------------------------------------------------------------------- validation


def _check_id(value: Any, name: str, max_len: int) -> str:
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be a string")
    if len(value) > max_len or not ID_RE.fullmatch(value):
        raise ApiError(400, f"{name} must be 1-{max_len} characters of A-Z, a-z, 0-9, _ or -")
    return value


def _parse_amount(value: Any) -> Decimal:
    """Validate an amount given as a JSON number or a digit string; return it quantized."""
    if isinstance(value, Decimal):  # JSON numbers are parsed as Decimal; bools never are
        amount = value
    elif isinstance(value, str):
        if not AMOUNT_STRING_RE.fullmatch(value):
            raise ApiError(400, 'amount string must be digits with an optional fraction, e.g. "10.50"')
        amount = Decimal(value)
    else:
        raise ApiError(400, "amount must be a JSON number or a numeric string")
    if amount <= 0:
        raise ApiError(400, "amount must be greater than 0")
    if amount > MAX_AMOUNT:
        raise ApiError(400, f"amount must not exceed {MAX_AMOUNT}")
    quantized = amount.quantize(CENT)
    if quantized != amount:
        raise ApiError(400, "amount must have at most 2 decimal places")
    return quantized


def _parse_limit(raw_limit: Any) -> int:
    """The ``limit`` query parameter of a list: an integer from 1 to MAX_LIMIT."""
    if not isinstance(raw_limit, str) or not LIMIT_RE.fullmatch(raw_limit):
        raise ApiError(400, f"limit must be an integer between 1 and {MAX_LIMIT}")
    limit = int(raw_limit)
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, f"limit must be an integer between 1 and {MAX_LIMIT}")
    return limit


def _field_name(name: str) -> str:
    """A client's field name as an error message shows it: at most 64 characters, and a lone
    surrogate (valid in a JSON escape, not Unicode text) spelled as that escape."""
    return name[:64].encode("utf-8", "backslashreplace").decode("utf-8")


def _validate_payment(body: Any) -> dict[str, Any]:
    """Return the canonical validated request (amount as a 2-place Decimal)."""
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object")
    unknown = sorted(set(body) - ALLOWED_FIELDS)
    if unknown:
        raise ApiError(400, "Unknown field(s): " + ", ".join(map(_field_name, unknown)))
    missing = [name for name in REQUIRED_FIELDS if name not in body]
    if missing:
        raise ApiError(400, "Missing required field(s): " + ", ".join(missing))
    payment = {
        "payment_id": _check_id(body.get("payment_id", uuid.uuid4().hex), "payment_id", PAYMENT_ID_MAX),
        "amount": _parse_amount(body["amount"]),
        "currency": body["currency"],
        "customer_id": _check_id(body["customer_id"], "customer_id", CUSTOMER_ID_MAX),
    }
    if not isinstance(payment["currency"], str) or not CURRENCY_RE.fullmatch(payment["currency"]):
        raise ApiError(400, "currency must be a 3-letter uppercase ISO 4217 code, e.g. EUR")
    if "description" in body:
        description = body["description"]
        if not isinstance(description, str):
            raise ApiError(400, "description must be a string")
        if len(description) > DESCRIPTION_MAX:
            raise ApiError(400, f"description must be at most {DESCRIPTION_MAX} characters")
        try:
            description.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ApiError(400, "description must be valid Unicode text") from exc
        payment["description"] = description
    return payment


def _idempotent_id(request: Request, body: Any) -> Any:
    """The body, with the payment_id an ``Idempotency-Key`` header stands for (if one is sent):
    the same key always means the same payment."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return body
    if not isinstance(key, str) or not IDEMPOTENCY_KEY_RE.fullmatch(key):
        raise ApiError(400, "Idempotency-Key must be 8-128 characters of A-Z, a-z, 0-9, _ . : or -")
    if not isinstance(body, dict):
        return body  # refused as a non-object next
    if "payment_id" in body:
        raise ApiError(400, "Send either a payment_id or an Idempotency-Key header, not both")
    return {**body, "payment_id": "key-" + hashlib.sha256(key.encode()).hexdigest()[:40]}

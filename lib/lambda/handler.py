"""Payments API: AWS Lambda handler for API Gateway REST proxy events (payload v1).

Routes
    POST /payments                               create a payment (idempotent on payment_id)
    GET  /payments/{payment_id}                  fetch one payment
    GET  /customers/{customer_id}/payments       newest payments of a customer (?limit=1..100)
    GET  /health                                 table + bucket reachability

Environment: TABLE_NAME, BUCKET_NAME, REGION_ROLE (primary|secondary) from the stack;
AWS_REGION from the Lambda runtime. Money is always ``Decimal``, never ``float``.

Retries are safe: a POST is idempotent on ``payment_id``, or, without one, on the
``Idempotency-Key`` header (the same key and body give the same payment; another body is 409).
A transient AWS failure (throttling, 5xx, timeouts, or too little time left in the invocation
for another AWS call) answers 503 with ``Retry-After``: retrying then is always safe.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeDeserializer
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

# The API contract (routes, fields, limits, names) ships in this package: contract.json, which
# the stack also builds the API Gateway routes and request model from.
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
THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",  # DynamoDB
        "ThrottlingException",  # DynamoDB
        "RequestLimitExceeded",  # DynamoDB (account-level, on-demand tables)
        "Throttling",  # generic AWS query-protocol code
        "SlowDown",  # S3
    }
)
# Failures of AWS, not of the request: the same request may well succeed a moment later.
TRANSIENT_CODES = THROTTLING_CODES | {
    "InternalServerError",  # DynamoDB
    "InternalFailure",
    "InternalError",  # S3
    "ServiceUnavailable",
    "RequestTimeout",  # S3
    "RequestTimeoutException",
}
TRANSIENT_EXCEPTIONS = (ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError, ConnectionClosedError)
THROTTLED_MESSAGE = "Service temporarily unavailable, retry later"
RETRY_AFTER = "1"  # seconds; the SDK has already retried once
MISSING_OBJECT_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
REQUIRED_ENV = ("TABLE_NAME", "BUCKET_NAME", "REGION_ROLE", "AWS_REGION")
REGION_ROLES = ("primary", "secondary")

# The retry budget must end inside the function's timeout with room for a clean answer: one
# AWS call costs at most CALL_BUDGET_SECONDS (2 attempts x (connect + read) + the standard
# mode's first backoff, at most 1 s), and no call starts with less than that left (a 503 instead).
CONNECT_TIMEOUT, READ_TIMEOUT, MAX_ATTEMPTS, MAX_BACKOFF = 0.5, 1.5, 2, 1.0
CALL_BUDGET_SECONDS = MAX_ATTEMPTS * (CONNECT_TIMEOUT + READ_TIMEOUT) + MAX_BACKOFF
ANSWER_MARGIN_SECONDS = 0.5
BOTO_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
)
IDEMPOTENCY_KEY_RE = re.compile(CONTRACT["idempotency_key_pattern"])


def _log(level: str, kind: str, **fields: Any) -> None:
    """Write one structured JSON log line to stdout (captured by CloudWatch Logs)."""
    print(json.dumps({"level": level, "type": kind, **fields}, default=str))


def _create_clients() -> tuple[Any, Any]:
    """Create the boto3 clients once per execution environment; never raise at import."""
    try:
        session = boto3.session.Session(region_name=os.environ.get("AWS_REGION") or None)
        dynamodb = session.resource("dynamodb", config=BOTO_CONFIG)
        s3 = session.client("s3", config=BOTO_CONFIG)
    except BotoCoreError as exc:  # e.g. NoRegionError: reported per request as a config fault
        _log("ERROR", "client_init_failed", error_type=type(exc).__name__)
        return None, None
    return dynamodb, s3


_DYNAMODB, _S3 = _create_clients()
_DESERIALIZER = TypeDeserializer()


class ApiError(Exception):
    """A failure with a client-facing status and message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


class ConfigError(Exception):
    """The function is deployed without the configuration it needs (a server fault)."""


class NoTimeLeft(Exception):
    """Too little of the invocation is left to finish another AWS call and still answer."""


# The Lambda context of the invocation being handled (it tells the time left); one invocation
# at a time per execution environment.
_invocation: Any = None


def _aws(call: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Make an AWS call only if its whole retry budget fits in the invocation's time left."""
    remaining_ms = getattr(_invocation, "get_remaining_time_in_millis", None)
    if callable(remaining_ms) and remaining_ms() / 1000 < CALL_BUDGET_SECONDS + ANSWER_MARGIN_SECONDS:
        raise NoTimeLeft()
    return call(*args, **kwargs)


@dataclass(frozen=True)
class Settings:
    """Per-request view of the configuration and AWS handles."""

    table: Any
    s3: Any
    bucket: str
    table_name: str
    region: str
    role: str


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


def _settings() -> Settings:
    values = {name: os.environ.get(name, "").strip() for name in REQUIRED_ENV}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ConfigError("missing environment variables: " + ", ".join(missing))
    if values["REGION_ROLE"] not in REGION_ROLES:
        raise ConfigError("REGION_ROLE must be one of: " + ", ".join(REGION_ROLES))
    if _DYNAMODB is None or _S3 is None:
        raise ConfigError("AWS clients could not be created at import (no region?)")
    return Settings(
        table=_DYNAMODB.Table(values["TABLE_NAME"]),
        s3=_S3,
        bucket=values["BUCKET_NAME"],
        table_name=values["TABLE_NAME"],
        region=values["AWS_REGION"],
        role=values["REGION_ROLE"],
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- responses


def _response(status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {
            "Content-Type": "application/json",
            "Cache-Control": "no-store",
            **(headers or {}),
        },
        "body": json.dumps(payload),
    }


def _error(error: ApiError) -> dict[str, Any]:
    return _response(error.status, {"error": error.message}, error.headers)


def _internal_error(request_id: str) -> dict[str, Any]:
    return _response(500, {"error": "Internal server error", "request_id": request_id})


def _unexpected(request_id: str, route: str, exc: Exception, code: str | None) -> dict[str, Any]:
    """Log one structured line (type and code only, no message or trace) and answer 500."""
    _log(
        "ERROR",
        "unhandled_error",
        request_id=request_id,
        route=route,
        error_type=type(exc).__name__,
        error_code=code,
    )
    return _internal_error(request_id)


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


def _json_body(request: Request) -> Any:
    """Decode the body (base64, size, UTF-8) and parse it as strict JSON with Decimals."""
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
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"Request body exceeds {MAX_BODY_BYTES} bytes")
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


# --------------------------------------------------------------------------- records


def _public_record(item: dict[str, Any]) -> dict[str, Any]:
    record = {name: item[name] for name in PUBLIC_FIELDS if name in item}
    record["amount"] = str(item["amount"].quantize(CENT))
    return record


def _fingerprint(payment: dict[str, Any]) -> str:
    canonical = json.dumps(payment, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


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


# --------------------------------------------------------------------------- routes


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


def create_payment(request: Request) -> dict[str, Any]:
    payment = _validate_payment(_idempotent_id(request, _json_body(request)))
    cfg = _settings()
    fingerprint = _fingerprint(payment)
    item = {
        **payment,
        "created_at": _utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "status": "ACCEPTED",
        "region": cfg.region,
        "request_fingerprint": fingerprint,
    }
    try:
        _aws(
            cfg.table.put_item,
            Item=item,
            ConditionExpression="attribute_not_exists(payment_id)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        stored = {k: _DESERIALIZER.deserialize(v) for k, v in exc.response["Item"].items()}
        if stored.get("request_fingerprint") != fingerprint:
            raise ApiError(409, "payment_id already exists with a different request") from exc
        record = _public_record(stored)
        _ensure_receipt(cfg, record)
        return _response(200, record)
    record = _public_record(item)
    _put_receipt(cfg, record)
    return _response(201, record)


def get_payment(request: Request) -> dict[str, Any]:
    payment_id = _check_id(request.params["payment_id"], "payment_id", PAYMENT_ID_MAX)
    cfg = _settings()
    item = _aws(cfg.table.get_item, Key={"payment_id": payment_id}, ConsistentRead=True).get("Item")
    if item is None:
        raise ApiError(404, "Payment not found")
    return _response(200, _public_record(item))


def list_customer_payments(request: Request) -> dict[str, Any]:
    customer_id = _check_id(request.params["customer_id"], "customer_id", CUSTOMER_ID_MAX)
    raw_limit = request.query.get("limit", str(DEFAULT_LIMIT))
    if not isinstance(raw_limit, str) or not LIMIT_RE.fullmatch(raw_limit):
        raise ApiError(400, f"limit must be an integer between 1 and {MAX_LIMIT}")
    limit = int(raw_limit)
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, f"limit must be an integer between 1 and {MAX_LIMIT}")
    cfg = _settings()
    result = _aws(
        cfg.table.query,
        IndexName=GSI_NAME,
        KeyConditionExpression=Key("customer_id").eq(customer_id),
        ScanIndexForward=False,
        Limit=limit,
    )
    return _response(200, {"items": [_public_record(item) for item in result.get("Items", [])]})


def health(request: Request) -> dict[str, Any]:
    cfg = _settings()
    try:
        _aws(cfg.table.meta.client.describe_table, TableName=cfg.table_name)
        _aws(cfg.s3.head_bucket, Bucket=cfg.bucket)
    except (ClientError, BotoCoreError, NoTimeLeft) as exc:
        _log("WARN", "health_check_failed", request_id=request.request_id, error_type=type(exc).__name__)
        return _response(503, {"status": "unavailable", "region": cfg.region, "role": cfg.role})
    return _response(200, {"status": "ok", "region": cfg.region, "role": cfg.role})


RouteFn = Callable[[Request], dict[str, Any]]
# What serves each route of the contract (a contract route without a function fails the import).
ROUTE_FUNCTIONS: dict[tuple[str, str], RouteFn] = {
    ("POST", "/payments"): create_payment,
    ("GET", "/payments/{payment_id}"): get_payment,
    ("GET", "/customers/{customer_id}/payments"): list_customer_payments,
    ("GET", "/health"): health,
}


def _routes() -> tuple[tuple[re.Pattern[str], str, dict[str, RouteFn]], ...]:
    """(path pattern, route template, functions by method), in the contract's order."""
    by_template: dict[str, dict[str, RouteFn]] = {}
    for route in CONTRACT["routes"]:
        key = (route["method"], route["path"])
        by_template.setdefault(route["path"], {})[route["method"]] = ROUTE_FUNCTIONS[key]
    return tuple(
        (re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)), template, methods)
        for template, methods in by_template.items()
    )


ROUTES = _routes()


# --------------------------------------------------------------------------- entry point


def _match(path: str) -> tuple[str, dict[str, RouteFn] | None, dict[str, str]]:
    """Find the route for a path: (route template, handlers by method, path parameters)."""
    for pattern, template, methods in ROUTES:
        match = pattern.fullmatch(path)
        if match is not None:
            return template, methods, match.groupdict()
    return "unmatched", None, {}


def _transient(request_id: str, route: str, kind: str, code: str) -> dict[str, Any]:
    _log("WARN", kind, request_id=request_id, route=route, error_code=code)
    return _error(ApiError(503, THROTTLED_MESSAGE, {"Retry-After": RETRY_AFTER}))


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point: route the event and turn every outcome into an HTTP response."""
    global _invocation  # noqa: PLW0603 - one invocation at a time per execution environment
    started = time.monotonic()
    _invocation = context
    request_id = _request_id(event, context)
    method = event.get("httpMethod") if isinstance(event, dict) else None
    route = "unmatched"
    try:
        request = _parse_event(event, request_id)
        route, methods, params = _match(request.path)
        if methods is None:
            raise ApiError(404, "Not found")
        if request.method not in methods:
            raise ApiError(405, "Method not allowed", {"Allow": ", ".join(sorted(methods))})
        response = methods[request.method](replace(request, params=params))
    except ApiError as exc:
        response = _error(exc)
    except ConfigError as exc:
        _log("ERROR", "config_error", request_id=request_id, route=route, detail=str(exc))
        response = _internal_error(request_id)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if code in THROTTLING_CODES:
            response = _transient(request_id, route, "throttled", code)
        elif code in TRANSIENT_CODES or status >= 500:
            response = _transient(request_id, route, "transient", code)
        else:
            response = _unexpected(request_id, route, exc, code)
    except TRANSIENT_EXCEPTIONS as exc:
        response = _transient(request_id, route, "transient", type(exc).__name__)
    except NoTimeLeft:
        response = _transient(request_id, route, "transient", "NoTimeLeft")
    except Exception as exc:  # the one place that turns surprises into a 500
        response = _unexpected(request_id, route, exc, None)
    _log(
        "INFO",
        "access",
        request_id=request_id,
        method=method if isinstance(method, str) else None,
        route=route,
        status=response["statusCode"],
        duration_ms=round((time.monotonic() - started) * 1000, 3),
    )
    return response

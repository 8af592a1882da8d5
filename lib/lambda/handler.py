"""Payments API: AWS Lambda handler for API Gateway REST proxy events (payload v1).

Routes
    POST /payments                               create a payment (idempotent on payment_id)
    GET  /payments/{payment_id}                  fetch one payment
    GET  /customers/{customer_id}/payments       newest payments of a customer (?limit=1..100)
    GET  /health                                 table + bucket reachability

Environment: TABLE_NAME, BUCKET_NAME, REGION_ROLE (primary|secondary) from the stack;
AWS_REGION and AWS_LAMBDA_FUNCTION_NAME from the Lambda runtime. Money is always ``Decimal``,
never ``float``. Every item written carries the contract's write stamp (``written_by``: this
function and the request id; ``written_at``): dr/restore.py tells the API's writes by it.

Retries are safe: a POST is idempotent on ``payment_id``, or, without one, on the
``Idempotency-Key`` header (the same key and body give the same payment; another body is 409).
A transient AWS failure (throttling, 5xx, timeouts, or too little time left in the invocation
for another AWS call) answers 503 with ``Retry-After``: retrying then is always safe.

This module routes and answers; its siblings in the package (imported from the task root) hold
the contract's limits (payments_contract), parsing and validation (payments_validation), the
public record and the S3 receipt (payments_receipts), and the clients, the time budget and the
log (payments_runtime).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

# The package's own modules (on the import path with the handler). A name marked "re-exported"
# is read on this module, not used by it: by the tests (the contract and the retry budget the
# stack must agree with: tests/unit/test_api_contract.py, test_regional_api.py), by
# dr/reconcile_receipts.py (the handler's own receipt check) and by dr/restore_compare.py (the
# fields and the cent a request's fingerprint is computed over).
from payments_contract import (
    ALLOWED_FIELDS,  # noqa: F401 - re-exported
    CENT,  # noqa: F401 - re-exported
    CONTRACT,
    CURRENCY_RE,  # noqa: F401 - re-exported
    CUSTOMER_ID_MAX,
    DEFAULT_LIMIT,
    GSI_NAME,
    MAX_BODY_BYTES,
    PAYMENT_ID_MAX,
    PUBLIC_FIELDS,  # noqa: F401 - re-exported
    REQUIRED_FIELDS,  # noqa: F401 - re-exported
    STAMP_AT,
    STAMP_BY,
    STAMP_BY_FORMAT,
)
from payments_receipts import (
    _ensure_receipt,
    _public_record,
    _put_receipt,
    _receipt_key,  # noqa: F401 - re-exported
    _receipt_missing,  # noqa: F401 - re-exported
)
from payments_runtime import (
    ANSWER_MARGIN_SECONDS,  # noqa: F401 - re-exported
    BOTO_CONFIG,  # noqa: F401 - re-exported
    CALL_BUDGET_SECONDS,  # noqa: F401 - re-exported
    MAX_ATTEMPTS,  # noqa: F401 - re-exported
    MAX_BACKOFF,  # noqa: F401 - re-exported
    NoTimeLeft,
    Settings,
    _aws,
    _begin_invocation,
    _create_clients,
    _log,
)
from payments_validation import (
    ApiError,
    Request,
    _check_id,
    _idempotent_id,
    _json_body,
    _parse_event,
    _parse_limit,
    _request_id,
    _validate_payment,
)

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
REQUIRED_ENV = ("TABLE_NAME", "BUCKET_NAME", "REGION_ROLE", "AWS_REGION")
REGION_ROLES = ("primary", "secondary")

_DYNAMODB, _S3 = _create_clients()
_DESERIALIZER = TypeDeserializer()


class ConfigError(Exception):
    """The function is deployed without the configuration it needs (a server fault)."""


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


def _stamp(request: Request, written_at: str) -> dict[str, str]:
    """Who wrote an item and when: this function (Lambda's ``AWS_LAMBDA_FUNCTION_NAME``) and the
    request, in the contract's ``write_stamp`` attributes. dr/restore.py keeps a payment created
    after its restore point only when it carries this stamp (the API never changes or deletes a
    payment once created, so any other write is not the API's)."""
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "").strip() or "unknown"
    by = STAMP_BY_FORMAT.format(function_name=function_name, request_id=request.request_id)
    return {STAMP_BY: by, STAMP_AT: written_at}


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


def _fingerprint(payment: dict[str, Any]) -> str:
    canonical = json.dumps(payment, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- routes


def create_payment(request: Request) -> dict[str, Any]:
    payment = _validate_payment(_idempotent_id(request, _json_body(request, max_bytes=MAX_BODY_BYTES)))
    cfg = _settings()
    fingerprint = _fingerprint(payment)
    created_at = _utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    item = {
        **payment,
        "created_at": created_at,
        "status": "ACCEPTED",
        "region": cfg.region,
        "request_fingerprint": fingerprint,
        **_stamp(request, created_at),
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
    limit = _parse_limit(request.query.get("limit", str(DEFAULT_LIMIT)))
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
    started = time.monotonic()
    _begin_invocation(context)
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

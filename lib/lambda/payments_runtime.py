"""The handler's execution environment: the boto3 clients and their retry budget, the time left
in the invocation being handled (no AWS call starts without time to finish it), the per-request
view of the configuration, and the structured log."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError

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


class NoTimeLeft(Exception):
    """Too little of the invocation is left to finish another AWS call and still answer."""


# The Lambda context of the invocation being handled (it tells the time left); one invocation
# at a time per execution environment.
_invocation: Any = None


def _begin_invocation(context: Any) -> None:
    """Make ``context`` the invocation whose time left bounds the AWS calls (see ``_aws``)."""
    global _invocation  # noqa: PLW0603 - one invocation at a time per execution environment
    _invocation = context


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

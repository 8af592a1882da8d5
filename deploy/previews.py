#!/usr/bin/env python3
"""Pull-request preview environments left behind: the scheduled sweep's list of what to destroy.

    python -m deploy.previews stale --bucket B --region R --open 12 15 [--max 20]

A preview is the environment ENVIRONMENT_SUFFIX=pr<N> of pull request N; its S3 backend state is
``TapStackpr<N>/terraform.tfstate`` in the state bucket (lib/tap_stack.py). It is stale when that
state still holds resources (a destroyed environment leaves its state with ``"resources": []``)
and pull request N is not among ``--open``. Prints ONE line of JSON, the stale suffixes by pull
request number, oldest first, at most ``--max`` (a workflow's matrix): ``["pr7","pr9"]``; the
rest wait for the next run. ``--open`` is required, even empty, so that a forgotten list never
makes every open pull request's preview stale.

Read-only (s3:ListBucket, s3:GetObject). Exit 2 on bad arguments, 1 when S3 cannot be read; one
line on stderr either way.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cli.args import ArgumentParser
from lib import regions
from lib.config import BUCKET_NAME_RE

PREFIX = "TapStackpr"
STATE_KEY = re.compile(rf"^{PREFIX}([1-9][0-9]*)/terraform\.tfstate$")
MAX_DEFAULT = 20
MAX_LIMIT = 256  # GitHub Actions: a matrix makes at most 256 jobs per workflow run
NUMBER = re.compile(r"[0-9]{1,9}")
BOTO = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=20)

ClientFactory = Callable[[str, str], Any]


class PreviewError(Exception):
    """S3 could not be read; the message is one line for the user."""


def bucket_problem(name: str) -> str | None:
    """Why ``name`` is not a general-purpose S3 bucket name (None: it is one): the stack's own
    pattern (lib/config.py), then the rules it leaves out
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)."""
    if not BUCKET_NAME_RE.match(name):
        return "3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"
    if ".." in name:
        return "no two adjacent dots"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        return "not formatted as an IP address"
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or name.endswith(("-s3alias", "--ol-s3")):
        return "no prefix xn--, sthree- or amzn-s3-demo-, no suffix -s3alias or --ol-s3 (reserved by S3)"
    return None


def preview_number(key: str) -> int | None:
    """The pull request whose preview state ``key`` is (None: not a preview's state)."""
    match = STATE_KEY.match(key)
    return int(match.group(1)) if match else None


def holds_resources(state: bytes) -> bool:
    """Whether a state still holds resources; one that cannot be read counts as holding some, so
    that its destroy fails where people look instead of the sweep forgetting it."""
    try:
        parsed = json.loads(state)
    except ValueError:
        return True
    return not isinstance(parsed, dict) or parsed.get("resources") != []


def stale(
    bucket: str, region: str, open_prs: Iterable[int], client: ClientFactory, limit: int = MAX_DEFAULT
) -> tuple[list[str], int]:
    """The stale previews' suffixes (oldest first, at most ``limit``) and how many were left out."""
    s3 = client("s3", region)
    still_open = set(open_prs)
    found: list[int] = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PREFIX):
            for item in page.get("Contents", []):
                number = preview_number(item["Key"])
                if number is None or number in still_open:
                    continue
                body = _state(s3, bucket, item["Key"])
                if body is not None and holds_resources(body):
                    found.append(number)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code") or "error"
        raise PreviewError(
            f"cannot read the state bucket {bucket} ({code}): the role needs s3:ListBucket and "
            f"s3:GetObject on {PREFIX}*"
        ) from None
    except BotoCoreError as error:
        raise PreviewError(
            f"cannot reach the state bucket {bucket} ({type(error).__name__}: {error})"
        ) from None
    found.sort()
    return [f"pr{n}" for n in found[:limit]], max(0, len(found) - limit)


def _state(s3: Any, bucket: str, key: str) -> bytes | None:
    """The state's bytes (None: deleted since it was listed)."""
    try:
        return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise


def _positive(text: str) -> int:
    if not NUMBER.fullmatch(text) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a pull request number (a positive integer)")
    return int(text)


def _limit(text: str) -> int:
    if not NUMBER.fullmatch(text) or not 1 <= int(text) <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to {MAX_LIMIT}")
    return int(text)


def main(argv: list[str] | None = None, client: ClientFactory | None = None) -> int:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("stale",))
    parser.add_argument("--bucket", required=True, help="the Terraform state bucket")
    parser.add_argument("--region", required=True, help="the state bucket's region")
    parser.add_argument(
        "--open", required=True, nargs="*", type=_positive, metavar="N", help="open pull requests"
    )
    parser.add_argument("--max", type=_limit, default=MAX_DEFAULT, help=f"at most (default {MAX_DEFAULT})")
    args = parser.parse_args(argv)
    problem = bucket_problem(args.bucket)
    if problem:
        parser.error(f"--bucket {args.bucket!r} is not an S3 bucket name: {problem}")
    if args.region not in regions.KNOWN:
        parser.error(f"--region {args.region!r} is not an AWS region name like {regions.DEFAULT_PRIMARY!r}")
    factory = client or (lambda service, region: boto3.client(service, region_name=region, config=BOTO))
    try:
        suffixes, left = stale(args.bucket, args.region, args.open, factory, args.max)
    except PreviewError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if left:
        print(f"note: {left} more stale preview(s) left for the next run (--max {args.max})", file=sys.stderr)
    print(json.dumps(suffixes, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())

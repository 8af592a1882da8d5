#!/usr/bin/env python3
"""Before a REAL AWS deploy/destroy: refuse emulator settings, require working credentials."""

from __future__ import annotations

import os
import sys

import boto3
from botocore.exceptions import BotoCoreError, ClientError


def main() -> int:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        print(
            f"error: AWS_ENDPOINT_URL={endpoint} is set; `make deploy` targets real AWS "
            "(use `make deploy-local` for the local emulator, or unset it)",
            file=sys.stderr,
        )
        return 1
    try:
        identity = boto3.client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        print(
            f"error: no usable AWS credentials ({type(error).__name__}): configure "
            "AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY first",
            file=sys.stderr,
        )
        return 1
    print(f"deploying as {identity['Arn']} (account {identity['Account']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

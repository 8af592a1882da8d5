#!/usr/bin/env python3
"""Check, or re-encrypt in place, the Terraform state with the state bucket's KMS key (issue 25).

    python -m deploy.state_encryption check   --bucket B --region R --key-arn K [--prefix P]
    python -m deploy.state_encryption migrate --bucket B --region R --key-arn K [--prefix P] [--apply]

Until TERRAFORM_STATE_KEY_ARN, Terraform's S3 backend wrote the state and its lock file with
``x-amz-server-side-encryption: AES256`` (lib/tap_stack.py ``_backend`` quotes the source), so
every state in the bucket is SSE-S3, not the bucket's key. ``check`` reads every current object
under the prefix (HeadObject) and lists, one line each, those not encrypted with the key (exit 1)
or says that all are (exit 0). ``migrate`` prints what it would re-encrypt (a dry run) and, with
``--apply``, re-encrypts each of them by copying it onto itself:

- S3's CopyObject: "When you perform a CopyObject operation, if you want to use a different type
  of encryption setting for the target object, you can specify appropriate encryption-related
  headers to encrypt the target object with an Amazon S3 managed key, a KMS key, or a
  customer-provided key. If the encryption setting in your request is different from the default
  encryption configuration of the destination bucket, the encryption setting in your request
  takes precedence." (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html); an
  object may be its own source: "The only way to modify object metadata is to make a copy of the
  object and set the metadata. To do so, in the copy operation, set the same object as the source
  and target." (https://docs.aws.amazon.com/AmazonS3/latest/userguide/copy-object.html), and S3
  refuses a self-copy only "without changing the object's metadata, storage class, website
  redirect location or encryption attributes" (its InvalidRequest message). ``MetadataDirective
  COPY`` keeps the content type and user metadata.
- ``CopySourceIfMatch`` = the ETag HeadObject returned: "Copies the object if its entity tag
  (ETag) matches the specified tag." (API_CopyObject.html), "otherwise return a 412
  (precondition failed)". A state a Terraform run wrote meanwhile is never overwritten with the
  older content: that object is reported and left for the next run.
- A ``*.tflock`` object is a held lock (Terraform deletes it on release): never touched; release
  it (let the run finish, or ``terraform force-unlock``) and run again.
- The bucket is versioned: each copy is a new version; the previous AES256 versions stay as
  noncurrent versions until the bucket's lifecycle expires them (lib/ci_state_bucket.py:
  NONCURRENT_STATE_DAYS). Already conforming objects are skipped, so the command is idempotent
  and safe to interrupt and run again.

Run it with administrator credentials (the CI roles may not write every stack's state; the state
key lets the account's administrators encrypt and decrypt through S3). HeadObject needs
``s3:GetObject`` ("To use HEAD, you must have the s3:GetObject permission":
https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html), listing ``s3:ListBucket``,
the copy ``s3:GetObject`` + ``s3:PutObject`` and ``kms:Decrypt`` + ``kms:GenerateDataKey``.
Bad arguments are one line and exit 2; an AWS error is one line and exit 1; never a traceback.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cli.args import ArgumentParser
from lib import regions
from lib.config import BUCKET_NAME_RE, state_key_problem

KMS = "aws:kms"
LOCK_SUFFIX = ".tflock"
BOTO = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)

S3Factory = Callable[[str], Any]  # region -> S3 client


def encrypted_with(head: Mapping[str, Any], key_arn: str) -> bool:
    """Whether a HeadObject answer says SSE-KMS with ``key_arn``. S3 reports the key as
    ``SSEKMSKeyId`` ("the ID of the KMS key that was used for object encryption",
    API_HeadObject.html): its ARN, or its bare id, which names the same key in the bucket's
    account and region (a state key must be in the bucket's region: lib/config.py)."""
    if head.get("ServerSideEncryption") != KMS:
        return False
    used = str(head.get("SSEKMSKeyId") or "")
    return used == key_arn or (bool(used) and key_arn.endswith(f":key/{used}"))


def encryption_of(head: Mapping[str, Any]) -> str:
    """What an object is encrypted with, for a message."""
    algorithm = head.get("ServerSideEncryption")
    if not algorithm:
        return "no server-side encryption reported"
    kms_key = head.get("SSEKMSKeyId")
    return f"{algorithm} with {kms_key}" if kms_key else str(algorithm)


def migrate_command(bucket: str, region: str, key_arn: str, prefix: str = "") -> str:
    words = ["python", "-m", "deploy.state_encryption", "migrate", "--bucket", bucket, "--region", region]
    words += ["--key-arn", key_arn, *(["--prefix", prefix] if prefix else []), "--apply"]
    return shlex.join(words)


@dataclass(frozen=True)
class Found:
    """One current object that is not encrypted with the key."""

    key: str
    etag: str
    encryption: str

    @property
    def is_lock(self) -> bool:
        return self.key.endswith(LOCK_SUFFIX)


@dataclass(frozen=True)
class Target:
    bucket: str
    region: str
    key_arn: str
    prefix: str

    @property
    def migrate(self) -> str:
        return migrate_command(self.bucket, self.region, self.key_arn, self.prefix)


def _keys(s3: Any, target: Target) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=target.prefix):
        for item in page.get("Contents", []):
            yield item["Key"]


def scan(s3: Any, target: Target) -> tuple[int, list[Found]]:
    """How many current objects there are under the prefix, and those not encrypted with the key.
    An object deleted between the listing and its HeadObject (a released lock) is not counted."""
    total, found = 0, []
    for key in _keys(s3, target):
        try:
            head = s3.head_object(Bucket=target.bucket, Key=key)
        except ClientError as error:
            if _status(error) == 404:
                continue
            raise
        total += 1
        if not encrypted_with(head, target.key_arn):
            found.append(Found(key, head["ETag"], encryption_of(head)))
    return total, found


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def check(s3: Any, target: Target) -> int:
    total, found = scan(s3, target)
    for item in found:
        print(f"{item.key}: {item.encryption}, not {target.key_arn}")
    if found:
        print(
            f"error: {len(found)} of {total} objects in s3://{target.bucket}/{target.prefix} are not "
            f"encrypted with the state key: run {target.migrate}",
            file=sys.stderr,
        )
        return 1
    print(f"all {total} objects in s3://{target.bucket}/{target.prefix} encrypted with {target.key_arn}")
    return 0


def migrate(s3: Any, target: Target, *, apply: bool) -> int:
    """Re-encrypt every non-conforming object but held locks; 1 while any is left."""
    total, found = scan(s3, target)
    locks = [item for item in found if item.is_lock]
    todo = [item for item in found if not item.is_lock]
    for item in locks:
        print(
            f"skipped {item.key}: a held Terraform lock ({item.encryption}), not touched; release it "
            "(let the run finish, or terraform force-unlock) and run again"
        )
    if not apply:
        for item in todo:
            print(f"would re-encrypt {item.key} ({item.encryption}) with {target.key_arn}")
        print(f"dry run: {len(todo)} of {total} objects to re-encrypt; to do it: {target.migrate}")
        return 0
    changed = [item for item in todo if not _reencrypt(s3, target, item)]
    done = len(todo) - len(changed)
    left = len(changed) + len(locks)
    print(
        f"re-encrypted {done} of {total} objects with {target.key_arn}; the previous versions stay "
        "(versioned bucket) until the lifecycle expires them"
    )
    if left:
        print(
            f"error: {left} objects left as they were (listed above): run the same command again",
            file=sys.stderr,
        )
        return 1
    return 0


def _reencrypt(s3: Any, target: Target, item: Found) -> bool:
    try:
        s3.copy_object(
            Bucket=target.bucket,
            Key=item.key,
            CopySource={"Bucket": target.bucket, "Key": item.key},
            CopySourceIfMatch=item.etag,
            MetadataDirective="COPY",
            ServerSideEncryption=KMS,
            SSEKMSKeyId=target.key_arn,
        )
    except ClientError as error:
        if _status(error) != 412:
            raise
        print(f"changed {item.key}: written since it was read (a Terraform run?), not overwritten")
        return False
    print(f"re-encrypted {item.key} (was {item.encryption})")
    return True


def _parser() -> ArgumentParser:
    parser = ArgumentParser(prog="python -m deploy.state_encryption", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("check", "migrate"))
    parser.add_argument("--bucket", required=True, help="the state bucket (TERRAFORM_STATE_BUCKET)")
    parser.add_argument("--region", required=True, help="its region (TERRAFORM_STATE_BUCKET_REGION)")
    parser.add_argument("--key-arn", required=True, help="its key (TERRAFORM_STATE_KEY_ARN)")
    parser.add_argument("--prefix", default="", help="only the objects under this prefix")
    parser.add_argument("--apply", action="store_true", help="migrate: re-encrypt (default: a dry run)")
    return parser


def _problem(args: Any, env: Mapping[str, str]) -> str | None:
    if env.get("AWS_ENDPOINT_URL"):
        return (
            f"AWS_ENDPOINT_URL={env['AWS_ENDPOINT_URL']} is set: the state bucket is on real AWS (unset it)"
        )
    if not BUCKET_NAME_RE.match(args.bucket):
        return f"--bucket={args.bucket!r} is not a valid S3 bucket name"
    if args.region not in regions.KNOWN:
        return f"--region={args.region!r} is not a region name of the aws partition"
    if args.apply and args.command != "migrate":
        return "--apply is for migrate only"
    return state_key_problem(args.key_arn, args.region, name="--key-arn")


def _s3(region: str) -> Any:
    import boto3  # noqa: PLC0415 - bad arguments are refused before boto3 loads

    return boto3.client("s3", region_name=region, config=BOTO)


def main(argv: list[str] | None = None, client: S3Factory = _s3, env: Mapping[str, str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    problem = _problem(args, os.environ if env is None else env)
    if problem:
        parser.error(problem)
    target = Target(args.bucket, args.region, args.key_arn, args.prefix)
    try:
        s3 = client(args.region)
        if args.command == "check":
            return check(s3, target)
        return migrate(s3, target, apply=args.apply)
    except (BotoCoreError, ClientError) as error:
        print(
            f"error: s3://{args.bucket}: {type(error).__name__}: {error} (administrator credentials "
            "for the account, in the bucket's region?)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())

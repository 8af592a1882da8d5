#!/usr/bin/env python3
"""The CI roles proven sufficient on the emulator: every AWS call Terraform made is allowed.

    python -m flows.ci_role_check --log terraform-debug.log --bootstrap cdk.tf.json \\
        --role tap-ci-preview --role tap-ci-staging --role tap-ci-production

``make test`` deploys, redeploys, plans and destroys the stack on the emulator with the AWS
provider's debug log on (``TF_LOG=DEBUG``): each request the provider sends is logged with its
service, operation and HTTP method. This maps each one to the IAM action AWS authorizes it by and
checks that the role's policies in the synthesized CI bootstrap (``lib/ci_bootstrap.py``) allow
it: the deploy roles for what a deploy and a destroy call, the plan role for what a plan calls.
A role that lacks an action fails here, before a real pipeline meets ``AccessDenied``.

What it proves and what it does not:
- **Actions**, exactly. An operation maps to the action of the same name in the service's IAM
  prefix, except where AWS documents another: S3 (``S3_ACTIONS``, from "Required permissions for
  Amazon S3 API operations",
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html) and
  API Gateway's management API, authorized by HTTP method (``apigateway:GET`` ...,
  https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html). An S3
  operation missing from the table is an error, never a guess.
- **Not resources or conditions**: the log names no ARN, so a statement counts when one of its
  actions matches. Each role is scoped to its own environment's names (``tap-*-pr*``,
  ``tap-*-staging``, ``tap-*-prod``) and the emulator's stack is another (``dev``), so resources
  could not be checked here anyway; ``tests/unit/test_ci_scoping.py`` evaluates each role against
  the names of the synthesized stacks. Deny statements are not read: they cover the CI's own roles
  and policies (``tap-ci-*``) and the other environments' names, tags and state (the fences),
  none of which the emulator's stack is, except the denies that hold in a role's OWN environment
  too (``FENCED_OPERATIONS``): a call Terraform makes to one of those would be refused on AWS
  whatever the role allows, so it fails here by its operation.
- **Not what AWS calls on the caller's behalf** (a DynamoDB replica's service-linked role, KMS
  grants a service creates): the emulator does not make those calls, and neither does the log.
- ``sts:GetCallerIdentity`` needs no permission.

Exit 0 with a one-line count; 1 with one line per missing action (the operations that need it);
2 on bad arguments or unreadable files.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from cli.args import ArgumentParser
from local_aws.iam_policy import action_matches

# The SDK's service id (rpc.service) -> the IAM service prefix.
PREFIXES = {
    "ACM": "acm",
    "API Gateway": "apigateway",
    "Backup": "backup",
    "CloudWatch": "cloudwatch",
    "CloudWatch Logs": "logs",
    "DynamoDB": "dynamodb",
    "IAM": "iam",
    "KMS": "kms",
    "Lambda": "lambda",
    "Route 53": "route53",
    "S3": "s3",
    "SNS": "sns",
    "SSM": "ssm",
    "STS": "sts",
    "WAFV2": "wafv2",
}
NO_PERMISSION = {("STS", "GetCallerIdentity")}
# Operations every CI role is denied on its own environment too (lib/ci_fences.py), by the one
# request form Terraform could send.
FENCED_OPERATIONS = {
    # NoApiKeyListing: GET /apikeys (includeValues=true returns every key's value, prod's included;
    # the collection carries no tag to fence it by).
    ("API Gateway", "GetApiKeys"): "lib/ci_fences.py NoApiKeyListing denies GET /apikeys to every CI role",
}
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
S3_ACTIONS: dict[str, tuple[str, ...]] = {
    "CreateBucket": ("s3:CreateBucket",),
    "DeleteBucket": ("s3:DeleteBucket",),
    "DeleteBucketEncryption": ("s3:PutEncryptionConfiguration",),
    "DeleteBucketLifecycle": ("s3:PutLifecycleConfiguration",),
    "DeleteBucketOwnershipControls": ("s3:PutBucketOwnershipControls",),
    "DeleteBucketPolicy": ("s3:DeleteBucketPolicy",),
    "DeleteBucketReplication": ("s3:PutReplicationConfiguration",),
    "DeleteBucketTagging": ("s3:PutBucketTagging",),
    "DeletePublicAccessBlock": ("s3:PutBucketPublicAccessBlock",),
    "DeleteObject": ("s3:DeleteObject",),
    # force_destroy empties a versioned bucket: every version is deleted by its id.
    "DeleteObjects": ("s3:DeleteObject", "s3:DeleteObjectVersion"),
    "GetBucketAccelerateConfiguration": ("s3:GetAccelerateConfiguration",),
    "GetBucketAcl": ("s3:GetBucketAcl",),
    "GetBucketCors": ("s3:GetBucketCORS",),
    "GetBucketEncryption": ("s3:GetEncryptionConfiguration",),
    "GetBucketLifecycleConfiguration": ("s3:GetLifecycleConfiguration",),
    "GetBucketLocation": ("s3:GetBucketLocation",),
    "GetBucketLogging": ("s3:GetBucketLogging",),
    "GetBucketNotificationConfiguration": ("s3:GetBucketNotification",),
    "GetBucketOwnershipControls": ("s3:GetBucketOwnershipControls",),
    "GetBucketPolicy": ("s3:GetBucketPolicy",),
    "GetBucketReplication": ("s3:GetReplicationConfiguration",),
    "GetBucketRequestPayment": ("s3:GetBucketRequestPayment",),
    "GetBucketTagging": ("s3:GetBucketTagging",),
    "GetBucketVersioning": ("s3:GetBucketVersioning",),
    "GetBucketWebsite": ("s3:GetBucketWebsite",),
    "GetObject": ("s3:GetObject",),
    "GetObjectLockConfiguration": ("s3:GetBucketObjectLockConfiguration",),
    "GetPublicAccessBlock": ("s3:GetBucketPublicAccessBlock",),
    "HeadBucket": ("s3:ListBucket",),
    "HeadObject": ("s3:GetObject",),
    "ListObjectVersions": ("s3:ListBucketVersions",),
    "ListObjects": ("s3:ListBucket",),
    "ListObjectsV2": ("s3:ListBucket",),
    "PutBucketEncryption": ("s3:PutEncryptionConfiguration",),
    "PutBucketLifecycleConfiguration": ("s3:PutLifecycleConfiguration",),
    "PutBucketLogging": ("s3:PutBucketLogging",),
    "PutBucketOwnershipControls": ("s3:PutBucketOwnershipControls",),
    "PutBucketPolicy": ("s3:PutBucketPolicy",),
    "PutBucketReplication": ("s3:PutReplicationConfiguration",),
    "PutBucketTagging": ("s3:PutBucketTagging",),
    "PutBucketVersioning": ("s3:PutBucketVersioning",),
    "PutObject": ("s3:PutObject",),
    "PutPublicAccessBlock": ("s3:PutBucketPublicAccessBlock",),
}
_ENTRY = re.compile(r"^\d{4}-\d\d-\d\dT")  # a log entry starts with its timestamp
_REQUEST = "HTTP Request Sent"


class Call(NamedTuple):
    service: str  # the SDK's service id, e.g. "Route 53"
    operation: str  # e.g. "ChangeResourceRecordSets"
    http_method: str


class CheckError(ValueError):
    """A file cannot serve or a call maps to no known action; one line."""


def _entries(lines: Iterable[str]) -> Iterator[str]:
    """Log entries, each joined with its continuation lines (a logged body spans several)."""
    current: list[str] = []
    for line in lines:
        if _ENTRY.match(line) and current:
            yield "".join(current)
            current = []
        current.append(line)
    if current:
        yield "".join(current)


def _field(entry: str, name: str) -> str | None:
    match = re.search(rf'(?:^|\s){re.escape(name)}=("(?:[^"\\]|\\.)*"|\S+)', entry)
    if match is None:
        return None
    value = match.group(1)
    return value[1:-1] if value.startswith('"') else value


def _json_field(entry: str, name: str) -> str | None:
    match = re.search(rf'"{re.escape(name)}":"((?:[^"\\]|\\.)*)"', entry)
    return match.group(1) if match else None


def _call(entry: str) -> tuple[str | None, str | None, str | None]:
    """An entry's service, operation and method. Most are ``key=value`` text; a line Terraform
    could not read as the provider's JSON (over 64 KiB) is logged raw and cut, keys in
    alphabetical order: S3's DeleteObjects (force_destroy emptying a bucket) lists every key in
    ``aws.s3.delete``, before the fields that were cut, which is what names it then."""
    if '"@message":"HTTP Request Sent"' not in entry:
        return _field(entry, "rpc.service"), _field(entry, "rpc.method"), _field(entry, "http.method")
    fields = (_json_field(entry, k) for k in ("rpc.service", "rpc.method", "http.method"))
    service, operation, method = fields
    if operation is None and '"aws.s3.delete":' in entry:
        return "S3", "DeleteObjects", "POST"
    return service, operation, method


def terraform_calls(lines: Iterable[str]) -> Counter[Call]:
    """Every request the AWS provider logged as sent, counted."""
    calls: Counter[Call] = Counter()
    for entry in _entries(lines):
        if _REQUEST not in entry:
            continue
        service, operation, method = _call(entry)
        if service is None or operation is None or method is None:
            raise CheckError(f"a logged request lacks its service, operation or method: {entry[:200]!r}")
        calls[Call(service, operation, method)] += 1
    return calls


def iam_actions(call: Call) -> tuple[str, ...]:
    """The IAM actions AWS authorizes ``call`` by (empty: it needs none)."""
    if (call.service, call.operation) in NO_PERMISSION:
        return ()
    prefix = PREFIXES.get(call.service)
    if prefix is None:
        raise CheckError(f"no IAM prefix known for the service {call.service!r} ({call.operation})")
    if prefix == "apigateway":
        return (f"apigateway:{call.http_method}",)
    if prefix == "s3":
        if call.operation not in S3_ACTIONS:
            raise CheckError(f"no IAM action known for S3 {call.operation}: add it to S3_ACTIONS")
        return S3_ACTIONS[call.operation]
    return (f"{prefix}:{call.operation}",)


def role_allows(bootstrap: dict[str, Any], role_name: str) -> list[str]:
    """The Allow action patterns of every policy attached to ``role_name`` in the synthesized
    bootstrap (``aws_iam_role_policy_attachment`` -> ``aws_iam_policy``)."""
    resources = bootstrap.get("resource", {})
    role_ids = [
        rid for rid, role in resources.get("aws_iam_role", {}).items() if role.get("name") == role_name
    ]
    if len(role_ids) != 1:
        raise CheckError(f"the bootstrap has no role named {role_name!r}")
    patterns: list[str] = []
    attachments = resources.get("aws_iam_role_policy_attachment", {}).values()
    for attachment in attachments:
        if attachment["role"] != f"${{aws_iam_role.{role_ids[0]}.name}}":
            continue
        policy_id = re.fullmatch(r"\$\{aws_iam_policy\.([^.]+)\.arn\}", attachment["policy_arn"])
        if policy_id is None:
            raise CheckError(
                f"{role_name}: an attachment of {attachment['policy_arn']} is not a bootstrap policy"
            )
        document = json.loads(resources["aws_iam_policy"][policy_id.group(1)]["policy"])
        for statement in document["Statement"]:
            if statement["Effect"] == "Allow":
                actions = statement["Action"]
                patterns += [actions] if isinstance(actions, str) else actions
    if not patterns:
        raise CheckError(f"{role_name} has no Allow statement attached")
    return patterns


def missing_actions(calls: Iterable[Call], allowed: list[str]) -> dict[str, list[Call]]:
    """Each action none of ``allowed`` matches (IAM matches actions case-insensitively, with
    ``*`` and ``?`` wildcards), with the calls that need it."""
    missing: dict[str, list[Call]] = {}
    for call in sorted(set(calls)):
        for action in iam_actions(call):
            if not any(action_matches(pattern, action) for pattern in allowed):
                missing.setdefault(action, []).append(call)
    return missing


class Result(NamedTuple):
    problems: list[str]  # one line per (role, missing action); empty: every call is allowed
    distinct_calls: int  # the distinct (service, operation, method) requests in the log


def check(log: Path, bootstrap: Path, roles: list[str]) -> Result:
    """The log read once, every role checked against it."""
    try:
        with log.open(errors="replace") as lines:
            calls = terraform_calls(lines)
        synthesized = json.loads(bootstrap.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise CheckError(f"cannot read {error}") from None
    if not calls:
        raise CheckError(f"{log} holds no logged AWS request: was TF_LOG=DEBUG set?")
    problems = [
        f"Terraform called {service} {operation}, which AWS would refuse: {why}"
        for (service, operation), why in FENCED_OPERATIONS.items()
        if any((call.service, call.operation) == (service, operation) for call in calls)
    ]
    for role in roles:
        for action, needing in sorted(missing_actions(calls, role_allows(synthesized, role)).items()):
            operations = ", ".join(sorted({f"{c.service} {c.operation}" for c in needing}))
            problems.append(f"{role} lacks {action} (for {operations})")
    return Result(problems, len(calls))


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, required=True, help="Terraform's debug log (TF_LOG_PATH)")
    parser.add_argument("--bootstrap", type=Path, required=True, help="the synthesized CI bootstrap stack")
    parser.add_argument("--role", action="append", required=True, help="a role name; repeatable")
    args = parser.parse_args(argv)
    try:
        result = check(args.log, args.bootstrap, args.role)
    except CheckError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for problem in result.problems:
        print(problem)
    if result.problems:
        return 1
    roles = ", ".join(args.role)
    print(f"{roles}: every one of {result.distinct_calls} distinct calls Terraform made is allowed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Gap: moto checks no IAM at all, so a Lambda function's role policy is never put to the test.

moto 5.2.5 authorizes requests only when ``INITIAL_NO_AUTH_ACTION_COUNT`` is set, for every
caller at once; the deploy cannot run that way (Terraform's dummy ``test`` key is no IAM user).
Without this patch a function whose execution role lacks a permission works on the emulator
and fails on AWS with AccessDenied: the local run proves nothing about the policy.

This patch checks the requests signed with credentials the data plane's Lambda runtime issued
(``register()``: the execution role assumed in moto's STS for a function's environment) as
AWS does, and only those: every other key (the deploy's ``test``) is answered as before, so
nothing that worked without the patch is refused unless a function signed it. For those
requests:

- Authentication: the key must be one STS issued and still knows, the session token must be
  the key's, and the SigV4 signature must match the secret (moto's ``IAMRequest`` /
  ``S3IAMRequest``). Keys stay registered after ``POST /moto-api/reset``: STS forgets them
  there, so a function still holding one is refused as AWS refuses an unknown key, never let
  through unchecked.
- Authorization: the identity policies of the role (inline and attached, default versions)
  are evaluated as IAM does for one account, by the emulator's one evaluator
  (local_aws/iam_policy.py): an explicit Deny wins, else an Allow is needed
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
  ``Action``/``NotAction`` (case-insensitive) and ``Resource``/``NotResource`` (case-sensitive)
  with ``*`` and ``?`` wildcards. ``sts:GetCallerIdentity`` needs no permission
  (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
- The resource is the one AWS authorizes: for DynamoDB the table
  ``arn:aws:dynamodb:<region>:<account>:table/<name>``, or ``.../table/<name>/index/<index>``
  for a Query or Scan of an index; each table of BatchGetItem/BatchWriteItem; for
  TransactWriteItems/TransactGetItems the action of each item (PutItem, UpdateItem,
  DeleteItem, ConditionCheckItem, GetItem) on its table
  (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html,
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
  moto checks DynamoDB against ``*``, which denies every grant scoped to a table.
- S3 HeadBucket is authorized as ``s3:ListBucket`` (moto asks for ``s3:HeadBucket``, an action
  IAM does not have): "you must have permissions to perform the s3:ListBucket action"
  (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html). HeadObject and
  GetObject need ``s3:GetObject``, and for a key that does not exist also ``s3:ListBucket``
  on the bucket, without which S3 answers 403 rather than 404
  (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
- Refusals in each service's own format, so that the SDK raises what it raises on AWS:
  DynamoDB (and any other JSON-protocol service) HTTP 400
  ``{"__type": "com.amazonaws.dynamodb.v20120810#AccessDeniedException", "message": ...}``,
  ``UnrecognizedClientException`` for an unknown key or token and
  ``InvalidSignatureException`` for a wrong signature
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html);
  S3 XML ``AccessDenied`` / ``SignatureDoesNotMatch`` / ``InvalidAccessKeyId`` with 403
  (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). Other protocols keep
  moto's XML ``AccessDenied`` (403): right for the query services (STS, IAM), a bare 403
  to the SDK of a REST-JSON one (Lambda, API Gateway).

Not modelled. Stricter than AWS (refused here, perhaps allowed there): no request context is
modelled, so a ``Condition`` is never decided (an Allow with one grants nothing, a Deny with one
applies as if it held), nor is a policy variable (``${aws:username}``) in a Resource;
resource-based policies never grant (a same-account bucket or key policy naming the role
would); services other than DynamoDB and S3 (and SQS, which moto resolves) are checked against
resource ``*``, so a grant scoped to an ARN is refused there. More lenient than AWS (though
never more than without this patch): permissions boundaries, session policies and SCPs are
not evaluated (the stack uses none); nor is KMS's authorization of the key behind S3 or
DynamoDB encryption, nor key policies; S3 actions are moto's names (a bucket sub-resource it
does not map, e.g. ``?encryption``, is checked as ``s3:ListBucket``; the
``s3:PutObjectTagging`` a tagged upload also needs is not asked); presigned (query-string)
requests are not checked. Bucket policies still deny object requests through moto
(``s3_bucket_policy_conditions``). The registry lives in the emulator's process: the runtime
must run there (it does, in the data plane).
"""

from __future__ import annotations

import functools
import json
import re
import threading
from typing import Any
from urllib.parse import urlparse

from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import (
    AccessDeniedError,
    InvalidClientTokenIdError,
    JsonRESTError,
    SignatureDoesNotMatchError,
)
from moto.iam.access_control import S3IAMRequest
from moto.s3.models import FakeKey
from moto.utilities.utils import get_partition

from local_aws.iam_policy import PermissionResult, Request, evaluate

# SigV4: "Credential=<key>/<yyyymmdd>/<region>/<service>/aws4_request".
_CREDENTIAL = re.compile(r"Credential=(?P<key>[^/,\s]+)/\d{8}/(?P<region>[^/,\s]+)/(?P<service>[^/,\s]+)/")
DYNAMODB_ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#"
ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity"})
INVALID_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."  # noqa: S105 - a message

_LOCK = threading.Lock()
ISSUED_KEYS: set[str] = set()


def register(access_key_id: str) -> None:
    """Check every request signed with ``access_key_id`` from now on (the runtime calls this
    with the AccessKeyId of each execution role it assumes)."""
    with _LOCK:
        ISSUED_KEYS.add(access_key_id)


def is_issued(access_key_id: str) -> bool:
    with _LOCK:
        return access_key_id in ISSUED_KEYS


# --------------------------------------------------------------------------- policy evaluation


def _documents(access_key: Any) -> list[dict[str, Any]]:
    """The role's identity policies (inline, then the default version of each attached one)."""
    try:
        policies = access_key.collect_policies()
    except Exception:  # the role is gone (assume_role does not need it to exist): no policies
        return []
    documents = []
    for policy in policies:
        if hasattr(policy, "versions"):  # an attached (managed) policy
            text = next(v.document for v in policy.versions if v.is_default)
        elif isinstance(policy, dict):
            text = policy.get("policy_document", policy)
        else:
            text = policy
        documents.append(json.loads(text) if isinstance(text, str) else text)
    return documents


# --------------------------------------------------------------------------- what is authorized


def dynamodb_checks(
    operation: str, body: dict[str, Any], *, region: str, account: str
) -> list[tuple[str, str]]:
    """The (IAM action, resource ARN) pairs AWS authorizes for one DynamoDB request."""
    partition = get_partition(region)

    def table(name: str) -> str:
        return (
            name if name.startswith("arn:") else f"arn:{partition}:dynamodb:{region}:{account}:table/{name}"
        )

    checks: list[tuple[str, str]] = []
    if operation == "TransactWriteItems":
        kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
        kinds["ConditionCheck"] = "ConditionCheckItem"
        for item in body.get("TransactItems") or []:
            for kind, action in kinds.items():
                if isinstance(item, dict) and isinstance(item.get(kind), dict):
                    checks.append((f"dynamodb:{action}", table(str(item[kind].get("TableName", "")))))
    elif operation == "TransactGetItems":
        for item in body.get("TransactItems") or []:
            if isinstance(item, dict) and isinstance(item.get("Get"), dict):
                checks.append(("dynamodb:GetItem", table(str(item["Get"].get("TableName", "")))))
    elif operation in ("BatchGetItem", "BatchWriteItem"):
        checks = [(f"dynamodb:{operation}", table(str(name))) for name in body.get("RequestItems") or {}]
    elif isinstance(body.get("TableName"), str):
        arn = table(body["TableName"])
        if operation in ("Query", "Scan") and isinstance(body.get("IndexName"), str):
            arn += f"/index/{body['IndexName']}"
        checks = [(f"dynamodb:{operation}", arn)]
    elif isinstance(body.get("GlobalTableName"), str):
        checks = [
            (
                f"dynamodb:{operation}",
                f"arn:{partition}:dynamodb::{account}:global-table/{body['GlobalTableName']}",
            )
        ]
    else:
        arns = [
            body[p]
            for p in ("ResourceArn", "TableArn", "StreamArn", "BackupArn")
            if isinstance(body.get(p), str)
        ]
        checks = [(f"dynamodb:{operation}", arns[0] if arns else "*")]
    return checks or [(f"dynamodb:{operation}", "*")]


def _s3_checks(handler: Any, operation: str, resource: str) -> list[tuple[str, str]]:
    action = "ListBucket" if operation == "HeadBucket" else operation
    checks = [(f"s3:{action}", resource)]
    prefix, _, path = resource.partition(":::")
    bucket_name, slash, key_name = path.partition("/")
    if action == "GetObject" and slash:
        try:
            stored = handler.backend.get_bucket(bucket_name).keys.get(key_name)
        except Exception:  # no such bucket: S3 answers NoSuchBucket itself
            return checks
        if not isinstance(stored, FakeKey):  # no such key, or a delete marker
            checks.append(("s3:ListBucket", f"{prefix}:::{bucket_name}"))
    return checks


def _checks(handler: Any, iam_request_cls: type, service: str, resource: str) -> list[tuple[str, str]]:
    operation = handler._get_action()
    operation = operation[0] if isinstance(operation, list) else str(operation)
    if iam_request_cls is S3IAMRequest:
        return _s3_checks(handler, operation, resource)
    target = handler.headers.get("X-Amz-Target") or ""
    if service == "dynamodb" and target.startswith("DynamoDB_"):
        try:
            body = json.loads(handler.raw_body or b"{}")
        except ValueError:
            body = {}
        account, region = handler.current_account, handler.region
        return dynamodb_checks(
            operation, body if isinstance(body, dict) else {}, region=region, account=account
        )
    return [(f"{service}:{operation}", resource)]


# --------------------------------------------------------------------------- the request


def _json_protocol(handler: Any) -> bool:
    return bool(handler.headers.get("X-Amz-Target"))


def _json_error(service: str, error: str, message: str) -> JsonRESTError:
    prefix = DYNAMODB_ERROR_PREFIX if service == "dynamodb" else ""
    return JsonRESTError(prefix + error, message)  # HTTP 400, as these services answer


def _enforce(handler: Any, iam_request_cls: type, resource: str, service: str) -> None:
    if handler.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
        return
    parsed = urlparse(handler.uri)
    path = handler.raw_path + (f"?{parsed.query}" if parsed.query else "")
    json_errors = iam_request_cls is not S3IAMRequest and _json_protocol(handler)
    try:
        request = iam_request_cls(
            account_id=handler.current_account,
            method=handler.method,
            path=path,
            data=handler.data,
            body=handler.raw_body,
            headers=handler.headers,
            action=handler._get_action(),
        )
        request.check_signature()
    except InvalidClientTokenIdError as exc:
        raise (
            _json_error(service, "UnrecognizedClientException", INVALID_TOKEN) if json_errors else exc
        ) from None
    except SignatureDoesNotMatchError as exc:
        raise (
            _json_error(service, "InvalidSignatureException", INVALID_SIGNATURE) if json_errors else exc
        ) from None
    principal = request._access_key  # moto's IAMUserAccessKey / AssumedRoleAccessKey
    documents: list[dict[str, Any]] | None = None
    for action, target in _checks(handler, iam_request_cls, service, resource):
        if action in ALWAYS_ALLOWED:
            continue
        documents = _documents(principal) if documents is None else documents
        decision = evaluate(documents, Request(action, target))
        if decision == PermissionResult.PERMITTED:
            continue
        if iam_request_cls is S3IAMRequest:
            request._raise_access_denied()  # S3's XML AccessDenied, 403
        reason = (
            "with an explicit deny in an identity-based policy"
            if decision == PermissionResult.DENIED
            else f"because no identity-based policy allows the {action} action"
        )
        message = (
            f"User: {principal.arn} is not authorized to perform: {action} on resource: {target} {reason}"
        )
        if json_errors:
            raise _json_error(service, "AccessDeniedException", message)
        raise AccessDeniedError(user_arn=principal.arn, action=f"{action} on resource: {target} {reason}")


def apply() -> None:
    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    @functools.wraps(original)
    def _authenticate_and_authorize_action(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        credential = _CREDENTIAL.search(self.headers.get("Authorization") or "")
        if credential is None or not is_issued(credential["key"]):
            return original(self, iam_request_cls, resource)
        return _enforce(self, iam_request_cls, resource, credential["service"])

    ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate_and_authorize_action  # type: ignore[method-assign]

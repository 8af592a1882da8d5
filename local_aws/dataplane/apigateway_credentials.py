"""Who signed an AWS_IAM request: the access key looked up in moto's IAM and STS, in whichever
account holds it, with the identity policies IAM evaluates for that principal.

- An IAM user's access key, active only: "Active means that the key is valid for API calls, while
  Inactive means it is not." (https://docs.aws.amazon.com/IAM/latest/APIReference/API_AccessKey.html);
  a user's key sent with a session token is refused too. Its policies: "Identity-based policies -
  Attach managed and inline policies to IAM identities (users, groups to which users belong, or
  roles)." (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html).
- Temporary credentials from AssumeRole: "When you use temporary security credentials, you must
  add X-Amz-Security-Token to the Authorization header or the query string to hold the session
  token." (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html): a
  missing or different token is refused. The role's inline and attached policies apply, limited
  by the session policy AssumeRole was given ("The resulting session's permissions are the
  intersection of the role's identity-based policy and the session policies.",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_assumerole.html)
  and by its permissions boundary ("That policy defines the maximum permissions that the
  identity-based policies can grant to an entity", access_policies.html). Both cap the whole
  decision here, the resource policy's grant included: stricter than "Permissions boundaries do
  not define the maximum permissions that a resource-based policy can grant to an entity" (same
  page). Past the session's expiration: EXPIRED_TOKEN ("The gateway response for an AWS
  authentication token expired error", supported-gateway-response-types.html),
  ``ExpiredTokenException`` "The security token included in the request is expired"
  (undocumented wording for execute-api: assumed as other AWS services word it).
- An unknown, inactive or deleted key, or a wrong token: 403 ``UnrecognizedClientException``
  "The security token included in the request is invalid." (an API Gateway answer quoted in
  github.com/kndt84/aws-api-gateway-client/issues/31; the gateway response type is undocumented:
  assumed INVALID_SIGNATURE, "The gateway response for an invalid AWS signature error").

Not modelled: root-user keys, a user's permissions boundary (moto keeps none), SCPs, federation
and GetSessionToken credentials, ``aws:TokenIssueTime`` and ``aws:MultiFactorAuth*``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local_aws.dataplane.apigateway_sigv4 import Refused

INVALID_TOKEN = "The security token included in the request is invalid."  # noqa: S105 - a message
EXPIRED_TOKEN = "The security token included in the request is expired"  # noqa: S105 - a message


@dataclass(frozen=True)
class Caller:
    """An authenticated principal: its secret (to verify the signature), its names and policies."""

    access_key: str
    secret: str
    account_id: str
    arn: str  # the user's ARN, or the session's arn:aws:sts::...:assumed-role/<role>/<session>
    user_id: str  # GetCallerIdentity's UserId (aws:userid)
    kind: str  # aws:PrincipalType: "User" or "AssumedRole"
    role_arn: str | None = None
    username: str | None = None
    documents: tuple[Any, ...] = ()  # the identity-based policies
    limits: tuple[Any, ...] = ()  # a permissions boundary and a session policy: each must allow too
    tags: dict[str, str] = field(default_factory=dict)

    def identity(self) -> dict[str, str]:
        """The proxy event's ``requestContext.identity`` fields for this caller."""
        return {
            "accessKey": self.access_key,
            "accountId": self.account_id,
            "caller": self.user_id,
            "user": self.user_id,
            "userArn": self.arn,
        }

    def context(self) -> dict[str, str]:
        """The condition keys of this principal (https://docs.aws.amazon.com/IAM/latest/UserGuide/
        reference_policies_condition-keys.html): "For IAM roles, the request context returns the
        ARN of the role, not the ARN of the user that assumed the role." (aws:PrincipalArn)."""
        keys = {
            "aws:PrincipalAccount": self.account_id,
            "aws:PrincipalArn": self.role_arn or self.arn,
            "aws:PrincipalType": self.kind,
            "aws:userid": self.user_id,
            "aws:PrincipalIsAWSService": "false",
            **{f"aws:PrincipalTag/{key}": value for key, value in self.tags.items()},
        }
        if self.username:
            keys["aws:username"] = self.username
        return keys


def moto_caller(access_key: str, token: str | None, now: datetime) -> Caller:
    """The principal behind ``access_key`` in moto's IAM and STS (Refused when there is none)."""
    from moto.iam.models import iam_backends  # noqa: PLC0415 - after the patches
    from moto.sts.models import sts_backends  # noqa: PLC0415

    for account_id, partitions in list(iam_backends.items()):
        backend = partitions["aws"]
        key = backend.access_keys.get(access_key)
        if key is None:
            continue
        if key.user_name is not None:
            return _user(backend, key, token)
        session = next(
            (r for r in sts_backends[account_id]["aws"].assumed_roles if r.access_key_id == access_key), None
        )
        if session is not None:
            return _session(backend, session, token, now)
    raise _invalid()


def _invalid() -> Refused:
    return Refused("INVALID_SIGNATURE", "UnrecognizedClientException", INVALID_TOKEN)


def _user(backend: Any, key: Any, token: str | None) -> Caller:
    user = backend.users.get(key.user_name)
    if user is None or key.status != "Active" or token is not None:
        raise _invalid()
    groups = [group for group in backend.list_groups() if user in group.users]
    documents = [document for holder in (user, *groups) for document in _own(holder)]
    tags = {t["Key"]: t["Value"] for t in backend.tagger.list_tags_for_resource(user.arn).get("Tags", [])}
    return Caller(
        access_key=key.access_key_id,
        secret=key.secret_access_key,
        account_id=backend.account_id,
        arn=user.arn,
        user_id=user.id,
        kind="User",
        username=user.name,
        documents=tuple(_parsed(documents)),
        tags=tags,
    )


def _session(backend: Any, session: Any, token: str | None, now: datetime) -> Caller:
    if token != session.session_token:
        raise _invalid()
    if session.expiration.replace(tzinfo=UTC) <= now:
        raise Refused("EXPIRED_TOKEN", "ExpiredTokenException", EXPIRED_TOKEN)
    try:
        role = backend.get_role_by_arn(session.role_arn)
    except Exception:  # the role is gone (AssumeRole does not need it to exist): no policies
        role = None
    documents: list[Any] = []
    limits: list[Any] = []
    tags: dict[str, str] = {}
    if role is not None:
        documents = list(_own(role))
        if role.permissions_boundary_arn:
            boundary = backend.managed_policies.get(role.permissions_boundary_arn)
            # A boundary moto does not hold (an AWS managed policy not loaded) allows nothing.
            limits += list(_managed([boundary])) if boundary else [{"Statement": []}]
        tags = {key: value["Value"] for key, value in (role.tags or {}).items()}
    if session.policy:
        limits.append(session.policy)
    return Caller(
        access_key=session.access_key_id,
        secret=session.secret_access_key,
        account_id=session.account_id,
        arn=session.arn,
        user_id=session.user_id,
        kind="AssumedRole",
        role_arn=session.role_arn,
        documents=tuple(_parsed(documents)),
        limits=tuple(_parsed(limits)),
        tags=tags,
    )


def _own(holder: Any) -> Iterable[Any]:
    """A user's, group's or role's identity policies: its inline ones, then each attached one's
    default version."""
    yield from holder.policies.values()
    yield from _managed(holder.managed_policies.values())


def _managed(policies: Iterable[Any]) -> Iterable[Any]:
    """Each attached (managed) policy's default version."""
    for policy in policies:
        yield next((v.document for v in policy.versions if v.is_default), '{"Statement": []}')


def _parsed(documents: Iterable[Any]) -> Iterable[Any]:
    for document in documents:
        try:
            yield json.loads(document) if isinstance(document, str | bytes) else document
        except ValueError:  # IAM refuses to store one; never read in the caller's favour
            yield {"Statement": []}

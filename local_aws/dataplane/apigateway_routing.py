"""API Gateway's way from a request to a deployed stage, a resource and a method.

A region's listener serves that region's APIs, picked by the Host header as on AWS:

- ``{api-id}.execute-api.{region}.amazonaws.com`` + ``/{stage}/...``: the default endpoint;
- a custom domain name (``api.<domain>``): its base path mappings, a named base path first, then
  ``(none)`` (https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mappings.html);
- a bare address (``127.0.0.2``): ``/restapis/{api-id}/{stage}/_user_request_/...``, a form curl
  reaches without DNS (the emulator's stand-in for the default endpoint).

The stage serves its deployment's snapshot (patches/apigateway_deployment_snapshot.py).

- Disabled default endpoint: "Clients can still connect to your default endpoint, but they will
  receive a 403 Forbidden status code. Disabling the default endpoint affects all stages of the
  API. This setting takes affect when you update any setting on any stage"
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-disable-default-endpoint.html).
  The switch as the last stage change left it is patches/apigateway_default_endpoint.py's; the
  execute-api host and the bare address find no stage (403 ``{"message":"Forbidden"}``,
  undocumented: assumed the body API Gateway gives a name it serves no API for), custom domains
  still serve.
- Routing: "When a proxy resource has non-proxy siblings, the sibling resources are excluded
  from the representation of the proxy resource. For the preceding examples, /{proxy+} refers
  to any resources under the root resource except for the /parent[/*] resources. In other
  words, a method request against a specific resource takes precedence over a method request
  against a generic resource at the same level of the resource hierarchy."
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-settings-method-request.html).
  The path is walked down the resource tree one segment at a time: a literal child, else a
  ``{param}`` child, else a ``{proxy+}`` child; a branch taken is never left for a sibling. The
  method is the exact one, else ``ANY``.

``request_context`` is the request's ``$context``, which the proxy event and the gateway responses
both read. For a call an AWS_IAM method admitted, ``identity`` also carries the caller:
"$context.identity.accountId | The AWS account ID associated with the request.",
"$context.identity.caller | The principal identifier of the caller making the request.",
"$context.identity.user | The principal identifier of the user making the request.",
"$context.identity.userArn | The Amazon Resource Name (ARN) of the effective user identified after
authentication." (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html)
and ``accessKey`` ("The AWS access key associated with the request.", same page); caller and user are
the caller's unique id as GetCallerIdentity's UserId gives it (undocumented: assumed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Request

from local_aws import regions
from local_aws.patches.apigateway_default_endpoint import default_endpoint_disabled
from local_aws.patches.apigateway_deployment_snapshot import ApiSnapshot, Method, Resource


@dataclass(frozen=True)
class Target:
    """A request resolved to one deployed stage: ``path`` is the path inside the API."""

    snapshot: ApiSnapshot
    stage: Any  # moto Stage
    stage_name: str
    path: str
    domain_name: str
    custom_domain: bool = False


@dataclass
class Call:
    """One request on its way through a stage: what routing found, and the key once checked."""

    target: Target
    request: Request
    query: dict[str, str]
    body: bytes
    request_id: str
    received: datetime
    resource: Resource | None = None  # once routed
    method: Method | None = None
    path_parameters: dict[str, str] = field(default_factory=dict)
    api_key: Any = None  # the moto ApiKey, once the method required and got one
    caller: Any = None  # the IAM caller (apigateway_credentials.Caller), once AWS_IAM admitted it


def resolve(backends: Iterable[tuple[str, str, Any]], region: str, host: str, path: str) -> Target | None:
    """The stage ``host`` and ``path`` name in ``region``'s backends (account, region, backend)."""
    host = host.split(":", 1)[0].lower().rstrip(".")
    for _, backend_region, backend in backends:
        if backend_region != region:
            continue
        target = _resolve_in(backend, region, host, path)
        if target:
            return target
    return None


def _resolve_in(backend: Any, region: str, host: str, path: str) -> Target | None:
    match = regions.EXECUTE_API_HOST.match(host)
    if match and match["region"] == region:
        stage_name, _, rest = path.lstrip("/").partition("/")
        return _stage(backend, match["id"], stage_name, "/" + rest, host)
    if regions.region_at(host):
        parts = path.lstrip("/").split("/", 4)
        if len(parts) >= 4 and parts[0] == "restapis" and parts[3] == "_user_request_":
            rest = parts[4] if len(parts) > 4 else ""
            return _stage(backend, parts[1], parts[2], "/" + rest, host)
        return None
    return _custom_domain(backend, host, path)


def _custom_domain(backend: Any, host: str, path: str) -> Target | None:
    """A custom domain's base path mappings: a named base path first, then ``(none)``."""
    if host not in backend.domain_names:
        return None
    mappings = list(backend.base_path_mappings.get(host, {}).values())
    first, _, rest = path.lstrip("/").partition("/")
    named = [m for m in mappings if m.base_path not in ("(none)", "") and m.base_path == first]
    empty = [m for m in mappings if m.base_path in ("(none)", "")]
    if named:
        mapping, path = named[0], "/" + rest
    elif empty:
        mapping, path = empty[0], path or "/"
    else:
        return None
    return _stage(backend, mapping.rest_api_id, mapping.stage, path, host, custom_domain=True)


def _stage(
    backend: Any, api_id: str, stage_name: str, path: str, host: str, *, custom_domain: bool = False
) -> Target | None:
    """The stage's deployment, or None: no such stage, or the default endpoint disabled."""
    api = backend.apis.get(api_id)
    if api is None or (not custom_domain and default_endpoint_disabled(api)):
        return None
    stage = api.stages.get(stage_name)
    deployment = api.deployments.get(stage.deployment_id) if stage else None
    snapshot = getattr(deployment, "snapshot", None)
    if snapshot is None:
        return None
    return Target(snapshot, stage, stage_name, path, host, custom_domain)


def match(
    snapshot: ApiSnapshot, path: str, http_method: str
) -> tuple[Resource, Method, dict[str, str]] | None:
    """The resource for ``path``, walked down the resource tree, and its method (``ANY`` when
    the exact one is missing)."""
    children: dict[str, list[Resource]] = {}
    resource = None
    for candidate in snapshot.resources:
        if candidate.path == "/":
            resource = candidate
        else:
            children.setdefault(candidate.path.rsplit("/", 1)[0] or "/", []).append(candidate)
    segments = [s for s in path.split("/") if s]
    parameters: dict[str, str] = {}
    for index, segment in enumerate(segments):
        resource = _child(children.get(resource.path, []), segment) if resource else None
        if resource is None:
            return None
        part = resource.path.rsplit("/", 1)[1]
        if part.endswith("+}"):
            parameters[part[1:-2]] = "/".join(segments[index:])
            break
        if part.startswith("{"):
            parameters[part[1:-1]] = segment
    method = (resource.methods.get(http_method) or resource.methods.get("ANY")) if resource else None
    return (resource, method, parameters) if resource and method else None


def _child(children: list[Resource], segment: str) -> Resource | None:
    """The child that takes ``segment``: the literal one, else a ``{param}``, else a ``{proxy+}``."""
    by_part = {child.path.rsplit("/", 1)[1]: child for child in children}
    if segment in by_part:
        return by_part[segment]
    single = [child for part, child in by_part.items() if part.startswith("{") and not part.endswith("+}")]
    greedy = [child for part, child in by_part.items() if part.endswith("+}")]
    return (single + greedy + [None])[0]


def request_context(call: Call) -> dict[str, Any]:
    """The request's ``$context`` variables, as the proxy event's ``requestContext`` map carries
    them ("the key is the name of a $context variable property, and the value is the value of
    that property", set-up-lambda-proxy-integrations.html)."""
    target, request, api_key, resource = call.target, call.request, call.api_key, call.resource
    snapshot = target.snapshot
    return {
        "accountId": snapshot.account_id,
        "apiId": snapshot.api_id,
        "domainName": target.domain_name,
        "domainPrefix": target.domain_name.split(".", 1)[0],
        "extendedRequestId": call.request_id,
        "httpMethod": request.method,
        "identity": {
            "apiKey": api_key.value if api_key else None,
            "apiKeyId": api_key.id if api_key else None,
            "sourceIp": request.remote_addr,
            "userAgent": request.headers.get("User-Agent"),
            **(call.caller.identity() if call.caller else {}),
        },
        # The default endpoint's path has the stage; a custom domain's is the path as requested.
        "path": request.path if target.custom_domain else f"/{target.stage_name}{target.path}",
        "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        "requestId": call.request_id,
        "requestTime": call.received.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(call.received.timestamp() * 1000),
        "resourceId": resource.id if resource else None,
        "resourcePath": resource.path if resource else None,
        "stage": target.stage_name,
    }

"""API Gateway's CloudWatch metrics for REST APIs: ``AWS/ApiGateway`` per request, in the API's region.

Without this the emulator published no API Gateway metric, so an alarm on one (the stack's
``api-5xx``, the secondary's ``traffic-moved``) could never leave INSUFFICIENT_DATA locally.
From "Amazon API Gateway dimensions and metrics"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html):

- Metrics: "Count | The total number API requests in a given period. The ``SampleCount`` statistic
  represents this metric. Unit: Count": 1 per request. "5XXError | The number of server-side
  errors captured in a given period. [...] The ``Average`` statistic represents the 5XXError error
  rate, namely, the total count of the 5XXError errors divided by the total number of requests
  during the period. The denominator corresponds to the Count metric" (4XXError alike): the page
  does not say in as many words that a request without an error publishes a 0, but an Average that
  is errors / requests needs one datapoint per request, so each request publishes 1 or 0 for both.
  "Latency | The time between when API Gateway receives a request from a client and when it
  returns a response to the client. [...] Unit: Millisecond"; "IntegrationLatency | The time
  between when API Gateway relays a request to the backend and when it receives a response from
  the backend. Unit: Millisecond": published only for a request that reached the integration
  (undocumented for the others: assumed none, as there was no backend call to time).
- Dimensions: "ApiName | Filters API Gateway metrics for the REST API with the specified API
  name."; "ApiName, Stage | Filters API Gateway metrics for the API stage resource with the
  specified API name and stage."; "ApiName, Method, Resource, Stage | [...] API Gateway will not
  send these metrics unless you have explicitly enabled detailed CloudWatch metrics. [...] call the
  update-stage AWS CLI command to update the ``metricsEnabled`` property to ``true``. Enabling
  these metrics will incur additional charges to your account." The stage's method settings are
  read as ``apigateway_usage`` reads their throttle: the method's own ``{path}/{METHOD}`` entry,
  else ``*/*`` (https://docs.aws.amazon.com/apigateway/latest/api/API_MethodSetting.html). A
  request that matched no resource has no method to name: its datapoints go to the first two
  dimension sets only. "API Gateway removes non-ASCII characters from the ApiName dimension [...]
  If the APIName contains no ASCII characters, the API ID is used as the ApiName."

Not modelled: CacheHitCount and CacheMissCount (the stack caches nothing); AWS's one-minute
aggregation ("sends metric data to CloudWatch every minute"): each request is its own datapoint,
at once. Nothing is published for a region that is out (``regions.OUTAGES``; its listener is
closed as well). The datapoints older than ``METRIC_RETENTION`` are pruned, at most once a
``PRUNE_EVERY``, so memory stays bounded and a request does not walk the whole list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from local_aws import regions
from local_aws.dataplane.apigateway_routing import Target

NAMESPACE = "AWS/ApiGateway"
METRIC_RETENTION = timedelta(hours=3)  # the published datapoints older than this are dropped
PRUNE_EVERY = timedelta(minutes=1)
_last_pruned: dict[tuple[str, str], Any] = {}  # (account, region) -> when


@dataclass(frozen=True)
class Served:
    """What one request came to: its status, its latency and, once routed, its method."""

    status: int
    latency_ms: float
    integration_latency_ms: float | None = None  # None: the integration was not called
    resource_path: str | None = None  # None: no resource matched
    http_method: str | None = None


def api_name(target: Target) -> str:
    """The ApiName dimension: the API's name (read live: the snapshot does not keep it) without
    its non-ASCII characters, else its id."""
    from moto.apigateway.models import apigateway_backends  # noqa: PLC0415 - after the patches

    snapshot = target.snapshot
    api = apigateway_backends[snapshot.account_id][snapshot.region].apis.get(snapshot.api_id)
    given = (api.name or "") if api else ""
    name = "".join(ch for ch in given if ch.isascii())
    return name or snapshot.api_id


def detailed(target: Target, resource_path: str, http_method: str) -> bool:
    """Whether the stage's method settings enable detailed metrics for this method."""
    settings = target.stage.method_settings or {}
    specific = f"{resource_path.lstrip('/').replace('/', '~1')}/{http_method}"
    chosen = settings.get(specific) or settings.get("*/*") or {}
    return bool(chosen.get("metricsEnabled"))


def dimension_sets(target: Target, served: Served) -> list[list[dict[str, str]]]:
    name = api_name(target)
    sets = [
        [{"Name": "ApiName", "Value": name}],
        [{"Name": "ApiName", "Value": name}, {"Name": "Stage", "Value": target.stage_name}],
    ]
    path, method = served.resource_path, served.http_method
    if path and method and detailed(target, path, method):
        sets.append(
            [
                {"Name": "ApiName", "Value": name},
                {"Name": "Method", "Value": method},
                {"Name": "Resource", "Value": path},
                {"Name": "Stage", "Value": target.stage_name},
            ]
        )
    return sets


def publish(target: Target, served: Served) -> None:
    """Put one request's datapoints into moto's CloudWatch in the API's region and account."""
    from moto.cloudwatch.models import cloudwatch_backends  # noqa: PLC0415 - moto loads after the env is set
    from moto.core.utils import utcnow  # noqa: PLC0415

    region, account_id = target.snapshot.region, target.snapshot.account_id
    if regions.OUTAGES.is_down(region):
        return
    now = utcnow()
    values: list[tuple[str, float, str]] = [
        ("Count", 1.0, "Count"),
        ("4XXError", 1.0 if 400 <= served.status < 500 else 0.0, "Count"),
        ("5XXError", 1.0 if served.status >= 500 else 0.0, "Count"),
        ("Latency", served.latency_ms, "Milliseconds"),
    ]
    if served.integration_latency_ms is not None:
        values.append(("IntegrationLatency", served.integration_latency_ms, "Milliseconds"))
    data = [
        {"MetricName": metric, "Dimensions": dims, "Value": value, "Unit": unit, "Timestamp": now}
        for dims in dimension_sets(target, served)
        for metric, value, unit in values
    ]
    backend = cloudwatch_backends[account_id][region]
    backend.put_metric_data(NAMESPACE, data)
    last = _last_pruned.get((account_id, region))
    if last is None or now - last >= PRUNE_EVERY:
        _last_pruned[(account_id, region)] = now
        _prune(backend, now - METRIC_RETENTION)


def _prune(backend: Any, cutoff: Any) -> None:
    """Drop this namespace's datapoints older than ``cutoff`` (memory stays bounded). Deletes by
    index from the end: moto only ever appends to the list meanwhile."""
    data = backend.metric_data
    stale = [
        i for i, datum in enumerate(list(data)) if datum.namespace == NAMESPACE and datum.timestamp < cutoff
    ]
    for i in reversed(stale):
        del data[i]

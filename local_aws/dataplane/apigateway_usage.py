"""API keys, usage plans and throttles: what API Gateway counts before a request reaches the
integration.

- API keys: a method that requires one needs ``x-api-key`` to be an enabled key bound to the stage
  by a usage plan
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html).
- Throttling: "API Gateway throttling-related settings are applied in the following order:
  ... Per-client throttling limits that you set in a usage plan; Default per-method limits and
  individual per-method limits that you set in API stage settings; Account-level throttling"
  and "By default, API Gateway limits the steady-state requests per second (RPS) across all APIs
  within an AWS account, per Region" (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html);
  the quota: "10,000 requests per second (RPS)" per account, per Region, "For the following
  Regions, the default throttle quota is 2500 RPS and the default burst quota is 1250 RPS"
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html; those Regions are
  marked in lib/regions.py, the project's one list). One account bucket per account and region
  (burst 5,000: the request-throttling page's "It limits the burst ... to 5,000 requests across
  all APIs within an AWS account") takes every request; a stage bucket only where the stage's
  method settings set a throttle.
- Usage-plan quota: "The time period in which the limit applies. Valid values are "DAY",
  "WEEK" or "MONTH"." (https://docs.aws.amazon.com/apigateway/latest/api/API_QuotaSettings.html).
  Undocumented: assumed periods are UTC calendar days, ISO weeks (from Monday) and calendar
  months; a quota without a period is counted per MONTH (the longest, so never more lenient).

Not modelled: usage-plan quota offsets.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from lib.regions import APIGATEWAY_LOW_QUOTA
from local_aws.dataplane.apigateway_routing import Call, Target
from local_aws.patches.apigateway_deployment_snapshot import ApiSnapshot

# The account's throttle per Region (rate, burst), and where the default is lower (limits.html).
ACCOUNT_LIMITS = (10_000.0, 5_000.0)
LOW_DEFAULT_ACCOUNT_LIMITS = (2_500.0, 1_250.0)
# strftime of the usage-plan quota's period: one count per value.
QUOTA_PERIODS = {"DAY": "%Y-%m-%d", "WEEK": "%G-W%V", "MONTH": "%Y-%m"}


class TokenBucket:
    """API Gateway's throttle: a bucket of ``burst`` tokens refilled at ``rate`` per second
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html)."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._tokens, self._at = burst, clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


def account_limits(region: str) -> tuple[float, float]:
    """The account's default throttle (rate, burst) in ``region``."""
    return LOW_DEFAULT_ACCOUNT_LIMITS if region in APIGATEWAY_LOW_QUOTA else ACCOUNT_LIMITS


def backend_of(backends: Iterable[tuple[str, str, Any]], snapshot: ApiSnapshot) -> Any:
    for account_id, region, backend in backends:
        if account_id == snapshot.account_id and region == snapshot.region:
            return backend
    raise LookupError(f"no API Gateway backend for {snapshot.account_id} in {snapshot.region}")


class Usage:
    """The key check, the usage plans' throttles and quotas, the stages' and the accounts'
    throttles of every REST API in one set of moto backends."""

    def __init__(self, backends: Callable[[], Iterable[tuple[str, str, Any]]], clock: Callable[[], float]):
        self._backends, self._clock = backends, clock
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}
        self._quota: dict[tuple[str, str, str], int] = {}
        self._lock = threading.Lock()

    def admit(self, call: Call) -> str | None:
        """The key, then the plan's limits, the stage's and the account's throttle, in API
        Gateway's order: the gateway response type that refuses the call, or None."""
        if call.method.api_key_required:
            bound = self._api_key(call.target, call.request.headers.get("x-api-key", ""))
            if bound is None:
                return "INVALID_API_KEY"
            call.api_key, plan = bound
            limited = self._usage_plan_limits(plan, call.api_key)
            if limited:
                return limited
        stage = self._stage_throttle(call.target, call.resource.path, call.method.http_method)
        if (stage and not stage.take()) or not self._account_throttle(call.target.snapshot).take():
            return "THROTTLED"
        return None

    def _api_key(self, target: Target, value: str) -> tuple[Any, Any] | None:
        """The enabled key with this value and the usage plan that binds it to the stage: one
        scan of the keys and plans per request."""
        if not value:
            return None
        backend = backend_of(self._backends(), target.snapshot)
        for key in list(backend.keys.values()):
            if key.value == value and key.enabled:
                plan = self._plan_of(backend, target, key.id)
                if plan is not None:
                    return key, plan
        return None

    @staticmethod
    def _plan_of(backend: Any, target: Target, key_id: str) -> Any | None:
        for plan_id, keys in list(backend.usage_plan_keys.items()):
            if key_id not in keys:
                continue
            plan = backend.usage_plans.get(plan_id)
            for stage in plan.api_stages if plan else []:
                if stage.get("apiId") == target.snapshot.api_id and stage.get("stage") == target.stage_name:
                    return plan
        return None

    def _usage_plan_limits(self, plan: Any, key: Any) -> str | None:
        """The plan's throttle and quota for this key: the refusal, or None."""
        throttle = plan.throttle or {}
        if throttle:
            bucket = self._bucket(
                ("plan", plan.id, key.id),
                float(throttle.get("rateLimit", 0) or 0),
                float(throttle.get("burstLimit", 0) or 0),
            )
            if not bucket.take():
                return "THROTTLED"
        quota = plan.quota or {}
        if quota.get("limit"):
            period_format = QUOTA_PERIODS.get(quota.get("period"), QUOTA_PERIODS["MONTH"])
            period = datetime.now(UTC).strftime(period_format)
            with self._lock:
                used = self._quota.get((plan.id, key.id, period), 0)
                if used >= int(quota["limit"]):
                    return "QUOTA_EXCEEDED"
                self._quota[(plan.id, key.id, period)] = used + 1
        return None

    def _stage_throttle(self, target: Target, resource_path: str, http_method: str) -> TokenBucket | None:
        """The stage's method settings: the most specific of ``{path}/{METHOD}`` and ``*/*``
        (https://docs.aws.amazon.com/apigateway/latest/api/API_MethodSetting.html); None when
        they set no throttle (the account's then applies alone)."""
        settings = target.stage.method_settings or {}
        specific = f"{resource_path.lstrip('/').replace('/', '~1')}/{http_method}"
        chosen = settings.get(specific) or settings.get("*/*") or {}
        if "throttlingRateLimit" not in chosen and "throttlingBurstLimit" not in chosen:
            return None
        default_rate, default_burst = account_limits(target.snapshot.region)
        rate = float(chosen.get("throttlingRateLimit", default_rate))
        burst = float(chosen.get("throttlingBurstLimit", default_burst))
        key = (
            "stage",
            target.snapshot.api_id,
            target.stage_name,
            specific if specific in settings else "*/*",
        )
        return self._bucket(key, rate, burst)

    def _account_throttle(self, snapshot: ApiSnapshot) -> TokenBucket:
        """The account's bucket in the API's region: one for all its APIs and stages."""
        key = ("account", snapshot.account_id, snapshot.region)
        return self._bucket(key, *account_limits(snapshot.region))

    def _bucket(self, key: tuple[str, ...], rate: float, burst: float) -> TokenBucket:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):
                bucket = self._buckets[key] = TokenBucket(rate, burst, self._clock)
            return bucket

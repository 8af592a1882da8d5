"""Gap: moto's ``GetHealthCheckStatus`` answers a canned "Success" for every health check, whatever
its target does.

AWS answers what its health checkers saw: "Gets status of a specified health check." The response
lists ``HealthCheckObservations``, "A list that contains one HealthCheckObservation element for
each Amazon Route 53 health checker that is reporting a status about the health check endpoint",
each with its ``Region``, ``IPAddress`` and ``StatusReport`` (``Status``, ``CheckedTime``)
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHealthCheckStatus.html). A
calculated health check has no observations: "You can't use GetHealthCheckStatus to get the status
of a calculated health check" (same page).

With this patch the answer is what the data plane's checkers observed (``dataplane/health_checks.py``
passes a function from a health check id to its observations; None restores moto's answer). The
data plane gives this module its observations; this module never imports the data plane.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

Observations = Callable[[str], list[dict[str, Any]]]

_observe: Observations | None = None
_original: Callable[..., Any] | None = None


def apply(observe: Observations | None = None) -> None:
    """Make ``GetHealthCheckStatus`` answer ``observe(health_check_id)`` (None: moto's canned
    answer again). Idempotent."""
    global _observe, _original  # noqa: PLW0603 - one patch of one moto class, process-wide
    from moto.core.responses import ActionResult  # noqa: PLC0415 - moto loads after the env is set
    from moto.route53.exceptions import InvalidInput  # noqa: PLC0415
    from moto.route53.responses import Route53  # noqa: PLC0415

    _observe = observe
    if _original is not None:
        return
    original = _original = Route53.get_health_check_status

    @functools.wraps(original)
    def get_health_check_status(self: Route53) -> Any:
        observe = _observe
        if observe is None:
            return original(self)
        health_check_id = self._get_param("HealthCheckId")
        health_check = self.backend.get_health_check(health_check_id)  # NoSuchHealthCheck
        if str(health_check.type_) == "CALCULATED":
            raise InvalidInput("GetHealthCheckStatus can't get the status of a calculated health check")
        return ActionResult({"HealthCheckObservations": observe(health_check_id)})

    Route53.get_health_check_status = get_health_check_status

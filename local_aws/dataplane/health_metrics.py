"""The Route 53 health checkers' CloudWatch metric: ``AWS/Route53 HealthCheckStatus``.

After each probe (each interval for a health check without probes) ``HealthCheckers`` publishes
the health check's status, 1 healthy or 0 unhealthy, with the dimension ``HealthCheckId``, into
moto's CloudWatch in us-east-1 (``lib.regions.GLOBAL``), the only region where Route 53
publishes health-check metrics
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html).
The datapoints older than ``METRIC_RETENTION`` are pruned, so memory stays bounded.
"""

from __future__ import annotations

from datetime import timedelta

from lib.regions import GLOBAL

METRICS_REGION = GLOBAL
NAMESPACE = "AWS/Route53"
METRIC = "HealthCheckStatus"
METRIC_RETENTION = timedelta(hours=3)  # the published datapoints older than this are dropped


def publish(account_id: str, health_check_id: str, healthy: bool) -> None:
    """Put one ``HealthCheckStatus`` datapoint, now, in ``account_id``'s CloudWatch."""
    from moto.cloudwatch.models import cloudwatch_backends  # noqa: PLC0415 - moto loads after the env is set
    from moto.core.utils import utcnow  # noqa: PLC0415

    cloudwatch_backends[account_id][METRICS_REGION].put_metric_data(
        NAMESPACE,
        [
            {
                "MetricName": METRIC,
                "Dimensions": [{"Name": "HealthCheckId", "Value": health_check_id}],
                "Value": 1.0 if healthy else 0.0,
                "Unit": "None",
                "Timestamp": utcnow(),
            }
        ],
    )


def prune() -> None:
    """Drop this module's datapoints older than ``METRIC_RETENTION`` (memory stays bounded).
    Deletes by index from the end: moto only ever appends to the list meanwhile."""
    from moto.cloudwatch.models import cloudwatch_backends  # noqa: PLC0415
    from moto.core.utils import utcnow  # noqa: PLC0415

    cutoff = utcnow() - METRIC_RETENTION
    for per_account in list(cloudwatch_backends.values()):
        backend = dict.get(per_account, METRICS_REGION)
        if backend is None:
            continue
        data = backend.metric_data
        stale = [
            i
            for i, datum in enumerate(list(data))
            if datum.namespace == NAMESPACE and datum.name == METRIC and datum.timestamp < cutoff
        ]
        for i in reversed(stale):
            del data[i]

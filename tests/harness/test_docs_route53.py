"""Route 53 health checks of type CLOUDWATCH_METRIC and CALCULATED, and the DNS failover answers
that depend on them, written from AWS's documentation alone (see each test's docstring).

Health is observed the way a client sees it: through the DNS answers of a failover record pair
(PRIMARY = 192.0.2.1 carrying the health check under test, SECONDARY = 192.0.2.2 with no health
check unless a test says otherwise) and through GetHealthCheck. One metric period of 60 AWS
seconds lasts one real second here (LOCAL_CLOUD_TIME_SCALE = 60).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

LOCAL_CLOUD_TIME_SCALE = 60

REGION = "us-east-1"
NAMESPACE = "DocsTests/Route53"
PRIMARY = "192.0.2.1"
SECONDARY = "192.0.2.2"
PERIOD = 60  # AWS seconds: standard resolution, the only kind Route 53 supports
POLL = 0.1  # real seconds between DNS queries
FEED_EVERY = 0.25  # real seconds between PutMetricData calls while data is "flowing"
WAIT_PERIODS = 15  # bound, in periods, on waiting for a change that the docs require
HOLD_PERIODS = 5  # periods during which an answer the docs require must not change


# -- helpers ------------------------------------------------------------------------------------


def _uid() -> str:
    return uuid.uuid4().hex[:10]


def _periods(cloud: Any, n: float) -> float:
    """Real seconds that ``n`` metric periods of PERIOD AWS seconds take."""
    return cloud.real(PERIOD * n)


def _dims(service: str) -> list[dict[str, str]]:
    return [{"Name": "Service", "Value": service}]


def make_zone(cloud: Any, label: str) -> tuple[str, str]:
    """A new public hosted zone: (zone id, apex name ending in a dot)."""
    apex = f"{label}-{_uid()}.r53docs.example."
    zone = cloud.client("route53").create_hosted_zone(Name=apex, CallerReference=_uid())
    return zone["HostedZone"]["Id"].split("/")[-1], apex


def put_alarm(
    cloud: Any,
    name: str,
    metric: str,
    *,
    threshold: float = 50.0,
    operator: str = "GreaterThanThreshold",
    statistic: str = "Maximum",
    period: int = PERIOD,
    evaluation_periods: int = 1,
    treat_missing: str | None = None,
    dimensions: list[dict[str, str]] | None = None,
) -> None:
    kwargs: dict[str, Any] = {
        "AlarmName": name,
        "Namespace": NAMESPACE,
        "MetricName": metric,
        "Dimensions": dimensions if dimensions is not None else _dims(metric),
        "Statistic": statistic,
        "Period": period,
        "EvaluationPeriods": evaluation_periods,
        "Threshold": threshold,
        "ComparisonOperator": operator,
    }
    if treat_missing:
        kwargs["TreatMissingData"] = treat_missing
    cloud.client("cloudwatch", REGION).put_metric_alarm(**kwargs)


def put_values(cloud: Any, metric: str, *values: float) -> None:
    """Datapoints for ``metric`` (its default dimension), all with the default timestamp (now)."""
    cloud.client("cloudwatch", REGION).put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[{"MetricName": metric, "Dimensions": _dims(metric), "Value": v} for v in values],
    )


def feeder(cloud: Any, metric: str, *values: float) -> Callable[[], None]:
    """A callable that keeps data flowing: each call puts ``values`` at most every FEED_EVERY s."""
    last = [0.0]

    def feed() -> None:
        if time.monotonic() - last[0] >= FEED_EVERY:
            put_values(cloud, metric, *values)
            last[0] = time.monotonic()

    return feed


def alarm_state(cloud: Any, name: str) -> str:
    alarms = cloud.client("cloudwatch", REGION).describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return alarms[0]["StateValue"]


def cw_check(
    cloud: Any, alarm: str, status: str = "Healthy", *, inverted: bool = False, disabled: bool = False
) -> str:
    """A CLOUDWATCH_METRIC health check on ``alarm`` with InsufficientDataHealthStatus ``status``."""
    config: dict[str, Any] = {
        "Type": "CLOUDWATCH_METRIC",
        "AlarmIdentifier": {"Region": REGION, "Name": alarm},
        "InsufficientDataHealthStatus": status,
    }
    if inverted:
        config["Inverted"] = True
    if disabled:
        config["Disabled"] = True
    created = cloud.client("route53").create_health_check(CallerReference=_uid(), HealthCheckConfig=config)
    return created["HealthCheck"]["Id"]


def calculated_check(cloud: Any, children: list[str], threshold: int, *, inverted: bool = False) -> str:
    config: dict[str, Any] = {
        "Type": "CALCULATED",
        "ChildHealthChecks": children,
        "HealthThreshold": threshold,
    }
    if inverted:
        config["Inverted"] = True
    created = cloud.client("route53").create_health_check(CallerReference=_uid(), HealthCheckConfig=config)
    return created["HealthCheck"]["Id"]


def set_insufficient_status(cloud: Any, health_check: str, status: str) -> None:
    cloud.client("route53").update_health_check(
        HealthCheckId=health_check, InsufficientDataHealthStatus=status
    )


def upsert(cloud: Any, zone_id: str, *records: dict[str, Any]) -> None:
    cloud.client("route53").change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": r} for r in records]},
    )


def failover_pair(
    cloud: Any,
    zone_id: str,
    name: str,
    primary_check: str | None,
    secondary_check: str | None = None,
    *,
    ttl: int = 60,
) -> None:
    """PRIMARY -> 192.0.2.1 (``primary_check``), SECONDARY -> 192.0.2.2 (``secondary_check``)."""
    primary: dict[str, Any] = {
        "Name": name,
        "Type": "A",
        "SetIdentifier": "primary",
        "Failover": "PRIMARY",
        "TTL": ttl,
        "ResourceRecords": [{"Value": PRIMARY}],
    }
    secondary: dict[str, Any] = {
        "Name": name,
        "Type": "A",
        "SetIdentifier": "secondary",
        "Failover": "SECONDARY",
        "TTL": ttl,
        "ResourceRecords": [{"Value": SECONDARY}],
    }
    if primary_check:
        primary["HealthCheckId"] = primary_check
    if secondary_check:
        secondary["HealthCheckId"] = secondary_check
    upsert(cloud, zone_id, primary, secondary)


Expected = dict[str, Any]  # name -> list of addresses, or a predicate on that list


def _matches(expected: Any, got: list[str]) -> bool:
    return expected(got) if callable(expected) else got == list(expected)


def _answers(cloud: Any, names: Iterable[str]) -> dict[str, list[str]]:
    return {name: cloud.a_records(name)[0] for name in names}


def wait_for(
    cloud: Any, expected: Expected, *, periods: float = WAIT_PERIODS, feed: Callable[[], None] | None = None
) -> None:
    """Poll DNS (feeding data if asked) until every name answers as expected, within ``periods``."""
    deadline = time.monotonic() + _periods(cloud, periods)
    got: dict[str, list[str]] = {}
    while True:
        if feed:
            feed()
        got = _answers(cloud, expected)
        if all(_matches(expected[n], got[n]) for n in expected):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"after {periods} periods DNS answers {got}, expected {expected}")
        time.sleep(POLL)


def hold(
    cloud: Any,
    expected: Expected,
    *,
    periods: float = HOLD_PERIODS,
    feed: Callable[[], None] | None = None,
    each: Callable[[], None] | None = None,
) -> None:
    """Poll DNS for ``periods`` (feeding data / calling ``each`` if asked): every answer must match."""
    start = time.monotonic()
    while time.monotonic() - start < _periods(cloud, periods):
        if feed:
            feed()
        if each:
            each()
        got = _answers(cloud, expected)
        wrong = {n: got[n] for n in expected if not _matches(expected[n], got[n])}
        elapsed = time.monotonic() - start
        assert not wrong, f"{elapsed:.1f} s into the hold DNS answered {wrong} while {expected} had to hold"
        time.sleep(POLL)


def wait_alarm(cloud: Any, name: str, state: str, *, feed: Callable[[], None] | None = None) -> None:
    deadline = time.monotonic() + _periods(cloud, WAIT_PERIODS)
    while alarm_state(cloud, name) != state:
        assert time.monotonic() < deadline, f"alarm {name} is {alarm_state(cloud, name)}, expected {state}"
        if feed:
            feed()
        time.sleep(POLL)


# -- CLOUDWATCH_METRIC: configuration -----------------------------------------------------------


def test_get_health_check_returns_the_alarm_criteria(local_cloud: Any) -> None:
    """GetHealthCheck returns, in CloudWatchAlarmConfiguration, the criteria of the alarm.

    "CloudWatchAlarmConfiguration: A complex type that contains information about the CloudWatch
    alarm that Amazon Route 53 is monitoring for this health check." (ComparisonOperator,
    EvaluationPeriods, MetricName, Namespace, Period, Statistic, Threshold, Dimensions)
    https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheck.html
    https://docs.aws.amazon.com/Route53/latest/APIReference/API_CloudWatchAlarmConfiguration.html
    """
    alarm, metric = f"criteria-{_uid()}", f"Criteria{_uid()}"
    dims = [{"Name": "Service", "Value": "checkout"}, {"Name": "Stage", "Value": "prod"}]
    put_alarm(
        local_cloud,
        alarm,
        metric,
        threshold=7.5,
        operator="LessThanOrEqualToThreshold",
        statistic="Sum",
        period=300,
        evaluation_periods=3,
        dimensions=dims,
    )
    check = cw_check(local_cloud, alarm, "LastKnownStatus")

    got = local_cloud.client("route53").get_health_check(HealthCheckId=check)["HealthCheck"]
    config = got["HealthCheckConfig"]
    assert config["Type"] == "CLOUDWATCH_METRIC"
    assert config["AlarmIdentifier"] == {"Region": REGION, "Name": alarm}
    assert config["InsufficientDataHealthStatus"] == "LastKnownStatus"
    alarm_config = got["CloudWatchAlarmConfiguration"]
    assert {k: v for k, v in alarm_config.items() if k != "Dimensions"} == {
        "ComparisonOperator": "LessThanOrEqualToThreshold",
        "EvaluationPeriods": 3,
        "MetricName": metric,
        "Namespace": NAMESPACE,
        "Period": 300,
        "Statistic": "Sum",
        "Threshold": 7.5,
    }
    assert sorted((d["Name"], d["Value"]) for d in alarm_config["Dimensions"]) == [
        ("Service", "checkout"),
        ("Stage", "prod"),
    ]


# -- CLOUDWATCH_METRIC: evaluation of the data stream -------------------------------------------


def test_data_stream_and_alarm_statistic_decide_health_not_alarm_state(local_cloud: Any) -> None:
    """Breaching data makes the health check unhealthy with the alarm's own criteria (here its
    statistic), and SetAlarmState(OK) on that alarm does not make it healthy; Inverted and
    Disabled checks on the same alarm answer accordingly.

    "Route 53 doesn't wait for the CloudWatch alarm to go into the ALARM state. The status of a
    health check changes from healthy to unhealthy based on the data stream and on the criteria
    in the CloudWatch alarm."
    https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-types.html
    "Because Route 53 health checks monitor CloudWatch data streams instead of the state of
    CloudWatch alarms, you can't force the status of a health check to change by using the
    CloudWatch SetAlarmState API operation."
    https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html
    "If you choose this option, Route 53 considers health checks to be unhealthy when the status
    is healthy and vice versa." (Invert health check status)
    https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html
    "After you disable a health check, Route 53 considers the status of the health check to
    always be healthy." https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
    """
    metric = f"Latency{_uid()}"
    by_max, by_avg = f"max-{_uid()}", f"avg-{_uid()}"
    # Each period gets 10 and 90: Maximum 90 > 60 breaches, Average 50 does not.
    put_alarm(local_cloud, by_max, metric, threshold=60, statistic="Maximum")
    put_alarm(local_cloud, by_avg, metric, threshold=60, statistic="Average")
    zone_id, apex = make_zone(local_cloud, "stream")
    names = {k: f"{k}.{apex}" for k in ("max", "avg", "inverted", "disabled")}
    failover_pair(local_cloud, zone_id, names["max"], cw_check(local_cloud, by_max))
    failover_pair(local_cloud, zone_id, names["avg"], cw_check(local_cloud, by_avg))
    failover_pair(local_cloud, zone_id, names["inverted"], cw_check(local_cloud, by_max, inverted=True))
    failover_pair(
        local_cloud, zone_id, names["disabled"], cw_check(local_cloud, by_max, "Unhealthy", disabled=True)
    )

    breaching = feeder(local_cloud, metric, 10, 90)
    steady = {
        names["max"]: [SECONDARY],
        names["avg"]: [PRIMARY],
        names["inverted"]: [PRIMARY],
        names["disabled"]: [PRIMARY],
    }
    wait_for(local_cloud, steady, feed=breaching)
    hold(local_cloud, steady, periods=3, feed=breaching)

    cloudwatch = local_cloud.client("cloudwatch", REGION)

    def force_ok() -> None:
        cloudwatch.set_alarm_state(AlarmName=by_max, StateValue="OK", StateReason="docs test")

    hold(local_cloud, steady, feed=breaching, each=force_ok)

    recovered = feeder(local_cloud, metric, 10, 20)
    wait_for(local_cloud, {names["max"]: [PRIMARY], names["inverted"]: [SECONDARY]}, feed=recovered)


def test_new_health_checks_without_any_data(local_cloud: Any) -> None:
    """With no data at all, InsufficientDataHealthStatus decides: Healthy, Unhealthy, and
    LastKnownStatus (healthy for a new check); Inverted turns the Healthy one unhealthy.

    "If the data stream doesn't provide enough information to determine the state of the alarm,
    the health check status depends on the setting for Health check status: healthy, unhealthy,
    or last known status."
    https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html
    "For new health checks that have no last known status, the default status for the health
    check is healthy." https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
    """
    alarm, metric = f"silent-{_uid()}", f"Silent{_uid()}"
    put_alarm(local_cloud, alarm, metric)
    zone_id, apex = make_zone(local_cloud, "nodata")
    cases = {
        "healthy": (cw_check(local_cloud, alarm, "Healthy"), [PRIMARY]),
        "unhealthy": (cw_check(local_cloud, alarm, "Unhealthy"), [SECONDARY]),
        "last": (cw_check(local_cloud, alarm, "LastKnownStatus"), [PRIMARY]),
        "inverted": (cw_check(local_cloud, alarm, "Healthy", inverted=True), [SECONDARY]),
    }
    expected = {}
    for label, (check, answer) in cases.items():
        failover_pair(local_cloud, zone_id, f"{label}.{apex}", check)
        expected[f"{label}.{apex}"] = answer
    wait_for(local_cloud, expected)
    hold(local_cloud, expected)


def _until(
    cloud: Any, names: Iterable[str], done: Callable[[dict[str, list[str]]], bool], invariant: Expected
) -> None:
    """Poll DNS until ``done(answers)`` (within WAIT_PERIODS); every answer must satisfy ``invariant``."""
    deadline = time.monotonic() + _periods(cloud, WAIT_PERIODS)
    while True:
        got = _answers(cloud, names)
        wrong = {n: got[n] for n in invariant if not _matches(invariant[n], got[n])}
        assert not wrong, f"DNS answered {wrong} while {invariant} had to hold ({got})"
        if done(got):
            return
        assert time.monotonic() < deadline, f"after {WAIT_PERIODS} periods of silence DNS still answers {got}"
        time.sleep(POLL)


def test_insufficient_data_status_after_data_stops(local_cloud: Any) -> None:
    """Breaching data, then silence: the Healthy check comes back to healthy, the Unhealthy one
    stays unhealthy, and LastKnownStatus keeps the last status (unhealthy) all along and after.
    Then non-breaching data, then silence: LastKnownStatus keeps healthy while the Unhealthy
    check goes back to unhealthy.

    "If the data stream doesn't provide enough information to determine the state of the alarm,
    the health check status depends on the setting for Health check status: healthy, unhealthy,
    or last known status."
    https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html
    "LastKnownStatus: Route 53 uses the status of the health check from the last time that
    CloudWatch had sufficient data to determine the alarm state."
    https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
    """
    alarm, metric = f"stops-{_uid()}", f"Stops{_uid()}"
    put_alarm(local_cloud, alarm, metric)
    zone_id, apex = make_zone(local_cloud, "stops")
    healthy, unhealthy, last = (f"{k}.{apex}" for k in ("healthy", "unhealthy", "last"))
    failover_pair(local_cloud, zone_id, healthy, cw_check(local_cloud, alarm, "Healthy"))
    failover_pair(local_cloud, zone_id, unhealthy, cw_check(local_cloud, alarm, "Unhealthy"))
    failover_pair(local_cloud, zone_id, last, cw_check(local_cloud, alarm, "LastKnownStatus"))
    names = (healthy, unhealthy, last)

    # Breaching data until every check reports unhealthy, then silence.
    wait_for(local_cloud, {n: [SECONDARY] for n in names}, feed=feeder(local_cloud, metric, 90))
    _until(
        local_cloud,
        names,
        lambda got: got[healthy] == [PRIMARY],
        {unhealthy: [SECONDARY], last: [SECONDARY]},
    )
    hold(local_cloud, {healthy: [PRIMARY], unhealthy: [SECONDARY], last: [SECONDARY]})

    # Non-breaching data until every check reports healthy, then silence.
    wait_for(local_cloud, {n: [PRIMARY] for n in names}, feed=feeder(local_cloud, metric, 10))
    _until(
        local_cloud,
        names,
        lambda got: got[unhealthy] == [SECONDARY],
        {healthy: [PRIMARY], last: [PRIMARY]},
    )
    hold(local_cloud, {healthy: [PRIMARY], unhealthy: [SECONDARY], last: [PRIMARY]})


def test_alarm_treat_missing_data_plays_no_part(local_cloud: Any) -> None:
    """Two alarms in ALARM without data: one treats missing data as `ignore` and had breaching
    data before the silence (it keeps ALARM), one treats missing data as `breaching` and never
    had data (it goes to ALARM). Health checks on them with InsufficientDataHealthStatus Healthy
    are healthy in the silence: the data stream has nothing to say.

    "Route 53 monitors the data stream for the corresponding alarm instead of monitoring the
    alarm state. [...] If the data stream doesn't provide enough information to determine the
    state of the alarm, the health check status depends on the setting for Health check status"
    https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html
    (the alarm settings a health check keeps, CloudWatchAlarmConfiguration, have no
    TreatMissingData: https://docs.aws.amazon.com/Route53/latest/APIReference/API_CloudWatchAlarmConfiguration.html)
    "ignore - The current alarm state is maintained." / "breaching - Missing data points are
    treated as breaching the threshold."
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
    """
    ignoring, ignoring_metric = f"ignore-{_uid()}", f"Ignore{_uid()}"
    breaching, breaching_metric = f"breach-missing-{_uid()}", f"BreachMissing{_uid()}"
    put_alarm(local_cloud, ignoring, ignoring_metric, treat_missing="ignore")
    put_alarm(local_cloud, breaching, breaching_metric, treat_missing="breaching")
    zone_id, apex = make_zone(local_cloud, "missing")
    ignoring_name, breaching_name = f"ignore.{apex}", f"breaching.{apex}"
    failover_pair(local_cloud, zone_id, ignoring_name, cw_check(local_cloud, ignoring, "Healthy"))
    failover_pair(local_cloud, zone_id, breaching_name, cw_check(local_cloud, breaching, "Healthy"))

    bad_data = feeder(local_cloud, ignoring_metric, 90)
    wait_for(local_cloud, {ignoring_name: [SECONDARY]}, feed=bad_data)
    wait_alarm(local_cloud, ignoring, "ALARM", feed=bad_data)
    wait_alarm(local_cloud, breaching, "ALARM")  # no data at all, treated as breaching
    # Silence from now on: both alarms stay in ALARM, both checks must be healthy.
    expected = {ignoring_name: [PRIMARY], breaching_name: [PRIMARY]}
    wait_for(local_cloud, expected)
    hold(local_cloud, expected)
    assert (alarm_state(local_cloud, ignoring), alarm_state(local_cloud, breaching)) == ("ALARM", "ALARM")


def test_set_alarm_state_alarm_without_data_changes_nothing(local_cloud: Any) -> None:
    """SetAlarmState(ALARM), repeated, on an alarm whose metric has no data does not make a
    Healthy-when-insufficient check unhealthy.

    "Because Route 53 health checks monitor CloudWatch data streams instead of the state of
    CloudWatch alarms, you can't force the status of a health check to change by using the
    CloudWatch SetAlarmState API operation."
    https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html
    """
    alarm, metric = f"forced-{_uid()}", f"Forced{_uid()}"
    put_alarm(local_cloud, alarm, metric)
    zone_id, apex = make_zone(local_cloud, "forced")
    name = f"forced.{apex}"
    failover_pair(local_cloud, zone_id, name, cw_check(local_cloud, alarm, "Healthy"))
    wait_for(local_cloud, {name: [PRIMARY]})
    cloudwatch = local_cloud.client("cloudwatch", REGION)

    def force_alarm() -> None:
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="docs test")

    hold(local_cloud, {name: [PRIMARY]}, each=force_alarm)


def test_changed_alarm_settings_need_update_health_check(local_cloud: Any) -> None:
    """PutMetricAlarm with a new threshold leaves the health check on the old settings (its
    CloudWatchAlarmConfiguration and its evaluation); UpdateHealthCheck with the same
    AlarmIdentifier makes it take the new ones.

    "If you create a Route 53 health check that monitors the data stream for a CloudWatch alarm
    and then you update the settings in the CloudWatch alarm, Route 53 doesn't automatically
    update the alarm settings in the health check. [...] Just specify the current values for
    AlarmIdentifier and Region, and Route 53 will get the latest settings from CloudWatch."
    https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-updating-cloudwatch-alarm-settings.html
    """
    alarm, metric = f"retune-{_uid()}", f"Retune{_uid()}"
    put_alarm(local_cloud, alarm, metric, threshold=100)
    zone_id, apex = make_zone(local_cloud, "retune")
    name = f"retune.{apex}"
    check = cw_check(local_cloud, alarm, "Unhealthy")
    failover_pair(local_cloud, zone_id, name, check)
    route53 = local_cloud.client("route53")

    def threshold() -> float:
        return route53.get_health_check(HealthCheckId=check)["HealthCheck"]["CloudWatchAlarmConfiguration"][
            "Threshold"
        ]

    wait_for(
        local_cloud, {name: [SECONDARY]}
    )  # no data yet: "Unhealthy" (a new check is unknown until evaluated)
    fifty = feeder(local_cloud, metric, 50)
    wait_for(local_cloud, {name: [PRIMARY]}, feed=fifty)  # 50 > 100 is false: healthy

    put_alarm(local_cloud, alarm, metric, threshold=10)  # 50 > 10 now breaches the alarm
    wait_alarm(local_cloud, alarm, "ALARM", feed=fifty)
    hold(local_cloud, {name: [PRIMARY]}, feed=fifty)
    assert threshold() == 100.0

    route53.update_health_check(HealthCheckId=check, AlarmIdentifier={"Region": REGION, "Name": alarm})
    assert threshold() == 10.0
    wait_for(local_cloud, {name: [SECONDARY]}, feed=fifty)


# -- CALCULATED ---------------------------------------------------------------------------------


def test_calculated_health_threshold_and_inverted(local_cloud: Any) -> None:
    """A calculated check counts its healthy children (here CLOUDWATCH_METRIC checks, one driven
    by data) against HealthThreshold; more than the number of children is always unhealthy, 0 is
    always healthy, and Inverted flips the result.

    "Route 53 adds up the number of child health checks that are considered to be healthy.
    Route 53 compares that number with the number of child health checks that must be healthy
    for the status of the parent health check to be considered healthy."
    https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html
    "If you specify a number greater than the number of child health checks, Route 53 always
    considers this health check to be unhealthy. If you specify 0, Route 53 always considers this
    health check to be healthy." (HealthThreshold)
    https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
    "Specify whether you want Amazon Route 53 to invert the status of a health check, for
    example, to consider a health check unhealthy when it otherwise would be considered
    healthy." (Inverted) https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
    """
    quiet, quiet_metric = f"quiet-{_uid()}", f"Quiet{_uid()}"
    driven, driven_metric = f"driven-{_uid()}", f"Driven{_uid()}"
    put_alarm(local_cloud, quiet, quiet_metric)
    put_alarm(local_cloud, driven, driven_metric)
    up = cw_check(local_cloud, quiet, "Healthy")  # always healthy (no data)
    down = cw_check(local_cloud, quiet, "Unhealthy")  # always unhealthy (no data)
    flip = cw_check(local_cloud, driven, "Healthy")  # follows the data
    zone_id, apex = make_zone(local_cloud, "calc")
    two, four, zero, two_inv = (f"{k}.{apex}" for k in ("two", "four", "zero", "twoinv"))
    failover_pair(local_cloud, zone_id, two, calculated_check(local_cloud, [up, down, flip], 2))
    failover_pair(local_cloud, zone_id, four, calculated_check(local_cloud, [up, down, flip], 4))
    failover_pair(local_cloud, zone_id, zero, calculated_check(local_cloud, [down], 0))
    failover_pair(
        local_cloud, zone_id, two_inv, calculated_check(local_cloud, [up, down, flip], 2, inverted=True)
    )

    fine = feeder(local_cloud, driven_metric, 10)
    when_fine = {two: [PRIMARY], four: [SECONDARY], zero: [PRIMARY], two_inv: [SECONDARY]}
    wait_for(local_cloud, when_fine, feed=fine)
    hold(local_cloud, when_fine, periods=3, feed=fine)

    breaching = feeder(local_cloud, driven_metric, 90)
    when_breaching = {two: [SECONDARY], four: [SECONDARY], zero: [PRIMARY], two_inv: [PRIMARY]}
    wait_for(local_cloud, when_breaching, feed=breaching)
    hold(local_cloud, when_breaching, periods=3, feed=breaching)


# -- DNS failover -------------------------------------------------------------------------------


def test_failover_answers(local_cloud: Any) -> None:
    """Primary healthy -> primary only; primary unhealthy and secondary healthy (with or without a
    health check) -> secondary; both unhealthy -> primary.

    "If Route 53 considers the primary record healthy (if the health check endpoint is healthy),
    Route 53 returns only the primary record in response to a DNS query. If Route 53 considers
    the primary record unhealthy and the secondary record healthy, Route 53 returns the
    secondary record instead. If Route 53 considers both the primary and secondary records
    unhealthy, Route 53 returns the primary record."
    https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-how-route-53-chooses-records.html
    "When the secondary resource record set is unhealthy, Route 53 responds to DNS queries with
    the applicable value from the primary resource record set regardless of the health of the
    primary resource record set." (Failover)
    https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html
    """
    alarm, metric = f"fo-{_uid()}", f"Failover{_uid()}"
    put_alarm(local_cloud, alarm, metric)
    good = cw_check(local_cloud, alarm, "Healthy")
    bad, bad_too = cw_check(local_cloud, alarm, "Unhealthy"), cw_check(local_cloud, alarm, "Unhealthy")
    zone_id, apex = make_zone(local_cloud, "failover")
    names = {k: f"{k}.{apex}" for k in ("ok", "down", "downok", "both")}
    failover_pair(local_cloud, zone_id, names["ok"], good)
    failover_pair(local_cloud, zone_id, names["down"], bad)
    failover_pair(local_cloud, zone_id, names["downok"], bad, good)
    failover_pair(local_cloud, zone_id, names["both"], bad, bad_too)
    expected = {
        names["ok"]: [PRIMARY],
        names["down"]: [SECONDARY],
        names["downok"]: [SECONDARY],
        names["both"]: [PRIMARY],
    }
    wait_for(local_cloud, expected)
    hold(local_cloud, expected, periods=3)


def test_alias_evaluate_target_health_and_alias_ttl(local_cloud: Any) -> None:
    """A failover PRIMARY alias to a group of weighted records in the same zone, with Evaluate
    Target Health, is healthy while one weighted record is, and unhealthy when none is (the
    SECONDARY answers); without Evaluate Target Health it stays in use. Queried directly, the
    all-unhealthy weighted group still answers. An alias to a record in the same zone answers
    with that record's TTL.

    "As long as at least one of the weighted records is healthy, Route 53 considers the alias
    record to be healthy. If none of the weighted records is healthy, Route 53 considers the
    alias record to be unhealthy." / "If none of the records in a group of records are healthy
    [...] Route 53 considers all the records in the group to be healthy and selects one based
    on the routing policy" / "Records without a health check are always healthy"
    https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-how-route-53-chooses-records.html
    "If an alias record points to another record in the same hosted zone, Route 53 uses the TTL
    of the record that the alias record points to."
    https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-choosing-alias-non-alias.html
    """
    alarm, metric = f"alias-{_uid()}", f"Alias{_uid()}"
    put_alarm(local_cloud, alarm, metric)
    first, second = cw_check(local_cloud, alarm, "Healthy"), cw_check(local_cloud, alarm, "Unhealthy")
    zone_id, apex = make_zone(local_cloud, "alias")
    pool, evaluated, unevaluated = f"pool.{apex}", f"evaluated.{apex}", f"unevaluated.{apex}"
    target, pointer = f"target.{apex}", f"pointer.{apex}"
    long_ttl = 1800
    upsert(
        local_cloud,
        zone_id,
        *(
            {
                "Name": pool,
                "Type": "A",
                "SetIdentifier": ident,
                "Weight": 1,
                "TTL": long_ttl,
                "ResourceRecords": [{"Value": address}],
                "HealthCheckId": check,
            }
            for ident, address, check in (("w1", "192.0.2.11", first), ("w2", "192.0.2.12", second))
        ),
        {"Name": target, "Type": "A", "TTL": long_ttl, "ResourceRecords": [{"Value": "192.0.2.20"}]},
        {
            "Name": pointer,
            "Type": "A",
            "AliasTarget": {"HostedZoneId": zone_id, "DNSName": target, "EvaluateTargetHealth": False},
        },
    )
    for name, evaluate in ((evaluated, True), (unevaluated, False)):
        upsert(
            local_cloud,
            zone_id,
            {
                "Name": name,
                "Type": "A",
                "SetIdentifier": "primary",
                "Failover": "PRIMARY",
                "AliasTarget": {"HostedZoneId": zone_id, "DNSName": pool, "EvaluateTargetHealth": evaluate},
            },
            {
                "Name": name,
                "Type": "A",
                "SetIdentifier": "secondary",
                "Failover": "SECONDARY",
                "TTL": 60,
                "ResourceRecords": [{"Value": SECONDARY}],
            },
        )

    wire_ttl = max(1, round(local_cloud.real(long_ttl)))
    one_healthy = {pool: ["192.0.2.11"], evaluated: ["192.0.2.11"], unevaluated: ["192.0.2.11"]}
    wait_for(local_cloud, one_healthy)
    hold(local_cloud, one_healthy, periods=3)
    assert local_cloud.a_records(evaluated) == (["192.0.2.11"], wire_ttl)
    assert local_cloud.a_records(pointer) == (["192.0.2.20"], wire_ttl)

    set_insufficient_status(local_cloud, first, "Unhealthy")

    def one_of_pool(got: list[str]) -> bool:
        return got in (["192.0.2.11"], ["192.0.2.12"])

    none_healthy = {pool: one_of_pool, evaluated: [SECONDARY], unevaluated: one_of_pool}
    wait_for(local_cloud, none_healthy)
    hold(local_cloud, none_healthy, periods=3)

    set_insufficient_status(local_cloud, second, "Healthy")
    wait_for(local_cloud, {pool: ["192.0.2.12"], evaluated: ["192.0.2.12"], unevaluated: ["192.0.2.12"]})

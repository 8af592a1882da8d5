"""Tests for the emulator's CloudWatch alarm evaluation (local_aws/dataplane/alarms.py) and the
CLOUDWATCH_METRIC health checks built on it: the data-plane failover switch.

Starts the patched moto server in-process on a free port (alarms, datapoints and health checks
are created with boto3), and evaluates the alarms with ``AlarmEvaluator.evaluate_once()`` on an
injected clock: each test places its datapoints at chosen seconds of a minute-aligned hour in the
past and moves the clock. The health-check tests run the Route 53 checkers and DNS server at a
large time scale, with a tiny HTTP server per region on its loopback address:

    .venv/bin/python -m pytest tests/harness/test_cloudwatch_alarms.py -p no:cacheprovider -q
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from local_aws import regions
from local_aws.dataplane.alarm_evaluation import ALARM, INSUFFICIENT_DATA, OK, decide
from local_aws.dataplane.alarms import AlarmEvaluator
from local_aws.dataplane.dns_server import DnsServer
from local_aws.dataplane.health_checks import HealthCheckers
from local_aws.dataplane.metric_checks import MetricHealthChecks
from local_aws.regions import address_of
from tests.harness.conftest import (
    API_NAME,
    EAST_API,
    EAST_DOMAIN,
    WEST_API,
    WEST_DOMAIN,
    ZONE,
    boto,
    region_port,
    wait_for,
)

ACCOUNT = "123456789012"  # moto's default account
EAST, WEST = "us-east-1", "us-west-2"
NAMESPACE, METRIC, ENVIRONMENT = "Tap/DR", "FailoverRequested", "dev"
BASE = (int(time.time()) // 3600 - 2) * 3600  # an hour two hours ago: periods of 60 s start here
SCALE = 20  # the checkers: RequestInterval 10 -> a probe every 0.5 s


class Clock:
    """The evaluator's clock: ``at(seconds)`` past ``BASE``."""

    def __init__(self) -> None:
        self.now = float(BASE)

    def __call__(self) -> float:
        return self.now

    def at(self, seconds: float) -> None:
        self.now = BASE + seconds


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def reset(endpoint: str) -> Iterator[None]:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    yield
    for region in regions.OUTAGES.down():
        regions.OUTAGES.set(region, False)


@pytest.fixture
def client(endpoint: str) -> Callable[..., Any]:
    def make(service: str, region: str = WEST) -> Any:
        return boto(service, region, endpoint)

    return make


@pytest.fixture
def cloudwatch(client: Callable[..., Any]) -> Any:
    return client("cloudwatch", WEST)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def evaluator(clock: Clock) -> AlarmEvaluator:
    return AlarmEvaluator(clock=clock)


# -- helpers -----------------------------------------------------------------------------------


def _alarm(cloudwatch: Any, name: str, **settings: Any) -> None:
    """The failover switch's alarm (lib/failover_switch.py) unless ``settings`` say otherwise."""
    config = {
        "Namespace": NAMESPACE,
        "MetricName": METRIC,
        "Dimensions": [{"Name": "Environment", "Value": ENVIRONMENT}],
        "Statistic": "Maximum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "ignore",
        **settings,
    }
    cloudwatch.put_metric_alarm(AlarmName=name, **{k: v for k, v in config.items() if v is not None})


def _put(cloudwatch: Any, at: float, value: float | None = None, **datum: Any) -> None:
    """A datapoint ``at`` seconds past ``BASE`` (the switch's metric unless ``datum`` says)."""
    datum = {
        "MetricName": METRIC,
        "Dimensions": [{"Name": "Environment", "Value": ENVIRONMENT}],
        "Timestamp": datetime.fromtimestamp(BASE + at, UTC),
        **({"Value": value} if value is not None else {}),
        **datum,
    }
    cloudwatch.put_metric_data(Namespace=datum.pop("Namespace", NAMESPACE), MetricData=[datum])


def _described(cloudwatch: Any, name: str) -> dict[str, Any]:
    [alarm] = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return alarm


def _state(cloudwatch: Any, name: str) -> str:
    return _described(cloudwatch, name)["StateValue"]


def _states(cloudwatch: Any, names: list[str]) -> dict[str, str]:
    return {name: _state(cloudwatch, name) for name in names}


def _evaluate(evaluator: AlarmEvaluator, clock: Clock, seconds: float) -> None:
    clock.at(seconds)
    evaluator.evaluate_once()


def _moto_alarm(name: str, region: str = WEST) -> Any:
    from moto.cloudwatch.models import cloudwatch_backends

    return cloudwatch_backends[ACCOUNT][region].alarms[name]


# -- the docs' tables --------------------------------------------------------------------------

# "How alarm state is evaluated when data is missing"
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html):
# the 5 most recent periods, oldest first (0 not breaching, X breaching, - missing), and the state
# for missing / ignore / breaching / notBreaching (None: "Retain current state").
THREE_OF_THREE = [
    ("0 - X - X", OK, OK, OK, OK),
    ("0 - - - -", OK, OK, OK, OK),
    ("- - - - -", INSUFFICIENT_DATA, None, ALARM, OK),
    ("0 X X - X", ALARM, ALARM, ALARM, ALARM),
    ("- - X - -", ALARM, None, ALARM, OK),
]
TWO_OF_THREE = [
    ("0 - X - X", ALARM, ALARM, ALARM, ALARM),
    ("0 0 X 0 X", ALARM, ALARM, ALARM, ALARM),
    ("0 - X - -", OK, OK, ALARM, OK),
    ("- - - - 0", OK, OK, ALARM, OK),
    ("- - - X -", ALARM, None, ALARM, OK),
]
# Not rows of the tables: the rule they illustrate ("Avoiding premature transitions to alarm
# state": ALARM when the oldest breaching datapoint among the last N is at least M old and every
# more recent one is breaching or missing) applied where it does not hold.
PREMATURE = [
    (3, "- - - - X", INSUFFICIENT_DATA),  # 1 old, not 3
    (3, "- - - X X", INSUFFICIENT_DATA),  # 2 old, not 3
    (3, "X - - - -", INSUFFICIENT_DATA),  # not among the last 3
    (2, "- - - - X", INSUFFICIENT_DATA),  # 1 old, not 2
    (2, "- - X - -", ALARM),  # 3 old, at least 2
]
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")


@pytest.mark.parametrize(
    ("datapoints_to_alarm", "row"),
    [(3, row) for row in THREE_OF_THREE] + [(2, row) for row in TWO_OF_THREE],
)
def test_missing_data_follows_the_tables_in_the_docs(datapoints_to_alarm: int, row: tuple) -> None:
    points = [{"0": False, "X": True, "-": None}[p] for p in row[0].split()]
    decided = {
        treatment: decide(
            points,
            evaluation_periods=3,
            datapoints_to_alarm=datapoints_to_alarm,
            treat_missing_data=treatment,
        ).state
        for treatment in TREATMENTS
    }
    assert decided == dict(zip(TREATMENTS, row[1:], strict=True))


@pytest.mark.parametrize(("datapoints_to_alarm", "row", "state"), PREMATURE)
def test_only_breaching_datapoints_alarm_once_the_oldest_is_m_periods_old(datapoints_to_alarm, row, state):
    points = [{"X": True, "-": None}[p] for p in row.split()]
    decided = decide(
        points, evaluation_periods=3, datapoints_to_alarm=datapoints_to_alarm, treat_missing_data="missing"
    )
    assert decided.state == state
    ignored = decide(
        points, evaluation_periods=3, datapoints_to_alarm=datapoints_to_alarm, treat_missing_data="ignore"
    )
    assert ignored.state is None  # "Retain current state"


# -- evaluation through moto -------------------------------------------------------------------


def test_a_new_alarm_is_insufficient_data_then_follows_its_completed_periods(cloudwatch, evaluator, clock):
    _alarm(cloudwatch, "switch", TreatMissingData="missing")
    assert _state(cloudwatch, "switch") == OK  # moto's own, before any evaluation

    _evaluate(evaluator, clock, 5)
    assert _state(cloudwatch, "switch") == INSUFFICIENT_DATA
    assert _moto_alarm("switch").history == []  # where a new alarm starts, not a transition

    _put(cloudwatch, 10, 0.0)
    _put(cloudwatch, 65, 1.0)  # in the period still in progress at 66 s: not evaluated yet
    _evaluate(evaluator, clock, 66)
    assert _state(cloudwatch, "switch") == OK

    _evaluate(evaluator, clock, 121)
    alarm = _described(cloudwatch, "switch")
    assert alarm["StateValue"] == ALARM
    assert alarm["StateReason"].startswith(
        "Threshold Crossed: 1 out of the last 1 datapoints [1.0 ("
    ) and alarm["StateReason"].endswith(
        "was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition)."
    )
    data = json.loads(alarm["StateReasonData"])
    assert (data["statistic"], data["period"], data["recentDatapoints"], data["threshold"]) == (
        "Maximum",
        60,
        [1.0],
        1.0,
    )
    assert alarm["StateUpdatedTimestamp"].timestamp() == pytest.approx(BASE + 121, abs=0.01)

    _put(cloudwatch, 130, 0.0)
    _evaluate(evaluator, clock, 181)
    assert _state(cloudwatch, "switch") == OK
    assert len(_moto_alarm("switch").history) == 3  # INSUFFICIENT_DATA -> OK -> ALARM -> OK

    # No new datapoint, the last one (0) still in the evaluation range: no change, no history.
    _evaluate(evaluator, clock, 241)
    _evaluate(evaluator, clock, 301)
    alarm = _described(cloudwatch, "switch")
    assert alarm["StateValue"] == OK and len(_moto_alarm("switch").history) == 3
    assert alarm["StateUpdatedTimestamp"].timestamp() == pytest.approx(BASE + 181, abs=0.01)

    # Three periods without data (the evaluation range of a 1-period alarm): "missing".
    _evaluate(evaluator, clock, 361)
    alarm = _described(cloudwatch, "switch")
    assert alarm["StateValue"] == INSUFFICIENT_DATA
    assert alarm["StateReason"] == "Insufficient Data: 1 datapoint was unknown."


def test_a_five_minute_alarm_is_evaluated_every_minute_on_a_window_that_slides(cloudwatch, evaluator, clock):
    """ "For any period of one minute or longer, an alarm is evaluated every minute and the
    evaluation is based on the window of time defined by the Period and Evaluation Periods"
    (AlarmThatSendsEmail.html): the 5-minute window ends at each evaluation's minute, it is not
    a 5-minute bucket aligned on the clock."""
    _alarm(cloudwatch, "five", Period=300, TreatMissingData="notBreaching")
    _put(cloudwatch, 130, 1.0)  # at 2:10
    _put(cloudwatch, 200, 0.0)  # at 3:20
    # At 3:01 the window 0:00-3:00 holds the 1 (a 5-minute bucket on the clock, 0:00-5:00, would
    # not be complete yet), and it does while the window reaches back to 2:10.
    _evaluate(evaluator, clock, 181)
    assert _state(cloudwatch, "five") == ALARM
    assert evaluator.cadence(_moto_alarm("five")) == 60
    _evaluate(evaluator, clock, 421)  # window 2:00-7:00
    assert _state(cloudwatch, "five") == ALARM
    _evaluate(evaluator, clock, 481)  # window 3:00-8:00: only the 0
    assert _state(cloudwatch, "five") == OK


def test_a_30_second_alarm_is_evaluated_every_10_seconds(cloudwatch, evaluator, clock):
    """ "If the alarm period is 10 seconds or 30 seconds, the alarm is evaluated every 10
    seconds." (AlarmThatSendsEmail.html)"""
    _alarm(cloudwatch, "fast", Period=30, TreatMissingData="notBreaching")
    _evaluate(evaluator, clock, 1)
    assert evaluator.cadence(_moto_alarm("fast")) == 10
    _put(cloudwatch, 12, 1.0)
    _put(cloudwatch, 25, 0.0)
    _evaluate(evaluator, clock, 21)  # window -0:10 to 0:20 holds the 1
    assert _state(cloudwatch, "fast") == ALARM
    _evaluate(evaluator, clock, 41)  # window 0:10-0:40 holds both: the Maximum is 1
    assert _state(cloudwatch, "fast") == ALARM
    _evaluate(evaluator, clock, 51)  # window 0:20-0:50: only the 0
    assert _state(cloudwatch, "fast") == OK


def test_m_out_of_n(cloudwatch, evaluator, clock):
    for name, m in (("two-of-three", 2), ("three-of-three", 3)):
        _alarm(cloudwatch, name, EvaluationPeriods=3, DatapointsToAlarm=m, TreatMissingData="missing")
    for i, value in enumerate((1.0, 0.0, 1.0, 0.0)):  # X 0 X 0, one a period
        _put(cloudwatch, 60 * i + 5, value)

    seen = []
    for i in range(4):
        _evaluate(evaluator, clock, 60 * (i + 1) + 1)
        seen.append(_states(cloudwatch, ["two-of-three", "three-of-three"]))

    assert [s["two-of-three"] for s in seen] == [INSUFFICIENT_DATA, OK, ALARM, OK]
    assert [s["three-of-three"] for s in seen] == [INSUFFICIENT_DATA, OK, OK, OK]


def test_each_statistic_aggregates_single_values_and_statistic_sets(cloudwatch, evaluator, clock):
    # One period: the values 1, 2, 3, 10 and a statistic set of 2 samples (sum 4, from 1 to 3).
    _put(cloudwatch, 10, MetricName="Mixed", Values=[1.0, 2.0, 3.0, 10.0])
    _put(
        cloudwatch,
        20,
        MetricName="Mixed",
        StatisticValues={"SampleCount": 2, "Sum": 4, "Minimum": 1, "Maximum": 3},
    )
    _put(cloudwatch, 30, MetricName="Latency", Values=[float(v) for v in range(1, 101)])
    expected = {
        ("Mixed", "SampleCount"): 6.0,
        ("Mixed", "Sum"): 20.0,
        ("Mixed", "Average"): 20 / 6,
        ("Mixed", "Minimum"): 1.0,
        ("Mixed", "Maximum"): 10.0,
        ("Latency", "p90"): 90.0,
        ("Latency", "p99.5"): 100.0,
        ("Latency", "p50"): 50.0,
    }
    names = []
    for (metric, statistic), value in expected.items():
        kind = (
            {"ExtendedStatistic": statistic, "Statistic": None}
            if statistic[0] == "p"
            else {"Statistic": statistic}
        )
        for side, threshold in (("at", value - 1e-6), ("above", value + 1e-3)):
            names.append(name := f"{metric}-{statistic}-{side}")
            _alarm(cloudwatch, name, MetricName=metric, Threshold=threshold, **kind)
    # A percentile needs raw values: a statistic set of several distinct values has none.
    _alarm(
        cloudwatch, "Mixed-p50", MetricName="Mixed", Statistic=None, ExtendedStatistic="p50", Threshold=0.0
    )
    # 100 samples are too few for a significant p99 (10 / (1 - 0.99) = 1000).
    for low in ("evaluate", "ignore"):
        _alarm(
            cloudwatch,
            f"Latency-p99-{low}",
            MetricName="Latency",
            Statistic=None,
            ExtendedStatistic="p99",
            Threshold=0.0,
            EvaluateLowSampleCountPercentile=low,
        )

    _evaluate(evaluator, clock, 61)

    states = _states(cloudwatch, names)
    assert states == {name: ALARM if name.endswith("-at") else OK for name in names}
    assert _state(cloudwatch, "Mixed-p50") == INSUFFICIENT_DATA
    assert _state(cloudwatch, "Latency-p99-evaluate") == ALARM
    assert _state(cloudwatch, "Latency-p99-ignore") == INSUFFICIENT_DATA


def test_each_comparison_operator(cloudwatch, evaluator, clock):
    _put(cloudwatch, 10, 5.0)
    expected = {
        ("GreaterThanOrEqualToThreshold", 5.0): ALARM,
        ("GreaterThanOrEqualToThreshold", 5.1): OK,
        ("GreaterThanThreshold", 5.0): OK,
        ("GreaterThanThreshold", 4.9): ALARM,
        ("LessThanThreshold", 5.0): OK,
        ("LessThanThreshold", 5.1): ALARM,
        ("LessThanOrEqualToThreshold", 5.0): ALARM,
        ("LessThanOrEqualToThreshold", 4.9): OK,
    }
    for (operator, threshold), _ in expected.items():
        _alarm(cloudwatch, f"{operator}-{threshold}", ComparisonOperator=operator, Threshold=threshold)

    _evaluate(evaluator, clock, 61)

    assert {key: _state(cloudwatch, f"{key[0]}-{key[1]}") for key in expected} == expected


def test_each_missing_data_treatment_and_ignore_latches(cloudwatch, evaluator, clock):
    for treatment in TREATMENTS:
        _alarm(cloudwatch, treatment, TreatMissingData=treatment)
    _alarm(cloudwatch, "ignore-without-data", TreatMissingData="ignore", MetricName="Other")
    _put(cloudwatch, 10, 1.0)  # one breaching datapoint, then nothing

    _evaluate(evaluator, clock, 61)
    assert _states(cloudwatch, list(TREATMENTS)) == dict.fromkeys(TREATMENTS, ALARM)
    # Still in the evaluation range (3 periods): re-evaluated, whatever the treatment.
    _evaluate(evaluator, clock, 181)
    assert _states(cloudwatch, list(TREATMENTS)) == dict.fromkeys(TREATMENTS, ALARM)

    _evaluate(evaluator, clock, 241)  # the range is all missing now
    assert _states(cloudwatch, list(TREATMENTS)) == {
        "missing": INSUFFICIENT_DATA,
        "ignore": ALARM,
        "breaching": ALARM,
        "notBreaching": OK,
    }
    assert _described(cloudwatch, "notBreaching")["StateReason"] == (
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was "
        "treated as [NonBreaching]."
    )
    _evaluate(evaluator, clock, 6001)  # 100 minutes later: the latch holds
    assert _state(cloudwatch, "ignore") == ALARM
    assert _state(cloudwatch, "ignore-without-data") == INSUFFICIENT_DATA

    _put(cloudwatch, 6010, 0.0)  # the next datapoint releases it
    _evaluate(evaluator, clock, 6061)
    assert _states(cloudwatch, list(TREATMENTS)) == dict.fromkeys(TREATMENTS, OK)


def test_only_the_alarms_metric_counts_dimensions_and_unit_exactly(cloudwatch, evaluator, clock):
    _alarm(cloudwatch, "switch", TreatMissingData="missing", Unit="Count")
    environment = [{"Name": "Environment", "Value": ENVIRONMENT}]
    _put(cloudwatch, 10, 1.0, Dimensions=[{"Name": "Environment", "Value": "prod"}], Unit="Count")
    _put(cloudwatch, 11, 1.0, Dimensions=[*environment, {"Name": "Extra", "Value": "1"}], Unit="Count")
    _put(cloudwatch, 12, 1.0, Dimensions=[], Unit="Count")
    _put(cloudwatch, 13, 1.0, Dimensions=environment, Unit="Seconds")
    _put(cloudwatch, 14, 1.0, Namespace="Other", Dimensions=environment, Unit="Count")

    _evaluate(evaluator, clock, 61)
    assert _state(cloudwatch, "switch") == INSUFFICIENT_DATA

    _put(cloudwatch, 70, 1.0, Dimensions=list(reversed(environment)), Unit="Count")
    _evaluate(evaluator, clock, 121)
    assert _state(cloudwatch, "switch") == ALARM


def test_an_update_keeps_the_state_and_set_alarm_state_lasts_until_the_next_evaluation(
    cloudwatch, evaluator, clock
):
    _alarm(cloudwatch, "switch")
    _put(cloudwatch, 10, 1.0)
    _evaluate(evaluator, clock, 61)
    _evaluate(evaluator, clock, 3001)
    assert _state(cloudwatch, "switch") == ALARM

    # Terraform changes the alarm: PutMetricAlarm again. Its state is left unchanged.
    _alarm(cloudwatch, "switch", Threshold=5.0, AlarmDescription="changed")
    _evaluate(evaluator, clock, 3002)  # evaluated at once, with its new settings: no data, ignore
    alarm = _described(cloudwatch, "switch")
    assert (alarm["StateValue"], alarm["Threshold"], len(_moto_alarm("switch").history)) == (ALARM, 5.0, 1)

    _put(cloudwatch, 3010, 3.0)  # under the new threshold
    _evaluate(evaluator, clock, 3061)
    assert _state(cloudwatch, "switch") == OK

    cloudwatch.set_alarm_state(AlarmName="switch", StateValue=ALARM, StateReason="testing")
    _evaluate(evaluator, clock, 3062)  # same minute: not evaluated again
    assert _state(cloudwatch, "switch") == ALARM
    _evaluate(evaluator, clock, 3121)  # the next evaluation: the data says OK
    assert _state(cloudwatch, "switch") == OK


def test_metric_math_and_composite_alarms_are_left_as_moto_keeps_them(cloudwatch, evaluator, clock):
    stat = {"Metric": {"Namespace": NAMESPACE, "MetricName": METRIC}, "Period": 60, "Stat": "Maximum"}
    cloudwatch.put_metric_alarm(
        AlarmName="math",
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Metrics=[
            {"Id": "m1", "MetricStat": stat, "ReturnData": False},
            {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True},
        ],
    )
    _alarm(cloudwatch, "switch")
    _put(cloudwatch, 10, 1.0)

    _evaluate(evaluator, clock, 61)

    math_alarm = _described(cloudwatch, "math")
    assert (math_alarm["StateValue"], math_alarm["StateReason"]) == (OK, "Unchecked: Initial alarm creation")
    assert _state(cloudwatch, "switch") == ALARM


def test_alarms_on_dynamodb_metrics_always_ignore_missing_data(cloudwatch, evaluator, clock):
    """ "Alarms that evaluate metrics in the AWS/DynamoDB namespace always ignore missing data even
    if you choose a different option for TreatMissingData." (PutMetricAlarm)"""
    _alarm(cloudwatch, "ddb", Namespace="AWS/DynamoDB", TreatMissingData="breaching")
    _alarm(cloudwatch, "other", TreatMissingData="breaching")
    _evaluate(evaluator, clock, 301)  # no data at all
    assert _states(cloudwatch, ["ddb", "other"]) == {"ddb": INSUFFICIENT_DATA, "other": ALARM}


def test_a_region_out_is_not_evaluated_until_restored(cloudwatch, evaluator, clock):
    _alarm(cloudwatch, "switch")
    _evaluate(evaluator, clock, 5)
    _put(cloudwatch, 10, 1.0)

    regions.OUTAGES.set(WEST, True)
    _evaluate(evaluator, clock, 61)
    assert _moto_alarm("switch").state_value == INSUFFICIENT_DATA  # frozen (the API answers 503)

    regions.OUTAGES.set(WEST, False)
    _evaluate(evaluator, clock, 62)
    assert _state(cloudwatch, "switch") == ALARM


def test_the_time_scale_shortens_periods(cloudwatch, clock):
    _alarm(cloudwatch, "switch", TreatMissingData="missing")
    _put(cloudwatch, 1, 1.0)

    clock.at(6.5)  # one period of 60 s has passed at scale 10, not at scale 1
    AlarmEvaluator(clock=clock, scale=1).evaluate_once()
    assert _state(cloudwatch, "switch") == INSUFFICIENT_DATA
    scaled = AlarmEvaluator(clock=clock, scale=10)
    scaled.evaluate_once()
    alarm = _described(cloudwatch, "switch")
    assert alarm["StateValue"] == ALARM
    assert json.loads(alarm["StateReasonData"])["period"] == 60  # in AWS seconds

    _evaluate(scaled, clock, 24.5)  # 4 periods of 6 s later the range (3 periods) is empty
    assert _state(cloudwatch, "switch") == INSUFFICIENT_DATA


def test_started_it_evaluates_in_the_background_and_stop_leaves_nothing_running(cloudwatch):
    before = set(threading.enumerate())
    _alarm(cloudwatch, "switch")
    evaluator = AlarmEvaluator(scale=60)  # 60-second periods last 1 s; real time
    evaluator.start()
    try:
        wait_for("INSUFFICIENT_DATA", lambda: _state(cloudwatch, "switch") == INSUFFICIENT_DATA, 5)
        cloudwatch.put_metric_data(
            Namespace=NAMESPACE,
            MetricData=[
                {
                    "MetricName": METRIC,
                    "Value": 1.0,
                    "Dimensions": [{"Name": "Environment", "Value": ENVIRONMENT}],
                }
            ],
        )
        wait_for("ALARM", lambda: _state(cloudwatch, "switch") == ALARM, 10)
    finally:
        evaluator.stop()
    assert evaluator.errors == 0
    assert not any(thread.name == "cloudwatch-alarms" for thread in threading.enumerate())  # joined
    wait_for("moto's request threads gone too", lambda: set(threading.enumerate()) <= before, 5)


# -- Route 53 ----------------------------------------------------------------------------------


class Target:
    """A region's data plane, in miniature: plain HTTP 200 on the region's loopback address."""

    def __init__(self, address: str, port: int) -> None:
        self._server = ThreadingHTTPServer((address, port), _Ok)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1})
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def port() -> int:
    """A port free on both regions' addresses: the data-plane port."""
    return region_port(EAST, WEST)


@pytest.fixture(scope="module")
def dataplane(endpoint: str, port: int) -> Iterator[tuple[HealthCheckers, DnsServer]]:
    checkers: HealthCheckers
    dns_server = DnsServer(port=0, health=lambda hc: checkers.is_healthy(hc), scale=SCALE)  # noqa: PLW0108
    checkers = HealthCheckers(port=port, resolve=dns_server.lookup, scale=SCALE)
    targets = [Target(address_of(region), port) for region in (EAST, WEST)]
    dns_server.start()
    checkers.start()
    yield checkers, dns_server
    checkers.stop()
    dns_server.stop()
    for target in targets:
        target.stop()


@pytest.fixture
def route53(client: Callable[..., Any]) -> Any:
    return client("route53", EAST)


def _health_check(route53: Any, **config: Any) -> str:
    reference = f"hc-{time.monotonic_ns()}"
    return route53.create_health_check(CallerReference=reference, HealthCheckConfig=config)["HealthCheck"][
        "Id"
    ]


def _moto_health_check(health_check_id: str) -> Any:
    from moto.route53.models import route53_backends

    return route53_backends[ACCOUNT]["aws"].health_checks[health_check_id]


def _switch_check(route53: Any, alarm_name: str, insufficient: str | None) -> str:
    """A CLOUDWATCH_METRIC health check on the alarm, created through the API as Terraform does
    (patches/route53_health_check_alarms.py keeps the alarm, the insufficient-data setting and a
    copy of the alarm's criteria)."""
    identifier = {"Region": WEST, "Name": alarm_name}
    health_check_id = _health_check(
        route53,
        Type="CLOUDWATCH_METRIC",
        AlarmIdentifier=identifier,
        **({"InsufficientDataHealthStatus": insufficient} if insufficient else {}),
    )
    stored = _moto_health_check(health_check_id)
    assert (stored.alarm_identifier, stored.insufficient_data_health_status) == (identifier, insufficient)
    return health_check_id


def _endpoint_check(route53: Any, fqdn: str) -> str:
    return _health_check(
        route53, Type="HTTP", FullyQualifiedDomainName=fqdn, ResourcePath="/v1/health", RequestInterval=10
    )


def _reported(checkers: HealthCheckers, health_check_id: str, healthy: bool) -> None:
    wait_for(
        f"{health_check_id} {'healthy' if healthy else 'unhealthy'}",
        lambda: (state := checkers.status(health_check_id)) is not None and state.healthy is healthy,
    )


@pytest.fixture
def metric_checks(clock: Clock) -> MetricHealthChecks:
    """Route 53's evaluation of CLOUDWATCH_METRIC checks on the test's clock (scale 1)."""
    return MetricHealthChecks(clock=clock)


@pytest.fixture
def checkers(dataplane, metric_checks: MetricHealthChecks) -> Iterator[HealthCheckers]:
    checkers = dataplane[0]
    checkers.evaluators["CLOUDWATCH_METRIC"] = metric_checks
    yield checkers


def test_a_cloudwatch_metric_health_check_reads_the_data_with_the_criteria_it_holds(
    route53, cloudwatch, metric_checks, clock
):
    """Health-checks-types: Route 53 "monitors the same data stream that CloudWatch monitors for
    the alarm ... doesn't wait for the CloudWatch alarm to go into the ALARM state"; the criteria
    are the health check's copy (CloudWatchAlarmConfiguration, no TreatMissingData); while data is
    insufficient, InsufficientDataHealthStatus (API_HealthCheckConfig)."""
    _alarm(cloudwatch, "switch", TreatMissingData="ignore")
    ids = {
        status: _switch_check(route53, "switch", status)
        for status in ("Healthy", "Unhealthy", "LastKnownStatus")
    }
    ids["default"] = _switch_check(route53, "switch", None)  # AWS's default: LastKnownStatus

    def judged() -> dict[str, bool | None]:
        return {status: metric_checks(_moto_health_check(i), lambda _: None) for status, i in ids.items()}

    insufficient = {"Healthy": True, "Unhealthy": False, "LastKnownStatus": None, "default": None}
    clock.at(5)
    assert judged() == insufficient  # no data yet

    _put(cloudwatch, 10, 1.0)  # breaches: unhealthy once its period is complete, with no alarm at ALARM
    clock.at(59)
    assert judged() == insufficient
    clock.at(61)
    assert judged() == dict.fromkeys(ids, False)
    assert _state(cloudwatch, "switch") != ALARM  # no evaluator runs here: the alarm never was in ALARM

    clock.at(121)  # the next period has no data: the alarm's "ignore" plays no part
    assert judged() == insufficient
    clock.at(6001)
    assert judged() == insufficient

    _put(cloudwatch, 6010, 0.0)
    clock.at(6061)
    assert judged() == dict.fromkeys(ids, True)

    # Neither the alarm's state nor a later change of the alarm changes the health check.
    cloudwatch.set_alarm_state(AlarmName="switch", StateValue=ALARM, StateReason="testing")
    _alarm(cloudwatch, "switch", Threshold=0.0, TreatMissingData="breaching")  # 0 would now breach
    assert judged() == dict.fromkeys(ids, True)
    route53.update_health_check(
        HealthCheckId=ids["Healthy"], AlarmIdentifier={"Region": WEST, "Name": "switch"}
    )
    assert judged() == {**dict.fromkeys(ids, True), "Healthy": False}  # re-read: 0 >= 0 breaches

    regions.OUTAGES.set(WEST, True)  # CloudWatch in us-west-2 impaired: insufficient data
    assert judged() == insufficient
    regions.OUTAGES.set(WEST, False)
    cloudwatch.delete_alarms(AlarmNames=["switch"])  # undocumented: assumed insufficient data
    assert judged() == insufficient


def test_every_evaluation_period_must_breach_and_a_missing_one_is_insufficient(
    route53, cloudwatch, metric_checks, clock
):
    """Undocumented, assumed: the criteria's EvaluationPeriods most recent complete periods, all
    breaching for unhealthy (no DatapointsToAlarm among the criteria); one missing: insufficient."""
    _alarm(cloudwatch, "three", EvaluationPeriods=3, DatapointsToAlarm=1)
    check = _moto_health_check(_switch_check(route53, "three", "Unhealthy"))
    for at, value in ((10, 1.0), (70, 0.0), (130, 1.0)):
        _put(cloudwatch, at, value)
    clock.at(181)
    assert metric_checks(check, lambda _: None) is True  # 1, 0, 1: not all breaching
    _put(cloudwatch, 190, 1.0)
    _put(cloudwatch, 250, 1.0)
    clock.at(301)
    assert metric_checks(check, lambda _: None) is False  # 1, 1, 1
    clock.at(361)
    assert metric_checks(check, lambda _: None) is False  # "Unhealthy": 1, 1, missing
    route53.update_health_check(HealthCheckId=check.id, InsufficientDataHealthStatus="Healthy")
    assert metric_checks(check, lambda _: None) is True


def test_the_switch_holds_a_failover_for_any_time_without_data_and_fails_back_with_0(
    dataplane, checkers, route53, cloudwatch, clock
):
    """The stack's switch (lib/failover_switch.py): LastKnownStatus holds one datapoint's verdict
    until the opposite one; a new switch is healthy; the CALCULATED check fails over either way."""
    _, dns_server = dataplane
    _alarm(cloudwatch, "switch")
    east, west = _endpoint_check(route53, EAST_API), _endpoint_check(route53, WEST_API)
    switch = _switch_check(route53, "switch", "LastKnownStatus")
    primary = _failover_pair(route53, east, west, switch)

    clock.at(5)  # no data ever: the new switch is healthy
    wait_for("the east endpoint probed", lambda: checkers.observations(east))
    _reported(checkers, primary, True)
    assert dns_server.resolve(API_NAME).addresses == [address_of(EAST)]

    _put(cloudwatch, 10, 1.0)  # the operator's one PutMetricData in us-west-2: fail over
    clock.at(61)
    _reported(checkers, switch, False)
    _reported(checkers, primary, False)
    assert checkers.status(east).healthy  # the primary region itself is fine
    assert dns_server.resolve(API_NAME).addresses == [address_of(WEST)]

    for minute in (2, 10, 100):  # no more data for 100 minutes: still failed over
        clock.at(minute * 60 + 1)
        _checked_again(checkers, east)
        assert dns_server.resolve(API_NAME).addresses == [address_of(WEST)]

    _put(cloudwatch, 6010, 0.0)  # fail back
    clock.at(6061)
    _reported(checkers, primary, True)
    assert dns_server.resolve(API_NAME).addresses == [address_of(EAST)]
    clock.at(12001)  # and it holds that too
    _checked_again(checkers, east)
    assert dns_server.resolve(API_NAME).addresses == [address_of(EAST)]


def test_a_switch_read_as_healthy_without_data_sends_traffic_back_one_period_after_failing_over(
    dataplane, checkers, route53, cloudwatch, clock
):
    """The defect of issue 22, kept as a test: InsufficientDataHealthStatus=Healthy (what the stack
    had) holds a failover only for the period of its datapoint, whatever the alarm's
    treat_missing_data; then the primary answers again."""
    _, dns_server = dataplane
    _alarm(cloudwatch, "switch")  # ignore: the alarm itself stays in ALARM
    east, west = _endpoint_check(route53, EAST_API), _endpoint_check(route53, WEST_API)
    switch = _switch_check(route53, "switch", "Healthy")
    primary = _failover_pair(route53, east, west, switch)
    wait_for("the east endpoint probed", lambda: checkers.observations(east))

    _put(cloudwatch, 10, 1.0)
    clock.at(61)
    _reported(checkers, primary, False)
    assert dns_server.resolve(API_NAME).addresses == [address_of(WEST)]
    clock.at(121)
    _reported(checkers, primary, True)
    assert dns_server.resolve(API_NAME).addresses == [address_of(EAST)]


def _failover_pair(route53: Any, east: str, west: str, switch: str) -> str:
    """The stack's failover records: PRIMARY on a CALCULATED check (the east endpoint AND the
    switch), SECONDARY on the west endpoint; the CALCULATED check's id."""
    primary = _health_check(route53, Type="CALCULATED", ChildHealthChecks=[east, switch], HealthThreshold=2)
    zone_id = route53.create_hosted_zone(Name=ZONE, CallerReference=f"zone-{time.monotonic_ns()}")[
        "HostedZone"
    ]["Id"]

    def record(role: str, target: str, health_check_id: str) -> dict:
        alias = {"HostedZoneId": "Z1UJRXOUMOOFQ8", "DNSName": target, "EvaluateTargetHealth": True}
        return {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": API_NAME,
                "Type": "A",
                "SetIdentifier": role.lower(),
                "Failover": role,
                "HealthCheckId": health_check_id,
                "AliasTarget": alias,
            },
        }

    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [record("PRIMARY", EAST_DOMAIN, primary), record("SECONDARY", WEST_DOMAIN, west)]
        },
    )
    return primary


def _checked_again(checkers: HealthCheckers, endpoint: str) -> None:
    """Wait until the checkers have run cycles with the clock as it is now: two probes of an
    endpoint check end after this call (each cycle evaluates every health check, then probes)."""
    now = time.monotonic()
    wait_for("two new cycles", lambda: sum(o.time > now for o in checkers.observations(endpoint)) >= 2)

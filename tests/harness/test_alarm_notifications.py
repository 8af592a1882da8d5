"""Alarm notifications through SNS to HTTP endpoints, written from AWS's documentation:

- "the actions happen only on state transitions, and are not performed again if the condition
  persists for hours or days" (CloudWatch, "Alarm actions");
- ``ActionsEnabled``: "Indicates whether actions should be executed during any changes to the
  alarm state." (PutMetricAlarm);
- "After you subscribe an HTTP/HTTPS endpoint, Amazon SNS sends a subscription confirmation
  message to the HTTP/HTTPS endpoint. This message contains a ``SubscribeURL`` value that you
  must visit to confirm the subscription" and "Amazon SNS doesn't send notifications to this
  endpoint until the subscription is confirmed" (SNS, "HTTP/HTTPS subscription confirmation JSON
  format");
- "``PendingConfirmation`` - ``true`` if the subscription hasn't been confirmed."
  (GetSubscriptionAttributes);
- the headers ``x-amz-sns-message-type``, ``x-amz-sns-message-id``, ``x-amz-sns-topic-arn``,
  ``x-amz-sns-subscription-arn`` and ``Content-Type: text/plain; charset=UTF-8`` (SNS, "Parsing
  message formats");
- the alarm message's fields: AWS's example payload (aws/aws-lambda-go's
  ``cloudwatch-alarm-sns-payload-single-metric.json``);
- and a rule of this machine: an endpoint that is not on loopback is never contacted.

The in-process emulator (conftest ``endpoint``), the evaluator on an injected clock, and a tiny
HTTP endpoint per test on 127.0.0.1 that records what it receives:

    .venv/bin/python -m pytest tests/harness/test_alarm_notifications.py -p no:cacheprovider -q
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from local_aws.dataplane.alarms import AlarmEvaluator
from tests.harness.conftest import boto, wait_for

ACCOUNT = "123456789012"
REGION = "us-west-2"
BASE = (int(time.time()) // 3600 - 2) * 3600
QUIET = 1.0  # seconds to wait for something that must NOT arrive


class Endpoint:
    """An HTTP endpoint on 127.0.0.1 that records every POST (headers, JSON body)."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alarms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of_type(self, kind: str) -> list[tuple[dict[str, str], dict[str, Any]]]:
        return [(h, b) for h, b in self.received if b.get("Type") == kind]


@pytest.fixture(autouse=True)
def reset(endpoint: str) -> Iterator[None]:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    yield


@pytest.fixture
def sink() -> Iterator[Endpoint]:
    where = Endpoint()
    yield where
    where.server.shutdown()


@pytest.fixture
def sns(endpoint: str) -> Any:
    return boto("sns", REGION, endpoint)


@pytest.fixture
def cloudwatch(endpoint: str) -> Any:
    return boto("cloudwatch", REGION, endpoint)


class Clock:
    def __init__(self) -> None:
        self.now = float(BASE)

    def __call__(self) -> float:
        return self.now


def _subscribe_confirmed(sns: Any, topic: str, sink: Endpoint) -> str:
    arn = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=sink.url, ReturnSubscriptionArn=True)[
        "SubscriptionArn"
    ]
    [(_, confirmation)] = wait_for("the confirmation", lambda: sink.of_type("SubscriptionConfirmation"))
    urllib.request.urlopen(confirmation["SubscribeURL"]).read()  # as an endpoint confirms: visit it
    return arn


def _alarm(cloudwatch: Any, topic: str, **settings: Any) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName="switch-thrown",
        AlarmDescription="an operator asked for failover",
        Namespace="Tap/DR",
        MetricName="FailoverRequested",
        Dimensions=[{"Name": "Environment", "Value": "dev"}],
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="ignore",
        AlarmActions=[topic],
        OKActions=[topic],
        **settings,
    )


def _put(cloudwatch: Any, at: float, value: float) -> None:
    cloudwatch.put_metric_data(
        Namespace="Tap/DR",
        MetricData=[
            {
                "MetricName": "FailoverRequested",
                "Dimensions": [{"Name": "Environment", "Value": "dev"}],
                "Timestamp": datetime.fromtimestamp(BASE + at, UTC),
                "Value": value,
            }
        ],
    )


def _evaluate(evaluator: AlarmEvaluator, clock: Clock, seconds: float) -> None:
    clock.now = BASE + seconds
    evaluator.evaluate_once()


def test_an_http_subscription_is_pending_until_its_subscribe_url_is_visited(sns, sink):
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    arn = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=sink.url, ReturnSubscriptionArn=True)[
        "SubscriptionArn"
    ]
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "true"
    [(headers, body)] = wait_for("the confirmation", lambda: sink.of_type("SubscriptionConfirmation"))
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == topic and headers["x-amz-sns-subscription-arn"] == arn
    assert (
        body["TopicArn"] == topic and body["Token"] and body["MessageId"] == headers["x-amz-sns-message-id"]
    )
    assert body["Message"].startswith(f"You have chosen to subscribe to the topic {topic}.")

    sns.publish(TopicArn=topic, Message="before the confirmation")
    time.sleep(QUIET)
    assert sink.of_type("Notification") == []  # "doesn't send notifications ... until ... confirmed"

    urllib.request.urlopen(body["SubscribeURL"]).read()
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"
    sns.publish(TopicArn=topic, Message="after")
    [(headers, body)] = wait_for("the notification", lambda: sink.of_type("Notification"))
    assert body["Message"] == "after"
    assert headers["content-type"] == "text/plain; charset=UTF-8"
    assert headers["x-amz-sns-subscription-arn"] == arn


def test_confirm_subscription_needs_the_token_sns_sent(sns, sink):
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    arn = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=sink.url, ReturnSubscriptionArn=True)[
        "SubscriptionArn"
    ]
    [(_, body)] = wait_for("the confirmation", lambda: sink.of_type("SubscriptionConfirmation"))
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.confirm_subscription(TopicArn=topic, Token="not-the-token")
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "true"
    assert sns.confirm_subscription(TopicArn=topic, Token=body["Token"])["SubscriptionArn"] == arn
    assert (
        sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "false"
    )


def test_an_email_subscription_stays_pending(sns):
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    arn = sns.subscribe(
        TopicArn=topic, Protocol="email", Endpoint="oncall@example.com", ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "true"


def test_an_endpoint_off_loopback_is_never_contacted(sns, monkeypatch):
    contacted: list[Any] = []
    connect = socket.socket.connect

    def recording(self: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and not str(address[0]).startswith("127."):
            contacted.append(address)
            raise OSError("refused by the test")
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", recording)
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    arn = sns.subscribe(
        TopicArn=topic, Protocol="http", Endpoint="http://192.0.2.10:8080/alarms", ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message="never sent")
    time.sleep(QUIET)
    assert contacted == []
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "true"


def test_an_alarm_that_changes_state_notifies_once_with_the_documented_fields(sns, cloudwatch, sink):
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    subscription = _subscribe_confirmed(sns, topic, sink)
    _alarm(cloudwatch, topic)
    clock = Clock()
    evaluator = AlarmEvaluator(clock=clock)
    _evaluate(evaluator, clock, 5)  # a new alarm: INSUFFICIENT_DATA, not a transition
    _put(cloudwatch, 10, 1.0)
    _evaluate(evaluator, clock, 61)  # INSUFFICIENT_DATA -> ALARM
    [(headers, body)] = wait_for("the alarm's notification", lambda: sink.of_type("Notification"))
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-topic-arn"] == topic and headers["x-amz-sns-subscription-arn"] == subscription
    assert body["Subject"] == 'ALARM: "switch-thrown" in US West (Oregon)'
    message = json.loads(body["Message"])
    assert {k: message[k] for k in ("AlarmName", "AlarmDescription", "AWSAccountId")} == {
        "AlarmName": "switch-thrown",
        "AlarmDescription": "an operator asked for failover",
        "AWSAccountId": ACCOUNT,
    }
    assert (message["OldStateValue"], message["NewStateValue"]) == ("INSUFFICIENT_DATA", "ALARM")
    assert message["NewStateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [1.0 (")
    assert message["Region"] == "US West (Oregon)"
    assert message["AlarmArn"] == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:switch-thrown"
    changed = datetime.strptime(message["StateChangeTime"], "%Y-%m-%dT%H:%M:%S.%f%z")
    assert changed.timestamp() == pytest.approx(BASE + 61, abs=0.01)
    trigger = message["Trigger"]
    assert (trigger["MetricName"], trigger["Namespace"], trigger["Statistic"]) == (
        "FailoverRequested",
        "Tap/DR",
        "MAXIMUM",
    )
    assert trigger["Dimensions"] == [{"value": "dev", "name": "Environment"}]
    assert (trigger["Period"], trigger["EvaluationPeriods"], trigger["Threshold"]) == (60, 1, 1.0)
    assert trigger["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"

    # The condition persists: evaluated again, no transition, no second notification.
    _put(cloudwatch, 70, 1.0)
    _evaluate(evaluator, clock, 121)
    _evaluate(evaluator, clock, 181)
    time.sleep(QUIET)
    assert len(sink.of_type("Notification")) == 1

    _put(cloudwatch, 190, 0.0)
    _evaluate(evaluator, clock, 241)  # ALARM -> OK: the OK actions
    notes = wait_for("the OK notification", lambda: sink.of_type("Notification")[1:])
    assert json.loads(notes[0][1]["Message"])["NewStateValue"] == "OK"


def test_actions_disabled_run_nothing(sns, cloudwatch, sink):
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    _subscribe_confirmed(sns, topic, sink)
    _alarm(cloudwatch, topic, ActionsEnabled=False)
    clock = Clock()
    evaluator = AlarmEvaluator(clock=clock)
    _evaluate(evaluator, clock, 5)
    _put(cloudwatch, 10, 1.0)
    _evaluate(evaluator, clock, 61)
    assert (
        cloudwatch.describe_alarms(AlarmNames=["switch-thrown"])["MetricAlarms"][0]["StateValue"] == "ALARM"
    )
    time.sleep(QUIET)
    assert sink.of_type("Notification") == []

"""A CloudWatch alarm's actions when its state changes: the notification published to its SNS
topics (``alarms.AlarmEvaluator`` calls ``run`` on every transition it makes).

What CloudWatch does, in its words:

- "You can specify what actions an alarm takes when it changes state between the OK, ALARM, and
  INSUFFICIENT_DATA states. [...] Except for Auto Scaling actions, the actions happen only on
  state transitions, and are not performed again if the condition persists for hours or days."
  ("Alarm actions", https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-actions.html):
  run on a change only, the new state's list: ``AlarmActions`` ("The list of actions to execute
  when this alarm transitions into an ALARM state from any other state"), ``OKActions``,
  ``InsufficientDataActions`` (PutMetricAlarm,
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
- ``ActionsEnabled``: "Indicates whether actions should be executed during any changes to the
  alarm state." (same page; DisableAlarmActions / EnableAlarmActions set it).
- "Notify one or more subscribers by using an Amazon Simple Notification Service topic."
  (alarm-actions): one Publish per topic ARN in the list.
- The message is a JSON document. The guides show no field list; its fields are those of AWS's
  own example payload (aws/aws-lambda-go, ``events/testdata/cloudwatch-alarm-sns-payload-single-
  metric.json``): ``AlarmName``, ``AlarmDescription``, ``AWSAccountId``, ``NewStateValue``,
  ``NewStateReason``, ``StateChangeTime`` (``2015-06-03T17:43:27.123+0000``), ``Region`` (the
  region's display name), ``AlarmArn``, ``OldStateValue``, and ``Trigger`` (``MetricName``,
  ``Namespace``, ``StatisticType``, ``Statistic`` in capitals, ``Unit``, ``Dimensions`` as
  ``{"value", "name"}``, ``Period``, ``EvaluationPeriods``, ``ComparisonOperator``,
  ``Threshold``, ``TreatMissingData``, ``EvaluateLowSampleCountPercentile``). The subject is
  ``ALARM: "<name>" in <region display name>`` (the same example's notifications).

Where the emulator differs from AWS (undocumented: assumed, the stricter reading):

- ``Region`` is botocore's description of the region (AWS's examples spell it so).
- Only SNS topic actions run; Lambda, EC2, Auto Scaling and Systems Manager actions are not.
- A topic that does not exist, or whose region is out (``regions.OUTAGES``), gets nothing: the
  notification is lost, as an action that failed on AWS would be (no retry, no history entry).
- A new alarm's first state (INSUFFICIENT_DATA) is not a transition and runs nothing.
- An SSE-KMS topic's key policy is not checked (AWS requires CloudWatch to be allowed
  ``kms:Decrypt`` and ``kms:GenerateDataKey*`` on the key; unchecked here).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from local_aws import regions
from local_aws.dataplane.alarm_evaluation import ALARM, INSUFFICIENT_DATA, OK


@functools.cache
def region_name(region: str) -> str:
    """The region's display name as the notifications spell it ("US West (Oregon)"): the
    description in botocore's endpoint data (AWS's own list); a region it lacks shows its code."""
    import botocore.session  # noqa: PLC0415

    for partition in botocore.session.get_session().get_data("endpoints")["partitions"]:
        described = partition.get("regions", {}).get(region)
        if described and described.get("description"):
            return str(described["description"])
    return region


def _time(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def message(account_id: str, region: str, alarm: Any, old_state: str) -> dict[str, Any]:
    """The notification CloudWatch publishes for ``alarm``'s transition from ``old_state``."""
    statistic = alarm.extended_statistic or alarm.statistic
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description or None,
        "AWSAccountId": account_id,
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": _time(alarm.state_updated_timestamp),
        "Region": region_name(region),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old_state,
        "Trigger": {
            "MetricName": alarm.metric_name,
            "Namespace": alarm.namespace,
            "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
            "Statistic": str(statistic).upper(),
            "Unit": alarm.unit,
            "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions or []],
            "Period": int(alarm.period),
            "EvaluationPeriods": int(alarm.evaluation_periods),
            "ComparisonOperator": alarm.comparison_operator,
            "Threshold": float(alarm.threshold),
            "TreatMissingData": f"- TreatMissingData: {alarm.treat_missing_data or 'missing'}",
            "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
        },
    }


def actions_for(alarm: Any) -> list[str]:
    """The actions ``alarm`` runs on entering its current state (none when disabled)."""
    if not alarm.actions_enabled or str(alarm.actions_enabled).lower() == "false":
        return []
    lists = {
        ALARM: alarm.alarm_actions,
        OK: alarm.ok_actions,
        INSUFFICIENT_DATA: alarm.insufficient_data_actions,
    }
    return list(lists.get(alarm.state_value) or [])


def run(account_id: str, region: str, alarm: Any, old_state: str) -> list[str]:
    """Publish ``alarm``'s notification to each SNS topic of its new state's actions; the topic
    ARNs published to."""
    from moto.sns.models import sns_backends  # noqa: PLC0415 - moto loads after the env is set

    published = []
    for action in actions_for(alarm):
        parts = action.split(":")
        if len(parts) < 6 or parts[2] != "sns":
            continue  # not an SNS topic: not modelled
        topic_region, topic_account = parts[3], parts[4]
        if regions.OUTAGES.is_down(topic_region):
            continue
        backend = dict.get(dict.get(sns_backends, topic_account) or {}, topic_region)  # never creates one
        if backend is None or action not in backend.topics:
            continue
        body = message(account_id, region, alarm, old_state)
        subject = f'{alarm.state_value}: "{alarm.name}" in {body["Region"]}'[:100]
        backend.publish(json.dumps(body), action, subject=subject)
        published.append(action)
    return published

"""The deployment a game day runs against: its outputs and topology, the data-plane switch, and the
reads the reconciliation makes. Every AWS call made through it is recorded (service, region,
operation), so the recovery path's calls can be checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from cli.api_client import client_api_key
from cli.outputs_file import topology_of
from dr.gameday_client import GameDayError
from lib.api_contract import receipt_key


class Target:
    """The deployment: its outputs, the switch, the data-plane reads the reconciliation uses;
    every AWS call the game day makes is recorded (service, region, operation)."""

    def __init__(
        self,
        outputs: dict[str, Any],
        *,
        scale: float = 1.0,
        endpoint: str | None = None,
        notifications: Path | None = None,
    ) -> None:
        self.outputs = outputs
        self.notifications = notifications  # the local alarm sink's record; None: no sink
        self.endpoint = endpoint  # the emulator's (its outage switch and call counter); None on AWS
        self.topology = topology_of(outputs)
        self.regions = dict(self.topology.roles)
        self.switch = json.loads(outputs["failover_switch"])
        self.scale = scale
        self.calls: list[tuple[str, str, str]] = []
        self._session = boto3.session.Session()
        self._clients: dict[tuple[str, str], Any] = {}
        self._switch_alarm: dict[str, Any] | None = None

    def client(self, service: str, region: str) -> Any:
        if (service, region) not in self._clients:
            client = self._session.client(service, region_name=region)

            def record(model: Any, **_: Any) -> None:
                self.calls.append((service, region, model.name))

            client.meta.events.register("before-call", record)
            self._clients[(service, region)] = client
        return self._clients[(service, region)]

    def api_key(self) -> str:
        try:  # the survivor answers when the other is out
            return client_api_key(self.outputs, self.topology, self.client)
        except LookupError as error:
            raise GameDayError(str(error)) from None

    def publish(self, value: int) -> None:
        """The data-plane switch: one PutMetricData in the switch's (the secondary's) region."""
        self.client("cloudwatch", self.switch["region"]).put_metric_data(
            Namespace=self.switch["namespace"],
            MetricData=[
                {
                    "MetricName": self.switch["metric"],
                    "Dimensions": [{"Name": k, "Value": v} for k, v in self.switch["dimensions"].items()],
                    "Value": value,
                }
            ],
        )

    def item(self, role: str, payment_id: str) -> dict[str, Any] | None:
        return (
            self.client("dynamodb", self.regions[role])
            .get_item(
                TableName=self.outputs["dynamodb_table_name"],
                Key={"payment_id": {"S": payment_id}},
                ConsistentRead=True,
            )
            .get("Item")
        )

    def receipt(self, role: str, payment_id: str) -> bool:
        try:
            self.client("s3", self.regions[role]).head_object(
                Bucket=self.outputs[f"{role}_bucket_name"], Key=receipt_key(payment_id)
            )
        except ClientError:
            return False
        return True

    def switch_alarm(self) -> dict[str, Any]:
        """The switch's alarm as CloudWatch describes it (read before any fault)."""
        if self._switch_alarm is None:
            self._switch_alarm = self.client("cloudwatch", self.switch["region"]).describe_alarms(
                AlarmNames=[self.switch["alarm_name"]]
            )["MetricAlarms"][0]
        return self._switch_alarm

    def alarm_names(self) -> list[str]:
        """Every alarm of the deployment's two regions (read before any fault)."""
        return list(self.alarm_states())

    def alarm_states(self) -> dict[str, str]:
        """Every alarm of the deployment's two regions and its state (``OK``, ``ALARM``,
        ``INSUFFICIENT_DATA``), read before any fault."""
        states = {}
        for region in dict.fromkeys(self.regions.values()):
            pages = self.client("cloudwatch", region).get_paginator("describe_alarms").paginate()
            for page in pages:
                for alarm in page.get("MetricAlarms", []):
                    states[alarm["AlarmName"]] = alarm["StateValue"]
        return states

    def switch_period(self) -> int:
        """The switch alarm's period, in AWS seconds."""
        return int(self.switch_alarm()["Period"])

    def health_check(self, role: str) -> dict[str, Any]:
        """The configuration of ``role``'s health check, as Route 53 describes it (read before any
        fault)."""
        return self.client("route53", self.topology.global_region).get_health_check(
            HealthCheckId=self.outputs[f"{role}_health_check_id"]
        )["HealthCheck"]["HealthCheckConfig"]

"""The failover switch's health check follows a change Terraform makes to its alarm: Route 53
"doesn't automatically update the alarm settings in the health check" ("Updating health checks when
you change CloudWatch alarm settings",
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-deleting.html),
so lib/failover_switch.py puts the alarm's criteria in the health check's ``triggers``: the
hashicorp/aws provider (5.100.0) then sends ``UpdateHealthCheck`` with the ``AlarmIdentifier``,
and Route 53 reads the alarm again.

Real Terraform and the real provider against the whole emulator (``local_cloud``), on a config of
two resources shaped as the stack's (the alarm in us-west-2, the CLOUDWATCH_METRIC check on it):
the threshold changes from 1 to 2, and the health check's ``CloudWatchAlarmConfiguration`` must
say 2. Without the triggers it keeps saying 1 (the second test), which is why they are there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCAL_CLOUD_TIME_SCALE = 1
TIMEOUT = 300  # seconds per Terraform command: bounded, never reached when all is well
CRITERIA = ("comparison_operator", "evaluation_periods", "metric_name", "namespace", "period", "statistic")


def _config(threshold: int, *, triggers: bool) -> dict[str, Any]:
    alarm = "${aws_cloudwatch_metric_alarm.switch.%s}"
    check: dict[str, Any] = {
        "provider": "aws.secondary",
        "type": "CLOUDWATCH_METRIC",
        "cloudwatch_alarm_name": alarm % "alarm_name",
        "cloudwatch_alarm_region": "us-west-2",
        "insufficient_data_health_status": "LastKnownStatus",
    }
    if triggers:  # as lib/failover_switch.py writes them
        check["triggers"] = {
            **{name: alarm % name for name in (*CRITERIA, "threshold")},
            "dimensions": "${jsonencode(aws_cloudwatch_metric_alarm.switch.dimensions)}",
        }
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}},
        "provider": {"aws": [{"region": "us-east-1"}, {"alias": "secondary", "region": "us-west-2"}]},
        "resource": {
            "aws_cloudwatch_metric_alarm": {
                "switch": {
                    "provider": "aws.secondary",
                    "alarm_name": "tap-failover-switch-tf",
                    "namespace": "Tap/DR",
                    "metric_name": "FailoverRequested",
                    "dimensions": {"Environment": "tf"},
                    "statistic": "Maximum",
                    "period": 60,
                    "evaluation_periods": 1,
                    "datapoints_to_alarm": 1,
                    "threshold": threshold,
                    "comparison_operator": "GreaterThanOrEqualToThreshold",
                    "treat_missing_data": "ignore",
                }
            },
            "aws_route53_health_check": {"switch": check},
        },
        "output": {"health_check_id": {"value": "${aws_route53_health_check.switch.id}"}},
    }


@pytest.fixture(scope="module")
def terraform_env(local_cloud, tmp_path_factory) -> dict[str, str]:
    config = tmp_path_factory.mktemp("tf-config") / "terraform.rc"
    written = subprocess.run(
        [str(ROOT / "scripts" / "terraform-cli-config.sh")],
        env={**local_cloud.sdk_env(), "TF_CLI_CONFIG_OUT": str(config)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert written.stdout.strip() == str(config)
    return {**local_cloud.sdk_env(), "TF_CLI_CONFIG_FILE": str(config), "CHECKPOINT_DISABLE": "1"}


def _terraform(workdir: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [shutil.which("terraform") or "terraform", f"-chdir={workdir}", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def _apply(workdir: Path, env: dict[str, str], threshold: int, *, triggers: bool) -> None:
    (workdir / "main.tf.json").write_text(json.dumps(_config(threshold, triggers=triggers)))
    _terraform(workdir, env, "apply", "-auto-approve", "-input=false", "-no-color")


def _held_threshold(local_cloud, workdir: Path, env: dict[str, str]) -> float:
    health_check_id = json.loads(_terraform(workdir, env, "output", "-json"))["health_check_id"]["value"]
    held = local_cloud.client("route53").get_health_check(HealthCheckId=health_check_id)["HealthCheck"]
    return held["CloudWatchAlarmConfiguration"]["Threshold"]


@pytest.mark.parametrize(("triggers", "after"), [(True, 2.0), (False, 1.0)])
def test_a_threshold_terraform_changes_reaches_the_health_check_only_through_the_triggers(
    local_cloud, terraform_env, tmp_path, triggers, after
):
    (tmp_path / "main.tf.json").write_text(json.dumps(_config(1, triggers=triggers)))
    _terraform(tmp_path, terraform_env, "init", "-input=false", "-no-color")
    _apply(tmp_path, terraform_env, 1, triggers=triggers)
    assert _held_threshold(local_cloud, tmp_path, terraform_env) == 1.0

    _apply(tmp_path, terraform_env, 2, triggers=triggers)
    alarm = local_cloud.client("cloudwatch", "us-west-2").describe_alarms(
        AlarmNames=["tap-failover-switch-tf"]
    )
    assert alarm["MetricAlarms"][0]["Threshold"] == 2.0  # the alarm changed either way
    assert _held_threshold(local_cloud, tmp_path, terraform_env) == after

    _terraform(tmp_path, terraform_env, "destroy", "-auto-approve", "-input=false", "-no-color")

"""dr/report.py and its parts (report_failover, report_replication, report_regions, report_render):
the DR figures come from the synthesized stack, and follow it."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from dr.gameday_result import ScenarioResult
from dr.report import build_report, main
from dr.report_backup import schedule_seconds
from dr.report_regions import GENERIC_REASON
from dr.report_render import render
from dr.stack import references, short_name

SECONDARY_BUCKET = re.compile(r"aws_s3_bucket\.(receipts-secondary_bucket_[0-9A-F]{8})")
PRIMARY_BUCKET = re.compile(r"aws_s3_bucket\.(receipts-primary_bucket_[0-9A-F]{8})")


@pytest.fixture(scope="module")
def dev_report(dev) -> dict[str, Any]:
    return build_report(dev.json)


def _copy(synth) -> dict[str, Any]:
    return copy.deepcopy(synth.json)


def _each(data: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return list(data["resource"].get(type_, {}).values())


def _failback_configurations(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Replication configurations whose source is a secondary-region bucket (read independently)."""
    found = []
    for configuration in _each(data, "aws_s3_bucket_replication_configuration"):
        source = SECONDARY_BUCKET.search(configuration["bucket"])
        if source and data["resource"]["aws_s3_bucket"][source[1]]["provider"] == "aws.secondary":
            found.append(configuration)
    return found


def _with_failback(synth) -> dict[str, Any]:
    """The stack plus a secondary -> primary replication configuration (RTC 15 min)."""
    data = _copy(synth)
    configurations = data["resource"]["aws_s3_bucket_replication_configuration"]
    forward = next(c for c in configurations.values() if PRIMARY_BUCKET.search(c["bucket"]))
    primary = PRIMARY_BUCKET.search(forward["bucket"])[1]
    secondary = SECONDARY_BUCKET.search(forward["rule"][0]["destination"]["bucket"])[1]
    back = copy.deepcopy(forward)
    back["provider"] = "aws.secondary"
    back["bucket"] = f"${{aws_s3_bucket.{secondary}.id}}"
    back["rule"][0]["id"] = "test-failback"
    back["rule"][0]["destination"]["bucket"] = f"${{aws_s3_bucket.{primary}.arn}}"
    configurations["test-failback_configuration_0000ABCD"] = back
    return data


# --- the dev stack's figures -----------------------------------------------------------------


def test_dev_detection_is_interval_times_threshold_of_the_health_checks(dev, dev_report):
    checks = dev.resources("aws_route53_health_check")
    probing = {lid: c for lid, c in checks.items() if c["type"] == "HTTPS"}
    expected = max(check["request_interval"] * check["failure_threshold"] for check in probing.values())
    assert dev_report["detection_seconds"] == expected == 30
    assert dev_report["health_check_interval_seconds"] == 10
    assert dev_report["health_check_failure_threshold"] == 3
    per_check = {c["resource"]: c["detection_seconds"] for c in dev_report["health_checks"]}
    # The calculated check detects what its endpoint child does; the switch follows its alarm.
    by_type = {c["type"]: c["resource"] for c in dev_report["health_checks"]}
    assert per_check == {
        **{lid: 30 for lid in probing},
        by_type["CALCULATED"]: 30,
        by_type["CLOUDWATCH_METRIC"]: None,
    }
    assert all(c["used_by_failover"] for c in dev_report["health_checks"])  # the children too


def test_dev_rto_is_detection_plus_the_alias_records_dns_cache(dev, dev_report):
    failover = [r for r in dev.resources("aws_route53_record").values() if "failover_routing_policy" in r]
    assert failover and all("alias" in record for record in failover)
    assert dev_report["failover_mode"] == "dns"
    assert dev_report["dns_seconds"] == 60
    assert dev_report["rto_seconds"] == dev_report["detection_seconds"] + dev_report["dns_seconds"] == 90
    assert dev_report["rto_goal_seconds"] == 90
    assert dev_report["meets_rto_goal"] is True
    assert dev_report["rto_reason"] is None
    roles = {(r["role"], r["target_region"]) for r in dev_report["failover_records"]}
    assert roles == {("PRIMARY", "us-east-1"), ("SECONDARY", "us-west-2")}


def test_dev_rpo_table_and_objects(dev, dev_report):
    (replica,) = dev.resources("aws_dynamodb_table_replica").values()
    assert replica["provider"] == "aws.secondary"
    (table,) = dev_report["tables"]
    assert table["replica_regions"] == ["us-west-2"]
    assert dev_report["rpo_seconds_table"] == 1
    assert "global table" in dev_report["rpo_table_basis"]
    assert dev_report["rpo_seconds_objects"] == 900
    forward = [r for r in dev_report["object_replication"] if r["direction"] == "primary -> secondary"]
    assert forward and all(r["rtc_minutes"] == 15 and r["rpo_seconds"] == 900 for r in forward)
    assert {(r["source"]["region"], r["destination"]["region"]) for r in forward} == {
        ("us-east-1", "us-west-2")
    }
    assert {r["source"]["bucket"] for r in forward} == {"receipts-primary_bucket"}


def test_dev_failback_replication_is_reported_as_the_stack_has_it(dev, dev_report):
    failback = _failback_configurations(dev.json)
    assert dev_report["failback_replication"] is bool(failback)
    if failback:
        minutes = max(
            r["destination"]["replication_time"]["time"]["minutes"] for c in failback for r in c["rule"]
        )
        assert dev_report["rpo_seconds_objects_failback"] == minutes * 60
    else:
        assert dev_report["rpo_seconds_objects_failback"] is None
        assert "no enabled S3 replication rule" in dev_report["rpo_objects_failback_basis"]


def test_failback_replication_is_detected_with_its_rpo(dev):
    report = build_report(_with_failback(dev))
    assert report["failback_replication"] is True
    assert report["rpo_seconds_objects_failback"] == 900
    assert report["rpo_seconds_objects"] == 900
    back = [r for r in report["object_replication"] if r["rule"] == "test-failback"]
    assert [(r["direction"], r["source"]["region"], r["destination"]["region"]) for r in back] == [
        ("secondary -> primary", "us-west-2", "us-east-1")
    ]


def test_dev_strategy_is_hot_standby_active_passive(dev_report):
    assert dev_report["strategy"] == "hot standby (active/passive, full capacity in both regions)"
    basis = dev_report["strategy_basis"]
    for phrase in (
        "pilot light",
        "warm standby",
        "active/active",
        "PRIMARY",
        "256 MB",
        "reserved concurrency unreserved",
    ):
        assert phrase in basis
    sizes = dev_report["capacity"]
    assert (
        sizes["primary"]
        == sizes["secondary"]
        == {
            "lambda_functions": 1,
            "api_stages": 1,
            "lambda_memory_mb": 256,
            "reserved_concurrency": None,
        }
    )


def test_a_region_that_only_serves_route53_leaves_the_strategy_alone(eu):
    """eu-west-1/eu-central-1 adds a us-east-1 provider for Route 53's alarms and query logs;
    it runs no workload, so it is no 'region without the API' (pilot light)."""
    report = build_report(eu.json)
    assert report["regions"]["global"] == "us-east-1"
    assert report["strategy"] == "hot standby (active/passive, full capacity in both regions)"
    assert set(report["capacity"]) == {"primary", "secondary"}
    assert report["rpo_seconds_table"] == 1


def test_dev_regions_come_from_the_provider_aliases(dev_report):
    assert dev_report["regions"] == {"primary": "us-east-1", "secondary": "us-west-2"}
    assert dev_report["primary"]["alias"] == "primary"
    assert dev_report["primary"]["region"] == "us-east-1"


def test_dev_single_region_resources_have_reasons(dev_report):
    by_type = {}
    for entry in dev_report["single_region_resources"]:
        by_type.setdefault(entry["type"], []).append(entry)
    assert "Route 53 is a global service" in by_type["aws_route53_zone"][0]["reason"]
    assert "us-east-1" in by_type["aws_route53_query_log"][0]["reason"]
    (log_group,) = by_type["aws_cloudwatch_log_group"]
    assert log_group["resource"].startswith("zone_query-logs_")
    assert "serves aws_route53_query_log" in log_group["reason"]
    assert "replica" in by_type["aws_dynamodb_table"][0]["reason"]
    assert "us-west-2" in by_type["aws_dynamodb_table"][0]["reason"]
    # Everything regional exists in both regions: the API is not single-region.
    for type_ in ("aws_lambda_function", "aws_api_gateway_stage", "aws_s3_bucket", "aws_kms_key"):
        assert type_ not in by_type
    for entry in by_type.get("aws_cloudwatch_metric_alarm", []):  # alarms on health checks, the switch
        if entry["resource"].startswith("failover-switch_alarm"):
            assert entry["region"] == "us-west-2" and "failover switch" in entry["reason"]
        elif entry["resource"].startswith("monitoring-secondary_switch-thrown"):
            assert entry["region"] == "us-west-2" and "standby region only" in entry["reason"]
        elif entry["resource"].startswith("monitoring-secondary_secondary-traffic-moved"):
            assert entry["region"] == "us-west-2" and "survives the primary's loss" in entry["reason"]
        else:
            assert "health-check metrics only in us-east-1" in entry["reason"]


def test_an_alarm_on_a_route53_metric_is_explained_by_its_namespace(dev):
    data = _copy(dev)
    alarms = data["resource"]["aws_cloudwatch_metric_alarm"]
    alarms["test-alarm_0000ABCD"] = {"namespace": "AWS/Route53", "provider": "aws.primary"}
    (entry,) = [
        e for e in build_report(data)["single_region_resources"] if e["resource"] == "test-alarm_0000ABCD"
    ]
    assert entry["reason"].startswith("Route 53 publishes health-check metrics only in us-east-1")


def test_an_unexplained_single_region_resource_gets_the_generic_reason(dev):
    data = _copy(dev)
    data["resource"]["aws_sqs_queue"] = {
        "stray-queue_0000ABCD": {"name": "stray", "provider": "aws.secondary"}
    }
    (stray,) = [e for e in build_report(data)["single_region_resources"] if e["type"] == "aws_sqs_queue"]
    assert stray == {
        "type": "aws_sqs_queue",
        "resource": "stray-queue_0000ABCD",
        "alias": "secondary",
        "region": "us-west-2",
        "reason": GENERIC_REASON,
    }


# --- the report follows the configuration -------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "detection", "rto", "meets"),
    [
        ({"request_interval": 30}, 90, 150, False),
        ({"failure_threshold": 2}, 20, 80, True),
        ({"request_interval": 30, "failure_threshold": 2}, 60, 120, False),
    ],
)
def test_detection_and_rto_follow_the_health_checks(dev, changes, detection, rto, meets):
    data = _copy(dev)
    for check in _each(data, "aws_route53_health_check"):
        check.update(changes)
    report = build_report(data)
    assert report["detection_seconds"] == detection
    assert report["health_check_interval_seconds"] == changes.get("request_interval", 10)
    assert report["health_check_failure_threshold"] == changes.get("failure_threshold", 3)
    assert report["rto_seconds"] == rto
    assert report["meets_rto_goal"] is meets


def test_the_worst_health_check_sets_the_detection_time(dev):
    data = _copy(dev)
    secondary = next(
        c
        for c in _each(data, "aws_route53_health_check")
        if c["provider"] == "aws.secondary" and c["type"] == "HTTPS"
    )
    secondary["request_interval"] = 30
    report = build_report(data)
    detections = {c["type"]: [] for c in report["health_checks"]}
    for c in report["health_checks"]:
        detections[c["type"]].append(c["detection_seconds"])
    assert sorted(detections["HTTPS"]) == [30, 90]
    assert detections["CALCULATED"] == [30]  # the primary's endpoint, unchanged
    assert report["detection_seconds"] == 90
    assert report["rto_seconds"] == 150


def test_a_plain_failover_record_uses_its_ttl(dev):
    data = _copy(dev)
    for record in _each(data, "aws_route53_record"):
        if "failover_routing_policy" in record:
            del record["alias"]
            record.update(ttl=20, records=["192.0.2.1"])
    report = build_report(data)
    assert report["dns_seconds"] == 20
    assert report["rto_seconds"] == 50
    assert {r["target_region"] for r in report["failover_records"]} == {"us-east-1", "us-west-2"}


def test_a_primary_without_health_check_has_no_rto(dev):
    data = _copy(dev)
    for record in _each(data, "aws_route53_record"):
        if record.get("failover_routing_policy", {}).get("type") == "PRIMARY":
            del record["health_check_id"]
    report = build_report(data)
    assert report["rto_seconds"] is None
    assert report["meets_rto_goal"] is None
    assert "no health check" in report["rto_reason"]


def test_without_rtc_the_objects_rpo_is_null(dev):
    data = _copy(dev)
    for configuration in _each(data, "aws_s3_bucket_replication_configuration"):
        for rule in configuration["rule"]:
            del rule["destination"]["replication_time"]
    report = build_report(data)
    assert report["rpo_seconds_objects"] is None
    assert "without RTC" in report["rpo_objects_basis"]
    assert all(r["rtc_minutes"] is None for r in report["object_replication"])
    assert report["rpo_seconds_table"] == 1  # the table does not depend on S3


def test_a_disabled_replication_rule_does_not_count(dev):
    data = _copy(dev)
    for configuration in _each(data, "aws_s3_bucket_replication_configuration"):
        for rule in configuration["rule"]:
            rule["status"] = "Disabled"
    report = build_report(data)
    assert report["rpo_seconds_objects"] is None
    assert report["failback_replication"] is False
    assert "no enabled S3 replication rule" in report["rpo_objects_basis"]


def test_without_replica_the_table_rpo_is_null(dev):
    data = _copy(dev)
    del data["resource"]["aws_dynamodb_table_replica"]
    report = build_report(data)
    assert report["rpo_seconds_table"] is None
    assert "not replicated" in report["rpo_table_basis"]
    assert report["rpo_seconds_objects"] == 900


def test_multi_region_strong_consistency_means_rpo_zero(dev):
    data = _copy(dev)
    for table in _each(data, "aws_dynamodb_table"):
        table["replica"] = [{"region_name": "us-west-2", "consistency_mode": "STRONG"}]
    del data["resource"]["aws_dynamodb_table_replica"]
    assert build_report(data)["rpo_seconds_table"] == 0


def test_an_inline_replica_block_counts_as_a_replica_too(dev, dev_report):
    """Both ways Terraform declares a global table's replica give the same figures."""
    data = _copy(dev)
    (replica,) = data["resource"].pop("aws_dynamodb_table_replica").values()
    for table in _each(data, "aws_dynamodb_table"):
        table["replica"] = [{"region_name": "us-west-2", "kms_key_arn": replica["kms_key_arn"]}]
    report = build_report(data)
    assert report["rpo_seconds_table"] == dev_report["rpo_seconds_table"] == 1
    assert report["tables"][0]["replica_regions"] == ["us-west-2"]


def test_the_replica_resource_is_explained_as_single_region(dev_report):
    (entry,) = [e for e in dev_report["single_region_resources"] if e["type"] == "aws_dynamodb_table_replica"]
    assert entry["region"] == "us-west-2"
    assert "the replica of global table payments-table" in entry["reason"]
    assert "lives in us-east-1" in entry["reason"]


def test_without_failover_records_the_rto_is_null_with_the_reason(dev):
    data = _copy(dev)
    records = data["resource"]["aws_route53_record"]
    for logical_id in [lid for lid, body in records.items() if "failover_routing_policy" in body]:
        del records[logical_id]
    report = build_report(data)
    assert report["failover_mode"] == "manual"
    assert report["rto_seconds"] is None
    assert report["detection_seconds"] is None
    assert report["dns_seconds"] is None
    assert report["meets_rto_goal"] is None
    assert "no Route 53 failover records" in report["rto_reason"]
    assert "manual" in report["strategy"]


def _smaller_standby(data: dict[str, Any]) -> None:
    for function in _each(data, "aws_lambda_function"):
        if function["provider"] == "aws.secondary":
            function["memory_size"] = 128


def _no_standby_api(data: dict[str, Any]) -> None:
    for type_ in ("aws_lambda_function", "aws_api_gateway_stage"):
        resources = data["resource"][type_]
        for logical_id in [lid for lid, body in resources.items() if body["provider"] == "aws.secondary"]:
            del resources[logical_id]


def _latency_routing(data: dict[str, Any]) -> None:
    for record in _each(data, "aws_route53_record"):
        if record.pop("failover_routing_policy", None):
            record["latency_routing_policy"] = {"region": "us-east-1"}


@pytest.mark.parametrize(
    ("mutate", "strategy"),
    [
        (_smaller_standby, "warm standby (scaled-down copy running in the standby region)"),
        (_no_standby_api, "pilot light (data replicated, API in one region only)"),
        (_latency_routing, "multi-site active/active"),
    ],
)
def test_the_strategy_follows_the_regions_capacity_and_routing(dev, mutate, strategy):
    data = _copy(dev)
    mutate(data)
    assert build_report(data)["strategy"] == strategy


# --- no custom domain (the staging profile) ---------------------------------------------------


def test_staging_without_custom_domain_is_dns_less_and_has_no_rto(staging):
    assert not [r for r in staging.resources("aws_route53_record").values() if "failover_routing_policy" in r]
    report = build_report(staging.json)
    assert report["failover_mode"] == "manual"
    assert report["failover_records"] == []
    assert report["rto_seconds"] is None
    assert report["meets_rto_goal"] is None
    assert "DNS-less and manual" in report["rto_reason"]
    assert report["rpo_seconds_table"] == 1
    assert report["rpo_seconds_objects"] == 900
    assert report["strategy"].startswith("hot standby")
    assert not any(check["used_by_failover"] for check in report["health_checks"])
    assert "RTO reason" in render(report)


# --- helpers and the command line -------------------------------------------------------------


def test_references_find_resources_and_data_sources():
    value = {
        "a": "${tolist(aws_acm_certificate.endpoint-primary_cert_AF069DC4.domain_validation_options).0.x}",
        "b": ["/${aws_api_gateway_stage.api_stage_12345678.stage_name}/health", 3],
        "c": "${data.aws_route53_zone.zone_ABCDEF12.zone_id} and plain aws_s3_bucket.not_a_reference",
    }
    assert references(value) == [
        ("aws_acm_certificate", "endpoint-primary_cert_AF069DC4"),
        ("aws_api_gateway_stage", "api_stage_12345678"),
        ("data.aws_route53_zone", "zone_ABCDEF12"),
    ]


def test_cli_writes_the_json_and_prints_the_table(dev, tmp_path, capsys):
    stack_file = tmp_path / "cdk.tf.json"
    stack_file.write_text(json.dumps(dev.json))
    out = tmp_path / "cfn-outputs" / "dr-report.json"
    assert main([str(stack_file), "--out", str(out)]) == 0
    written = json.loads(out.read_text())
    for key in ("rto_seconds", "rpo_seconds_table", "rpo_seconds_objects", "strategy", "detection_seconds"):
        assert key in written
    assert (written["rto_seconds"], written["rpo_seconds_table"], written["rpo_seconds_objects"]) == (
        90,
        1,
        900,
    )
    printed = capsys.readouterr().out
    assert re.search(r"^  RTO +90 s \(goal <= 90 s: met\)$", printed, re.MULTILINE)
    assert re.search(r"^  detection +30 s \(health check every 10 s x 3 failures\)$", printed, re.MULTILINE)
    assert re.search(r"^  RPO objects +900 s", printed, re.MULTILINE)
    assert f"wrote {out}" in printed


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("{not json", "is not JSON"),
        ("[]", "must hold a JSON object"),
        ("{}", "no resources"),
        ('{"resource": {"aws_s3_bucket": {}}}', "no resources"),
        ('{"resource": {"aws_s3_bucket": {"b": {}}}}', "no AWS provider"),
        ('{"resource": {"aws_s3_bucket": ["b"]}}', "malformed resource block 'aws_s3_bucket'"),
        # Right shape, wrong types inside (a hand-edited or foreign file): still one line.
        (
            '{"provider": {"aws": [{"region": "us-east-1", "alias": "p"}, {"alias": "s"}]}, "resource": '
            '{"aws_dynamodb_table": {"t": {"provider": "aws.p", "replica": [{"region_name": 3}]}}}}',
            "not a stack this report understands (TypeError",
        ),
    ],
)
def test_cli_rejects_bad_input_with_one_line(tmp_path, capsys, content, message):
    stack_file = tmp_path / "cdk.tf.json"
    if content is not None:
        stack_file.write_text(content)
    out = tmp_path / "report.json"
    with pytest.raises(SystemExit) as exit_info:
        main([str(stack_file), "--out", str(out)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert message in err
    assert not out.exists()


def test_the_switch_is_reported_with_its_manual_failover_time_and_how_to_flip_it(dev_report):
    switch = dev_report["failover_switch"]
    assert switch["region"] == "us-west-2" and switch["requires_all_children"] is True
    assert switch["state_change_seconds"] == 60
    assert switch["manual_failover_seconds"] == 60 + dev_report["dns_seconds"] == 120
    assert switch["how"].startswith("aws cloudwatch put-metric-data --region us-west-2 --namespace Tap/DR")
    assert "--dimensions Environment=dev" in switch["how"]


def test_the_switch_holds_without_data_and_follows_changes_to_its_alarm(dev_report):
    switch = dev_report["failover_switch"]
    assert switch["holds_without_data"] is True and switch["follows_alarm_changes"] is True
    assert switch["missing_data"] == (
        "Route 53 reads the metric with the alarm's criteria (its treat_missing_data plays no part); "
        "without data: LastKnownStatus, one datapoint holds until the opposite one, and a new switch "
        "is healthy"
    )


@pytest.mark.parametrize(
    ("status", "effect"),
    [
        ("Healthy", "a failover lasts one alarm period, then traffic goes back to the primary"),
        ("Unhealthy", "the primary is failed over whenever no datapoint is published"),
    ],
)
def test_a_switch_that_does_not_hold_says_what_it_does_instead(dev, status, effect):
    data = _copy(dev)
    for check in _each(data, "aws_route53_health_check"):
        if check["type"] == "CLOUDWATCH_METRIC":
            check["insufficient_data_health_status"] = status
            del check["triggers"]["threshold"]
    switch = build_report(data)["failover_switch"]
    assert switch["holds_without_data"] is False and switch["follows_alarm_changes"] is False
    assert switch["missing_data"].endswith(
        f"without data: {status}, {effect}; a change to the alarm never reaches the health check"
    )


def test_the_recovery_path_needs_no_control_plane_and_nothing_from_the_primary(dev_report):
    in_path = [d for d in dev_report["recovery_dependencies"] if d["in_recovery_path"]]
    assert {d["plane"] for d in in_path} == {"data"}
    assert all(d["region"] in ("global", "us-west-2") for d in in_path)
    outside = {d["dependency"] for d in dev_report["recovery_dependencies"] if not d["in_recovery_path"]}
    assert "Route 53 query logs" in outside  # us-east-1 only, and said so


def test_without_the_switch_a_manual_failover_needs_route53s_control_plane(dev):
    data = _copy(dev)
    for record in _each(data, "aws_route53_record"):
        if record.get("failover_routing_policy", {}).get("type") == "PRIMARY":
            record["health_check_id"] = record["health_check_id"].replace(
                "health-check-with-switch_5BAEE355", "health-check_D44F0169"
            )
    report = build_report(data)
    assert report["failover_switch"] is None
    (control,) = [d for d in report["recovery_dependencies"] if d["plane"] == "control"]
    assert control["in_recovery_path"] and control["region"] == "us-east-1"
    assert "none: a manual failover needs Route 53's control plane" in render(report)


def test_a_game_day_report_is_shown_next_to_the_computed_figures(dev, tmp_path, capsys):
    stack = tmp_path / "cdk.tf.json"
    stack.write_text(json.dumps(dev.json))
    gameday = tmp_path / "gameday-report.json"
    scenario = {
        "scenario": "region-loss",
        "measured_rto_seconds": 60.7,
        "computed_rto_seconds": 90,
        "failed_requests": 29,
        "acknowledged_writes": 28,
        "lost_writes": 0,
        "unreplicated_at_fault": 1,
        "rpo_seconds": 0.1,
        "conflicts": 0,
        "failback_seconds": 50.3,
    }
    gameday.write_text(json.dumps({"scenarios": [scenario]}))
    out = tmp_path / "dr-report.json"
    assert main([str(stack), "--out", str(out), "--gameday", str(gameday)]) == 0
    assert json.loads(out.read_text())["measured"] == [scenario]
    assert "region-loss  RTO 60.7 s measured / 90 s computed" in capsys.readouterr().out
    assert main([str(stack), "--out", str(out), "--gameday", str(tmp_path / "none.json")]) == 0
    assert "none yet: run make gameday-local" in capsys.readouterr().out
    assert json.loads(out.read_text())["measured"] == []


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"scenarios": {}}',
        '{"scenarios": [{"scenario": "manual", "measured_rto_seconds": 60.3}]}',  # lacks the rest
    ],
)
def test_a_game_day_report_that_is_not_one_is_left_out(dev, tmp_path, capsys, content):
    stack = tmp_path / "cdk.tf.json"
    stack.write_text(json.dumps(dev.json))
    gameday = tmp_path / "gameday-report.json"
    gameday.write_text(content)
    out = tmp_path / "dr-report.json"
    assert main([str(stack), "--out", str(out), "--gameday", str(gameday)]) == 0
    assert json.loads(out.read_text())["measured"] == []
    assert "none yet: run make gameday-local" in capsys.readouterr().out


def test_the_measured_line_says_how_long_the_failover_held_and_whether_the_primary_answered():
    manual = {
        "scenario": "manual",
        "measured_rto_seconds": 60.3,
        "computed_rto_seconds": 120,
        "failed_requests": 0,
        "acknowledged_writes": 336,
        "lost_writes": 0,
        "unreplicated_at_fault": 1,
        "rpo_seconds": 0.4,
        "conflicts": 0,
        "hold_seconds": 600.2,
        "primary_answers_during_hold": 0,
        "failback_seconds": 67.9,
    }
    assert (
        ScenarioResult.from_json(manual)
        .summary()
        .endswith("0 conflicts, held 600.2 s with 0 answers from the primary, failback 67.9 s")
    )
    del manual["hold_seconds"]  # a report from before the hold
    assert ScenarioResult.from_json(manual).summary().endswith("0 conflicts, failback 67.9 s")


# --- backups: PITR, AWS Backup, restore time (dr/report_backup.py) -------------------------------


def test_dev_pitr_rpo_is_the_latest_restorable_lag_with_the_shortest_window(dev_report):
    assert dev_report["rpo_seconds_pitr"] == 300
    basis = dev_report["rpo_pitr_basis"]
    assert "to the second (1 s)" in basis and "last 7 days" in basis and "5 minutes behind now" in basis
    assert [
        (short_name(t["resource"]), t["region"], t["enabled"], t["recovery_period_days"])
        for t in dev_report["pitr"]
    ] == [
        ("payments-table", "us-east-1", True, 7),
        ("payments-table_replica", "us-west-2", True, 35),  # the replica cannot set a window
    ]


def test_dev_backup_rpo_is_the_daily_schedule_copied_to_the_other_region(dev_report):
    assert dev_report["rpo_seconds_backup"] == 86400
    assert dev_report["rpo_backup_basis"] == (
        "AWS Backup schedule cron(0 5 ? * * *): a recovery point every 24 h (a run may start up to 60 min "
        "late), copied to us-east-1, us-west-2"
    )
    plans = {plan["region"]: plan for plan in dev_report["backup_plans"]}
    assert plans["us-east-1"]["protects"] == ["payments-table", "receipts-primary_bucket"]
    assert plans["us-west-2"]["protects"] == ["payments-table_replica", "receipts-secondary_bucket"]
    (rule,) = plans["us-east-1"]["rules"]
    assert rule == {
        "name": "daily",
        "schedule": "cron(0 5 ? * * *)",
        "interval_seconds": 86400,
        "start_window_minutes": 60,
        "vault": "backup-vault-primary_vault",
        "retention_days": 1,
        "copies": [{"vault": "backup-vault-secondary_vault", "region": "us-west-2", "retention_days": 1}],
    }


def test_the_table_restore_time_is_awss_range_not_a_figure_from_the_stack(dev_report):
    restore = dev_report["table_restore"]
    assert (restore["min_seconds"], restore["usual_max_seconds"]) == (1200, 3600)
    assert (
        "at least 20 minutes" in restore["basis"]
        and "S3 restores from AWS Backup: undocumented" in restore["basis"]
    )


def test_the_backup_figures_are_printed_next_to_the_replication_rpo(dev_report):
    printed = render(dev_report)
    assert re.search(r"^  RPO PITR +300 s \(DynamoDB point-in-time recovery", printed, re.MULTILINE)
    assert re.search(r"^  RPO backups +86400 s \(AWS Backup schedule", printed, re.MULTILINE)
    assert re.search(r"^  table restore +1200 s to 3600 s \(AWS knowledge center", printed, re.MULTILINE)
    assert printed.index("RPO objects") < printed.index("RPO PITR")
    section = printed.split("backups (AWS Backup plans)\n", 1)[1]
    assert section.startswith(
        "  us-east-1    cron(0 5 ? * * *) -> backup-vault-primary_vault kept 1 d; copy -> "
        "backup-vault-secondary_vault (us-west-2) kept 1 d; "
        "protects payments-table, receipts-primary_bucket\n"
    )
    assert (
        dev_report["sources"]["table_restore"]
        == "https://repost.aws/knowledge-center/dynamodb-restore-taking-long"
    )


def test_prod_keeps_its_backups_35_days(prod):
    report = build_report(prod.json)
    copies = [c for p in report["backup_plans"] for r in p["rules"] for c in r["copies"]]
    assert len(copies) == 2 and {c["retention_days"] for c in copies} == {35}
    assert "last 35 days" in report["rpo_pitr_basis"]


def test_the_backups_have_a_counterpart_in_each_region(dev_report):
    assert not [e for e in dev_report["single_region_resources"] if e["type"].startswith("aws_backup_")]


def test_without_pitr_on_the_replica_the_pitr_rpo_is_null_with_the_reason(dev):
    data = _copy(dev)
    for replica in _each(data, "aws_dynamodb_table_replica"):
        replica["point_in_time_recovery"] = False
    report = build_report(data)
    assert report["rpo_seconds_pitr"] is None
    assert report["rpo_pitr_basis"] == "point-in-time recovery is off on payments-table_replica (us-west-2)"
    assert report["rpo_seconds_table"] == 1  # replication is not PITR


def test_an_inline_replica_reports_its_own_pitr(dev):
    data = _copy(dev)
    del data["resource"]["aws_dynamodb_table_replica"]
    for table in _each(data, "aws_dynamodb_table"):
        table["replica"] = [{"region_name": "us-west-2", "point_in_time_recovery": True}]
        del table["point_in_time_recovery"]["recovery_period_in_days"]  # AWS's default: 35
    report = build_report(data)
    assert [(t["region"], t["enabled"], t["recovery_period_days"]) for t in report["pitr"]] == [
        ("us-east-1", True, 35),
        ("us-west-2", True, 35),
    ]
    assert report["rpo_seconds_pitr"] == 300


def test_without_a_plan_or_a_table_the_backup_figures_are_null(dev):
    data = _copy(dev)
    for type_ in (
        "aws_backup_plan",
        "aws_backup_selection",
        "aws_dynamodb_table",
        "aws_dynamodb_table_replica",
    ):
        del data["resource"][type_]
    report = build_report(data)
    assert (report["rpo_seconds_backup"], report["rpo_backup_basis"]) == (
        None,
        "no AWS Backup plan in the stack",
    )
    assert (report["rpo_seconds_pitr"], report["rpo_pitr_basis"]) == (None, "no DynamoDB table in the stack")
    assert report["table_restore"]["min_seconds"] is None
    printed = render(report)
    assert re.search(r"^  table restore +n/a \(no DynamoDB table in the stack\)$", printed, re.MULTILINE)
    assert "backups (AWS Backup plans)\n  none\n" in printed


def test_a_schedule_that_is_not_a_fixed_interval_leaves_the_backup_rpo_null(dev):
    data = _copy(dev)
    for plan in _each(data, "aws_backup_plan"):
        plan["rule"][0]["schedule"] = "cron(0 5 ? * MON-FRI *)"
        del plan["rule"][0]["copy_action"]
    report = build_report(data)
    assert report["rpo_seconds_backup"] is None
    assert "not understood as a fixed interval" in report["rpo_backup_basis"]
    assert "protects payments-table, receipts-primary_bucket" in render(report)


def test_a_copy_to_a_vault_outside_the_stack_is_named_as_given(dev):
    data = _copy(dev)
    outside = "arn:aws:backup:eu-west-1:123456789012:backup-vault:elsewhere"
    for plan in _each(data, "aws_backup_plan"):
        plan["rule"][0]["copy_action"][0]["destination_vault_arn"] = outside
        plan["rule"][0]["target_vault_name"] = "literal-vault"
    (rule, *_) = [r for p in build_report(data)["backup_plans"] for r in p["rules"]]
    assert rule["copies"] == [{"vault": outside, "region": None, "retention_days": 1}]
    assert rule["vault"] == "literal-vault"
    assert build_report(data)["rpo_backup_basis"].endswith("copied to ?")


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("cron(0 5 ? * * *)", 86400),
        ("cron(30 2 * * ? *)", 86400),
        ("cron(0 5 */2 * ? *)", 2 * 86400),
        ("cron(0 0/6 ? * * *)", 6 * 3600),
        ("cron(15 * ? * * *)", 3600),
        ("cron(0/30 * ? * * *)", 1800),
        ("cron(* * ? * * *)", 60),
        ("cron(0/30 5 ? * * *)", None),  # every 30 minutes of 05:00 only
        ("cron(0 5 ? * MON *)", None),  # weekly on Mondays: not every day
        ("cron(0 5 1 * ? *)", None),  # monthly
        ("cron(0 5 ? 1 * *)", None),  # January only
        ("cron(0,30 5 ? * * *)", None),  # two runs a day, not evenly spaced as read here
        ("cron(0 5-9 ? * * *)", None),
        ("rate(1 day)", None),
        (None, None),
    ],
)
def test_schedule_intervals(expression, seconds):
    assert schedule_seconds(expression) == seconds

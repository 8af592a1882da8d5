"""dr/gameday.py and its parts: the registered scenarios (dr/scenarios.py), the typed result and
the report it always wrote (dr/gameday_result.py), one run measured against fakes, what fails a
game day, the reconciliation, the table, and its arguments.

The game day itself runs against a deployment inside `make test` (flows/pipeline_steps.py).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from dr import gameday, gameday_corruption, scenarios
from dr.gameday_client import Attempt, GameDayError
from dr.gameday_result import GameDayReport, ReportError, ScenarioResult, load_report
from dr.scenarios import ComputedRto, Fault, ScenarioDefinition, ScenarioError
from tests.unit.test_handler import BUCKET, TABLE, VALID, make_event, mocked_aws

# cfn-outputs/gameday-report.json as the game day wrote it before its results were typed (every
# key run_scenario returned then, a local run of both scenarios): it must still load, unchanged.
WRITTEN_BEFORE = {
    "scenarios": [
        {
            "acknowledged_writes": 28,
            "computed_rto_basis": "health check 10 s x 3 + alias DNS 60 s",
            "computed_rto_seconds": 90,
            "conflicting": [],
            "conflicts": 0,
            "detection_floor_seconds": 30,
            "failback_seconds": 50.3,
            "failed_requests": 29,
            "hold_seconds": 10.2,
            "lost": [],
            "lost_writes": 0,
            "measured_rto_seconds": 60.7,
            "primary_answers_during_hold": 0,
            "receipts_missing": [],
            "recovery_calls": [],
            "recovery_route53_or_primary_calls": [],
            "route53_calls_during_recovery": 0,
            "rpo_seconds": 0.1,
            "scenario": "region-loss",
            "time_scale": 20.0,
            "unreplicated_at_fault": 1,
            "within_goal": True,
        },
        {
            "acknowledged_writes": 336,
            "computed_rto_basis": "alarm 60 s x 1 + alias DNS 60 s",
            "computed_rto_seconds": 120,
            "conflicting": [],
            "conflicts": 0,
            "detection_floor_seconds": 60,
            "failback_seconds": 67.9,
            "failed_requests": 0,
            "hold_seconds": 600.2,
            "lost": [],
            "lost_writes": 0,
            "measured_rto_seconds": 60.3,
            "primary_answers_during_hold": 0,
            "receipts_missing": [],
            "recovery_calls": ["cloudwatch/us-west-2:PutMetricData"],
            "recovery_route53_or_primary_calls": [],
            "route53_calls_during_recovery": 0,
            "rpo_seconds": 0.4,
            "scenario": "manual",
            "time_scale": 20.0,
            "unreplicated_at_fault": 1,
            "within_goal": True,
        },
    ],
    "target": "local",
}
RESULT = ScenarioResult.from_json(WRITTEN_BEFORE["scenarios"][1])


def test_a_clean_result_passes():
    assert RESULT.failures() == []
    assert GameDayReport.from_json(WRITTEN_BEFORE).failures() == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"lost_writes": 1}, "acknowledged writes lost"),
        ({"conflicts": 2}, "conflicts"),
        ({"receipts_missing": ["gd-1"]}, "receipts missing"),
        ({"recovery_route53_or_primary_calls": ["route53/us-east-1:UpdateHealthCheck"]}, "called Route 53"),
        ({"route53_calls_during_recovery": 1}, "Route 53 was called during the recovery"),
        ({"primary_answers_during_hold": 3}, "the primary answered while failed over"),
    ],
)
def test_a_lost_write_a_conflict_or_a_control_plane_call_fails_it(change, reason):
    (failure,) = dataclasses.replace(RESULT, **change).failures()
    assert failure.startswith("manual: ") and reason in failure
    region_loss = ScenarioResult.from_json(WRITTEN_BEFORE["scenarios"][0])
    assert GameDayReport("local", [region_loss, dataclasses.replace(RESULT, **change)]).failures() == [
        failure
    ]


# --- the report: typed, and the JSON it always was --------------------------------------------


def test_a_report_written_before_the_results_were_typed_loads_and_is_written_back_unchanged(tmp_path):
    path = tmp_path / "gameday-report.json"
    text = json.dumps(WRITTEN_BEFORE, indent=2, sort_keys=True) + "\n"  # how main wrote it
    path.write_text(text)
    report = load_report(path)
    assert report.target == "local"
    assert [r.scenario for r in report.scenarios] == ["region-loss", "manual"]
    region_loss, manual = report.scenarios
    assert (region_loss.measured_rto_seconds, region_loss.computed_rto_seconds) == (60.7, 90)
    assert (region_loss.failed_requests, region_loss.hold_seconds, region_loss.time_scale) == (29, 10.2, 20.0)
    assert manual.recovery_calls == ["cloudwatch/us-west-2:PutMetricData"]
    assert manual.within_goal is True and manual.computed_rto_basis == "alarm 60 s x 1 + alias DNS 60 s"
    assert report.to_json() == WRITTEN_BEFORE
    again = tmp_path / "again.json"
    report.write(again)
    assert again.read_text() == text


def test_a_result_round_trips_through_json():
    assert ScenarioResult.from_json(RESULT.to_json()) == RESULT
    assert ScenarioResult.from_json(json.loads(json.dumps(RESULT.to_json()))) == RESULT
    assert set(RESULT.to_json()) == set(WRITTEN_BEFORE["scenarios"][1])  # every key, no other


def test_an_older_report_without_the_hold_still_loads_and_keeps_its_keys():
    older = {
        key: WRITTEN_BEFORE["scenarios"][0][key]
        for key in (
            "scenario",
            "measured_rto_seconds",
            "computed_rto_seconds",
            "failed_requests",
            "acknowledged_writes",
            "lost_writes",
            "unreplicated_at_fault",
            "rpo_seconds",
            "conflicts",
            "failback_seconds",
        )
    }
    result = ScenarioResult.from_json(older)
    assert result.hold_seconds is None and result.failures() == []
    assert result.to_json() == older
    assert result.summary() == (
        "RTO 60.7 s measured / 90 s computed; 29 failed requests, 0 of 28 acknowledged writes lost, "
        "1 unreplicated at the fault (RPO 0.1 s), 0 conflicts, failback 50.3 s"
    )


def test_the_summary_says_how_long_the_failover_held():
    assert RESULT.summary() == (
        "RTO 60.3 s measured / 120 s computed; 0 failed requests, 0 of 336 acknowledged writes lost, "
        "1 unreplicated at the fault (RPO 0.4 s), 0 conflicts, held 600.2 s with 0 answers from the "
        "primary, failback 67.9 s"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a readable JSON file (JSONDecodeError"),
        ("[]", "a game day's report is a JSON object with a list of scenarios"),
        ('{"scenarios": [3]}', "a scenario result is a JSON object, not int"),
        (
            '{"scenarios": [{"scenario": "manual", "measured_rto_seconds": 1}]}',
            "scenario result 'manual' lacks computed_rto_seconds, failed_requests,",
        ),
    ],
)
def test_what_is_not_a_report_is_a_one_line_error(tmp_path, content, message):
    path = tmp_path / "gameday-report.json"
    path.write_text(content)
    with pytest.raises(ReportError) as error:
        load_report(path)
    assert str(error.value).startswith(f"{path}: ") and message in str(error.value)
    assert "\n" not in str(error.value)


# --- the registry -------------------------------------------------------------------------------


def test_the_registered_scenarios_and_what_runs_by_default():
    assert list(scenarios.REGISTRY) == ["region-loss", "manual", "corruption"]
    assert scenarios.defaults(local=True) == ["region-loss", "manual", "corruption"]
    assert scenarios.defaults(local=False) == ["manual"]  # corruption is opt-in on AWS
    assert scenarios.definition("region-loss").emulator_only == "it switches a region off"
    assert scenarios.definition("manual").emulator_only is None
    corruption = scenarios.definition("corruption")
    assert corruption.emulator_only is None and corruption.run is gameday_corruption.run_corruption
    assert "GAMEDAY_ARGS='--scenarios corruption'" in corruption.opt_in_on_aws


def test_an_unknown_scenario_is_a_one_line_error():
    with pytest.raises(ScenarioError) as error:
        scenarios.definition("flood")
    assert str(error.value) == "unknown game-day scenario 'flood': one of region-loss, manual, corruption"


def test_a_definition_is_a_failover_or_runs_its_own_steps():
    with pytest.raises(ScenarioError, match="'flood' needs a fault and a computed RTO, or run"):
        ScenarioDefinition("flood", fault=lambda _target: Fault(lambda: None, lambda: None))
    assert scenarios.definition("corruption").hold_seconds(None, 600.0) == 0.0


def test_a_second_definition_of_a_name_is_refused():
    manual = scenarios.definition("manual")
    twin = dataclasses.replace(manual, hold_seconds=lambda _target, _requested: 1.0)
    with pytest.raises(ScenarioError, match="a game-day scenario named 'manual' is already registered"):
        scenarios.register(twin)
    assert scenarios.definition("manual") is manual


def test_a_new_definition_is_one_registration(monkeypatch):
    monkeypatch.setattr(scenarios, "REGISTRY", dict(scenarios.REGISTRY))
    flood = ScenarioDefinition(
        "flood",
        fault=lambda _target: Fault(lambda: None, lambda: None),
        computed_rto=lambda _target: ComputedRto(0, 60, "none"),
        hold_seconds=lambda _target, _requested: 0.0,
    )
    assert scenarios.register(flood) is flood
    assert scenarios.definition("flood") is flood
    assert scenarios.defaults(local=False) == ["manual", "flood"]


class SwitchTarget:
    """What the definitions read of a deployment: its switch, the switch's alarm, a health check."""

    regions = {"primary": "us-east-1", "secondary": "us-west-2"}
    switch = {"fail_over": 1, "fail_back": 0}

    def __init__(self, endpoint=None):
        self.endpoint, self.published = endpoint, []

    def publish(self, value):
        self.published.append(value)

    def switch_alarm(self):
        return {"Period": 60, "EvaluationPeriods": 1}

    def switch_period(self):
        return 60

    def health_check(self, role):
        assert role == "primary"
        return {"RequestInterval": 10, "FailureThreshold": 3}


def test_each_definition_computes_its_rto_from_the_deployment():
    target = SwitchTarget()
    assert scenarios.definition("manual").computed_rto(target) == ComputedRto(
        60, 120, "alarm 60 s x 1 + alias DNS 60 s"
    )
    assert scenarios.definition("region-loss").computed_rto(target) == ComputedRto(
        30, 90, "health check 10 s x 3 + alias DNS 60 s"
    )


def test_each_definition_holds_as_long_as_it_says():
    target = SwitchTarget()
    assert scenarios.definition("manual").hold_seconds(target, None) == 600  # ten alarm periods
    assert scenarios.definition("manual").hold_seconds(target, 30.0) == 30.0
    assert scenarios.definition("region-loss").hold_seconds(target, 30.0) == 10


def test_the_manual_fault_is_the_switch_and_region_loss_the_emulators_outage(monkeypatch):
    target = SwitchTarget(endpoint="http://127.0.0.1:4566")
    fault = scenarios.definition("manual").fault(target)
    fault.inflict()
    fault.undo()
    assert target.published == [1, 0]
    switched = []
    monkeypatch.setattr(scenarios.control, "switch", lambda *args, **kw: switched.append((args, kw)))
    fault = scenarios.definition("region-loss").fault(target)
    fault.inflict()
    fault.undo()
    assert switched == [
        (("http://127.0.0.1:4566", "us-east-1"), {"down": True}),
        (("http://127.0.0.1:4566", "us-east-1"), {"down": False}),
    ]
    with pytest.raises(GameDayError, match="region-loss needs the emulator's outage switch"):
        scenarios.definition("region-loss").fault(SwitchTarget())


# --- one scenario's run, measured ----------------------------------------------------------------


class FakeTarget:
    """Two regions' tables and buckets in memory."""

    def __init__(self, items, receipts):
        self.items, self.receipts = items, receipts

    def item(self, role, payment_id):
        return self.items[role].get(payment_id)

    def receipt(self, role, payment_id):
        return payment_id in self.receipts[role]


def test_reconciliation_finds_lost_writes_conflicts_and_missing_receipts():
    item = {"amount": {"N": "1"}, "region": {"S": "us-east-1"}}
    target = FakeTarget(
        {
            "primary": {"ok": item, "conflict": item, "lost": item},
            "secondary": {"ok": item, "conflict": {**item, "region": {"S": "us-west-2"}}},
        },
        {"primary": {"ok", "conflict", "lost"}, "secondary": {"conflict", "lost"}},
    )
    acknowledged = {pid: {} for pid in ("ok", "conflict", "lost")}
    lost, conflicts, receipts = gameday.reconcile(target, acknowledged, timeout=0.6)
    assert (lost, conflicts, receipts) == (["lost"], ["conflict"], ["ok"])


class ScriptedClient:
    """Two writes acknowledged before the fault; each awaited success is one more, right away."""

    def __init__(self):
        self.attempts, self.acknowledged, self.stopped = [], {}, False

    def start(self):
        now = time.monotonic()
        for n, pid in enumerate(("gd-a", "gd-b")):
            self.acknowledged[pid] = {"acked_at": now - 0.2 + n / 10}
            self.attempts.append(Attempt(now - 0.2 + n / 10, pid, 201, "us-east-1"))

    def stop(self):
        self.stopped = True

    def first_success_from(self, region, after, timeout):
        now = time.monotonic()
        pid = f"gd-{len(self.attempts)}"
        self.attempts.append(Attempt(now, pid, 201, region))
        self.acknowledged[pid] = {"acked_at": now}
        return now


class RunTarget(FakeTarget):
    """Both regions hold every write but gd-b, which the secondary never got; no emulator."""

    regions = {"primary": "us-east-1", "secondary": "us-west-2"}
    scale, endpoint, notifications = 20.0, None, None
    alarms = ("tap-alarms-use1-dev-traffic-moved", "tap-alarms-usw2-dev-switch-thrown")

    def __init__(self):
        super().__init__({}, {})
        self.calls = []

    # Each alarm_states() read takes the next entry (the last repeats): which alarms are in ALARM.
    loud: list[tuple[str, ...]] = [()]

    def alarm_names(self):
        return list(self.alarm_states())

    def alarm_states(self):
        self.calls.append(("cloudwatch", "us-east-1", "DescribeAlarms"))  # as the real one: recorded
        loud = self.loud.pop(0) if len(self.loud) > 1 else self.loud[0]
        return {name: "ALARM" if name in loud else "OK" for name in self.alarms}

    def item(self, role, payment_id):
        return None if (role, payment_id) == ("secondary", "gd-b") else {"amount": {"N": "1"}}

    def receipt(self, role, payment_id):
        return True


def _definition(target, events, *, recovers=True, expected=(), on_fault=None):
    def fault(_target):
        def inflict():
            events.append("fault")
            if on_fault:
                on_fault()
            target.calls.append(("cloudwatch", "us-west-2", "PutMetricData"))
            if not recovers:
                raise GameDayError("no write was served by us-west-2 within 1 s")

        return Fault(inflict, lambda: events.append("undone"))

    return ScenarioDefinition(
        "manual",
        fault=fault,
        computed_rto=lambda _target: ComputedRto(60, 120, "alarm 60 s x 1 + alias DNS 60 s"),
        hold_seconds=lambda _target, _requested: 0.0,
        expected_alarms=expected,
    )


def _notify(path, name, state, at=None):
    """A line as flows/alarm_sink.py records an alarm's notification."""
    record = {
        "type": "Notification",
        "alarm_name": name,
        "new_state": state,
        "received_at": at or time.time(),
    }
    with path.open("a") as out:
        out.write(json.dumps(record) + "\n")


def test_a_run_records_the_alarm_notifications_in_order_with_their_delay(tmp_path):
    record = tmp_path / "alarm-notifications.jsonl"
    _notify(record, "tap-alarms-usw2-dev-switch-thrown", "ALARM", at=time.time() - 60)  # before: not this run
    target, events = RunTarget(), []
    target.notifications = record

    def on_fault():
        _notify(record, "tap-alarms-usw2-dev-switch-thrown", "ALARM", at=time.time() + 0.5)
        _notify(record, "tap-alarms-use1-dev-traffic-moved", "ALARM", at=time.time() + 1.0)

    definition = _definition(target, events, expected=(scenarios.SWITCH_THROWN,), on_fault=on_fault)
    result = gameday.run_scenario(target, ScriptedClient, definition, hold=0, timeout=2)
    assert [(n["alarm"], n["state"]) for n in result.alarm_notifications] == [
        ("tap-alarms-usw2-dev-switch-thrown", "ALARM"),
        ("tap-alarms-use1-dev-traffic-moved", "ALARM"),
    ]
    delays = [n["after_fault_s"] for n in result.alarm_notifications]
    assert delays == pytest.approx([10.0, 20.0], abs=2.0)  # 0.5 and 1 real s, x 20
    assert (result.alarms_expected, result.alarms_missing) == (["-switch-thrown"], [])
    assert result.recovery_route53_or_primary_calls == []  # reading the alarms is not recovery
    assert "manual: no ALARM notification" not in " ".join(result.failures())


def test_the_fault_waits_until_no_expected_alarm_is_already_in_alarm(tmp_path, monkeypatch):
    """An alarm already in ALARM (the integration tests' direct calls to the secondary's stage)
    sends no notification when the fault comes: a fresh-clone run failed "no ALARM notification
    from -secondary-traffic-moved" on that race. The fault waits for it to leave ALARM."""
    record = tmp_path / "alarm-notifications.jsonl"
    record.write_text("")
    target, events = RunTarget(), []
    target.notifications = record
    switch = "tap-alarms-usw2-dev-switch-thrown"
    # in ALARM when the expected alarms are listed and for two more reads, then OK
    target.loud = [(switch,), (switch,), (switch,), ()]
    monkeypatch.setattr(gameday.time, "sleep", lambda _s: events.append("waited"))

    def on_fault():
        _notify(record, switch, "ALARM", at=time.time() + 0.1)

    definition = _definition(target, events, expected=(scenarios.SWITCH_THROWN,), on_fault=on_fault)
    result = gameday.run_scenario(target, ScriptedClient, definition, hold=0, timeout=2)
    assert events[:3] == ["waited", "waited", "fault"]
    assert result.alarms_missing == []
    # an unrelated alarm in ALARM does not hold the fault back
    target.loud, events[:] = [("tap-alarms-use1-dev-traffic-moved",)], []
    gameday.run_scenario(target, ScriptedClient, definition, hold=0, timeout=2)
    assert events[0] == "fault"


def test_an_expected_alarm_that_stays_in_alarm_stops_the_run_before_the_fault(tmp_path, monkeypatch):
    target, events = RunTarget(), []
    target.notifications = tmp_path / "alarm-notifications.jsonl"
    target.loud = [("tap-alarms-usw2-dev-switch-thrown",)]
    monkeypatch.setattr(gameday.time, "sleep", lambda _s: time.monotonic())
    definition = _definition(target, events, expected=(scenarios.SWITCH_THROWN,))
    refused = "tap-alarms-usw2-dev-switch-thrown still in ALARM after waiting 0.2 s before the fault"
    with pytest.raises(GameDayError, match=re.escape(refused)):
        gameday.run_scenario(target, ScriptedClient, definition, hold=0, timeout=0.2)
    assert "fault" not in events


def test_an_expected_alarm_that_never_notifies_fails_the_scenario(tmp_path):
    record = tmp_path / "alarm-notifications.jsonl"
    record.write_text("")
    target, events = RunTarget(), []
    target.notifications = record
    definition = _definition(target, events, expected=(scenarios.TRAFFIC_MOVED,))
    started = time.monotonic()
    result = gameday.run_scenario(target, ScriptedClient, definition, hold=0, timeout=0.5)
    assert time.monotonic() - started < 5  # waited for it, bounded
    assert result.alarm_notifications == [] and result.alarms_missing == ["-traffic-moved"]
    assert "manual: no ALARM notification from -traffic-moved" in result.failures()


def test_an_alarm_the_deployment_lacks_is_not_expected_and_without_a_sink_nothing_is(tmp_path):
    target, events = RunTarget(), []
    target.alarms = ()

    def run():
        definition = _definition(target, events, expected=(scenarios.TRAFFIC_MOVED,))
        return gameday.run_scenario(target, ScriptedClient, definition, hold=0, timeout=0.3)

    target.notifications = tmp_path / "alarm-notifications.jsonl"
    result = run()
    assert (result.alarms_expected, result.alarms_missing) == ([], [])
    target.notifications = None
    result = run()
    assert result.alarm_notifications is None and "alarm_notifications" not in result.to_json()


def test_the_scenarios_expect_traffic_moved_and_switch_thrown():
    assert scenarios.definition("region-loss").expected_alarms == ("-secondary-traffic-moved",)
    assert not "tap-alarms-primary-dev-traffic-moved".endswith(scenarios.SECONDARY_TRAFFIC_MOVED)
    assert scenarios.definition("manual").expected_alarms == ("-switch-thrown",)


def test_a_run_measures_the_scenario_into_a_typed_result():
    target, events, clients = RunTarget(), [], []

    def client():
        clients.append(ScriptedClient())
        return clients[-1]

    result = gameday.run_scenario(target, client, _definition(target, events), hold=0, timeout=0.3)
    assert events == ["fault", "undone"] and clients[0].stopped
    assert (result.scenario, result.computed_rto_seconds, result.detection_floor_seconds) == (
        "manual",
        120,
        60,
    )
    assert result.computed_rto_basis == "alarm 60 s x 1 + alias DNS 60 s"
    assert (result.acknowledged_writes, result.unreplicated_at_fault) == (5, 1)
    assert (result.lost_writes, result.lost) == (1, ["gd-b"])  # reconciled: still not in the secondary
    assert (result.failed_requests, result.conflicts, result.receipts_missing) == (0, 0, [])
    assert result.rpo_seconds == pytest.approx(2.0, abs=0.5)  # gd-b, 0.1 real s before the fault, x 20
    assert result.within_goal is False  # recovered at once: faster than detection can be
    assert result.recovery_calls == ["cloudwatch/us-west-2:PutMetricData"]
    assert result.recovery_route53_or_primary_calls == [] and result.route53_calls_during_recovery == 0
    assert result.time_scale == 20.0
    assert result.failures() == ["manual: acknowledged writes lost"]
    assert set(result.to_json()) == set(WRITTEN_BEFORE["scenarios"][0])


def test_a_run_that_fails_midway_still_undoes_the_fault():
    target, events = RunTarget(), []
    with pytest.raises(GameDayError):
        gameday.run_scenario(
            target, ScriptedClient, _definition(target, events, recovers=False), hold=0, timeout=0.3
        )
    assert events == ["fault", "undone"]


def test_the_table_has_a_column_per_scenario():
    other = dataclasses.replace(RESULT, scenario="region-loss", lost_writes=3)
    table = gameday.render(GameDayReport("local", [RESULT, other]))
    assert table.splitlines()[1].split() == ["manual", "region-loss"]
    (rto,) = [line for line in table.splitlines() if line.startswith("  measured RTO")]
    assert rto.split()[-4:] == ["60.3", "s", "60.3", "s"]
    (lost,) = [line for line in table.splitlines() if line.startswith("  lost writes")]
    assert lost.split()[-2:] == ["0", "3"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target", "aws", "--scenarios", "region-loss"], "region-loss runs on the emulator only"),
        (
            ["--target", "local", "--scenarios", "flood"],
            "--scenarios must be among region-loss, manual, corruption",
        ),
        (["--target", "local", "--rate", "500"], "--rate must be between 0.5 and 50"),
        (["--target", "local", "--hold", "-1"], "--hold must be in [0, 3600] AWS seconds"),
    ],
)
def test_bad_arguments_are_one_line_and_change_nothing(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        gameday.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_the_aws_target_refuses_the_emulator_endpoint(monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    with pytest.raises(SystemExit):
        gameday.main(["--target", "aws"])
    assert "use --target local for the emulator" in capsys.readouterr().err


def test_a_deployment_without_a_failover_name_is_refused_before_anything_starts(
    tmp_path, monkeypatch, capsys
):
    """Staging has no domain (.github/deploy-targets.json): its failover name and switch are empty
    outputs. The game day says so in one line, before any client, AWS call or fault."""
    outputs = {name: f"value-of-{name}" for name in gameday.NEEDED}
    outputs.update(failover_domain_name="", failover_switch="")
    path = tmp_path / "flat-outputs.json"
    path.write_text(json.dumps(outputs))
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    started: list[str] = []
    monkeypatch.setattr(gameday, "Target", lambda *a, **k: started.append("target"))
    monkeypatch.setattr(gameday, "run_scenario", lambda *a, **k: started.append("scenario"))
    with pytest.raises(SystemExit) as exit_info:
        gameday.main(["--target", "aws", "--scenarios", "manual", "--outputs", str(path)])
    assert exit_info.value.code == 2 and started == []
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line, no usage text
    assert err.startswith("error: the game day needs the deployment's failover name: ")
    assert (
        "outputs failover_domain_name, failover_switch are empty: the deployment has no custom domain" in err
    )


def test_a_missing_outputs_file_is_one_line_too(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        gameday.main(["--target", "aws", "--scenarios", "manual", "--outputs", str(tmp_path / "none.json")])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        f"error: the game day needs its outputs: {tmp_path / 'none.json'} not found: deploy first "
        "(make deploy-local or make deploy)\n"
    )


# --- bad data: the corruption scenario ----------------------------------------------------------

# A corruption scenario's object as dr/gameday_corruption.py writes it (a local run, AWS seconds).
CORRUPTION = {
    "acknowledged_writes": 212,
    "conflicting": [],
    "conflicts": 0,
    "corrupted": 5,
    "failed_requests": 0,
    "kept_after_restore_point": 171,
    "lost": [],
    "lost_writes": 0,
    "not_as_at_restore_point": [],
    "planted": ["gd-planted-1"],
    "receipts_missing": [],
    "receipts_not_restored": [],
    "receipts_restored": 5,
    "recovery_calls": ["dynamodb/us-west-2:RestoreTableToPointInTime", "s3/us-west-2:CopyObject"],
    "recovery_route53_or_primary_calls": [],
    "repair_conflicts": 0,
    "repair_seconds": 4.1,
    "repaired": 5,
    "reported_for_review": ["gd-planted-1"],
    "restorable_wait_seconds": 301.7,
    "restore_seconds": 23.9,
    "restore_to": "2026-05-01T12:00:00Z",
    "restored_table": "tap-payments-dev-restore-20260501T120000Z",
    "scenario": "corruption",
    "time_scale": 10.0,
    "touched_after_restore_point": [],
}
CORRUPTED = ScenarioResult.from_json(CORRUPTION)


def test_a_corruption_result_is_bad_data_round_trips_and_passes_clean():
    assert CORRUPTED.bad_data and not RESULT.bad_data
    assert CORRUPTED.to_json() == CORRUPTION
    assert CORRUPTED.measured_rto_seconds is None and "measured_rto_seconds" not in CORRUPTED.to_json()
    assert CORRUPTED.failures() == []
    report = {**WRITTEN_BEFORE, "scenarios": [*WRITTEN_BEFORE["scenarios"], CORRUPTION]}
    loaded = GameDayReport.from_json(report)
    assert [r.scenario for r in loaded.scenarios] == ["region-loss", "manual", "corruption"]
    assert loaded.to_json() == report and loaded.failures() == []
    assert CORRUPTED.headline() == "restore 23.9 s, repair 4.1 s"
    assert RESULT.headline() == "RTO 60.3 s (computed 120 s)"


def test_a_corruption_result_needs_its_own_measurements_not_an_rto():
    missing = {k: v for k, v in CORRUPTION.items() if k not in ("repaired", "lost_writes")}
    with pytest.raises(ReportError, match=r"scenario result 'corruption' lacks repaired, lost_writes$"):
        ScenarioResult.from_json(missing)
    with pytest.raises(ReportError, match="scenario result None lacks scenario"):
        ScenarioResult.from_json({k: v for k, v in CORRUPTION.items() if k != "scenario"})


def test_the_corruption_summary_is_the_dr_reports_line():
    assert CORRUPTED.summary() == (
        "restored to T in 23.9 s (after 301.7 s for T to become restorable), repaired 5 of 5 corrupted "
        "payments in 4.1 s, 5 receipts restored, 171 written after T kept, 1 reported for review; "
        "0 of 212 acknowledged writes lost, 0 conflicts"
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"not_as_at_restore_point": ["gd-1"]}, "payments not as they were at the restore point"),
        ({"repaired": 4}, "4 of 5 corrupted payments repaired"),
        ({"touched_after_restore_point": ["gd-9"]}, "payments acknowledged after the restore point touched"),
        ({"receipts_not_restored": ["gd-1"]}, "receipts not restored"),
        ({"reported_for_review": []}, "payments the fault planted not reported for review"),
        (
            {"reported_for_review": ["gd-planted-1", "gd-7"]},
            "payments reported for review the fault did not plant",
        ),
        ({"repair_conflicts": 1}, "repair writes refused as conflicts"),
        ({"lost_writes": 1}, "acknowledged writes lost"),
        ({"conflicts": 1}, "conflicts"),
        (
            {"recovery_route53_or_primary_calls": ["dynamodb/us-east-1:Scan"]},
            "called Route 53 or the primary",
        ),
    ],
)
def test_what_fails_the_corruption_scenario(change, reason):
    (failure,) = dataclasses.replace(CORRUPTED, **change).failures()
    assert failure.startswith("corruption: ") and reason in failure


def test_the_table_shows_a_dash_where_a_scenario_measures_nothing():
    table = gameday.render(GameDayReport("local", [RESULT, CORRUPTED]))
    (rto,) = [line for line in table.splitlines() if line.startswith("  measured RTO")]
    assert rto.split()[-3:] == ["60.3", "s", "-"]
    (repaired,) = [line for line in table.splitlines() if line.startswith("  corrupted / repaired")]
    assert repaired.split()[-4:] == ["-", "5", "/", "5"]
    (restore_row,) = [line for line in table.splitlines() if line.startswith("  restore to T")]
    assert restore_row.split()[-3:] == ["-", "23.9", "s"]


def test_a_scenario_with_its_own_steps_runs_them_instead_of_a_failover():
    ran = []

    def run(target, client_factory, *, timeout):
        ran.append((target, client_factory, timeout))
        return CORRUPTED

    own = ScenarioDefinition("own", run=run)
    target = RunTarget()
    assert gameday.run_scenario(target, ScriptedClient, own, hold=0, timeout=7) is CORRUPTED
    assert ran == [(target, ScriptedClient, 7)] and target.calls == []


class AckClient:
    """The acknowledgements a steady client has made, at given monotonic times."""

    def __init__(self, ages):
        now = time.monotonic()
        self.acknowledged = {f"gd-{n}": {"acked_at": now - age} for n, age in enumerate(ages)}
        self.attempts = []


def test_the_restore_point_is_a_past_second_after_settled_victims():
    client = AckClient([30, 20, 10, 9, 8, 1.0, 0.5])  # seconds ago
    before = time.time()
    when, when_mono, victims = gameday_corruption._restore_point(client, timeout=1)
    assert when.microsecond == 0 and when.timestamp() <= before - 1  # a whole second, over
    assert victims == ["gd-0", "gd-1", "gd-2", "gd-3", "gd-4"]  # settled: >= 2 s before T
    assert all(
        client.acknowledged[pid]["acked_at"] <= when_mono - gameday_corruption.SETTLED for pid in victims
    )


def test_too_few_settled_payments_stop_the_scenario_in_bounded_time():
    client = AckClient([0.1, 0.2])
    with pytest.raises(GameDayError, match=r"only 0 payments acknowledged before a restore point in 0\.3 s"):
        gameday_corruption._restore_point(client, timeout=0.3)


class Outcome:
    """What dr/restore.py's repair answered, as the scenario reads it."""

    restored_table = "tap-payments-dev-restore-20260501T120000Z"
    outcomes = {"gd-0": "repaired", "gd-1": "repaired", "gd-2": "conflict"}
    receipt_outcomes = {"gd-0": "restored", "gd-1": "already"}

    def of_kind(self, kind):
        return [SimpleNamespace(payment_id="gd-planted-1")] if kind == "review" else []


def test_the_corruption_measurements():
    client = AckClient([30, 20, 10, 1])
    when_mono = time.monotonic() - 5  # gd-3 was acknowledged after T
    target = SimpleNamespace(regions={"primary": "us-east-1", "secondary": "us-west-2"}, scale=10.0)
    seen = {
        "report": Outcome(),
        "restorable_wait": 30.17,
        "restore": 2.39,
        "repair": 0.41,
        "calls": (
            ("dynamodb", "us-west-2", "RestoreTableToPointInTime"),
            ("sts", "us-west-2", "GetCallerIdentity"),
            ("dynamodb", "us-east-1", "Scan"),
        ),
    }
    result = gameday_corruption._measure(
        target,
        client,
        seen,
        victims=["gd-0", "gd-1", "gd-2"],
        planted=["gd-planted-1"],
        times=(datetime(2026, 5, 1, 12, tzinfo=UTC), when_mono, time.monotonic()),
        pending={"gd-2", "gd-3"},
        reconciled=([], [], []),
    )
    assert (result.restore_to, result.restorable_wait_seconds) == ("2026-05-01T12:00:00Z", 301.7)
    assert (result.restore_seconds, result.repair_seconds) == (23.9, 4.1)
    assert (result.corrupted, result.repaired, result.repair_conflicts) == (3, 2, 1)
    assert (result.not_as_at_restore_point, result.touched_after_restore_point) == (["gd-2"], ["gd-3"])
    assert result.kept_after_restore_point == 0
    assert (result.receipts_restored, result.receipts_not_restored) == (1, ["gd-2"])
    assert result.reported_for_review == ["gd-planted-1"] == result.planted
    assert result.recovery_route53_or_primary_calls == ["dynamodb/us-east-1:Scan"]
    assert set(result.failures()) == {
        "corruption: payments not as they were at the restore point",
        "corruption: 2 of 3 corrupted payments repaired",
        "corruption: payments acknowledged after the restore point touched",
        "corruption: receipts not restored",
        "corruption: repair writes refused as conflicts",
        "corruption: the recovery path called Route 53 or the primary region",
    }


class MotoTarget:
    """One moto region standing in for both (replication is instant), as dr/gameday_target.py."""

    def __init__(self, aws):
        self.aws, self.calls, self.scale = aws, [], 10.0
        self.regions = {"primary": "us-east-1", "secondary": "us-east-1"}
        self.outputs = {
            "dynamodb_table_name": TABLE,
            "primary_bucket_name": BUCKET,
            "secondary_bucket_name": BUCKET,
        }

    def client(self, service, region):
        return {"dynamodb": self.aws.dynamodb, "s3": self.aws.s3}[service]

    def item(self, role, payment_id):
        return self.aws.dynamodb.get_item(
            TableName=TABLE, Key={"payment_id": {"S": payment_id}}, ConsistentRead=True
        ).get("Item")


def test_the_faulty_writer_and_its_undo_when_the_repair_never_ran():
    with mocked_aws() as aws:
        aws.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        for pid in ("gd-0", "gd-1", "gd-2"):
            event = make_event("POST", "/payments", {**VALID, "payment_id": pid})
            assert aws.handler.handler(event, None)["statusCode"] == 201
        target = MotoTarget(aws)
        before = {pid: target.item("primary", pid) for pid in ("gd-0", "gd-1", "gd-2")}
        receipt = aws.s3.get_object(Bucket=BUCKET, Key="receipts/gd-0.json")["Body"].read()
        fault = gameday_corruption.Corruption(["gd-0", "gd-1"], ["gd-2"])
        gameday_corruption._inflict(target, fault)
        assert target.item("primary", "gd-0")["amount"] == {"N": gameday_corruption.BAD_AMOUNT}
        assert target.item("primary", "gd-2") is None
        assert gameday_corruption._fault_replicated(target, fault)
        (planted,) = fault.planted
        assert "written_by" not in target.item("primary", planted)  # no stamp: for review
        deployment = SimpleNamespace(dynamodb=lambda: aws.dynamodb)
        gameday_corruption._undo(target, deployment, fault, "no-such-restore")  # stopped before repair
        assert {pid: target.item("primary", pid) for pid in before} == before
        assert target.item("primary", planted) is None
        assert aws.s3.get_object(Bucket=BUCKET, Key="receipts/gd-0.json")["Body"].read() == receipt

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

import pytest

from dr import gameday, scenarios
from dr.gameday_client import Attempt, GameDayError
from dr.gameday_result import GameDayReport, ReportError, ScenarioResult, load_report
from dr.scenarios import ComputedRto, Fault, ScenarioDefinition, ScenarioError

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
    assert list(scenarios.REGISTRY) == ["region-loss", "manual"]
    assert scenarios.defaults(local=True) == ["region-loss", "manual"]
    assert scenarios.defaults(local=False) == ["manual"]
    assert scenarios.definition("region-loss").emulator_only == "it switches a region off"
    assert scenarios.definition("manual").emulator_only is None


def test_an_unknown_scenario_is_a_one_line_error():
    with pytest.raises(ScenarioError) as error:
        scenarios.definition("flood")
    assert str(error.value) == "unknown game-day scenario 'flood': one of region-loss, manual"


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
        (["--target", "local", "--scenarios", "flood"], "--scenarios must be among region-loss, manual"),
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

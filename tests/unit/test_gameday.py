"""dr/gameday.py: what fails a game day, the reconciliation, the table, and its arguments.

The game day itself runs against a deployment inside `make test` (flows/pipeline.py).
"""

from __future__ import annotations

import pytest

from dr import gameday

RESULT = {
    "scenario": "manual",
    "measured_rto_seconds": 54.5,
    "computed_rto_seconds": 120,
    "detection_floor_seconds": 60,
    "failed_requests": 0,
    "acknowledged_writes": 50,
    "lost_writes": 0,
    "unreplicated_at_fault": 1,
    "rpo_seconds": 0.1,
    "conflicts": 0,
    "receipts_missing": [],
    "hold_seconds": 600.4,
    "primary_answers_during_hold": 0,
    "failback_seconds": 51.2,
    "recovery_route53_or_primary_calls": [],
    "route53_calls_during_recovery": 0,
}


def test_a_clean_result_passes():
    assert gameday.failures([RESULT]) == []


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
    (failure,) = gameday.failures([{**RESULT, **change}])
    assert failure.startswith("manual: ") and reason in failure


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


def test_the_table_has_a_column_per_scenario():
    table = gameday.render({"scenarios": [RESULT, {**RESULT, "scenario": "region-loss", "lost_writes": 3}]})
    assert table.splitlines()[1].split() == ["manual", "region-loss"]
    assert "  measured RTO" in table and "54.5 s" in table
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

"""dr/drill.py: how a target reads Route 53 and DNS, and the drill's input validation.

The drill itself runs against a deployment inside `make test` (local_aws/pipeline.py).
"""

from __future__ import annotations

import json

import pytest

from cli.outputs_file import OutputsError
from dr import drill as dr_drill
from dr.drill import Deployment, ExpectationFailed, FailoverRecord

RECORDS = [
    FailoverRecord("primary", "hc-p", "d-p.execute-api.us-east-1.amazonaws.com"),
    FailoverRecord("secondary", "hc-s", "d-s.execute-api.us-west-2.amazonaws.com"),
]
OUTPUTS = {
    "dynamodb_table_name": "tap-payments-dev",
    "failover_domain_name": "api.tap-dev.payments-dr.net",
    "hosted_zone_id": "Z123",
    **{
        f"{role}_{name}": value
        for role, region in (("primary", "us-east-1"), ("secondary", "us-west-2"))
        for name, value in (
            ("api_endpoint", f"https://x.execute-api.{region}.amazonaws.com/v1"),
            ("api_key_id", "k"),
            ("bucket_name", f"b-{role}"),
            ("health_check_id", f"hc-{role}"),
            ("kms_key_arn", f"arn:aws:kms:{region}:123456789012:key/abc"),
        )
    },
}


class Observed(dr_drill.Target):
    """A target whose DNS answers and health-check reports are given."""

    def __init__(self, answers, reports=()):
        from types import SimpleNamespace

        self.deployment = Deployment(OUTPUTS, {"primary": "us-east-1", "secondary": "us-west-2"})
        self.answers = answers
        self.route53 = SimpleNamespace(
            get_health_check_status=lambda **_: {
                "HealthCheckObservations": [{"StatusReport": {"Status": r}} for r in reports]
            }
        )

    def addresses(self, name):
        return set(self.answers.get(name, ()))


@pytest.mark.parametrize(
    ("name_answer", "expected"),
    [
        ({"127.0.0.2"}, "primary"),
        ({"127.0.0.3"}, "secondary"),
        (set(), "unknown (api.tap-dev.payments-dr.net -> no answer)"),
        ({"10.0.0.9"}, "unknown (api.tap-dev.payments-dr.net -> ['10.0.0.9'])"),
    ],
)
def test_the_failover_name_is_matched_against_each_records_alias_target(name_answer, expected):
    target = Observed(
        {
            OUTPUTS["failover_domain_name"]: name_answer,
            RECORDS[0].alias_target: {"127.0.0.2"},
            RECORDS[1].alias_target: {"127.0.0.3"},
        }
    )
    assert target.resolve(RECORDS) == expected


@pytest.mark.parametrize(
    ("reports", "healthy"),
    [
        (["Success: HTTP Status Code 200, OK"] * 2, True),
        (["Success: HTTP Status Code 200, OK"] + ["Failure: Connection refused"] * 4, True),  # 20 %
        (["Success: HTTP Status Code 200, OK"] + ["Failure: Connection refused"] * 5, False),  # 16.7 %
        ([], False),
    ],
)
def test_a_region_is_healthy_when_more_than_18_percent_of_checkers_say_so(reports, healthy):
    assert Observed({}, reports).healthy(RECORDS[0]) is healthy


def write(tmp_path, outputs):
    path = tmp_path / "flat-outputs.json"
    path.write_text(json.dumps(outputs) if not isinstance(outputs, str) else outputs)
    return path


def test_deployment_reads_the_regions_from_the_outputs(tmp_path):
    deployment = Deployment.load(write(tmp_path, OUTPUTS))
    assert deployment.regions == {"primary": "us-east-1", "secondary": "us-west-2"}
    body = json.loads(deployment.payment_body("drill-1"))
    assert body["payment_id"] == "drill-1" and body["amount"] == "12.34"


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        ("{not json", "is not JSON"),
        ("[]", "must hold a JSON object"),
        ({**OUTPUTS, "hosted_zone_id": ""}, "lacks outputs: hosted_zone_id"),
        ({**OUTPUTS, "failover_domain_name": ""}, "ENABLE_CUSTOM_DOMAIN=true"),
        ({**OUTPUTS, "primary_kms_key_arn": "arn:aws:kms:mars-1:1:key/x"}, "cannot read a region name"),
        ({**OUTPUTS, "secondary_kms_key_arn": OUTPUTS["primary_kms_key_arn"]}, "nothing to fail over to"),
    ],
)
def test_bad_outputs_are_one_clear_error(tmp_path, outputs, message):
    with pytest.raises(OutputsError, match=message):
        Deployment.load(write(tmp_path, outputs))


def test_an_unreadable_outputs_file_is_one_clear_error(tmp_path):
    path = tmp_path / "flat-outputs.json"
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(OutputsError, match=r"cannot be read .*redeploy to rewrite it"):
        Deployment.load(path)


def test_stale_or_foreign_outputs_are_one_line_not_a_traceback(tmp_path, capsys):
    from botocore.exceptions import ClientError

    class Stale(FakeTarget):
        def inverted(self, health_check_id):
            raise ClientError({"Error": {"Code": "NoSuchHealthCheck", "Message": "no hc"}}, "GetHealthCheck")

    drill, _ = _drill(tmp_path, Stale)
    assert dr_drill.run_drill(drill) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NoSuchHealthCheck" in err and "stale or foreign outputs?" in err


def test_missing_outputs_file_exits_2_and_changes_nothing(tmp_path, capsys):
    assert dr_drill.main(["--target", "local", "--outputs", str(tmp_path / "none.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "deploy first" in err and err.count("\n") == 1


def test_aws_target_refuses_the_emulator_endpoint(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    assert dr_drill.main(["--target", "aws", "--outputs", str(write(tmp_path, OUTPUTS))]) == 2
    assert "use --target local" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "-5", "7200"])
def test_timeouts_are_validated(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        dr_drill.main(["--target", "local", "--failover-timeout", value])
    assert exit_info.value.code == 2
    assert "--failover-timeout must be in (0, 3600]" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["-1", "3601"])
def test_the_hold_is_validated(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        dr_drill.main(["--target", "local", "--hold", value])
    assert exit_info.value.code == 2
    assert "--hold must be in [0, 3600]" in capsys.readouterr().err


# --- whatever happens, the primary is restored ---------------------------------------------------


class FakeTarget(dr_drill.Target):
    """Route 53 and the two regions in memory: ``on_resolve`` runs when the drill looks up the
    failover name (the moment an operator's Ctrl-C or a CI cancel might arrive)."""

    def __init__(self, deployment, on_resolve=None):
        self.deployment = deployment
        self.inverted_checks: set[str] = set()
        self.tags: dict[str, dict[str, str]] = {}
        self.on_resolve = on_resolve
        self.calls: list[str] = []

    def records(self):
        return [
            FailoverRecord(role, OUTPUTS[f"{role}_health_check_id"], f"d-{role}")
            for role in ("primary", "secondary")
        ]

    def inverted(self, health_check_id):
        return health_check_id in self.inverted_checks

    def set_inverted(self, health_check_id, inverted):
        self.calls.append(f"invert {health_check_id} {inverted}")
        (self.inverted_checks.add if inverted else self.inverted_checks.discard)(health_check_id)

    def drill_mark(self, health_check_id):
        return self.tags.get(health_check_id, {}).get(dr_drill.DRILL_TAG)

    def mark(self, health_check_id, run_id):
        tags = self.tags.setdefault(health_check_id, {})
        if run_id is None:
            tags.pop(dr_drill.DRILL_TAG, None)
        else:
            tags[dr_drill.DRILL_TAG] = run_id

    def call(self, role, method, path, body=None):
        if method == "POST":
            self.payment = {**json.loads(body), "region": self.deployment.regions[role]}
            return 201, self.payment
        if path.startswith("/payments/"):
            return 200, self.payment
        return 200, {"status": "ok"}

    def client(self, service, region):
        from types import SimpleNamespace

        return SimpleNamespace(
            get_item=lambda **_: {"Item": {"amount": {"N": "12.34"}}},  # dynamodb
            head_object=lambda **_: {},  # s3: the receipt is there
        )

    def healthy(self, record):
        return record.health_check_id not in self.inverted_checks

    def resolve(self, records):
        if self.on_resolve is not None:
            self.on_resolve(self)
        primary, secondary = records  # Route 53's failover pair, as the emulator's DNS answers it
        return "secondary" if not self.healthy(primary) and self.healthy(secondary) else "primary"


def _drill(tmp_path, target_factory):
    deployment = Deployment.load(write(tmp_path, OUTPUTS))
    target = target_factory(deployment)
    return dr_drill.Drill(target, failover_timeout=1, replication_timeout=1), target


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGHUP"])
def test_a_signal_after_the_inversion_restores_the_primary(tmp_path, capsys, signum):
    import os
    import signal

    def cancel_once_inverted(target):
        if target.inverted_checks:  # the primary is down: now the CI job is cancelled
            target.on_resolve = None
            os.kill(os.getpid(), getattr(signal, signum))

    before = signal.getsignal(signal.SIGTERM)
    drill, target = _drill(tmp_path, lambda d: FakeTarget(d, cancel_once_inverted))
    assert dr_drill.run_drill(drill) == 1
    assert target.inverted_checks == set()  # restored
    assert target.tags["hc-primary"] == {}  # and the drill's marker removed
    assert f"drill interrupted ({signum}): what it changed is restored" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is before  # handlers put back


def test_a_leftover_of_a_killed_drill_is_repaired_before_the_next(tmp_path):
    drill, target = _drill(tmp_path, FakeTarget)
    target.inverted_checks.add("hc-primary")
    target.mark("hc-primary", "0123abcd")  # a drill killed with SIGKILL left this
    drill.run()  # ...and then the whole drill passes
    assert target.calls[0] == "invert hc-primary False"
    assert next(name for name, _, _ in drill.timings) == (
        "repair: un-invert the primary health check left inverted by drill 0123abcd"
    )
    assert target.inverted_checks == set() and target.tags["hc-primary"] == {}


def test_a_deliberate_failover_is_not_undone_by_a_drill(tmp_path):
    drill, target = _drill(tmp_path, FakeTarget)
    target.inverted_checks.add("hc-primary")  # the runbook's manual failover: no drill marker
    with pytest.raises(ExpectationFailed, match="not by a drill: a deliberate failover"):
        drill.run()
    assert target.inverted_checks == {"hc-primary"}
    assert target.calls == []


def test_a_clean_drill_inverts_once_restores_once_and_leaves_no_marker(tmp_path):
    drill, target = _drill(tmp_path, FakeTarget)
    assert dr_drill.run_drill(drill) == 0
    assert target.calls == ["invert hc-primary True", "invert hc-primary False"]
    assert target.inverted_checks == set() and target.tags["hc-primary"] == {}


def test_a_hold_keeps_the_primary_down_then_restores_it(tmp_path, monkeypatch):
    drill, target = _drill(tmp_path, FakeTarget)
    drill.hold = 30
    slept = []
    monkeypatch.setattr(
        dr_drill.time, "sleep", lambda seconds: slept.append((seconds, set(target.inverted_checks)))
    )
    assert dr_drill.run_drill(drill) == 0
    assert slept == [(30, {"hc-primary"})]  # held while the primary was down, exactly once
    assert "hold the outage for 30 s (the primary stays down)" in [name for name, _, _ in drill.timings]
    assert target.inverted_checks == set()

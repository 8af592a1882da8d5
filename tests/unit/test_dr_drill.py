"""tools/dr_drill.py: the failover evaluation and the drill's input validation.

The drill itself runs against a deployment inside `make test` (tools/local_aws/pipeline.py).
"""

from __future__ import annotations

import json

import pytest

from tools import dr_drill
from tools.dr_drill import Deployment, DrillInputError, ExpectationFailed, FailoverRecord, failover_answer

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


@pytest.mark.parametrize(
    ("primary_healthy", "secondary_healthy", "answer"),
    [
        (True, True, "primary"),
        (True, False, "primary"),
        (False, True, "secondary"),
        (False, False, "primary"),
    ],
)
def test_failover_answer_follows_route53_rules(primary_healthy, secondary_healthy, answer):
    health = {"primary": primary_healthy, "secondary": secondary_healthy}
    assert failover_answer(RECORDS, lambda record: health[record.role]) == answer


def test_failover_answer_needs_both_records():
    with pytest.raises(ExpectationFailed, match="one PRIMARY and one SECONDARY"):
        failover_answer(RECORDS[:1], lambda record: True)


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
    with pytest.raises(DrillInputError, match=message):
        Deployment.load(write(tmp_path, outputs))


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

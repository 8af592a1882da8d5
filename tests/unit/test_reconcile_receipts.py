"""dr/reconcile_receipts.py: every accepted payment gets its receipt (the rest is found here)."""

from __future__ import annotations

import json

import pytest

from dr import reconcile_receipts
from tests.unit.test_handler import BUCKET, REGION, TABLE, VALID, make_event, mocked_aws

OUTPUTS = {
    "dynamodb_table_name": TABLE,
    "primary_bucket_name": BUCKET,
    "secondary_bucket_name": "payments-receipts-secondary",
    "topology": json.dumps({"roles": {"primary": REGION, "secondary": "us-west-2"}, "global": "us-east-1"}),
}


@pytest.fixture
def aws():
    with mocked_aws() as ns:
        import boto3

        boto3.client("s3", region_name="us-west-2").create_bucket(
            Bucket="payments-receipts-secondary",
            CreateBucketConfiguration={"LocationConstraint": "us-west-2"},
        )
        yield ns


def _pay(aws, payment_id: str) -> dict:
    response = aws.handler.handler(make_event("POST", "/payments", {**VALID, "payment_id": payment_id}), None)
    assert response["statusCode"] == 201
    return json.loads(response["body"])


def test_a_payment_whose_client_never_retried_gets_its_receipt(aws, tmp_path, capsys):
    _pay(aws, "pay_kept")
    lost = _pay(aws, "pay_lost")
    original = aws.s3.get_object(Bucket=BUCKET, Key="receipts/pay_lost.json")["Body"].read()
    aws.s3.delete_object(Bucket=BUCKET, Key="receipts/pay_lost.json")  # the write that failed
    outputs = tmp_path / "flat-outputs.json"
    outputs.write_text(json.dumps(OUTPUTS))
    capsys.readouterr()  # the handler's access lines

    assert reconcile_receipts.main(["--outputs", str(outputs)]) == 1
    assert capsys.readouterr().out.strip() == "missing 1 receipt(s): pay_lost"
    assert reconcile_receipts.main(["--outputs", str(outputs), "--fix"]) == 0
    healed = aws.s3.get_object(Bucket=BUCKET, Key="receipts/pay_lost.json")
    assert healed["Body"].read() == original  # byte-identical to the one written on time
    assert json.loads(original) == lost
    assert reconcile_receipts.main(["--outputs", str(outputs)]) == 0
    assert capsys.readouterr().out.strip().endswith("every payment has its receipt")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found: deploy first"),
        ("", "is not JSON"),
        ('{"dynamodb_table_name": "t"', "is not JSON"),
        ("[1]", "must hold a JSON object"),
        ('{"other_stack_output": "x"}', "lacks outputs topology, dynamodb_table_name"),
        (json.dumps({**OUTPUTS, "topology": "not-json"}), "the 'topology' output is not this project's"),
    ],
)
def test_bad_outputs_are_one_line_and_exit_2(tmp_path, capsys, content, message):
    path = tmp_path / "flat-outputs.json"
    if content is not None:
        path.write_text(content)
    assert reconcile_receipts.main(["--outputs", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1

"""scripts/: outputs flattening and the policy-scan suppression rules."""

from __future__ import annotations

import json

import pytest

from scripts.flatten_outputs import OutputsError, flatten
from scripts.flatten_outputs import main as flatten_main
from scripts.policy_scan import suppressions


def test_flattens_cdktf_outputs_nested_by_stack():
    assert flatten({"TapStackdev": {"a": "1", "b": ["x"]}}) == {"a": "1", "b": ["x"]}


def test_flattens_terraform_output_json():
    data = {"a": {"value": "1", "type": "string", "sensitive": False}, "b": {"value": [], "type": []}}
    assert flatten(data) == {"a": "1", "b": []}


def test_several_stacks_need_a_choice():
    data = {"TapStackdev": {"a": 1}, "TapStackpr1": {"a": 2}}
    with pytest.raises(OutputsError, match="several stacks"):
        flatten(data)
    assert flatten(data, "TapStackpr1") == {"a": 2}
    with pytest.raises(OutputsError, match="stack 'nope' not in the file"):
        flatten(data, "nope")


@pytest.mark.parametrize("data", [{}, [], "x", {"a": 1}])
def test_unrecognised_outputs_are_refused(data):
    with pytest.raises(OutputsError):
        flatten(data)


def test_cli_writes_the_flat_file(tmp_path, capsys):
    source = tmp_path / "all.json"
    source.write_text(json.dumps({"TapStackdev": {"dynamodb_table_name": "t"}}))
    target = tmp_path / "out" / "flat-outputs.json"
    assert flatten_main([str(source), "-o", str(target)]) == 0
    assert json.loads(target.read_text()) == {"dynamodb_table_name": "t"}
    assert "wrote 1 outputs" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "does not exist"), ("{not json", "is not JSON"), ('{"a": 1}', "unrecognised outputs")],
)
def test_cli_rejects_bad_input_clearly(tmp_path, capsys, content, message):
    source = tmp_path / "in.json"
    if content is not None:
        source.write_text(content)
    with pytest.raises(SystemExit) as exit_info:
        flatten_main([str(source), "-o", str(tmp_path / "o.json")])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o.json").exists()


def test_suppressions_need_an_id_and_a_reason():
    stack = {
        "resource": {
            "aws_s3_bucket": {
                "b_1234ABCD": {"//": {"checkov": ["checkov:skip=CKV_AWS_18:audit lives in CloudTrail"]}},
                "c_1234ABCD": {"//": {"checkov": ["checkov:skip=CKV_AWS_18:", "checkov:skip=oops"]}},
                "d_1234ABCD": {"bucket": "no suppressions"},
            }
        }
    }
    allowed, malformed = suppressions(stack)
    assert allowed == {("b_1234ABCD", "CKV_AWS_18"): "audit lives in CloudTrail"}
    assert len(malformed) == 2 and all(m.startswith("c_1234ABCD") for m in malformed)

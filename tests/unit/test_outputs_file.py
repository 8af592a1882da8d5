"""cli/outputs_file.py: a needed output that is missing is told apart from one that is present but
empty, and an empty one says why when the stack leaves it empty on purpose."""

from __future__ import annotations

import json

import pytest

from cli.outputs_file import EMPTY_BECAUSE, OutputsError, load_outputs
from lib.outputs import OUTPUTS

# What a deployment without a custom domain writes (staging today: .github/deploy-targets.json
# has no domain_name for it; lib/tap_stack.py's _outputs leaves both empty).
NO_DOMAIN = {
    "topology": '{"global": "us-east-1", "roles": {"primary": "us-east-1", "secondary": "us-west-2"}}',
    "dynamodb_table_name": "tap-payments-staging",
    "failover_domain_name": "",
    "failover_switch": "",
}


def _file(tmp_path, outputs) -> object:
    path = tmp_path / "flat-outputs.json"
    path.write_text(json.dumps(outputs))
    return path


def test_an_empty_output_says_it_is_empty_and_why(tmp_path):
    path = _file(tmp_path, NO_DOMAIN)
    with pytest.raises(OutputsError) as error:
        load_outputs(path, ["dynamodb_table_name", "failover_domain_name"])
    message = str(error.value)
    assert message == f"{path}: output failover_domain_name is empty: {EMPTY_BECAUSE['failover_domain_name']}"
    assert "is it this stack's" not in message  # it is this stack's: redeploying changes nothing
    assert "ENABLE_CUSTOM_DOMAIN=false" in message and ".github/deploy-targets.json" in message


def test_a_missing_output_asks_whether_the_file_is_this_stacks(tmp_path):
    path = _file(tmp_path, {"other_stack_output": "x"})
    with pytest.raises(
        OutputsError, match=r"lacks outputs topology, dynamodb_table_name: is it this stack's\?"
    ):
        load_outputs(path, ["topology", "dynamodb_table_name"])


def test_missing_and_empty_outputs_are_both_named_in_one_line(tmp_path):
    path = _file(tmp_path, {k: v for k, v in NO_DOMAIN.items() if k != "dynamodb_table_name"})
    with pytest.raises(OutputsError) as error:
        load_outputs(path, ["dynamodb_table_name", "failover_domain_name", "failover_switch"])
    message = str(error.value)
    assert (error.value.missing, error.value.empty) == (
        ("dynamodb_table_name",),
        ("failover_domain_name", "failover_switch"),
    )
    assert "\n" not in message
    assert "lacks outputs dynamodb_table_name: is it this stack's?" in message
    assert "outputs failover_domain_name, failover_switch are empty: " in message
    assert EMPTY_BECAUSE["failover_domain_name"] in message  # one reason, not repeated per output


def test_an_output_empty_for_no_known_reason_asks_for_a_redeploy(tmp_path):
    path = _file(tmp_path, {**NO_DOMAIN, "dynamodb_table_name": ""})
    with pytest.raises(OutputsError, match=r"output dynamodb_table_name is empty: .*redeploy"):
        load_outputs(path, ["dynamodb_table_name"])


def test_an_output_of_another_type_is_not_this_stacks(tmp_path):
    path = _file(tmp_path, {**NO_DOMAIN, "topology": 7})
    with pytest.raises(OutputsError, match="lacks outputs topology"):
        load_outputs(path, ["topology"])


def test_empty_outputs_not_needed_are_fine(tmp_path):
    assert load_outputs(_file(tmp_path, NO_DOMAIN), ["dynamodb_table_name"]) == NO_DOMAIN


def test_every_reason_names_an_output_the_stack_has():
    assert set(EMPTY_BECAUSE) <= set(OUTPUTS)

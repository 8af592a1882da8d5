"""local_aws/call_api.py: stale, truncated or foreign outputs are one line, not a traceback."""

from __future__ import annotations

import json

import pytest

from local_aws.call_api import read_outputs

GOOD = {
    "primary_api_key_id": "k1",
    "primary_kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/k",
}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is not JSON"),
        (b'{"dynamodb_table_name": ', "is not JSON"),
        (b"\xff\xfe{}", "cannot be read"),
        (b"[]", "must hold a JSON object"),
        (json.dumps({"other": "stack"}).encode(), "lacks outputs primary_api_key_id"),
        (json.dumps({**GOOD, "primary_kms_key_arn": 7}).encode(), "lacks outputs primary_kms_key_arn"),
        (json.dumps({**GOOD, "primary_kms_key_arn": "key/k"}).encode(), "cannot read a region"),
    ],
)
def test_bad_outputs_are_one_line(tmp_path, content, message):
    path = tmp_path / "flat-outputs.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as error:
        read_outputs(path, "primary")
    assert "\n" not in str(error.value)


def test_good_outputs_give_the_region_of_the_role(tmp_path):
    path = tmp_path / "flat-outputs.json"
    path.write_text(json.dumps(GOOD))
    assert read_outputs(path, "primary") == (GOOD, "us-east-1")

"""deploy/previews.py: which pull-request previews the scheduled sweep destroys.

The bucket is moto's, in process (no server); S3's refusals are played with botocore's Stubber.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from deploy.previews import MAX_LIMIT, PREFIX, bucket_problem, holds_resources, main, preview_number, stale

BUCKET, REGION = "acme-tf-state", "us-east-1"
DEPLOYED = {"version": 4, "serial": 9, "lineage": "x", "outputs": {}, "resources": [{"mode": "managed"}]}
DESTROYED = {**DEPLOYED, "resources": []}


@pytest.fixture(autouse=True)
def aws(offline_aws: None) -> None:
    """moto (tests/unit/conftest.py), with the state bucket."""
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)


def client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)


def put(key: str, state: dict[str, Any] | str) -> None:
    body = state if isinstance(state, str) else json.dumps(state)
    client("s3", REGION).put_object(Bucket=BUCKET, Key=key, Body=body.encode())


@pytest.fixture
def sweep(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """``main`` with the bucket and region: its exit code, stdout and stderr."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["stale", "--bucket", BUCKET, "--region", REGION, *args], client)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_stale_previews_are_closed_pull_requests_whose_state_holds_resources(sweep):
    for number in (7, 9, 12, 15, 100):
        put(f"TapStackpr{number}/terraform.tfstate", DEPLOYED)
    put("TapStackpr8/terraform.tfstate", DESTROYED)  # closed and already destroyed
    put("TapStackpr9/terraform.tfstate.tflock", "{}")  # S3 lock file: not a state
    for key in (
        "TapStackprod/terraform.tfstate",
        "TapStackstaging/terraform.tfstate",
        "TapStackpr7x/terraform.tfstate",
        "TapStackpr0/terraform.tfstate",
        "TapStackpr07/terraform.tfstate",
        "TapStackpr3/other.tfstate",
        "TapStackpr3/nested/terraform.tfstate",
        "env:/ws/TapStackpr4/terraform.tfstate",
    ):
        put(key, DEPLOYED)
    code, out, err = sweep("--open", "12", "15")
    assert (code, err) == (0, "")
    assert out == '["pr7","pr9","pr100"]\n'  # one line, by pull request number


def test_an_empty_open_list_and_an_empty_bucket(sweep):
    assert sweep("--open") == (0, "[]\n", "")
    put("TapStackpr7/terraform.tfstate", DEPLOYED)
    assert sweep("--open") == (0, '["pr7"]\n', "")


def test_the_list_is_capped_oldest_first_and_the_rest_is_said(sweep):
    for number in range(1, 6):
        put(f"TapStackpr{number}/terraform.tfstate", DEPLOYED)
    code, out, err = sweep("--open", "2", "--max", "2")
    assert (code, out) == (0, '["pr1","pr3"]\n')
    assert err == "note: 2 more stale preview(s) left for the next run (--max 2)\n"
    assert stale(BUCKET, REGION, [], client)[0] == ["pr1", "pr2", "pr3", "pr4", "pr5"]  # default 20


def test_an_unreadable_state_is_listed_so_that_its_destroy_fails_visibly(sweep):
    assert holds_resources(b"") and holds_resources(b"[]") and holds_resources(b'{"version": 4}')
    assert not holds_resources(json.dumps(DESTROYED).encode())
    put("TapStackpr7/terraform.tfstate", "")
    assert sweep("--open")[1] == '["pr7"]\n'


def test_preview_numbers():
    assert preview_number("TapStackpr7/terraform.tfstate") == 7
    assert preview_number("TapStackpr1234/terraform.tfstate") == 1234
    for key in (
        "TapStackprod/terraform.tfstate",
        "TapStackpr7x/terraform.tfstate",
        "TapStackpr/terraform.tfstate",
    ):
        assert preview_number(key) is None


# --- arguments -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--open", "12", "x"], "argument --open: 'x' is not a pull request number (a positive integer)"),
        (["--open", "0"], "argument --open: '0' is not a pull request number (a positive integer)"),
        (["--open", "-3"], "argument --open: '-3' is not a pull request number (a positive integer)"),
        (["--open", "²"], "argument --open: '²' is not a pull request number (a positive integer)"),
        ([], "the following arguments are required: --open"),
        (["--open", "--max", "0"], f"argument --max: '0' is not a whole number from 1 to {MAX_LIMIT}"),
        (["--open", "--max", "257"], f"argument --max: '257' is not a whole number from 1 to {MAX_LIMIT}"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["stale", "--bucket", BUCKET, "--region", REGION, *args], client)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == f"error: {message}\n"


@pytest.mark.parametrize(
    ("bucket", "region", "message"),
    [
        (
            "Acme_State",
            REGION,
            "--bucket 'Acme_State' is not an S3 bucket name: 3-63 lowercase letters, digits, dots and "
            "hyphens, starting and ending with a letter or digit",
        ),
        ("ab", REGION, "--bucket 'ab' is not an S3 bucket name: 3-63 lowercase letters"),
        ("acme..state", REGION, "--bucket 'acme..state' is not an S3 bucket name: no two adjacent dots"),
        ("192.168.5.4", REGION, "--bucket '192.168.5.4' is not an S3 bucket name: not formatted as an IP"),
        ("xn--acme", REGION, "--bucket 'xn--acme' is not an S3 bucket name: no prefix xn--"),
        ("acme-s3alias", REGION, "--bucket 'acme-s3alias' is not an S3 bucket name: no prefix xn--"),
        (BUCKET, "us-east-x", "--region 'us-east-x' is not an AWS region name like 'us-east-1'"),
        (BUCKET, "moon-base-1", "--region 'moon-base-1' is not an AWS region name like 'us-east-1'"),
    ],
)
def test_a_bad_bucket_or_region_is_one_line_and_exit_2(bucket, region, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["stale", "--bucket", bucket, "--region", region, "--open"], client)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


def test_valid_bucket_names():
    for name in ("abc", "acme-tf-state", "acme.tf.state", "a" * 63, "1-2-3"):
        assert bucket_problem(name) is None
    assert bucket_problem("a" * 64) is not None


def test_an_unknown_command_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["destroy-all", "--bucket", BUCKET, "--region", REGION, "--open"], client)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith("error: argument command: invalid choice: 'destroy-all'")


# --- S3 ----------------------------------------------------------------------------------------------


def _stubbed(responses: list[tuple[str, dict[str, Any] | str, dict[str, Any]]]) -> Any:
    """An S3 client that answers ``(operation, response or error code, expected params)`` in order."""
    s3 = boto3.client("s3", region_name=REGION)
    stubber = Stubber(s3)
    for operation, response, params in responses:
        if isinstance(response, str):
            stubber.add_client_error(
                operation, service_error_code=response, http_status_code=403, expected_params=params
            )
        else:
            stubber.add_response(operation, response, params)
    stubber.activate()
    return s3


def _body(state: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(state).encode()
    return {"Body": StreamingBody(io.BytesIO(raw), len(raw))}


def test_listing_is_paginated_with_the_preview_prefix():
    key7, key9 = "TapStackpr7/terraform.tfstate", "TapStackpr9/terraform.tfstate"
    s3 = _stubbed(
        [
            (
                "list_objects_v2",
                {"IsTruncated": True, "NextContinuationToken": "t1", "Contents": [{"Key": key9}]},
                {"Bucket": BUCKET, "Prefix": PREFIX},
            ),
            ("get_object", _body(DEPLOYED), {"Bucket": BUCKET, "Key": key9}),
            (
                "list_objects_v2",
                {"IsTruncated": False, "Contents": [{"Key": key7}]},
                {"Bucket": BUCKET, "Prefix": PREFIX, "ContinuationToken": "t1"},
            ),
            ("get_object", _body(DEPLOYED), {"Bucket": BUCKET, "Key": key7}),
        ]
    )
    assert stale(BUCKET, REGION, [], lambda service, region: s3) == (["pr7", "pr9"], 0)


def test_access_denied_names_the_bucket_and_exits_1(capsys):
    s3 = _stubbed([("list_objects_v2", "AccessDenied", {"Bucket": BUCKET, "Prefix": PREFIX})])
    assert main(["stale", "--bucket", BUCKET, "--region", REGION, "--open"], lambda s, r: s3) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"error: cannot read the state bucket {BUCKET} (AccessDenied): the role needs s3:ListBucket "
        f"and s3:GetObject on {PREFIX}*\n"
    )


def test_a_state_that_cannot_be_read_stops_the_sweep():
    key = "TapStackpr7/terraform.tfstate"
    s3 = _stubbed(
        [
            ("list_objects_v2", {"Contents": [{"Key": key}]}, {"Bucket": BUCKET, "Prefix": PREFIX}),
            ("get_object", "AccessDenied", {"Bucket": BUCKET, "Key": key}),
        ]
    )
    code = main(["stale", "--bucket", BUCKET, "--region", REGION, "--open"], lambda s, r: s3)
    assert code == 1


def test_a_state_deleted_since_the_listing_is_skipped():
    key7, key9 = "TapStackpr7/terraform.tfstate", "TapStackpr9/terraform.tfstate"
    s3 = _stubbed(
        [
            (
                "list_objects_v2",
                {"Contents": [{"Key": key7}, {"Key": key9}]},
                {"Bucket": BUCKET, "Prefix": PREFIX},
            ),
            ("get_object", "NoSuchKey", {"Bucket": BUCKET, "Key": key7}),
            ("get_object", _body(DEPLOYED), {"Bucket": BUCKET, "Key": key9}),
        ]
    )
    assert stale(BUCKET, REGION, [], lambda service, region: s3) == (["pr9"], 0)


def test_a_missing_bucket_and_an_unreachable_s3_are_one_line(capsys):
    assert main(["stale", "--bucket", "no-such-bucket", "--region", REGION, "--open"], client) == 1
    assert capsys.readouterr().err.startswith(
        "error: cannot read the state bucket no-such-bucket (NoSuchBucket)"
    )

    def offline(service: str, region: str) -> Any:
        class S3:
            def get_paginator(self, name: str) -> Any:
                raise EndpointConnectionError(endpoint_url="https://s3.us-east-1.amazonaws.com")

        return S3()

    assert main(["stale", "--bucket", BUCKET, "--region", REGION, "--open"], offline) == 1
    assert capsys.readouterr().err == (
        f"error: cannot reach the state bucket {BUCKET} (EndpointConnectionError: Could not connect to "
        'the endpoint URL: "https://s3.us-east-1.amazonaws.com")\n'
    )


def test_the_default_client_is_boto3s(capsys):
    put("TapStackpr7/terraform.tfstate", DEPLOYED)
    assert main(["stale", "--bucket", BUCKET, "--region", REGION, "--open", "7"]) == 0
    assert capsys.readouterr().out == "[]\n"

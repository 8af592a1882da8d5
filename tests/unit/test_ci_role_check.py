"""flows/ci_role_check.py: the CI roles against the calls Terraform logged on the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows import ci_role_check
from flows.ci_role_check import (
    Call,
    CheckError,
    iam_actions,
    missing_actions,
    role_allows,
    terraform_calls,
)

STAMP = "2026-11-28T06:53:29.554Z [DEBUG] provider.terraform-provider-aws_v5.100.0_x5: "


def _request(service: str, operation: str, method: str, body: str = "") -> str:
    service_field = f'"{service}"' if " " in service else service
    return (
        f"{STAMP}HTTP Request Sent: aws.region=us-east-1 rpc.service={service_field} "
        f'http.user_agent="APN/1.0 HashiCorp/1.0" http.method={method} rpc.method={operation} '
        f"rpc.system=aws-api{body}\n"
    )


LOG = [
    f"{STAMP}provider: configuring\n",
    _request("STS", "GetCallerIdentity", "POST"),
    _request(
        "Route 53", "ChangeResourceRecordSets", "POST", body=' http.request.body="<Change>\n  <Action>CREATE'
    ),
    '  </Action>\n</Change>"\n',  # a body over several lines: one entry
    _request("API Gateway", "CreateRestApi", "POST"),
    _request("S3", "HeadBucket", "HEAD"),
    _request("S3", "HeadBucket", "HEAD"),
    f"{STAMP}HTTP Response Received: rpc.service=S3 rpc.method=HeadBucket http.response.status_code=200\n",
]


def _bootstrap(
    *policies: tuple[str, list[dict[str, object]]], role: str = "tap-ci-preview"
) -> dict[str, object]:
    return {
        "resource": {
            "aws_iam_role": {"r1": {"name": role}, "r2": {"name": "tap-ci-plan"}},
            "aws_iam_policy": {
                pid: {"policy": json.dumps({"Version": "2012-10-17", "Statement": statements})}
                for pid, statements in (*policies, ("extra", [{"Effect": "Allow", "Action": "iam:PassRole"}]))
            },
            "aws_iam_role_policy_attachment": {
                **{
                    f"a-{pid}": {
                        "role": "${aws_iam_role.r1.name}",
                        "policy_arn": f"${{aws_iam_policy.{pid}.arn}}",
                    }
                    for pid, _ in policies
                },
                # Another role's policy: it counts for that role only.
                "other": {"role": "${aws_iam_role.r2.name}", "policy_arn": "${aws_iam_policy.extra.arn}"},
            },
        }
    }


def test_every_logged_request_is_one_call_with_its_service_operation_and_method() -> None:
    calls = terraform_calls(LOG)
    assert calls == {
        Call("STS", "GetCallerIdentity", "POST"): 1,
        Call("Route 53", "ChangeResourceRecordSets", "POST"): 1,
        Call("API Gateway", "CreateRestApi", "POST"): 1,
        Call("S3", "HeadBucket", "HEAD"): 2,
    }


def test_a_raw_json_entry_is_read_and_a_cut_delete_objects_is_recognised() -> None:
    """Terraform logs a provider line over 64 KiB raw and cut: S3's DeleteObjects during a
    force_destroy, whose ``aws.s3.delete`` key list comes before the fields that were cut."""
    json_entry = (
        f'{STAMP}{{"@message":"HTTP Request Sent","http.method":"GET","rpc.method":"GetBucketPolicy",'
        '"rpc.service":"S3"}\n'
    )
    cut = (
        f'{STAMP}{{"@message":"HTTP Request Sent","aws.region":"us-west-2","aws.s3.delete":"Objects=[{{Key=a'
        + ("x" * 100 + "\n")
    )
    assert terraform_calls([json_entry, cut]) == {
        Call("S3", "GetBucketPolicy", "GET"): 1,
        Call("S3", "DeleteObjects", "POST"): 1,
    }
    with pytest.raises(CheckError, match="lacks its service, operation or method"):
        terraform_calls([f'{STAMP}{{"@message":"HTTP Request Sent","aws.region":"us-west-2","aws.x\n'])


def test_a_request_without_its_operation_is_an_error_not_a_silent_pass() -> None:
    with pytest.raises(CheckError, match="lacks its service, operation or method"):
        terraform_calls([f"{STAMP}HTTP Request Sent: rpc.service=S3 http.method=GET\n"])


@pytest.mark.parametrize(
    ("call", "actions"),
    [
        (Call("STS", "GetCallerIdentity", "POST"), ()),
        (Call("API Gateway", "CreateRestApi", "POST"), ("apigateway:POST",)),
        (Call("API Gateway", "UpdateStage", "PATCH"), ("apigateway:PATCH",)),
        (Call("S3", "HeadBucket", "HEAD"), ("s3:ListBucket",)),
        (Call("S3", "GetBucketLifecycleConfiguration", "GET"), ("s3:GetLifecycleConfiguration",)),
        (Call("S3", "DeleteObjects", "POST"), ("s3:DeleteObject", "s3:DeleteObjectVersion")),
        (Call("CloudWatch Logs", "PutRetentionPolicy", "POST"), ("logs:PutRetentionPolicy",)),
        (Call("Route 53", "GetChange", "GET"), ("route53:GetChange",)),
        (Call("Backup", "CreateBackupVault", "PUT"), ("backup:CreateBackupVault",)),
    ],
)
def test_each_call_maps_to_the_action_aws_authorizes_it_by(call: Call, actions: tuple[str, ...]) -> None:
    assert iam_actions(call) == actions


def test_an_unknown_s3_operation_or_service_is_refused_rather_than_guessed() -> None:
    with pytest.raises(CheckError, match="no IAM action known for S3 PutBucketCors: add it to S3_ACTIONS"):
        iam_actions(Call("S3", "PutBucketCors", "PUT"))
    with pytest.raises(CheckError, match="no IAM prefix known for the service 'EC2'"):
        iam_actions(Call("EC2", "RunInstances", "POST"))


def test_only_allow_statements_of_the_roles_own_policies_count() -> None:
    bootstrap = _bootstrap(
        ("deploy", [{"Effect": "Allow", "Action": ["route53:Change*", "s3:ListBucket"], "Resource": "*"}]),
        ("guard", [{"Effect": "Deny", "Action": "apigateway:POST", "Resource": "*"}]),
    )
    assert role_allows(bootstrap, "tap-ci-preview") == ["route53:Change*", "s3:ListBucket"]
    assert role_allows(bootstrap, "tap-ci-plan") == ["iam:PassRole"]
    with pytest.raises(CheckError, match="no role named 'tap-ci-nobody'"):
        role_allows(bootstrap, "tap-ci-nobody")


def test_a_missing_action_is_reported_with_the_calls_that_need_it() -> None:
    allowed = ["ROUTE53:change*", "s3:ListBucket"]  # IAM matches actions case-insensitively
    missing = missing_actions(terraform_calls(LOG), allowed)
    assert missing == {"apigateway:POST": [Call("API Gateway", "CreateRestApi", "POST")]}


def test_a_call_every_ci_role_is_denied_fails_whatever_the_roles_allow(tmp_path: Path) -> None:
    """GET /apikeys is fenced for every role (its values, prod's included): a provider that
    started listing keys would be refused on AWS though apigateway:GET is allowed."""
    log = tmp_path / "calls.log"
    log.write_text("".join([*LOG, _request("API Gateway", "GetApiKeys", "GET")]))
    bootstrap = tmp_path / "bootstrap.json"
    allow_all = [{"Effect": "Allow", "Action": ["route53:*", "apigateway:*", "s3:*"]}]
    bootstrap.write_text(json.dumps(_bootstrap(("deploy", allow_all))))
    result = ci_role_check.check(log, bootstrap, ["tap-ci-preview"])
    assert result.problems == [
        "Terraform called API Gateway GetApiKeys, which AWS would refuse: "
        "lib/ci_fences.py NoApiKeyListing denies GET /apikeys to every CI role"
    ]
    log.write_text("".join(LOG))
    assert ci_role_check.check(log, bootstrap, ["tap-ci-preview"]).problems == []


def test_check_and_main_pass_fail_and_refuse_in_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "calls.log"
    log.write_text("".join(LOG))
    full = tmp_path / "full.json"
    statements = [
        {
            "Effect": "Allow",
            "Action": ["route53:ChangeResourceRecordSets", "apigateway:POST", "s3:ListBucket"],
        }
    ]
    full.write_text(json.dumps(_bootstrap(("deploy", statements))))
    args = ["--log", str(log), "--bootstrap", str(full), "--role", "tap-ci-preview"]
    assert ci_role_check.main(args) == 0
    assert (
        capsys.readouterr().out == "tap-ci-preview: every one of 4 distinct calls Terraform made is allowed\n"
    )

    # The defect this catches: one action dropped from the deploy policy.
    statements[0]["Action"] = ["route53:ChangeResourceRecordSets", "s3:ListBucket"]
    full.write_text(json.dumps(_bootstrap(("deploy", statements))))
    assert ci_role_check.main(args) == 1
    assert capsys.readouterr().out == "tap-ci-preview lacks apigateway:POST (for API Gateway CreateRestApi)\n"

    empty = tmp_path / "empty.log"
    empty.write_text(f"{STAMP}provider: nothing sent\n")
    assert ci_role_check.main(["--log", str(empty), *args[2:]]) == 2
    assert "holds no logged AWS request: was TF_LOG=DEBUG set?" in capsys.readouterr().err
    assert ci_role_check.main(["--log", str(tmp_path / "none.log"), *args[2:]]) == 2
    assert capsys.readouterr().err.startswith("error: cannot read")

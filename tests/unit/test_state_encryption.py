"""deploy/state_encryption.py: check, and re-encrypt in place, the state with the state key.

Played against moto (S3 and KMS), except where moto 5.2.5 is more lenient than S3: it ignores
``CopySourceIfMatch`` (test_moto_ignores_copy_source_if_match keeps that visible), so the case
of a state written between the read and the copy uses a fake client that answers 412 as S3
does."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from deploy.state_encryption import encrypted_with, main

REGION = "us-east-2"
BUCKET = "acme-tf-state"


@pytest.fixture(autouse=True)
def aws(offline_aws: None) -> None:
    """Every test here runs against moto (tests/unit/conftest.py)."""


def s3(region: str = REGION) -> Any:
    return boto3.client("s3", region_name=region)


@pytest.fixture
def key() -> str:
    return boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]


@pytest.fixture
def bucket() -> Any:
    client = s3()
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return client


def put(client: Any, key: str, **encryption: str) -> None:
    client.put_object(
        Bucket=BUCKET, Key=key, Body=b'{"serial": 1}', ContentType="application/json", **encryption
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    code = main(list(argv), client=s3, env={})
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def args(command: str, key: str, *more: str) -> list[str]:
    return [command, "--bucket", BUCKET, "--region", REGION, "--key-arn", key, *more]


def _state_as_terraform_wrote_it(bucket: Any, key: str) -> None:
    """What the bucket holds after Terraform 1.11 ran with encrypt=true and no kms_key_id."""
    put(bucket, "TapStackprod/terraform.tfstate", ServerSideEncryption="AES256")
    put(bucket, "TapStackpr7/terraform.tfstate", ServerSideEncryption="AES256")
    put(bucket, "TapStackprod/terraform.tfstate.tflock", ServerSideEncryption="AES256")  # held
    put(bucket, "TapStackstg/terraform.tfstate", ServerSideEncryption="aws:kms")  # the AWS managed key
    put(bucket, "TapStackdev/terraform.tfstate", ServerSideEncryption="aws:kms", SSEKMSKeyId=key)


def test_check_lists_every_object_not_encrypted_with_the_key(bucket, key, capsys):
    _state_as_terraform_wrote_it(bucket, key)
    code, out, err = run(capsys, *args("check", key))
    assert code == 1
    assert out == [
        f"TapStackpr7/terraform.tfstate: AES256, not {key}",
        f"TapStackprod/terraform.tfstate: AES256, not {key}",
        f"TapStackprod/terraform.tfstate.tflock: AES256, not {key}",
        f"TapStackstg/terraform.tfstate: aws:kms, not {key}",
    ]
    assert err == [
        f"error: 4 of 5 objects in s3://{BUCKET}/ are not encrypted with the state key: run "
        f"python -m deploy.state_encryption migrate --bucket {BUCKET} --region {REGION} --key-arn {key} "
        "--apply"
    ]


def test_check_passes_when_every_object_is_encrypted_with_the_key(bucket, key, capsys):
    put(bucket, "TapStackprod/terraform.tfstate", ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
    assert run(capsys, *args("check", key)) == (
        0,
        [f"all 1 objects in s3://{BUCKET}/ encrypted with {key}"],
        [],
    )


def test_check_reads_only_the_prefix(bucket, key, capsys):
    _state_as_terraform_wrote_it(bucket, key)
    code, out, err = run(capsys, *args("check", key, "--prefix", "TapStackdev/"))
    assert (code, out, err) == (0, [f"all 1 objects in s3://{BUCKET}/TapStackdev/ encrypted with {key}"], [])
    code, out, err = run(capsys, *args("check", key, "--prefix", "TapStackpr7/"))
    assert code == 1 and err[0].endswith("--prefix TapStackpr7/ --apply")


def test_migrate_is_a_dry_run_by_default(bucket, key, capsys):
    _state_as_terraform_wrote_it(bucket, key)
    code, out, _ = run(capsys, *args("migrate", key))
    assert code == 0
    assert out[0].startswith("skipped TapStackprod/terraform.tfstate.tflock: a held Terraform lock (AES256)")
    assert out[1:] == [
        f"would re-encrypt TapStackpr7/terraform.tfstate (AES256) with {key}",
        f"would re-encrypt TapStackprod/terraform.tfstate (AES256) with {key}",
        f"would re-encrypt TapStackstg/terraform.tfstate (aws:kms) with {key}",
        f"dry run: 3 of 5 objects to re-encrypt; to do it: python -m deploy.state_encryption migrate "
        f"--bucket {BUCKET} --region {REGION} --key-arn {key} --apply",
    ]
    head = bucket.head_object(Bucket=BUCKET, Key="TapStackprod/terraform.tfstate")
    assert head["ServerSideEncryption"] == "AES256"


def test_migrate_apply_reencrypts_in_place_and_leaves_the_held_lock(bucket, key, capsys):
    _state_as_terraform_wrote_it(bucket, key)
    before = bucket.head_object(Bucket=BUCKET, Key="TapStackprod/terraform.tfstate")
    code, out, err = run(capsys, *args("migrate", key, "--apply"))
    assert code == 1  # the lock is left
    assert "re-encrypted TapStackprod/terraform.tfstate (was AES256)" in out
    assert out[-1].startswith(f"re-encrypted 3 of 5 objects with {key}; the previous versions stay")
    assert err == ["error: 1 objects left as they were (listed above): run the same command again"]
    after = bucket.head_object(Bucket=BUCKET, Key="TapStackprod/terraform.tfstate")
    assert (after["ServerSideEncryption"], after["SSEKMSKeyId"]) == ("aws:kms", key)
    assert after["ContentType"] == "application/json" and after["ETag"] == before["ETag"]
    body = bucket.get_object(Bucket=BUCKET, Key="TapStackprod/terraform.tfstate")["Body"].read()
    assert body == b'{"serial": 1}'
    # The old version stays, as it was.
    old = bucket.head_object(
        Bucket=BUCKET, Key="TapStackprod/terraform.tfstate", VersionId=before["VersionId"]
    )
    assert old["ServerSideEncryption"] == "AES256"
    lock = bucket.head_object(Bucket=BUCKET, Key="TapStackprod/terraform.tfstate.tflock")
    assert lock["ServerSideEncryption"] == "AES256"
    # Once the lock is released, the same command finishes the job, and a rerun changes nothing.
    bucket.delete_object(Bucket=BUCKET, Key="TapStackprod/terraform.tfstate.tflock")
    code, out, err = run(capsys, *args("migrate", key, "--apply"))
    assert (code, err) == (0, [])
    assert out == [
        f"re-encrypted 0 of 4 objects with {key}; the previous versions stay (versioned bucket) "
        "until the lifecycle expires them"
    ]
    assert run(capsys, *args("check", key))[:2] == (
        0,
        [f"all 4 objects in s3://{BUCKET}/ encrypted with {key}"],
    )


def test_moto_ignores_copy_source_if_match(bucket, key):
    """If this fails, moto honours CopySourceIfMatch: play the ETag case against it instead."""
    put(bucket, "a", ServerSideEncryption="AES256")
    bucket.copy_object(
        Bucket=BUCKET,
        Key="a",
        CopySource={"Bucket": BUCKET, "Key": "a"},
        CopySourceIfMatch='"not-its-etag"',
        MetadataDirective="COPY",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key,
    )


class FakeS3:
    """Two AES256 states; ``copy_object`` answers ``copy_error`` (a ClientError) for ``fails``."""

    def __init__(self, copy_error: str = "", fails: str = "b/terraform.tfstate", vanished: str = "") -> None:
        self.copies: list[dict[str, Any]] = []
        self.copy_error, self.fails, self.vanished = copy_error, fails, vanished
        self.objects = {"a/terraform.tfstate": '"etag-a"', "b/terraform.tfstate": '"etag-b"'}

    def get_paginator(self, name: str) -> Any:
        assert name == "list_objects_v2"
        objects = [*self.objects, *([self.vanished] if self.vanished else [])]

        class Pages:
            def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
                return [{"Contents": [{"Key": key} for key in objects]}]

        return Pages()

    def head_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        if Key not in self.objects:
            raise _error("404", 404, "HeadObject")
        return {"ETag": self.objects[Key], "ServerSideEncryption": "AES256"}

    def copy_object(self, **kwargs: Any) -> dict[str, Any]:
        self.copies.append(kwargs)
        if kwargs["Key"] == self.fails and self.copy_error:
            raise _error(
                self.copy_error, 412 if self.copy_error == "PreconditionFailed" else 403, "CopyObject"
            )
        return {}


def _error(code: str, status: int, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


KEY = f"arn:aws:kms:{REGION}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_a_state_written_since_it_was_read_is_not_overwritten(capsys):
    fake = FakeS3(copy_error="PreconditionFailed")
    assert main(args("migrate", KEY, "--apply"), client=lambda region: fake, env={}) == 1
    out, err = capsys.readouterr()
    assert "changed b/terraform.tfstate: written since it was read (a Terraform run?), not overwritten" in out
    assert "re-encrypted a/terraform.tfstate (was AES256)" in out
    assert err == "error: 1 objects left as they were (listed above): run the same command again\n"
    assert fake.copies[0] == {
        "Bucket": BUCKET,
        "Key": "a/terraform.tfstate",
        "CopySource": {"Bucket": BUCKET, "Key": "a/terraform.tfstate"},
        "CopySourceIfMatch": '"etag-a"',
        "MetadataDirective": "COPY",
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": KEY,
    }
    assert fake.copies[1]["CopySourceIfMatch"] == '"etag-b"'


def test_an_object_gone_between_the_listing_and_its_head_is_not_counted(capsys):
    fake = FakeS3(vanished="c/terraform.tfstate.tflock")
    assert main(args("migrate", KEY), client=lambda region: fake, env={}) == 0
    assert "dry run: 2 of 2 objects to re-encrypt" in capsys.readouterr().out


def test_a_refused_copy_is_one_line_and_exit_1(capsys):
    fake = FakeS3(copy_error="AccessDenied")
    assert main(args("migrate", KEY, "--apply"), client=lambda region: fake, env={}) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: s3://{BUCKET}: ClientError: An error occurred (AccessDenied)")


def test_a_missing_bucket_or_credentials_is_one_line_and_exit_1(key, capsys):
    code, _, err = run(capsys, *args("check", key))
    assert code == 1 and len(err) == 1 and "NoSuchBucket" in err[0]

    def no_credentials(region: str) -> Any:
        raise NoCredentialsError()

    assert main(args("check", key), client=no_credentials, env={}) == 1
    assert capsys.readouterr().err.startswith(f"error: s3://{BUCKET}: NoCredentialsError: Unable to locate")


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (
            ["check", "--bucket", "Bad_Bucket", "--region", REGION, "--key-arn", KEY],
            {},
            "--bucket='Bad_Bucket' is not a valid S3 bucket name",
        ),
        (
            ["check", "--bucket", BUCKET, "--region", "moon", "--key-arn", KEY],
            {},
            "--region='moon' is not a region name",
        ),
        (
            args("check", "alias/tap-terraform-state"),
            {},
            "--key-arn='alias/tap-terraform-state' is not a KMS key ARN",
        ),
        (
            args("check", KEY.replace(REGION, "us-east-1")),
            {},
            "--key-arn is a key in us-east-1, not in the state bucket's region us-east-2",
        ),
        (args("check", KEY, "--apply"), {}, "--apply is for migrate only"),
        (
            ["check", "--bucket", BUCKET, "--region", REGION],
            {},
            "the following arguments are required: --key-arn",
        ),
        (["encrypt", *args("check", KEY)[1:]], {}, "argument command: invalid choice: 'encrypt'"),
        (
            args("check", KEY),
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"},
            "AWS_ENDPOINT_URL=http://127.0.0.1:4566 is set",
        ),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(argv, env, message, capsys):
    def untouched(region: str) -> Any:
        raise AssertionError("no AWS call with bad arguments")

    with pytest.raises(SystemExit) as exit_info:
        main(argv, client=untouched, env=env)
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert err.startswith(f"error: {message}"), err


def test_the_key_may_be_reported_by_its_arn_or_its_id():
    assert encrypted_with({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": KEY}, KEY)
    assert encrypted_with(
        {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": KEY.rsplit("/", maxsplit=1)[-1]}, KEY
    )
    assert not encrypted_with({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "56ef-1234567890ab"}, KEY)
    assert not encrypted_with({"ServerSideEncryption": "aws:kms"}, KEY)
    assert not encrypted_with({"ServerSideEncryption": "aws:kms:dsse", "SSEKMSKeyId": KEY}, KEY)
    assert not encrypted_with({"ServerSideEncryption": "AES256"}, KEY)
    assert not encrypted_with({}, KEY)


def test_the_module_runs_as_a_command():
    import subprocess
    import sys

    from tests.unit.conftest import ROOT

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "deploy.state_encryption",
            "check",
            "--bucket",
            BUCKET,
            "--region",
            "moon",
            "--key-arn",
            KEY,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: --region='moon' is not a region name of the aws partition\n"

"""deploy/state_lock.py: a stale S3 state lock is released only when this runner left it.

S3 is moto's; Terraform is a fake that does what ``terraform force-unlock`` does to an S3-native
lock (read it, compare the ID, delete it). The lock body is Terraform 1.11.4's own, copied from a
real run (the local backend writes the same LockInfo JSON to .terraform.tfstate.lock.info)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from deploy import state_lock
from deploy.state_lock import Lock, LockError, Releaser, Target, running_terraform, target_from_env

BUCKET, REGION, STACK = "tap-tfstate-123456789012", "us-east-1", "TapStackstaging"
KEY = f"{STACK}/terraform.tfstate.tflock"
REAL_LOCK = {
    "ID": "fcc7da49-4f51-380b-0bba-36c77af87a29",
    "Operation": "OperationTypeApply",
    "Info": "",
    "Who": "root@vm",
    "Version": "1.11.4",
    "Created": "2026-12-07T21:46:52.584964498Z",
    "Path": f"{BUCKET}/{STACK}/terraform.tfstate",
}
ENV = {
    "TERRAFORM_STATE_BUCKET": BUCKET,
    "TERRAFORM_STATE_BUCKET_REGION": REGION,
    "ENVIRONMENT_SUFFIX": "staging",
}
TARGET = Target(STACK, BUCKET, REGION)


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        yield client


def _lock(s3, **changes: str) -> None:
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=json.dumps({**REAL_LOCK, **changes}).encode())


def _exists(s3) -> bool:
    return s3.list_objects_v2(Bucket=BUCKET, Prefix=KEY).get("KeyCount", 0) == 1


class FakeTerraform:
    """``terraform force-unlock -force ID``: deletes the lock when its ID matches (client.go)."""

    def __init__(self, s3, code: int = 0) -> None:
        self.s3, self.code, self.calls = s3, code, []

    def __call__(self, cmd: list[str]) -> tuple[int, str]:
        self.calls.append(cmd)
        if self.code:
            return self.code, "Error: Failed to unlock state: Error acquiring the state lock"
        body = json.loads(self.s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read())
        if body["ID"] != cmd[-1]:
            return 1, f"lock ID '{cmd[-1]}' does not match the existing lock ID '{body['ID']}'"
        self.s3.delete_object(Bucket=BUCKET, Key=KEY)
        return 0, "Terraform state has been successfully unlocked!"


def _releaser(s3, tmp_path: Path, *, initialised: bool = True, **kwargs) -> Releaser:
    stack_dir = tmp_path / "cdktf.out" / "stacks" / STACK
    if initialised:
        (stack_dir / ".terraform").mkdir(parents=True)
        (stack_dir / "cdk.tf.json").write_text("{}")
    defaults = {
        "terraform": FakeTerraform(s3),
        "holder": "root@vm",
        "running": lambda stack: [],
        "root": tmp_path,
    }
    return Releaser(TARGET, s3, **{**defaults, **kwargs})


def test_no_lock_is_said_and_nothing_is_run(s3, tmp_path):
    releaser = _releaser(s3, tmp_path)
    assert releaser.release() == (f"no state lock on {STACK} (s3://{BUCKET}/{KEY}): nothing to release")
    assert releaser.terraform.calls == []


def test_this_runners_lock_is_released_by_terraform_force_unlock(s3, tmp_path):
    _lock(s3)
    releaser = _releaser(s3, tmp_path)
    message = releaser.release()
    assert releaser.terraform.calls == [
        [
            "terraform",
            f"-chdir={tmp_path}/cdktf.out/stacks/{STACK}",
            "force-unlock",
            "-force",
            REAL_LOCK["ID"],
        ]
    ]
    assert not _exists(s3)
    assert message.startswith(
        f"released the state lock of {STACK} this runner left: root@vm (OperationTypeApply"
    )
    assert message.endswith("by terraform force-unlock")


def test_another_holders_lock_is_left_alone_with_the_command_to_release_it(s3, tmp_path):
    _lock(s3, Who="runner@fv-az1234-567")
    releaser = _releaser(s3, tmp_path)
    message = releaser.release()
    assert _exists(s3) and releaser.terraform.calls == []
    assert message == (
        f"the state lock of {STACK} is held by runner@fv-az1234-567 (OperationTypeApply, since "
        f"2026-12-07T21:46:52.584964498Z, Terraform 1.11.4, ID {REAL_LOCK['ID']}), not by this runner "
        f"(root@vm): left alone. If that run is over, release it by hand: "
        f"terraform -chdir=cdktf.out/stacks/{STACK} force-unlock {REAL_LOCK['ID']}"
    )


@pytest.mark.parametrize(
    ("running", "why"), [([4242], "terraform still runs here (pid 4242)"), (None, "no /proc")]
)
def test_this_machines_lock_is_left_alone_while_a_terraform_may_use_it(s3, tmp_path, running, why):
    _lock(s3)
    message = _releaser(s3, tmp_path, running=lambda stack: running).release()
    assert _exists(s3)
    assert f"but {why}: left alone" in message and f"force-unlock {REAL_LOCK['ID']}" in message


def test_without_an_initialised_stack_the_object_is_deleted_if_unchanged(s3, tmp_path):
    _lock(s3)
    releaser = _releaser(s3, tmp_path, initialised=False)
    message = releaser.release()
    assert releaser.terraform.calls == [] and not _exists(s3)
    assert f"by deleting s3://{BUCKET}/{KEY} if its ETag is still" in message


def test_a_failed_force_unlock_falls_back_to_the_conditional_delete(s3, tmp_path, capsys):
    _lock(s3)
    releaser = _releaser(s3, tmp_path, terraform=FakeTerraform(s3, code=1))
    assert "if its ETag is still" in releaser.release()
    assert not _exists(s3)
    assert "terraform force-unlock exited 1: Error: Failed to unlock state" in capsys.readouterr().out


def test_a_lock_taken_again_since_it_was_read_is_not_deleted(s3, tmp_path):
    """Another run released the stale lock and took a new one between the read and the delete."""
    _lock(s3)
    releaser = _releaser(s3, tmp_path, initialised=False)
    stale = state_lock.read_lock(s3, TARGET)
    _lock(s3, ID="0b1c2d3e-new-lock", Who="runner@fv-az9999-1")
    with pytest.raises(
        LockError, match=r"changed while being released \(PreconditionFailed\): nothing deleted"
    ):
        releaser._conditional_delete(stale)
    assert json.loads(s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read())["ID"] == "0b1c2d3e-new-lock"


def test_a_force_unlock_that_leaves_the_lock_is_an_error(s3, tmp_path):
    _lock(s3)
    releaser = _releaser(
        s3, tmp_path, terraform=lambda cmd: (0, "Terraform state has been successfully unlocked!")
    )
    with pytest.raises(LockError, match=r"exited 0 but the lock .* is still there"):
        releaser.release()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "is not Terraform lock info"),
        (b'{"Who": "x@y"}', "has no lock ID"),
        (b"[]", "has no lock ID"),
    ],
)
def test_an_object_that_is_not_a_lock_is_never_deleted(s3, tmp_path, body, message):
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=body)
    with pytest.raises(LockError, match=message):
        _releaser(s3, tmp_path).release()
    assert _exists(s3)


def test_the_lock_key_and_command_follow_the_backend_and_the_stack_id():
    target = target_from_env(ENV)
    assert target == TARGET and target.key == KEY  # lib/tap_stack.py: key f"{id}/terraform.tfstate"
    lock = Lock.parse(json.dumps(REAL_LOCK).encode(), '"etag"', "here")
    assert target.manual_command(lock) == f"terraform -chdir=cdktf.out/stacks/{STACK} force-unlock {lock.id}"
    # without a bucket region, the primary region: as lib/config.py takes it
    env = {**ENV, "TERRAFORM_STATE_BUCKET_REGION": "", "PRIMARY_REGION": "eu-west-1"}
    assert target_from_env(env).region == "eu-west-1"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "TERRAFORM_STATE_BUCKET is not set: a local state has no lock object to release"),
        (
            {**ENV, "TERRAFORM_STATE_BUCKET": "Bad_Bucket"},
            "TERRAFORM_STATE_BUCKET='Bad_Bucket' is not a valid S3",
        ),
        (
            {**ENV, "TERRAFORM_STATE_BUCKET_REGION": "moon-1"},
            "TERRAFORM_STATE_BUCKET_REGION='moon-1' is not a region",
        ),
        ({**ENV, "ENVIRONMENT_SUFFIX": "Prod!"}, "ENVIRONMENT_SUFFIX='Prod!' must be 1-20 characters"),
    ],
)
def test_a_bad_environment_is_one_line_and_exit_1(env, message, capsys):
    assert state_lock.main(["release"], env=env, s3=object()) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


def test_main_leaves_another_holders_lock_and_exits_0(s3, capsys, monkeypatch):
    _lock(s3, Who="someone@elsewhere")
    monkeypatch.setattr(state_lock, "this_holder", lambda: "runner@here")
    assert state_lock.main(["release"], env=ENV, s3=s3) == 0
    assert "held by someone@elsewhere" in capsys.readouterr().out and _exists(s3)


def test_this_holder_is_formed_as_terraform_forms_who():
    user, _, host = state_lock.this_holder().partition("@")
    assert user and host and "@" not in host


def test_running_terraform_finds_a_terraform_on_this_stack(tmp_path):
    proc = tmp_path / "proc"
    for pid, argv in {
        "101": [b"/usr/bin/terraform", f"-chdir=cdktf.out/stacks/{STACK}".encode(), b"apply"],
        "102": [b"terraform", b"-chdir=cdktf.out/stacks/TapStackprod", b"apply"],  # another stack
        "103": [b"/usr/bin/python", f"cdktf.out/stacks/{STACK}".encode()],  # not terraform
    }.items():
        (proc / pid).mkdir(parents=True)
        (proc / pid / "cmdline").write_bytes(b"\0".join(argv) + b"\0")
    (proc / "self").mkdir()
    (proc / "104").mkdir()  # no cmdline: gone meanwhile
    assert running_terraform(STACK, proc) == [101]
    assert running_terraform(STACK, tmp_path / "none") is None

"""lib/tap_stack.py ``_backend``: the S3 backend encrypts the state and its lock file with the
state bucket's KMS key (issue 25).

Terraform 1.11's S3 backend sends ``ServerSideEncryption: AES256`` with every PutObject when
``encrypt`` is true and ``kms_key_id`` is empty (internal/backend/remote-state/s3/client.go,
``put`` and ``lockWithFile``), and S3 applies the bucket's default key only to a request without
an encryption header: without ``kms_key_id`` the state never meets the bucket's key.
"""

from __future__ import annotations

from tests.unit.conftest import STATE_KEY_ARN


def test_the_s3_backend_encrypts_state_and_lock_with_the_state_key(prod):
    assert prod.json["terraform"]["backend"] == {
        "s3": {
            "bucket": "acme-terraform-state",
            "key": "TapStackprod/terraform.tfstate",
            "region": "eu-west-1",
            "encrypt": True,
            "kms_key_id": STATE_KEY_ARN,
            "use_lockfile": True,
        }
    }


def test_the_key_is_passed_as_the_arn_not_an_alias(prod):
    # The bucket policy compares s3:x-amz-server-side-encryption-aws-kms-key-id with the key ARN.
    key = prod.json["terraform"]["backend"]["s3"]["kms_key_id"]
    assert key.startswith("arn:aws:kms:eu-west-1:") and ":key/" in key


def test_without_a_state_bucket_the_state_is_a_local_file(dev):
    assert dev.json["terraform"]["backend"] == {"local": {"path": "../../../terraform.TapStackdev.tfstate"}}

"""lib/ci_state_bucket.py: the state bucket refuses any object not encrypted with its key
(issue 25): the synthesized bucket policy, statement by statement, and the same policy played
against requests with the project's IAM evaluator (local_aws/iam_policy.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.iam.access_control import PermissionResult

from local_aws.iam_policy import Request, evaluate
from tests.unit.conftest import Synth, policy_of, synthesize

ACCOUNT = "123456789012"
BUCKET = f"arn:aws:s3:::tap-terraform-state-{ACCOUNT}-us-east-2"
KEY = f"arn:aws:kms:us-east-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = f"arn:aws:kms:us-east-2:{ACCOUNT}:key/0000abcd-12ab-34cd-56ef-1234567890ab"
STATE = f"{BUCKET}/TapStackprod/terraform.tfstate"
RELEASE_ROLE = ("AWS", f"arn:aws:iam::{ACCOUNT}:role/tap-ci-release")


@pytest.fixture(scope="module")
def ci() -> Synth:
    """The state bucket alone, as lib/ci_bootstrap.py builds it (an account id in place of the
    caller identity's: the policy's resource is then concrete)."""
    from cdktf import TerraformOutput, TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from lib.ci_state_bucket import StateBucket
    from lib.region import Region

    stack = TerraformStack(Testing.app(), "state-bucket")
    provider = AwsProvider(stack, "aws", region="us-east-2")
    role = f"arn:aws:iam::{ACCOUNT}:role/tap-ci-"
    state = StateBucket(
        stack,
        "state",
        region=Region("state", "us-east-2", provider),
        name=BUCKET.removeprefix("arn:aws:s3:::"),
        account_id=ACCOUNT,
        readers=[f"{role}plan"],
        writers=[f"{role}preview", f"{role}release"],
        ci_role_pattern=f"{role}*",
    )
    # What lib/ci_bootstrap.py outputs as state_key_arn (TERRAFORM_STATE_KEY_ARN).
    TerraformOutput(stack, "state_key_arn", value=state.key.arn)
    TerraformOutput(stack, "name", value=state.name)
    return Synth("state-bucket", synthesize(stack))


def _policy(ci: Synth) -> dict[str, Any]:
    return policy_of(ci.get("aws_s3_bucket_policy", "state/bucket/tls-only"))


def test_the_bucket_policy_denies_puts_not_encrypted_with_the_state_key(ci):
    # the bucket's own ARN reference, as the TLS deny names it: never a name spelled apart (review
    # finding M: a name built apart from the bucket could drift and the denies apply to nothing)
    objects = f"{ci.ref('aws_s3_bucket', 'state/bucket', 'arn')}/*"
    key = ci.ref("aws_kms_key", "state/key", "arn")
    tls, *encryption = _policy(ci)["Statement"]
    assert tls["Sid"] == "DenyInsecureTransport"
    assert tls["Resource"][1] == objects
    assert encryption == [
        {
            "Sid": "DenyStateNotSseKms",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": ["s3:PutObject"],
            "Resource": objects,
            "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
        },
        {
            "Sid": "DenyStateNotItsKey",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": ["s3:PutObject"],
            "Resource": objects,
            "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key}},
        },
    ]


def test_the_key_is_public_and_its_arn_is_the_kms_keys(ci):
    assert ci.output("state_key_arn")["value"] == ci.ref("aws_kms_key", "state/key", "arn")
    assert ci.output("name")["value"] == ci.ref("aws_s3_bucket", "state/bucket", "bucket")


# --- the same policy, evaluated ----------------------------------------------------------------


def _concrete(ci: Synth) -> str:
    """The synthesized policy with the account and the key as Terraform would resolve them."""
    text = ci.get("aws_s3_bucket_policy", "state/bucket/tls-only")["policy"]
    text = text.replace(ci.ref("aws_kms_key", "state/key", "arn"), KEY)
    text = text.replace(ci.ref("aws_s3_bucket", "state/bucket", "arn"), BUCKET)
    assert "${" not in text, text
    return text


def _put(ci: Synth, action: str = "s3:PutObject", resource: str = STATE, **headers: str) -> PermissionResult:
    context = {"aws:SecureTransport": "true", **{f"s3:{name}": value for name, value in headers.items()}}
    request = Request(
        action=action, resource=resource, context=context, complete=True, principal=RELEASE_ROLE
    )
    return evaluate([_concrete(ci)], request)


SSE = "x-amz-server-side-encryption"
SSE_KEY = "x-amz-server-side-encryption-aws-kms-key-id"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({SSE: "AES256"}, id="AES256, what Terraform sent with encrypt=true and no key"),
        pytest.param({}, id="no encryption header"),
        pytest.param({SSE: "aws:kms"}, id="aws:kms without a key: the AWS managed key"),
        pytest.param({SSE: "aws:kms", SSE_KEY: OTHER_KEY}, id="aws:kms with another key"),
        pytest.param({SSE: "aws:kms", SSE_KEY: "alias/tap-terraform-state"}, id="the key by alias"),
        pytest.param({SSE: "aws:kms:dsse", SSE_KEY: KEY}, id="dual-layer SSE-KMS"),
        pytest.param({SSE_KEY: KEY}, id="the key id without the algorithm"),
    ],
)
def test_a_put_not_encrypted_with_the_state_key_is_denied(ci, headers):
    assert _put(ci, **headers) == PermissionResult.DENIED
    lock = STATE + ".tflock"
    assert _put(ci, resource=lock, **headers) == PermissionResult.DENIED


def test_a_put_encrypted_with_the_state_key_is_not_denied(ci):
    # NEUTRAL: the bucket policy neither denies nor allows; the role's own policy allows.
    headers = {SSE: "aws:kms", SSE_KEY: KEY}
    assert _put(ci, **headers) == PermissionResult.NEUTRAL
    assert _put(ci, resource=STATE + ".tflock", **headers) == PermissionResult.NEUTRAL


def test_reads_and_lock_releases_are_not_affected(ci):
    for action in ("s3:GetObject", "s3:DeleteObject", "s3:ListBucket"):
        assert _put(ci, action=action) == PermissionResult.NEUTRAL, action


def test_plain_http_is_still_denied_with_the_right_key(ci):
    request = Request(
        action="s3:PutObject",
        resource=STATE,
        context={"aws:SecureTransport": "false", f"s3:{SSE}": "aws:kms", f"s3:{SSE_KEY}": KEY},
        complete=True,
        principal=RELEASE_ROLE,
    )
    assert evaluate([_concrete(ci)], request) == PermissionResult.DENIED


def test_the_policy_is_valid_json_with_three_statements(ci):
    assert [s["Sid"] for s in json.loads(_concrete(ci))["Statement"]] == [
        "DenyInsecureTransport",
        "DenyStateNotSseKms",
        "DenyStateNotItsKey",
    ]

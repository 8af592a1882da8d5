"""The emulator pipeline never carries a real deployment's variables into a local run."""

from __future__ import annotations

from flows.pipeline_steps import REAL_AWS_ONLY
from lib.config import StackConfig

# What a CI runner or a developer's shell holds after a real deploy (deploy/ci_target.py).
REAL_RUNNER = {
    "TERRAFORM_STATE_BUCKET": "acme-terraform-state",
    "TERRAFORM_STATE_BUCKET_REGION": "us-east-2",
    "TERRAFORM_STATE_KEY_ARN": "arn:aws:kms:us-east-2:123456789012:key/0b3f6c1e-5a8d-4f1e-9c2b-7d4e8a9b1c2d",
    "PERMISSIONS_BOUNDARY": "tap-ci-boundary-staging",
    "DOMAIN_NAME": "payments.acme.com",
    "HOSTED_ZONE_ID": "Z0123456789ABC",
}


def test_a_real_runners_variables_leave_a_valid_local_configuration() -> None:
    """Stripping the state bucket but not its key made every local run refuse the configuration
    ("TERRAFORM_STATE_KEY_ARN is set but TERRAFORM_STATE_BUCKET is not"); a boundary would name a
    policy the emulator's account never had."""
    local = {k: v for k, v in REAL_RUNNER.items() if k not in REAL_AWS_ONLY}
    config = StackConfig.from_env(local)
    assert (config.state_bucket, config.state_key_arn, config.permissions_boundary) == (None, None, None)
    assert config.hosted_zone_id is None and config.domain_name == "payments.acme.com"

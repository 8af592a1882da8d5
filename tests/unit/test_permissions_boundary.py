"""lib/permissions_boundary.py: with PERMISSIONS_BOUNDARY set (the CI targets), every IAM role of
the main stack carries it; without it (the local emulator), none does."""

from __future__ import annotations

import pytest

from lib.ci_bootstrap_config import boundary_name
from tests.unit.conftest import PROD_ENV, Synth, synthesize

ACCOUNT = "${data.aws_caller_identity.caller.account_id}"


@pytest.fixture(scope="module")
def bounded() -> Synth:
    """The prod profile (custom domain, account settings managed) as a CI target deploys it."""
    from cdktf import Testing

    from lib.config import StackConfig
    from lib.tap_stack import TapStack

    config = StackConfig.from_env(
        {**PROD_ENV, "MANAGE_ACCOUNT_SETTINGS": "true", "PERMISSIONS_BOUNDARY": boundary_name("prod")}
    )
    return Synth("TapStackprod", synthesize(TapStack(Testing.app(), "TapStackprod", config)))


def test_every_role_carries_the_boundary_when_it_is_set(bounded):
    roles = bounded.resources("aws_iam_role")
    # the function, replication and backup role of each region, and the account's API Gateway role
    assert len(roles) == 7
    assert {name: role.get("permissions_boundary") for name, role in roles.items()} == {
        name: f"arn:aws:iam::{ACCOUNT}:policy/tap-ci-boundary-production" for name in roles
    }


def test_no_role_carries_a_boundary_without_it(dev):
    roles = dev.resources("aws_iam_role")
    assert roles and [name for name, role in roles.items() if "permissions_boundary" in role] == []


def test_the_boundary_changes_nothing_else(bounded, prod):
    """Only the roles' new attribute differs from the same profile without the boundary."""
    roles = {
        name: {k: v for k, v in role.items() if k != "permissions_boundary"}
        for name, role in bounded.resources("aws_iam_role").items()
    }
    assert {n: r for n, r in roles.items() if n in prod.resources("aws_iam_role")} == prod.resources(
        "aws_iam_role"
    )

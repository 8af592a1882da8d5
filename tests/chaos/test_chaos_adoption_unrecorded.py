"""Creates nothing recorded (make chaos-local): a lost response the SDK retried, a lost record.
AWS answers "already exists"; the deploy adopts them and applies once more. The Lambda
permission among them is found before the apply (deploy/adoption.py SLOW_CONFLICTS):
the AWS provider would retry AddPermission's ResourceConflictException for five minutes first,
as it does on AWS.
"""

from __future__ import annotations

import sys

import pytest

from tests.chaos.lanes import Lane, creates_left_in_aws_are_adopted

LANE = Lane("adoption-unrecorded", port=4594, block="127.0.34")

pytestmark = [pytest.mark.chaos, pytest.mark.usefixtures("deployed")]


@pytest.mark.parametrize("recorded", [False], ids=["unrecorded"])
def test_creates_left_in_aws_but_not_in_the_state_are_adopted(recorded):
    """unrecorded (a lost response the SDK retried, a lost record): AWS answers "already
    exists", the deploy adopts them and applies once more. Imported, nothing added."""
    creates_left_in_aws_are_adopted(LANE, recorded)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-v"]))

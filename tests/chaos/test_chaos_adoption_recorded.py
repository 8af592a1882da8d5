"""Creates a stopped apply recorded as unfinished (make chaos-local): in AWS, not in the state,
and listed by the apply that was stopped. The next deploy adopts them first.
"""

from __future__ import annotations

import sys

import pytest

from tests.chaos.lanes import Lane, creates_left_in_aws_are_adopted

LANE = Lane("adoption-recorded", port=4593, block="127.0.33")

pytestmark = [pytest.mark.chaos, pytest.mark.usefixtures("deployed")]


@pytest.mark.parametrize("recorded", [True], ids=["recorded-by-the-stopped-apply"])
def test_creates_left_in_aws_but_not_in_the_state_are_adopted(recorded):
    """recorded: the stopped apply listed its unfinished creates and the next one adopts them
    first. Imported, nothing added."""
    creates_left_in_aws_are_adopted(LANE, recorded)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-v"]))

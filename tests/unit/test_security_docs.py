"""The README's Security section lists every justified checkov skip the stack carries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| (CKV2?_AWS_\d+) \| `(aws_[a-z0-9_]+)`[^|]*\| [^|]+ \| (.+) \|$")


def documented() -> set[tuple[str, str]]:
    section = README.read_text().split("### Skipped checks and why", 1)[1].split("\n## ", 1)[0]
    return {(m[1], m[2]) for m in map(ROW.match, section.splitlines()) if m}


def skipped(synth) -> set[tuple[str, str]]:
    return {
        (entry.removeprefix("checkov:skip=").split(":", 1)[0], type_)
        for type_, blocks in synth.json["resource"].items()
        for body in blocks.values()
        for entry in body.get("//", {}).get("checkov", [])
    }


@pytest.mark.parametrize("fixture", ["dev", "staging", "prod", "eu"])
def test_every_skip_is_documented(request, fixture):
    missing = skipped(request.getfixturevalue(fixture)) - documented()
    assert not missing, f"add these to README 'Skipped checks and why': {sorted(missing)}"


def test_no_documented_skip_is_stale(dev, staging, prod, eu):
    used = skipped(dev) | skipped(staging) | skipped(prod) | skipped(eu)
    assert documented() - used == set()

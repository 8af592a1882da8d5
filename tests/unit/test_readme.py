"""The README's configuration table states each profile's numbers as lib/config.py has them."""

from __future__ import annotations

import re
from pathlib import Path

from lib.config import PROFILES

README = Path(__file__).resolve().parents[2] / "README.md"


def _environment_row() -> str:
    (row,) = [line for line in README.read_text().splitlines() if line.startswith("| `ENVIRONMENT` |")]
    return row


def _triple(label: str) -> list[str]:
    """``<label> a/b/c`` in the ENVIRONMENT row, in profile order (dev/staging/prod)."""
    match = re.search(rf"{label} ([\w]+)/([\w]+)/([\w]+)", _environment_row())
    assert match, f"the README's ENVIRONMENT row lacks '{label} a/b/c'"
    return list(match.groups())


def test_profiles_are_listed_dev_staging_prod():
    assert list(PROFILES) == ["dev", "staging", "prod"]
    assert "`dev` \\| `staging` \\| `prod`" in _environment_row()


def test_log_retention_in_the_readme_is_the_configured_one():
    assert _triple("log retention") == [str(p.log_retention_days) for p in PROFILES.values()]


def test_kms_window_in_the_readme_is_the_configured_one():
    assert _triple("KMS window") == [str(p.kms_deletion_window_days) for p in PROFILES.values()]


def test_reserved_concurrency_in_the_readme_is_the_configured_one():
    expected = [str(p.reserved_concurrency) if p.reserved_concurrency else "none" for p in PROFILES.values()]
    assert _triple("Lambda reserved concurrency") == expected

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


# --- the file tables match the tree --------------------------------------------------------------

ROOT = README.parent
LOCAL_README = ROOT / "local_aws" / "README.md"
BEHAVIOURS = ROOT / "local_aws" / "BEHAVIOURS.md"
OUTPUTS = {"bench/results.json"}  # written by make bench, not kept in the tree
SOURCE_FOLDERS = ("lib", "dr", "flows", "deploy", "cli", "scripts", "bench", "local_aws")
PATH = re.compile(
    r"`((?:lib|dr|flows|deploy|cli|scripts|bench|local_aws|tests|docs)/[\w./-]+\.(?:py|sh|json|md|mmd))`"
)


def _sources() -> list[Path]:
    return sorted(
        path
        for folder in SOURCE_FOLDERS
        for pattern in ("*.py", "*.sh")
        for path in (ROOT / folder).rglob(pattern)
        if path.name != "__init__.py" and "__pycache__" not in path.parts
    )


def test_every_source_file_is_in_a_readme_table():
    """A newcomer finds each file from the READMEs: named by its path, or by its name in its
    folder's row; the emulator's files in local_aws/README.md, its patches in BEHAVIOURS.md."""
    text = README.read_text() + LOCAL_README.read_text() + BEHAVIOURS.read_text()

    def names(path: Path) -> set[str]:
        relative = path.relative_to(ROOT)
        inside = relative.relative_to("local_aws") if relative.parts[0] == "local_aws" else relative
        return {f"`{relative}`", f"`{inside}`", f"`{path.name}`"}

    unnamed = [str(p.relative_to(ROOT)) for p in _sources() if not any(n in text for n in names(p))]
    assert unnamed == []


def test_every_file_path_the_readmes_name_exists():
    text = README.read_text() + LOCAL_README.read_text()
    assert sorted({p for p in PATH.findall(text) if not (ROOT / p).exists()} - OUTPUTS) == []

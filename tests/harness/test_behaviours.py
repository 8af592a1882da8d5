"""local_aws/BEHAVIOURS.md holds one row per behaviour the patches and the data plane add to moto:
the AWS sentence it follows (or "undocumented: assumed ..."), the test that checks it, what is
not modelled. These tests keep the table true to the tree: every patch and data-plane module has
rows, every row cites AWS's documentation or says it is undocumented, and every test it names
exists."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "local_aws" / "BEHAVIOURS.md"
HARNESS = ROOT / "tests" / "harness"
COLUMNS = ("behaviour", "module", "AWS says", "test", "not modelled", "issue 22")
MODULE = re.compile(r"`((?:patches/|dataplane/)?[a-z0-9_]+\.py)`")
TEST = re.compile(r"`(test_[a-z0-9_]+\.py)::(test_[A-Za-z0-9_]+)`")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


@cache
def rows() -> list[dict[str, str]]:
    """Every row of every behaviours table in BEHAVIOURS.md (escaped pipes are not used)."""
    found, header = [], None
    for line in TABLE.read_text().splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = _cells(line)
        if header is None:
            header = cells
            continue
        if set(line) <= set("|-: "):
            continue
        if tuple(header) == COLUMNS:
            found.append(dict(zip(header, cells, strict=True)))
    return found


@cache
def _tests_in(file_name: str) -> frozenset[str]:
    path = HARNESS / file_name
    if not path.is_file():
        return frozenset()
    tree = ast.parse(path.read_text())
    return frozenset(node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef))


# The emulator's own modules that hold no behaviour: its launcher and the client of emulator.sh.
NOT_BEHAVIOURS = {"__init__.py", "server.py", "emulator.py"}


def emulator_modules() -> set[str]:
    """Every module of the emulator that adds behaviour: the patches, the data plane, and the
    modules both of them read (the regions' addresses and outages, the IAM condition evaluator)."""
    return {
        f"{folder}{path.name}"
        for folder in ("patches/", "dataplane/", "")
        for path in (ROOT / "local_aws" / folder).glob("*.py")
        if path.name not in NOT_BEHAVIOURS
    }


def test_the_table_has_rows_in_the_expected_columns():
    assert len(rows()) >= 100, "BEHAVIOURS.md: fewer rows than behaviours"
    assert all(row["behaviour"] for row in rows())


def test_every_patch_and_data_plane_module_has_rows():
    covered = {module for row in rows() for module in MODULE.findall(row["module"])}
    assert sorted(emulator_modules() - covered) == []
    assert sorted(covered - emulator_modules()) == []  # no row names a module that is gone


def test_every_row_quotes_aws_or_says_it_is_undocumented():
    unsourced = [
        row["behaviour"]
        for row in rows()
        if "https://docs.aws.amazon.com/" not in row["AWS says"] and "undocumented" not in row["AWS says"]
    ]
    assert unsourced == []


def test_every_row_names_tests_that_exist():
    missing, untested = [], []
    for row in rows():
        named = TEST.findall(row["test"])
        if not named:
            untested.append(row["behaviour"])
        missing += [f"{f}::{t}" for f, t in named if t not in _tests_in(f)]
    assert (untested, missing) == ([], [])


def test_every_row_says_what_is_not_modelled_and_what_issue_22_changed():
    assert [row["behaviour"] for row in rows() if not row["not modelled"] or not row["issue 22"]] == []


# Modules of the emulator that serve no AWS behaviour of their own, and why.
NO_AWS_BEHAVIOUR = {
    "dataplane/__init__.py": "the package's list of hooks",
    "dataplane/control.py": "a client of the emulator's own control endpoints",
    "dataplane/periodic.py": "the thread that runs the alarm and checker cycles",
    "regions.py": "the emulator's loopback addresses, outage switch and time scale (emulator control)",
}


def test_every_module_that_serves_a_behaviour_cites_the_aws_page_it_follows():
    """A data-plane module (or the shared evaluator) models AWS, so its docstring names the AWS
    documentation it follows, as every patch's does (test_patches.py)."""
    uncited = [
        module
        for module in sorted(emulator_modules() - set(NO_AWS_BEHAVIOUR))
        if not module.startswith("patches/")
        and "https://docs.aws.amazon.com/"
        not in (ast.get_docstring(ast.parse((ROOT / "local_aws" / module).read_text())) or "")
    ]
    assert uncited == []

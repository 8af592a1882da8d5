"""The tree's shape, kept: which folder may import which (no arrow runs back up), and rooms
that stay small (issue 24). Read from the code's own imports and definitions (ast), no import."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("lib", "cli", "local_aws", "deploy", "dr", "flows", "scripts", "bench", "tests")
# What each folder may import (besides itself). Read bottom-up: lib is the ground; the emulator
# imports only the region list; the flows that drive it sit on top. local_aws.patches never
# imports local_aws.dataplane (the emulator's own rule: local_aws/README.md).
MAY_IMPORT = {
    "lib": set(),
    "cli": {"lib"},
    "local_aws": {"lib"},
    "deploy": {"lib", "cli"},
    "scripts": {"cli"},
    "dr": {"lib", "cli", "local_aws"},
    "flows": {"lib", "cli", "local_aws", "deploy", "dr"},
    "bench": set(),
}
DECLARED_DATA = {"lib/ci_permissions.py"}  # a table of literals (tests/unit/test_ci_bootstrap.py)
MAX_FILE_LINES = 450
MAX_LIB_FUNCTION_LINES = 80


def _sources(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> set[str]:
    """Every module this file imports (at any depth: deferred imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _arrows() -> list[str]:
    wrong = []
    for folder, allowed in MAY_IMPORT.items():
        for path in _sources(folder):
            for module in _imports(path):
                top = module.split(".")[0]
                if top in PROJECT and top != folder and top not in allowed:
                    wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    return sorted(wrong)


def test_no_folder_imports_one_above_it():
    assert _arrows() == []


def test_the_emulators_patches_never_import_its_data_plane():
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _sources("local_aws/patches")
        for module in _imports(path)
        if module.startswith("local_aws.dataplane")
    ]
    assert wrong == []


def test_no_source_file_over_450_lines_but_declared_data():
    long = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for folder in MAY_IMPORT
        for path in _sources(folder)
        if len(path.read_text().splitlines()) > MAX_FILE_LINES
    }
    assert {name: lines for name, lines in long.items() if name not in DECLARED_DATA} == {}


def test_no_function_in_lib_over_80_lines():
    long = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in _sources("lib")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_LIB_FUNCTION_LINES
    ]
    assert long == []

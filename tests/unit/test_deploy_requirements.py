"""make install-deploy installs pytest and exactly what it needs, as locked
(scripts/deploy_requirements.py)."""

from __future__ import annotations

import importlib.metadata
import json
import re

import pytest
from packaging.requirements import Requirement

from scripts import deploy_requirements
from scripts.deploy_requirements import PYTEST_CLOSURE, LockError, requirements


def _runtime_requirements(name: str) -> set[str]:
    found = set()
    for raw in importlib.metadata.requires(name) or []:
        req = Requirement(raw)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            found.add(req.name.lower())
    return found


def test_the_closure_is_pytests_runtime_requirements_on_this_python() -> None:
    """A dependency pytest gains (or drops) fails here before a deploy job's pip check does."""
    closure, todo = set(), ["pytest"]
    while todo:
        name = todo.pop()
        if name not in closure:
            closure.add(name)
            todo.extend(_runtime_requirements(name))
    assert closure == set(PYTEST_CLOSURE)


def test_each_line_pins_the_locked_version_with_its_hashes() -> None:
    lock = json.loads(deploy_requirements.LOCK.read_text())
    lines = requirements(lock)
    assert [line.split("==")[0] for line in lines] == list(PYTEST_CLOSURE)
    for line, name in zip(lines, PYTEST_CLOSURE, strict=True):
        assert line.startswith(f"{name}{lock['develop'][name]['version']} --hash=sha256:")
        assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", line)) == len(lock["develop"][name]["hashes"])


def test_a_lock_without_a_package_is_one_line_naming_it(capsys, monkeypatch, tmp_path) -> None:
    locked = {"develop": {"pytest": {"version": "==9", "hashes": ["sha256:x"]}}}
    with pytest.raises(LockError, match=r"Pipfile\.lock has no pinned, hashed pluggy"):
        requirements(locked, ("pytest", "pluggy"))
    broken = tmp_path / "Pipfile.lock"
    broken.write_text("{")
    monkeypatch.setattr(deploy_requirements, "LOCK", broken)
    assert deploy_requirements.main([]) == 1
    assert capsys.readouterr().err.startswith(f"error: {broken} cannot be read")
    assert deploy_requirements.main(["--dev"]) == 2

"""lib/fast_provider_import.py: the provider package registered without its 2,139-module
``__init__``. It must give the same synth byte for byte, and refuse itself on any other
installation."""

from __future__ import annotations

import hashlib
import importlib.util
from importlib.machinery import ModuleSpec
from pathlib import Path

from lib import fast_provider_import as fast

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.find_spec(fast.PACKAGE)


def test_the_fast_path_synthesizes_the_same_bytes_as_the_full_import(both_ways):
    # Both processes ran in the background since collection (conftest.BothWays).
    full_path, full = both_ways.result("full")
    fast_path, quick = both_ways.result("fast")
    assert (full_path, fast_path) == ("full", "fast")
    assert sorted(full) == ["TapStackdev", "TapStackprod"]
    assert quick == full


def test_this_installation_is_the_one_the_fast_path_knows():
    assert SPEC is not None and fast.problem(SPEC, fast.installed_version()) is None
    assert fast.installed_version() == fast.PINNED_VERSION
    # The Pipfile pin and the fast path's pin move together.
    assert f'cdktf-cdktf-provider-aws = "=={fast.PINNED_VERSION}"' in (ROOT / "Pipfile").read_text()


def _package(tmp_path: Path, init: bytes, jsii: bool = True) -> ModuleSpec:
    package = tmp_path / fast.PACKAGE
    (package / "_jsii").mkdir(parents=True)
    (package / "__init__.py").write_bytes(init)
    if jsii:
        (package / "_jsii" / "__init__.py").write_text("")
    return importlib.util.spec_from_file_location(
        fast.PACKAGE, package / "__init__.py", submodule_search_locations=[str(package)]
    )


def test_any_other_installation_turns_the_fast_path_off(tmp_path):
    original = Path(SPEC.origin).read_bytes()
    assert hashlib.sha256(original).hexdigest() == fast.INIT_SHA256
    assert fast.problem(None, fast.PINNED_VERSION) == f"{fast.PACKAGE} is not an installed package"
    assert "is 20.2.0, the fast path knows 20.1.0" in fast.problem(SPEC, "20.2.0")
    assert "is None" in fast.problem(SPEC, None)
    assert fast.problem(_package(tmp_path / "a", original), fast.PINNED_VERSION) is None
    changed = _package(tmp_path / "b", original + b"\nfrom . import new_module\n")
    assert "differs from the one of 20.1.0" in fast.problem(changed, fast.PINNED_VERSION)
    no_jsii = _package(tmp_path / "c", original, jsii=False)
    assert fast.problem(no_jsii, fast.PINNED_VERSION) == f"{fast.PACKAGE}/_jsii is missing"


def test_install_registers_the_package_without_running_it(monkeypatch, capsys):
    monkeypatch.delenv("FAST_PROVIDER_IMPORT", raising=False)
    modules: dict = {}
    assert fast.install(modules) is True
    package = modules[fast.PACKAGE]
    assert list(package.__path__) == list(SPEC.submodule_search_locations)
    assert not hasattr(package, "s3_bucket") and not hasattr(package, "check_type")  # not run
    assert fast.install(modules) is False  # imported already: nothing to do
    monkeypatch.setenv("FAST_PROVIDER_IMPORT", "0")
    assert fast.install({}) is False
    assert capsys.readouterr().err == ""


def test_a_mismatch_is_one_line_and_the_full_import(monkeypatch, capsys):
    monkeypatch.delenv("FAST_PROVIDER_IMPORT", raising=False)
    monkeypatch.setattr(fast, "installed_version", lambda: "19.0.0")
    modules: dict = {}
    assert fast.install(modules) is False and modules == {}
    assert capsys.readouterr().err == (
        "fast provider import off (cdktf-cdktf-provider-aws is 19.0.0, the fast path knows 20.1.0): "
        "importing the whole package\n"
    )


def test_an_uninstalled_distribution_has_no_version(monkeypatch):
    monkeypatch.setattr(fast, "DISTRIBUTION", "no-such-distribution-anywhere")
    assert fast.installed_version() is None


def test_nothing_else_in_lib_knows_about_the_fast_path():
    knowing = [
        path.name
        for path in sorted((ROOT / "lib").rglob("*.py"))
        if path.name != "fast_provider_import.py" and "fast_provider_import" in path.read_text()
    ]
    assert knowing == []

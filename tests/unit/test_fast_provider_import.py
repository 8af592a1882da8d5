"""lib/fast_provider_import.py: the provider package registered without its 2,139-module
``__init__``. It must give the same synth byte for byte, and refuse itself on any other
installation."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path

from lib import fast_provider_import as fast
from tests.unit.conftest import PROD_ENV

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.find_spec(fast.PACKAGE)

# One app, the dev and the prod stacks: what main.py does, once per profile.
SYNTH_BOTH = """
import os, sys
from lib.fast_provider_import import install
print("fast" if install() else "full", file=sys.stderr)
from cdktf import App
from lib.config import StackConfig
from lib.tap_stack import TapStack
app = App(outdir=sys.argv[1])
for env in ({{}}, {prod}):
    config = StackConfig.from_env(env)
    TapStack(app, f"TapStack{{config.suffix}}", config)
app.synth()
"""


def _synth_both(outdir: Path, fast_path: bool) -> dict[str, bytes]:
    env = {**os.environ, "FAST_PROVIDER_IMPORT": "1" if fast_path else "0"}
    env.pop("CDKTF_OUTDIR", None)
    result = subprocess.run(
        [sys.executable, "-c", SYNTH_BOTH.format(prod=repr(PROD_ENV)), str(outdir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert ("fast" if fast_path else "full") in result.stderr.splitlines()
    return {p.parent.name: p.read_bytes() for p in sorted(outdir.glob("stacks/*/cdk.tf.json"))}


def test_the_fast_path_synthesizes_the_same_bytes_as_the_full_import(tmp_path):
    outdir = tmp_path / "cdktf.out"  # the same directory both times: paths in the JSON agree
    full = _synth_both(outdir, fast_path=False)
    for stack in outdir.glob("stacks/*/cdk.tf.json"):
        stack.unlink()
    quick = _synth_both(outdir, fast_path=True)
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

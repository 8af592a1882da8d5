"""deploy/synth.py: the stack synthesized once per input (content-keyed cache)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy import synth

FAKE_MAIN = """\
import json, os, pathlib, sys
from lib.config import StackConfig
config = StackConfig.from_env()
out = pathlib.Path(os.environ["CDKTF_OUTDIR"]) / "stacks" / f"TapStack{config.suffix}"
out.mkdir(parents=True, exist_ok=True)
runs = pathlib.Path(os.environ["SYNTH_RUNS"])
runs.write_text(runs.read_text() + "x" if runs.exists() else "x")
(out / "cdk.tf.json").write_text(json.dumps({"suffix": config.suffix, "code": open("lib/code.py").read()}))
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project tree whose main.py writes a small stack and counts its runs."""
    root = tmp_path / "project"
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "code.py").write_text("A = 1\n")
    (root / "main.py").write_text(FAKE_MAIN)
    (root / "cdktf.json").write_text("{}")
    (root / "Pipfile.lock").write_text("{}")
    monkeypatch.setattr(synth, "ROOT", root)
    monkeypatch.setattr(synth, "CACHE", root / ".cache" / "synth")
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))  # the real lib.config
    return root


def _env(project: Path, **extra: str) -> dict[str, str]:
    import os

    real = str(Path(__file__).resolve().parents[2])
    return {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": real,
        "SYNTH_RUNS": str(project / "runs"),
        "ENVIRONMENT_SUFFIX": "dev",
        **extra,
    }


def _stack(outdir: Path, suffix: str = "dev") -> dict:
    return json.loads((outdir / "stacks" / f"TapStack{suffix}" / "cdk.tf.json").read_text())


def test_the_same_inputs_are_synthesized_once_and_copied_after(project, tmp_path):
    first, second = tmp_path / "out1", tmp_path / "out2"
    done, hit = synth.synthesize(first, _env(project))
    assert done is not None and done.returncode == 0 and not hit, done.stderr
    (second / "stacks" / "TapStackdev" / ".terraform").mkdir(parents=True)  # an initialised stack
    done, hit = synth.synthesize(second, _env(project))
    assert (done, hit) == (None, True)
    assert (project / "runs").read_text() == "x"  # main.py ran once
    assert _stack(second) == _stack(first) == {"suffix": "dev", "code": "A = 1\n"}
    assert (second / "stacks" / "TapStackdev" / ".terraform").is_dir()  # left as it was


@pytest.mark.parametrize("change", ["code", "configuration"])
def test_a_change_to_the_code_or_the_configuration_is_a_new_synth(project, tmp_path, change):
    synth.synthesize(tmp_path / "out1", _env(project))
    if change == "code":
        (project / "lib" / "code.py").write_text("A = 2\n")
        env = _env(project)
    else:
        env = _env(project, COMMIT_AUTHOR="someone-else")
    done, hit = synth.synthesize(tmp_path / "out2", env)
    assert done is not None and not hit
    assert (project / "runs").read_text() == "xx"


def test_an_invalid_configuration_is_never_cached_and_main_says_why(project, tmp_path):
    assert synth.cache_key(_env(project, ENVIRONMENT_SUFFIX="Bad_Suffix")) is None
    done, hit = synth.synthesize(tmp_path / "out", _env(project, ENVIRONMENT_SUFFIX="Bad_Suffix"))
    assert done is not None and done.returncode != 0 and not hit
    assert (
        not list((project / ".cache" / "synth").glob("*"))
        if (project / ".cache" / "synth").exists()
        else True
    )


def test_synth_cache_0_always_runs_main(project, tmp_path):
    for n in (1, 2):
        done, hit = synth.synthesize(tmp_path / f"out{n}", _env(project, SYNTH_CACHE="0"))
        assert done is not None and not hit
    assert (project / "runs").read_text() == "xx"

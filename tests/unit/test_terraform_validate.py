"""The synthesized stack is valid for plain `terraform` against the real provider schema."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def terraform_env(tmp_path_factory):
    assert shutil.which("terraform"), "terraform is not on PATH: run 'make install' (see README)"
    config = tmp_path_factory.mktemp("tfcli") / "terraform.rc"
    result = subprocess.run(
        [str(ROOT / "tools" / "terraform-cli-config.sh")],
        env={**os.environ, "TF_CLI_CONFIG_OUT": str(config)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return {**os.environ, "TF_CLI_CONFIG_FILE": str(config), "TF_IN_AUTOMATION": "1"}


@pytest.mark.parametrize("fixture", ["dev", "prod", "staging"])
def test_terraform_validate(request, tmp_path, terraform_env, fixture):
    synth = request.getfixturevalue(fixture)
    (tmp_path / "cdk.tf.json").write_text(json.dumps(synth.json))
    init = subprocess.run(
        ["terraform", "init", "-backend=false", "-input=false", "-no-color"],
        cwd=tmp_path,
        env=terraform_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    validate = subprocess.run(
        ["terraform", "validate", "-json", "-no-color"],
        cwd=tmp_path,
        env=terraform_env,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(validate.stdout)
    errors = [d for d in report["diagnostics"] if d["severity"] == "error"]
    assert report["valid"] is True and errors == [], errors
    # The only accepted warning: reset_on_delete is deprecated in 5.x (default in 6.x).
    for warning in report["diagnostics"]:
        assert warning["summary"] == "Attribute Deprecated", warning
        assert warning["detail"].startswith('The "reset_on_delete" attribute'), warning

"""`make help` lists every documented target, with the variables it names spelled as a user types them."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _help(makefile: Path) -> str:
    result = subprocess.run(
        ["make", "--no-print-directory", "-f", str(makefile), "help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def _documented(makefile: Path) -> list[str]:
    return re.findall(r"^([a-z0-9][a-z0-9-]*):[^=\n]*## ", makefile.read_text(), re.MULTILINE)


def test_every_documented_target_is_listed_once_and_no_dollar_is_doubled() -> None:
    makefile = ROOT / "Makefile"
    listed = re.findall(r"^  make (\S+)", _help(makefile), re.MULTILINE)
    documented = _documented(makefile)
    assert "test-e2e" in documented and "install-deploy" in documented
    assert listed == documented
    assert "$$" not in _help(makefile)
    assert "TapStack$ENVIRONMENT_SUFFIX" in _help(makefile)


REAL_AWS_TARGETS = ["deploy", "destroy", "plan", "outputs", "gameday", "test-integration", "dr-report"]


@pytest.mark.parametrize("target", REAL_AWS_TARGETS)
def test_targets_against_real_aws_install_only_the_deploy_tools(target: str) -> None:
    """A deploy job installs neither the linters nor the emulator nor checkov (make install)."""
    line = re.search(rf"^{target}:([^#\n]*)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert line is not None
    prerequisites = line.group(1).split()
    assert "install-deploy" in prerequisites
    assert "install" not in prerequisites and "synth" not in prerequisites


def test_npm_scripts_deploy_through_the_checked_path() -> None:
    """`npm run deploy` must not be a way around the preflight and the identity check:
    `cdktf deploy`/`cdktf destroy` skip both (deploy/aws.py runs them)."""
    scripts = json.loads((ROOT / "package.json").read_text())["scripts"]
    assert scripts["deploy"] == "make deploy" and scripts["destroy"] == "make destroy"
    bypass = re.compile(r"cdktf\s+(deploy|destroy|apply)")
    assert not [name for name, command in scripts.items() if bypass.search(command)]

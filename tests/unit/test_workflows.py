"""The GitHub Actions workflows (.github/): what is ours to test.

The workflows call make targets that exist; every job that touches AWS gets its credentials
through OIDC from a role in a repository variable (no AWS keys anywhere) and only for this
repository's branches; no job holds a write permission it does not use; every deploy, destroy
or rehearsal has a concurrency group it shares with every other job on that environment; prod
is never destroyed; third-party actions are pinned to commits. The offline gate (make lint,
scripts/lint_workflows.py) is shown to catch a template injection, a schema error and a shell
mistake.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from lib.ci_bootstrap_config import (
    DEPLOY_SESSION_SECONDS,
    PLAN,
    PLAN_SESSION_SECONDS,
    PREVIEW,
    PRODUCTION,
    ROLE_SUBJECTS,
    STAGING,
)
from scripts.lint_workflows import run_scripts, shell_text

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / ".github"
WORKFLOW_FILES = sorted((GITHUB / "workflows").glob("*.yml"))
WORKFLOWS = {path.stem: yaml.safe_load(path.read_text()) for path in WORKFLOW_FILES}
SETUP_ACTION = GITHUB / "actions" / "setup" / "action.yml"
POLICY_TOOLS = ROOT / ".venv-policy" / "bin"

CONFIGURE_AWS = "aws-actions/configure-aws-credentials@"
# make targets that reach real AWS.
AWS_TARGETS = {"plan", "deploy", "destroy", "outputs", "gameday", "test-integration"}
DEPLOYING_TARGETS = {"deploy", "destroy", "gameday"}
ROLE_KINDS = {
    "AWS_PLAN_ROLE_ARN": PLAN,
    "AWS_PREVIEW_ROLE_ARN": PREVIEW,
    "AWS_STAGING_ROLE_ARN": STAGING,
    "AWS_PRODUCTION_ROLE_ARN": PRODUCTION,
}
ROLE_VARIABLES = set(ROLE_KINDS)
# A terraform step may run past an hour (DynamoDB replicas, ACM validation), and stops before
# the job does, which stops before the role session ends: the unlock step after it still works.
TERRAFORM_STEP_MINUTES = 95
# Every write permission a job holds, and why it needs it.
NEEDED_WRITES = {
    ("plan", "plan"): {"id-token", "pull-requests"},  # OIDC; the plan comment
    ("preview", "deploy"): {"id-token"},
    ("preview", "destroy"): {"id-token"},
    ("preview", "stale"): {"id-token"},
    ("preview", "sweep"): {"id-token"},
    ("release", "staging"): {"id-token"},
    ("release", "production"): {"id-token"},
    ("gameday", "gameday"): {"id-token"},
}
MAKE_CALL = re.compile(r"(?:^|[;&|(][ \t]*|[ \t])make[ \t]+((?:[a-z][a-z-]*[ \t]*)+)", re.MULTILINE)
SHA_PIN = re.compile(r"^\s*-?\s*uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+(?:\.\d+)*$")


def _jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [(name, job_id, job) for name, wf in WORKFLOWS.items() for job_id, job in wf["jobs"].items()]


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def _make_targets_called(job: dict[str, Any]) -> set[str]:
    targets: set[str] = set()
    for step in _steps(job):
        for match in MAKE_CALL.finditer(step.get("run", "")):
            targets.update(word for word in match.group(1).split() if "=" not in word)
    return targets


def _makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))


def _touches_aws(job: dict[str, Any]) -> bool:
    uses = " ".join(step.get("uses", "") for step in _steps(job))
    runs = " ".join(step.get("run", "") for step in _steps(job))
    return bool(_make_targets_called(job) & AWS_TARGETS) or CONFIGURE_AWS in uses or "deploy.previews" in runs


def _ci_target(job: dict[str, Any]) -> str | None:
    for step in _steps(job):
        match = re.search(r"-m deploy\.ci_target (\w+|\"\$TARGET\")", step.get("run", ""))
        if match:
            return match.group(1)
    return None


def test_the_five_workflows_exist() -> None:
    assert set(WORKFLOWS) == {"checks", "plan", "preview", "release", "gameday"}


def test_workflows_call_only_make_targets_that_exist() -> None:
    called = {target for _, _, job in _jobs() for target in _make_targets_called(job)}
    setup = yaml.safe_load(SETUP_ACTION.read_text())
    called |= {
        t for _, script in run_scripts(setup) for m in MAKE_CALL.finditer(script) for t in m.group(1).split()
    }
    assert called >= {"lint", "test-unit", "test", "plan", "deploy", "destroy", "test-integration", "gameday"}
    assert called - _makefile_targets() == set()


def test_checks_run_the_same_commands_as_ci_on_pull_requests_and_pushes() -> None:
    checks = WORKFLOWS["checks"]
    triggers = checks[True] if True in checks else checks["on"]  # YAML 1.1 reads `on` as True
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    assert {job_id: _make_targets_called(job) for job_id, job in checks["jobs"].items()} == {
        "lint": {"lint"},
        "unit": {"test-unit"},
        "emulator": {"test"},
    }
    # The emulator job leaves out exactly the stages the two jobs before it run.
    (run,) = [s["run"] for s in _steps(checks["jobs"]["emulator"]) if "make test" in s.get("run", "")]
    assert run.strip() == 'make test TEST_SKIP="lint unit"'
    ci_run = (ROOT / ".ci" / "run").read_text()
    assert "exec make test" in ci_run


def test_every_job_that_touches_aws_uses_oidc_with_a_role_from_a_repository_variable() -> None:
    aws_jobs = [(name, job_id, job) for name, job_id, job in _jobs() if _touches_aws(job)]
    assert {(n, j) for n, j, _ in aws_jobs} == set(NEEDED_WRITES)
    for name, job_id, job in aws_jobs:
        assert job["permissions"].get("id-token") == "write", (name, job_id)
        configure = [s for s in _steps(job) if s.get("uses", "").startswith(CONFIGURE_AWS)]
        assert len(configure) == 1, (name, job_id)
        role = configure[0]["with"]["role-to-assume"]
        assert re.fullmatch(r"\$\{\{ vars\.(AWS_\w+_ROLE_ARN) \}\}", role), (name, job_id, role)
        assert role[9:-3] in ROLE_VARIABLES
        deploys = bool(_make_targets_called(job) & DEPLOYING_TARGETS)
        expected = {"role-to-assume", "role-session-name", "aws-region"} | (
            {"role-duration-seconds"} if deploys else set()
        )
        assert set(configure[0]["with"]) == expected, (name, job_id)
        if deploys:  # an apply may outlast an hour; never longer than the role allows
            assert configure[0]["with"]["role-duration-seconds"] == DEPLOY_SESSION_SECONDS
        # The job does not start when the repository has no role: forks and new clones stay green.
        assert f"vars.{role[9:-3]} != ''" in job.get("if", "") or "needs" in job, (name, job_id)


def test_no_aws_keys_or_secrets_anywhere_in_the_workflows() -> None:
    text = "\n".join(p.read_text() for p in GITHUB.rglob("*.yml"))
    for forbidden in (
        "aws-access-key-id",
        "aws-secret-access-key",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET",
        "secrets.",
    ):
        assert forbidden not in text, forbidden


def test_pull_request_jobs_with_aws_run_only_for_this_repositorys_branches() -> None:
    """A fork's pull request must never run its code with this repository's roles."""
    for name, job_id, job in _jobs():
        if _touches_aws(job) and name in ("plan", "preview") and job_id in ("plan", "deploy", "destroy"):
            assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"], job_id


def test_no_job_has_a_write_permission_it_does_not_need() -> None:
    for name, workflow in WORKFLOWS.items():
        assert workflow["permissions"] == {}, name  # nothing by default; each job says what it needs
    for name, job_id, job in _jobs():
        permissions = job["permissions"]
        writes = {scope for scope, level in permissions.items() if level == "write"}
        assert writes == NEEDED_WRITES.get((name, job_id), set()), (name, job_id, writes)
        assert permissions.get("contents") == "read", (name, job_id)


def test_every_job_that_deploys_has_a_concurrency_group_shared_per_environment() -> None:
    groups: dict[str, set[str]] = {}
    for name, job_id, job in _jobs():
        if not _make_targets_called(job) & DEPLOYING_TARGETS:
            continue
        concurrency = job["concurrency"]
        assert concurrency["cancel-in-progress"] is False, (name, job_id)  # never stop an apply halfway
        groups.setdefault(_ci_target(job) or "", set()).add(concurrency["group"])
    assert groups == {
        "staging": {"deploy-staging"},  # the release's staging deploy and the game day
        "prod": {"deploy-production"},
        "preview": {"preview-pr${{ github.event.pull_request.number }}", "preview-${{ matrix.suffix }}"},
    }
    sweep = WORKFLOWS["preview"]["jobs"]["sweep"]
    assert sweep["strategy"]["matrix"]["suffix"] == "${{ fromJSON(needs.stale.outputs.suffixes) }}"


def test_only_previews_are_ever_destroyed_and_prod_waits_for_its_reviewers() -> None:
    for name, job_id, job in _jobs():
        if "destroy" in _make_targets_called(job):
            assert _ci_target(job) == "preview" and job["environment"] == "preview", (name, job_id)
    release = WORKFLOWS["release"]["jobs"]
    assert release["production"]["needs"] == "staging"
    assert release["production"]["environment"] == "production"
    assert _ci_target(release["production"]) == "prod"
    assert "test-integration" not in _make_targets_called(release["production"])  # no test data in prod


def test_each_aws_job_presents_a_subject_its_role_trusts() -> None:
    """The role's trust policy (lib/ci_bootstrap_config.py ROLE_SUBJECTS) names the token's
    subject: environment:<name> for a job with an environment, pull_request for the plan (which
    must not use an environment: staging's would give a pull request the release role)."""
    kinds = ROLE_KINDS
    used: dict[str, set[str]] = {}
    for name, job_id, job in _jobs():
        if not _touches_aws(job):
            continue
        role = next(s for s in _steps(job) if s.get("uses", "").startswith(CONFIGURE_AWS))["with"]
        kind = kinds[role["role-to-assume"].removeprefix("${{ vars.").removesuffix(" }}")]
        subject = f"environment:{job['environment']}" if "environment" in job else "pull_request"
        assert subject in ROLE_SUBJECTS[kind], (name, job_id, subject)
        used.setdefault(kind, set()).add(subject)
    assert used == {kind: set(subjects) for kind, subjects in ROLE_SUBJECTS.items()}  # none trusted idly
    assert WORKFLOWS["release"]["jobs"]["production"]["environment"] == "production"


def test_the_game_day_rehearses_staging_and_keeps_its_report() -> None:
    job = WORKFLOWS["gameday"]["jobs"]["gameday"]
    triggers = WORKFLOWS["gameday"][True]
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    assert _ci_target(job) == "staging"
    # A target without a domain is refused before the job reaches AWS (deploy/ci_target.py).
    assert any("-m deploy.ci_target staging --for gameday" in s.get("run", "") for s in _steps(job))
    assert [t for s in _steps(job) for t in _make_targets_called({"steps": [s]})] == [
        "outputs",
        "gameday",
        "dr-report",
    ]
    upload = next(s for s in _steps(job) if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()" and "cfn-outputs/gameday-report.json" in upload["with"]["path"]


def _step_calling(job: dict[str, Any], target: str) -> dict[str, Any] | None:
    return next((s for s in _steps(job) if target in _make_targets_called({"steps": [s]})), None)


def test_time_limits_fit_inside_the_role_sessions_and_an_apply_may_pass_an_hour() -> None:
    """A job that stops at 60 minutes killed an apply the code says may take longer, and left
    the state lock; a session that ends before the job leaves nothing to release it with."""
    for name, job_id, job in _jobs():
        if not _touches_aws(job):
            continue
        role = next(s for s in _steps(job) if s.get("uses", "").startswith(CONFIGURE_AWS))["with"]
        session = int(role.get("role-duration-seconds", PLAN_SESSION_SECONDS))
        assert job["timeout-minutes"] * 60 < session, (name, job_id)
        for target in ("deploy", "destroy"):
            step = _step_calling(job, target)
            if step is not None:
                assert step["timeout-minutes"] == TERRAFORM_STEP_MINUTES, (name, job_id, target)
                assert 60 < step["timeout-minutes"] < job["timeout-minutes"], (name, job_id)
    assert WORKFLOWS["plan"]["jobs"]["plan"]["timeout-minutes"] * 60 < PLAN_SESSION_SECONDS


def test_a_cancelled_or_failed_terraform_job_releases_the_lock_it_holds() -> None:
    for name, job_id, job in _jobs():
        if not _make_targets_called(job) & {"deploy", "destroy"}:
            continue
        steps = _steps(job)
        unlock = [i for i, s in enumerate(steps) if "unlock" in _make_targets_called({"steps": [s]})]
        assert len(unlock) == 1, (name, job_id)
        assert steps[unlock[0]]["if"] == "cancelled() || failure()", (name, job_id)
        terraform = [
            i for i, s in enumerate(steps) if _make_targets_called({"steps": [s]}) & {"deploy", "destroy"}
        ]
        assert max(terraform) < unlock[0], (name, job_id)


def test_every_terraform_job_keeps_its_logs_even_when_it_fails_and_never_a_json_plan() -> None:
    for name, job_id, job in _jobs():
        if not _make_targets_called(job) & {"deploy", "destroy", "plan", "gameday"}:
            continue
        uploads = [s for s in _steps(job) if s.get("uses", "").startswith("actions/upload-artifact@")]
        assert len(uploads) == 1, (name, job_id)
        upload = uploads[0]
        paths = upload["with"]["path"].split()
        assert upload["if"] == "always()", (name, job_id)
        assert ".cache/logs/" in paths and "!.cache/logs/*-show.log" in paths, (name, job_id)
        assert "${{ github.run_attempt }}" in upload["with"]["name"], (name, job_id)  # a re-run's own


def test_only_the_production_job_holds_the_production_role_and_a_pull_request_plans_staging_only() -> None:
    """On pull_request GitHub runs the branch's copy of the workflow: its role must not read prod."""
    for name, job_id, job in _jobs():
        text = yaml.safe_dump(job)
        if "AWS_PRODUCTION_ROLE_ARN" in text:
            assert (name, job_id) == ("release", "production")
        if name in ("plan", "preview"):
            assert _ci_target(job) in (None, "preview", '"$TARGET"'), (name, job_id)
    plan = WORKFLOWS["plan"]["jobs"]["plan"]
    assert plan["env"]["TARGET"] == "staging" and "strategy" not in plan
    production = WORKFLOWS["release"]["jobs"]["production"]
    assert [t for s in _steps(production) for t in sorted(_make_targets_called({"steps": [s]}))] == [
        "plan",
        "deploy",
        "dr-report",
        "unlock",
    ]


def test_every_aws_job_passes_the_state_key() -> None:
    for name, job_id, job in _jobs():
        if _touches_aws(job) and _ci_target(job):
            assert job["env"]["TERRAFORM_STATE_KEY_ARN"] == "${{ vars.TERRAFORM_STATE_KEY_ARN }}", (
                name,
                job_id,
            )


def test_a_preview_redeploys_on_its_own_label_only() -> None:
    deploy = WORKFLOWS["preview"]["jobs"]["deploy"]
    assert "(github.event.action != 'labeled' || github.event.label.name == 'preview')" in deploy["if"]


def test_the_setup_action_says_what_it_installs_and_deploy_jobs_skip_the_dev_tools() -> None:
    action = yaml.safe_load(SETUP_ACTION.read_text())
    node = next(s for s in action["runs"]["steps"] if s.get("uses", "").startswith("actions/setup-node@"))
    major = node["with"]["node-version"]
    assert f"Node.js {major}," in " ".join(action["description"].split())
    installs = {s["if"]: s["run"] for s in action["runs"]["steps"] if s.get("run", "").startswith("make ")}
    assert installs == {
        "inputs.tools == 'all'": "make install",
        "inputs.tools == 'deploy'": "make install-deploy",
    }
    for name, job_id, job in _jobs():
        setup = next(s for s in _steps(job) if s.get("uses") == "$/.github/actions/setup")
        tools = setup.get("with", {}).get("tools", "all")
        assert tools == ("all" if name == "checks" else "deploy"), (name, job_id)


def test_dependabot_keeps_every_pin_current() -> None:
    config = yaml.safe_load((GITHUB / "dependabot.yml").read_text())
    covered = {
        (u["package-ecosystem"], d)
        for u in config["updates"]
        for d in u.get("directories", [u.get("directory")])
    }
    assert ("github-actions", "/") in covered and ("github-actions", "/.github/actions/setup") in covered
    assert {("pip", "/"), ("pip", "/scripts"), ("npm", "/")} <= covered
    assert all(u["cooldown"]["default-days"] >= 7 for u in config["updates"])


def test_third_party_actions_are_pinned_to_a_commit_with_its_tag_and_checkout_keeps_no_token() -> None:
    for path in [*WORKFLOW_FILES, SETUP_ACTION]:
        for line in path.read_text().splitlines():
            if re.match(r"^\s*-?\s*uses:", line) and "$/" not in line:
                assert SHA_PIN.match(line), f"{path.name}: {line.strip()}"
    for name, job_id, job in _jobs():
        for step in _steps(job):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, (name, job_id)


def test_the_setup_action_caches_only_when_asked_and_deploying_workflows_never_ask() -> None:
    action = yaml.safe_load(SETUP_ACTION.read_text())
    cache_step = next(s for s in action["runs"]["steps"] if s.get("uses", "").startswith("actions/cache@"))
    assert cache_step["if"] == "inputs.cache == 'true'"
    for name, job_id, job in _jobs():
        for step in _steps(job):
            if step.get("uses") == "$/.github/actions/setup":
                asked = step.get("with", {}).get("cache") == "true"
                assert asked == (name == "checks"), (name, job_id)


def _run_step(
    job: dict[str, Any], step_id: str, tmp_path: Path, gh: str, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    """The step's script as GitHub runs ``shell: bash`` (``bash --noprofile --norc -eo pipefail``),
    with fakes for ``gh`` and the project's python that record their arguments."""
    script = next(s["run"] for s in _steps(job) if step_id in (s.get("id"), s.get("name")))
    bin_dir, venv = tmp_path / "bin", tmp_path / ".venv" / "bin"
    bin_dir.mkdir()
    venv.mkdir(parents=True)
    (bin_dir / "gh").write_text(f"#!/usr/bin/env bash\n{gh}\n")
    (venv / "python").write_text('#!/usr/bin/env bash\necho "$@" >> "$CALLS"\necho \'["pr7"]\'\n')
    for tool in (bin_dir / "gh", venv / "python"):
        tool.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "CALLS": str(tmp_path / "calls"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "REPOSITORY": "acme/payments-dr",
        "BUCKET": "acme-state",
        "REGION": "us-east-2",
        **extra_env,
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_sweep_passes_every_open_pull_request_and_outputs_the_stale_list(tmp_path: Path) -> None:
    job = WORKFLOWS["preview"]["jobs"]["stale"]
    result = _run_step(job, "stale", tmp_path, "printf '12\\n15\\n'")
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "calls").read_text()
    assert calls == "-m deploy.previews stale --bucket acme-state --region us-east-2 --open 12 15\n"
    assert (tmp_path / "output").read_text() == 'suffixes=["pr7"]\n'


def test_the_sweep_stops_when_the_open_pull_requests_cannot_be_listed(tmp_path: Path) -> None:
    """An empty list would make every open pull request's preview stale and destroy it."""
    job = WORKFLOWS["preview"]["jobs"]["stale"]
    result = _run_step(job, "stale", tmp_path, "echo 'HTTP 502' >&2; exit 1")
    assert result.returncode != 0
    assert not (tmp_path / "calls").exists() and not (tmp_path / "output").exists()


@pytest.mark.parametrize(("existing", "expected"), [("", "pr comment 42"), ("987", "api --method PATCH")])
def test_the_plan_comment_is_updated_in_place_or_created_once(
    tmp_path: Path, existing: str, expected: str
) -> None:
    (tmp_path / "cfn-outputs").mkdir()
    (tmp_path / "cfn-outputs" / "plan-staging.md").write_text(
        "<!-- terraform-plan: TapStackstaging -->\nNo changes.\n"
    )
    # `gh api --paginate` lists the comments (the one holding the marker, if any); any other
    # call is recorded.
    gh = (
        f'if [ "$2" = --paginate ]; then echo "$@" >> "$CALLS.list"; echo "{existing}"; '
        'else echo "$@" >> "$CALLS"; fi'
    )
    job = WORKFLOWS["plan"]["jobs"]["plan"]
    result = _run_step(
        job,
        "post the plan",
        tmp_path,
        gh,
        PR="42",
        TARGET="staging",
        GITHUB_STEP_SUMMARY=str(tmp_path / "sum"),
    )
    assert result.returncode == 0, result.stderr
    (call,) = (tmp_path / "calls").read_text().splitlines()
    assert call.startswith(expected)
    if existing:
        comment = f"repos/acme/payments-dr/issues/comments/{existing}"
        assert call == f"api --method PATCH {comment} -F body=@cfn-outputs/plan-staging.md"
    listing = (tmp_path / "calls.list").read_text()
    assert 'startswith("<!-- terraform-plan: TapStackstaging -->")' in listing
    assert (tmp_path / "sum").read_text().endswith("No changes.\n")


# --- the offline gate catches real mistakes ----------------------------------------------------


def _lint_copy(tmp_path: Path, workflow: str, edit: tuple[str, str]) -> subprocess.CompletedProcess[str]:
    shutil.copytree(GITHUB, tmp_path / ".github")
    path = tmp_path / ".github" / "workflows" / workflow
    text = path.read_text()
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.lint_workflows",
            "--root",
            str(tmp_path),
            "--tools",
            str(POLICY_TOOLS),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def test_the_committed_workflows_pass_the_gate(tmp_path: Path) -> None:
    result = _lint_copy(tmp_path, "checks.yml", ("make lint", "make lint"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 workflows, 1 local actions: schema, zizmor, shellcheck ok" in result.stdout


@pytest.mark.parametrize(
    ("workflow", "edit", "finding"),
    [
        # A pull request title is attacker-controlled: expanded into a script, it is code.
        (
            "plan.yml",
            ('cat "$summary" >> "$GITHUB_STEP_SUMMARY"', 'echo "${{ github.event.pull_request.title }}"'),
            "template-injection",
        ),
        # A typo in a key GitHub would reject at run time.
        ("release.yml", ("timeout-minutes: 110", "timeout-minute: 110"), "schema vendor.github-workflows"),
        # An unquoted expansion splits on spaces (SC2086).
        ("plan.yml", ('head -n 1 "$summary"', "head -n 1 $summary"), "SC2086"),
        # A tag instead of a commit: whoever moves the tag runs code with the deploy role.
        (
            "release.yml",
            (
                "aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502 # v4.0.2",
                "aws-actions/configure-aws-credentials@v4",
            ),
            "unpinned-uses",
        ),
    ],
)
def test_the_gate_fails_on_a_defect(
    tmp_path: Path, workflow: str, edit: tuple[str, str], finding: str
) -> None:
    result = _lint_copy(tmp_path, workflow, edit)
    assert result.returncode == 1
    assert finding in result.stdout + result.stderr


def test_shell_text_replaces_expressions_with_a_word() -> None:
    assert (
        shell_text('echo "${{ github.sha }}" ${{ x }}')
        == '#!/usr/bin/env bash\necho "GITHUB_EXPRESSION" GITHUB_EXPRESSION'
    )
    workflow = {"jobs": {"a": {"steps": [{"uses": "x"}, {"name": "n", "run": "make lint"}]}}}
    assert list(run_scripts(workflow)) == [("jobs.a.steps[1] (n)", "make lint")]
    action = {"runs": {"steps": [{"run": "make install", "shell": "bash"}]}}
    assert list(run_scripts(action)) == [("runs.steps[0] ()", "make install")]

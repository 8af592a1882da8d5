"""deploy/plan_summary.py and `python -m deploy.aws plan`: the pull request's read-only plan.

The summary is read from hand-written `terraform show -json` documents; the plan itself runs real
Terraform offline on a stack of built-in `terraform_data` resources (no provider to download).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from deploy import aws, preflight_aws
from deploy.plan_summary import MAX_LISTED, changed_outputs, changed_resources, marker, summarize
from deploy.terraform_runner import LocalState, RunError, Runner

STACK = "TapStackpr12"


def _plan(*changes: tuple[str, list[str]], outputs: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {
        "format_version": "1.2",
        "resource_changes": [{"address": a, "change": {"actions": actions}} for a, actions in changes],
        "output_changes": {name: {"actions": actions} for name, actions in (outputs or {}).items()},
    }


MIXED = _plan(
    ("aws_dynamodb_table.payments", ["no-op"]),
    ("data.aws_caller_identity.caller", ["read"]),
    ("aws_sns_topic.alarms", ["create"]),
    ("aws_lambda_function.api", ["update"]),
    ("aws_kms_key.data", ["delete", "create"]),
    ("aws_s3_bucket.receipts", ["create", "delete"]),
    ("aws_cloudwatch_log_group.old", ["delete"]),
    ("aws_iam_role.gone", ["forget"]),
    outputs={"api_url": ["update"], "name_servers": ["no-op"], "table": ["create"]},
)


def test_the_count_line_tells_replace_from_change_and_ignores_no_ops_and_reads():
    assert changed_resources(MIXED) == {
        "add": ["aws_sns_topic.alarms"],
        "change": ["aws_lambda_function.api"],
        "replace": ["aws_kms_key.data", "aws_s3_bucket.receipts"],  # both orders
        "destroy": ["aws_cloudwatch_log_group.old"],
        "forget": ["aws_iam_role.gone"],  # listed by Terraform's name, not counted
    }
    assert changed_outputs(MIXED) == 2
    lines = summarize(MIXED, STACK).splitlines()
    assert lines[:4] == [
        marker(STACK),
        f"### Terraform plan: `{STACK}`",
        "",
        "**1 to add, 1 to change, 2 to replace, 1 to destroy**; 2 output changes",
    ]


def test_what_is_destroyed_or_replaced_comes_first_then_every_change_by_action():
    text = summarize(MIXED, STACK)
    warning = (
        ":warning: **3 destroyed or replaced:** `aws_cloudwatch_log_group.old` (destroy), "
        "`aws_kms_key.data` (replace), `aws_s3_bucket.receipts` (replace)"
    )
    assert text.splitlines()[5] == warning
    details = text[text.index("<details>") :]
    assert details == (
        "<details><summary>6 changed resources</summary>\n\n"
        "**destroy** (1)\n- `aws_cloudwatch_log_group.old`\n\n"
        "**replace** (2)\n- `aws_kms_key.data`\n- `aws_s3_bucket.receipts`\n\n"
        "**add** (1)\n- `aws_sns_topic.alarms`\n\n"
        "**change** (1)\n- `aws_lambda_function.api`\n\n"
        "**forget** (1)\n- `aws_iam_role.gone`\n\n"
        "</details>\n"
    )
    assert text.index(warning) < text.index("<details>")


def test_without_destroys_there_is_no_warning():
    text = summarize(_plan(("aws_sns_topic.alarms", ["create"]), outputs={"x": ["create"]}), STACK)
    assert "**1 to add, 0 to change, 0 to replace, 0 to destroy**; 1 output change\n" in text
    assert ":warning:" not in text
    assert "<details><summary>1 changed resource</summary>" in text


def test_no_changes():
    unchanged = _plan(("aws_kms_key.data", ["no-op"]), outputs={"api_url": ["no-op"]})
    for plan in (unchanged, {"format_version": "1.2"}, {"resource_changes": None, "output_changes": None}):
        assert summarize(plan, STACK) == f"{marker(STACK)}\n### Terraform plan: `{STACK}`\n\nNo changes.\n"


def test_only_outputs_change():
    text = summarize(_plan(outputs={"api_url": ["update"]}), STACK)
    assert "**0 to add, 0 to change, 0 to replace, 0 to destroy**; 1 output change" in text
    assert "<details>" not in text and "No changes." not in text


def test_the_lists_stop_at_the_cap_with_how_many_more():
    creates = [(f"aws_sns_topic.t{n}", ["create"]) for n in range(MAX_LISTED + 50)]
    deletes = [(f"aws_s3_object.o{n}", ["delete"]) for n in range(MAX_LISTED + 5)]
    text = summarize(_plan(*creates, *deletes), STACK)
    assert f"**{MAX_LISTED + 50} to add, 0 to change, 0 to replace, {MAX_LISTED + 5} to destroy**" in text
    warning = next(line for line in text.splitlines() if line.startswith(":warning:"))
    assert warning.count("(destroy)") == MAX_LISTED and warning.endswith(" _… and 5 more_")
    details = text[text.index("<details>") :]
    assert details.count("\n- `") == MAX_LISTED  # the destroys fill the list: no add is shown
    assert f"**destroy** ({MAX_LISTED + 5})" in details and "**add**" not in details
    assert f"_… and {MAX_LISTED + 55} more_" in details


def test_the_cap_can_fall_inside_a_later_group():
    deletes = [(f"aws_s3_object.o{n}", ["delete"]) for n in range(MAX_LISTED - 2)]
    creates = [(f"aws_sns_topic.t{n}", ["create"]) for n in range(5)]
    details = summarize(_plan(*deletes, *creates), STACK).split("<details>")[1]
    assert "**add** (5)\n- `aws_sns_topic.t0`\n- `aws_sns_topic.t1`\n\n_… and 3 more_" in details


def test_an_address_with_a_backtick_stays_inline_code():
    text = summarize(_plan(('aws_s3_object.o["a`b"]', ["create"])), STACK)
    assert '- `` aws_s3_object.o["a`b"] ``' in text


# --- the plan on Terraform ------------------------------------------------------------------------

STATE = {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "x", "outputs": {}}


def _stack(runner: Runner, resources: dict[str, Any]) -> None:
    """A stack of built-in terraform_data resources with a local backend (offline)."""
    runner.stack_dir.mkdir(parents=True, exist_ok=True)
    assert runner.local_state is not None
    config = {
        "terraform": {"backend": {"local": {"path": str(runner.local_state.path)}}},
        "resource": {"terraform_data": resources},
        "output": {"greeting": {"value": "hello"}},
    }
    (runner.stack_dir / "cdk.tf.json").write_text(json.dumps(config))


def _runner(tmp_path: Path, env: dict[str, str] | None = None) -> Runner:
    base = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    local = LocalState(tmp_path / f"terraform.{STACK}.tfstate")
    return Runner(
        STACK, tmp_path / "out", env={**base, **(env or {})}, logs=tmp_path / "logs", local_state=local
    )


def test_a_plan_with_changes_exits_2_and_is_read_back_as_json(tmp_path):
    runner = _runner(tmp_path)
    _stack(runner, {"a": {"input": "x"}})
    runner.init()
    out = runner.stack_dir / "tfplan"
    assert runner.plan(out) == 2
    assert summarize(runner.show_json(out), STACK).splitlines()[3] == (
        "**1 to add, 0 to change, 0 to replace, 0 to destroy**; 1 output change"
    )
    # A saved plan of nothing to do: exit 0.
    runner.terraform("apply.log", "apply", "-auto-approve")
    assert runner.plan(out) == 0
    assert "No changes." in summarize(runner.show_json(out), STACK)


def test_a_plan_takes_no_lock_and_neither_backs_up_nor_writes_the_state(tmp_path):
    runner = _runner(tmp_path)
    _stack(runner, {"a": {"input": "x"}})
    runner.init()
    runner.terraform("apply.log", "apply", "-auto-approve")
    state = runner.local_state.path.read_bytes()
    _stack(runner, {"a": {"input": "y", "triggers_replace": "2"}, "b": {"input": "z"}})
    assert runner.plan(runner.stack_dir / "tfplan") == 2
    assert runner.local_state.path.read_bytes() == state  # not refreshed into the state
    assert not runner.local_state.backups.exists()  # an apply's backup, not a plan's
    assert "replace" in changed_resources(runner.show_json(runner.stack_dir / "tfplan"))


def test_a_failed_plan_is_one_line_naming_its_log(tmp_path, capsys):
    runner = _runner(tmp_path)
    _stack(runner, {"a": {"input": "${var.missing}"}})
    runner.init()
    with pytest.raises(RunError, match=r"^terraform plan exited 1 \(full log: .*logs/plan\.log\)$"):
        runner.plan(runner.stack_dir / "tfplan")
    assert "|" in capsys.readouterr().err  # the log's tail, for the cause


FAKE_TERRAFORM = """#!{python}
import json, os, sys
with open(os.environ["FAKE_TF_CALLS"], "a") as calls:
    calls.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[2] == "plan":
    sys.exit(int(os.environ["FAKE_TF_PLAN_EXIT"]))
if sys.argv[2] == "show":
    print(os.environ["FAKE_TF_SHOW"])
"""


def _fake_terraform(tmp_path: Path, plan_exit: int) -> tuple[dict[str, str], Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    terraform = bin_dir / "terraform"
    terraform.write_text(FAKE_TERRAFORM.format(python=sys.executable))
    terraform.chmod(0o755)
    calls = tmp_path / "calls.jsonl"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_TF_CALLS": str(calls),
        "FAKE_TF_PLAN_EXIT": str(plan_exit),
        "FAKE_TF_SHOW": json.dumps(MIXED),
    }
    return env, calls


@pytest.mark.parametrize("plan_exit", [0, 2])
def test_the_plan_command_line(tmp_path, plan_exit):
    env, calls = _fake_terraform(tmp_path, plan_exit)
    runner = _runner(tmp_path, env)
    runner.stack_dir.mkdir(parents=True)
    summary = tmp_path / "md" / "plan.md"
    text = aws.plan(runner, summary)
    assert summary.read_text() == text == summarize(MIXED, STACK)
    plan_file = str(runner.stack_dir / "tfplan")
    chdir = f"-chdir={runner.stack_dir}"
    assert [json.loads(line) for line in calls.read_text().splitlines()] == [
        [
            chdir,
            "plan",
            "-lock=false",
            f"-out={plan_file}",
            "-detailed-exitcode",
            "-no-color",
            "-input=false",
        ],
        [chdir, "show", "-json", plan_file, "-no-color"],
    ]


def test_a_failing_plan_writes_no_summary(tmp_path):
    env, calls = _fake_terraform(tmp_path, 1)
    runner = _runner(tmp_path, env)
    runner.stack_dir.mkdir(parents=True)
    with pytest.raises(RunError, match=r"^terraform plan exited 1 \(full log: .*plan\.log\)$"):
        aws.plan(runner, tmp_path / "plan.md")
    assert not (tmp_path / "plan.md").exists()
    assert len(calls.read_text().splitlines()) == 1  # no show


# --- python -m deploy.aws plan --------------------------------------------------------------------


def test_run_plan_checks_synthesizes_plans_and_prints_the_summary(tmp_path, monkeypatch, capsys):
    runner = _runner(tmp_path)
    modes: list[str] = []
    identities: list[dict[str, Any]] = []

    def preflight(mode: str, env: dict[str, str], client: Any) -> preflight_aws.Report:
        modes.append(mode)
        return preflight_aws.Report(notes=["plan as arn:aws:sts::123456789012:assumed-role/plan"])

    def synth_checked(identity: dict[str, Any], *, deployed: bool) -> None:
        identities.append(identity)
        _stack(runner, {"a": {"input": "x"}})
        runner.init()

    monkeypatch.setattr(preflight_aws, "run", preflight)
    monkeypatch.setattr(aws, "runner_for", lambda config, env: runner)
    monkeypatch.setattr(runner, "synth_checked", synth_checked)
    summary = tmp_path / "plan.md"
    aws.run("plan", {"ENVIRONMENT_SUFFIX": "pr12"}, flat_outputs=tmp_path / "flat.json", summary=summary)
    out = capsys.readouterr().out
    assert modes == ["plan"] and identities[0]["suffix"] == "pr12"
    assert "preflight: plan as arn:aws:sts::123456789012:assumed-role/plan" in out
    assert summary.read_text() in out and f"wrote {summary}" in out
    assert "1 to add" in summary.read_text()
    assert not (tmp_path / "flat.json").exists()
    assert not runner.local_state.path.exists()  # nothing deployed, and a plan writes nothing


def test_run_plan_stops_at_the_preflight(monkeypatch):
    monkeypatch.setattr(
        preflight_aws, "run", lambda mode, env, client: preflight_aws.Report(errors=["one", "two"])
    )
    with pytest.raises(RunError, match=r"^one; two$"):
        aws.run("plan", {})


def test_main_plan_passes_the_summary_path_and_exits_0_or_1(tmp_path, monkeypatch, capsys):
    seen: list[tuple[str, Path]] = []

    def run(mode: str, env: dict[str, str], summary: Path) -> None:
        seen.append((mode, summary))

    monkeypatch.setattr(aws, "run", run)
    assert aws.main(["plan", "--summary", str(tmp_path / "p.md")]) == 0
    assert aws.main(["plan"]) == 0
    assert seen == [("plan", tmp_path / "p.md"), ("plan", aws.PLAN_SUMMARY)]
    assert aws.PLAN_SUMMARY == aws.ROOT / "cfn-outputs" / "plan.md"

    def failing(mode: str, env: dict[str, str], summary: Path) -> None:
        raise RunError("terraform plan exited 1 (full log: .cache/logs/plan.log)")

    monkeypatch.setattr(aws, "run", failing)
    assert aws.main(["plan"]) == 1
    assert capsys.readouterr().err == "error: terraform plan exited 1 (full log: .cache/logs/plan.log)\n"


def test_main_refuses_a_summary_for_another_mode(capsys):
    with pytest.raises(SystemExit) as exit_info:
        aws.main(["deploy", "--summary", "x.md"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "error: --summary is for plan, not deploy\n"


# --- python -m deploy.aws outputs ------------------------------------------------------------------


def _outputs_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outputs: dict[str, Any]) -> list[str]:
    runner = _runner(tmp_path)
    modes: list[str] = []

    def preflight(mode: str, env: dict[str, str], client: Any) -> preflight_aws.Report:
        modes.append(mode)
        return preflight_aws.Report()

    monkeypatch.setattr(preflight_aws, "run", preflight)
    monkeypatch.setattr(aws, "runner_for", lambda config, env: runner)
    monkeypatch.setattr(runner, "synth_checked", lambda identity, *, deployed: None)
    monkeypatch.setattr(runner, "apply", lambda: pytest.fail("outputs must not apply"))
    monkeypatch.setattr(runner, "outputs", lambda: outputs)
    aws.run("outputs", {"ENVIRONMENT_SUFFIX": "staging"}, flat_outputs=tmp_path / "flat.json")
    return modes


def test_run_outputs_writes_the_deployed_outputs_without_applying(tmp_path, monkeypatch):
    modes = _outputs_run(tmp_path, monkeypatch, {"primary_region": "us-east-1"})
    assert modes == ["plan"]  # the configuration, credentials and the state bucket; no deploy checks
    assert json.loads((tmp_path / "flat.json").read_text()) == {"primary_region": "us-east-1"}


def test_run_outputs_of_nothing_deployed_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    with pytest.raises(RunError, match=r"^TapStack\w+ has no outputs in its state: nothing is deployed"):
        _outputs_run(tmp_path, monkeypatch, {})
    assert not (tmp_path / "flat.json").exists()

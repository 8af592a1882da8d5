#!/usr/bin/env python3
"""`make deploy` / `make destroy` on REAL AWS: the account checked, then plain Terraform.

    python -m deploy.aws deploy     # preflight, synth, terraform apply, cfn-outputs/flat-outputs.json
    python -m deploy.aws destroy    # preflight, synth, terraform destroy, outputs removed
    python -m deploy.aws plan [--summary PATH]   # preflight, synth, terraform plan (read-only):
                                    # a markdown summary, printed and written (cfn-outputs/plan.md)
    python -m deploy.aws outputs    # preflight, synth, cfn-outputs/flat-outputs.json from the state
                                    # (a fresh CI runner before the game day; nothing changes)

The same steps as the local pipeline (flows/pipeline.py), with credentials instead of
the emulator: the first Ctrl-C lets the apply finish (a stopped create can be left in AWS but
not in the state), a second one or SIGTERM stops Terraform gracefully; creates an earlier apply
left unfinished are adopted; a local state is checked and backed up first; the deployment's
identity (suffix, profile, regions, account-settings owner) must match the one recorded at
deploy time, or nothing runs. Exit 1 with one line on any failure; the deployment stays as
Terraform left it, and a rerun converges.

A plan is what a pull request shows with a read-only role: it takes no state lock, neither backs
up nor writes the state, and exits 0 whether or not anything would change (1: it failed).
"""

from __future__ import annotations

import sys
from pathlib import Path

import boto3

from cli.args import ArgumentParser
from cli.outputs_file import FLAT_OUTPUTS, write_outputs
from deploy import preflight_aws
from deploy.plan_summary import summarize
from deploy.terraform_runner import ROOT, LocalState, RunError, Runner, clean_env
from lib.config import ConfigError, StackConfig

PLAN_SUMMARY = ROOT / "cfn-outputs" / "plan.md"
PLAN_FILE = "tfplan"  # in the stack directory


def runner_for(config: StackConfig, env: dict[str, str], root: Path = ROOT) -> Runner:
    stack = config.stack_id
    # Without TERRAFORM_STATE_BUCKET the LocalBackend writes terraform.<stack>.tfstate here.
    local = None if config.state_bucket else LocalState(root / f"terraform.{stack}.tfstate")
    return Runner(stack, root / "cdktf.out", env=env, logs=root / ".cache" / "logs", local_state=local)


def plan(runner: Runner, summary: Path) -> str:
    """``terraform plan`` (read-only) into the stack directory, summarized as markdown in
    ``summary``; returns the summary."""
    out = runner.stack_dir / PLAN_FILE
    runner.plan(out)
    text = summarize(runner.show_json(out), runner.stack)
    summary.parent.mkdir(parents=True, exist_ok=True)
    summary.write_text(text)
    return text


def run(
    mode: str, env: dict[str, str], flat_outputs: Path = FLAT_OUTPUTS, summary: Path = PLAN_SUMMARY
) -> None:
    # Reading the outputs needs what a plan needs: the configuration, credentials, the state.
    checks = "plan" if mode == "outputs" else mode
    report = preflight_aws.run(checks, env, lambda service, region: boto3.client(service, region_name=region))
    for note in report.notes:
        print(f"preflight: {note}")
    if report.errors:
        raise RunError("; ".join(report.errors))
    try:
        config = StackConfig.from_env(env)
    except ConfigError as error:  # the preflight already said so; kept for direct callers
        raise RunError(" ".join(str(error).split())) from None
    runner = runner_for(config, env)
    print(f"==> synth {runner.stack}, terraform init", flush=True)
    runner.synth_checked(config.identity, deployed=runner.stack_dir.exists())
    if mode == "plan":
        print("==> terraform plan (no lock, state untouched)", flush=True)
        print(plan(runner, summary), end="")
        print(f"wrote {summary}")
    elif mode in ("deploy", "outputs"):
        if mode == "deploy":
            print("==> terraform apply", flush=True)
            runner.apply()
        outputs = runner.outputs()
        if not outputs:
            raise RunError(f"{runner.stack} has no outputs in its state: nothing is deployed (make deploy)")
        write_outputs(flat_outputs, outputs)
        print(f"wrote {flat_outputs}")
    else:
        print("==> terraform destroy", flush=True)
        runner.destroy()
        flat_outputs.unlink(missing_ok=True)  # stale outputs would mislead every tool


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("deploy", "destroy", "plan", "outputs"))
    parser.add_argument(
        "--summary", type=Path, help="plan only: where the markdown goes (default cfn-outputs/plan.md)"
    )
    args = parser.parse_args(argv)
    if args.summary is not None and args.mode != "plan":
        parser.error(f"--summary is for plan, not {args.mode}")
    try:
        run(args.mode, clean_env(), summary=args.summary or PLAN_SUMMARY)
    except RunError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

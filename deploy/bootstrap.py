#!/usr/bin/env python3
"""The CI bootstrap (lib/ci_bootstrap.py): run ONCE, with administrator credentials, before the
GitHub Actions pipeline can reach AWS.

    GITHUB_REPOSITORY=owner/name python -m deploy.bootstrap synth    # offline, no credentials
    GITHUB_REPOSITORY=owner/name python -m deploy.bootstrap plan
    GITHUB_REPOSITORY=owner/name python -m deploy.bootstrap apply    # prints `gh variable set` lines
    GITHUB_REPOSITORY=owner/name python -m deploy.bootstrap destroy  # revokes the pipeline's access

Optional: STATE_BUCKET_REGION (default us-east-2, outside the DR pair), CREATE_OIDC_PROVIDER=false
(the account already has GitHub's provider), ``--out DIR`` (default .cache/ci-bootstrap: not
cdktf.out, the main app's output and manifest).

plan/apply/destroy run plain ``terraform -chdir=<stack dir>`` through deploy/terraform_runner.py
(a Ctrl-C lets an apply finish, the local state is checked and backed up first) on REAL AWS only:
an emulator endpoint in the environment is refused. The stack's own state is
``terraform.TapCiBootstrap.tfstate`` in the project root (lib/ci_bootstrap.py says how to move it
into the bucket). ``destroy`` removes the OIDC provider, roles and policies; the state bucket and
its key stay (prevent_destroy: they hold every environment's state). Exit 1 with one line on any
failure.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli.args import ArgumentParser
from deploy.terraform_runner import ROOT, LocalState, RunError, Runner, clean_env
from lib.ci_bootstrap_config import LOCAL_STATE_FILE, STACK_ID, BootstrapConfig
from lib.config import ConfigError

MODES = ("synth", "plan", "apply", "destroy")
DEFAULT_OUT = ROOT / ".cache" / "ci-bootstrap"
LOGS = ROOT / ".cache" / "logs" / "ci-bootstrap"
# What `destroy` removes: the pipeline's access. Everything else is the state bucket and its key.
ACCESS_TYPES = (
    "aws_iam_openid_connect_provider",
    "aws_iam_policy",
    "aws_iam_role",
    "aws_iam_role_policy_attachment",
)

CallerIdentity = Callable[[str], dict[str, Any]]


def stack_dir(outdir: Path) -> Path:
    return outdir / "stacks" / STACK_ID


def local_state_path(outdir: Path) -> str:
    """The LocalBackend's path, relative to the stack directory: the project root's state file
    (three levels up would be .cache/, which `make clean` deletes)."""
    return os.path.relpath(ROOT / LOCAL_STATE_FILE, stack_dir(outdir.resolve()))


def synth(config: BootstrapConfig, outdir: Path) -> Path:
    """Synthesize TapCiBootstrap into ``outdir``; returns its cdk.tf.json. Offline."""
    from lib.fast_provider_import import install  # noqa: PLC0415 - before the provider's import

    install()
    from cdktf import App  # noqa: PLC0415 - the slow jsii import, only for a valid configuration

    from lib.ci_bootstrap import CiBootstrapStack  # noqa: PLC0415

    app = App(outdir=str(outdir))
    CiBootstrapStack(app, STACK_ID, config=config, local_state_path=local_state_path(outdir))
    app.synth()
    return stack_dir(outdir) / "cdk.tf.json"


def github_commands(variables: dict[str, str]) -> list[str]:
    """One `gh variable set` per repository variable the workflows read."""
    return [
        f"gh variable set {name} --body {shlex.quote(value)}" for name, value in sorted(variables.items())
    ]


def access_addresses(synthesized: dict[str, Any]) -> list[str]:
    """The addresses ``destroy`` targets: the OIDC provider (when this stack made it), the roles,
    their policies and attachments."""
    resources = synthesized.get("resource", {})
    return [f"{type_}.{name}" for type_ in ACCESS_TYPES for name in sorted(resources.get(type_, {}))]


def endpoint_problem(env: dict[str, str]) -> str | None:
    endpoints = sorted(key for key, value in env.items() if key.startswith("AWS_ENDPOINT_URL") and value)
    if not endpoints:
        return None
    return f"{', '.join(endpoints)} set: the bootstrap targets real AWS only (unset it)"


def _caller_identity(region: str) -> dict[str, Any]:
    import boto3  # noqa: PLC0415 - only the AWS modes need it
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    try:
        return boto3.client("sts", region_name=region).get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        raise RunError(f"no usable AWS credentials ({' '.join(str(error).split())})") from None


def run(
    mode: str,
    env: dict[str, str],
    outdir: Path = DEFAULT_OUT,
    *,
    caller_identity: CallerIdentity = _caller_identity,
) -> None:
    if mode != "synth" and (problem := endpoint_problem(env)):
        raise RunError(problem)
    config = BootstrapConfig.from_env(env)
    if mode != "synth":
        identity = caller_identity(config.state_bucket_region)
        print(f"account {identity['Account']} as {identity['Arn']}", flush=True)
    print(f"==> synth {STACK_ID} into {outdir}", flush=True)
    stack_file = synth(config, outdir)
    print(f"synthesized {stack_file}")
    if mode == "synth":
        return
    runner = Runner(STACK_ID, outdir, env=env, logs=LOGS, local_state=LocalState(ROOT / LOCAL_STATE_FILE))
    print("==> terraform init", flush=True)
    runner.init()
    if mode == "plan":
        print(runner.terraform("plan.log", "plan", "-lock-timeout=60s")[1])
    elif mode == "apply":
        print("==> terraform apply", flush=True)
        runner.apply()
        variables = json.loads(runner.outputs()["github_variables"])
        print(f"Set the repository variables of {config.repository} (run in its clone):")
        print("\n".join(github_commands(variables)))
    else:
        targets = access_addresses(json.loads(stack_file.read_text()))
        print(f"==> terraform destroy of the pipeline's access ({len(targets)} resources)", flush=True)
        runner.guarded(
            "destroy.log", "destroy", "-auto-approve", "-lock-timeout=60s", *(f"-target={t}" for t in targets)
        )
        print("the state bucket and its key are kept (prevent_destroy)")


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=MODES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="synth output directory")
    args = parser.parse_args(argv)
    try:
        run(args.mode, clean_env(), args.out)
    except (ConfigError, RunError) as error:
        print(f"error: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

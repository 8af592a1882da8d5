#!/usr/bin/env python3
"""Deploy, test and destroy the UNCHANGED stack on the local AWS emulator.

    pipeline.py deploy    start the emulator (if needed), cdktf deploy, write
                          cfn-outputs/flat-outputs.json, print the outputs   (make deploy-local)
    pipeline.py destroy   terraform destroy, leftover check, stop the emulator (make destroy-local)
    pipeline.py test      fresh emulator -> deploy -> synth identity -> a second environment
                          that uses this one's account settings: deploy, destroy, leftover
                          check -> integration tests -> game day -> drift check ->
                          destroy -> leftover check -> stop (make test-e2e)

The stack is reached through the environment only (AWS_ENDPOINT_URL, dummy credentials):
the synthesized cdk.tf.json is the one a real deploy uses, and `test` proves it byte for
byte. Variables that point at real AWS resources (state bucket, existing hosted zone) are
ignored here. Emulator and state live in .local-aws/ (test runs: .local-aws/e2e/), never
next to a real deployment's state.

The deployment and its steps: flows/pipeline_steps.py (Pipeline); the second environment and
the CI role check of `test`: flows/e2e_steps.py.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from cli.outputs_file import FILE_NAME, FLAT_OUTPUTS, load_outputs
from deploy.terraform_runner import RunError
from flows.e2e_steps import check_ci_roles, second_environment
from flows.endpoints import LOCAL_ENDPOINTS, aws_curl_commands, curl_commands, emulator_clients, write_local
from flows.pipeline_steps import ROOT, Pipeline, PipelineError
from local_aws.dataplane import control

# make test-e2e's emulator runs health checks and TTLs this many times faster than AWS.
E2E_TIME_SCALE = "10"


# -- commands ---------------------------------------------------------------------------------


def cmd_deploy(p: Pipeline) -> int:
    with p.step("preflight: terraform, provider mirror, environment"):
        p.preflight()
    with p.step("alarm sink (every alarm topic subscribed to it)"):
        p.start_alarm_sink()
    with p.step("emulator"):
        if p.emulator_running():
            print("    already running: redeploying onto its current state")
        else:
            if p.tfstate.exists():
                print("    the emulator was stopped, so its resources are gone: starting from empty state")
                p.forget_state()
            p.start_emulator()
    try:
        with p.step(f"deploy {p.stack} (synth + terraform apply)"):
            p.deploy()
    except RunError as error:
        # Nothing is thrown away: the emulator keeps running and the state is what Terraform
        # saved, so a rerun converges.
        raise PipelineError(
            f"{error} - the local deployment is as Terraform left it; rerun `make deploy-local`"
        ) from None
    p.print_summary("deploy-local finished")
    print_outputs(p)
    write_endpoints(p)
    return 0


def cmd_destroy(p: Pipeline) -> int:
    with p.step("preflight: terraform, provider mirror, environment"):
        p.preflight()
    if not p.emulator_running():
        p.stop_alarm_sink()
        p.forget_state()
        print("emulator not running: nothing deployed locally (local state cleared)")
        return 0
    with p.step("destroy order: the owner of the account settings goes last"):
        p.destroy_order()
    try:
        p.teardown(stop=False)
    except RunError as error:
        # Nothing is thrown away: what was not destroyed is still deployed and in the state.
        raise PipelineError(
            f"{error} - the emulator keeps running with the rest; rerun `make destroy-local`"
        ) from None
    with p.step("stop emulator"):
        p.stop_emulator()
    p.forget_state()
    p.print_summary("destroy-local finished")
    return 0


def start_fresh_emulator(p: Pipeline, own: bool = False) -> None:
    """Preflight, then an emulator of the pipeline's own on an empty state directory (refused
    when one already runs there: its state is someone's deployment). ``own`` names its port
    and addresses in the step (a run beside another)."""
    with p.step("preflight: terraform, provider mirror, environment"):
        p.preflight()
        if p.emulator_running():
            raise PipelineError(
                f"an emulator is already running for {p.state_dir.relative_to(ROOT)}: stop it first"
            )
        shutil.rmtree(p.state_dir, ignore_errors=True)
    with p.step("alarm sink (every alarm topic subscribed to it)"):
        p.start_alarm_sink()
    scale = p.base_env.setdefault("EMULATOR_TIME_SCALE", E2E_TIME_SCALE)
    where = (
        f"its own emulator (port {p.env['AWS_ENDPOINT_URL'].rsplit(':', 1)[1]}, addresses "
        f"{p.base_env.get('EMULATOR_ADDRESSES', '127.0.0')}.x, time scale {scale})"
        if own
        else f"emulator (time scale {scale})"
    )
    with p.step(f"start {where}"):
        p.start_emulator()


def cmd_test(p: Pipeline) -> int:
    start_fresh_emulator(p)
    failure: RunError | None = None
    # The AWS provider logs every request it sends: what a deploy and a destroy call must be
    # allowed to the CI deploy roles, what a plan calls to the plan role (check_ci_roles).
    calls = {name: p.state_dir / f"terraform-{name}-calls.log" for name in ("deploy", "plan")}
    p.env.update(TF_LOG="DEBUG", TF_LOG_PATH=str(calls["deploy"]))
    try:
        try:
            deploy_quietly(p)
            with p.step("synth identity (no emulator settings vs deployed)"):
                p.synth_identity()
            second_environment(p)
            with p.step("integration tests"):
                p.integration_tests()
            with p.step("game day: region loss, manual failover, bad data (dr/gameday.py --target local)"):
                p.gameday()
            with p.step("drift check (terraform plan -detailed-exitcode)"):
                p.env["TF_LOG_PATH"] = str(calls["plan"])
                try:
                    p.drift_check()
                finally:
                    p.env["TF_LOG_PATH"] = str(calls["deploy"])
        except RunError as error:
            failure = error
    finally:
        # Always: whatever was applied is destroyed and must leave nothing behind.
        p.teardown()
    if failure is None:
        try:
            with p.step("CI roles allow every call Terraform made (lib/ci_bootstrap.py)"):
                check_ci_roles(p, calls)
        except RunError as error:
            failure = error
    return _finish_ephemeral(p, "local e2e finished", failure)


def deploy_quietly(p: Pipeline) -> None:
    """The deploy step of a test run: its endpoints written, not printed."""
    with p.step(f"deploy {p.stack} (synth + terraform apply)"):
        p.deploy()
        write_endpoints(p, quiet=True)


def _finish_ephemeral(p: Pipeline, title: str, failure: RunError | None) -> int:
    """The summary, then the failure; a passing run leaves no state, backup or outputs behind."""
    p.print_summary(title)
    if failure is not None:
        raise failure
    shutil.rmtree(p.state_dir, ignore_errors=True)
    return 0


def cmd_twin(p: Pipeline) -> int:
    """A second deployment of the same suffix as ``make test-e2e``'s, in an emulator of its own
    (its EMULATOR_PORT, EMULATOR_ADDRESSES and state directory), beside it: deployed, its
    integration tests run against it alone, destroyed, nothing left. Run at the same time as
    the e2e pipeline (make test's lanes) it proves two emulators never see each other's
    resources, requests or DNS answers: each deploys the same names, and each one's tests pass
    against its own."""
    start_fresh_emulator(p, own=True)
    failure: RunError | None = None
    try:
        deploy_quietly(p)
        with p.step("its DNS answers its own addresses only"):
            p.own_addresses()
        with p.step("integration tests"):
            p.integration_tests()
    except RunError as error:
        failure = error
    finally:
        p.teardown()
    return _finish_ephemeral(p, "twin deployment finished", failure)


def print_outputs(p: Pipeline) -> None:
    outputs = json.loads(p.flat_outputs.read_text())
    print(f"\nOutputs ({p.flat_outputs.relative_to(ROOT)}):")
    for name, value in sorted(outputs.items()):
        print(f"  {name:<32} {json.dumps(value) if isinstance(value, list) else value}")
    print()
    print(aws_curl_commands(outputs))


def write_endpoints(p: Pipeline, *, quiet: bool = False) -> None:
    """cfn-outputs/local-endpoints.json (beside the outputs, with the local caller the clients
    sign as: flows/endpoints.py) and the curl commands that reach the local stages."""
    out = p.flat_outputs.parent / LOCAL_ENDPOINTS.name
    status = control.status(p.env["AWS_ENDPOINT_URL"])
    try:
        endpoints = write_local(load_outputs(p.flat_outputs), status, emulator_clients(p.env), out)
    except (LookupError, BotoCoreError, ClientError) as error:  # an old deployment, or IAM refused
        raise PipelineError(f"local-endpoints.json: {error}") from None
    if quiet:
        return
    print(f"\nLocal endpoints ({out.relative_to(ROOT)}):")
    for name in ("primary_api_url", "secondary_api_url", "failover_api_url", "dns_server"):
        print(f"  {name:<20} {endpoints[name]}")
    print()
    print(curl_commands(endpoints))
    print(
        "\nTake a region out and back: make outage-local REGION=us-east-1 / make restore-local REGION=us-east-1"
    )
    print("Tear it down with: make destroy-local")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("deploy", "destroy", "test", "twin"))
    parser.add_argument(
        "--state-dir",
        type=Path,
        help="an isolated deployment (emulator, state, logs, outputs) in this directory under the "
        "project (the chaos tests); with EMULATOR_PORT for its own emulator",
    )
    args = parser.parse_args(argv)
    default = ROOT / ".local-aws" / {"test": "e2e", "twin": "twin"}.get(args.command, "")
    state_dir = (args.state_dir or default).resolve()
    if not state_dir.is_relative_to(ROOT):
        parser.error(f"--state-dir must be inside the project ({ROOT})")
    try:
        # A test run (and an isolated one) keeps its outputs to itself: cfn-outputs/ belongs to
        # `make deploy-local`.
        outputs = (
            state_dir / FILE_NAME if args.command in ("test", "twin") or args.state_dir else FLAT_OUTPUTS
        )
        pipeline = Pipeline(state_dir, flat_outputs=outputs)
        commands = {"deploy": cmd_deploy, "destroy": cmd_destroy, "test": cmd_test, "twin": cmd_twin}
        return commands[args.command](pipeline)
    except RunError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""make test-e2e's steps beyond one deployment: a second environment in the same emulator that
uses the owner's account-level settings, and the CI roles checked against every call Terraform
made (flows/ci_role_check.py)."""

from __future__ import annotations

from pathlib import Path

from cli.outputs_file import FILE_NAME
from flows import ci_role_check
from flows.pipeline_steps import ROOT, Pipeline, PipelineError
from lib.ci_bootstrap_config import DEPLOY_KINDS, PLAN, role_name


def check_ci_roles(p: Pipeline, calls: dict[str, Path]) -> None:
    """The CI bootstrap (synthesized for an example repository) against the provider's logs:
    the preview, staging and production roles each allow every call of the deploys and
    destroys, the plan role every call of the drift check's plan (flows/ci_role_check.py).
    Actions only: each role is scoped to its own environment's names (the emulator's stack is
    ``dev``, no role's), which tests/unit/test_ci_scoping.py checks against the synthesized
    stacks instead."""
    out = p.state_dir / "ci-bootstrap"
    p._run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "deploy.bootstrap", "synth", "--out", str(out)],
        env={**p.base_env, "GITHUB_REPOSITORY": "example-org/payments-dr"},
        capture=True,
    )
    bootstrap = out / "stacks" / "TapCiBootstrap" / "cdk.tf.json"
    try:
        deploy = ci_role_check.check(calls["deploy"], bootstrap, [role_name(kind) for kind in DEPLOY_KINDS])
        plan = ci_role_check.check(calls["plan"], bootstrap, [role_name(PLAN)])
    except ci_role_check.CheckError as error:
        raise PipelineError(f"CI role check: {error}") from None
    problems = [*deploy.problems, *plan.problems]
    if problems:
        raise PipelineError(f"{len(problems)} missing: {'; '.join(problems)}")
    p.facts["CI roles"] = (
        f"preview, staging and production allow all {deploy.distinct_calls} distinct deploy/destroy calls, "
        f"plan all {plan.distinct_calls} plan calls"
    )


def second_environment(owner: Pipeline) -> None:
    """A second environment in the same account (emulator) that uses the owner's account-level
    settings without managing them: deployed, then destroyed. The integration tests and the
    drift check that follow prove the owner's settings survived its destroy."""
    peer = Pipeline(
        owner.state_dir / "peer",
        overrides={
            "ENVIRONMENT_SUFFIX": f"{owner.config.suffix[:15]}-peer",
            "MANAGE_ACCOUNT_SETTINGS": "false",
            # Its Terraform calls join the owner's log (check_ci_roles).
            **{key: owner.env[key] for key in ("TF_LOG", "TF_LOG_PATH") if key in owner.env},
        },
        flat_outputs=owner.state_dir / "peer" / FILE_NAME,
        emulator_dir=owner.emulator_dir,  # the owner's emulator: watched through its pid file
    )
    try:
        with owner.step(f"second environment {peer.stack}: deploy (uses the account settings)"):
            peer.deploy()
    finally:
        peer.teardown(stop=False)
        owner.timings += peer.timings
        owner.facts.update({f"{peer.stack} {key}": value for key, value in peer.facts.items()})

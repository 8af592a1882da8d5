"""Session fixtures: each profile's stack is synthesized ONCE per test run.

Importing the prebuilt AWS provider costs ~20 s (jsii), so nothing here synthesizes per
test. Tests read the synthesized JSON through ``Synth`` and assert concrete values.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dr.stack import Stack
from lib.fast_provider_import import install

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
ROOT = Path(__file__).resolve().parents[2]
install()  # before anything imports the provider: only the modules lib/ uses are loaded

# Every alarm topic's subscriptions (lib/alarm_subscriptions.py): prod refuses none.
ALARM_SUBSCRIPTIONS = "email:oncall@acme-corp.io,https://hooks.acme-corp.io/alarms"
DEV_ENV: dict[str, str] = {"ALARM_SUBSCRIPTIONS": ALARM_SUBSCRIPTIONS}
# The state bucket's KMS key (the CI bootstrap's state_key_arn output), in the bucket's region.
STATE_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
PROD_ENV = {
    "ENVIRONMENT_SUFFIX": "prod",
    "ENVIRONMENT": "prod",
    "DOMAIN_NAME": "payments.acme-corp.io",
    "HOSTED_ZONE_ID": "Z0123456789ABCDEFGHIJ",
    "TERRAFORM_STATE_BUCKET": "acme-terraform-state",
    "TERRAFORM_STATE_BUCKET_REGION": "eu-west-1",
    "TERRAFORM_STATE_KEY_ARN": STATE_KEY_ARN,
    "REPOSITORY": "acme/payments-dr",
    "COMMIT_AUTHOR": "jane.doe@acme-corp.io",
    "ALARM_SUBSCRIPTIONS": ALARM_SUBSCRIPTIONS,
    "API_CALLER_ACCOUNTS": "111122223333",
}
STAGING_ENV = {
    "ENVIRONMENT_SUFFIX": "stg",
    "ENVIRONMENT": "staging",
    "ENABLE_CUSTOM_DOMAIN": "false",
    "API_CALLER_ROLES": "tap-ci-staging",
}
# A region pair without us-east-1, in an account whose account-level settings another
# environment owns.
EU_ENV = {
    "ENVIRONMENT_SUFFIX": "eu",
    "PRIMARY_REGION": "eu-west-1",
    "SECONDARY_REGION": "eu-central-1",
    "MANAGE_ACCOUNT_SETTINGS": "false",
}
# The longest names the configuration accepts: a 20-character suffix and a 60-character domain
# (api.<domain> is ACM's 64).
LONGEST_ENV = {"ENVIRONMENT_SUFFIX": "s" * 20, "DOMAIN_NAME": "p" * 56 + ".net"}


@dataclass
class Synth:
    """A synthesized stack and helpers to find its parts by construct path."""

    stack_id: str
    json: dict[str, Any]

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        return self.json.get("resource", {}).get(type_, {})

    @functools.cached_property
    def stack(self) -> Stack:
        """The same reader the DR report and the diagram use (dr/stack.py)."""
        return Stack.parse(self.json)

    def logical_id(self, type_: str, path: str) -> str:
        """Logical id of the resource at construct ``path`` (e.g. ``api-primary/function``)."""
        return self.stack.logical_id_at(type_, path)

    def get(self, type_: str, path: str) -> dict[str, Any]:
        return self.resources(type_)[self.logical_id(type_, path)]

    def address(self, type_: str, path: str) -> str:
        """``type.logical_id``, as used in ``depends_on``."""
        return f"{type_}.{self.logical_id(type_, path)}"

    def ref(self, type_: str, path: str, attribute: str) -> str:
        """The interpolation another resource uses to refer to ``path``'s ``attribute``."""
        return f"${{{type_}.{self.logical_id(type_, path)}.{attribute}}}"

    def count(self, type_: str) -> int:
        return len(self.resources(type_))

    def output(self, name: str) -> dict[str, Any]:
        return self.json["output"][name]


def _synth(env: dict[str, str]) -> Synth:
    from cdktf import Testing

    from lib.config import StackConfig
    from lib.tap_stack import TapStack

    config = StackConfig.from_env(env)
    stack_id = f"TapStack{config.suffix}"
    stack = TapStack(Testing.app(), stack_id, config)
    return Synth(stack_id, synthesize(stack))


def synthesize(stack: Any) -> dict[str, Any]:
    """The stack's cdk.tf.json as Terraform and checkov read it, minus construct metadata."""
    from cdktf import Testing

    # A full synth writes the cdk.tf.json that Terraform and checkov read, "//" blocks and
    # all (Testing.synth drops them, and with them the justified checkov skips).
    outdir = Path(Testing.full_synth(stack))
    try:
        (stack_file,) = (outdir / "stacks").glob("*/cdk.tf.json")
        synthesized = json.loads(stack_file.read_text())
    finally:
        shutil.rmtree(outdir, ignore_errors=True)
    return _without_construct_metadata(synthesized)


def _without_construct_metadata(synthesized: dict[str, Any]) -> dict[str, Any]:
    """Drop cdktf's construct-path metadata; keep every other "//" entry (checkov skips)."""
    synthesized.pop("//", None)
    for section in ("resource", "data"):
        for blocks in synthesized.get(section, {}).values():
            for body in blocks.values():
                comments = body.get("//", {})
                comments.pop("metadata", None)
                if not comments:
                    body.pop("//", None)
    for body in synthesized.get("output", {}).values():
        body.pop("//", None)
    return synthesized


class Validations:
    """`terraform init && terraform validate` of each synthesized profile, started in the
    background as soon as the profile is synthesized, so that Terraform's ~5 s per stack
    overlaps the Python tests; ``result`` waits for one. Unfinished runs are killed at exit."""

    def __init__(self, workdir: Path) -> None:
        assert shutil.which("terraform"), "terraform is not on PATH: run 'make install' (see README)"
        self.workdir = workdir
        config = workdir / "terraform.rc"
        made = subprocess.run(
            [str(ROOT / "scripts" / "terraform-cli-config.sh")],
            env={**os.environ, "TF_CLI_CONFIG_OUT": str(config)},
            capture_output=True,
            text=True,
            check=False,
        )
        assert made.returncode == 0, made.stderr
        self.env = {**os.environ, "TF_CLI_CONFIG_FILE": str(config), "TF_IN_AUTOMATION": "1"}
        self.runs: dict[str, subprocess.Popen[str]] = {}

    def start(self, name: str, synthesized: dict[str, Any]) -> None:
        directory = self.workdir / name
        directory.mkdir()
        (directory / "cdk.tf.json").write_text(json.dumps(synthesized))
        self.runs[name] = subprocess.Popen(
            [
                "sh",
                "-c",
                "terraform init -backend=false -input=false -no-color >init.log 2>&1 || "
                "{ cat init.log >&2; exit 1; }; terraform validate -json -no-color",
            ],
            cwd=directory,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(self, name: str) -> tuple[int, str, str]:
        out, err = self.runs[name].communicate(timeout=300)
        return self.runs[name].returncode, out, err

    def close(self) -> None:
        for run in self.runs.values():
            if run.poll() is None:
                run.kill()
                run.communicate()


class BothWays:
    """The dev and prod stacks synthesized by two fresh processes, one through the fast
    provider import and one through the package's full ``__init__`` (FAST_PROVIDER_IMPORT=0),
    started in the background as soon as collection selects the identity test: the full
    import's ~A seconds overlap the other tests instead of adding to them."""

    SCRIPT = """
import sys
from lib.fast_provider_import import install
from dr.stack import Stack
print("fast" if install() else "full", file=sys.stderr)
from cdktf import App
from lib.config import StackConfig
from lib.tap_stack import TapStack
app = App(outdir=sys.argv[1])
for env in ({{}}, {prod}):
    config = StackConfig.from_env(env)
    TapStack(app, f"TapStack{{config.suffix}}", config)
app.synth()
"""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.runs: dict[str, tuple[Path, subprocess.Popen[str]]] = {}
        for way, flag in (("fast", "1"), ("full", "0")):
            outdir = workdir / way
            env = {**os.environ, "FAST_PROVIDER_IMPORT": flag}
            env.pop("CDKTF_OUTDIR", None)
            script = self.SCRIPT.format(prod=repr(PROD_ENV))
            run = subprocess.Popen(
                [sys.executable, "-c", script, str(outdir)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            self.runs[way] = (outdir, run)

    def result(self, way: str) -> tuple[str, dict[str, bytes]]:
        """(the path the process took, per stack: its cdk.tf.json bytes)"""
        outdir, run = self.runs[way]
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        stacks = {p.parent.name: p.read_bytes() for p in sorted(outdir.glob("stacks/*/cdk.tf.json"))}
        return err.splitlines()[0], stacks

    def close(self) -> None:
        for _, run in self.runs.values():
            if run.poll() is None:
                run.kill()
                run.communicate()
        shutil.rmtree(self.workdir, ignore_errors=True)


IDENTITY_TEST = "::test_the_fast_path_synthesizes_the_same_bytes_as_the_full_import"
_both_ways: list[BothWays] = []


def pytest_collection_finish(session: pytest.Session) -> None:
    if any(item.nodeid.endswith(IDENTITY_TEST) for item in session.items):
        _both_ways.append(BothWays(Path(tempfile.mkdtemp(prefix="synth-both-ways-"))))


@pytest.fixture
def offline_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's in-process AWS with test credentials, never a real endpoint or profile (the tools'
    tests: previews, state encryption, preflight)."""
    from moto import mock_aws

    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        yield


@pytest.fixture(scope="session")
def both_ways() -> Iterator[BothWays]:
    if not _both_ways:  # not started after collection (e.g. requested by another test)
        _both_ways.append(BothWays(Path(tempfile.mkdtemp(prefix="synth-both-ways-"))))
    yield _both_ways[0]
    _both_ways.pop().close()


@pytest.fixture(scope="session")
def validations(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Validations]:
    registry = Validations(tmp_path_factory.mktemp("terraform-validate"))
    yield registry
    registry.close()


def _synth_and_validate(env: dict[str, str], name: str, validations: Validations) -> Synth:
    synth = _synth(env)
    validations.start(name, synth.json)
    return synth


@pytest.fixture(scope="session")
def dev(validations: Validations) -> Synth:
    return _synth_and_validate(DEV_ENV, "dev", validations)


@pytest.fixture(scope="session")
def prod(validations: Validations) -> Synth:
    return _synth_and_validate(PROD_ENV, "prod", validations)


@pytest.fixture(scope="session")
def staging() -> Synth:
    return _synth(STAGING_ENV)


@pytest.fixture(scope="session")
def eu(validations: Validations) -> Synth:
    return _synth_and_validate(EU_ENV, "eu", validations)


@pytest.fixture(scope="session")
def longest() -> Synth:
    return _synth(LONGEST_ENV)


@pytest.fixture(scope="session", params=["dev", "prod"])
def each_profile(request: pytest.FixtureRequest) -> Synth:
    """Runs a test once for the dev and once for the prod stack."""
    return request.getfixturevalue(request.param)


def policy_of(body: dict[str, Any], key: str = "policy") -> dict[str, Any]:
    """A policy document attribute, parsed."""
    return json.loads(body[key])


REGIONS = (("primary", "us-east-1"), ("secondary", "us-west-2"))


def regional_key(stack: Any, region: Any, id: str = "key") -> Any:
    """A customer-managed key in ``region`` of a test stack, for constructs built alone."""
    from lib.keys import RegionalKey

    return RegionalKey(
        stack,
        id,
        region=region,
        alias_name=f"test-{region.name}",
        account_id="123456789012",
        deletion_window_days=7,
        prevent_destroy=False,
        purpose="a unit test",
    )

"""One deployment of the UNCHANGED stack on the local AWS emulator, and the steps that drive it.

``Pipeline`` is what flows/pipeline.py's commands run: its environment (the emulator's
endpoint and dummy credentials, never a real AWS setting), the emulator's start and stop,
synth + plain Terraform through deploy/terraform_runner.py, and the checks of a test run
(synth identity, own addresses, integration tests, game day, drift, destroy order, leftovers).
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from cli.api_client import resolve
from cli.outputs_file import FLAT_OUTPUTS, OutputsError, load_outputs, write_outputs
from cli.steps import TimedSteps
from deploy.terraform_runner import LocalState, RunError, Runner
from dr.gameday_alarms import RECORD_NAME
from dr.gameday_result import load_report
from flows import alarm_sink
from flows.endpoints import LOCAL_ENDPOINTS, emulator_clients, remove_caller
from lib.config import ConfigError, StackConfig
from local_aws.dataplane import control
from local_aws.emulator import SCRIPT, parse_exports, process_alive

ROOT = Path(__file__).resolve().parents[1]

EMULATOR = SCRIPT
# Point at real AWS resources: meaningless (and harmful) against the emulator. The state key
# goes with the state bucket (the config refuses one without the other); the boundary names a
# policy the CI bootstrap creates in a real account.
REAL_AWS_ONLY = (
    "TERRAFORM_STATE_BUCKET",
    "TERRAFORM_STATE_BUCKET_REGION",
    "TERRAFORM_STATE_KEY_ARN",
    "PERMISSIONS_BOUNDARY",
    "HOSTED_ZONE_ID",
)
# Would send the SDKs somewhere other than the emulator, or pick real credentials.
AWS_SESSION_VARS = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CONFIG_FILE")


class PipelineError(RunError):
    """A step failed; the message is one line for the user."""


class Pipeline(TimedSteps):
    def __init__(
        self,
        state_dir: Path,
        *,
        overrides: dict[str, str] | None = None,
        flat_outputs: Path = FLAT_OUTPUTS,
        emulator_dir: Path | None = None,
    ) -> None:
        """``overrides``: configuration for this deployment on top of the environment (a second
        environment in the same emulator); ``flat_outputs``: where its outputs go;
        ``emulator_dir``: the state directory of the emulator it uses (default: its own)."""
        super().__init__()
        self.state_dir = state_dir
        self.emulator_dir = emulator_dir or state_dir
        self.outdir = state_dir / "cdktf.out"
        self.flat_outputs = flat_outputs
        base = {k: v for k, v in os.environ.items() if k not in REAL_AWS_ONLY + AWS_SESSION_VARS}
        base.update(overrides or {})
        base = {k: v for k, v in base.items() if not k.startswith("AWS_ENDPOINT_URL")}
        base.update(
            # The project's CLI config (written by preflight), whatever the machine presets.
            TF_CLI_CONFIG_FILE=str(ROOT / ".cache" / "terraform.rc"),
            EMULATOR_STATE_DIR=str(self.emulator_dir),
            CHECKPOINT_DISABLE="1",
            JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
            PYTHONDONTWRITEBYTECODE="1",
            PATH=f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{base.get('PATH', '')}",
        )
        self.base_env = base
        try:
            self.config = StackConfig.from_env(base)
        except ConfigError as error:
            raise PipelineError(str(error).replace("\n", " ")) from None
        self.stack = self.config.stack_id
        self.stack_dir = self.outdir / "stacks" / self.stack
        self.tfstate = state_dir / f"terraform.{self.stack}.tfstate"
        self.facts: dict[str, str] = {}
        self.last_returncode = 0

    # -- plumbing -----------------------------------------------------------------------------

    @functools.cached_property
    def env(self) -> dict[str, str]:
        """The base environment plus the emulator's endpoint and dummy credentials."""
        out = self._run([str(EMULATOR), "env"], env=self.base_env, capture=True)
        emulator = parse_exports(out)
        return {**self.base_env, **emulator}

    def _run(
        self, cmd: list[str], *, env: dict[str, str], capture: bool = False, ok_codes: tuple[int, ...] = (0,)
    ) -> str:
        """Run ``cmd`` (a short tool such as emulator.sh, or pytest printing to the terminal);
        a captured tool's last line is the reason of the error. Long, logged commands (synth,
        Terraform, the game day) run through ``Runner.logged``."""
        if capture:
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
            output = proc.stdout + proc.stderr
        else:
            proc = subprocess.run(cmd, cwd=ROOT, env=env, check=False)
            output = ""
        self.last_returncode = proc.returncode
        if proc.returncode not in ok_codes:
            what = f"{Path(cmd[0]).name} {' '.join(cmd[1:3])}".strip()
            reason = output.strip().splitlines()[-1] if output.strip() else f"exit {proc.returncode}"
            raise PipelineError(f"{what}: {reason}")
        return output

    @functools.cached_property
    def runner(self) -> Runner:
        """Synth + plain Terraform with the emulator's environment (signals forwarded, the local
        state checked and backed up, the emulator watched)."""
        return Runner(
            self.stack,
            self.outdir,
            env=self.env,
            logs=self.state_dir / "logs",
            local_state=LocalState(self.tfstate),
            watch=self.emulator_died,
        )

    def emulator_died(self) -> str | None:
        """A reason when the emulator this run talks to is gone (polled while Terraform runs)."""
        if process_alive(self.emulator_dir):
            return None
        log = (self.emulator_dir / "moto.log").relative_to(ROOT)
        return (
            f"the emulator died while Terraform was running (its pid is gone; see {log}); "
            "rerun to start a new one"
        )

    # -- building blocks ----------------------------------------------------------------------

    def preflight(self) -> None:
        if not (ROOT / ".venv" / "bin" / "python").exists():
            raise PipelineError("the project environment is missing: run `make install`")
        config = {**self.base_env, "TF_CLI_CONFIG_OUT": self.base_env["TF_CLI_CONFIG_FILE"]}
        self._run([str(ROOT / "scripts" / "terraform-cli-config.sh")], env=config, capture=True)
        ignored = [name for name in REAL_AWS_ONLY if os.environ.get(name)]
        if ignored:
            print(f"    note: ignoring {', '.join(ignored)} (real AWS only) for the local emulator")

    def emulator_running(self) -> bool:
        return (
            subprocess.run(
                [str(EMULATOR), "status"], env=self.base_env, capture_output=True, check=False
            ).returncode
            == 0
        )

    def start_emulator(self) -> None:
        self._run([str(EMULATOR), "start"], env=self.base_env, capture=True)

    def stop_emulator(self) -> None:
        try:
            self._run([str(EMULATOR), "stop"], env=self.base_env, capture=True)
        finally:
            self.stop_alarm_sink()

    def start_alarm_sink(self) -> None:
        """The local alarm sink (flows/alarm_sink.py) for this deployment, before it is deployed:
        every alarm topic is subscribed to it (its URL joins the ALARM_SUBSCRIPTIONS the
        environment gives). Its port is the system's choice, so lanes side by side never share
        one; a redeploy onto a running emulator keeps the running sink, and so its URL."""
        url = alarm_sink.start(self.state_dir, watch=self.emulator_dir)
        given = [e.strip() for e in self.base_env.get("ALARM_SUBSCRIPTIONS", "").split(",") if e.strip()]
        self.base_env["ALARM_SUBSCRIPTIONS"] = ",".join(given if url in given else [*given, url])
        for cached in ("env", "runner"):  # computed from base_env: recomputed with it
            self.__dict__.pop(cached, None)
        try:
            self.config = StackConfig.from_env(self.base_env)
        except ConfigError as error:
            raise PipelineError(str(error).replace("\n", " ")) from None
        self.facts["alarm sink"] = url

    def stop_alarm_sink(self) -> None:
        alarm_sink.stop(self.state_dir)

    def deploy(self) -> None:
        """Synth, then plain Terraform: the same steps a real deploy runs, pointed at the emulator."""
        runner = self.runner
        runner.synth_checked(self.config.identity, deployed=self.tfstate.exists() and self.stack_dir.exists())
        log = runner.apply()
        applied = re.findall(
            r"Apply complete! Resources: (?:(\d+) imported, )?(\d+) added, (\d+) changed, (\d+) destroyed",
            log,
        )
        if applied:
            # added/changed/destroyed: the apply that completed; imported: every attempt's (a
            # refused first attempt keeps the imports it made, the second does not repeat them)
            _, added, changed, destroyed = applied[-1]
            imported = len(set(re.findall(r"^(\S+): Import complete", log, flags=re.MULTILINE)))
            adopted = f"{imported} imported, " if imported else ""
            self.facts["apply"] = f"{adopted}{added} added, {changed} changed, {destroyed} destroyed"
        flat = runner.outputs()
        write_outputs(self.flat_outputs, flat)
        state = json.loads(self.tfstate.read_text())
        managed = [r for r in state["resources"] if r["mode"] == "managed"]
        self.facts["resources"] = str(sum(len(r["instances"]) for r in managed))

    def synth_identity(self) -> None:
        """Synthesize without any emulator setting and compare with what was deployed."""
        clean_env = {k: v for k, v in self.base_env.items() if not k.startswith("AWS_")}
        deployed = (self.stack_dir / "cdk.tf.json").read_bytes()
        with tempfile.TemporaryDirectory(prefix="tap-synth-") as outdir:
            clean_env["CDKTF_OUTDIR"] = outdir
            self._run([str(ROOT / ".venv" / "bin" / "python"), "main.py"], env=clean_env, capture=True)
            clean = (Path(outdir) / "stacks" / self.stack / "cdk.tf.json").read_bytes()
        if clean != deployed:
            diff = difflib.unified_diff(
                clean.decode().splitlines(), deployed.decode().splitlines(), "real", "local", lineterm="", n=1
            )
            raise PipelineError("cdk.tf.json differs with emulator settings:\n" + "\n".join(list(diff)[:30]))
        self.facts["synth identity"] = f"identical ({len(deployed)} bytes)"

    def own_addresses(self) -> None:
        """The failover name and both regional API names resolve, through this emulator's DNS,
        into this emulator's address block, and nothing else listens there at its port."""
        status = control.status(self.env["AWS_ENDPOINT_URL"])
        block = str(status["dns"]).rsplit(".", 1)[0]
        outputs = load_outputs(self.flat_outputs)
        names = [
            urlsplit(outputs[f"{role}_api_endpoint"]).hostname or "" for role in ("primary", "secondary")
        ]
        if outputs.get("failover_domain_name"):
            names.append(str(outputs["failover_domain_name"]))
        dns_host, _, dns_port = str(status["dns"]).removesuffix("/udp").rpartition(":")
        answers = {name: resolve(name, dns_host, int(dns_port)) for name in names}
        strays = {
            name: found
            for name, found in answers.items()
            if not all(a.startswith(f"{block}.") for a in found)
        }
        if strays or not all(answers.values()):
            raise PipelineError(f"answers outside {block}.x: {strays or answers}")
        self.facts["own addresses"] = f"{len(names)} names answer in {block}.x only"

    def integration_tests(self) -> None:
        env = {**self.env, "FLAT_OUTPUTS": str(self.flat_outputs)}
        python = str(ROOT / ".venv" / "bin" / "python")
        try:
            self._run([python, "-m", "pytest", "tests/integration", "-p", "no:cacheprovider", "-q"], env=env)
        except PipelineError:
            raise PipelineError(f"integration tests failed (pytest exit {self.last_returncode})") from None

    def gameday(self) -> None:
        """The game day (dr/gameday.py): a client writes through the failover name while the
        primary region is lost, then while an operator fails over with the data-plane switch;
        measured RTO/RPO, no lost write, no conflict, no Route 53 call in the recovery path. The
        drift check that follows proves it left the configuration as it was."""
        python = str(ROOT / ".venv" / "bin" / "python")
        report = self.state_dir / "gameday-report.json"
        outputs = str(self.flat_outputs)
        self.runner.logged(
            "gameday.log",
            [
                *(
                    python,
                    "-m",
                    "dr.gameday",
                    "--target",
                    "local",
                    "--outputs",
                    outputs,
                    "--report",
                    str(report),
                ),
                *("--notifications", str(self.state_dir / RECORD_NAME)),
            ],
        )
        for result in load_report(report).scenarios:
            self.facts[f"game day {result.scenario}"] = result.summary()

    def drift_check(self) -> None:
        returncode, out = self.runner.terraform(
            "drift-plan.log", "plan", "-detailed-exitcode", "-lock-timeout=60s", ok_codes=(0, 2)
        )
        if returncode == 2:
            changes = re.findall(r"^  # (.+)$", out, flags=re.MULTILINE)
            raise PipelineError(
                f"plan after apply is not empty ({len(changes)} changes; see .local-aws logs): "
                + "; ".join(changes[:10])
            )
        self.facts["drift"] = "no changes (plan -detailed-exitcode = 0)"

    def destroy(self) -> None:
        if not self.stack_dir.exists():  # a destroy in a later run: synthesize what is deployed
            self.runner.synth()
        self.runner.init()
        self.runner.check_identity(self.config.identity)
        self.remove_local_caller()
        out = self.runner.destroy()
        destroyed = re.findall(r"Destroy complete! Resources: (\d+) destroyed", out)
        self.facts["destroyed"] = destroyed[-1] if destroyed else "0"

    def remove_local_caller(self) -> None:
        """The local caller `write_endpoints` made (flows/endpoints.py) goes before the stack: IAM
        deletes no managed policy still attached to a user (API_DeletePolicy)."""
        try:
            outputs = load_outputs(self.flat_outputs)
            removed = remove_caller(outputs, emulator_clients(self.env))
        except (OutputsError, LookupError):
            return  # no outputs, or none that name a caller: none was made from them
        except (BotoCoreError, ClientError) as error:
            raise PipelineError(f"cannot remove the local caller before the destroy: {error}") from None
        if removed:
            self.facts["local caller"] = "removed"

    def api_ids(self) -> list[str]:
        """The deployed REST API ids (from the outputs): their execution-log groups are named by them."""
        try:
            outputs = json.loads(self.flat_outputs.read_text())
        except (OSError, ValueError):
            return []
        return [
            urlsplit(outputs[f"{role}_api_endpoint"]).hostname.split(".")[0]
            for role in ("primary", "secondary")
            if urlsplit(str(outputs.get(f"{role}_api_endpoint", ""))).hostname
        ]

    def destroy_order(self) -> None:
        """The environment owning the account-level settings goes last (as `make destroy`)."""
        from deploy.preflight_aws import Report, check_destroy_order  # noqa: PLC0415 - emulator env

        report = Report()
        with _environ(self.env):
            check_destroy_order(self.config, _client, report)
        if report.errors:
            raise PipelineError(report.errors[0])

    def leftovers(self, api_ids: list[str] | None = None) -> None:
        from flows.leftovers import find_leftovers  # noqa: PLC0415 - needs the emulator env

        with _environ(self.env):
            left = find_leftovers(self.config, api_ids=api_ids or [])
        self.facts["leftovers"] = str(len(left))
        if left:
            raise PipelineError(f"{len(left)} resources left after destroy: " + ", ".join(left[:15]))

    def teardown(self, *, stop: bool = True) -> None:
        """Destroy what the state holds, prove nothing is left, stop the emulator (always)."""
        label = "" if stop else f" {self.stack}"
        try:
            api_ids = self.api_ids()
            if self.tfstate.exists() and self.stack_dir.exists():
                with self.step(f"terraform destroy{label}"):
                    self.destroy()
            with self.step(f"leftover check{label}"):
                self.leftovers(api_ids)
        finally:
            if stop:
                with self.step("stop emulator"):
                    self.stop_emulator()

    def forget_state(self) -> None:
        """Set aside a state that refers to an emulator that is no longer running (its
        resources died with it): kept in backups/, never silently deleted."""
        kept = LocalState(self.tfstate).backup()
        # The record of unfinished creates goes too: what they created died with the emulator.
        endpoints = self.flat_outputs.parent / LOCAL_ENDPOINTS.name
        stale = (self.tfstate, self.tfstate.with_suffix(".tfstate.backup"), self.flat_outputs, endpoints)
        for path in (*stale, self.runner.unfinished_record):
            path.unlink(missing_ok=True)
        if kept:
            print(f"    the previous state is kept in {kept.relative_to(ROOT)}")

    def print_summary(self, title: str) -> None:
        self.print_timings(title)
        for key, value in self.facts.items():
            print(f"  {key}: {value}")


def _client(service: str, region: str) -> Any:
    import boto3  # noqa: PLC0415 - only the steps that talk to the emulator need it

    return boto3.client(service, region_name=region)


@contextlib.contextmanager
def _environ(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)

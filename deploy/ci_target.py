#!/usr/bin/env python3
"""The environment of one pipeline target, for GitHub Actions' ``$GITHUB_ENV``.

    python -m deploy.ci_target staging >> "$GITHUB_ENV"
    python -m deploy.ci_target preview --pr 123 >> "$GITHUB_ENV"
    python -m deploy.ci_target staging --for gameday >> "$GITHUB_ENV"

Every workflow that plans, deploys, destroys or rehearses a target reads its configuration
from ONE reviewed file, ``.github/deploy-targets.json``, so the pull request's plan shows what
the release will apply. The lines printed are ``KEY=VALUE`` for the variables ``lib/config.py``
reads (``ENVIRONMENT``, ``ENVIRONMENT_SUFFIX``, ``MANAGE_ACCOUNT_SETTINGS``,
``ENABLE_CUSTOM_DOMAIN``, ``DOMAIN_NAME``, ``HOSTED_ZONE_ID``, ``REPOSITORY``, ``COMMIT_AUTHOR``,
``PERMISSIONS_BOUNDARY``, ``ALARM_SUBSCRIPTIONS``, ``API_CALLER_ROLES``), validated with the
stack's own configuration check before anything runs. Every target's roles carry its own
environment's permissions boundary from the CI bootstrap (``tap-ci-boundary-preview`` |
``-staging`` | ``-production``): its deploy role may create a role only with that one
(lib/ci_permissions.py, lib/ci_boundary.py). ``API_CALLER_ROLES``: the API of preview and
staging admits their own CI role, which runs their integration tests and game day, signed.

A runner is thrown away after the job, so a local Terraform state would be lost with it:
``TERRAFORM_STATE_BUCKET`` and ``TERRAFORM_STATE_KEY_ARN`` (repository variables, from the
bootstrap) must be set, or this refuses; the state is encrypted with that key.

``--for gameday``: the game day fails over through the custom domain's failover name, so a
target without a domain is refused here, in one line, before any job step reaches AWS.

A target without a domain deploys without the custom domain (``ENABLE_CUSTOM_DOMAIN=false``); the
integration tests of the failover name then do not apply and are deselected through
``PYTEST_ADDOPTS`` (``-m "not custom_domain"``).

``alarm_subscriptions`` (a list of ``ALARM_SUBSCRIPTIONS`` entries) is always written, empty or
not, so a runner's own variable never decides who is told. The committed prod target has none:
nobody's address is guessed, and a prod target without one is refused here, in one line, naming
the field to fill (the stack refuses prod without a subscription too).

Exit 2 with one line on a bad argument or target file, 1 on a configuration the stack refuses.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cli.args import ArgumentParser
from lib.ci_bootstrap_config import boundary_name, role_name
from lib.config import ConfigError, StackConfig

ROOT = Path(__file__).resolve().parents[1]
TARGETS_FILE = ROOT / ".github" / "deploy-targets.json"
TARGETS = ("preview", "staging", "prod")
TESTED_TARGETS = ("preview", "staging")  # integration-tested (and rehearsed) by their CI role
FIELDS = {
    "profile": str,
    "suffix": str,
    "manage_account_settings": bool,
    "domain_name": str,
    "hosted_zone_id": str,
    "alarm_subscriptions": list,
}
# A value is written into $GITHUB_ENV as KEY=VALUE: a newline would inject another variable.
_SAFE_VALUE = re.compile(r"^[^\r\n]*$")
NO_CUSTOM_DOMAIN_TESTS = '-m "not custom_domain"'
PURPOSES = ("deploy", "gameday")


class TargetError(ValueError):
    """The targets file or the arguments cannot describe a target; one line."""


def load_targets(path: Path = TARGETS_FILE) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TargetError(f"{path} cannot be read as JSON ({error})") from None
    if not isinstance(data, dict):
        raise TargetError(f"{path} must hold a JSON object of targets")
    problems = [f"target {name!r} is missing" for name in TARGETS if name not in data]
    for name in TARGETS:
        target = data.get(name)
        if name in data and not isinstance(target, dict):
            problems.append(f"target {name!r} must be an object")
            continue
        for field, kind in FIELDS.items():
            if name in data and not isinstance(target.get(field), kind):
                problems.append(f"{name}.{field} must be a {kind.__name__}")
        subscriptions = target.get("alarm_subscriptions") if name in data else None
        if isinstance(subscriptions, list) and not all(isinstance(s, str) for s in subscriptions):
            problems.append(f"{name}.alarm_subscriptions must be a list of strings")
    if problems:
        raise TargetError(f"{path}: {'; '.join(problems)}")
    return {name: data[name] for name in TARGETS}


def target_env(target: str, targets: Mapping[str, Mapping[str, Any]], pr: int | None) -> dict[str, str]:
    """The stack variables of ``target`` (a preview's ``{number}`` is the pull request's)."""
    if target not in TARGETS:
        raise TargetError(f"unknown target {target!r}: one of {', '.join(TARGETS)}")
    if (target == "preview") != (pr is not None):
        raise TargetError("--pr is required for the preview target and only for it")
    spec = targets[target]

    def fill(value: str) -> str:
        return value.replace("{number}", str(pr)) if pr is not None else value

    domain, zone = fill(spec["domain_name"]).strip(), spec["hosted_zone_id"].strip()
    env = {
        "ENVIRONMENT": spec["profile"],
        "ENVIRONMENT_SUFFIX": fill(spec["suffix"]),
        "MANAGE_ACCOUNT_SETTINGS": "true" if spec["manage_account_settings"] else "false",
        "ENABLE_CUSTOM_DOMAIN": "true" if domain else "false",
        "PERMISSIONS_BOUNDARY": boundary_name(target),
        "ALARM_SUBSCRIPTIONS": ",".join(s.strip() for s in spec["alarm_subscriptions"]),
        # The target's own CI role calls the signed routes in its integration tests and game day;
        # prod runs neither, so its API admits no CI role (always written: no runner decides it).
        "API_CALLER_ROLES": role_name(target) if target in TESTED_TARGETS else "",
    }
    if domain:
        env["DOMAIN_NAME"] = domain
    if zone:
        env["HOSTED_ZONE_ID"] = zone
    if not domain:
        env["PYTEST_ADDOPTS"] = NO_CUSTOM_DOMAIN_TESTS
    return env


def resolve(
    target: str, pr: int | None, environ: Mapping[str, str], targets_file: Path, purpose: str = "deploy"
) -> dict[str, str]:
    """The validated variables for ``target`` on a runner whose environment is ``environ``;
    ``purpose`` ``gameday`` refuses a target without a domain."""
    env = target_env(target, load_targets(targets_file), pr)
    if purpose == "gameday" and env["ENABLE_CUSTOM_DOMAIN"] != "true":
        raise TargetError(
            f"the game day needs a domain, and the {target} target has none: it fails over through "
            f"the failover name (api.<domain>), which only a custom domain has; set {target}.domain_name "
            f"and {target}.hosted_zone_id (a delegated zone) in {targets_file.name}, or disable the "
            "gameday workflow"
        )
    if target == "prod" and not env["ALARM_SUBSCRIPTIONS"]:
        raise TargetError(
            f"the prod target has no alarm subscription: set prod.alarm_subscriptions in "
            f'{targets_file.name} (e.g. ["email:<on-call address>"]) so that an alarm reaches a person'
        )
    if environ.get("GITHUB_REPOSITORY"):
        env["REPOSITORY"] = environ["GITHUB_REPOSITORY"]
    if environ.get("GITHUB_ACTOR"):
        env["COMMIT_AUTHOR"] = environ["GITHUB_ACTOR"]
    if not environ.get("TERRAFORM_STATE_BUCKET", "").strip():
        raise ConfigError(
            "TERRAFORM_STATE_BUCKET is not set: a runner's local state would be lost with the runner; "
            "set the repository variable (README: CI/CD)"
        )
    if not environ.get("TERRAFORM_STATE_KEY_ARN", "").strip():
        raise ConfigError(
            "TERRAFORM_STATE_KEY_ARN is not set: the state would be encrypted without the state "
            "bucket's key, and the bucket refuses that; set the repository variable from the "
            "bootstrap's state_key_arn output (README: CI/CD)"
        )
    StackConfig.from_env({**environ, **env})  # the stack's own checks, all problems at once
    unsafe = [key for key, value in env.items() if not _SAFE_VALUE.match(value)]
    if unsafe:
        raise TargetError(f"a value of {', '.join(unsafe)} holds a line break")
    return env


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=TARGETS)
    parser.add_argument("--pr", type=int, help="the pull request number (preview only)")
    parser.add_argument("--targets-file", type=Path, default=TARGETS_FILE)
    parser.add_argument(
        "--for", dest="purpose", choices=PURPOSES, default="deploy", help="gameday: a domain is required"
    )
    args = parser.parse_args(argv)
    if args.pr is not None and args.pr < 1:
        parser.error(f"--pr {args.pr}: a pull request number is a positive integer")
    try:
        environ = os.environ if environ is None else environ
        env = resolve(args.target, args.pr, environ, args.targets_file, args.purpose)
    except TargetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ConfigError as error:
        print(f"error: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    for key, value in env.items():
        print(f"{key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where the locally deployed API answers, and how to call it from this machine.

    python -m flows.endpoints write      cfn-outputs/local-endpoints.json (with the local
                                         caller), and curl commands
    python -m flows.endpoints resolve N  the address the emulator's DNS server answers for N
    python -m flows.endpoints api-key    the client API key's value (from the emulator)

``make deploy-local`` writes the same file (flows/pipeline.py ``write_endpoints``, through
``write_local`` here). Each region's stage answers on its own loopback address at the emulator's
port, and the failover name resolves through the emulator's DNS server (UDP, same port) to
whichever region Route 53's records and health checks choose; both addresses are the running
emulator's own (its status endpoint: ``EMULATOR_ADDRESSES`` picks its block).

The local caller. The payment routes are ``AWS_IAM``: a caller signs with SigV4 and needs
``execute-api:Invoke`` on them, which the stack's ``caller_policy_arn`` output policy grants.
``write`` makes the emulator's IAM user ``tap-caller-<suffix>`` (the suffix the deployment
recorded in its ``deployment_identity`` output) that caller: created if absent, reused if present,
the stack's caller policy attached (and nothing else), its older access keys deleted and a new
one created on each write. The key goes into local-endpoints.json as ``caller``; the clients
(cli/api_client.caller_credentials) sign with it on the emulator. It is a long-term key, so no
session token. The emulator's own credentials (``emulator.endpoint_env``) make the IAM calls.
``remove_caller`` undoes it before a destroy: IAM refuses to delete a managed policy still
attached to a user ("Before you can delete a managed policy, you must first detach the policy
from all users, groups, and roles that it is attached to",
https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeletePolicy.html).

The curl commands sign the payment routes with curl's own SigV4 (``--aws-sigv4
"aws:amz:<region>:execute-api"``, curl >= 7.75; ``man curl``): curl signs the Host it sends and
every ``-H`` header given, so ``-H "x-amz-security-token: ..."`` goes in only with temporary
credentials (an empty one is signed but not sent, and the signature fails).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cli.outputs_file import FLAT_OUTPUTS, OutputsError, load_outputs, topology_of
from lib.config import resource_name
from lib.regions import ROLES
from local_aws import emulator
from local_aws.dataplane import control

ROOT = Path(__file__).resolve().parents[1]
LOCAL_ENDPOINTS = ROOT / "cfn-outputs" / "local-endpoints.json"
NEEDED = (
    "topology",
    *(f"{role}_{name}" for role in ROLES for name in ("api_endpoint", "api_key_id")),
    "failover_domain_name",
)
STAGE_URL_PATH = "/restapis/{api}/{stage}/_user_request_"
CALLER_PURPOSE = "caller"  # the local caller: tap-caller-<suffix>
SIGN = '--aws-sigv4 "aws:amz:{region}:execute-api" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"'
TEMPORARY_CREDENTIALS_NOTE = (
    '# temporary credentials (AWS_SESSION_TOKEN set): add -H "x-amz-security-token: $AWS_SESSION_TOKEN" '
    "(only then: curl signs it even when empty)"
)
ClientFactory = Callable[[str, str], Any]


def local_endpoints(outputs: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    """The stage base URLs reachable from this machine, the failover URL and the DNS server, from
    the running emulator's ``status`` (``dataplane/control.status``: its port, its DNS server and
    each region's API address)."""
    port, addresses = int(status["port"]), status["api_addresses"]
    endpoints: dict[str, Any] = {}
    for role, region in topology_of(outputs).roles:
        url = urlsplit(outputs[f"{role}_api_endpoint"])  # https://{api}.execute-api.{region}.amazonaws.com/v1
        api = (url.hostname or "").split(".", 1)[0]
        stage = url.path.strip("/")
        if region not in addresses:
            raise LookupError(f"the emulator serves no API address for {region}")
        stage_path = STAGE_URL_PATH.format(api=api, stage=stage)
        endpoints[f"{role}_api_url"] = f"http://{addresses[region]}:{port}{stage_path}"
        endpoints[f"{role}_region"] = region
        endpoints[f"{role}_address"] = addresses[region]
    name = outputs.get("failover_domain_name") or ""
    endpoints["failover_api_url"] = f"http://{name}:{port}" if name else ""
    endpoints["dns_server"] = str(status["dns"]).removesuffix("/udp")
    return endpoints


def curl_commands(endpoints: dict[str, Any]) -> str:
    """What ``make deploy-local`` prints: the local caller's key to export, then curl commands
    for each stage and the failover name, the payment routes signed (``--aws-sigv4``) with it."""
    python = ".venv/bin/python -m flows.endpoints"
    body = '{"amount": "10.50", "currency": "EUR", "customer_id": "c-1"}'
    key, json_type = '-H "x-api-key: $KEY"', "-H 'content-type: application/json'"
    primary, secondary = endpoints["primary_api_url"], endpoints["secondary_api_url"]
    sign = {role: SIGN.format(region=endpoints[f"{role}_region"]) for role in ROLES}
    caller = endpoints["caller"]
    lines = [
        "Call the API: the payment routes need a SigV4 signature (service execute-api, the region that",
        f"answers) and the key, /health neither. Sign as the local caller {caller['user_arn']}:",
        f"  export AWS_ACCESS_KEY_ID={shlex.quote(caller['access_key_id'])} "
        f"AWS_SECRET_ACCESS_KEY={shlex.quote(caller['secret_access_key'])}",
        f"  KEY=$({python} api-key)",
        f"  curl {primary}/health",
        f"  curl {secondary}/health",
        "  # create in the primary, read it in the secondary:",
        f"  curl {sign['primary']} {key} {json_type} -d '{body}' {primary}/payments",
        f"  curl {sign['secondary']} {key} {secondary}/customers/c-1/payments",
        f"  {TEMPORARY_CREDENTIALS_NOTE}",
    ]
    failover = endpoints["failover_api_url"]
    if failover:
        host = urlsplit(failover).hostname
        port = urlsplit(failover).port
        lines += [
            "  # the failover name, wherever DNS sends it now (make outage-local REGION=... moves it).",
            "  # The same name in both regions: signed for the primary; a 403 'Credential should be",
            "  # scoped to a valid region' means the secondary answers now: sign with",
            f"  # aws:amz:{endpoints['secondary_region']}:execute-api instead",
            f"  AT={host}:{port}:$({python} resolve {host})",
            f'  curl --resolve "$AT" {failover}/health',
            f"  curl --resolve \"$AT\" {sign['primary']} {key} {json_type} -d '{body}' {failover}/payments",
            f'  curl --resolve "$AT" {sign["primary"]} {key} {failover}/customers/c-1/payments',
        ]
    return "\n".join(lines)


def aws_curl_commands(outputs: Mapping[str, Any]) -> str:
    """The curl commands for a real deployment (``make deploy``'s outputs): signed with the
    caller's own credentials, which need the ``caller_policy_arn`` policy."""
    region = topology_of(outputs).primary
    failover = outputs.get("failover_domain_name") or "<failover domain>"
    return "\n".join(
        [
            "On real AWS (make deploy), with the same outputs, signed with your own credentials (attach the",
            f"caller policy {outputs.get('caller_policy_arn') or '<caller_policy_arn>'} to your role):",
            f"    KEY=$(aws apigateway get-api-key --api-key {outputs['primary_api_key_id']} --include-value "
            "--query value --output text)",
            f"    curl {SIGN.format(region=region)} \\",
            "      -H \"x-api-key: $KEY\" -H 'content-type: application/json' \\",
            f'      -d \'{{"amount": "10.50", "currency": "EUR", "customer_id": "c-1"}}\' '
            f"{outputs['primary_api_endpoint']}/payments",
            f"    {TEMPORARY_CREDENTIALS_NOTE}",
            f"    curl https://{failover}/health   # after DNS delegation",
        ]
    )


def caller_name(outputs: Mapping[str, Any]) -> str:
    """``tap-caller-<suffix>``, the suffix the deployment recorded (``deployment_identity``)."""
    try:
        suffix = json.loads(outputs["deployment_identity"])["suffix"]
    except (KeyError, TypeError, ValueError):
        raise LookupError(
            "the outputs lack deployment_identity (its suffix): redeploy (make deploy-local)"
        ) from None
    return resource_name(suffix, CALLER_PURPOSE)


def ensure_caller(outputs: Mapping[str, Any], client: ClientFactory) -> dict[str, str]:
    """The local caller (module docstring): the IAM user with the stack's caller policy and a
    fresh access key. ``client(service, region)`` makes the emulator's boto3 client."""
    policy_arn = outputs.get("caller_policy_arn")
    if not isinstance(policy_arn, str) or not policy_arn:
        raise LookupError(
            "the outputs have no caller_policy_arn: the deployment predates the signed payment routes; "
            "redeploy (make deploy-local)"
        )
    name = caller_name(outputs)
    iam = client("iam", topology_of(outputs).global_region)
    try:
        user = iam.get_user(UserName=name)["User"]
    except iam.exceptions.NoSuchEntityException:
        user = iam.create_user(UserName=name)["User"]
    for attached in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
        if attached["PolicyArn"] != policy_arn:  # a previous deployment's: the caller has one grant
            iam.detach_user_policy(UserName=name, PolicyArn=attached["PolicyArn"])
    iam.attach_user_policy(UserName=name, PolicyArn=policy_arn)
    for old in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=old["AccessKeyId"])
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {
        "user_arn": user["Arn"],
        "access_key_id": key["AccessKeyId"],
        "secret_access_key": key["SecretAccessKey"],
    }


def remove_caller(outputs: Mapping[str, Any], client: ClientFactory) -> bool:
    """Delete the local caller (its policies detached, its keys deleted) if it exists: before a
    destroy, so the caller policy can be deleted. True when there was one."""
    name = caller_name(outputs)
    iam = client("iam", topology_of(outputs).global_region)
    try:
        attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    except iam.exceptions.NoSuchEntityException:
        return False
    for policy in attached:
        iam.detach_user_policy(UserName=name, PolicyArn=policy["PolicyArn"])
    for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=name)
    return True


def write_local(
    outputs: Mapping[str, Any], status: dict[str, Any], client: ClientFactory, out: Path
) -> dict[str, Any]:
    """local-endpoints.json at ``out``: the endpoints (``local_endpoints``) and the local caller."""
    endpoints = local_endpoints(dict(outputs), status)
    endpoints["caller"] = ensure_caller(outputs, client)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.touch(mode=0o600)  # it holds the caller's secret key: the owner's only
    out.chmod(0o600)
    out.write_text(json.dumps(endpoints, indent=2, sort_keys=True) + "\n")
    return endpoints


def emulator_clients(env: Mapping[str, str]) -> ClientFactory:
    """``client(service, region)`` for the emulator ``env`` names (its endpoint and credentials)."""
    import boto3  # noqa: PLC0415 - only the commands that talk to the emulator need it

    def client(service: str, region: str) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=env["AWS_ENDPOINT_URL"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            config=Config(retries={"max_attempts": 1}),
        )

    return client


def resolve(name: str, dns_server: str) -> list[str]:
    """Ask the emulator's DNS server (UDP, ``address:port``) for the A records of ``name``."""
    import dns.rcode  # noqa: PLC0415 - only for this command

    from cli.api_client import ask  # noqa: PLC0415

    address, _, port = dns_server.rpartition(":")
    answer = ask(name, address, int(port), timeout=3)
    if answer.rcode() != dns.rcode.NOERROR:
        raise LookupError(f"{name}: {dns.rcode.to_text(answer.rcode())} from the emulator's DNS server")
    addresses = [item.to_text() for rrset in answer.answer for item in rrset if rrset.rdtype == 1]
    if not addresses:
        raise LookupError(f"{name}: no A record")
    return addresses


def api_key_value(outputs: dict[str, Any], env: dict[str, str]) -> str:
    """The client key's value from the emulator (cli/api_client.client_api_key: the first
    region that answers)."""
    from cli.api_client import client_api_key  # noqa: PLC0415

    return client_api_key(outputs, topology_of(outputs), emulator_clients(env))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write", help="write local-endpoints.json and print curl commands")
    write.add_argument("--outputs", type=Path, default=FLAT_OUTPUTS)
    write.add_argument("--out", type=Path, default=LOCAL_ENDPOINTS)
    lookup = commands.add_parser("resolve", help="the address the emulator's DNS server answers for NAME")
    lookup.add_argument("name")
    key = commands.add_parser("api-key", help="the client API key's value, from the emulator")
    key.add_argument("--outputs", type=Path, default=FLAT_OUTPUTS)
    args = parser.parse_args(argv)
    if not emulator.running():
        parser.error("the local emulator is not running: run `make deploy-local` first")
    env = emulator.endpoint_env()
    try:
        status = control.status(env["AWS_ENDPOINT_URL"])
        if args.command == "resolve":
            print(resolve(args.name, str(status["dns"]).removesuffix("/udp"))[0])
            return 0
        outputs = load_outputs(args.outputs, list(NEEDED))
        if args.command == "api-key":
            print(api_key_value(outputs, {**os.environ, **env}))
            return 0
        endpoints = write_local(outputs, status, emulator_clients({**os.environ, **env}), args.out)
        print(f"Local endpoints ({args.out}):")
        for name in ("primary_api_url", "secondary_api_url", "failover_api_url", "dns_server"):
            print(f"  {name:<20} {endpoints[name]}")
        print()
        print(curl_commands(endpoints))
    except (OutputsError, LookupError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"error: the emulator refused ({type(error).__name__}: {error})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

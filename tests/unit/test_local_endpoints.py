"""flows/endpoints.py and flows/outage.py: what `make deploy-local` prints and writes (the
local caller, made in an in-process moto IAM; the printed curl commands, run against a loopback
server that checks their SigV4 signatures with botocore), and the outage switch's argument
checks (no emulator needed)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import boto3
import pytest
from moto import mock_aws

from flows import outage
from flows.endpoints import (
    aws_curl_commands,
    caller_name,
    curl_commands,
    ensure_caller,
    local_endpoints,
    remove_caller,
    write_local,
)
from tests.unit.sigv4 import Verifier

OUTPUTS = {
    "primary_api_endpoint": "https://abc123.execute-api.us-east-1.amazonaws.com/v1",
    "secondary_api_endpoint": "https://def456.execute-api.us-west-2.amazonaws.com/v1",
    "topology": '{"global": "us-east-1", "roles": {"primary": "us-east-1", "secondary": "us-west-2"}}',
    "failover_domain_name": "api.tap-dev.payments-dr.net",
    "deployment_identity": json.dumps({"suffix": "dev", "profile": "dev"}),
    "caller_policy_arn": "arn:aws:iam::123456789012:policy/tap-api-caller-dev",
    "primary_api_key_id": "k1",
}
CALLER = {
    "user_arn": "arn:aws:iam::123456789012:user/tap-caller-dev",
    "access_key_id": "AKIACALLER",
    "secret_access_key": "caller/secret+key",
}


def _status(port: int, block: str = "127.0.0") -> dict:
    """What the emulator's status endpoint says (dataplane/plane.py)."""
    return {
        "port": port,
        "dns": f"{block}.1:{port}/udp",
        "api_addresses": {"us-east-1": f"{block}.2", "us-west-2": f"{block}.3"},
    }


def test_each_stage_is_reached_on_its_regions_address_and_the_emulators_port():
    endpoints = local_endpoints(OUTPUTS, _status(4599))
    assert endpoints["primary_api_url"] == "http://127.0.0.2:4599/restapis/abc123/v1/_user_request_"
    assert endpoints["secondary_api_url"] == "http://127.0.0.3:4599/restapis/def456/v1/_user_request_"
    assert endpoints["failover_api_url"] == "http://api.tap-dev.payments-dr.net:4599"
    assert endpoints["dns_server"] == "127.0.0.1:4599"
    assert (endpoints["primary_region"], endpoints["secondary_region"]) == ("us-east-1", "us-west-2")


def test_the_addresses_are_the_running_emulators_own_block():
    endpoints = local_endpoints(OUTPUTS, _status(4601, "127.0.12"))
    assert endpoints["primary_api_url"] == "http://127.0.12.2:4601/restapis/abc123/v1/_user_request_"
    assert endpoints["dns_server"] == "127.0.12.1:4601"
    with pytest.raises(LookupError, match="no API address for us-west-2"):
        local_endpoints(OUTPUTS, {**_status(4601), "api_addresses": {"us-east-1": "127.0.0.2"}})


def _with_caller(endpoints: dict) -> dict:
    return {**endpoints, "caller": CALLER}


def test_without_a_custom_domain_there_is_no_failover_url_and_no_curl_for_it():
    endpoints = local_endpoints({**OUTPUTS, "failover_domain_name": ""}, _status(4566))
    assert endpoints["failover_api_url"] == ""
    assert "--resolve" not in curl_commands(_with_caller(endpoints))


def test_the_curl_commands_export_the_caller_then_sign_the_payment_routes_for_their_region():
    commands = curl_commands(_with_caller(local_endpoints(OUTPUTS, _status(4566))))
    lines = commands.splitlines()
    first_command = next(line for line in lines if line.startswith("  ") and not line.startswith("  #"))
    assert first_command == "  export AWS_ACCESS_KEY_ID=AKIACALLER AWS_SECRET_ACCESS_KEY=caller/secret+key"
    assert "arn:aws:iam::123456789012:user/tap-caller-dev" in commands
    assert "  curl http://127.0.0.2:4566/restapis/abc123/v1/_user_request_/health" in lines  # open: unsigned
    assert "  curl http://127.0.0.3:4566/restapis/def456/v1/_user_request_/health" in lines
    user = '--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"'
    assert (
        f'  curl --aws-sigv4 "aws:amz:us-east-1:execute-api" {user} -H "x-api-key: $KEY" '
        '-H \'content-type: application/json\' -d \'{"amount": "10.50", "currency": "EUR", '
        '"customer_id": "c-1"}\' http://127.0.0.2:4566/restapis/abc123/v1/_user_request_/payments'
    ) in lines
    assert (
        f'  curl --aws-sigv4 "aws:amz:us-west-2:execute-api" {user} -H "x-api-key: $KEY" '
        "http://127.0.0.3:4566/restapis/def456/v1/_user_request_/customers/c-1/payments"
    ) in lines
    assert '-H "x-amz-security-token: $AWS_SESSION_TOKEN"' in commands  # the note for temporary credentials
    assert "flows.endpoints api-key" in commands
    assert (
        "AT=api.tap-dev.payments-dr.net:4566:"
        "$(.venv/bin/python -m flows.endpoints resolve api.tap-dev.payments-dr.net)"
    ) in commands
    assert '  curl --resolve "$AT" http://api.tap-dev.payments-dr.net:4566/health' in lines
    failover_payment = [
        line for line in lines if "--resolve" in line and "/payments" in line and "-d '" in line
    ]
    assert len(failover_payment) == 1 and '"aws:amz:us-east-1:execute-api"' in failover_payment[0]
    assert "aws:amz:us-west-2:execute-api instead" in commands  # what a scope refusal means there


def _runnable(line: str) -> str | None:
    """A printed line as this test runs it: the emulator's answers (the key, the DNS lookup)
    replaced by stand-ins, the export and curl lines as printed, the rest (prose) left out."""
    if line.startswith("KEY="):
        return "KEY=" + "k" * 40
    if line.startswith("AT="):
        return re.sub(r"\$\(.*\)$", "127.0.0.1", line)
    return line if line.startswith(("export ", "curl ")) else None


def test_the_printed_curl_commands_sign_correctly(tmp_path):
    """The printed lines themselves, run by bash and curl (its own SigV4), against a loopback
    server that recomputes each signature with botocore: the export line's key, the region of
    each stage, the Host curl sends (with its port, and the failover name through --resolve)."""
    assert shutil.which("curl"), "curl is needed to check the printed commands"
    with Verifier(
        ("us-east-1", "us-west-2"), {CALLER["access_key_id"]: CALLER["secret_access_key"]}
    ) as server:
        status = {
            **_status(server.port),
            "api_addresses": {"us-east-1": "127.0.0.1", "us-west-2": "127.0.0.1"},
        }
        commands = curl_commands(_with_caller(local_endpoints(OUTPUTS, status)))
        script = ["set -eu", "curl() { command curl -q -s -S -o /dev/null -w '%{http_code}\\n' \"$@\"; }"]
        script += [runnable for line in commands.splitlines() if (runnable := _runnable(line.strip()))]
        ran = subprocess.run(
            ["bash", "-c", "\n".join(script)],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
            check=False,
        )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["403", "403", "201", "201", "403", "201", "201"]  # health unsigned here
    signed = [r for r in server.received if "authorization" in r.headers]
    assert [(r.method, r.region, r.valid) for r in signed] == [
        ("POST", "us-east-1", True),
        ("GET", "us-west-2", True),
        ("POST", "us-east-1", True),
        ("GET", "us-east-1", True),
    ]
    assert all(r.service == "execute-api" and "host" in r.signed_headers for r in signed)
    assert all(r.headers["x-api-key"] == "k" * 40 for r in signed)
    assert signed[0].headers["host"] == f"127.0.0.1:{server.port}"
    assert signed[2].headers["host"] == f"api.tap-dev.payments-dr.net:{server.port}"
    assert json.loads(signed[0].body) == {"amount": "10.50", "currency": "EUR", "customer_id": "c-1"}
    assert all("authorization" not in r.headers for r in server.received if r.target.endswith("/health"))


def test_the_aws_curl_commands_sign_with_the_callers_own_credentials():
    commands = aws_curl_commands(OUTPUTS)
    assert (
        'curl --aws-sigv4 "aws:amz:us-east-1:execute-api" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"'
        in (commands)
    )
    assert "https://abc123.execute-api.us-east-1.amazonaws.com/v1/payments" in commands
    assert "aws apigateway get-api-key --api-key k1 --include-value" in commands
    assert "arn:aws:iam::123456789012:policy/tap-api-caller-dev" in commands
    assert '-H "x-amz-security-token: $AWS_SESSION_TOKEN"' in commands
    assert "curl https://api.tap-dev.payments-dr.net/health" in commands


# --- the local caller ------------------------------------------------------------------------


@pytest.fixture
def iam():
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        document = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}],
        }
        for name in ("tap-api-caller-dev", "tap-api-caller-old"):
            client.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))
        yield client


def _factory(asked: list | None = None):
    def client(service: str, region: str):
        if asked is not None:
            asked.append((service, region))
        return boto3.client(service, region_name=region)

    return client


def _keys(iam, name: str) -> list[str]:
    return [key["AccessKeyId"] for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]]


def _attached(iam, name: str) -> list[str]:
    return [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]]


def test_the_caller_is_created_with_the_stacks_policy_and_a_key(iam):
    asked: list = []
    caller = ensure_caller(OUTPUTS, _factory(asked))
    assert asked == [("iam", "us-east-1")]  # IAM is global: the topology's global region
    user = iam.get_user(UserName="tap-caller-dev")["User"]
    assert caller["user_arn"] == user["Arn"] == "arn:aws:iam::123456789012:user/tap-caller-dev"
    assert _attached(iam, "tap-caller-dev") == [OUTPUTS["caller_policy_arn"]]
    assert _keys(iam, "tap-caller-dev") == [caller["access_key_id"]]
    assert caller["secret_access_key"]


def test_a_second_write_reuses_the_user_with_a_new_key_and_only_the_current_policy(iam):
    first = ensure_caller(OUTPUTS, _factory())
    iam.attach_user_policy(
        UserName="tap-caller-dev", PolicyArn="arn:aws:iam::123456789012:policy/tap-api-caller-old"
    )
    second = ensure_caller(OUTPUTS, _factory())
    assert second["user_arn"] == first["user_arn"]
    assert second["access_key_id"] != first["access_key_id"]
    assert _keys(iam, "tap-caller-dev") == [second["access_key_id"]]  # the older key is gone
    assert _attached(iam, "tap-caller-dev") == [OUTPUTS["caller_policy_arn"]]
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["tap-caller-dev"]
    ensure_caller(OUTPUTS, _factory())  # two keys at once would be IAM's limit: never reached
    assert len(_keys(iam, "tap-caller-dev")) == 1


def test_an_old_deployment_without_the_caller_policy_is_one_line(iam):
    for outputs in (
        {k: v for k, v in OUTPUTS.items() if k != "caller_policy_arn"},
        {**OUTPUTS, "caller_policy_arn": ""},
    ):
        with pytest.raises(
            LookupError, match=r"^the outputs have no caller_policy_arn: .* redeploy"
        ) as error:
            ensure_caller(outputs, _factory())
        assert "\n" not in str(error.value)
    assert iam.list_users()["Users"] == []  # nothing made


def test_the_caller_is_named_by_the_suffix_the_deployment_recorded():
    assert caller_name({"deployment_identity": json.dumps({"suffix": "pr-42"})}) == "tap-caller-pr-42"
    with pytest.raises(LookupError, match="lack deployment_identity"):
        caller_name({"deployment_identity": "not json"})


def test_write_local_writes_the_endpoints_and_the_caller_for_the_owner_only(iam, tmp_path):
    out = tmp_path / "cfn-outputs" / "local-endpoints.json"
    endpoints = write_local(OUTPUTS, _status(4566), _factory(), out)
    written = json.loads(out.read_text())
    assert written == endpoints
    assert written["primary_api_url"] == "http://127.0.0.2:4566/restapis/abc123/v1/_user_request_"
    assert written["caller"]["access_key_id"] == _keys(iam, "tap-caller-dev")[0]
    assert out.stat().st_mode & 0o777 == 0o600


def test_remove_caller_detaches_deletes_keys_and_user_so_the_policy_can_go(iam):
    ensure_caller(OUTPUTS, _factory())
    assert remove_caller(OUTPUTS, _factory()) is True
    assert iam.list_users()["Users"] == []
    assert remove_caller(OUTPUTS, _factory()) is False  # nothing to do


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["down", "us-east-9"], "unknown region 'us-east-9'"),
        (["sideways", "us-east-1"], "invalid choice: 'sideways'"),
        (["down"], "the following arguments are required: region"),
    ],
)
def test_the_outage_switch_refuses_bad_arguments_in_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        outage.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err

"""Fixtures for the integration tests: the deployed stack, read from its flat outputs.

The tests run unchanged against the local emulator (``AWS_ENDPOINT_URL`` set, see
``local_aws``) and against real AWS (no endpoint). Nothing is hard-coded: regions,
account, partition and every name derive from the outputs file (``$FLAT_OUTPUTS``, default
``cfn-outputs/flat-outputs.json``; the regions from its ``topology``) and the project's naming convention
(``tap-<purpose>-<region role>-<suffix>``, ``lib/config.py``).

Every request to the API is signed (SigV4, cli/api_client.py) as the caller: on the emulator the
local caller ``make deploy-local`` made (local-endpoints.json), on AWS botocore's default chain
(a principal with the stack's ``caller_policy_arn`` policy). A stage is signed for its region;
the failover name for the topology's regions, primary first (re-signed on API Gateway's scope
refusal). test_sigv4_identities.py creates IAM users, which the CI roles on AWS may not: it runs
on the emulator only (``collect_ignore`` below, as local and AWS are told apart everywhere here:
``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from botocore.credentials import Credentials

from cli.api_client import (
    CredentialsError,
    Endpoint,
    Signer,
    caller_credentials,
    client_api_key,
    local_endpoints,
    resolve,
    resolve_with_ttl,
)
from cli.outputs_file import OutputsError, default_path, topology_of
from lib.config import PROFILES, PROJECT, Profile, resource_name
from lib.outputs import OUTPUTS
from lib.regions import ROLES, Topology

ROOT = Path(__file__).resolve().parents[2]

# Every output the stack defines; these two are empty when it was deployed without the custom
# domain (ENABLE_CUSTOM_DOMAIN=false), whose tests are marked `custom_domain`.
CUSTOM_DOMAIN_OUTPUTS = ("failover_domain_name", "failover_switch")
REQUIRED_OUTPUTS = tuple(OUTPUTS)
# Adaptive client-side rate limiting and retries: real AWS throttles control-plane reads.
BOTO_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 10}, connect_timeout=5, read_timeout=30)

ClientFactory = Callable[[str, str], Any]

# Tests that create IAM users (the CI roles on AWS may not): collected on the emulator only.
collect_ignore = [] if os.environ.get("AWS_ENDPOINT_URL") else ["test_sigv4_identities.py"]


@dataclass(frozen=True)
class Deployment:
    """What the outputs say about the deployment, plus the names the stack derives."""

    outputs: dict[str, Any]
    topology: Topology
    regions: dict[str, str]  # role -> region name
    partition: str
    account_id: str
    suffix: str

    def region(self, role: str) -> str:
        return self.regions[role]

    def name(self, purpose: str, role: str | None = None) -> str:
        """``tap-<purpose>-<role>-<suffix>``, as the stack names it."""
        return resource_name(self.suffix, purpose, role)

    @property
    def table_name(self) -> str:
        return self.outputs["dynamodb_table_name"]

    @property
    def domain_name(self) -> str:
        return self.outputs["failover_domain_name"]

    def key_arn(self, role: str) -> str:
        return self.outputs[f"{role}_kms_key_arn"]

    def bucket(self, role: str) -> str:
        return self.outputs[f"{role}_bucket_name"]

    def bucket_arn(self, role: str) -> str:
        return f"arn:{self.partition}:s3:::{self.bucket(role)}"

    def function_name(self, role: str) -> str:
        return self.outputs[f"{role}_lambda_function_name"]

    def endpoint(self, role: str) -> str:
        return self.outputs[f"{role}_api_endpoint"]

    def api_id(self, role: str) -> str:
        """The REST API id: the first label of the stage's invoke URL host."""
        return self.execute_api_host(role).split(".")[0]

    def execute_api_host(self, role: str) -> str:
        host = urlsplit(self.endpoint(role)).hostname
        assert host, f"{role}_api_endpoint has no host: {self.endpoint(role)!r}"
        return host

    def stage(self, role: str) -> str:
        """The stage name: the invoke URL's path (``https://<id>.execute-api.<region>.../v1``)."""
        return urlsplit(self.endpoint(role)).path.strip("/")

    def arn(self, service: str, role: str | None, resource: str) -> str:
        region = self.regions[role] if role else ""
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"

    def table_arn(self, role: str) -> str:
        return self.arn("dynamodb", role, f"table/{self.table_name}")

    def log_group_arn(self, role: str, name: str) -> str:
        return self.arn("logs", role, f"log-group:{name}")


def _load_outputs() -> dict[str, Any]:
    path = _outputs_path()
    if not path.is_file():
        pytest.fail(
            f"deployment outputs not found at {path}: run `make deploy-local` first "
            "(or `make deploy` for real AWS), or point $FLAT_OUTPUTS at a flat outputs file",
            pytrace=False,
        )
    try:
        outputs = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        pytest.fail(f"{path} is not JSON ({error}): run `make deploy-local` first", pytrace=False)
    custom_domain = bool(outputs.get("failover_domain_name"))
    missing = [
        name
        for name in REQUIRED_OUTPUTS
        if name not in outputs or not (outputs[name] or (name in CUSTOM_DOMAIN_OUTPUTS and not custom_domain))
    ]
    if missing:
        pytest.fail(f"{path} lacks outputs {missing}: redeploy (`make deploy-local`)", pytrace=False)
    return outputs


@pytest.fixture(autouse=True)
def _custom_domain_deployed(request: pytest.FixtureRequest) -> None:
    """A ``custom_domain`` test against a deployment without one fails with what to do."""
    if request.node.get_closest_marker("custom_domain") and not request.getfixturevalue("outputs").get(
        "failover_domain_name"
    ):
        pytest.fail(
            "deployed with ENABLE_CUSTOM_DOMAIN=false: there is no failover name to test; "
            "deselect these tests with -m 'not custom_domain'",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def outputs() -> dict[str, Any]:
    """The flat stack outputs ``{name: value}``."""
    return _load_outputs()


@pytest.fixture(scope="session")
def deployment(outputs: dict[str, Any]) -> Deployment:
    try:
        topology = topology_of(outputs)
    except OutputsError as error:
        pytest.fail(str(error), pytrace=False)
    regions, partitions, accounts = dict(topology.roles), set(), set()
    for role, region in topology.roles:
        # arn:<partition>:kms:<region>:<account>:key/<id>: the key is where the topology says
        _, partition, service, key_region, account, resource = outputs[f"{role}_kms_key_arn"].split(":", 5)
        assert service == "kms" and resource.startswith("key/"), outputs[f"{role}_kms_key_arn"]
        assert key_region == region, (role, key_region, region)
        partitions.add(partition)
        accounts.add(account)
        host = urlsplit(outputs[f"{role}_api_endpoint"]).hostname or ""
        assert f".execute-api.{region}." in host, (
            f"{role}_api_endpoint {outputs[f'{role}_api_endpoint']!r} is not in {region}"
        )
    assert len(partitions) == 1 and len(accounts) == 1, (partitions, accounts)
    assert regions["primary"] != regions["secondary"], regions
    table_prefix = f"{PROJECT}-payments-"
    assert outputs["dynamodb_table_name"].startswith(table_prefix), outputs["dynamodb_table_name"]
    return Deployment(
        outputs=outputs,
        topology=topology,
        regions=regions,
        partition=partitions.pop(),
        account_id=accounts.pop(),
        suffix=outputs["dynamodb_table_name"].removeprefix(table_prefix),
    )


@pytest.fixture(scope="session")
def primary_region(deployment: Deployment) -> str:
    return deployment.region("primary")


@pytest.fixture(scope="session")
def secondary_region(deployment: Deployment) -> str:
    return deployment.region("secondary")


@pytest.fixture(params=ROLES)
def role(request: pytest.FixtureRequest) -> str:
    """Runs a test once per region role: both regions are built by the same code."""
    return request.param


@pytest.fixture
def region(deployment: Deployment, role: str) -> str:
    return deployment.region(role)


@pytest.fixture(scope="session")
def client() -> ClientFactory:
    """``client(service, region)``: a cached boto3 client with adaptive retries.

    boto3 honours ``AWS_ENDPOINT_URL`` (the emulator) and the usual credential chain.
    """
    session = boto3.session.Session()
    cache: dict[tuple[str, str], Any] = {}

    def factory(service: str, region: str) -> Any:
        if (service, region) not in cache:
            cache[(service, region)] = session.client(service, region_name=region, config=BOTO_CONFIG)
        return cache[(service, region)]

    return factory


@pytest.fixture(scope="session")
def profile(deployment: Deployment, client: ClientFactory) -> Profile:
    """The environment profile the stack was deployed with (its ``Environment`` default tag)."""
    lam = client("lambda", deployment.region("primary"))
    function_arn = lam.get_function(FunctionName=deployment.function_name("primary"))["Configuration"][
        "FunctionArn"
    ]
    tags = lam.list_tags(Resource=function_arn)["Tags"]
    assert tags.get("Environment") in PROFILES, tags
    assert tags.get("EnvironmentSuffix") == deployment.suffix, tags
    return PROFILES[tags["Environment"]]


def _outputs_path() -> Path:
    path = default_path()
    return path if path.is_absolute() else ROOT / path


@pytest.fixture(scope="session")
def api_key_value(deployment: Deployment, client: ClientFactory) -> str:
    """The client API key's value (the same in both regions: the first that answers)."""
    return client_api_key(deployment.outputs, deployment.topology, client)


def _local_endpoints() -> dict[str, Any] | None:
    try:
        return local_endpoints(_outputs_path()) if os.environ.get("AWS_ENDPOINT_URL") else None
    except FileNotFoundError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def local() -> dict[str, Any] | None:
    """The emulator's endpoints file (local-endpoints.json); None against AWS."""
    return _local_endpoints()


@pytest.fixture(scope="session")
def caller(local: dict[str, Any] | None) -> Credentials:
    """What the tests sign with: the local caller on the emulator, the default chain on AWS."""
    try:
        return caller_credentials(local)
    except CredentialsError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def endpoints(
    deployment: Deployment, api_key_value: str, caller: Credentials, local: dict[str, Any] | None
) -> dict[str, Endpoint]:
    """Each region's stage over HTTP (``primary``, ``secondary``), as a client reaches them,
    signed for the stage's region: see tests/integration/test_http_api.py."""
    return {
        role: Endpoint(
            local[f"{role}_api_url"] if local else deployment.endpoint(role),
            api_key_value,
            signer=Signer(caller, [deployment.region(role)]),
        )
        for role in ROLES
    }


def _failover_url(deployment: Deployment, local: dict[str, Any] | None) -> str:
    return local["failover_api_url"] if local else f"https://{deployment.domain_name}"


@pytest.fixture(scope="session")
def failover_endpoint(
    deployment: Deployment, api_key_value: str, caller: Credentials, local: dict[str, Any] | None
) -> Endpoint:
    """The failover name, resolved through the zone's own name servers (the emulator's DNS
    server locally), signed for the topology's regions, primary first. Only a deployment with the
    custom domain has one: its tests are marked ``custom_domain`` (deselected for a target
    without a domain, see deploy/ci_target.py)."""
    failover_url = _failover_url(deployment, local)
    if local:
        dns_host, _, dns_port = local["dns_server"].partition(":")
        name = urlsplit(failover_url).hostname or ""
        address = resolve(name, dns_host, int(dns_port))
    else:
        name_server = socket.gethostbyname(deployment.outputs["name_servers"][0])
        address = resolve(deployment.domain_name, name_server)
    assert address, f"no A record for {failover_url}"
    regions = [region for _, region in deployment.topology.roles]
    return Endpoint(failover_url, api_key_value, connect_to=address[0], signer=Signer(caller, regions))


@pytest.fixture(scope="session")
def custom_domains(
    deployment: Deployment,
    api_key_value: str,
    caller: Credentials,
    local: dict[str, Any] | None,
    client: ClientFactory,
) -> dict[str, Endpoint]:
    """Each region's custom domain: the failover name (Host and SNI) sent to that region's own
    address for it (its API address locally, the regional domain name's on AWS), signed for that
    region. Tests using it are marked ``custom_domain``."""
    failover_url = _failover_url(deployment, local)
    domains = {}
    for role, region in deployment.topology.roles:
        if local:
            address = local[f"{role}_address"]
        else:
            regional = client("apigateway", region).get_domain_name(domainName=deployment.domain_name)
            address = resolve_with_ttl(regional["regionalDomainName"])[0][0]
        domains[role] = Endpoint(
            failover_url, api_key_value, connect_to=address, signer=Signer(caller, [region])
        )
    return domains

"""What the harness tests share: a free loopback port, and the patched moto server in-process
(one per test module, as each module's tests reset it between them)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.integration.support import eventually

# The fake regional APIs and the zone the Route 53 and CloudWatch data-plane tests share.
EAST_API = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
WEST_API = "f6g7h8i9j0.execute-api.us-west-2.amazonaws.com"
EAST_DOMAIN = "d-east12345.execute-api.us-east-1.amazonaws.com"
WEST_DOMAIN = "d-west12345.execute-api.us-west-2.amazonaws.com"
ZONE = "example.com"
API_NAME = f"api.{ZONE}"
DEADLINE = 30.0  # seconds: generous, the machine may be loaded; never reached when all is well


def free_port(address: str = "127.0.0.1") -> int:
    """A port nothing listens on at ``address`` (a loopback address) right now."""
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """The emulator's moto server with every harness patch, on a free 127.0.0.1 port."""
    from moto.server import ThreadedMotoServer

    from local_aws import server

    server.apply_patches()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    yield f"http://{host}:{port}"
    moto.stop()


def boto(
    service: str,
    region: str,
    endpoint: str,
    config: Config | None = None,
    *,
    key: str = "test",
    secret: str = "test",  # noqa: S107 - the emulator's dummy credentials, as emulator.sh env prints them
    token: str | None = None,
) -> Any:
    """A boto3 client of the in-process emulator (the deploy's dummy credentials by default)."""
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=config,
    )


def wait_for(what: str, predicate: Callable[[], Any], deadline: float = 30.0) -> Any:
    """``predicate()`` once it is truthy; AssertionError after ``deadline`` seconds (generous:
    the machine may be loaded; never reached when all is well). The integration tests' poll,
    at the in-process emulator's pace (every 50 ms)."""
    return eventually(predicate, what, timeout=deadline, interval=0.05)


def region_port(*region_names: str) -> int:
    """A port free on each of these regions' loopback addresses: the data plane's one port."""
    from local_aws.regions import address_of

    for _ in range(20):
        sockets = [socket.socket() for _ in region_names]
        try:
            sockets[0].bind((address_of(region_names[0]), 0))
            candidate = sockets[0].getsockname()[1]
            for sock, region in zip(sockets[1:], region_names[1:], strict=True):
                sock.bind((address_of(region), candidate))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return candidate
    raise RuntimeError(f"no port free on the addresses of {', '.join(region_names)}")


def payments_table(name: str, **extra: Any) -> dict[str, Any]:
    """CreateTable's arguments for the stack's payments table (key, attributes, the customer
    index from the API contract), as the provider sends them; ``extra`` adds streams, SSE..."""
    from lib.api_contract import CUSTOMER_INDEX

    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "payment_id", "KeyType": "HASH"}],
        "AttributeDefinitions": [
            {"AttributeName": "payment_id", "AttributeType": "S"},
            {"AttributeName": "customer_id", "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "S"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": CUSTOMER_INDEX,
                "KeySchema": [
                    {"AttributeName": "customer_id", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        **extra,
    }


@pytest.fixture(scope="module")
def local_cloud(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The whole emulator in a process of its own (``tests/harness/local_cloud.py``), one per test
    module, at the module's ``LOCAL_CLOUD_TIME_SCALE`` (default 60: a 60 s period lasts 1 s)."""
    from tests.harness.local_cloud import LocalCloud

    scale = float(getattr(request.module, "LOCAL_CLOUD_TIME_SCALE", 60))
    cloud = LocalCloud.start(tmp_path_factory.mktemp("local-cloud"), scale=scale)
    yield cloud
    cloud.stop()

"""What the harness tests share: a free loopback port, and the patched moto server in-process
(one per test module, as each module's tests reset it between them)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config


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
    the machine may be loaded; never reached when all is well)."""
    end = time.monotonic() + deadline
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {deadline:.0f} s waiting for {what}")
        time.sleep(0.05)

"""What the harness tests share: a free loopback port, and the patched moto server in-process
(one per test module, as each module's tests reset it between them)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest


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

"""A client of the deployed API over HTTP: each region's stage, and the failover name through DNS.

On the emulator the stages answer on the loopback addresses ``make deploy-local`` wrote to
``local-endpoints.json`` (beside the flat outputs, or ``$LOCAL_ENDPOINTS``) and the failover
name resolves through the emulator's DNS server; on real AWS the stage URLs are the outputs'
and a name is resolved at a DNS server of the caller's choice (the hosted zone's own name
servers answer without delegation). The game day, call_api and the integration tests use it.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import dns.message
import dns.query
import dns.rdatatype
import dns.resolver
from botocore.exceptions import BotoCoreError, ClientError

from lib.regions import Topology

TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Response:
    status: int
    body: Any  # the decoded JSON body (None when empty)
    headers: dict[str, str]


@dataclass(frozen=True)
class Endpoint:
    """A stage base URL (``http(s)://host[:port]/base/path``), reached at ``connect_to`` if given
    (an address chosen by DNS, as ``curl --resolve`` does) with the URL's host as Host / SNI."""

    base_url: str
    api_key: str | None = None
    connect_to: str | None = None

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        with_key: bool = True,
    ) -> Response:
        url = urlsplit(self.base_url)
        host = url.hostname or ""
        port = url.port or (443 if url.scheme == "https" else 80)
        address = self.connect_to or host
        if url.scheme == "https":
            context = ssl.create_default_context()
            connection: http.client.HTTPConnection = _TlsTo(address, host, port, context)
        else:
            connection = http.client.HTTPConnection(address, port, timeout=TIMEOUT_SECONDS)
        sent = {"Host": f"{host}:{port}" if url.port else host, **(headers or {})}
        if with_key and self.api_key:
            sent.setdefault("x-api-key", self.api_key)
        payload = raw
        if payload is None and body is not None:
            payload = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        target = url.path.rstrip("/") + path + (f"?{urlencode(query)}" if query else "")
        try:
            connection.request(method, target, body=payload, headers=sent)
            reply = connection.getresponse()
            data = reply.read()
        finally:
            connection.close()
        text = data.decode("utf-8", "replace")
        try:
            decoded = json.loads(text) if text else None
        except ValueError:
            decoded = text
        return Response(reply.status, decoded, dict(reply.getheaders()))


class _TlsTo(http.client.HTTPSConnection):
    """HTTPS to ``address`` with ``server_hostname`` for SNI and certificate checks."""

    def __init__(self, address: str, server_hostname: str, port: int, context: ssl.SSLContext) -> None:
        super().__init__(address, port, timeout=TIMEOUT_SECONDS, context=context)
        self._server_hostname = server_hostname

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._server_hostname)


def local_endpoints(flat_outputs: Path) -> dict[str, Any]:
    """The emulator's endpoints file of a local deployment (beside its outputs, or
    ``$LOCAL_ENDPOINTS``): the stage URLs, the failover URL, the DNS server."""
    path = Path(os.environ.get("LOCAL_ENDPOINTS") or flat_outputs.parent / "local-endpoints.json")
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: `make deploy-local` writes it")
    return json.loads(path.read_text())


def ask(name: str, server: str, port: int = 53, timeout: float = 5) -> dns.message.Message:
    """The reply of one DNS server (the emulator's, or the zone's own) to an A query for ``name``."""
    return dns.query.udp(dns.message.make_query(name, dns.rdatatype.A), server, port=port, timeout=timeout)


def resolve(name: str, server: str, port: int = 53) -> list[str]:
    """A records for ``name`` asked of one DNS server (the emulator's, or the zone's own)."""
    return resolve_with_ttl(name, server, port)[0]


def resolve_with_ttl(name: str, server: str | None = None, port: int = 53) -> tuple[list[str], int]:
    """A records for ``name`` and their TTL: from one DNS server (the emulator's), or from the
    system's resolver when ``server`` is None (real AWS)."""
    if server is None:
        answer = dns.resolver.resolve(name, "A", lifetime=5)
        return [item.to_text() for item in answer], int(answer.rrset.ttl)
    records = [rrset for rrset in ask(name, server, port).answer if rrset.rdtype == dns.rdatatype.A]
    return [item.to_text() for rrset in records for item in rrset], min((r.ttl for r in records), default=0)


def client_api_key(
    outputs: Mapping[str, Any],
    topology: Topology,
    client: Callable[[str, str], Any],
    roles: Iterable[str] | None = None,
) -> str:
    """The client API key's value (``<role>_api_key_id`` in the outputs), from the first of the
    topology's regions (or of ``roles``) that answers: both hold the same value, and in a regional
    outage the surviving region's API Gateway still gives it. ``client(service, region)`` makes
    the boto3 client. LookupError, naming each region's error, when none does."""
    errors = []
    chosen = None if roles is None else set(roles)
    for role, region in topology.roles:
        if chosen is not None and role not in chosen:
            continue
        try:
            return client("apigateway", region).get_api_key(
                apiKey=outputs[f"{role}_api_key_id"], includeValue=True
            )["value"]
        except (BotoCoreError, ClientError) as error:
            errors.append(f"{role}: {error}")
    raise LookupError(f"no region gave the API key ({'; '.join(errors)})")

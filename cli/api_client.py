"""A client of the deployed API over HTTP: each region's stage, and the failover name through DNS.

On the emulator the stages answer on the loopback addresses ``make deploy-local`` wrote to
``local-endpoints.json`` (beside the flat outputs, or ``$LOCAL_ENDPOINTS``) and the failover
name resolves through the emulator's DNS server; on real AWS the stage URLs are the outputs'
and a name is resolved at a DNS server of the caller's choice (the hosted zone's own name
servers answer without delegation). The game day, call_api and the integration tests use it.

Signing. The payment routes are ``AWS_IAM``: "When IAM authorization is enabled, clients must
use Signature Version 4 (SigV4) [...] to sign their requests with AWS credentials"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html).
An ``Endpoint`` with a ``Signer`` signs every request with botocore's
``SigV4Auth(credentials, "execute-api", region)`` over exactly what it sends: the method, the
path and query as sent, every header it sets (the Host header as sent: the stage host, custom
domain or failover name, with the port when it is not the scheme's default; the API key; the
content type) and the body's SHA-256. ``signed=False`` sends a request unsigned on purpose.

Which region. "Symmetric SigV4 requires you to derive a key that is scoped to a single AWS
service, in a single AWS region" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html),
and API Gateway refuses a signature scoped to another region with 403 "Credential should be
scoped to a valid region, not '<region>'. " (third-party capture of real AWS on a custom domain,
https://github.com/Kong/insomnia/issues/713). A stage host names its region; the failover name
is the SAME name in both regions, so a client of it cannot tell from the name which region will
answer. The signer therefore signs for the first region of a preference list (the region that
last answered for that Host, else the topology's order: primary first), and on a 403 whose
message says the credential should be scoped to a valid region it signs again for the next
region and resends: API Gateway refused the request before authorizing it, so nothing was
processed and the resend is safe (a POST included). Each region is tried at most once per
request; the region that worked is remembered for that Host. The failover path needs nothing
from the failed region: it signs for the other region of the topology it already holds, with
no control-plane call (CONVENTIONS: recovery uses the data plane of the surviving region).
SigV4a (one signature for several regions) would avoid the resend but needs the CRT signer;
SigV4 with the resend is what the emulator verifies.

Credentials (``caller_credentials``): on the emulator the local deployment's caller (the IAM
user ``python -m flows.endpoints write`` creates, its key in local-endpoints.json), else
botocore's default chain (environment, shared files, SSO, container or instance role),
session token included; refreshable credentials are frozen once per signature.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, quote, urlencode, urlsplit

import botocore.session
import dns.message
import dns.query
import dns.rdatatype
import dns.resolver
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError, ClientError

from lib.regions import Topology

TIMEOUT_SECONDS = 30
SERVICE = "execute-api"  # the SigV4 service name of API Gateway's invoke endpoints
# API Gateway's answer to a signature scoped to a region that does not serve the request.
WRONG_REGION = "Credential should be scoped to a valid region"
_DEFAULT_PORTS = {"http": 80, "https": 443}


class CredentialsError(LookupError):
    """No credentials to sign with: one line saying where they were looked for."""


@dataclass(frozen=True)
class Response:
    status: int
    body: Any  # the decoded JSON body (None when empty)
    headers: dict[str, str]
    signed_for: str | None = None  # the region the request was signed for; None: unsigned

    def header(self, name: str) -> str | None:
        """A response header, by name in any case (HTTP header names are case-insensitive)."""
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), None)

    @property
    def wrong_region(self) -> bool:
        """API Gateway refused the signature's region (before processing the request)."""
        if self.status != 403:
            return False
        text = self.body if isinstance(self.body, str) else json.dumps(self.body)
        return WRONG_REGION in text


class Signer:
    """SigV4 for ``execute-api`` with ``credentials``, for one of ``regions`` (the preference
    order: primary first for the failover name, the stage's own region for a stage), remembering
    per Host the region that last answered. Shared by the endpoints of one client; thread-safe."""

    def __init__(self, credentials: Credentials, regions: Iterable[str]) -> None:
        self.credentials = credentials
        self.regions = tuple(dict.fromkeys(regions))
        if not self.regions:
            raise ValueError("a signer needs at least one region")
        self._answered: dict[str, str] = {}  # Host header -> the region that last answered
        self._lock = threading.Lock()

    def order(self, host: str) -> list[str]:
        """The regions to try for ``host``: the one that last answered first, then the rest."""
        with self._lock:
            last = self._answered.get(host)
        return [r for r in self.regions if r == last] + [r for r in self.regions if r != last]

    def answered(self, host: str, region: str) -> None:
        with self._lock:
            self._answered[host] = region

    def remembered(self, host: str) -> str | None:
        with self._lock:
            return self._answered.get(host)

    def sign(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, *, region: str
    ) -> dict[str, str]:
        """``headers`` plus X-Amz-Date, Authorization (and X-Amz-Security-Token with a session
        token): every header given is signed, the Host header included."""
        request = AWSRequest(method=method, url=url, headers=dict(headers), data=body or b"")
        SigV4Auth(self.credentials.get_frozen_credentials(), SERVICE, region).add_auth(request)
        return dict(request.headers.items())


@dataclass(frozen=True)
class Endpoint:
    """A stage base URL (``http(s)://host[:port]/base/path``), reached at ``connect_to`` if given
    (an address chosen by DNS, as ``curl --resolve`` does) with the URL's host as Host / SNI;
    requests signed by ``signer`` (None: never signed)."""

    base_url: str
    api_key: str | None = None
    connect_to: str | None = None
    signer: Signer | None = None

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
        signed: bool = True,
    ) -> Response:
        url = urlsplit(self.base_url)
        host_header = _host_header(url)
        sent = {"Host": host_header, **(headers or {})}
        if with_key and self.api_key:
            sent.setdefault("x-api-key", self.api_key)
        payload = raw
        if payload is None and body is not None:
            payload = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        # The query in SigV4's canonical encoding (RFC 3986 unreserved kept, %20 for a space),
        # so a verifier that re-encodes it gets the string that was signed.
        encoded = urlencode(query, quote_via=quote, safe="-_.~") if query else ""
        target = url.path.rstrip("/") + path + (f"?{encoded}" if encoded else "")
        if not signed or self.signer is None:
            return self._send(url, method, target, sent, payload)
        response: Response | None = None
        for region in self.signer.order(host_header):
            full = f"{url.scheme}://{host_header}{target}"
            signed_headers = self.signer.sign(method, full, sent, payload, region=region)
            response = self._send(url, method, target, signed_headers, payload, region=region)
            if not response.wrong_region:
                self.signer.answered(host_header, region)
                return response
        assert response is not None  # a signer has at least one region
        return response  # every region refused the scope: the caller sees the last refusal

    def _send(
        self,
        url: SplitResult,
        method: str,
        target: str,
        headers: dict[str, str],
        payload: bytes | None,
        *,
        region: str | None = None,
    ) -> Response:
        host, port = url.hostname or "", url.port or _DEFAULT_PORTS.get(url.scheme, 80)
        address = self.connect_to or host
        if url.scheme == "https":
            context = ssl.create_default_context()
            connection: http.client.HTTPConnection = _TlsTo(address, host, port, context)
        else:
            connection = http.client.HTTPConnection(address, port, timeout=TIMEOUT_SECONDS)
        try:
            connection.request(method, target, body=payload, headers=headers)
            reply = connection.getresponse()
            data = reply.read()
        finally:
            connection.close()
        text = data.decode("utf-8", "replace")
        try:
            decoded = json.loads(text) if text else None
        except ValueError:
            decoded = text
        return Response(reply.status, decoded, dict(reply.getheaders()), region)


def _host_header(url: SplitResult) -> str:
    """The Host header a client sends for ``url``: the name, with the port unless it is the
    scheme's default (as curl and botocore write it)."""
    host = url.hostname or ""
    return host if url.port in (None, _DEFAULT_PORTS.get(url.scheme)) else f"{host}:{url.port}"


def caller_credentials(local: Mapping[str, Any] | None) -> Credentials:
    """The credentials the clients sign with: the local deployment's caller (``local``: the
    emulator's endpoints file, which ``python -m flows.endpoints write`` gives a ``caller``),
    else botocore's default chain. CredentialsError, one line, when there are none."""
    if local is not None:
        caller = local.get("caller")
        if not isinstance(caller, Mapping) or not all(
            isinstance(caller.get(name), str) and caller.get(name)
            for name in ("access_key_id", "secret_access_key")
        ):
            raise CredentialsError(
                "the local endpoints file has no caller to sign with: rerun `make deploy-local` "
                "(python -m flows.endpoints write creates the caller)"
            )
        return Credentials(caller["access_key_id"], caller["secret_access_key"])
    credentials = botocore.session.get_session().get_credentials()
    if credentials is None:
        raise CredentialsError(
            "no AWS credentials to sign the API requests with (botocore's default chain: "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, a container or instance role)"
        )
    return credentials


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

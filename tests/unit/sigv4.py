"""A SigV4 verifier for the client tests: recomputes a received request's signature with botocore
and answers as API Gateway does for the checks it makes before authorizing.

``verify`` follows the steps of "AWS then replicates this process and verifies the signature"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html): the canonical request of
the signed headers, the path and query as received and the body's SHA-256, signed with the key
derived for the credential scope's date, region and service. ``Verifier`` is a loopback HTTP
server (127.0.0.1, a free port) serving some regions: a signature scoped to another region gets
API Gateway's 403 "Credential should be scoped to a valid region, not '<region>'. "; every
request is recorded with the verdict. ``no_credentials_anywhere`` empties botocore's default chain.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)"
    r"/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass
class Received:
    """One request as the server saw it, and what the verifier made of it."""

    method: str
    target: str  # path and query, as received
    headers: dict[str, str]  # names in lower case
    body: bytes
    region: str | None = None  # the credential scope's
    service: str | None = None
    signed_headers: list[str] = field(default_factory=list)
    valid: bool = False


def verify(received: Received, secrets: dict[str, str]) -> Received:
    """Fill in the scope and whether the signature matches the one botocore computes."""
    found = _AUTHORIZATION.match(received.headers.get("authorization", ""))
    if not found:
        return received
    received.region, received.service = found["region"], found["service"]
    received.signed_headers = found["signed"].split(";")
    secret = secrets.get(found["key"])
    date = received.headers.get("x-amz-date", "")
    if secret is None or not date.startswith(found["date"]):
        return received
    headers = {name: received.headers[name] for name in received.signed_headers if name in received.headers}
    request = AWSRequest(
        method=received.method, url=f"http://{headers.get('host', '')}{received.target}", data=received.body
    )
    for name, value in headers.items():
        request.headers[name] = value
    request.context["timestamp"] = date
    token = received.headers.get("x-amz-security-token")
    auth = SigV4Auth(Credentials(found["key"], secret, token), found["service"], found["region"])
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    received.valid = expected == found["signature"] and len(headers) == len(received.signed_headers)
    return received


class Verifier:
    """A loopback server for ``regions``: verifies each request, answers 403 with API Gateway's
    scope error for a signature of another region, else 201 with the region that served it."""

    def __init__(self, regions: tuple[str, ...], secrets: dict[str, str]) -> None:
        self.regions, self.secrets = regions, secrets
        self.received: list[Received] = []
        verifier = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received = Received(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                verifier.received.append(verify(received, verifier.secrets))
                status, body = verifier.answer(received)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def answer(self, received: Received) -> tuple[int, dict[str, Any]]:
        if received.region is None:
            return 403, {"error": "Missing Authentication Token"}
        if received.region not in self.regions:
            # The stack's DEFAULT_4XX template gives API Gateway's message as {"error": ...}.
            return 403, {"error": f"Credential should be scoped to a valid region, not '{received.region}'. "}
        if not received.valid:
            return 403, {"error": "The request signature we calculated does not match"}
        return 201, {"region": received.region}

    def __enter__(self) -> Verifier:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def no_credentials_anywhere(monkeypatch: Any, tmp_path: Any) -> None:
    """No credentials anywhere botocore's default chain looks (environment, files, IMDS)."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

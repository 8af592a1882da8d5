"""The whole emulator as a black box, for tests written from AWS's documentation alone.

``LocalCloud.start`` runs ``local_aws/emulator.sh start`` in a process of its own on a free port,
with its own state directory and time scale, exactly as ``make deploy-local`` does; a test talks
to it only the way a client of AWS would (boto3 against the endpoint, DNS queries, HTTP to the
regions' API addresses) plus the emulator's own documented controls (the outage switch, the call
counter, reset). Nothing here imports the emulator's code: a test written against this class
knows AWS's documentation and the emulator's documented differences, never its implementation.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import dns.message
import dns.query
import dns.rdatatype
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "local_aws" / "emulator.sh"
ATTEMPTS = 5  # a port found free can be taken before the emulator binds it: try another


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalCloud:
    """A running emulator: ``endpoint`` (moto and the controls), its ``scale`` (AWS seconds per
    real second) and ``state_dir`` (its log is ``state_dir / "moto.log"``)."""

    port: int
    scale: float
    state_dir: Path
    _env: dict[str, str] = field(repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls, state_dir: Path, *, scale: float = 1.0, extra_env: dict[str, str] | None = None
    ) -> LocalCloud:
        """Start an emulator (RuntimeError with its log when it does not come up)."""
        errors = []
        for _ in range(ATTEMPTS):
            port = _free_port()
            env = {
                **os.environ,
                "EMULATOR_PORT": str(port),
                "EMULATOR_STATE_DIR": str(state_dir),
                "EMULATOR_TIME_SCALE": str(scale),
                "EMULATOR_START_TIMEOUT": "60",
                "PYTHON": sys.executable,
                **(extra_env or {}),
            }
            started = subprocess.run(
                [str(SCRIPT), "start"], env=env, capture_output=True, text=True, check=False, timeout=90
            )
            if started.returncode == 0:
                return cls(port, scale, state_dir, env)
            errors.append(started.stderr.strip())
        raise RuntimeError("the emulator did not start: " + " | ".join(errors))

    def sdk_env(self) -> dict[str, str]:
        """The environment that points an SDK, the AWS CLI or Terraform at this emulator
        (``emulator.sh env``) on top of this process's."""
        out = subprocess.run(
            [str(SCRIPT), "env"], env=self._env, capture_output=True, text=True, check=True, timeout=30
        ).stdout
        exports = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines() if "=" in line)
        return {**os.environ, **exports}

    def stop(self) -> None:
        subprocess.run([str(SCRIPT), "stop"], env=self._env, capture_output=True, check=False, timeout=60)

    # -- AWS, as a client sees it ---------------------------------------------------------

    def client(self, service: str, region: str = "us-east-1", **config: Any) -> Any:
        """A boto3 client of ``service`` in ``region`` (dummy credentials, no retries by default)."""
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, **config),
        )

    def dns_server(self) -> tuple[str, int]:
        """(address, port) of the emulator's DNS server (UDP), serving the public hosted zones."""
        address, _, number = self.status()["dns"].split("/")[0].rpartition(":")
        return address, int(number)

    def query(self, name: str, rdtype: str = "A") -> dns.message.Message:
        """The DNS server's whole reply to one query (answer, authority, rcode, TTLs)."""
        address, port = self.dns_server()
        return dns.query.udp(dns.message.make_query(name, rdtype), address, port=port, timeout=5)

    def a_records(self, name: str) -> tuple[list[str], int]:
        """The A records answered for ``name`` (sorted) and their TTL on the wire (([], 0): none)."""
        reply = self.query(name, "A")
        rrsets = [r for r in reply.answer if r.rdtype == dns.rdatatype.A]
        return sorted(item.to_text() for r in rrsets for item in r), min((r.ttl for r in rrsets), default=0)

    def region_address(self, region: str) -> str:
        """The loopback address where ``region``'s API Gateway stages answer (on ``port``); the
        execute-api names of that region resolve to it."""
        return self.status()["api_addresses"][region]

    # -- the emulator's own controls ------------------------------------------------------

    def _json(self, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.endpoint + path,
            data=data,
            method="GET" if body is None else "POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=15) as response:
            text = response.read()
        return json.loads(text) if text else None

    def status(self) -> dict[str, Any]:
        """``{"port", "time_scale", "dns", "regions_out", "api_addresses"}``."""
        return self._json("/_local_aws/dataplane")

    def outage(self, region: str, *, down: bool) -> None:
        """Take ``region`` out (its API addresses refuse connections, every AWS call signed for it
        answers 503) or bring it back; nothing stored changes."""
        self._json("/_local_aws/outage", {"region": region, "down": down})

    def calls(self) -> dict[str, int]:
        """AWS API calls served so far, by ``"<service>/<region>"``."""
        return self._json("/_local_aws/calls")

    def reset(self) -> None:
        """Forget every resource (moto's reset); regions switched out come back."""
        for region in self.status()["regions_out"]:
            self.outage(region, down=False)
        reset = urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST")
        urllib.request.urlopen(reset, timeout=30).close()

    def log(self) -> str:
        return (self.state_dir / "moto.log").read_text(errors="replace")

    # -- time -------------------------------------------------------------------------------

    def real(self, aws_seconds: float) -> float:
        """Real seconds that ``aws_seconds`` of AWS time take here."""
        return aws_seconds / self.scale

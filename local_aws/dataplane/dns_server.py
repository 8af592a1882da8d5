"""Route 53's DNS for the emulator: moto's hosted zones answered over UDP (TCP too on request).

AWS: "Route 53 responds to DNS queries using a global network of authoritative DNS servers"
(https://docs.aws.amazon.com/Route53/latest/APIReference/Welcome.html). moto 5.2.5 stores hosted
zones and records but answers no DNS query. ``DnsServer`` answers from
moto's in-memory zones (every account, public zones only) as Route 53's name servers would: the
answers are its ``Resolver``'s (``dns_resolver``: zones, CNAME chains, aliases, execute-api
names, failover), and ``DnsServer.resolve`` gives the same answer without the wire, for
in-process use (the data plane and the health checkers find where a host goes with
``DnsServer.lookup``).

On the wire: one question per query (else FORMERR), of class IN (else REFUSED; an opcode other
than QUERY is NOTIMP); the authoritative flag on an answer from a hosted zone; length-prefixed
messages over TCP (RFC 1035 4.2.2). Size, as AWS states it: "responses sent over UDP are no more
than 512 bytes in size. Responses exceeding 512 bytes are truncated and the resolver must re-issue
the request over TCP. If the resolver supports EDNS0 [...] Route 53 permits responses up to 4096
bytes over UDP, without truncation"
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSBehavior.html): the query's EDNS
payload size counts up to 4096, never more. A record value DNS cannot carry is
left out; a failure answers SERVFAIL.

Where the emulator differs: every TTL is divided by the emulator's time scale and is at least 1 s
on the wire; DNSSEC and EDNS options are not served.
"""

from __future__ import annotations

import socketserver
import struct
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from local_aws.dataplane.dns_resolver import REFUSED, SERVFAIL, Resolver

UDP_PAYLOAD = 512  # without EDNS (RFC 1035)
EDNS_PAYLOAD_MAX = 4096  # what Route 53 sends over UDP at most, whatever the query offers
TCP_IDLE_TIMEOUT = 2.0  # seconds a TCP client may stay silent before the server hangs up


class DnsServer(Resolver):
    """Authoritative DNS for moto's hosted zones, on ``host``:``port`` (port 0: any free port,
    see ``address``). ``health(health_check_id)`` is the checkers' verdict (True when unknown),
    e.g. ``HealthCheckers.is_healthy``; ``scale`` divides every TTL.

    UDP always; TCP too when ``tcp`` (same port): off by default, since on the emulator's own
    port TCP is moto's control plane (and a DNS server started first would take it)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int,
        health: Callable[[str], bool],
        scale: float = 1.0,
        tcp: bool = False,
    ) -> None:
        super().__init__(health=health, scale=scale)
        self.host = host
        self.port = port
        self.tcp = tcp
        self._udp: socketserver.UDPServer | None = None
        self._tcp: socketserver.ThreadingTCPServer | None = None
        self._threads: list[threading.Thread] = []
        self._stats_lock = threading.Lock()
        self._stats: Counter[str] = Counter()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        if self._threads:
            raise RuntimeError("DNS server already started")
        self._udp, self._tcp = self._bind()
        for name, server in (("udp", self._udp), ("tcp", self._tcp)):
            if server is None:
                continue
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.2}, name=f"dns-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        for server in (self._udp, self._tcp):
            if server is not None:
                server.shutdown()
        for thread in self._threads:
            thread.join()
        for server in (self._udp, self._tcp):
            if server is not None:
                server.server_close()  # the TCP server joins its connection threads
        self._udp = self._tcp = None
        self._threads = []

    def __enter__(self) -> DnsServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) the server answers on (the port chosen when 0 was asked)."""
        if self._udp is None:
            return self.host, self.port
        host, port = self._udp.server_address[:2]
        return str(host), int(port)

    def stats(self) -> dict[str, int]:
        """Queries answered over the wire: "queries" and one count per rcode."""
        with self._stats_lock:
            return dict(self._stats)

    @property
    def serves_tcp(self) -> bool:
        return self._tcp is not None

    def _bind(self) -> tuple[socketserver.UDPServer, socketserver.ThreadingTCPServer | None]:
        """UDP, and TCP on the same port (``tcp``); for port 0, retry until both get one."""
        last_error: OSError | None = None
        for _ in range(10):
            udp = _UdpServer((self.host, self.port), _UdpHandler)
            udp.dns = self
            if not self.tcp:
                return udp, None
            try:
                tcp = _TcpServer((self.host, udp.server_address[1]), _TcpHandler)
            except OSError as error:
                last_error = error
                udp.server_close()
                if self.port:
                    raise
                continue
            tcp.dns = self
            return udp, tcp
        raise OSError(f"no port free for both UDP and TCP on {self.host}") from last_error

    # -- the wire --------------------------------------------------------------------------

    def answer_wire(self, data: bytes, max_size: int | None = UDP_PAYLOAD) -> bytes | None:
        """The wire response to a wire query (None: not a DNS query, dropped). ``max_size``:
        the UDP limit (the query's EDNS payload size if larger, at most ``EDNS_PAYLOAD_MAX``);
        None over TCP."""
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return None
        offered = min(query.payload, EDNS_PAYLOAD_MAX) if query.edns >= 0 else 0
        limit = 65535 if max_size is None else max(max_size, offered)
        try:
            response = dns.message.make_response(query)
            rcode = self._fill(query, response)
            wire = response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            response = self._bare(query, response.rcode())
            response.flags |= dns.flags.TC  # the client retries over TCP
            wire = response.to_wire()
        except Exception:  # a bug or a record DNS can't carry: SERVFAIL, never a dead thread
            rcode = SERVFAIL
            wire = self._bare(query, dns.rcode.SERVFAIL).to_wire()
        with self._stats_lock:
            self._stats["queries"] += 1
            self._stats[rcode] += 1
        return wire

    @staticmethod
    def _bare(query: dns.message.Message, rcode: dns.rcode.Rcode) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.set_rcode(rcode)
        return response

    def _fill(self, query: dns.message.Message, response: dns.message.Message) -> str:
        if query.opcode() != dns.opcode.QUERY:
            response.set_rcode(dns.rcode.NOTIMP)
            return "NOTIMP"
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return "FORMERR"
        question = query.question[0]
        if question.rdclass != dns.rdataclass.IN:
            response.set_rcode(dns.rcode.REFUSED)
            return REFUSED
        answer = self.resolve(question.name.to_text(), dns.rdatatype.to_text(question.rdtype))
        response.set_rcode(dns.rcode.from_text(answer.rcode))
        if answer.zone is not None:
            response.flags |= dns.flags.AA
        for section, records in ((response.answer, answer.records), (response.authority, answer.authority)):
            for record in records:
                rdtype = dns.rdatatype.from_text(record.type)
                try:
                    rdata = dns.rdata.from_text(
                        dns.rdataclass.IN, rdtype, record.value, origin=dns.name.root, relativize=False
                    )
                except dns.exception.DNSException:
                    continue  # a value Route 53 would have refused: leave it out
                rrset = response.find_rrset(
                    section, dns.name.from_text(record.name), dns.rdataclass.IN, rdtype, create=True
                )
                rrset.add(rdata, ttl=max(1, round(record.ttl)))
        return answer.rcode


class _UdpServer(socketserver.UDPServer):
    dns: DnsServer


class _TcpServer(socketserver.ThreadingTCPServer):
    dns: DnsServer
    daemon_threads = False
    block_on_close = True  # server_close() joins the connection threads
    allow_reuse_address = True


class _UdpHandler(socketserver.BaseRequestHandler):
    server: _UdpServer

    def handle(self) -> None:
        data, sock = self.request
        response = self.server.dns.answer_wire(data)
        if response is not None:
            sock.sendto(response, self.client_address)


class _TcpHandler(socketserver.BaseRequestHandler):
    server: _TcpServer

    def handle(self) -> None:
        """Length-prefixed messages (RFC 1035 4.2.2) until the client closes or goes quiet."""
        self.request.settimeout(TCP_IDLE_TIMEOUT)
        try:
            while True:
                prefix = _read(self.request, 2)
                if prefix is None:
                    return
                data = _read(self.request, struct.unpack("!H", prefix)[0])
                if data is None:
                    return
                response = self.server.dns.answer_wire(data, max_size=None)
                if response is None:
                    return
                self.request.sendall(struct.pack("!H", len(response)) + response)
        except OSError:
            return


def _read(sock: Any, size: int) -> bytes | None:
    chunks = b""
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return chunks

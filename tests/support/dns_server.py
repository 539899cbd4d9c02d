"""A real DNS server on loopback (dnslib, UDP and TCP) for tests of DNS checks.

It answers authoritatively from an in-memory record table that tests edit while it runs,
and can delay every answer (benchmarks) or drop a name (faults). Build its records from
synthesized CloudFormation templates with `records_from_templates`.
"""

from __future__ import annotations

import contextlib
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dnslib import CNAME, NS, QTYPE, RCODE, RR, TXT, A, DNSLabel, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer

RecordKey = tuple[str, str]  # (lower-case name without trailing dot, type)


def _key(name: str, rtype: str) -> RecordKey:
    return name.rstrip(".").lower(), rtype.upper()


class RecordTable:
    """Thread-safe (name, type) -> list of values. TXT values are lists of strings."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[RecordKey, list[Any]] = defaultdict(list)

    def put(self, name: str, rtype: str, values: Iterable[Any]) -> None:
        with self._lock:
            self._records[_key(name, rtype)] = list(values)

    def delete(self, name: str, rtype: str) -> None:
        with self._lock:
            self._records.pop(_key(name, rtype), None)

    def get(self, name: str, rtype: str) -> list[Any]:
        with self._lock:
            return list(self._records.get(_key(name, rtype), []))

    def names(self) -> set[str]:
        with self._lock:
            return {name for name, _ in self._records}


class _Resolver(BaseResolver):  # type: ignore[misc]
    def __init__(self, table: RecordTable, server: LoopbackDnsServer) -> None:
        self.table = table
        self.server = server

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        if self.server.latency_seconds:
            time.sleep(self.server.latency_seconds)
        reply = request.reply()
        qname = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        self.server.queries.append((qname, qtype))
        known = qname in self.table.names()
        answers = self.table.get(qname, qtype)
        if not answers and qtype != "CNAME":
            cname = self.table.get(qname, "CNAME")
            if cname:
                qtype, answers = "CNAME", cname
        if not known and self.server.live is not None:  # what a live source (e.g. Route 53) holds
            live = self.server.live(qname, qtype)
            if live is not None:
                known = True
                answers = live.get(qtype, [])
                if not answers and qtype != "CNAME" and live.get("CNAME"):
                    qtype, answers = "CNAME", live["CNAME"]
        for value in answers:
            reply.add_answer(
                RR(DNSLabel(qname + "."), QTYPE.reverse[qtype], rdata=_rdata(qtype, value), ttl=60)
            )
        if not answers and not known:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


def _rdata(rtype: str, value: Any) -> Any:
    if rtype == "TXT":
        strings = [value] if isinstance(value, str) else list(value)
        return TXT([s.encode("latin-1") for s in strings])  # any byte: hostile answers carry C1 controls too
    if rtype == "CNAME":
        return CNAME(value.rstrip(".") + ".")
    if rtype == "NS":
        return NS(value.rstrip(".") + ".")
    if rtype == "A":
        return A(value)
    raise ValueError(f"unsupported record type {rtype}")


class _QuietHandler(DNSHandler):  # type: ignore[misc]
    """Drops the error when a delayed answer meets a server that was already closed."""

    def handle(self) -> None:
        with contextlib.suppress(OSError):
            super().handle()


class LoopbackDnsServer:
    """`with LoopbackDnsServer() as dns: dns.records.put(...); resolver at dns.address`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.records = RecordTable()
        # A name not in `records` is looked up here: name, type -> {type: values} of every
        # record at the name, or None when the name does not exist (NXDOMAIN).
        self.live: Callable[[str, str], dict[str, list[Any]] | None] | None = None
        self.latency_seconds = 0.0
        self.queries: list[tuple[str, str]] = []
        resolver = _Resolver(self.records, self)
        quiet = DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)
        # UDP takes a free port; TCP must share it, and another test's TCP listener may hold
        # it already: then try another pair.
        # `port` given: that port on `host` (a second server answering as other name servers).
        wanted = port
        for attempt in range(20):
            self._udp = DNSServer(resolver, address=host, port=wanted, logger=quiet, handler=_QuietHandler)
            port = self._udp.server.server_address[1]
            try:
                self._tcp = DNSServer(
                    resolver, address=host, port=port, tcp=True, logger=quiet, handler=_QuietHandler
                )
                break
            except OSError:
                self._udp.server.server_close()
                if attempt == 19:
                    raise
        self.host = host
        self.port = port

    @property
    def address(self) -> str:
        """`IP:PORT`, the form every tool's `--resolver` option takes."""
        return f"{self.host}:{self.port}"

    def drift_args(self) -> list[str]:
        """The drift drivers' options for this server: the resolver, and the port it answers
        on as every zone's authoritative name server (the parent's delegation is read there)."""
        return ["--resolver", self.address, "--authoritative-port", str(self.port)]

    def __enter__(self) -> LoopbackDnsServer:
        # dnslib's start_thread polls for shutdown every 0.5 s; a short poll ends a test at once.
        for server in (self._udp, self._tcp):
            server.thread = threading.Thread(target=server.server.serve_forever, args=(0.05,), daemon=True)
            server.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._udp.stop()
        self._tcp.stop()
        self._udp.server.server_close()
        self._tcp.server.server_close()


def route53_name_servers(zone: str) -> list[str]:
    """Four name servers of Route 53's shape (ns-N.awsdns-NN.{com,net,org,co.uk}, N in the
    top-level domain's own 512) for `zone`, the same for the same name."""
    seed = zlib.crc32(zone.encode())
    return [
        f"ns-{seed % 512 + 512 * index}.awsdns-{(seed >> 11) % 64:02d}.{tld}"
        for index, tld in enumerate(("com", "net", "org", "co.uk"))
    ]


def publish_delegation(
    records: RecordTable, zone: str, servers: list[str] | None = None, address: str = "127.0.0.1"
) -> list[str]:
    """`zone` NS `servers` (Route 53-shaped by default), each name server at `address`."""
    servers = servers or route53_name_servers(zone)
    records.put(zone, "NS", servers)
    for server in servers:
        records.put(server, "A", [address])
    return servers


def records_from_templates(
    templates: Mapping[str, Mapping[str, Any]],
    zone_nameservers: Mapping[str, list[str]] | None = None,
    name_server_address: str = "127.0.0.1",
) -> RecordTable:
    """Records the deployed templates would publish: every literal `AWS::Route53::RecordSet`,
    plus NS answers for each hosted zone (delegation as the parent would show it, Route 53's
    shape) and an address for each name server (this server: it answers as each of them)."""
    table = RecordTable()
    for template in templates.values():
        for resource in template.get("Resources", {}).values():
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::Route53::HostedZone":
                zone = props["Name"].rstrip(".")
                publish_delegation(table, zone, (zone_nameservers or {}).get(zone), name_server_address)
            elif resource["Type"] == "AWS::Route53::RecordSet":
                values = props["ResourceRecords"]
                if props["Type"] == "TXT":
                    table.put(props["Name"], "TXT", [_parse_txt(v) for v in values])
                else:
                    table.put(props["Name"], props["Type"], values)
    return table


def _parse_txt(value: str) -> list[str]:
    """`"a" "b"` -> ["a", "b"] (the record-set form; values here never contain quotes)."""
    return [part for part in value.strip().strip('"').split('" "')]

"""Live DNS observations through dnspython, against one chosen resolver (`--resolver`).

Besides the records themselves it can ask a zone's *parent* who the zone is delegated to:
the parent's own name servers (found through the resolver) are asked directly, without
recursion, for the zone's NS records - the referral every resolver starts from. Those
authoritative servers answer on port 53 (`authoritative_port`, for a lab DNS server).
A failure is one line saying what failed: a timeout, SERVFAIL or REFUSED, a truncated answer
whose TCP retry could not be made.
"""

from __future__ import annotations

import functools
import ipaddress
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver

from platform_lib.naming import normal_name
from tools.cli.contract import OperatorError, UsageError

DEFAULT_RESOLVER = "8.8.8.8"
AUTHORITATIVE_PORT = 53
MAX_PARENT_SERVERS = 4  # asked side by side, each within the probe's timeout


SYSTEM_RESOLV_CONF = "/etc/resolv.conf"


class NoSystemResolver(UsageError):
    """No usable name server in the system's resolver configuration."""


class DnsProbeError(OperatorError):
    """The resolver could not answer (timeout, SERVFAIL, refused...)."""


@dataclass(frozen=True)
class ResolverAddress:
    host: str
    port: int = 53

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_resolver(text: str) -> ResolverAddress:
    """`IP`, `IP:PORT`, `[IPv6]:PORT` or a bare IPv6 address."""
    host, port_text = text, ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    try:
        ipaddress.ip_address(host)
    except ValueError as exc:
        raise UsageError(f"--resolver {text!r}: expected IP[:PORT], e.g. 8.8.8.8 or 127.0.0.1:5353") from exc
    if not port_text:
        return ResolverAddress(host)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UsageError(f"--resolver {text!r}: port must be 1-65535")
    return ResolverAddress(host, int(port_text))


def system_resolver_address(resolv_conf: str = SYSTEM_RESOLV_CONF) -> ResolverAddress:
    """The system's first name server, so a run says which resolver answered it."""
    hint = f"no name server in {resolv_conf}; pass --resolver IP[:PORT], e.g. 8.8.8.8"
    try:
        configured = dns.resolver.Resolver(filename=resolv_conf)
    except dns.resolver.NoResolverConfiguration:
        raise NoSystemResolver(hint) from None
    servers = [server for server in configured.nameservers if isinstance(server, str)]
    if not servers:
        raise NoSystemResolver(hint)
    return ResolverAddress(servers[0], configured.port)


@dataclass(frozen=True)
class DnsAnswer:
    """The records of one (name, type); empty with `nxdomain` telling NXDOMAIN from NODATA."""

    name: str
    rtype: str
    values: tuple[tuple[str, ...], ...]  # TXT: each record's character-strings; else one value
    nxdomain: bool = False

    @property
    def absent_reason(self) -> str:
        return "NXDOMAIN" if self.nxdomain else "no records"

    def single_values(self) -> list[str]:
        return [record[0] for record in self.values]


def _failures(errors: object) -> str:
    """What dnspython's per-server errors say, as words an operator can act on."""
    said: list[str] = []
    for entry in errors if isinstance(errors, list) else []:
        tcp, problem, answer = (entry[1], entry[3], entry[4]) if len(entry) >= 5 else (False, None, None)
        if tcp and isinstance(problem, ConnectionRefusedError):
            said.append("its answer was truncated and the TCP retry was refused")
        elif tcp and isinstance(problem, OSError | EOFError):
            said.append(f"its answer was truncated and the TCP retry failed ({type(problem).__name__})")
        elif answer is not None and answer.rcode() != dns.rcode.NOERROR:
            said.append(f"it answered {dns.rcode.to_text(answer.rcode())}")
        elif isinstance(problem, dns.exception.Timeout):
            said.append("it did not answer in time")
        elif problem is not None:
            said.append(f"it failed ({type(problem).__name__})")
    return "; ".join(dict.fromkeys(said))


class DnsProbe:
    def __init__(
        self, address: ResolverAddress, timeout: float, *, authoritative_port: int = AUTHORITATIVE_PORT
    ) -> None:
        self.address = address
        self.timeout = timeout
        self.authoritative_port = authoritative_port
        self._lock = threading.Lock()
        self._gates: dict[tuple[str, str], threading.Lock] = {}
        self._known: dict[tuple[str, str], list[str]] = {}

    def _resolver(self) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [self.address.host]
        resolver.port = self.address.port
        resolver.lifetime = self.timeout
        resolver.timeout = self.timeout
        resolver.cache = None
        return resolver

    def query(self, name: str, rtype: str) -> DnsAnswer:
        try:
            answer = self._resolver().resolve(name, rtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN:
            return DnsAnswer(name, rtype, (), nxdomain=True)
        except dns.resolver.LifetimeTimeout as exc:
            said = _failures(exc.kwargs.get("errors"))
            why = f" ({said})" if said and said != "it did not answer in time" else ""
            raise DnsProbeError(
                f"DNS {rtype} {name} @{self.address}: no answer within {self.timeout:g}s{why}"
            ) from exc
        except dns.resolver.NoNameservers as exc:
            raise DnsProbeError(
                f"DNS {rtype} {name} @{self.address}: resolver failed "
                f"({_failures(exc.kwargs.get('errors')) or 'it answered SERVFAIL or REFUSED'})"
            ) from exc
        except dns.exception.DNSException as exc:
            raise DnsProbeError(f"DNS {rtype} {name} @{self.address}: {exc}") from exc
        wanted = dns.rdatatype.from_text(rtype)
        values: list[tuple[str, ...]] = []
        for rrset in answer.response.answer:
            if rrset.rdtype != wanted or rrset.name != dns.name.from_text(name):
                continue
            for rdata in rrset:
                if wanted == dns.rdatatype.TXT:
                    values.append(tuple(s.decode("ascii", "replace") for s in rdata.strings))
                else:
                    values.append((normal_name(rdata.to_text()),))
        return DnsAnswer(name, rtype, tuple(values))

    def parent_delegation(self, zone: str, parent: str) -> dict[str, tuple[str, ...]]:
        """What each of `parent`'s own name servers that answered delegates `zone` to (by
        server; empty names: no delegation there).

        Its servers come from the resolver; every one (at most MAX_PARENT_SERVERS) is asked
        directly, without recursion: resolvers start from any of them, so one that delegates
        elsewhere matters even when another agrees. One that does not answer is passed over
        (resolvers retry another); none answering is DnsProbeError. They are asked side by
        side, so one that is silent costs the probe one timeout, not one each."""
        servers = self._once(("NS", parent), lambda: self._parent_names(parent))
        with ThreadPoolExecutor(max_workers=len(servers), thread_name_prefix="dns-parent") as pool:
            answers = list(pool.map(functools.partial(self._referral_from, zone), servers))
        referrals = {
            server: names for server, names in zip(servers, answers, strict=True) if isinstance(names, tuple)
        }
        failures = [failure for failure in answers if isinstance(failure, str)]
        if not referrals:
            raise DnsProbeError(
                f"none of {parent}'s name servers answered for the delegation of {zone} ({'; '.join(failures)})"
            )
        return referrals

    def _referral_from(self, zone: str, server: str) -> tuple[str, ...] | str:
        """What `server` delegates `zone` to, or why it could not say (a line)."""
        try:
            address = self._once(("A", server), functools.partial(self._addresses, server))
            if not address:
                return f"{server} has no address"
            return self._referral(zone, address[0])
        except DnsProbeError as exc:
            return f"{server}: {exc}"

    def _addresses(self, server: str) -> list[str]:
        return self.query(server, "A").single_values()

    def _parent_names(self, parent: str) -> list[str]:
        servers = sorted(self.query(parent, "NS").single_values())[:MAX_PARENT_SERVERS]
        if not servers:
            raise DnsProbeError(f"DNS NS {parent} @{self.address}: no name servers, so no delegation to read")
        return servers

    def _once(self, key: tuple[str, str], compute: Callable[[], list[str]]) -> list[str]:
        """`compute()` once per key for this probe, however many domains ask at once (a
        failure is not kept: the next domain asks again)."""
        with self._lock:
            gate = self._gates.setdefault(key, threading.Lock())
        with gate:
            if key not in self._known:
                self._known[key] = compute()
            return self._known[key]

    def _referral(self, zone: str, address: str) -> tuple[str, ...]:
        query = dns.message.make_query(zone, dns.rdatatype.NS)
        query.flags &= ~dns.flags.RD
        where = f"{address}:{self.authoritative_port}"
        try:
            response = dns.query.udp(query, address, timeout=self.timeout, port=self.authoritative_port)
            if response.flags & dns.flags.TC:
                try:
                    response = dns.query.tcp(
                        query, address, timeout=self.timeout, port=self.authoritative_port
                    )
                except OSError as exc:
                    raise DnsProbeError(
                        f"{where}: its answer was truncated and the TCP retry failed ({type(exc).__name__})"
                    ) from exc
        except dns.exception.Timeout as exc:
            raise DnsProbeError(f"{where}: no answer within {self.timeout:g}s") from exc
        except (dns.exception.DNSException, OSError) as exc:
            raise DnsProbeError(f"{where}: {type(exc).__name__}") from exc
        if response.rcode() == dns.rcode.NXDOMAIN:
            return ()
        if response.rcode() != dns.rcode.NOERROR:
            raise DnsProbeError(f"{where}: it answered {dns.rcode.to_text(response.rcode())}")
        wanted = dns.name.from_text(zone)
        names = {
            normal_name(rdata.to_text())
            for rrset in (*response.answer, *response.authority)
            if rrset.rdtype == dns.rdatatype.NS and rrset.name == wanted
            for rdata in rrset
        }
        return tuple(sorted(names))

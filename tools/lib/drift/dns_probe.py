"""Live DNS observations through dnspython, against one chosen resolver (`--resolver`)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import dns.exception
import dns.message
import dns.name
import dns.rdatatype
import dns.resolver

from tools.lib.drift.expected import DriftConfigError

DEFAULT_RESOLVER = "8.8.8.8"


class DnsProbeError(Exception):
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
        raise DriftConfigError(
            f"--resolver {text!r}: expected IP[:PORT], e.g. 8.8.8.8 or 127.0.0.1:5353"
        ) from exc
    if not port_text:
        return ResolverAddress(host)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise DriftConfigError(f"--resolver {text!r}: port must be 1-65535")
    return ResolverAddress(host, int(port_text))


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


class DnsProbe:
    def __init__(self, address: ResolverAddress, timeout: float) -> None:
        self.address = address
        self.timeout = timeout

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
            raise DnsProbeError(
                f"DNS {rtype} {name} @{self.address}: no answer within {self.timeout:g}s"
            ) from exc
        except dns.resolver.NoNameservers as exc:
            raise DnsProbeError(
                f"DNS {rtype} {name} @{self.address}: resolver failed (SERVFAIL/REFUSED)"
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
                    values.append((rdata.to_text().rstrip(".").lower(),))
        return DnsAnswer(name, rtype, tuple(values))

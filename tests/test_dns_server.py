"""The loopback DNS server answers as a real one would (checked with dnspython)."""

from __future__ import annotations

import dns.resolver

from tests.support.dns_server import LoopbackDnsServer


def _resolver(server: LoopbackDnsServer) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server.host]
    resolver.port = server.port
    resolver.lifetime = 2
    return resolver


def test_txt_with_two_strings_cname_and_nxdomain() -> None:
    with LoopbackDnsServer() as server:
        server.records.put("sel._domainkey.dev.ardamails.com", "TXT", [["k=rsa;p=AAA", "BBB"]])
        server.records.put("pm-bounces.dev.ardamails.com", "CNAME", ["pm.mtasv.net"])
        resolver = _resolver(server)
        (txt,) = resolver.resolve("sel._domainkey.dev.ardamails.com", "TXT")
        assert txt.strings == (b"k=rsa;p=AAA", b"BBB")
        (cname,) = resolver.resolve("pm-bounces.dev.ardamails.com", "CNAME")
        assert str(cname.target) == "pm.mtasv.net."
        try:
            resolver.resolve("missing.dev.ardamails.com", "TXT")
            raise AssertionError("expected NXDOMAIN")
        except dns.resolver.NXDOMAIN:
            pass

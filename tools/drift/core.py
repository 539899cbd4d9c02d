"""The detection run: build every probe for every expected domain, run them concurrently,
turn the outcomes into findings."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from platform_lib.naming import dmarc_host_name, dmarc_report_authorization_names
from tools.checks.findings import Finding, Status
from tools.checks.judgments import DomainObservations, check_domain, rotation_keys_expected, truth_of
from tools.checks.postmark_probe import PostmarkDirectory
from tools.checks.runner import run_probes
from tools.dns.probe import DnsAnswer, DnsProbe
from tools.drift.expected import ExpectedDomain

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_WORKERS = 128
_PROBES = (
    "postmark",
    "ns",
    "apex_txt",
    "dmarc_txt",
    "dkim_txt",
    "return_path",
    "dmarc_report",
    "rotation_txt",
    "parent_ns",
    "hosted_ns",
)
# The hosted zone's delegation set of a domain, read through AWS (where a tool has access).
HostedNameServers = Callable[[ExpectedDomain], frozenset[str]]


@dataclass(frozen=True)
class DriftReport:
    tool: str
    resolver: str
    domains: tuple[str, ...]
    findings: tuple[Finding, ...]
    elapsed_seconds: float
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.failed]

    @property
    def clean(self) -> bool:
        return not self.failures

    def count(self, status: Status) -> int:
        return sum(1 for f in self.findings if f.status is status)


def _probes_for(
    expected: ExpectedDomain,
    directory: PostmarkDirectory,
    dns: DnsProbe,
    hosted_ns: HostedNameServers | None,
) -> dict[str, Callable[[], Any]]:
    zone = expected.zone_name

    def query(name: str, rtype: str) -> Callable[[], DnsAnswer]:
        return lambda: dns.query(name, rtype)

    if expected.leaf_of is not None:  # a sending leaf: its own SPF and DMARC only
        skipped: dict[str, Callable[[], Any]] = {kind: (lambda: None) for kind in _PROBES}
        return {
            **skipped,
            "apex_txt": query(zone, "TXT"),
            "dmarc_txt": query(dmarc_host_name(zone), "TXT"),
            "dmarc_report": query(dmarc_report_authorization_names(zone)[0], "TXT"),
        }

    return {
        "postmark": lambda: directory.lookup(expected),
        "ns": query(zone, "NS"),
        "apex_txt": query(zone, "TXT"),
        "dmarc_txt": query(dmarc_host_name(zone), "TXT"),
        "dkim_txt": lambda: dns.query(truth_of(expected).placement.dkim_host_name, "TXT"),
        "return_path": lambda: dns.query(truth_of(expected).placement.return_path_host_name, "CNAME"),
        "dmarc_report": query(dmarc_report_authorization_names(zone)[0], "TXT"),
        "rotation_txt": lambda: _rotation_answers(expected, dns),
        # With AWS access the hosted zone's own set is the evidence; without it, the parent's.
        "parent_ns": (lambda: None)
        if hosted_ns is not None
        else lambda: dns.parent_delegation(zone, expected.delegating_zone),
        "hosted_ns": (lambda: None) if hosted_ns is None else lambda: hosted_ns(expected),
    }


def _rotation_answers(expected: ExpectedDomain, dns: DnsProbe) -> dict[str, DnsAnswer]:
    """The TXT answers at the hosts of a rotation's other keys (none without a rotation)."""
    selectors = rotation_keys_expected(expected)
    return {
        selector: dns.query(expected.placement_for(selector).dkim_host_name, "TXT") for selector in selectors
    }


def detect(
    tool: str,
    expected: Sequence[ExpectedDomain],
    directory: PostmarkDirectory,
    dns: DnsProbe,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    workers: int = DEFAULT_WORKERS,
    hosted_ns: HostedNameServers | None = None,
) -> DriftReport:
    started = time.monotonic()
    probes: dict[tuple[int, str], Callable[[], Any]] = {}
    for index, domain in enumerate(expected):
        for kind, probe in _probes_for(domain, directory, dns, hosted_ns).items():
            probes[(index, kind)] = probe
    outcomes = run_probes(probes, timeout=timeout, workers=workers)
    findings: list[Finding] = []
    for index, domain in enumerate(expected):
        observations = DomainObservations(**{kind: outcomes[(index, kind)] for kind in _PROBES})
        findings.extend(check_domain(domain, observations))
    return DriftReport(
        tool=tool,
        resolver=str(dns.address),
        domains=tuple(d.zone_name for d in expected),
        findings=tuple(findings),
        elapsed_seconds=time.monotonic() - started,
    )

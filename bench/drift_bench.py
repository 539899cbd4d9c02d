"""Drift benchmark: the shared drift core over 4 partitions and over 100 simulated ones.

Every Postmark answer and every DNS answer is delayed by 200 ms (the DNS answers come from
the loopback DNS server with `latency_seconds`; Postmark answers from a latency-injecting
in-process `PostmarkDomainsApi`). The 100 simulated partitions are synthetic expected
domains driven straight into the core (never added to the registry).
Targets: 4 partitions <= 1 s, 100 partitions <= 5 s. Run: `python -m bench.drift_bench`.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Mapping
from typing import Any

from platform_lib.context_block import ContextBlock
from platform_lib.context_store import PROJECT_CONTEXT_FILE
from platform_lib.dns_text import SPF_VALUE, dkim_txt_value, dmarc_value, split_txt_value
from platform_lib.naming import MAIL_ROOT_DOMAIN, dmarc_host_name, dmarc_report_authorization_names, fqdn
from platform_lib.registry import PostmarkAccount
from tests.support.dns_server import LoopbackDnsServer, publish_delegation
from tools.checks.catalogue import ExpectedDomain
from tools.checks.probes import PostmarkDirectory, Sources
from tools.checks.report import evaluate
from tools.dns.probe import DnsProbe, parse_resolver
from tools.drift.expected import partition_expected_domains
from tools.postmark.client import DomainSummary, PostmarkDomain

LATENCY_SECONDS = 0.2
TARGETS = {4: 1.0, 100: 5.0}


class DelayedDomainsApi:
    """Answers like Postmark's Domains API, each answer `latency` seconds late."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.domains: dict[int, dict[str, Any]] = {}

    def list_domains(self) -> list[DomainSummary]:
        time.sleep(self.latency)
        return [DomainSummary.from_api({"ID": i, "Name": d["Name"]}) for i, d in self.domains.items()]

    def get_domain(self, domain_id: int) -> PostmarkDomain:
        time.sleep(self.latency)
        return PostmarkDomain.from_api({"ID": domain_id, **self.domains[domain_id]})


def synthetic_domains(count: int, template: ExpectedDomain) -> list[ExpectedDomain]:
    """`count` domains like `template`'s, each its own zone, half on each Postmark account."""
    block = ContextBlock(template.block.dkim_selector, template.block.dkim_public_key, "pm.mtasv.net")
    return [
        ExpectedDomain(
            dataclasses.replace(
                template.domain,
                label=f"bench{index:03d}",
                zone_name=fqdn(f"bench{index:03d}", MAIL_ROOT_DOMAIN),
                postmark_account=PostmarkAccount.NON_PROD if index % 2 else PostmarkAccount.PROD,
            ),
            block,
        )
        for index in range(count)
    ]


def publish(
    expected: list[ExpectedDomain], dns: LoopbackDnsServer, apis: Mapping[PostmarkAccount, DelayedDomainsApi]
) -> None:
    """Make DNS and Postmark agree with every expectation (a clean run)."""
    publish_delegation(dns.records, MAIL_ROOT_DOMAIN)  # the parent every zone is delegated from
    for domain in expected:
        placement = domain.signing
        value = dkim_txt_value(domain.block.dkim_public_key)
        publish_delegation(dns.records, domain.zone_name)
        dns.records.put(domain.zone_name, "TXT", [[SPF_VALUE]])
        dns.records.put(dmarc_host_name(domain.zone_name), "TXT", [[dmarc_value()]])
        # What arda.cards publishes so receivers send it this domain's reports (RFC 7489 §7.1).
        dns.records.put(dmarc_report_authorization_names(domain.zone_name)[0], "TXT", [["v=DMARC1"]])
        dns.records.put(placement.dkim_host_name, "TXT", [split_txt_value(value)])
        dns.records.put(placement.return_path_host_name, "CNAME", [domain.block.return_path_target])
        api = apis[domain.domain.postmark_account]
        api.domains[len(api.domains) + 1] = {
            "ID": len(api.domains) + 1,
            "Name": domain.zone_name,
            "DKIMHost": placement.dkim_host_name,
            "DKIMTextValue": value,
            "DKIMPendingHost": "",
            "DKIMPendingTextValue": "",
            "DKIMVerified": True,
            "ReturnPathDomain": placement.return_path_host_name,
            "ReturnPathDomainCNAMEValue": domain.block.return_path_target,
            "ReturnPathDomainVerified": True,
        }


def measure(expected: list[ExpectedDomain], latency: float) -> tuple[float, list[str]]:
    """Seconds the drift core takes over `expected`, and its failed findings (none: clean)."""
    apis = {account: DelayedDomainsApi(latency) for account in PostmarkAccount}
    with LoopbackDnsServer() as dns:
        publish(expected, dns, apis)
        dns.latency_seconds = latency
        started = time.monotonic()
        dns_probe = DnsProbe(parse_resolver(dns.address), 10.0, authoritative_port=dns.port)
        report = evaluate("drift-bench", expected, Sources(dns_probe, PostmarkDirectory(apis)), timeout=10.0)
        elapsed = time.monotonic() - started
    return elapsed, [f"{f.domain} {f.check}: {f.message}" for f in report.failures]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.drift_bench", description=__doc__)
    parser.add_argument(
        "--latency", type=float, default=LATENCY_SECONDS, help="seconds added to every answer"
    )
    args = parser.parse_args()
    partitions = partition_expected_domains(PROJECT_CONTEXT_FILE)
    cases = {4: partitions, 100: synthetic_domains(100, partitions[0])}
    all_met = True
    print(f"drift bench: {args.latency * 1000:.0f} ms injected per Postmark and DNS answer")
    for count, expected in cases.items():
        elapsed, failed = measure(expected, args.latency)
        met = not failed and elapsed <= TARGETS[count]
        all_met &= met
        print(
            f"  {count:>3} partitions: {elapsed:.2f} s (target <= {TARGETS[count]:g} s) "
            f"{'met' if met else 'NOT met'}"
            + (f" (run was not clean: {len(failed)} findings, first: {failed[0]})" if failed else "")
        )
    print(f"targets {'met' if all_met else 'NOT met'}")
    return 0 if all_met else 1


if __name__ == "__main__":
    raise SystemExit(main())

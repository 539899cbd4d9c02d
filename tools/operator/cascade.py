"""The cascade gate: a partition deploys only when every partition its rule names
(`Partition.needs`: dev first; stage and demo need dev; prod needs stage and demo) is
verified *live* now - Postmark says DKIM and the Return-Path are verified, and public DNS
(or `--resolver`) serves the stack's records, the NS answer being the partition's hosted
zone's own delegation set (read through AWS with the profile of the partition's
infrastructure), not just any name servers.

It is the drift check's own core, run for the earlier partitions with their own tokens
(each read from its own 1Password reference), judged on the checks that say "deployed and
verified"; the DMARC report authorization at arda.cards, which this project does not own,
does not hold a rollout back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from platform_lib.context_store import read_context
from platform_lib.errors import PlatformError
from platform_lib.registry import Partition
from tools.checks.postmark_probe import PostmarkDirectory
from tools.dns.probe import DnsProbe, ResolverAddress
from tools.drift.core import HostedNameServers, detect
from tools.drift.expected import DriftConfigError, partition_expected_domain
from tools.postmark.client import PostmarkClient

LIVE_CHECKS = (
    "postmark.domain",
    "postmark.dkim_verified",
    "postmark.return_path_verified",
    "dns.delegation",
    "dns.spf",
    "dns.dmarc",
    "dns.dkim",
    "dns.return_path",
)


@dataclass(frozen=True)
class LiveVerdict:
    partition: Partition
    problems: tuple[str, ...]

    @property
    def verified(self) -> bool:
        return not self.problems


def verify_live(
    partition: Partition,
    token: str,
    *,
    base_url: str,
    resolver: ResolverAddress,
    context_file: Path,
    timeout: float,
    hosted_ns: HostedNameServers,
) -> LiveVerdict:
    """Is `partition` deployed and verified right now? (Postmark and DNS, through drift.)"""
    try:
        expected = partition_expected_domain(partition, read_context(context_file))
    except (DriftConfigError, PlatformError) as exc:
        return LiveVerdict(partition, (f"no usable context block: {exc}",))
    with PostmarkClient(token, base_url=base_url, timeout=timeout, deadline_seconds=3 * timeout) as client:
        report = detect(
            "cascade",
            [expected],
            PostmarkDirectory({partition.postmark_account: client}),
            DnsProbe(resolver, timeout),
            timeout=timeout,
            hosted_ns=hosted_ns,
        )
    judged = {f.check: f for f in report.findings if f.check in LIVE_CHECKS}
    problems = [
        f"{check}: {judged[check].message}"
        for check in LIVE_CHECKS
        if check in judged and judged[check].failed
    ]
    problems += [f"{check}: not checked" for check in LIVE_CHECKS if check not in judged]
    return LiveVerdict(partition, tuple(problems))

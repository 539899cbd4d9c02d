"""The cascade gate: a partition deploys only when every partition its rule names
(`Partition.needs`: dev first; stage and demo need dev; prod needs stage and demo) is
verified *live* now - the check catalogue's `LIVE` checks: Postmark says DKIM and the
Return-Path are verified, and DNS (or `--resolver`) serves the stack's records, its NS
answer being the partition's hosted zone's own delegation set (read through AWS in the
partition's account). The DMARC report authorization at arda.cards, which this project does
not own, is not `LIVE`: it does not hold a rollout back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from platform_lib.context_store import read_context
from platform_lib.errors import PlatformError
from platform_lib.registry import Partition
from platform_lib.sending_domain import partition_sending_domain
from tools.checks.catalogue import ExpectedDomain, Tag
from tools.checks.probes import AwsView, PostmarkDirectory, Sources
from tools.checks.report import evaluate
from tools.dns.probe import DnsProbe, ResolverAddress
from tools.postmark.client import PostmarkClient


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
    aws: AwsView,
) -> LiveVerdict:
    """Is `partition` deployed and verified right now? Every `LIVE` check must pass."""
    domain = partition_sending_domain(partition)
    try:
        expected = ExpectedDomain(domain, domain.block_in(read_context(context_file)))
    except PlatformError as exc:
        return LiveVerdict(partition, (f"no usable context block: {exc}",))
    with PostmarkClient(
        token,
        base_url=base_url,
        timeout=timeout,
        deadline_seconds=3 * timeout,
        token_source=domain.token_reference,
    ) as client:
        sources = Sources(
            DnsProbe(resolver, timeout), PostmarkDirectory({domain.postmark_account: client}), aws
        )
        report = evaluate("cascade", [expected], sources, tags=[Tag.LIVE], timeout=timeout)
    problems = [
        f"{judged.check.id}: {judged.finding.message if judged.finding else 'not checked'}"
        for judged in report.judged
        if judged.finding is None or judged.finding.failed
    ]
    return LiveVerdict(partition, tuple(problems))

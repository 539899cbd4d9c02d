"""The check catalogue: every check of a sending domain, by id, with its tags and probes.

In the style of cdk-nag's rules: each check is a small function in the module of its seam
(`postmark`, `dns`, `cross`, `rotation`, `aws`, `kube`), registered here by the `check` decorator
when that module is imported (`tools.checks` imports them all). A check names the probes it
reads (`Probe`) and its tags; each tool selects checks, never names them:

* drift runs every check it can answer without AWS;
* the cascade gate runs the `LIVE` ones (deployed and verified right now);
* validate-exit runs the `POST_MERGE` ones, one row each (`Check.title`);
* a sending leaf gets only the `LEAF` ones (its own SPF and DMARC records).

A check returns a `Finding`, or None when another check already says why it cannot judge
(no Postmark domain: `postmark.domain` is the finding, `postmark.dkim_verified` is None).
The catalogue owns the types the seams share: the subject (`ExpectedDomain`), the
observations, the finding; a seam module imports the catalogue, never another seam.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from platform_lib.context_block import ContextBlock
from platform_lib.placement import SendingDomainPlacement
from platform_lib.sending_domain import SendingDomain
from tools.checks.findings import Finding, Seam
from tools.checks.runner import Outcome


class CheckId(StrEnum):
    """Every check, in the order reports list them."""

    AWS_STACK_STATUS = "aws.stack_status"
    POSTMARK_DOMAIN = "postmark.domain"
    POSTMARK_NAME = "postmark.name"
    POSTMARK_DKIM_HOST = "postmark.dkim_host"
    POSTMARK_RETURN_PATH_DOMAIN = "postmark.return_path_domain"
    POSTMARK_DKIM_VERIFIED = "postmark.dkim_verified"
    POSTMARK_RETURN_PATH_VERIFIED = "postmark.return_path_verified"
    DNS_DELEGATION = "dns.delegation"
    DNS_SPF = "dns.spf"
    DNS_DMARC = "dns.dmarc"
    DNS_DMARC_REPORT_AUTHORIZATION = "dns.dmarc_report_authorization"
    DNS_DKIM = "dns.dkim"
    DNS_RETURN_PATH = "dns.return_path"
    CROSS_DKIM_KEY_POSTMARK_CONTEXT = "cross.dkim_key.postmark_context"
    CROSS_DKIM_KEY_POSTMARK_DNS = "cross.dkim_key.postmark_dns"
    CROSS_RETURN_PATH_POSTMARK_CONTEXT = "cross.return_path.postmark_context"
    CROSS_RETURN_PATH_POSTMARK_DNS = "cross.return_path.postmark_dns"
    ROTATION_DNS = "dns.dkim_rotation"
    ROTATION_POSTMARK = "cross.dkim_rotation"
    AWS_SECRETS = "aws.secrets"
    AWS_EXPORTS = "aws.exports"
    KUBE_ENCRYPTION_KEY = "kube.encryption_key"


class Probe(StrEnum):
    """What a check reads: each probe is one question to Postmark, DNS or AWS."""

    POSTMARK = "postmark"  # the domain on its Postmark account
    NS = "ns"  # NS of the zone, through the resolver
    APEX_TXT = "apex_txt"
    DMARC_TXT = "dmarc_txt"
    DKIM_TXT = "dkim_txt"  # at the signing key's host
    RETURN_PATH = "return_path"  # the Return-Path CNAME
    DMARC_REPORT = "dmarc_report"  # the report authorization at arda.cards
    ROTATION_TXT = "rotation_txt"  # selector -> TXT at the hosts of a rotation's other keys
    PARENT_NS = "parent_ns"  # whom the parent zone delegates the zone to (no AWS)
    HOSTED_NS = "hosted_ns"  # the hosted zone's delegation set (AWS)
    STACK = "stack"  # the stack's description (AWS)
    SECRETS = "secrets"  # name -> description (None: absent) of the stack's secrets (AWS)
    EXTERNAL_SECRET = "external_secret"  # noqa: S105 (a probe name): the encryption key's ExternalSecret in the cluster (kubectl)


AWS_PROBES = frozenset({Probe.HOSTED_NS, Probe.STACK, Probe.SECRETS})
KUBE_PROBES = frozenset({Probe.EXTERNAL_SECRET})


class Tag(StrEnum):
    LIVE = "live"  # deployed and verified now: the cascade gate asks these
    POST_MERGE = "post_merge"  # validate-exit's rows
    LEAF = "leaf"  # a sending leaf's own records


@dataclass(frozen=True)
class ExpectedDomain:
    """A sending domain and the block its stack publishes: what every check holds it to."""

    domain: SendingDomain
    block: ContextBlock

    @property
    def zone_name(self) -> str:
        return self.domain.zone_name

    @property
    def label(self) -> str:
        return self.domain.label

    @property
    def signing(self) -> SendingDomainPlacement:
        """Where the signing key and the Return-Path are published."""
        return self.domain.placement(self.block.dkim_selector)

    @property
    def source(self) -> str:
        return self.domain.context_source


@dataclass(frozen=True)
class Observations:
    """The probes' outcomes for one domain; a probe that did not run reads as not asked."""

    outcomes: Mapping[Probe, Outcome[Any]]

    def __getitem__(self, probe: Probe) -> Outcome[Any]:
        return self.outcomes.get(probe, NOT_ASKED)

    def asked(self, probe: Probe) -> bool:
        return probe in self.outcomes


NOT_ASKED: Outcome[Any] = Outcome()
Judge = Callable[[ExpectedDomain, Observations], Finding | None]


@dataclass(frozen=True)
class Check:
    id: CheckId
    seam: Seam
    title: str  # its row in validate-exit
    tags: frozenset[Tag]
    probes: tuple[Probe, ...]  # what it reads (delegation: either of PARENT_NS, HOSTED_NS)
    judge: Judge = field(compare=False)


CATALOGUE: dict[CheckId, Check] = {}
_ORDER = {check_id: index for index, check_id in enumerate(CheckId)}


def check(
    check_id: CheckId, *, seam: Seam, title: str, probes: Iterable[Probe], tags: Iterable[Tag] = ()
) -> Callable[[Judge], Judge]:
    """Register the decorated function as the check `check_id`."""

    def register(judge: Judge) -> Judge:
        if check_id in CATALOGUE:
            raise ValueError(f"check {check_id} is registered twice")
        CATALOGUE[check_id] = Check(check_id, seam, title, frozenset(tags), tuple(probes), judge)
        return judge

    return register


def selected(*, tags: Iterable[Tag] = (), without: Iterable[Probe] = (), leaf: bool = False) -> list[Check]:
    """Checks in `CheckId` order: those carrying every tag in `tags` (all when none), that
    need none of the probes in `without` (a tool without AWS), LEAF ones only for a leaf."""
    wanted, missing = frozenset(tags), frozenset(without)
    chosen = []
    for item in sorted(CATALOGUE.values(), key=lambda c: _ORDER[c.id]):
        needs = frozenset(item.probes) - {Probe.PARENT_NS, Probe.HOSTED_NS}  # delegation: either
        if wanted <= item.tags and not needs & missing and (not leaf or Tag.LEAF in item.tags):
            chosen.append(item)
    return chosen

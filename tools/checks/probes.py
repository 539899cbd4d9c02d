"""The probes: each `Probe` of the catalogue as one question to Postmark, DNS or AWS.

Postmark is asked through `PostmarkDomainsApi` (list every domain, get one by id, both as
typed records checked at the client's boundary), which the project's `PostmarkClient`
implements; one listing per account is shared by every domain on it. DNS is asked through
the resolver (`DnsProbe`). AWS, where a tool has access, through an `AwsView`. Tests and
benchmarks substitute in-process doubles, so no check depends on a transport.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from platform_lib.naming import dmarc_host_name, dmarc_report_authorization_names, normal_name
from platform_lib.registry import PostmarkAccount
from platform_lib.sending_domain import SendingDomain
from tools.checks.catalogue import AWS_PROBES, KUBE_PROBES, ExpectedDomain, Probe
from tools.cli.contract import OperatorError
from tools.dns.probe import DnsAnswer, DnsProbe
from tools.kube.kubectl import ExternalSecretState
from tools.postmark.client import DomainSummary, PostmarkDomain
from tools.runtime.once import Once

T = TypeVar("T")


class PostmarkProbeError(OperatorError):
    """Postmark could not answer; the message starts with what went wrong."""


class PostmarkDomainsApi(Protocol):
    def list_domains(self) -> list[DomainSummary]:
        """Every domain on the account (all pages)."""
        ...

    def get_domain(self, domain_id: int) -> PostmarkDomain:
        """`GET /domains/{id}`: the full domain record."""
        ...


@dataclass(frozen=True)
class PostmarkLookup:
    """What the account holds for an expected domain.

    `domain` is the exact match (case and trailing dot ignored) or, failing that, the one
    closest candidate (a name under or above the zone - the DQ-R1-009 mistake of registering
    a leaf instead of the parent); `exact` tells which. `names` lists the account's domains.
    """

    account: PostmarkAccount
    domain: PostmarkDomain | None
    exact: bool
    names: tuple[str, ...]


def _related(candidate: str, zone: str) -> bool:
    c, z = normal_name(candidate), normal_name(zone)
    return c.endswith("." + z) or z.endswith("." + c)


class PostmarkDirectory:
    """Looks expected domains up, sharing one listing per account across all probes."""

    def __init__(self, apis: Mapping[PostmarkAccount, PostmarkDomainsApi]) -> None:
        self._apis = dict(apis)
        self._listings = {account: Once(api.list_domains) for account, api in self._apis.items()}

    def lookup(self, expected: ExpectedDomain) -> PostmarkLookup:
        """The account's record for `expected` (its listing asked once per account)."""
        api = self._apis.get(expected.domain.postmark_account)
        if api is None:
            raise PostmarkProbeError(f"no token configured for {expected.domain.postmark_account.value}")
        try:
            listing = self._listings[expected.domain.postmark_account].get()
        except PostmarkProbeError:
            raise
        except Exception as exc:
            raise PostmarkProbeError(f"{expected.domain.postmark_account.value}: {exc}") from exc
        names = tuple(item.name for item in listing)
        exact = [item for item in listing if normal_name(item.name) == normal_name(expected.zone_name)]
        if len(exact) > 1:
            ids = ", ".join(str(item.id) for item in exact)
            raise PostmarkProbeError(
                f"{len(exact)} domains on {expected.domain.postmark_account.value} are named {expected.zone_name} (IDs {ids}); "
                "remove the extra one in Postmark"
            )
        related = [item for item in listing if _related(item.name, expected.zone_name)]
        if not exact and not related:
            return PostmarkLookup(expected.domain.postmark_account, None, False, names)
        chosen = (exact or related)[0]
        try:
            details = api.get_domain(chosen.id)
        except Exception as exc:
            raise PostmarkProbeError(f"{expected.domain.postmark_account.value}: {exc}") from exc
        return PostmarkLookup(expected.domain.postmark_account, details, bool(exact), names)


class OpenedOnFirstUse:
    """A `PostmarkDomainsApi` that opens its client at the first question: reading the token
    (`op read`) or reaching Postmark may fail, and then only the Postmark probes fail."""

    def __init__(self, open_client: Callable[[], PostmarkDomainsApi]) -> None:
        self._client = Once(open_client)

    def list_domains(self) -> list[DomainSummary]:
        return self._client.get().list_domains()

    def get_domain(self, domain_id: int) -> PostmarkDomain:
        return self._client.get().get_domain(domain_id)


class AwsView(Protocol):
    """What AWS says about a deployed sending domain, read in its own infrastructure's account."""

    def hosted_name_servers(self, domain: SendingDomain) -> frozenset[str]:
        """The delegation set of the hosted zone its stack created."""
        ...

    def stack(self, domain: SendingDomain) -> dict[str, Any] | None:
        """`describe_stacks` of its stack (None: not deployed)."""
        ...

    def secrets(self, domain: SendingDomain) -> dict[str, dict[str, Any] | None]:
        """Each of its stack's secrets: `describe_secret`, or None when there is none."""
        ...


class KubeView(Protocol):
    """What a partition's cluster says about the ExternalSecret of its encryption key."""

    def external_secret(self, domain: SendingDomain) -> ExternalSecretState:
        """The encryption key's ExternalSecret (`found` False: none); KubeUnavailable when the
        cluster cannot be asked."""
        ...


@dataclass(frozen=True)
class Sources:
    """Where the probes get their answers; a source that is None cannot be asked."""

    dns: DnsProbe
    postmark: PostmarkDirectory | None = None
    aws: AwsView | None = None
    kube: KubeView | None = None

    def cannot_answer(self) -> frozenset[Probe]:
        missing = set() if self.aws is not None else set(AWS_PROBES)
        if self.postmark is None:
            missing.add(Probe.POSTMARK)
        if self.kube is None:
            missing |= KUBE_PROBES
        return frozenset(missing)


def probes_for(
    expected: ExpectedDomain, sources: Sources, wanted: Collection[Probe]
) -> dict[Probe, Callable[[], Any]]:
    """The callables answering each wanted probe about `expected`, that the sources can ask.

    The zone's delegation is evidenced by the hosted zone (with AWS) or else by the parent."""
    zone, dns, signing = expected.zone_name, sources.dns, expected.signing

    def query(name: str, rtype: str) -> Callable[[], DnsAnswer]:
        return lambda: dns.query(name, rtype)

    every: dict[Probe, Callable[[], Any]] = {
        Probe.NS: query(zone, "NS"),
        Probe.APEX_TXT: query(zone, "TXT"),
        Probe.DMARC_TXT: query(dmarc_host_name(zone), "TXT"),
        Probe.DKIM_TXT: query(signing.dkim_host_name, "TXT"),
        Probe.RETURN_PATH: query(signing.return_path_host_name, "CNAME"),
        Probe.DMARC_REPORT: query(dmarc_report_authorization_names(zone)[0], "TXT"),
        Probe.ROTATION_TXT: lambda: _rotation_answers(expected, dns),
    }
    if sources.postmark is not None:
        directory = sources.postmark
        every[Probe.POSTMARK] = lambda: directory.lookup(expected)
    if sources.aws is not None:
        aws = sources.aws
        every[Probe.HOSTED_NS] = lambda: aws.hosted_name_servers(expected.domain)
        every[Probe.STACK] = lambda: aws.stack(expected.domain)
        every[Probe.SECRETS] = lambda: aws.secrets(expected.domain)
    else:
        every[Probe.PARENT_NS] = lambda: dns.parent_delegation(zone, expected.domain.delegating_zone)
    if sources.kube is not None:
        kube = sources.kube
        every[Probe.EXTERNAL_SECRET] = lambda: kube.external_secret(expected.domain)
    return {probe: ask for probe, ask in every.items() if probe in wanted}


def _rotation_answers(expected: ExpectedDomain, dns: DnsProbe) -> dict[str, DnsAnswer]:
    """The TXT answers at the hosts of a rotation's other keys (none without a rotation)."""
    return {
        key.selector: dns.query(expected.domain.placement(key.selector).dkim_host_name, "TXT")
        for _, key in expected.block.dkim_keys()[1:]
    }

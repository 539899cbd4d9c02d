"""DNS checks of a deployed partition, through one resolver (`--resolver`, else the system's).

The record judgments (SPF, DMARC, DKIM, Return-Path) are the drift check's own, so the
daily drift run and exit validation can never disagree about what a good record is. NS
delegation is stricter here: the answered name servers must be those of the hosted zone the
stack created (its exported zone id), which catches a parent still delegating to an old,
retained zone of the same name.
"""

from __future__ import annotations

from collections.abc import Callable

import dns.resolver

from platform_lib.naming import ExportKey, dmarc_host_name, partition_zone_name
from tools.aws.hosted_zone import ZoneUnknown, zone_delegation_set
from tools.checks.judgments import Truth, judge_dmarc, judge_spf
from tools.checks.judgments import _dkim as judge_dkim  # shared rule, not duplicated
from tools.checks.judgments import _return_path as judge_return_path
from tools.dns.probe import DnsAnswer, DnsProbeError, ResolverAddress
from tools.exit_validation.results import CheckFailed
from tools.exit_validation.target import PostMergeTarget

SYSTEM_RESOLV_CONF = "/etc/resolv.conf"


class NoSystemResolver(Exception):
    """No usable name server in the system's resolver configuration."""


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


def _query(target: PostMergeTarget, name: str, rtype: str) -> DnsAnswer:
    try:
        return target.dns.query(name, rtype)
    except DnsProbeError as exc:
        raise CheckFailed(str(exc)) from None


def _judged(verdict: tuple[bool, str]) -> str:
    good, message = verdict
    if not good:
        raise CheckFailed(message)
    return message


def _truth(target: PostMergeTarget) -> Truth:
    return Truth(
        placement=target.placement,
        dkim_public_key=target.context.dkim_public_key,
        return_path_target=target.context.return_path_target,
        source=target.context_source,
    )


def _hosted_zone_name_servers(target: PostMergeTarget, zone: str) -> tuple[str, frozenset[str]]:
    zone_id = target.exported(ExportKey.PARTITION_MAIL_ZONE_ID).rsplit("/", 1)[-1]
    try:
        return zone_id, zone_delegation_set(target.session, zone_id, zone, target.profile)
    except ZoneUnknown as exc:
        raise CheckFailed(f"{exc} (the zone {target.stack_name} exports)") from None


def ns_delegation(target: PostMergeTarget) -> str:
    zone = partition_zone_name(target.partition)
    answer = _query(target, zone, "NS")
    answered = set(answer.single_values())
    if not answered:
        raise CheckFailed(f"zone {zone} is not delegated: NS query returned {answer.absent_reason}")
    try:
        zone_id, expected = _hosted_zone_name_servers(target, zone)
    except CheckFailed as exc:
        raise CheckFailed(f"NS {zone} answers, but the stack's hosted zone is unknown: {exc}") from None
    if answered != expected:
        raise CheckFailed(
            f"NS {zone} answers {', '.join(sorted(answered))}; the stack's hosted zone {zone_id} "
            f"has {', '.join(sorted(expected))}"
        )
    return f"delegated to the stack's hosted zone {zone_id} ({len(answered)} name servers)"


def spf(target: PostMergeTarget) -> str:
    zone = partition_zone_name(target.partition)
    return _judged(judge_spf(zone, _query(target, zone, "TXT")))


def dmarc(target: PostMergeTarget) -> str:
    zone = partition_zone_name(target.partition)
    return _judged(judge_dmarc(zone, _query(target, dmarc_host_name(zone), "TXT")))


def dkim(target: PostMergeTarget) -> str:
    zone = partition_zone_name(target.partition)
    answer = _query(target, target.placement.dkim_host_name, "TXT")
    return _judged(judge_dkim(zone, answer, _truth(target)))


def return_path(target: PostMergeTarget) -> str:
    zone = partition_zone_name(target.partition)
    answer = _query(target, target.placement.return_path_host_name, "CNAME")
    return _judged(judge_return_path(zone, answer, _truth(target)))


DNS_CHECKS: tuple[tuple[str, Callable[[PostMergeTarget], str]], ...] = (
    ("NS delegation", ns_delegation),
    ("SPF", spf),
    ("DMARC", dmarc),
    ("DKIM", dkim),
    ("Return-Path", return_path),
)

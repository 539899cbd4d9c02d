"""DNS's seam: the zone is delegated to this zone's name servers, and SPF, DMARC, the DMARC
report authorization, DKIM and the Return-Path are what the stack publishes."""

from __future__ import annotations

import re
from collections.abc import Callable

from platform_lib.dns_text import (
    DMARC_POLICIES,
    POSTMARK_SPF_INCLUDE,
    SPF_VALUE,
    dkim_public_key_of,
    dkim_txt_value,
    join_txt_strings,
)
from platform_lib.naming import (
    DMARC_REPORT_MAILBOX,
    dmarc_host_name,
    dmarc_report_authorization_names,
    dmarc_report_domain,
    normal_name,
)
from tools.checks.catalogue import CheckId, ExpectedDomain, Observations, Probe, Tag, check
from tools.checks.findings import Finding, Seam, abbreviate, drift, error, ok, warn
from tools.checks.reading import dns_answer, joined
from tools.dns.probe import DnsAnswer

SEAM = Seam.DNS
_ALL_MECHANISM = re.compile(r"^[+?~-]?all$", re.IGNORECASE)
# Route 53's name servers: ns-{0..2047}.awsdns-{00..63}.{com,net,org,co.uk}, each top-level
# domain holding its own 512 numbers (com 0-511, net 512-1023, org 1024-1535, co.uk 1536-2047).
_ROUTE53_NAME_SERVER = re.compile(r"^ns-(0|[1-9]\d{0,3})\.awsdns-([0-5]\d|6[0-3])\.(com|net|org|co\.uk)$")
_ROUTE53_TLDS = ("com", "net", "org", "co.uk")


def route53_name_server(name: str) -> bool:
    """Whether `name` (normalised: lower case, no trailing dot) is one of Route 53's own."""
    match = _ROUTE53_NAME_SERVER.fullmatch(name)
    return match is not None and int(match[1]) // 512 == _ROUTE53_TLDS.index(match[3])


def _names(names: set[str] | frozenset[str] | tuple[str, ...]) -> str:
    return ", ".join(sorted(names))


def _judged_answer(
    expected: ExpectedDomain,
    obs: Observations,
    probe: Probe,
    check_id: CheckId,
    judge: Callable[[DnsAnswer], tuple[bool, str]],
) -> Finding:
    """The probe's answer judged: a finding of the probe's own (unreachable, refused) as is,
    else ok or drift with the judge's message."""
    answer = dns_answer(expected, obs, probe, SEAM, check_id)
    if isinstance(answer, Finding):
        return answer
    good, message = judge(answer)
    return (ok if good else drift)(expected.zone_name, SEAM, check_id, message)


@check(
    CheckId.DNS_DELEGATION,
    seam=SEAM,
    title="NS delegation",
    probes=[Probe.NS, Probe.PARENT_NS, Probe.HOSTED_NS],
    tags=[Tag.LIVE, Tag.POST_MERGE],
)
def delegation(expected: ExpectedDomain, obs: Observations) -> Finding:
    """Delegated *to this zone*. With AWS access (the hosted zone's set observed) the NS
    answer must be that set; without it, every name server must be a Route 53 one and the
    parent must delegate to exactly the set the zone answers. Any NS answer at all is never
    enough: a zone delegated to someone else's servers answers NS too."""
    zone, check_id = expected.zone_name, CheckId.DNS_DELEGATION
    answer = dns_answer(expected, obs, Probe.NS, SEAM, check_id)
    if isinstance(answer, Finding):
        return answer
    answered = set(answer.single_values())
    if not answered:
        return drift(
            zone, SEAM, check_id, f"zone {zone} is not delegated: NS query returned {answer.absent_reason}"
        )
    if obs.asked(Probe.HOSTED_NS):
        return _against_hosted_zone(expected, answered, obs)
    foreign = {name for name in answered if not route53_name_server(name)}
    if foreign:
        return drift(
            zone, SEAM, check_id, f"NS {zone} answers name servers that are not Route 53's: {_names(foreign)}"
        )
    return _against_the_parent(expected, answered, obs)


def _against_the_parent(expected: ExpectedDomain, answered: set[str], obs: Observations) -> Finding:
    """Without AWS: every one of the parent's name servers that answered must delegate the
    zone to exactly the set the zone answers."""
    zone, check_id = expected.zone_name, CheckId.DNS_DELEGATION
    parent, outcome = expected.domain.delegating_zone, obs[Probe.PARENT_NS]
    if outcome.value is None:
        return error(
            zone, SEAM, check_id, f"could not ask {parent} who {zone} is delegated to: {outcome.failure}"
        )
    referrals = {server: frozenset(names) for server, names in dict(outcome.value).items()}
    if len(set(referrals.values())) > 1:
        said = "; ".join(
            f"{server}: {_names(names) or 'no delegation'}" for server, names in sorted(referrals.items())
        )
        return drift(zone, SEAM, check_id, f"the parent {parent}'s name servers disagree on {zone} ({said})")
    delegated = set(next(iter(referrals.values())))
    if not delegated:
        return drift(zone, SEAM, check_id, f"the parent {parent} does not delegate {zone}")
    if delegated != answered:
        return drift(
            zone,
            SEAM,
            check_id,
            f"the parent {parent} delegates {zone} to {_names(delegated)}, but the zone answers {_names(answered)}",
        )
    return ok(
        zone,
        SEAM,
        check_id,
        f"NS {zone}: {len(answered)} Route 53 name servers, the same at each of the parent {parent}'s "
        f"{len(referrals)} name servers that answered (checked without AWS: not compared with the hosted zone)",
    )


def _against_hosted_zone(expected: ExpectedDomain, answered: set[str], obs: Observations) -> Finding:
    zone, check_id, outcome = expected.zone_name, CheckId.DNS_DELEGATION, obs[Probe.HOSTED_NS]
    if outcome.value is None:
        return error(
            zone,
            SEAM,
            check_id,
            f"NS {zone} answers, but the stack's hosted zone is unknown: {outcome.failure}",
        )
    hosted = set(outcome.value)
    if answered != hosted:
        return drift(
            zone,
            SEAM,
            check_id,
            f"NS {zone} answers {_names(answered)}; its hosted zone's delegation set is {_names(hosted)}",
        )
    return ok(
        zone,
        SEAM,
        check_id,
        f"NS {zone} answers the hosted zone's delegation set ({len(hosted)} name servers, read through AWS)",
    )


def judge_spf(zone: str, answer: DnsAnswer) -> tuple[bool, str]:
    records = [v for v in joined(answer) if v.lower() == "v=spf1" or v.lower().startswith("v=spf1 ")]
    if not records:
        return (
            False,
            f"no SPF record at {zone} (TXT: {answer.absent_reason if not answer.values else 'others only'})",
        )
    if len(records) > 1:
        return False, f"{len(records)} SPF records at {zone}; exactly one is allowed (RFC 7208)"
    (spf,) = records
    terms = spf.split()[1:]
    if POSTMARK_SPF_INCLUDE not in [t.lower() for t in terms]:
        return False, f"SPF at {zone} does not include Postmark ({POSTMARK_SPF_INCLUDE}): {spf!r}"
    if not terms or not _ALL_MECHANISM.fullmatch(terms[-1]):
        return False, f"SPF at {zone} does not end with an all mechanism: {spf!r}"
    if spf != SPF_VALUE:
        return False, f"SPF at {zone} is {spf!r}; the stack publishes {SPF_VALUE!r}"
    return True, f"SPF {spf!r}"


@check(
    CheckId.DNS_SPF,
    seam=SEAM,
    title="SPF",
    probes=[Probe.APEX_TXT],
    tags=[Tag.LIVE, Tag.POST_MERGE, Tag.LEAF],
)
def spf(expected: ExpectedDomain, obs: Observations) -> Finding:
    return _judged_answer(
        expected, obs, Probe.APEX_TXT, CheckId.DNS_SPF, lambda answer: judge_spf(expected.zone_name, answer)
    )


def judge_dmarc(zone: str, answer: DnsAnswer) -> tuple[bool, str]:
    host = dmarc_host_name(zone)
    records = [v for v in joined(answer) if v.replace(" ", "").lower().startswith("v=dmarc1")]
    if not records:
        return (
            False,
            f"no DMARC record at {host} ({answer.absent_reason if not answer.values else 'others only'})",
        )
    if len(records) > 1:
        return False, f"{len(records)} DMARC records at {host}; exactly one is allowed"
    (dmarc,) = records
    tags = {}
    for tag in dmarc.split(";"):
        name, sep, value = tag.strip().partition("=")
        if sep:
            tags[name.strip().lower()] = value.strip()
    if tags.get("v") != "DMARC1":
        return False, f"DMARC at {host} must start with 'v=DMARC1': {dmarc!r}"
    if tags.get("p") not in DMARC_POLICIES:
        return False, f"DMARC at {host} has no valid p= policy ({'/'.join(DMARC_POLICIES)}): {dmarc!r}"
    if f"mailto:{DMARC_REPORT_MAILBOX}" not in tags.get("rua", ""):
        return False, f"DMARC at {host} does not report to mailto:{DMARC_REPORT_MAILBOX}: {dmarc!r}"
    return True, f"DMARC {dmarc!r}"


@check(
    CheckId.DNS_DMARC,
    seam=SEAM,
    title="DMARC",
    probes=[Probe.DMARC_TXT],
    tags=[Tag.LIVE, Tag.POST_MERGE, Tag.LEAF],
)
def dmarc(expected: ExpectedDomain, obs: Observations) -> Finding:
    return _judged_answer(
        expected,
        obs,
        Probe.DMARC_TXT,
        CheckId.DNS_DMARC,
        lambda answer: judge_dmarc(expected.zone_name, answer),
    )


@check(
    CheckId.DNS_DMARC_REPORT_AUTHORIZATION,
    seam=SEAM,
    title="DMARC report authorization",
    probes=[Probe.DMARC_REPORT],
    tags=[Tag.POST_MERGE, Tag.LEAF],
)
def dmarc_report_authorization(expected: ExpectedDomain, obs: Observations) -> Finding:
    """RFC 7489 §7.1: `rua` points at another organizational domain (arda.cards), so receivers
    send aggregate reports only when that domain publishes `v=DMARC1` at
    `{zone}._report._dmarc.{report domain}` (a `*` record there answers too). This project
    does not own that zone, so the message names exactly the record to add there; it does not
    hold a rollout back (not `LIVE`), and a missing record is a warning, not drift."""
    zone, check_id = expected.zone_name, CheckId.DNS_DMARC_REPORT_AUTHORIZATION
    answer = dns_answer(expected, obs, Probe.DMARC_REPORT, SEAM, check_id)
    if isinstance(answer, Finding):
        return answer
    specific, wildcard = dmarc_report_authorization_names(zone)
    if [v for v in joined(answer) if v.replace(" ", "").lower().startswith("v=dmarc1")]:
        return ok(
            zone, SEAM, check_id, f"{dmarc_report_domain()} authorizes DMARC reports for {zone} ({specific})"
        )
    return warn(
        zone,
        SEAM,
        check_id,
        f"DMARC aggregate reports for {zone} to mailto:{DMARC_REPORT_MAILBOX} are not authorized: "
        f'{dmarc_report_domain()} (not managed here) must publish TXT "v=DMARC1" at {specific} '
        f"(or {wildcard}) - RFC 7489 §7.1; DNS answered {answer.absent_reason if not answer.values else 'other TXT'}",
    )


def _strip_framing(value: str) -> str:
    return value.replace('"', "").replace(" ", "").replace("\t", "")


def _framing_flaws(strings: list[str]) -> list[str]:
    framing = (" ", "\t", '"')
    flaws = []
    for number, text in enumerate(strings, start=1):
        if text[:1] in framing:
            flaws.append(f"string {number} starts with {text[0]!r}")
        if text[-1:] in framing:
            flaws.append(f"string {number} ends with {text[-1]!r}")
    return flaws


@check(CheckId.DNS_DKIM, seam=SEAM, title="DKIM", probes=[Probe.DKIM_TXT], tags=[Tag.LIVE, Tag.POST_MERGE])
def dkim(expected: ExpectedDomain, obs: Observations) -> Finding:
    return _judged_answer(
        expected, obs, Probe.DKIM_TXT, CheckId.DNS_DKIM, lambda answer: _judge_dkim(expected, answer)
    )


def _judge_dkim(expected: ExpectedDomain, answer: DnsAnswer) -> tuple[bool, str]:
    host, key, source = expected.signing.dkim_host_name, expected.block.dkim_public_key, expected.source
    want = dkim_txt_value(key)
    if not answer.values:
        return False, f"missing DKIM record: no TXT at {host} ({answer.absent_reason})"
    if len(answer.values) > 1:
        return False, f"{len(answer.values)} TXT records at {host}; exactly one DKIM record expected"
    strings = list(answer.values[0])
    value = join_txt_strings(strings)
    if value == want:
        return True, f"DKIM TXT at {host} matches {source} ({len(strings)} string(s))"
    if _strip_framing(value) == _strip_framing(want):
        detail = "; ".join(_framing_flaws(strings)) or "stray whitespace or quotes inside a string"
        return False, (
            f"DKIM TXT at {host} is split wrongly: its {len(strings)} strings join to a value that differs "
            f"from {want[:16]}… only by framing ({detail})"
        )
    served = dkim_public_key_of(value)
    if served is None:
        return False, f"malformed DKIM record at {host}: no p= tag in {abbreviate(value, 24)!r}"
    return False, (
        f"wrong DKIM key at {host}: DNS has p={abbreviate(served)} ({len(served)} chars), "
        f"{source} has p={abbreviate(key)} ({len(key)} chars)"
    )


@check(
    CheckId.DNS_RETURN_PATH,
    seam=SEAM,
    title="Return-Path",
    probes=[Probe.RETURN_PATH],
    tags=[Tag.LIVE, Tag.POST_MERGE],
)
def return_path(expected: ExpectedDomain, obs: Observations) -> Finding:
    return _judged_answer(
        expected,
        obs,
        Probe.RETURN_PATH,
        CheckId.DNS_RETURN_PATH,
        lambda answer: _judge_return_path(expected, answer),
    )


def _judge_return_path(expected: ExpectedDomain, answer: DnsAnswer) -> tuple[bool, str]:
    host, target = expected.signing.return_path_host_name, expected.block.return_path_target
    targets = answer.single_values()
    if not targets:
        return False, f"missing Return-Path CNAME at {host} ({answer.absent_reason})"
    if targets != [normal_name(target)]:
        return (
            False,
            f"Return-Path CNAME {host} points at {', '.join(targets)}; {expected.source} expects {target}",
        )
    return True, f"Return-Path CNAME {host} -> {targets[0]}"

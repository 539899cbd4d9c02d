"""Pure comparisons: expectations + observations -> findings, each with a precise message.

Three seams per sending domain:

* Postmark - the domain exists on the right account; `Name`, the DKIM host (active or
  pending) and `ReturnPathDomain` equal the placement; DKIM and Return-Path verified.
* DNS - the zone is delegated (NS answers), SPF and DMARC are present and well-formed, the
  DKIM TXT (strings joined) equals `dkim_txt_value(expected key)`, the Return-Path CNAME
  points at the expected target.
* Cross-seam - Postmark's DKIM key and CNAME value agree with the context and with DNS.

The "expected" selector/key/target come from the context when there is one, otherwise
from Postmark (the corporate domain), in which case DNS is checked against Postmark.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from platform_lib.dkim_key import InvalidDkimKey, dkim_key_bits
from platform_lib.dns_text import (
    DMARC_POLICIES,
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
)
from platform_lib.placement import SendingDomainPlacement
from tools.checks.findings import Finding, Seam, abbreviate, drift, error, ok
from tools.checks.postmark_probe import PostmarkLookup
from tools.checks.runner import Outcome
from tools.dns.probe import DnsAnswer
from tools.drift.expected import ExpectedDomain
from tools.postmark.client import PostmarkDomain
from tools.postmark.rotation import DkimStateError, dkim_state

_Judge = Callable[[DnsAnswer], tuple[bool, str]]
POSTMARK_SPF_INCLUDE = "include:spf.mtasv.net"
_ALL_MECHANISM = re.compile(r"^[+?~-]?all$", re.IGNORECASE)
# Route 53's name servers: ns-{0..2047}.awsdns-{00..63}.{com,net,org,co.uk}.
ROUTE53_NAME_SERVER = re.compile(r"^ns-\d{1,4}\.awsdns-\d{1,2}\.(com|net|org|co\.uk)$")


@dataclass(frozen=True)
class DomainObservations:
    postmark: Outcome[PostmarkLookup]
    ns: Outcome[DnsAnswer]
    apex_txt: Outcome[DnsAnswer]
    dmarc_txt: Outcome[DnsAnswer]
    dkim_txt: Outcome[DnsAnswer]
    return_path: Outcome[DnsAnswer]
    dmarc_report: Outcome[DnsAnswer]
    # the other keys of a rotation (pending, revoked): selector -> the TXT answer at its host
    rotation_txt: Outcome[dict[str, DnsAnswer]]
    # who the parent zone delegates this zone to (asked without AWS access)
    parent_ns: Outcome[tuple[str, ...]]
    # the hosted zone's own delegation set, read through AWS (value None: not asked)
    hosted_ns: Outcome[frozenset[str]]


@dataclass(frozen=True)
class Truth:
    """The expected selector, key and Return-Path target, and where they came from."""

    placement: SendingDomainPlacement
    dkim_public_key: str
    return_path_target: str
    source: str


def _norm(name: str) -> str:
    return name.strip().rstrip(".").lower()


def postmark_key_for(domain: PostmarkDomain, host: str) -> tuple[str, str] | None:
    """(field, public key) of Postmark's key published at `host` (active, pending or revoked)."""
    for field, candidate, value in (
        ("DKIMTextValue", domain.dkim_host, domain.dkim_text_value),
        ("DKIMPendingTextValue", domain.dkim_pending_host, domain.dkim_pending_text_value),
        ("DKIMRevokedTextValue", domain.dkim_revoked_host, domain.dkim_revoked_text_value),
    ):
        if candidate and _norm(candidate) == _norm(host):
            key = dkim_public_key_of(value)
            return (field, key) if key else None
    return None


def truth_of(expected: ExpectedDomain) -> Truth:
    """What the context block says DNS and Postmark must hold."""
    return Truth(
        placement=expected.placement_for(expected.context.dkim_selector),
        dkim_public_key=expected.context.dkim_public_key,
        return_path_target=expected.context.return_path_target,
        source=expected.context_source,
    )


def check_leaf(expected: ExpectedDomain, obs: DomainObservations) -> list[Finding]:
    """A sending leaf inherits DKIM and Return-Path from its parent; its own records are SPF
    and DMARC (DMARC is looked up at the From domain, never at the parent) and the report
    authorization at arda.cards."""
    leaf = expected.zone_name
    return [
        _answered(leaf, "dns.spf", obs.apex_txt, lambda a: judge_spf(leaf, a)),
        _answered(leaf, "dns.dmarc", obs.dmarc_txt, lambda a: judge_dmarc(leaf, a)),
        _answered(
            leaf,
            "dns.dmarc_report_authorization",
            obs.dmarc_report,
            lambda a: dmarc_report_authorized(leaf, a),
        ),
    ]


def check_domain(expected: ExpectedDomain, obs: DomainObservations) -> list[Finding]:
    if expected.leaf_of is not None:
        return check_leaf(expected, obs)
    truth = truth_of(expected)
    return [
        *postmark_checks(expected, obs.postmark, truth),
        *dns_checks(expected, obs, truth),
        *cross_checks(expected, obs, truth),
        *rotation_checks(expected, obs),
    ]


# --- Key rotation -------------------------------------------------------------------------


def rotation_keys_expected(expected: ExpectedDomain) -> dict[str, tuple[str, str]]:
    """selector -> (role, key) of the non-signing keys DNS must serve: the context's pending
    or revoked key."""
    return {key.selector: (role.value, key.public_key) for role, key in expected.context.dkim_keys()[1:]}


def rotation_checks(expected: ExpectedDomain, obs: DomainObservations) -> list[Finding]:
    """The keys of a rotation: published where they must be, and no longer than Postmark needs."""
    zone = expected.zone_name
    lookup = obs.postmark.value
    findings = [_rotation_dns(expected, obs)]
    if lookup is not None and lookup.domain is not None:
        findings.append(rotation_postmark_context(expected, lookup.domain))
    return [f for f in findings if f is not None] or [
        ok(zone, Seam.DNS, "dns.dkim_rotation", "no rotation keys")
    ]


def _rotation_dns(expected: ExpectedDomain, obs: DomainObservations) -> Finding | None:
    zone, check = expected.zone_name, "dns.dkim_rotation"
    wanted = rotation_keys_expected(expected)
    if not wanted:
        return None
    if obs.rotation_txt.value is None:
        return error(zone, Seam.DNS, check, f"DNS probe failed: {obs.rotation_txt.failure}")
    problems = []
    for selector, (role, key) in wanted.items():
        host = expected.placement_for(selector).dkim_host_name
        answer = obs.rotation_txt.value.get(selector)
        served = (
            [] if answer is None else [dkim_public_key_of(join_txt_strings(list(r))) for r in answer.values]
        )
        if key not in served:
            what = "not published" if not served else f"served as p={abbreviate(str(served[0]))}"
            problems.append(f"the {role} key {selector} is {what} at {host}")
    if problems:
        return drift(zone, Seam.DNS, check, "; ".join(problems))
    shown = ", ".join(f"{role} {selector}" for selector, (role, _) in wanted.items())
    return ok(zone, Seam.DNS, check, f"DNS serves the rotation's {shown} key")


def rotation_postmark_context(expected: ExpectedDomain, domain: PostmarkDomain) -> Finding:
    """Postmark's rotation state against the context block (what the stack publishes)."""
    zone, seam, check = expected.zone_name, Seam.CROSS, "cross.dkim_rotation"
    try:
        state = dkim_state(domain, expected.placement_for)
    except DkimStateError as exc:
        return drift(zone, seam, check, str(exc))
    published = {key.selector: key.public_key for _, key in expected.context.dkim_keys()}
    fix = f"re-run `{expected.fix_command}`" if expected.fix_command else "redeploy"
    problems = []
    if state.signing[0] not in published:  # a different key under that selector: cross.dkim_key
        problems.append(
            f"Postmark signs with {state.signing[0]}, a key {expected.context_source} does not publish "
            f"(mail fails DKIM); {fix}"
        )
    if state.pending is not None and published.get(state.pending[0]) != state.pending[1]:
        problems.append(
            f"Postmark's pending key {state.pending[0]} is not published, so Postmark cannot verify it; {fix}"
        )
    if state.revoked is not None and published.get(state.revoked[0]) != state.revoked[1]:
        problems.append(
            f"the revoked key {state.revoked[0]} left DNS before Postmark said it is safe to remove "
            "(mail in flight fails DKIM); put it back with " + fix
        )
    wanted = {state.signing[0], *(k[0] for k in (state.pending, state.revoked) if k is not None)}
    for selector in published:
        if selector in wanted:
            continue
        if selector == state.revoked_safe:
            problems.append(
                f"the revoked key {selector} is still published although Postmark says it is safe to remove "
                f"(SafeToRemoveRevokedKeyFromDNS); {fix} to remove it"
            )
        else:
            problems.append(
                f"the key {selector} in {expected.context_source} is none Postmark has (signing, pending or revoked)"
            )
    if problems:
        return drift(zone, seam, check, "; ".join(problems))
    return ok(zone, seam, check, state.describe())


# --- Postmark ---------------------------------------------------------------------------


def postmark_checks(
    expected: ExpectedDomain, outcome: Outcome[PostmarkLookup], truth: Truth
) -> list[Finding]:
    zone, seam, account = expected.zone_name, Seam.POSTMARK, expected.account.value
    if outcome.value is None:
        return [error(zone, seam, "postmark.domain", f"Postmark unreachable: {outcome.failure}")]
    lookup = outcome.value
    domain = lookup.domain
    if domain is None:
        has = ", ".join(lookup.names) or "none"
        return [drift(zone, seam, "postmark.domain", f"no domain {zone} on {account} (domains there: {has})")]
    findings = [ok(zone, seam, "postmark.domain", f"domain {domain.name} (ID {domain.id}) on {account}")]
    if not lookup.exact:
        findings.append(
            drift(
                zone,
                seam,
                "postmark.name",
                f"{account} has no domain named {zone}; found {domain.name!r} instead "
                f"(placement expects Name {zone!r})",
            )
        )
    elif domain.name != zone:
        findings.append(
            drift(
                zone,
                seam,
                "postmark.name",
                f"Postmark Name {domain.name!r} differs from the placement's {zone!r}",
            )
        )
    else:
        findings.append(ok(zone, seam, "postmark.name", f"Name {domain.name}"))
    findings.append(_dkim_host_finding(expected, domain))
    findings.append(_return_path_domain_finding(expected, domain, truth))
    findings.append(
        ok(zone, seam, "postmark.dkim_verified", "DKIM verified")
        if domain.dkim_verified
        else drift(
            zone, seam, "postmark.dkim_verified", f"Postmark reports DKIM not verified for {domain.name}"
        )
    )
    findings.append(
        ok(zone, seam, "postmark.return_path_verified", "Return-Path verified")
        if domain.return_path_verified
        else drift(
            zone,
            seam,
            "postmark.return_path_verified",
            f"Postmark reports Return-Path {domain.return_path_domain or '(none)'} not verified",
        )
    )
    return findings


def _dkim_host_finding(expected: ExpectedDomain, domain: PostmarkDomain) -> Finding:
    zone, seam, check = expected.zone_name, Seam.POSTMARK, "postmark.dkim_host"
    hosts = [
        ("DKIMHost", domain.dkim_host),
        ("DKIMPendingHost", domain.dkim_pending_host),
        ("DKIMRevokedHost", domain.dkim_revoked_host),
    ]
    present = [(field, host) for field, host in hosts if host]
    if not present:
        return drift(zone, seam, check, "Postmark has neither DKIMHost nor DKIMPendingHost")
    shown = ", ".join(f"{field} {host!r}" for field, host in present)
    selector = expected.context.dkim_selector
    want = expected.placement_for(selector).dkim_host_name
    for field, host in present:
        if _norm(host) == want:
            return ok(zone, seam, check, f"{field} {host} matches selector {selector}")
    return drift(
        zone,
        seam,
        check,
        f"{shown} does not match selector {selector!r} from {expected.context_source} (placement: {want!r})",
    )


def _return_path_domain_finding(expected: ExpectedDomain, domain: PostmarkDomain, truth: Truth) -> Finding:
    zone, seam, check = expected.zone_name, Seam.POSTMARK, "postmark.return_path_domain"
    want = truth.placement.return_path_host_name
    if not domain.return_path_domain:
        return drift(zone, seam, check, f"Postmark has no ReturnPathDomain (placement: {want!r})")
    if domain.return_path_domain != want:
        return drift(
            zone,
            seam,
            check,
            f"Postmark ReturnPathDomain {domain.return_path_domain!r} differs from the placement {want!r}",
        )
    return ok(zone, seam, check, f"ReturnPathDomain {want}")


# --- DNS --------------------------------------------------------------------------------


def dns_checks(expected: ExpectedDomain, obs: DomainObservations, truth: Truth) -> list[Finding]:
    zone = expected.zone_name
    findings = [
        delegation_finding(expected, obs),
        _answered(zone, "dns.spf", obs.apex_txt, lambda a: judge_spf(zone, a)),
        _answered(zone, "dns.dmarc", obs.dmarc_txt, lambda a: judge_dmarc(zone, a)),
    ]
    findings.append(
        _answered(
            zone,
            "dns.dmarc_report_authorization",
            obs.dmarc_report,
            lambda a: dmarc_report_authorized(zone, a),
        )
    )
    findings.append(_answered(zone, "dns.dkim", obs.dkim_txt, lambda a: _dkim(zone, a, truth)))
    findings.append(
        _answered(zone, "dns.return_path", obs.return_path, lambda a: _return_path(zone, a, truth))
    )
    return findings


def _answered(zone: str, check: str, outcome: Outcome[DnsAnswer], judge: _Judge) -> Finding:
    if outcome.value is None:
        return error(zone, Seam.DNS, check, f"DNS probe failed: {outcome.failure}")
    good, message = judge(outcome.value)
    return (ok if good else drift)(zone, Seam.DNS, check, message)


def _names(names: set[str] | frozenset[str] | tuple[str, ...]) -> str:
    return ", ".join(sorted(names))


def delegation_finding(expected: ExpectedDomain, obs: DomainObservations) -> Finding:
    """Delegated *to this zone*. With AWS access (`hosted_ns` observed) the NS answer must be
    the hosted zone's own delegation set; without it, every name server must be a Route 53
    one and the parent must delegate to exactly the set the zone answers. Any NS answer at
    all is never enough: a zone delegated to someone else's servers answers NS too."""
    zone, check = expected.zone_name, "dns.delegation"
    if obs.ns.value is None:
        return error(zone, Seam.DNS, check, f"DNS probe failed: {obs.ns.failure}")
    answered = set(obs.ns.value.single_values())
    if not answered:
        return drift(
            zone,
            Seam.DNS,
            check,
            f"zone {zone} is not delegated: NS query returned {obs.ns.value.absent_reason}",
        )
    if obs.hosted_ns.failure is not None:
        return error(
            zone, Seam.DNS, check, f"could not read the hosted zone's delegation set: {obs.hosted_ns.failure}"
        )
    if obs.hosted_ns.value is not None:
        hosted = set(obs.hosted_ns.value)
        if answered != hosted:
            return drift(
                zone,
                Seam.DNS,
                check,
                f"NS {zone} answers {_names(answered)}; its hosted zone's delegation set is {_names(hosted)}",
            )
        return ok(
            zone,
            Seam.DNS,
            check,
            f"NS {zone} answers the hosted zone's delegation set ({len(hosted)} name servers, read through AWS)",
        )
    foreign = {name for name in answered if not ROUTE53_NAME_SERVER.fullmatch(name)}
    if foreign:
        return drift(
            zone,
            Seam.DNS,
            check,
            f"NS {zone} answers name servers that are not Route 53's: {_names(foreign)}",
        )
    parent = expected.delegating_zone
    if obs.parent_ns.value is None:
        return error(
            zone,
            Seam.DNS,
            check,
            f"could not ask {parent} who {zone} is delegated to: {obs.parent_ns.failure}",
        )
    delegated = set(obs.parent_ns.value)
    if not delegated:
        return drift(zone, Seam.DNS, check, f"the parent {parent} does not delegate {zone}")
    if delegated != answered:
        return drift(
            zone,
            Seam.DNS,
            check,
            f"the parent {parent} delegates {zone} to {_names(delegated)}, but the zone answers {_names(answered)}",
        )
    return ok(
        zone,
        Seam.DNS,
        check,
        f"NS {zone}: {len(answered)} Route 53 name servers, the same at the parent {parent} "
        "(checked without AWS: not compared with the hosted zone)",
    )


def _joined(answer: DnsAnswer) -> list[str]:
    return [join_txt_strings(list(record)) for record in answer.values]


def judge_spf(zone: str, answer: DnsAnswer) -> tuple[bool, str]:
    records = [v for v in _joined(answer) if v.lower() == "v=spf1" or v.lower().startswith("v=spf1 ")]
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


def judge_dmarc(zone: str, answer: DnsAnswer) -> tuple[bool, str]:
    host = dmarc_host_name(zone)
    records = [v for v in _joined(answer) if v.replace(" ", "").lower().startswith("v=dmarc1")]
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


def dmarc_report_authorized(zone: str, answer: DnsAnswer) -> tuple[bool, str]:
    """RFC 7489 §7.1: `rua` points at another organizational domain (arda.cards), so receivers
    send aggregate reports only when that domain publishes `v=DMARC1` at
    `{zone}._report._dmarc.{report domain}` (a `*` record there answers too). This project
    does not own that zone, so the message names exactly the record to add there."""
    specific, wildcard = dmarc_report_authorization_names(zone)
    records = [v for v in _joined(answer) if v.replace(" ", "").lower().startswith("v=dmarc1")]
    if records:
        return True, f"{dmarc_report_domain()} authorizes DMARC reports for {zone} ({specific})"
    return False, (
        f"DMARC aggregate reports for {zone} to mailto:{DMARC_REPORT_MAILBOX} are not authorized: "
        f'{dmarc_report_domain()} (not managed here) must publish TXT "v=DMARC1" at {specific} '
        f"(or {wildcard}) - RFC 7489 §7.1; DNS answered {answer.absent_reason if not answer.values else 'other TXT'}"
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


def _dkim(zone: str, answer: DnsAnswer, truth: Truth) -> tuple[bool, str]:
    host = truth.placement.dkim_host_name
    want = dkim_txt_value(truth.dkim_public_key)
    if not answer.values:
        return False, f"missing DKIM record: no TXT at {host} ({answer.absent_reason})"
    if len(answer.values) > 1:
        return False, f"{len(answer.values)} TXT records at {host}; exactly one DKIM record expected"
    strings = list(answer.values[0])
    joined = join_txt_strings(strings)
    if joined == want:
        return True, f"DKIM TXT at {host} matches {truth.source} ({len(strings)} string(s))"
    if _strip_framing(joined) == _strip_framing(want):
        detail = "; ".join(_framing_flaws(strings)) or "stray whitespace or quotes inside a string"
        return False, (
            f"DKIM TXT at {host} is split wrongly: its {len(strings)} strings join to a value that differs "
            f"from {want[:16]}… only by framing ({detail})"
        )
    key = dkim_public_key_of(joined)
    if key is None:
        return False, f"malformed DKIM record at {host}: no p= tag in {abbreviate(joined, 24)!r}"
    return False, (
        f"wrong DKIM key at {host}: DNS has p={abbreviate(key)} ({len(key)} chars), "
        f"{truth.source} has p={abbreviate(truth.dkim_public_key)} ({len(truth.dkim_public_key)} chars)"
    )


def _return_path(zone: str, answer: DnsAnswer, truth: Truth) -> tuple[bool, str]:
    host = truth.placement.return_path_host_name
    targets = answer.single_values()
    if not targets:
        return False, f"missing Return-Path CNAME at {host} ({answer.absent_reason})"
    if targets != [_norm(truth.return_path_target)]:
        return False, (
            f"Return-Path CNAME {host} points at {', '.join(targets)}; "
            f"{truth.source} expects {truth.return_path_target}"
        )
    return True, f"Return-Path CNAME {host} -> {targets[0]}"


# --- Cross-seam -------------------------------------------------------------------------


def _key_problem(key: str) -> str | None:
    try:
        dkim_key_bits(key)
    except InvalidDkimKey as exc:
        return str(exc)
    return None


def _dns_dkim_key(obs: DomainObservations) -> str | None:
    answer = obs.dkim_txt.value
    if answer is None or len(answer.values) != 1:
        return None
    return dkim_public_key_of(join_txt_strings(list(answer.values[0])))


def cross_checks(expected: ExpectedDomain, obs: DomainObservations, truth: Truth) -> list[Finding]:
    """Postmark against the context and against DNS."""
    lookup = obs.postmark.value
    if lookup is None or lookup.domain is None:
        return []
    zone, seam, domain = expected.zone_name, Seam.CROSS, lookup.domain
    findings: list[Finding] = []
    host = truth.placement.dkim_host_name
    pm = postmark_key_for(domain, host)
    if pm is None:
        findings.append(
            drift(zone, seam, "cross.dkim_key.postmark_context", f"Postmark publishes no DKIM key for {host}")
        )
    else:
        field, pm_key = pm
        unusable = _key_problem(pm_key)
        if unusable:
            findings.append(
                drift(
                    zone,
                    seam,
                    "cross.dkim_key.postmark_context",
                    f"Postmark {field} for {host} is unusable ({unusable})",
                )
            )
        elif pm_key != truth.dkim_public_key:
            findings.append(
                drift(
                    zone,
                    seam,
                    "cross.dkim_key.postmark_context",
                    f"Postmark {field} p={abbreviate(pm_key)} differs from {truth.source} "
                    f"p={abbreviate(truth.dkim_public_key)}",
                )
            )
        else:
            findings.append(
                ok(zone, seam, "cross.dkim_key.postmark_context", f"Postmark {field} equals the context key")
            )
        dns_key = _dns_dkim_key(obs)
        if dns_key is not None:
            findings.append(
                ok(zone, seam, "cross.dkim_key.postmark_dns", f"Postmark {field} equals DNS {host}")
                if dns_key == pm_key
                else drift(
                    zone,
                    seam,
                    "cross.dkim_key.postmark_dns",
                    f"Postmark {field} p={abbreviate(pm_key)} differs from DNS {host} p={abbreviate(dns_key)}",
                )
            )
    pm_target = _norm(domain.return_path_cname_value)
    ctx_target = _norm(truth.return_path_target)
    findings.append(
        ok(
            zone,
            seam,
            "cross.return_path.postmark_context",
            f"ReturnPathDomainCNAMEValue {pm_target} equals the context",
        )
        if pm_target == ctx_target
        else drift(
            zone,
            seam,
            "cross.return_path.postmark_context",
            f"Postmark ReturnPathDomainCNAMEValue {pm_target or '(none)'!r} differs from {truth.source} "
            f"returnPathTarget {ctx_target!r}",
        )
    )
    answer = obs.return_path.value
    if answer is not None and answer.values:
        dns_targets = answer.single_values()
        findings.append(
            ok(zone, seam, "cross.return_path.postmark_dns", f"DNS CNAME equals Postmark's {pm_target}")
            if dns_targets == [pm_target]
            else drift(
                zone,
                seam,
                "cross.return_path.postmark_dns",
                f"Postmark ReturnPathDomainCNAMEValue {pm_target!r} differs from DNS "
                f"{truth.placement.return_path_host_name} -> {', '.join(dns_targets)}",
            )
        )
    return findings

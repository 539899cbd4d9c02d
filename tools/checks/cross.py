"""Across seams: Postmark's DKIM key and Return-Path target agree with the context block and
with DNS."""

from __future__ import annotations

from platform_lib.dkim_key import InvalidDkimKey, dkim_key_bits
from platform_lib.naming import normal_name
from tools.checks.catalogue import CheckId, ExpectedDomain, Observations, Probe, Tag, check
from tools.checks.findings import Finding, Seam, abbreviate, drift, ok
from tools.checks.reading import postmark_domain, postmark_key_for, served_keys
from tools.dns.probe import DnsAnswer

SEAM = Seam.CROSS


def _key_problem(key: str) -> str | None:
    try:
        dkim_key_bits(key)
    except InvalidDkimKey as exc:
        return str(exc)
    return None


@check(
    CheckId.CROSS_DKIM_KEY_POSTMARK_CONTEXT,
    seam=SEAM,
    title="Postmark DKIM = context",
    probes=[Probe.POSTMARK],
)
def dkim_key_postmark_context(expected: ExpectedDomain, obs: Observations) -> Finding | None:
    domain = postmark_domain(obs)
    if domain is None:
        return None
    zone, check_id, host = (
        expected.zone_name,
        CheckId.CROSS_DKIM_KEY_POSTMARK_CONTEXT,
        expected.signing.dkim_host_name,
    )
    found = postmark_key_for(domain, host)
    if found is None:
        return drift(
            zone,
            SEAM,
            check_id,
            f"Postmark publishes no DKIM key for {host}; re-run `{expected.domain.deployer}`",
        )
    field, key = found
    unusable = _key_problem(key)
    if unusable:
        return drift(zone, SEAM, check_id, f"Postmark {field} for {host} is unusable ({unusable})")
    if key != expected.block.dkim_public_key:
        return drift(
            zone,
            SEAM,
            check_id,
            f"Postmark {field} p={abbreviate(key)} differs from {expected.source} "
            f"p={abbreviate(expected.block.dkim_public_key)}",
        )
    return ok(zone, SEAM, check_id, f"Postmark {field} equals the context key")


@check(
    CheckId.CROSS_DKIM_KEY_POSTMARK_DNS,
    seam=SEAM,
    title="Postmark DKIM = DNS",
    probes=[Probe.POSTMARK, Probe.DKIM_TXT],
    tags=[Tag.POST_MERGE],
)
def dkim_key_postmark_dns(expected: ExpectedDomain, obs: Observations) -> Finding | None:
    """The key Postmark holds for the signing selector is among those DNS serves there."""
    domain = postmark_domain(obs)
    answer: DnsAnswer | None = obs[Probe.DKIM_TXT].value
    if domain is None or answer is None or not answer.values:
        return None
    zone, check_id, host = (
        expected.zone_name,
        CheckId.CROSS_DKIM_KEY_POSTMARK_DNS,
        expected.signing.dkim_host_name,
    )
    found = postmark_key_for(domain, host)
    if found is None:
        return None  # cross.dkim_key.postmark_context says so
    field, key = found
    published = served_keys(answer)
    if key not in published:
        shown = ", ".join(f"p={abbreviate(k)}" for k in published if k) or answer.absent_reason
        return drift(
            zone,
            SEAM,
            check_id,
            f"Postmark {field} p={abbreviate(key)} is not what DNS {host} serves ({shown})",
        )
    return ok(zone, SEAM, check_id, f"Postmark {field} equals the TXT at {host}")


@check(
    CheckId.CROSS_RETURN_PATH_POSTMARK_CONTEXT,
    seam=SEAM,
    title="Postmark Return-Path target = context",
    probes=[Probe.POSTMARK],
)
def return_path_postmark_context(expected: ExpectedDomain, obs: Observations) -> Finding | None:
    domain = postmark_domain(obs)
    if domain is None:
        return None
    check_id = CheckId.CROSS_RETURN_PATH_POSTMARK_CONTEXT
    ours, theirs = normal_name(expected.block.return_path_target), normal_name(domain.return_path_cname_value)
    if theirs != ours:
        return drift(
            expected.zone_name,
            SEAM,
            check_id,
            f"Postmark ReturnPathDomainCNAMEValue {theirs or '(none)'!r} differs from {expected.source} "
            f"returnPathTarget {ours!r}",
        )
    return ok(expected.zone_name, SEAM, check_id, f"ReturnPathDomainCNAMEValue {theirs} equals the context")


@check(
    CheckId.CROSS_RETURN_PATH_POSTMARK_DNS,
    seam=SEAM,
    title="Postmark Return-Path target = DNS",
    probes=[Probe.POSTMARK, Probe.RETURN_PATH],
)
def return_path_postmark_dns(expected: ExpectedDomain, obs: Observations) -> Finding | None:
    domain = postmark_domain(obs)
    answer: DnsAnswer | None = obs[Probe.RETURN_PATH].value
    if domain is None or answer is None or not answer.values:
        return None  # dns.return_path says the CNAME is missing
    check_id, theirs = CheckId.CROSS_RETURN_PATH_POSTMARK_DNS, normal_name(domain.return_path_cname_value)
    targets = answer.single_values()
    if targets != [theirs]:
        return drift(
            expected.zone_name,
            SEAM,
            check_id,
            f"Postmark ReturnPathDomainCNAMEValue {theirs!r} differs from DNS "
            f"{expected.signing.return_path_host_name} -> {', '.join(targets)}",
        )
    return ok(expected.zone_name, SEAM, check_id, f"DNS CNAME equals Postmark's {theirs}")

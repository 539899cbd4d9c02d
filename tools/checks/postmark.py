"""Postmark's seam: the domain exists on the right account, with the placement's names, and
Postmark says DKIM and the Return-Path are verified."""

from __future__ import annotations

from platform_lib.naming import normal_name
from tools.checks.catalogue import CheckId, ExpectedDomain, Observations, Probe, Tag, check
from tools.checks.findings import Finding, Seam, drift, error, ok
from tools.checks.probes import PostmarkLookup
from tools.checks.reading import postmark_domain

SEAM = Seam.POSTMARK


@check(
    CheckId.POSTMARK_DOMAIN,
    seam=SEAM,
    title="Postmark domain",
    probes=[Probe.POSTMARK],
    tags=[Tag.LIVE, Tag.POST_MERGE],
)
def domain_exists(expected: ExpectedDomain, obs: Observations) -> Finding:
    zone, account = expected.zone_name, expected.domain.postmark_account.value
    outcome = obs[Probe.POSTMARK]
    if outcome.value is None:
        return error(zone, SEAM, CheckId.POSTMARK_DOMAIN, f"Postmark not checked: {outcome.failure}")
    lookup: PostmarkLookup = outcome.value
    if lookup.domain is None:
        has = ", ".join(lookup.names) or "none"
        return drift(
            zone,
            SEAM,
            CheckId.POSTMARK_DOMAIN,
            f"no domain {zone} on {account} (domains there: {has}); run `{expected.domain.writer}`",
        )
    return ok(
        zone,
        SEAM,
        CheckId.POSTMARK_DOMAIN,
        f"domain {lookup.domain.name} (ID {lookup.domain.id}) on {account}",
    )


@check(CheckId.POSTMARK_NAME, seam=SEAM, title="Postmark domain name", probes=[Probe.POSTMARK])
def domain_name(expected: ExpectedDomain, obs: Observations) -> Finding | None:
    lookup: PostmarkLookup | None = obs[Probe.POSTMARK].value
    if lookup is None or lookup.domain is None:
        return None
    zone, name, account = expected.zone_name, lookup.domain.name, expected.domain.postmark_account.value
    if not lookup.exact:
        return drift(
            zone,
            SEAM,
            CheckId.POSTMARK_NAME,
            f"{account} has no domain named {zone}; found {name!r} instead (placement expects Name {zone!r})",
        )
    if name != zone:
        return drift(
            zone, SEAM, CheckId.POSTMARK_NAME, f"Postmark Name {name!r} differs from the placement's {zone!r}"
        )
    return ok(zone, SEAM, CheckId.POSTMARK_NAME, f"Name {name}")


@check(CheckId.POSTMARK_DKIM_HOST, seam=SEAM, title="Postmark DKIM host", probes=[Probe.POSTMARK])
def dkim_host(expected: ExpectedDomain, obs: Observations) -> Finding | None:
    domain = postmark_domain(obs)
    if domain is None:
        return None
    zone = expected.zone_name
    hosts = [
        ("DKIMHost", domain.dkim_host),
        ("DKIMPendingHost", domain.dkim_pending_host),
        ("DKIMRevokedHost", domain.dkim_revoked_host),
    ]
    present = [(field, host) for field, host in hosts if host]
    if not present:
        return drift(
            zone, SEAM, CheckId.POSTMARK_DKIM_HOST, "Postmark has neither DKIMHost nor DKIMPendingHost"
        )
    selector = expected.block.dkim_selector
    want = expected.signing.dkim_host_name
    for field, host in present:
        if normal_name(host) == want:
            return ok(zone, SEAM, CheckId.POSTMARK_DKIM_HOST, f"{field} {host} matches selector {selector}")
    shown = ", ".join(f"{field} {host!r}" for field, host in present)
    return drift(
        zone,
        SEAM,
        CheckId.POSTMARK_DKIM_HOST,
        f"{shown} does not match selector {selector!r} from {expected.source} (placement: {want!r})",
    )


@check(
    CheckId.POSTMARK_RETURN_PATH_DOMAIN,
    seam=SEAM,
    title="Postmark Return-Path domain",
    probes=[Probe.POSTMARK],
)
def return_path_domain(expected: ExpectedDomain, obs: Observations) -> Finding | None:
    domain = postmark_domain(obs)
    if domain is None:
        return None
    zone, want = expected.zone_name, expected.signing.return_path_host_name
    if not domain.return_path_domain:
        return drift(
            zone,
            SEAM,
            CheckId.POSTMARK_RETURN_PATH_DOMAIN,
            f"Postmark has no ReturnPathDomain (placement: {want!r})",
        )
    if domain.return_path_domain != want:
        return drift(
            zone,
            SEAM,
            CheckId.POSTMARK_RETURN_PATH_DOMAIN,
            f"Postmark ReturnPathDomain {domain.return_path_domain!r} differs from the placement {want!r}",
        )
    return ok(zone, SEAM, CheckId.POSTMARK_RETURN_PATH_DOMAIN, f"ReturnPathDomain {want}")


@check(
    CheckId.POSTMARK_DKIM_VERIFIED,
    seam=SEAM,
    title="Postmark DKIM verified",
    probes=[Probe.POSTMARK],
    tags=[Tag.LIVE, Tag.POST_MERGE],
)
def dkim_verified(expected: ExpectedDomain, obs: Observations) -> Finding | None:
    domain = postmark_domain(obs)
    if domain is None:
        return None
    return _verified(
        expected,
        CheckId.POSTMARK_DKIM_VERIFIED,
        domain.dkim_verified,
        f"DKIM verified for {domain.name}",
        f"Postmark reports DKIM not verified for {domain.name} on {expected.domain.postmark_account.value}",
    )


@check(
    CheckId.POSTMARK_RETURN_PATH_VERIFIED,
    seam=SEAM,
    title="Postmark Return-Path verified",
    probes=[Probe.POSTMARK],
    tags=[Tag.LIVE, Tag.POST_MERGE],
)
def return_path_verified(expected: ExpectedDomain, obs: Observations) -> Finding | None:
    domain = postmark_domain(obs)
    if domain is None:
        return None
    return _verified(
        expected,
        CheckId.POSTMARK_RETURN_PATH_VERIFIED,
        domain.return_path_verified,
        f"Return-Path {domain.return_path_domain} verified",
        f"Postmark reports Return-Path {domain.return_path_domain or '(none)'} not verified",
    )


def _verified(expected: ExpectedDomain, check_id: CheckId, verified: bool, good: str, bad: str) -> Finding:
    """Postmark's verified flag: ok, or drift naming the command that asks Postmark again."""
    if verified:
        return ok(expected.zone_name, SEAM, check_id, good)
    return drift(expected.zone_name, SEAM, check_id, f"{bad}; run `{expected.domain.verifier}`")

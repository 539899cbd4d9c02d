"""A DKIM rotation's keys: each published where it must be, and no longer than Postmark needs
(ADR-0022) - the signing key always, a pending key while pending, a revoked key until
Postmark says it is safe to remove."""

from __future__ import annotations

from tools.checks.catalogue import CheckId, ExpectedDomain, Observations, Probe, Tag, check
from tools.checks.findings import Finding, Seam, abbreviate, drift, error, ok
from tools.checks.reading import postmark_domain, served_keys
from tools.dns.probe import DnsAnswer
from tools.postmark.client import PostmarkDomain
from tools.postmark.rotation import DkimState, DkimStateError, dkim_state


@check(
    CheckId.ROTATION_DNS,
    seam=Seam.DNS,
    title="DKIM rotation keys in DNS",
    probes=[Probe.ROTATION_TXT],
    tags=[Tag.POST_MERGE],
)
def rotation_keys_published(expected: ExpectedDomain, obs: Observations) -> Finding:
    """The block's pending or revoked key is served at its own selector."""
    zone, check_id = expected.zone_name, CheckId.ROTATION_DNS
    others = expected.block.dkim_keys()[1:]
    if not others:
        return ok(zone, Seam.DNS, check_id, "no rotation keys")
    outcome = obs[Probe.ROTATION_TXT]
    if outcome.value is None:
        return error(zone, Seam.DNS, check_id, f"DNS probe failed: {outcome.failure}")
    answers: dict[str, DnsAnswer] = outcome.value
    problems = []
    for role, key in others:
        host = expected.domain.placement(key.selector).dkim_host_name
        served = served_keys(answers.get(key.selector))
        if key.public_key not in served:
            what = "not published" if not served else f"served as p={abbreviate(str(served[0]))}"
            problems.append(f"the {role.value} key {key.selector} is {what} at {host}")
    if problems:
        return drift(zone, Seam.DNS, check_id, "; ".join(problems))
    shown = ", ".join(f"{role.value} {key.selector}" for role, key in others)
    return ok(zone, Seam.DNS, check_id, f"DNS serves the rotation's {shown} key")


@check(
    CheckId.ROTATION_POSTMARK,
    seam=Seam.CROSS,
    title="DKIM rotation state",
    probes=[Probe.POSTMARK],
    tags=[Tag.POST_MERGE],
)
def rotation_matches_postmark(expected: ExpectedDomain, obs: Observations) -> Finding | None:
    """Postmark's rotation state against the block (what the stack publishes)."""
    domain = postmark_domain(obs)
    return None if domain is None else rotation_finding(expected, domain)


def rotation_finding(expected: ExpectedDomain, domain: PostmarkDomain) -> Finding:
    zone, seam, check_id = expected.zone_name, Seam.CROSS, CheckId.ROTATION_POSTMARK
    try:
        state = dkim_state(domain, expected.domain)
    except DkimStateError as exc:
        return drift(zone, seam, check_id, str(exc))
    problems = _rotation_problems(expected, state)
    if problems:
        return drift(zone, seam, check_id, "; ".join(problems))
    return ok(zone, seam, check_id, state.describe())


def _rotation_problems(expected: ExpectedDomain, state: DkimState) -> list[str]:
    published = {key.selector: key.public_key for _, key in expected.block.dkim_keys()}
    fix, source = f"re-run `{expected.domain.deployer}`", expected.source
    problems = []
    if state.signing[0] not in published:  # a different key under that selector: cross.dkim_key
        problems.append(
            f"Postmark signs with {state.signing[0]}, a key {source} does not publish (mail fails DKIM); {fix}"
        )
    if state.pending is not None and published.get(state.pending[0]) != state.pending[1]:
        problems.append(
            f"Postmark's pending key {state.pending[0]} is not published, so Postmark cannot verify it; {fix}"
        )
    if state.revoked is not None and published.get(state.revoked[0]) != state.revoked[1]:
        problems.append(
            f"the revoked key {state.revoked[0]} left DNS before Postmark said it is safe to remove "
            f"(mail in flight fails DKIM); put it back with {fix}"
        )
    wanted = {state.signing[0], *(k[0] for k in (state.pending, state.revoked) if k is not None)}
    for selector in [selector for selector in published if selector not in wanted]:
        if selector == state.revoked_safe:
            problems.append(
                f"the revoked key {selector} is still published although Postmark says it is safe to remove "
                f"(SafeToRemoveRevokedKeyFromDNS); {fix} to remove it"
            )
        else:
            problems.append(
                f"the key {selector} in {source} is none Postmark has (signing, pending or revoked)"
            )
    return problems

"""Reading observations, for every seam: Postmark's record of the domain, TXT values, names.

Not a seam: the small readings each seam's checks share, so no seam imports another.
"""

from __future__ import annotations

from platform_lib.dns_text import dkim_public_key_of, join_txt_strings
from platform_lib.naming import normal_name
from tools.checks.catalogue import ExpectedDomain, Observations, Probe
from tools.checks.findings import Finding, Seam, error
from tools.checks.probes import PostmarkLookup
from tools.dns.probe import DnsAnswer
from tools.postmark.client import PostmarkDomain


def postmark_domain(obs: Observations) -> PostmarkDomain | None:
    """The domain Postmark holds for the subject (None when unreachable or absent: the
    `postmark.domain` check says which)."""
    lookup: PostmarkLookup | None = obs[Probe.POSTMARK].value
    return None if lookup is None else lookup.domain


def postmark_key_for(domain: PostmarkDomain, host: str) -> tuple[str, str] | None:
    """(field, public key) of Postmark's key published at `host` (active, pending or revoked)."""
    for field, candidate, value in (
        ("DKIMTextValue", domain.dkim_host, domain.dkim_text_value),
        ("DKIMPendingTextValue", domain.dkim_pending_host, domain.dkim_pending_text_value),
        ("DKIMRevokedTextValue", domain.dkim_revoked_host, domain.dkim_revoked_text_value),
    ):
        if candidate and normal_name(candidate) == normal_name(host):
            key = dkim_public_key_of(value)
            return (field, key) if key else None
    return None


def joined(answer: DnsAnswer) -> list[str]:
    """Each TXT record's character-strings joined into its value."""
    return [join_txt_strings(list(record)) for record in answer.values]


def served_keys(answer: DnsAnswer | None) -> list[str | None]:
    """The `p=` key of every TXT record in `answer`."""
    return [] if answer is None else [dkim_public_key_of(value) for value in joined(answer)]


def dns_answer(
    expected: ExpectedDomain, obs: Observations, probe: Probe, seam: Seam, check: str
) -> DnsAnswer | Finding:
    """The probe's answer, or the `error` finding saying the DNS probe failed."""
    outcome = obs[probe]
    if outcome.value is None:
        return error(expected.zone_name, seam, check, f"DNS probe failed: {outcome.failure}")
    answer: DnsAnswer = outcome.value
    return answer

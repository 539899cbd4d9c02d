"""What Postmark says about a domain's DKIM keys, as the stack must publish them.

Postmark rotates a key in three states (`POST /domains/{id}/rotatedkim`): after a rotation
request the old key keeps signing while the new one is *pending*; once Postmark sees the
new TXT record it signs with the new key and the old one is *revoked*; mail signed with the
old key may still be in flight until Postmark sets `SafeToRemoveRevokedKeyFromDNS`. So DNS
must hold: the signing key always; the pending key while pending; the revoked key until it
is safe to remove (ADR-0022). A new domain has no signing key yet: its first key is pending,
and it is published as the signing key (nothing else can sign).
"""

from __future__ import annotations

from dataclasses import dataclass

from platform_lib.dns_text import dkim_public_key_of
from platform_lib.errors import PlatformError
from platform_lib.sending_domain import SendingDomain
from tools.cli.contract import OperatorError
from tools.postmark.client import PostmarkDomain, same_domain_name

Key = tuple[str, str]  # (selector, public key)


class DkimStateError(OperatorError):
    """Postmark's DKIM fields cannot be published as they are; the message says why."""


@dataclass(frozen=True)
class DkimState:
    signing: Key
    pending: Key | None
    revoked: Key | None  # only while not yet safe to remove
    revoked_safe: str | None  # selector of a revoked key Postmark says may leave DNS
    first_key: bool  # a new domain whose only key is still pending

    @property
    def rotation_in_progress(self) -> bool:
        return self.pending is not None or self.revoked is not None

    def describe(self) -> str:
        if self.first_key:
            return f"no rotation (first key {self.signing[0]}, not yet verified)"
        if self.pending is not None:
            return (
                f"rotation pending: Postmark signs with {self.signing[0]}; new key {self.pending[0]} waits "
                "for its TXT record to verify"
            )
        if self.revoked is not None:
            return (
                f"rotation verified: Postmark signs with {self.signing[0]}; old key {self.revoked[0]} is revoked "
                "and stays in DNS until Postmark says it is safe to remove"
            )
        if self.revoked_safe is not None:
            return f"rotation done: Postmark signs with {self.signing[0]}; old key {self.revoked_safe} may leave DNS"
        return f"no rotation (Postmark signs with {self.signing[0]})"


def _key(domain: PostmarkDomain, field: str, host: str, value: str, sending: SendingDomain) -> Key:
    selector = host.split(".", 1)[0]
    try:
        expected = sending.placement(selector).dkim_host_name
    except PlatformError:
        expected = None
    if expected is None or not same_domain_name(host, expected):
        raise DkimStateError(
            f"Postmark's {field} {host!r} for {domain.name} is not where the placement puts it "
            f"({expected or f'no DKIM host: {selector!r} is not a usable selector'}); check the domain in Postmark"
        )
    key = dkim_public_key_of(value)
    if not key:
        raise DkimStateError(f"Postmark's DKIM value for {host!r} has no p= key")
    return selector, key


def dkim_state(domain: PostmarkDomain, sending: SendingDomain) -> DkimState:
    """Postmark's keys of `domain`, each checked to sit where `sending` places its selector."""

    def key(field: str, host: str, value: str) -> Key | None:
        return _key(domain, field, host, value, sending) if host and value else None

    active = key("DKIMHost", domain.dkim_host, domain.dkim_text_value)
    pending = key("DKIMPendingHost", domain.dkim_pending_host, domain.dkim_pending_text_value)
    revoked = key("DKIMRevokedHost", domain.dkim_revoked_host, domain.dkim_revoked_text_value)
    if active is None:
        if pending is None:
            raise DkimStateError(
                f"Postmark domain {domain.name} has no DKIM key yet; wait a minute and re-run"
            )
        return DkimState(signing=pending, pending=None, revoked=None, revoked_safe=None, first_key=True)
    unsafe = revoked if revoked is not None and not domain.safe_to_remove_revoked_key else None
    if pending is not None and unsafe is not None:
        raise DkimStateError(
            f"Postmark holds a pending key ({pending[0]}) and a revoked key not yet safe to remove "
            f"({unsafe[0]}) for {domain.name}: two rotations at once; wait until the revoked key is safe "
            "to remove, then re-run"
        )
    return DkimState(
        signing=active,
        pending=pending,
        revoked=unsafe,
        revoked_safe=revoked[0] if revoked is not None and unsafe is None else None,
        first_key=False,
    )

"""Ask Postmark to verify a sending domain's DKIM and Return-Path, polling with a bounded
backoff; shared by `tools.verify_partition_mail` and the corporate CLI.

DKIM counts as verified when Postmark says so and no key is pending any more (a rotation's
new key included): during a rotation the domain stays "DKIMVerified" with the old key while
the new one still waits for DNS.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from platform_lib.sending_domain import SendingDomain
from tools.postmark.client import PostmarkClient, PostmarkDomain, PostmarkError

DEFAULT_DEADLINE_SECONDS = 300.0  # how long a verification polls by default (DNS propagation)
FIRST_WAIT_SECONDS = 2.0
MAX_WAIT_SECONDS = 30.0


@dataclass
class CheckStatus:
    name: str
    verified: bool = False
    attempts: int = 0


@dataclass(frozen=True)
class Verification:
    domain_name: str
    domain_id: int
    dkim: CheckStatus
    return_path: CheckStatus
    elapsed_seconds: float

    @property
    def verified(self) -> bool:
        return self.dkim.verified and self.return_path.verified


def verify_domain(
    client: PostmarkClient,
    target: SendingDomain,
    *,
    deadline_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    progress: Callable[[str], None] | None = None,
) -> Verification:
    """Poll until both checks pass or the deadline; each pass asks only for what is pending.
    Between passes `progress` hears what is still unverified and how long is left."""
    name = target.postmark_domain_name
    domain_id = client.find_domain_id(name)
    if domain_id is None:
        raise PostmarkError(f"Postmark has no domain {name}; run `{target.writer}` and deploy first")
    started = clock()
    dkim, return_path = CheckStatus("DKIM"), CheckStatus("Return-Path")
    wait = FIRST_WAIT_SECONDS
    while True:
        for status, call in ((dkim, client.verify_dkim), (return_path, client.verify_return_path)):
            if not status.verified:
                status.attempts += 1
                answer: PostmarkDomain = call(domain_id)
                # DKIM counts as verified once no key is pending: during a rotation the domain
                # stays "DKIMVerified" with the old key while the new one still waits for DNS.
                status.verified = (
                    answer.dkim_verified and not answer.has_pending_dkim
                    if status is dkim
                    else answer.return_path_verified
                )
        elapsed = clock() - started
        remaining = deadline_seconds - elapsed
        if (dkim.verified and return_path.verified) or remaining <= 0:
            break
        if progress is not None:
            pending = " and ".join(s.name for s in (dkim, return_path) if not s.verified)
            progress(
                f"waiting for Postmark to verify {name}: {pending} not verified yet "
                f"({elapsed:.0f} s elapsed, {remaining:.0f} s left; asking again in {min(wait, remaining):.0f} s)"
            )
        sleep(min(wait, remaining))
        wait = min(wait * 2, MAX_WAIT_SECONDS)
    return Verification(name, domain_id, dkim, return_path, clock() - started)


def render(verification: Verification, account: str) -> str:
    rows = [
        f"Postmark verification of {verification.domain_name} "
        f"({account}, domain id {verification.domain_id}) "
        f"after {verification.elapsed_seconds:.0f} s:",
        f"  {'check':<12} {'status':<13} attempts",
    ]
    for status in (verification.dkim, verification.return_path):
        rows.append(
            f"  {status.name:<12} {'verified' if status.verified else 'NOT VERIFIED':<13} {status.attempts}"
        )
    return "\n".join(rows)

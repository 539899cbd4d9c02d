"""Live Postmark observations: one domain listing per account, then the domain's details.

The probe talks to Postmark through `PostmarkDomainsApi` (list every domain, get one by
id, both as typed records checked at the client's boundary), which the project's
`PostmarkClient` implements; tests and benchmarks substitute an in-process double, so the
comparison code never depends on the transport.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from platform_lib.registry import PostmarkAccount
from tools.drift.expected import ExpectedDomain
from tools.postmark.client import DomainSummary, PostmarkDomain

T = TypeVar("T")


class PostmarkProbeError(Exception):
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


class _Once(Generic[T]):
    """Compute a value once, however many threads ask; a failure is remembered too."""

    def __init__(self, compute: Callable[[], T]) -> None:
        self._compute = compute
        self._lock = threading.Lock()
        self._done = False
        self._value: T | None = None
        self._error: BaseException | None = None

    def get(self) -> T:
        with self._lock:
            if not self._done:
                try:
                    self._value = self._compute()
                except BaseException as exc:
                    self._error = exc
                self._done = True
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def _normal(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _related(candidate: str, zone: str) -> bool:
    c, z = _normal(candidate), _normal(zone)
    return c.endswith("." + z) or z.endswith("." + c)


class PostmarkDirectory:
    """Looks expected domains up, sharing one listing per account across all probes."""

    def __init__(self, apis: Mapping[PostmarkAccount, PostmarkDomainsApi]) -> None:
        self._apis = dict(apis)
        self._listings = {account: _Once(api.list_domains) for account, api in self._apis.items()}
        self._lookups: dict[str, _Once[PostmarkLookup]] = {}
        self._lock = threading.Lock()

    def lookup(self, expected: ExpectedDomain) -> PostmarkLookup:
        """The account's record for `expected` (memoized: the DKIM DNS probe may ask too)."""
        with self._lock:
            once = self._lookups.get(expected.label)
            if once is None:
                once = self._lookups[expected.label] = _Once(lambda: self._lookup(expected))
        return once.get()

    def _lookup(self, expected: ExpectedDomain) -> PostmarkLookup:
        api = self._apis.get(expected.account)
        if api is None:
            raise PostmarkProbeError(f"no token configured for {expected.account.value}")
        try:
            listing = self._listings[expected.account].get()
        except PostmarkProbeError:
            raise
        except Exception as exc:
            raise PostmarkProbeError(f"Postmark unreachable ({expected.account.value}): {exc}") from exc
        names = tuple(item.name for item in listing)
        exact = [item for item in listing if _normal(item.name) == _normal(expected.zone_name)]
        if len(exact) > 1:
            ids = ", ".join(str(item.id) for item in exact)
            raise PostmarkProbeError(
                f"{len(exact)} domains on {expected.account.value} are named {expected.zone_name} (IDs {ids}); "
                "remove the extra one in Postmark"
            )
        related = [item for item in listing if _related(item.name, expected.zone_name)]
        if not exact and not related:
            return PostmarkLookup(expected.account, None, False, names)
        chosen = (exact or related)[0]
        try:
            details = api.get_domain(chosen.id)
        except Exception as exc:
            raise PostmarkProbeError(f"Postmark unreachable ({expected.account.value}): {exc}") from exc
        return PostmarkLookup(expected.account, details, bool(exact), names)

"""DNS label rules, the reserved slugs at the mail root, and tenant-slug validation."""

from __future__ import annotations

import re

from platform_lib.errors import InvalidTenantSlug, PlatformError
from platform_lib.naming import CORPORATE_SLUG
from platform_lib.registry import all_partitions

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_SELECTOR = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")

# The Return-Path host `pm-bounces.{partition}.ardamails.com` sits where a tenant leaf would.
_RESERVED_HOST_LABELS = ("pm-bounces",)


def reserved_slugs() -> frozenset[str]:
    """Names no tenant may take: `arda`, every partition (suspended ones too), fixed hosts."""
    return frozenset({CORPORATE_SLUG, *(p.name for p in all_partitions()), *_RESERVED_HOST_LABELS})


def validate_tenant_slug(slug: str) -> str:
    """Return `slug` if it is a valid, unreserved DNS label; raise InvalidTenantSlug otherwise."""
    rule = "a tenant slug is 1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'"
    if not isinstance(slug, str) or not _LABEL.fullmatch(slug):
        raise InvalidTenantSlug(f"invalid tenant slug {slug!r}: {rule}")
    if slug[2:4] == "--":
        raise InvalidTenantSlug(
            f"invalid tenant slug {slug!r}: '--' in positions 3-4 is reserved for IDNA; {rule}"
        )
    reserved = reserved_slugs()
    if slug in reserved:
        raise InvalidTenantSlug(f"tenant slug {slug!r} is reserved; reserved: {', '.join(sorted(reserved))}")
    return slug


def validate_dkim_selector(selector: str) -> str:
    """A DKIM selector is one DNS label (Postmark issues ones like `20260526234343pm`)."""
    if not isinstance(selector, str) or not _SELECTOR.fullmatch(selector):
        raise PlatformError(f"invalid DKIM selector {selector!r}: one DNS label of letters, digits and '-'")
    return selector.lower()

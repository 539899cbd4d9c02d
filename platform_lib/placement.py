"""Sending-domain placement: the four FQDNs every consumer derives identically.

The CDK stack, the pre-deploy CLI and the drift check all call these functions; the
Phase 3 lesson (DQ-R1-009) was that composing them inline lets the seams drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from platform_lib.naming import (
    DKIM_LABEL,
    RETURN_PATH_LABEL,
    corporate_zone_name,
    fqdn,
    partition_zone_name,
)
from platform_lib.registry import get_partition
from platform_lib.slugs import validate_dkim_selector, validate_tenant_slug


@dataclass(frozen=True)
class SendingDomainPlacement:
    from_domain: str
    postmark_domain_name: str
    dkim_host_name: str
    return_path_host_name: str


def anchored_placement(
    anchor_domain: str, dkim_selector: str, leaf_label: str | None
) -> SendingDomainPlacement:
    selector = validate_dkim_selector(dkim_selector)
    return SendingDomainPlacement(
        from_domain=fqdn(leaf_label, anchor_domain) if leaf_label else anchor_domain,
        postmark_domain_name=anchor_domain,
        dkim_host_name=fqdn(selector, DKIM_LABEL, anchor_domain),
        return_path_host_name=fqdn(RETURN_PATH_LABEL, anchor_domain),
    )


def sending_domain_placement(
    partition: str, dkim_selector: str, *, tenant: str | None = None
) -> SendingDomainPlacement:
    """Placement for a partition, or for a tenant leaf under it.

    For a partition everything anchors at `{partition}.ardamails.com`. For a tenant leaf
    only `from_domain` moves to `{tenant}.{partition}.ardamails.com`: leaves inherit the
    partition's DKIM key and Return-Path (DQ-R1-017).
    """
    part = get_partition(partition, require_active=False)
    leaf = validate_tenant_slug(tenant) if tenant is not None else None
    return anchored_placement(partition_zone_name(part), dkim_selector, leaf)


def corporate_sending_domain_placement(
    dkim_selector: str, *, leaf: str | None = None
) -> SendingDomainPlacement:
    """Placement for the corporate domain: DKIM anchored at `arda.ardamails.com` (DQ-R1-009)."""
    return anchored_placement(corporate_zone_name(), dkim_selector, leaf)

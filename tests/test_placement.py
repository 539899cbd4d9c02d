from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from platform_lib.errors import InvalidTenantSlug, PlatformError
from platform_lib.placement import corporate_sending_domain_placement, sending_domain_placement
from platform_lib.registry import all_partitions
from platform_lib.slugs import reserved_slugs, validate_tenant_slug

LABEL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-"
labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", fullmatch=True)
selectors = st.from_regex(r"[0-9]{14}pm", fullmatch=True)
partitions = st.sampled_from([p.name for p in all_partitions()])


def test_partition_placement_anchors_everything_at_the_partition() -> None:
    placement = sending_domain_placement("dev", "20260526234343pm")
    assert placement.from_domain == "dev.ardamails.com"
    assert placement.postmark_domain_name == "dev.ardamails.com"
    assert placement.dkim_host_name == "20260526234343pm._domainkey.dev.ardamails.com"
    assert placement.return_path_host_name == "pm-bounces.dev.ardamails.com"


def test_tenant_leaf_inherits_dkim_and_return_path() -> None:
    leaf = sending_domain_placement("prod", "20260527061409pm", tenant="acme")
    assert leaf.from_domain == "acme.prod.ardamails.com"
    assert leaf.postmark_domain_name == "prod.ardamails.com"
    assert leaf.dkim_host_name == "20260527061409pm._domainkey.prod.ardamails.com"
    assert leaf.return_path_host_name == "pm-bounces.prod.ardamails.com"


def test_corporate_placement_anchors_dkim_at_the_parent() -> None:
    corp = corporate_sending_domain_placement("20250101000000pm", leaf="kanban")
    assert corp.from_domain == "kanban.arda.ardamails.com"
    assert corp.dkim_host_name == "20250101000000pm._domainkey.arda.ardamails.com"


@given(partition=partitions, selector=selectors, tenant=labels)
def test_placement_properties(partition: str, selector: str, tenant: str) -> None:
    zone = f"{partition}.ardamails.com"
    try:
        leaf = sending_domain_placement(partition, selector, tenant=tenant)
    except InvalidTenantSlug:
        assert tenant in reserved_slugs() or tenant[2:4] == "--"
        return
    base = sending_domain_placement(partition, selector)
    # Leaves move only the From domain; everything Postmark and DNS see stays put.
    assert (leaf.postmark_domain_name, leaf.dkim_host_name, leaf.return_path_host_name) == (
        base.postmark_domain_name,
        base.dkim_host_name,
        base.return_path_host_name,
    )
    assert leaf.from_domain == f"{tenant}.{zone}"
    assert base.dkim_host_name.split(".")[:2] == [selector, "_domainkey"]
    for name in (leaf.from_domain, base.dkim_host_name, base.return_path_host_name):
        assert name.endswith("." + zone) and len(name) <= 253
        assert all(1 <= len(label) <= 63 for label in name.split("."))


@given(slug=st.text(alphabet=LABEL_CHARS + "_.A ", min_size=0, max_size=70))
def test_slug_validator_accepts_exactly_valid_unreserved_labels(slug: str) -> None:
    valid_label = (
        1 <= len(slug) <= 63
        and all(c in LABEL_CHARS for c in slug)
        and not slug.startswith("-")
        and not slug.endswith("-")
        and slug[2:4] != "--"
    )
    expected_ok = valid_label and slug not in reserved_slugs()
    try:
        assert validate_tenant_slug(slug) == slug
        ok = True
    except InvalidTenantSlug as exc:
        ok = False
        assert "tenant slug" in str(exc)
    assert ok == expected_ok


@pytest.mark.parametrize("slug", ["arda", "dev", "stage", "demo", "prod", "kyle", "pm-bounces"])
def test_reserved_slugs_are_refused_with_the_list(slug: str) -> None:
    with pytest.raises(InvalidTenantSlug, match="reserved: arda, demo, dev, kyle, pm-bounces, prod, stage"):
        validate_tenant_slug(slug)


@pytest.mark.parametrize("selector", ["", "has space", "a.b", "-x", "x" * 64])
def test_bad_selector_is_refused(selector: str) -> None:
    with pytest.raises(PlatformError, match="invalid DKIM selector"):
        sending_domain_placement("dev", selector)

"""Drift during a DKIM key rotation (ADR-0022): a published pending key or a revoked key not
yet safe to remove is fine; a missing signing key, an unpublished pending key, a revoked key
removed too early or kept after it is safe to remove is drift with a precise message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from platform_lib.dns_text import dkim_txt_value, split_txt_value
from platform_lib.placement import sending_domain_placement
from platform_lib.registry import PostmarkAccount, get_partition
from platform_lib.sending_domain import partition_sending_domain
from tests.support.dns_server import LoopbackDnsServer
from tests.support.postmark_simulator import new_dkim_public_key
from tests.synth import Synthesized
from tests.test_drift_core import CONTEXT_FILE, FakeDomainsApi, failures, load_zones, postmark_record, run
from tools.drift.expected import expected_domain

DEV = get_partition("dev")
ZONE = "dev.ardamails.com"
NEW_SELECTOR = "20270101000000pm"
NEW_KEY = new_dkim_public_key(1024)
COMMITTED = json.loads(CONTEXT_FILE.read_text())
OLD = COMMITTED["partitionMail:Alpha002:dev"]


def host(selector: str) -> str:
    return sending_domain_placement("dev", selector).dkim_host_name


@pytest.fixture
def dns(synthesized: Synthesized) -> Iterator[LoopbackDnsServer]:
    with LoopbackDnsServer() as server:
        load_zones(server, synthesized)
        yield server


def publish(dns: LoopbackDnsServer, selector: str, key: str) -> None:
    dns.records.put(host(selector), "TXT", [split_txt_value(dkim_txt_value(key))])


def postmark(**dkim: str | bool) -> dict[PostmarkAccount, FakeDomainsApi]:
    api = FakeDomainsApi()
    record: dict[str, Any] = postmark_record(
        ZONE, host(OLD["dkimSelector"]), OLD["dkimPublicKey"], f"pm-bounces.{ZONE}"
    )
    record.update(dkim)
    api.add(**record)
    return {PostmarkAccount.NON_PROD: api}


def expected(block: dict[str, Any]) -> list[Any]:
    return [expected_domain(partition_sending_domain(DEV), {"partitionMail:Alpha002:dev": block})]


PENDING_IN_POSTMARK = {"DKIMPendingHost": host(NEW_SELECTOR), "DKIMPendingTextValue": dkim_txt_value(NEW_KEY)}
ROTATED_IN_POSTMARK = {
    "DKIMHost": host(NEW_SELECTOR),
    "DKIMTextValue": dkim_txt_value(NEW_KEY),
    "DKIMRevokedHost": host(OLD["dkimSelector"]),
    "DKIMRevokedTextValue": dkim_txt_value(OLD["dkimPublicKey"]),
}
PENDING_BLOCK = {**OLD, "dkimPending": {"selector": NEW_SELECTOR, "publicKey": NEW_KEY, "record": "DkimNext"}}
REVOKED_BLOCK = {
    "dkimSelector": NEW_SELECTOR,
    "dkimPublicKey": NEW_KEY,
    "dkimRecord": "DkimNext",
    "returnPathTarget": OLD["returnPathTarget"],
    "dkimRevoked": {"selector": OLD["dkimSelector"], "publicKey": OLD["dkimPublicKey"], "record": "Dkim"},
}


def test_a_published_pending_key_is_fine(dns: LoopbackDnsServer) -> None:
    publish(dns, NEW_SELECTOR, NEW_KEY)
    report = run(expected(PENDING_BLOCK), postmark(**PENDING_IN_POSTMARK), dns)
    assert report.clean, failures(report)
    (finding,) = [f for f in report.findings if f.check == "cross.dkim_rotation"]
    assert finding.message.startswith(f"rotation pending: Postmark signs with {OLD['dkimSelector']}")


def test_a_not_yet_safe_revoked_key_is_fine_also_with_the_block_still_saying_pending(
    dns: LoopbackDnsServer,
) -> None:
    publish(dns, NEW_SELECTOR, NEW_KEY)
    for block in (REVOKED_BLOCK, PENDING_BLOCK):  # the block catches up on the next run
        report = run(expected(block), postmark(**ROTATED_IN_POSTMARK), dns)
        assert report.clean, failures(report)


def test_a_pending_key_left_unpublished_is_drift(dns: LoopbackDnsServer) -> None:
    found = failures(run(expected(OLD), postmark(**PENDING_IN_POSTMARK), dns))
    assert set(found) == {(ZONE, "cross.dkim_rotation")}
    assert found[(ZONE, "cross.dkim_rotation")] == (
        f"Postmark's pending key {NEW_SELECTOR} is not published, so Postmark cannot verify it; "
        "re-run `./amm.sh Alpha002 dev`"
    )


def test_a_pending_key_in_the_block_but_not_in_dns_is_drift(dns: LoopbackDnsServer) -> None:
    found = failures(run(expected(PENDING_BLOCK), postmark(**PENDING_IN_POSTMARK), dns))
    assert found == {
        (
            ZONE,
            "dns.dkim_rotation",
        ): f"the pending key {NEW_SELECTOR} is not published at {host(NEW_SELECTOR)}"
    }


def test_a_revoked_key_removed_before_it_is_safe_is_drift(dns: LoopbackDnsServer) -> None:
    publish(dns, NEW_SELECTOR, NEW_KEY)
    block = {k: v for k, v in REVOKED_BLOCK.items() if k != "dkimRevoked"}
    found = failures(run(expected(block), postmark(**ROTATED_IN_POSTMARK), dns))
    assert "the revoked key" in found[(ZONE, "cross.dkim_rotation")]
    assert "left DNS before Postmark said it is safe to remove" in found[(ZONE, "cross.dkim_rotation")]


def test_a_revoked_key_kept_after_it_is_safe_is_drift(dns: LoopbackDnsServer) -> None:
    publish(dns, NEW_SELECTOR, NEW_KEY)
    found = failures(
        run(expected(REVOKED_BLOCK), postmark(**ROTATED_IN_POSTMARK, SafeToRemoveRevokedKeyFromDNS=True), dns)
    )
    assert found == {
        (ZONE, "cross.dkim_rotation"): (
            f"the revoked key {OLD['dkimSelector']} is still published although Postmark says it is safe to "
            "remove (SafeToRemoveRevokedKeyFromDNS); re-run `./amm.sh Alpha002 dev` to remove it"
        )
    }


def test_a_missing_signing_key_is_drift(dns: LoopbackDnsServer) -> None:
    publish(dns, NEW_SELECTOR, NEW_KEY)
    dns.records.delete(host(NEW_SELECTOR), "TXT")
    found = failures(run(expected(REVOKED_BLOCK), postmark(**ROTATED_IN_POSTMARK), dns))
    assert found[(ZONE, "dns.dkim")].startswith(f"missing DKIM record: no TXT at {host(NEW_SELECTOR)}")


def test_a_block_that_no_longer_publishes_the_signing_key_is_drift(dns: LoopbackDnsServer) -> None:
    """Postmark signs with the new key, the old one revoked; a block reverted to the old key
    alone (and DNS serving just that) must not pass because the old key is still Postmark's
    revoked one."""
    found = failures(run(expected(OLD), postmark(**ROTATED_IN_POSTMARK), dns))
    assert found[(ZONE, "cross.dkim_rotation")] == (
        f"Postmark signs with {NEW_SELECTOR}, a key cdk.context.json 'partitionMail:Alpha002:dev' does not "
        "publish (mail fails DKIM); re-run `./amm.sh Alpha002 dev`"
    )

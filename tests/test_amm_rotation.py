"""A DKIM key rotation end to end (ADR-0022): `amm.sh` against moto, the Postmark simulator
and a DNS server that serves what moto's Route 53 holds the moment a deploy writes it. The
simulator verifies a key only once that DNS serves it, so nothing passes by accident. After
every step the key Postmark signs with is in Route 53 with Postmark's value."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from platform_lib.dns_text import dkim_public_key_of, quoted_txt_strings
from tests.support.amm_workspace import (
    ALPHA002,
    NONPROD_TOKEN,
    PROD_TOKEN,
    ROOT_ACCOUNT,
    deploy_root_directly,
    golden_root_template,
    new_workspace,
    records,
    route53_view,
)
from tests.support.dns_server import LoopbackDnsServer
from tests.support.moto_server import MotoServer
from tests.support.postmark_openapi import exchange_problems
from tests.support.postmark_simulator import PostmarkSimulator, SimulatedDomain
from tests.test_drift_core import authorize_dmarc_reports

pytestmark = pytest.mark.cdk_cli  # ./amm.sh or ./corporate-cli with the real CDK CLI

ZONE = "dev.ardamails.com"


def _dkim_records(cloud: MotoServer) -> dict[str, str]:
    """selector -> the TXT value (strings joined) of every DKIM record in dev's zone."""
    found = {}
    for (name, rtype), values in records(cloud, ALPHA002, ZONE).items():
        if rtype == "TXT" and "._domainkey." in name:
            (value,) = values
            found[name.split(".", 1)[0]] = "".join(part for part in value.split('"') if part.strip())
    return found


def _signing_published(cloud: MotoServer, domain: SimulatedDomain) -> None:
    selector = domain.dkim_host.split(".", 1)[0]
    published = _dkim_records(cloud)
    assert selector in published, f"the signing key {selector} is missing from Route 53: {sorted(published)}"
    assert published[selector] == domain.dkim_text_value, "Route 53 serves Postmark's value"
    assert quoted_txt_strings(domain.dkim_text_value)


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert (
        NONPROD_TOKEN not in result.stdout + result.stderr and PROD_TOKEN not in result.stdout + result.stderr
    )
    return result.stdout


@pytest.mark.e2e
@pytest.mark.xdist_group("amm-rotation")
def test_a_key_rotation_never_leaves_the_signing_key_unpublished(tmp_path: Path) -> None:
    with MotoServer(account=None) as cloud, LoopbackDnsServer() as dns:
        dns.live = route53_view(cloud, (ROOT_ACCOUNT, ALPHA002))
        authorize_dmarc_reports(dns, [ZONE])
        simulator = PostmarkSimulator(
            {NONPROD_TOKEN: "PostmarkNonProd", PROD_TOKEN: "PostmarkProd"},
            dkim_verify_attempts=1,
            dns_resolver=dns.address,
            key_bits=1024,
        )
        with simulator:
            deploy_root_directly(cloud, golden_root_template())
            workspace = new_workspace(tmp_path, cloud, postmark_url=simulator.url)
            workspace.extra_args = ["--resolver", dns.address]
            workspace.bootstrap("Alpha002-Admin")

            # First deploy: the domain's first key verifies once Route 53 serves it.
            _ok(workspace.run("--yes", "Alpha002", "dev"))  # its first deploy creates IAM roles: approved
            domain = simulator.domain_named(NONPROD_TOKEN, ZONE)
            assert domain is not None and domain.dkim_verified
            first = domain.dkim_host.split(".", 1)[0]
            _signing_published(cloud, domain)

            # The rotation: requested, both keys published, the new one verified through DNS.
            out = _ok(workspace.run("--rotate-dkim", "Alpha002", "dev"))
            assert f"DKIM rotation state at start: no rotation (Postmark signs with {first})" in out
            second = domain.dkim_host.split(".", 1)[0]
            assert second != first and domain.dkim_revoked_host.startswith(first)
            assert (
                f"DKIM rotation state at end: rotation verified: Postmark signs with {second}; old key {first}"
                in out
            )
            assert out.index("start: pre-deploy Alpha002 dev --rotate-dkim") < out.index("start: cdk deploy")
            assert out.index("start: cdk deploy") < out.index("start: verify Postmark dev")
            assert out.count("start: cdk deploy") == 1, "recording the verified state changes no record"
            _signing_published(cloud, domain)
            assert set(_dkim_records(cloud)) == {first, second}, (
                "the revoked key stays while mail may be in flight"
            )
            block = workspace.block("partitionMail:Alpha002:dev")
            assert (block["dkimSelector"], block["dkimRecord"]) == (second, "DkimNext")
            assert block["dkimRevoked"]["selector"] == first and block["dkimRevoked"]["record"] == "Dkim"
            assert dkim_public_key_of(domain.dkim_text_value) == block["dkimPublicKey"]

            refused = workspace.run("--rotate-dkim", "Alpha002", "dev")
            assert refused.returncode == 1
            assert "cannot start a DKIM rotation for dev.ardamails.com: rotation verified" in refused.stderr

            # A later plain run keeps the revoked key until Postmark says it is safe to remove...
            out = _ok(workspace.run("Alpha002", "dev"))
            assert set(_dkim_records(cloud)) == {first, second}
            _signing_published(cloud, domain)

            # ... and removes it once Postmark does.
            simulator.make_revoked_key_safe(NONPROD_TOKEN, ZONE)
            out = _ok(workspace.run("Alpha002", "dev"))
            assert (
                f"DKIM rotation state at start: rotation done: Postmark signs with {second}; old key {first}"
                in out
            )
            assert set(_dkim_records(cloud)) == {second}
            _signing_published(cloud, domain)
            assert "dkimRevoked" not in workspace.block("partitionMail:Alpha002:dev")

        assert simulator.server_calls == []
        assert [p for e in simulator.exchanges for p in exchange_problems(e)] == []
        assert any(e.path.endswith("/rotatedkim") for e in simulator.exchanges)

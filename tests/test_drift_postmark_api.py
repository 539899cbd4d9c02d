"""Drift through the project's Postmark client against the HTTP Postmark simulator.

The simulator holds the partitions' domains as a deploy leaves them (the committed
context's selector and key, verified); DNS is the loopback server with the synthesized zones.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from platform_lib.context_store import PROJECT_CONTEXT_FILE as DEFAULT_CONTEXT_FILE
from platform_lib.registry import PostmarkAccount
from tests.conftest import NONPROD_TOKEN, PROD_TOKEN
from tests.support.dns_server import LoopbackDnsServer
from tests.support.postmark_simulator import PostmarkSimulator
from tests.synth import Synthesized
from tests.test_drift_core import load_zones
from tools.drift.driver import main
from tools.drift.expected import partition_expected_domains
from tools.runtime_platform_drift import SPEC

TOKENS = {PostmarkAccount.NON_PROD: NONPROD_TOKEN, PostmarkAccount.PROD: PROD_TOKEN}


@pytest.fixture
def dns(synthesized: Synthesized) -> Iterator[LoopbackDnsServer]:
    with LoopbackDnsServer() as server:
        load_zones(server, synthesized)
        yield server


@pytest.fixture
def deployed(postmark: PostmarkSimulator, monkeypatch: pytest.MonkeyPatch) -> PostmarkSimulator:
    for expected in partition_expected_domains(DEFAULT_CONTEXT_FILE):
        placement = expected.signing
        postmark.add_domain(
            TOKENS[expected.domain.postmark_account],
            placement.postmark_domain_name,
            placement.return_path_host_name,
            verified=True,
            public_key=expected.block.dkim_public_key,
            selector=expected.block.dkim_selector,
        )
    monkeypatch.setenv("POSTMARK_API_URL", postmark.url)
    monkeypatch.setenv(PostmarkAccount.NON_PROD.token_env_var, NONPROD_TOKEN)
    monkeypatch.setenv(PostmarkAccount.PROD.token_env_var, PROD_TOKEN)
    return postmark


def test_clean_run_exits_0(
    deployed: PostmarkSimulator, dns: LoopbackDnsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(SPEC, dns.drift_args()) == 0
    assert "runtime-platform-drift: clean - 4 domain(s)" in capsys.readouterr().out
    listings = deployed.requests("GET", "/domains")
    assert sum(1 for e in listings if e.path == "/domains") == 2, "one listing per account"


def test_unverified_domain_is_drift(
    deployed: PostmarkSimulator, dns: LoopbackDnsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    stage = deployed.domain_named(NONPROD_TOKEN, "stage.ardamails.com")
    assert stage is not None
    stage.dkim_verified = False
    assert main(SPEC, dns.drift_args()) == 1
    out = capsys.readouterr().out
    assert "stage" in out and "verified" in out.lower()


def test_rejected_token_is_reported_not_crashed(
    deployed: PostmarkSimulator,
    dns: LoopbackDnsServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(PostmarkAccount.PROD.token_env_var, "revoked-prod-token")
    assert main(SPEC, dns.drift_args()) == 3, "could not check: nothing is known to differ"
    out = capsys.readouterr().out
    assert "HTTP 401" in out and "ErrorCode 10" in out
    assert "rejected the account token from POSTMARK_PROD_ACCOUNT_TOKEN" in out
    deployed.reset_log()  # the rejected requests lacked a valid token on purpose

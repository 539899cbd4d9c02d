"""The documented-API Postmark adapter (paging, token header, errors) and the clean exit path.

The end-to-end clean run against the HTTP Postmark simulator belongs in
test_drift_drivers.py once that simulator is available; here the transport is `responses`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import responses

from platform_lib.registry import PostmarkAccount
from tests.support.dns_server import LoopbackDnsServer
from tests.synth import Synthesized
from tests.test_drift_core import FakeDomainsApi, load_zones, postmark_record
from tools.lib.drift.cli import main
from tools.lib.drift.expected import DEFAULT_CONTEXT_FILE, partition_expected_domains
from tools.lib.drift.postmark_api import PostmarkApiError, RequestsDomainsApi
from tools.runtime_platform_drift import SPEC

BASE = "http://postmark.test"


@responses.activate
def test_list_domains_follows_pages_and_sends_the_account_token() -> None:
    pages = [
        {"TotalCount": 3, "Domains": [{"ID": 1, "Name": "a.test"}, {"ID": 2, "Name": "b.test"}]},
        {"TotalCount": 3, "Domains": [{"ID": 3, "Name": "c.test"}]},
    ]
    for page in pages:
        responses.get(f"{BASE}/domains", json=page)
    api = RequestsDomainsApi("tok", BASE)
    assert [d["Name"] for d in api.list_domains()] == ["a.test", "b.test", "c.test"]
    assert [c.request.headers["X-Postmark-Account-Token"] for c in responses.calls] == ["tok", "tok"]
    assert "offset=2" in str(responses.calls[1].request.url)


@responses.activate
def test_rejected_token_is_named() -> None:
    responses.get(f"{BASE}/domains/7", status=401, json={"ErrorCode": 10, "Message": "bad token"})
    with pytest.raises(PostmarkApiError, match=r"HTTP 401 \(the account token was rejected\)"):
        RequestsDomainsApi("tok", BASE).get_domain(7)


@pytest.fixture
def dns(synthesized: Synthesized) -> Iterator[LoopbackDnsServer]:
    with LoopbackDnsServer() as server:
        load_zones(server, synthesized)
        yield server


def test_clean_run_exits_0(
    dns: LoopbackDnsServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    apis = {account: FakeDomainsApi() for account in PostmarkAccount}
    for expected in partition_expected_domains(DEFAULT_CONTEXT_FILE):
        assert expected.context is not None
        placement = expected.placement_for(expected.context.dkim_selector)
        apis[expected.account].add(
            **postmark_record(
                placement.postmark_domain_name,
                placement.dkim_host_name,
                expected.context.dkim_public_key,
                placement.return_path_host_name,
            )
        )
    tokens = {"nonprod-token": apis[PostmarkAccount.NON_PROD], "prod-token": apis[PostmarkAccount.PROD]}
    monkeypatch.setenv("POSTMARK_NONPROD_ACCOUNT_TOKEN", "nonprod-token")
    monkeypatch.setenv("POSTMARK_PROD_ACCOUNT_TOKEN", "prod-token")

    def factory(token: str, base_url: str) -> Any:
        return tokens[token]

    assert main(SPEC, ["--resolver", dns.address], api_factory=factory) == 0
    out = capsys.readouterr().out
    assert "runtime-platform-drift: clean - 4 domain(s)" in out

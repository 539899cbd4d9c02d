"""The Postmark simulator is faithful where the project depends on it, and its OpenAPI
checker really catches a request or response that breaks Postmark's description."""

from __future__ import annotations

import base64
import re

import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from platform_lib.dns_text import dkim_public_key_of
from tests.conftest import NONPROD_TOKEN, PROD_TOKEN
from tests.support.postmark_openapi import exchange_problems
from tests.support.postmark_simulator import Fault, PostmarkSimulator


def session(token: str | None) -> requests.Session:
    s = requests.Session()
    if token is not None:
        s.headers["X-Postmark-Account-Token"] = token
    return s


def create(postmark: PostmarkSimulator, token: str, name: str) -> requests.Response:
    return session(token).post(
        postmark.url + "/domains", json={"Name": name, "ReturnPathDomain": f"pm-bounces.{name}"}
    )


def test_token_is_required_and_checked(postmark: PostmarkSimulator) -> None:
    for token in (None, "wrong-token"):
        answer = session(token).get(postmark.url + "/domains", params={"count": 10, "offset": 0})
        assert answer.status_code == 401
        assert answer.json()["ErrorCode"] == 10
    # (a missing header breaks the description on purpose; keep the teardown check for the rest)
    postmark.reset_log()


def test_create_issues_a_timestamp_selector_and_an_rsa_2048_key(postmark: PostmarkSimulator) -> None:
    domain = create(postmark, NONPROD_TOKEN, "dev.ardamails.com").json()
    assert re.fullmatch(r"\d{14}pm\._domainkey\.dev\.ardamails\.com", domain["DKIMPendingHost"])
    key = load_der_public_key(base64.b64decode(dkim_public_key_of(domain["DKIMPendingTextValue"]) or ""))
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
    assert domain["DKIMHost"] == "" and domain["DKIMVerified"] is False
    assert domain["ReturnPathDomainCNAMEValue"] == "pm.mtasv.net"
    second = create(postmark, NONPROD_TOKEN, "stage.ardamails.com").json()
    assert second["DKIMPendingHost"].split(".")[0] != domain["DKIMPendingHost"].split(".")[0]


def test_accounts_are_separate_and_duplicates_get_422(postmark: PostmarkSimulator) -> None:
    assert create(postmark, NONPROD_TOKEN, "dev.ardamails.com").status_code == 200
    duplicate = create(postmark, NONPROD_TOKEN, "DEV.ardamails.com")
    assert duplicate.status_code == 422 and duplicate.json()["ErrorCode"] == 512
    assert create(postmark, PROD_TOKEN, "dev.ardamails.com").status_code == 200
    assert [d.name for d in postmark.domains(PROD_TOKEN)] == ["dev.ardamails.com"]


def test_dkim_verifies_on_the_second_call_and_the_key_moves_to_active(postmark: PostmarkSimulator) -> None:
    domain = create(postmark, NONPROD_TOKEN, "dev.ardamails.com").json()
    verify = postmark.url + f"/domains/{domain['ID']}/verifyDkim"
    first = session(NONPROD_TOKEN).put(verify).json()
    assert first["DKIMVerified"] is False and first["DKIMPendingHost"] == domain["DKIMPendingHost"]
    second = session(NONPROD_TOKEN).put(verify).json()
    assert second["DKIMVerified"] is True
    assert (second["DKIMHost"], second["DKIMTextValue"]) == (
        domain["DKIMPendingHost"],
        domain["DKIMPendingTextValue"],
    )
    assert second["DKIMPendingHost"] == ""
    return_path = session(NONPROD_TOKEN).put(postmark.url + f"/domains/{domain['ID']}/verifyreturnpath")
    assert return_path.json()["ReturnPathDomainVerified"] is True


def test_listing_pages(postmark: PostmarkSimulator) -> None:
    for i in range(7):
        postmark.add_domain(NONPROD_TOKEN, f"t{i}.dev.ardamails.com", public_key="AAAA")
    page = session(NONPROD_TOKEN).get(postmark.url + "/domains", params={"count": 3, "offset": 6}).json()
    assert page["TotalCount"] == 7 and [d["Name"] for d in page["Domains"]] == ["t6.dev.ardamails.com"]


def test_faults_apply_n_times_then_the_api_answers(postmark: PostmarkSimulator) -> None:
    postmark.inject(Fault(status=503, times=2, retry_after=1, method="GET"))
    url = postmark.url + "/domains"
    answers = [session(NONPROD_TOKEN).get(url, params={"count": 1, "offset": 0}) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].headers["Retry-After"] == "1"


def test_server_calls_are_recorded(postmark: PostmarkSimulator) -> None:
    session(NONPROD_TOKEN).post(postmark.url + "/servers", json={"Name": "x"})
    assert [(e.method, e.path) for e in postmark.server_calls] == [("POST", "/servers")]
    postmark.reset_log()  # this test made the forbidden call on purpose


def test_openapi_checker_catches_bad_requests_and_responses(postmark: PostmarkSimulator) -> None:
    s = session(NONPROD_TOKEN)
    s.get(postmark.url + "/domains", params={"count": 501, "offset": 0})
    s.post(postmark.url + "/domains", json={"Name": 7})
    bad_request = [exchange_problems(e) for e in postmark.exchanges]
    assert all(bad_request) and "count" in bad_request[0][0]
    good = create(postmark, NONPROD_TOKEN, "dev.ardamails.com")
    exchange = postmark.exchanges[-1]
    assert good.status_code == 200 and exchange_problems(exchange) == []
    broken = type(exchange)(**{**exchange.__dict__, "response_body": b'{"ID": "not-a-number"}'})
    assert any("ID" in p or "not-a-number" in p for p in exchange_problems(broken))
    postmark.reset_log()

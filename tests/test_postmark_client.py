"""The Postmark client against the simulator: paging, retries, and errors that name the fix."""

from __future__ import annotations

import socket
import time

import pytest

from tests.conftest import NONPROD_TOKEN
from tests.support.postmark_simulator import Fault, PostmarkSimulator
from tools.postmark.client import (
    PostmarkAuthError,
    PostmarkClient,
    PostmarkLimits,
    PostmarkRejected,
    PostmarkUnavailable,
    postmark_api_url,
)


def client(postmark: PostmarkSimulator, *, timeout: float = 10.0, **limits: float) -> PostmarkClient:
    return PostmarkClient(
        NONPROD_TOKEN,
        base_url=postmark.url,
        timeout=timeout,
        limits=PostmarkLimits(**limits),  # type: ignore[arg-type]
    )


def test_base_url_comes_from_the_environment() -> None:
    assert postmark_api_url({}) == "https://api.postmarkapp.com"
    assert postmark_api_url({"POSTMARK_API_URL": "http://127.0.0.1:8/"}) == "http://127.0.0.1:8"


def test_listing_follows_every_page(postmark: PostmarkSimulator) -> None:
    for i in range(503):
        postmark.add_domain(NONPROD_TOKEN, f"t{i}.dev.ardamails.com", public_key="AAAA")
    postmark.add_domain(NONPROD_TOKEN, "Dev.ArdaMails.com", public_key="AAAA")
    with client(postmark) as c:
        assert len(c.list_domains()) == 504
        postmark.reset_log()
        assert c.find_domain_id("dev.ardamails.com.") == postmark.domains(NONPROD_TOKEN)[-1].id
    offsets = [e.query for e in postmark.requests("GET", "/domains")]
    assert offsets == ["count=500&offset=0", "count=500&offset=500"]


def test_a_500_then_success_is_retried(postmark: PostmarkSimulator) -> None:
    postmark.inject(Fault(status=500, times=1))
    with client(postmark) as c:
        assert c.list_domains() == []
    assert [e.status for e in postmark.exchanges] == [500, 200]


def test_retry_after_is_honoured(postmark: PostmarkSimulator) -> None:
    postmark.inject(Fault(status=429, times=1, retry_after=1))
    started = time.monotonic()
    with client(postmark, backoff_seconds=0) as c:
        c.list_domains()
    assert time.monotonic() - started >= 1.0
    assert [e.status for e in postmark.exchanges] == [429, 200]


def test_retries_are_bounded(postmark: PostmarkSimulator) -> None:
    postmark.inject(Fault(status=503, times=10))
    with (
        client(postmark, retries=2, backoff_seconds=0) as c,
        pytest.raises(PostmarkUnavailable, match="HTTP 503"),
    ):
        c.list_domains()
    assert len(postmark.exchanges) == 3


def test_a_create_is_not_repeated_after_a_server_error(postmark: PostmarkSimulator) -> None:
    postmark.inject(Fault(status=500, times=1, method="POST"))
    with client(postmark) as c, pytest.raises(PostmarkUnavailable, match="creating domain"):
        c.create_domain("dev.ardamails.com", "pm-bounces.dev.ardamails.com")
    assert len(postmark.requests("POST")) == 1


def test_timeouts_are_retried_then_reported(postmark: PostmarkSimulator) -> None:
    postmark.inject(Fault(latency=0.6, times=2))
    with (
        client(postmark, timeout=0.3, retries=1, backoff_seconds=0) as c,
        pytest.raises(PostmarkUnavailable, match=r"within 0\.3 s"),
    ):
        c.list_domains()


def test_401_carries_postmarks_error(postmark: PostmarkSimulator) -> None:
    with (
        PostmarkClient("not-the-token", base_url=postmark.url) as c,
        pytest.raises(PostmarkAuthError, match="ErrorCode 10") as error,
    ):
        c.list_domains()
    assert "1Password" in str(error.value)
    assert len(postmark.exchanges) == 1, "a 401 is not retried"


def test_422_carries_error_code_and_message(postmark: PostmarkSimulator) -> None:
    with client(postmark) as c:
        c.create_domain("dev.ardamails.com", "pm-bounces.dev.ardamails.com")
        with pytest.raises(PostmarkRejected) as error:
            c.create_domain("dev.ardamails.com", "pm-bounces.dev.ardamails.com")
    assert error.value.error_code == 512
    assert "This domain already exists." in str(error.value)


def test_unreachable_postmark_is_reported() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (
        PostmarkClient(
            "t0ken", base_url=f"http://127.0.0.1:{port}", limits=PostmarkLimits(retries=1, backoff_seconds=0)
        ) as c,
        pytest.raises(PostmarkUnavailable, match="cannot reach Postmark"),
    ):
        c.list_domains()


def test_the_client_has_no_way_to_create_a_server() -> None:
    assert not [name for name in dir(PostmarkClient) if "server" in name.lower()]


def test_only_the_corporate_cli_can_reach_the_servers_api() -> None:
    """`PostmarkServerAdmin` is the one place a Postmark server is ever created: the operator's
    server step, which only a target that creates a server has - the corporate group's."""
    from platform_lib.context_store import PROJECT_ROOT
    from platform_lib.registry import active_partitions
    from tools.operator.targets import corporate_target, partition_target

    users = sorted(
        str(path.relative_to(PROJECT_ROOT))
        for path in (PROJECT_ROOT / "tools").rglob("*.py")
        if "PostmarkServerAdmin" in path.read_text()
        and path != PROJECT_ROOT / "tools" / "postmark" / "servers.py"
    )
    assert users == ["tools/operator/deploy_steps.py"]
    assert corporate_target().creates_server == "FreeKanbanTool"
    assert all(partition_target(p).creates_server is None for p in active_partitions())


def test_servers_are_found_by_name_or_created_once() -> None:
    from tests.support.postmark_openapi import exchange_problems
    from tools.postmark.servers import PostmarkServerAdmin

    with PostmarkSimulator({NONPROD_TOKEN: "PostmarkProd"}) as simulator:
        with PostmarkServerAdmin(NONPROD_TOKEN, base_url=simulator.url) as admin:
            assert admin.find_server("FreeKanbanTool") is None
            created = admin.create_server("FreeKanbanTool")
            assert created.api_tokens and admin.find_server("FreeKanbanTool") == created
            with pytest.raises(PostmarkRejected, match="already exists"):
                admin.create_server("FreeKanbanTool")
        assert [p for e in simulator.exchanges for p in exchange_problems(e)] == []
        assert [(e.method, e.path) for e in simulator.exchanges] == [
            ("GET", "/servers"),
            ("POST", "/servers"),
            ("GET", "/servers"),
            ("POST", "/servers"),
        ]


def test_a_server_token_is_redacted_from_the_moment_it_is_read_and_never_in_repr() -> None:
    from tools.postmark.errors import PostmarkShapeError
    from tools.postmark.servers import PostmarkServer
    from tools.secrets.logger import redact

    token = "server-token-8d1c2f"
    server = PostmarkServer.from_api({"ID": 7, "Name": "FreeKanbanTool", "ApiTokens": [token]}, "listing")
    assert server.api_tokens == (token,)
    assert token not in repr(server)
    assert redact(f"echoed {token}") == "echoed ***"
    with pytest.raises(PostmarkShapeError, match="holds whitespace inside the token"):
        PostmarkServer.from_api({"ID": 7, "Name": "F", "ApiTokens": ["two words"]}, "listing")

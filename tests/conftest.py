from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postmark_openapi import exchange_problems
from tests.support.postmark_simulator import PostmarkSimulator
from tests.synth import PROJECT_ROOT, Synthesized, synthesize

# jsii must run on the pinned node 22 even when pytest is started by hand.
os.environ.setdefault("JSII_NODE", str(PROJECT_ROOT / "node_modules" / ".bin" / "node"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow end-to-end tests first: each holds one worker (its own xdist group) for a
    minute, and the many short tests fill the other worker meanwhile."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The whole app, synthesized once for the session."""
    return synthesize(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


NONPROD_TOKEN = "nonprod-account-token-5b1e"
PROD_TOKEN = "prod-account-token-93c4"


@pytest.fixture
def postmark() -> Iterator[PostmarkSimulator]:
    """The Postmark simulator with both accounts. On teardown every recorded exchange must
    agree with Postmark's OpenAPI description and no `/servers` call may have been made."""
    with PostmarkSimulator({NONPROD_TOKEN: "PostmarkNonProd", PROD_TOKEN: "PostmarkProd"}) as simulator:
        yield simulator
    assert simulator.server_calls == [], "the project must never call /servers"
    problems = [p for exchange in simulator.exchanges for p in exchange_problems(exchange)]
    assert problems == [], problems

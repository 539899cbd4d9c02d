from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from platform_lib.context_store import PROJECT_ROOT
from tests.support.postmark_openapi import exchange_problems
from tests.support.postmark_simulator import PostmarkSimulator
from tests.synth import Synthesized, synthesize

# jsii must run on the pinned node 24, with the package cache set-up indexed (ADR-0024),
# also when pytest is started by hand rather than through ./scripts/test.
os.environ.setdefault("JSII_NODE", str(PROJECT_ROOT / "node_modules" / ".bin" / "node"))
os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(PROJECT_ROOT / ".venv" / "jsii-package-cache"))


def pytest_configure(config: pytest.Config) -> None:
    """A suite started in the background (`cmd &` in a script) inherits SIGINT ignored, and
    so would every tool it starts: Python keeps an inherited SIG_IGN, so the Ctrl-C tests
    would see a tool that cannot be interrupted. The tools' children get the default back."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow end-to-end tests first: each holds one worker (its own xdist group) for a
    minute, and the many short tests fill the other worker meanwhile."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)


UNGROUPED = pytest.StashKey[str]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Under `--dist loadgroup` every `xdist_group` test must carry its group in its node id
    (that is how xdist keeps a group on one worker). A pytest that ignores the suffix would
    split the groups silently: shared session fixtures run once per worker, tests sharing a
    server race. Every test then fails with the reason instead (a worker cannot stop the
    run with a readable message)."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    ungrouped = [
        i.nodeid for i in session.items if i.get_closest_marker("xdist_group") and "@" not in i.nodeid
    ]
    if ungrouped:
        session.config.stash[UNGROUPED] = (
            f"pytest-xdist did not group {ungrouped[0]} (pytest and pytest-xdist versions disagree, "
            "pytest-dev/pytest-xdist#1386); install requirements-dev.txt's pins"
        )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if UNGROUPED in item.config.stash:
        pytest.fail(item.config.stash[UNGROUPED], pytrace=False)


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

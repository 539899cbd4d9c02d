from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.synth import PROJECT_ROOT, Synthesized, synthesize

# jsii must run on the pinned node 22 even when pytest is started by hand.
os.environ.setdefault("JSII_NODE", str(PROJECT_ROOT / "node_modules" / ".bin" / "node"))


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The whole app, synthesized once for the session."""
    return synthesize(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT

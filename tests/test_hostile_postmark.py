"""Every tool that talks to Postmark against every hostile behaviour of `HostilePostmark`.

Each case runs the real tool as a subprocess (pre-deploy, verify, both drift drivers, with
a canary token and short limits) and must end in bounded time with a non-zero exit, one
error line (or, for drift, a failing finding) naming the problem, no traceback, nothing
written, and the canary nowhere: not in the output, the files, the GitHub issue bodies, nor
at the host a redirect pointed to. The cases are independent subprocesses that mostly wait,
so a module fixture runs them all concurrently once and each test checks its own result.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from platform_lib.context_store import PROJECT_ROOT
from tests.support.dns_server import LoopbackDnsServer
from tests.support.github_api import GitHubApiStandIn
from tests.support.hostile_postmark import BEHAVIOURS, Behaviour, HostilePostmark
from tests.synth import Synthesized
from tests.test_drift_core import load_zones

pytestmark = pytest.mark.xdist_group("hostile-postmark")

CANARY = "canary-7d41e0b2-95c3-4c57-b7aa-3f0e5d9c1a88"
REPO = "arda/infrastructure"
# A case's wall time may not exceed this, even with eight cases sharing two cores. The
# tools' own limits here are 1-5 s; "unbounded" is what the hostile tester measured.
BOUND_SECONDS = 30.0
TOOLS = ("pre-deploy", "verify", "runtime-drift", "corporate-drift")
TIME_BASED = {"drip-body", "drip-headers", "stall"}
CASES = [(b, tool) for b in BEHAVIOURS for tool in TOOLS if tool in b.tools]


@dataclass(frozen=True)
class CaseResult:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    context_changed: bool
    leftovers: list[str]
    files_with_canary: list[str]
    issue_bodies: list[str]
    catcher_requests: int
    server_requests: int


def _command(tool: str, folder: Path, resolver: str) -> list[str]:
    context = str(folder / "cdk.context.json")
    if tool == "pre-deploy":
        return [
            "tools.register_partition_mail_signature",
            "Alpha002",
            "dev",
            "--context-file",
            context,
            "--timeout",
            "2",
            "--deadline",
            "5",
        ]
    if tool == "verify":
        return ["tools.verify_partition_mail", "Alpha002", "dev", "--timeout", "2", "--deadline", "1"]
    module = "tools.runtime_platform_drift" if tool == "runtime-drift" else "tools.corporate_drift"
    return [
        module,
        "--resolver",
        resolver,
        "--timeout",
        "3",
        "--context-file",
        context,
        "--markdown",
        str(folder / "summary.md"),
        "--open-issue",
    ]


def _run_case(behaviour: Behaviour, tool: str, root: Path, resolver: str) -> CaseResult:
    folder = root / f"{behaviour.name}-{tool}"
    folder.mkdir()
    committed = (PROJECT_ROOT / "cdk.context.json").read_bytes()
    (folder / "cdk.context.json").write_bytes(committed)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTMARK_", "GITHUB_"))}
    env.update(
        POSTMARK_ACCOUNT_TOKEN=CANARY,
        POSTMARK_NONPROD_ACCOUNT_TOKEN=CANARY,
        POSTMARK_PROD_ACCOUNT_TOKEN=CANARY,
        PATH=f"{folder}:/usr/bin:/bin",  # no `op`: the token must come from the environment
    )
    with HostilePostmark(behaviour, token=CANARY) as hostile, GitHubApiStandIn() as github:
        env.update(
            POSTMARK_API_URL=hostile.url,
            GITHUB_TOKEN=github.token,
            GITHUB_REPOSITORY=REPO,
            GITHUB_API_URL=github.url,
        )
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", *_command(tool, folder, resolver)],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        seconds = time.monotonic() - started
        bodies = [issue.body for issue in github.issues] + [c for i in github.issues for c in i.comments]
        catcher = len(hostile.catcher.requests)
        served = len(hostile.requests)
    files = [p for p in folder.rglob("*") if p.is_file()]
    return CaseResult(
        returncode=result.returncode,
        stdout=result.stdout,
        stderr=result.stderr,
        seconds=seconds,
        context_changed=(folder / "cdk.context.json").read_bytes() != committed,
        leftovers=[p.name for p in files if p.name.endswith(".tmp")],
        files_with_canary=[p.name for p in files if CANARY.encode() in p.read_bytes()],
        issue_bodies=bodies,
        catcher_requests=catcher,
        server_requests=served,
    )


@pytest.fixture(scope="session")  # once per worker, however xdist interleaves other modules
def hostile_results(
    synthesized: Synthesized, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[tuple[str, str], CaseResult]]:
    root = tmp_path_factory.mktemp("hostile")
    with LoopbackDnsServer() as dns:
        load_zones(dns, synthesized)
        resolver = dns.address
        # The cases that wait on a timeout all at once; the others (mostly a Python tool
        # starting) four per core, so that on a loaded machine none times out instead of
        # meeting its hostile answer.
        waits = sum(1 for b, _ in CASES if b.name in TIME_BASED)
        with (
            ThreadPoolExecutor(max_workers=max(1, waits)) as waiting,
            ThreadPoolExecutor(max_workers=4 * (os.cpu_count() or 1)) as working,
        ):
            futures = {
                (b.name, tool): (waiting if b.name in TIME_BASED else working).submit(
                    _run_case, b, tool, root, resolver
                )
                for b, tool in CASES
            }
            yield {key: future.result() for key, future in futures.items()}


def test_the_catalogue_has_at_least_25_behaviours() -> None:
    assert len(BEHAVIOURS) >= 25
    assert len({b.name for b in BEHAVIOURS}) == len(BEHAVIOURS)


@pytest.mark.parametrize(("behaviour", "tool"), [pytest.param(b, t, id=f"{b.name}-{t}") for b, t in CASES])
def test_hostile_postmark_is_survived(
    behaviour: Behaviour, tool: str, hostile_results: dict[tuple[str, str], CaseResult]
) -> None:
    result = hostile_results[(behaviour.name, tool)]
    output = result.stdout + result.stderr
    assert result.server_requests > 0, "the tool never reached the hostile server"
    assert result.seconds < BOUND_SECONDS
    if tool in ("pre-deploy", "verify"):
        assert result.returncode == 1, output[-2000:]
    else:  # drift: 3 when Postmark alone failed (the live state unknown), 1 when DNS drifted too
        drifted = "DRIFT DETECTED" in result.stdout
        assert result.returncode == (1 if drifted else 3), output[-2000:]
        assert drifted or "COULD NOT CHECK" in result.stdout, result.stdout[-2000:]
    assert "Traceback" not in output
    assert CANARY not in output and CANARY.lower() not in output.lower()
    assert not [c for c in output if c in "\x1b\x07\u202e" or 0xD800 <= ord(c) <= 0xDFFF], "raw control text"
    assert result.files_with_canary == []
    assert not [body for body in result.issue_bodies if CANARY in body]
    assert result.catcher_requests == 0, "a request (with the token) followed a redirect"
    assert not result.context_changed and result.leftovers == []
    expected = [behaviour.expect] + (["timed out after"] if behaviour.name in TIME_BASED else [])
    if tool in ("pre-deploy", "verify"):
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        others = [line for line in result.stderr.splitlines() if not line.startswith(("error: ", "note: "))]
        assert len(errors) == 1 and others == [], result.stderr
        assert any(fragment in errors[0] for fragment in expected), errors[0]
    else:
        problems = [line for line in result.stdout.splitlines() if any(f in line for f in expected)]
        assert problems, result.stdout[-3000:]
        assert result.issue_bodies, "drift was found, or the check could not complete: an issue was opened"

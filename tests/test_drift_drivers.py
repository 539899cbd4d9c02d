"""The drift drivers as subprocesses: exit codes, output forms, and the GitHub issue flow.

Postmark is pointed at a closed loopback port (unreachable: reported, never a crash); DNS is
a real loopback server with the synthesized zones; GitHub is the loopback stand-in.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from platform_lib.context_store import PROJECT_ROOT
from platform_lib.naming import partition_zone_name
from platform_lib.registry import active_partitions
from tests.support.dns_server import LoopbackDnsServer
from tests.support.github_api import GitHubApiStandIn
from tests.support.postmark_simulator import PostmarkSimulator
from tests.synth import Synthesized
from tests.test_drift_core import load_zones

REPO = "arda/infrastructure"


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def dns(synthesized: Synthesized) -> Iterator[LoopbackDnsServer]:
    with LoopbackDnsServer() as server:
        load_zones(server, synthesized)
        yield server


@pytest.fixture
def github() -> Iterator[GitHubApiStandIn]:
    with GitHubApiStandIn() as stand_in:
        yield stand_in


def drift_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTMARK_", "GITHUB_"))}
    env.update(
        POSTMARK_NONPROD_ACCOUNT_TOKEN="nonprod-token-value",
        POSTMARK_PROD_ACCOUNT_TOKEN="prod-token-value",
        POSTMARK_API_URL=closed_port_url(),
    )
    env.update(extra)
    return env


def run_driver(
    module: str, *args: str, env: dict[str, str], interpreter: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """The driver as its own process; `interpreter`: flags for Python itself (`-S`)."""
    return subprocess.run(
        [sys.executable, *interpreter, "-m", module, *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize("module", ["tools.runtime_platform_drift", "tools.corporate_drift"])
def test_missing_token_is_a_configuration_error(module: str) -> None:
    env = drift_env()
    del env["POSTMARK_PROD_ACCOUNT_TOKEN"]
    result = run_driver(module, "--resolver", "127.0.0.1:9", env=env)
    assert result.returncode == 2
    assert "POSTMARK_PROD_ACCOUNT_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_context_is_a_configuration_error(tmp_path: Path) -> None:
    data = json.loads((PROJECT_ROOT / "cdk.context.json").read_text())
    del data["partitionMail:Alpha001:demo"]["returnPathTarget"]
    bad = tmp_path / "cdk.context.json"
    bad.write_text(json.dumps(data))
    result = run_driver("tools.runtime_platform_drift", "--context-file", str(bad), env=drift_env())
    assert result.returncode == 2
    assert "'partitionMail:Alpha001:demo' is malformed (missing returnPathTarget)" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("resolver", ["dns.google", "8.8.8.8:99999"])
def test_bad_resolver_is_a_usage_error(resolver: str) -> None:
    result = run_driver("tools.runtime_platform_drift", "--resolver", resolver, env=drift_env())
    assert result.returncode == 2 and "--resolver" in result.stderr


def test_open_issue_needs_github_settings() -> None:
    result = run_driver("tools.corporate_drift", "--open-issue", env=drift_env())
    assert result.returncode == 2
    assert "--open-issue needs GITHUB_TOKEN and GITHUB_REPOSITORY" in result.stderr


def test_unknown_partition_is_a_usage_error() -> None:
    result = run_driver("tools.runtime_platform_drift", "--partition", "kyle", env=drift_env())
    assert result.returncode == 2 and "suspended" in result.stderr


def test_postmark_unreachable_is_reported_not_crashed(dns: LoopbackDnsServer) -> None:
    result = run_driver(
        "tools.runtime_platform_drift", *dns.drift_args(), "--json", "--timeout", "5", env=drift_env()
    )
    assert result.returncode == 3, result.stderr  # could not check: no drift, the live state unknown
    report = json.loads(result.stdout)
    assert report["verdict"] == "could not check"
    failed = [f for f in report["findings"] if f["status"] != "ok"]
    assert {f["domain"] for f in failed} == {partition_zone_name(p) for p in active_partitions()}
    assert all(f["check"] == "postmark.domain" and f["status"] == "error" for f in failed)
    assert all(f["message"].startswith("Postmark not checked: Postmark") for f in failed)
    dns_ok = [f for f in report["findings"] if f["seam"] == "dns" and f["status"] == "ok"]
    assert len(dns_ok) == 7 * len(active_partitions())  # seven DNS checks per partition ran and passed
    assert "token-value" not in result.stdout + result.stderr


def test_drift_opens_a_labelled_issue_then_comments_instead_of_duplicating(
    dns: LoopbackDnsServer, github: GitHubApiStandIn, tmp_path: Path
) -> None:
    dns.records.delete("stage.ardamails.com", "NS")  # drift, besides an unreachable Postmark
    env = drift_env(GITHUB_TOKEN=github.token, GITHUB_REPOSITORY=REPO, GITHUB_API_URL=github.url)
    summary = tmp_path / "summary.md"
    args = (*dns.drift_args(), "--timeout", "5", "--open-issue", "--markdown", str(summary))
    first = run_driver("tools.runtime_platform_drift", *args, env=env)
    assert first.returncode == 1, first.stderr
    assert "opened issue #1" in first.stderr
    (issue,) = github.issues
    assert issue.title == "runtime-platform-drift: partition mail drift detected"
    assert issue.labels == ["drift", "runtime-platform"]
    assert "## runtime-platform-drift: Drift detected" in issue.body
    assert "| `stage.ardamails.com` | `dns.delegation` | DRIFT |" in issue.body
    assert "| `dev.ardamails.com` | `postmark.domain` | ERROR | Postmark not checked" in issue.body
    assert summary.read_text().startswith("## runtime-platform-drift: Drift detected")

    second = run_driver("tools.runtime_platform_drift", *args, env=env)
    assert second.returncode == 1
    assert "commented issue #1" in second.stderr
    assert len(github.issues) == 1 and len(issue.comments) == 1
    assert "dns.delegation" in issue.comments[0]


def test_a_rejected_token_is_could_not_check_with_its_own_issue(
    dns: LoopbackDnsServer, github: GitHubApiStandIn
) -> None:
    """Postmark answers 401 to both tokens: nothing is known to differ, so exit 3, one message
    per domain naming the variable the token came from, and the "could not check" issue - not
    the drift issue, which stays as it is."""
    github.add_issue(
        REPO, "runtime-platform-drift: partition mail drift detected", ["drift", "runtime-platform"]
    )
    with PostmarkSimulator({}) as simulator:  # knows no token: every call is a 401
        env = drift_env(
            GITHUB_TOKEN=github.token,
            GITHUB_REPOSITORY=REPO,
            GITHUB_API_URL=github.url,
            POSTMARK_API_URL=simulator.url,
        )
        result = run_driver(
            "tools.runtime_platform_drift", *dns.drift_args(), "--timeout", "5", "--open-issue", env=env
        )
    assert result.returncode == 3, result.stdout[-2000:] + result.stderr
    assert "COULD NOT CHECK" in result.stdout.splitlines()[-1]
    dev = next(
        line
        for line in result.stdout.splitlines()
        if line.startswith("dev.ardamails.com") and "postmark.domain" in line
    )
    assert (
        "Postmark not checked: PostmarkNonProd: Postmark rejected the account token from POSTMARK_NONPROD_ACCOUNT_TOKEN (HTTP 401"
        in dev
    )
    assert dev.count("Postmark") == 3 and "unreachable" not in dev, "one message, not a doubled one"
    assert "opened issue #2" in result.stderr
    drift_issue, could_not_check = github.issues
    assert drift_issue.comments == []
    assert could_not_check.title == (
        "runtime-platform-drift: could not check partition mail (Postmark or DNS did not answer)"
    )
    assert could_not_check.body.startswith("## runtime-platform-drift: Could not check")
    assert "the live state is unknown, not wrong" in could_not_check.body
    assert "token-value" not in result.stdout + result.stderr + could_not_check.body


@pytest.mark.parametrize("module", ["tools.runtime_platform_drift", "tools.corporate_drift"])
def test_help_names_the_token_variables_and_exit_codes(module: str) -> None:
    result = run_driver(module, "--help", env=drift_env())
    assert result.returncode == 0
    assert "POSTMARK_PROD_ACCOUNT_TOKEN" in result.stdout
    assert ("POSTMARK_NONPROD_ACCOUNT_TOKEN" in result.stdout) is (module == "tools.runtime_platform_drift")
    said = " ".join(result.stdout.split())
    assert "1 drift found; 3 could not check" in said and "2 usage or configuration error" in said


def test_corporate_issue_has_its_own_labels_and_ignores_closed_and_other_issues(
    dns: LoopbackDnsServer, github: GitHubApiStandIn
) -> None:
    title = "corporate-drift: corporate mail drift detected"
    github.add_issue(REPO, title, ["drift", "corporate"], state="closed")
    github.add_issue(REPO, title, ["drift", "corporate"], pull_request=True)
    github.add_issue(
        REPO, "runtime-platform-drift: partition mail drift detected", ["drift", "runtime-platform"]
    )
    env = drift_env(GITHUB_TOKEN=github.token, GITHUB_REPOSITORY=REPO, GITHUB_API_URL=github.url)
    result = run_driver("tools.corporate_drift", *dns.drift_args(), "--timeout", "5", "--open-issue", env=env)
    assert result.returncode == 1, result.stderr
    assert "opened issue #4" in result.stderr
    new = github.issues[-1]
    assert new.title == title and new.labels == ["drift", "corporate"]
    assert all(not i.comments for i in github.issues)


def test_issue_failure_is_reported_with_exit_2(dns: LoopbackDnsServer, github: GitHubApiStandIn) -> None:
    env = drift_env(GITHUB_TOKEN="wrong-token", GITHUB_REPOSITORY=REPO, GITHUB_API_URL=github.url)
    result = run_driver("tools.corporate_drift", *dns.drift_args(), "--timeout", "5", "--open-issue", env=env)
    assert result.returncode == 2
    assert "drift found but the issue could not be filed" in result.stderr and "HTTP 401" in result.stderr
    assert "wrong-token" not in result.stdout + result.stderr
    assert github.issues == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--markdown", "/nonexistent-folder/summary.md"], "the folder /nonexistent-folder does not exist"),
        (["--timeout", "0"], "argument --timeout: '0' must be a finite number of seconds above 0"),
        (["--timeout=-1"], "argument --timeout: '-1' must be a finite number of seconds above 0"),
        (["--timeout", "nan"], "argument --timeout: 'nan' must be a finite number of seconds above 0"),
        (["--timeout", "inf"], "argument --timeout: 'inf' must be a finite number of seconds above 0"),
    ],
)
@pytest.mark.parametrize("module", ["tools.runtime_platform_drift", "tools.corporate_drift"])
def test_bad_options_are_one_line_before_any_probe(module: str, args: list[str], message: str) -> None:
    result = run_driver(module, "--resolver", "127.0.0.1:9", *args, env=drift_env())
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "is not a regular file; point --context-file at the project's cdk.context.json"),
        ('{"a": 1, "a": 2}', "the key 'a' appears twice in one object"),
        ('{"a": 1e400}', "is not usable"),
    ],
)
@pytest.mark.parametrize("module", ["tools.runtime_platform_drift", "tools.corporate_drift"])
def test_a_context_file_the_project_would_refuse_is_one_line_not_a_hang(
    tmp_path: Path, module: str, content: str | None, message: str
) -> None:
    """The drift drivers read the context file through the project's one strict reader: a
    FIFO (which would block for ever), duplicate keys or non-finite numbers are refused."""
    path = tmp_path / "cdk.context.json"
    if content is None:
        os.mkfifo(path)
    else:
        path.write_text(content)
    result = run_driver(module, "--resolver", "127.0.0.1:9", "--context-file", str(path), env=drift_env())
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("prod-token value", "POSTMARK_PROD_ACCOUNT_TOKEN holds whitespace inside the token"),
        ("prod-token\nsecond-line", "POSTMARK_PROD_ACCOUNT_TOKEN holds a line break inside the token"),
    ],
)
def test_a_malformed_token_is_a_configuration_error_and_masked_first(token: str, message: str) -> None:
    env = drift_env(POSTMARK_PROD_ACCOUNT_TOKEN=token, GITHUB_ACTIONS="true")
    result = run_driver("tools.corporate_drift", "--resolver", "127.0.0.1:9", env=env)
    assert result.returncode == 2
    assert message in result.stderr and token not in result.stderr
    masks = [line.removeprefix("::add-mask::") for line in result.stdout.splitlines()]
    assert masks == [line for line in token.splitlines() if line.strip()]


def test_a_token_with_surrounding_whitespace_is_used_stripped(dns: LoopbackDnsServer) -> None:
    """The drift tools apply the same token rule: the stripped token is what Postmark sees."""
    from tests.support.postmark_simulator import PostmarkSimulator

    with PostmarkSimulator({"prod-token-value": "PostmarkProd"}) as postmark:
        env = drift_env(POSTMARK_PROD_ACCOUNT_TOKEN="  prod-token-value\r\n", POSTMARK_API_URL=postmark.url)
        result = run_driver("tools.corporate_drift", *dns.drift_args(), env=env)
        assert result.returncode == 1  # no corporate domain on the simulated account: drift
        assert {e.headers["X-Postmark-Account-Token"] for e in postmark.exchanges} == {"prod-token-value"}
    assert "no domain arda.ardamails.com on PostmarkProd" in result.stdout


DRIFT_LOCK = PROJECT_ROOT / "requirements-drift.txt"


def _pins(path: Path) -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return dict(line.lower().split("==") for line in lines if line)


def _site_of_only(requirements: dict[str, str], folder: Path) -> Path:
    """A site-packages holding exactly these distributions (linked from this venv, whose
    versions must be the pinned ones): what `pip install -r` of the file would give, offline."""
    site = folder / "site-packages"
    site.mkdir()
    for name, version in requirements.items():
        distribution = metadata.distribution(name)
        assert distribution.version == version, f"{name}: {distribution.version} installed, {version} pinned"
        for top in {str(f).split("/")[0] for f in distribution.files or []}:
            source = Path(str(distribution.locate_file(top)))
            if source.exists() and not (site / top).exists() and top != "__pycache__":
                (site / top).symlink_to(source)
    return site


def test_the_drift_lock_holds_the_same_versions_as_the_runtime_lock() -> None:
    runtime = _pins(PROJECT_ROOT / "requirements.txt")
    assert all(runtime.get(name) == version for name, version in _pins(DRIFT_LOCK).items())


@pytest.mark.parametrize("module", ["tools.runtime_platform_drift", "tools.corporate_drift"])
def test_drift_runs_from_nothing_but_its_own_lock_file(
    module: str, dns: LoopbackDnsServer, tmp_path: Path
) -> None:
    """`python -S` (no site-packages) with only requirements-drift.txt's distributions on the
    path: the driver imports, probes DNS and Postmark (a closed port: "could not check") and
    renders its report - no module of the full runtime lock is needed."""
    site = _site_of_only(_pins(DRIFT_LOCK), tmp_path)
    env = {**drift_env(), "PYTHONPATH": f"{site}{os.pathsep}{PROJECT_ROOT}"}
    result = run_driver(module, *dns.drift_args(), "--timeout", "5", env=env, interpreter=("-S",))
    assert "Traceback" not in result.stderr and "ModuleNotFoundError" not in result.stderr, result.stderr
    assert result.returncode in (1, 3), result.stdout[-2000:] + result.stderr
    assert "COULD NOT CHECK" in result.stdout or "DRIFT DETECTED" in result.stdout

"""`amm.sh` end to end: the real script, the real CDK CLI, moto_server, the Postmark
simulator and a fake `op`, on a temporary copy of the project."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.fake_op import write_fake_op
from tests.support.moto_server import MotoServer
from tests.synth import PROJECT_ROOT

ALPHA002 = "139852620346"
CANARY = "canary-0f3c9a7e-5d1b-4e2a-9c8f-7b6a5d4c3b2a"


@dataclass
class Workspace:
    root: Path
    env: dict[str, str]

    def run(
        self, *args: str, stdin: str | None = None, timeout: int = 600
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["./amm.sh", *args],
            cwd=self.root,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def context(self) -> bytes:
        return (self.root / "cdk.context.json").read_bytes()

    def written_files(self) -> list[Path]:
        skip = {".venv", "node_modules"}
        return [
            p
            for p in self.root.rglob("*")
            if p.is_file() and not (set(p.relative_to(self.root).parts) & skip)
        ]


def copy_project(destination: Path) -> Path:
    """Tracked and new files of the project; the installed toolchains are symlinked."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for relative in listed:
        source = PROJECT_ROOT / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    for toolchain in (".venv", "node_modules"):
        (destination / toolchain).symlink_to(PROJECT_ROOT / toolchain)
    return destination


def aws_profiles(path: Path, endpoint: str) -> dict[str, str]:
    """An AWS config with the registry's profile names and static moto credentials."""
    config = path / "aws-config"
    config.write_text(
        "".join(
            f"[profile {name}]\nregion = us-east-1\naws_access_key_id = testing\naws_secret_access_key = testing\n\n"
            for name in ("Alpha002-Admin", "Admin-Alpha1")
        )
    )
    return {
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(path / "no-credentials"),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def base_env(tmp: Path, bin_dir: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POSTMARK_", "GITHUB_"))}
    return {
        **keep,
        "PATH": f"{bin_dir}:{keep['PATH']}",
        "HOME": str(tmp / "home"),
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "AMM_VERIFY_DEADLINE_SECONDS": "20",
    }


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer(account=ALPHA002) as server:
        yield server


@pytest.fixture
def workspace(tmp_path: Path, moto: MotoServer) -> Workspace:
    root = copy_project(tmp_path / "project")
    bin_dir = tmp_path / "bin"
    write_fake_op(bin_dir, token=CANARY)
    (tmp_path / "home").mkdir()
    env = {**base_env(tmp_path, bin_dir), **aws_profiles(tmp_path, moto.endpoint_url)}
    env["POSTMARK_API_URL"] = "http://127.0.0.1:9"  # nothing listens: reaching Postmark is a bug here
    return Workspace(root, env)


def _assert_nothing_written(workspace: Workspace, before: bytes) -> None:
    assert workspace.context() == before
    assert not (workspace.root / "cdk.out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Alpha003", "dev"], "unknown infrastructure 'Alpha003'; valid: PlatformRoot, Alpha001, Alpha002"),
        (["Alpha001", "dev"], "partition 'dev' is on Alpha002, not Alpha001; active on Alpha001: demo, prod"),
        (["Alpha002", "kyle"], "partition 'kyle' is suspended; active on Alpha002: dev, stage"),
        (["PlatformRoot"], "PlatformRoot hosts no partitions; partition infrastructures: Alpha001, Alpha002"),
    ],
)
def test_bad_registry_input_is_one_line_and_exit_2(
    workspace: Workspace, args: list[str], message: str
) -> None:
    before = workspace.context()
    result = workspace.run(*args)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {message}"
    _assert_nothing_written(workspace, before)


def test_usage_and_help(workspace: Workspace) -> None:
    help_result = workspace.run("--help")
    assert help_result.returncode == 0 and help_result.stdout.startswith("usage: ./amm.sh [--profile NAME]")
    assert workspace.run().returncode == 2
    unknown = workspace.run("--force", "Alpha002")
    assert (
        unknown.returncode == 2
        and unknown.stderr.strip() == "error: unknown option --force; see ./amm.sh --help"
    )


def test_wrong_aws_account_stops_before_anything_changes(workspace: Workspace) -> None:
    before = workspace.context()
    result = workspace.run("Alpha001", "demo")  # moto answers as Alpha002's account
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: AWS profile 'Admin-Alpha1' is account {ALPHA002}, but Alpha001 is 009765408297; "
        "pass --profile NAME for account 009765408297"
    )
    _assert_nothing_written(workspace, before)


def test_unknown_profile_is_reported(workspace: Workspace) -> None:
    result = workspace.run("--profile", "Nope", "Alpha002", "dev")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: AWS profile 'Nope' not found in your AWS config; pass --profile NAME"
    )


def test_missing_op_is_reported(workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "bin" / "op").unlink()
    before = workspace.context()
    result = workspace.run("Alpha002", "dev")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: 1Password CLI 'op' not found on PATH; install it and run 'op signin'"
    )
    _assert_nothing_written(workspace, before)


def test_op_not_signed_in_is_reported(workspace: Workspace, tmp_path: Path) -> None:
    write_fake_op(tmp_path / "bin", token="", signed_in=False)
    before = workspace.context()
    result = workspace.run("Alpha002", "dev")
    assert result.returncode == 1
    assert "error: op read op://Arda-DevOAM/Postmark/credential failed" in result.stderr
    assert "run 'op signin'" in result.stderr
    _assert_nothing_written(workspace, before)


def test_dry_run_prints_the_plan_and_contacts_nothing(workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "bin" / "op").unlink()  # would fail if called
    workspace.env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # would fail if contacted
    result = workspace.run("--dry-run", "Alpha001")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        lines[0] == "plan for Alpha001 (profile Admin-Alpha1, region us-east-1); nothing will be contacted:"
    )
    assert "  (production: type 'prod' to confirm)" in lines
    deploys = [line for line in lines if "cdk deploy" in line]
    assert deploys == [
        f"  cdk deploy Alpha001-{p}-Email -c partition={p} --require-approval never --progress events "
        "--parameters PostmarkAccountToken=***"
        for p in ("demo", "prod")
    ]
    assert lines.index("partition demo:") < lines.index("partition prod:")
    assert not (workspace.root / "logs").exists()
    assert CANARY not in result.stdout + result.stderr

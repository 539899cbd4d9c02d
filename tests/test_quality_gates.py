"""The lint gates run as tests so one command (and CI) enforces them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from platform_lib.context_store import PROJECT_ROOT

BIN = Path(sys.executable).parent


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})}
    )


def shell_scripts() -> list[str]:
    tracked = _run("git", "ls-files", "-co", "--exclude-standard").stdout.split()
    return sorted(
        path
        for path in tracked
        if (PROJECT_ROOT / path).is_file()
        and (
            path.endswith(".sh") or (PROJECT_ROOT / path).read_bytes()[:40].startswith(b"#!/usr/bin/env bash")
        )
    )


def test_ruff_lint_is_clean() -> None:
    result = _run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _run(str(BIN / "ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_layering_contract_is_kept() -> None:
    result = _run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_mypy_strict_is_clean() -> None:
    # The project's own cache (`.mypy_cache`, kept by CI between runs); a cold run takes a few
    # seconds since only the aws-cdk-lib modules the code uses are analysed (pyproject.toml).
    result = _run(str(BIN / "mypy"), "--cache-dir", str(PROJECT_ROOT / ".mypy_cache"))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", shell_scripts())
def test_shellcheck_is_clean(script: str) -> None:
    result = _run(str(BIN / "shellcheck"), "--external-sources", "--source-path=SCRIPTDIR", script)
    assert result.returncode == 0, result.stdout + result.stderr


def test_there_are_shell_scripts_to_check() -> None:
    assert "scripts/env.sh" in shell_scripts()

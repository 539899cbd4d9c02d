"""The docs are part of the product: their commands, options, paths and links must be true."""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

from platform_lib.registry import INFRASTRUCTURES, PLATFORM_ROOT_ACCOUNT_PLACEHOLDER, Infrastructure
from tests.synth import PROJECT_ROOT

DOCS = sorted(
    [PROJECT_ROOT / "README.md", PROJECT_ROOT / "CHANGELOG.md", *(PROJECT_ROOT / "docs").rglob("*.md")]
)
TOOL = re.compile(r"python -m (tools\.[a-z_]+)")
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]+)")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _lines_mentioning(needle: str) -> list[str]:
    return [line for doc in DOCS for line in _text(doc).splitlines() if needle in line]


@cache
def _help(command: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False, timeout=120)


def documented_tools() -> list[str]:
    return sorted({m for doc in DOCS for m in TOOL.findall(_text(doc))})


def test_quick_start_commands_are_the_projects_scripts() -> None:
    readme = _text(PROJECT_ROOT / "README.md")
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", readme, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["./scripts/synth", "./scripts/test"]
    for command in commands:
        script = PROJECT_ROOT / command
        assert script.is_file() and script.stat().st_mode & 0o111, command
    assert "exec ./scripts/test" in _text(PROJECT_ROOT / ".ci" / "run"), "CI runs the README's test command"


def test_every_documented_tool_exists() -> None:
    tools = documented_tools()
    assert {
        "tools.register_partition_mail_signature",
        "tools.verify_partition_mail",
        "tools.validate_exit",
    } <= set(tools)
    for module in tools:
        assert (PROJECT_ROOT / (module.replace(".", "/") + ".py")).is_file(), module


def _help_commands() -> dict[str, tuple[str, ...]]:
    commands: dict[str, tuple[str, ...]] = {
        module: (sys.executable, "-m", module, "--help") for module in documented_tools()
    }
    commands["amm.sh"] = ("./amm.sh", "--help")
    return commands


def test_documented_options_appear_in_each_commands_help() -> None:
    commands = _help_commands()
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        results = dict(zip(commands, pool.map(_help, commands.values()), strict=True))
    for name, result in results.items():
        # The pre-deploy CLI prints its help and exits 2, as its issue asks; the others exit 0.
        expected_exit = 2 if name == "tools.register_partition_mail_signature" else 0
        assert result.returncode == expected_exit, (name, result.stderr)
        assert "usage:" in result.stdout, name
        needle = f"python -m {name}" if name.startswith("tools.") else "amm.sh"
        # the options written after the command, up to the end of its code span
        options = {
            opt
            for line in _lines_mentioning(needle)
            for opt in OPTION.findall(line.split(needle, 1)[1].split("`")[0])
        }
        missing = sorted(opt for opt in options if opt not in result.stdout)
        assert not missing, f"{name}: documented but not in --help: {missing}"


def test_backticked_paths_exist() -> None:
    path = re.compile(r"`\.?/?((?:[\w.-]+/)+[\w.-]+\.(?:py|sh|cjs|md|json|yml))`")
    for doc in DOCS:
        for relative in path.findall(_text(doc)):
            assert (PROJECT_ROOT / relative).exists(), f"{doc.name}: {relative}"


def test_relative_links_resolve() -> None:
    link = re.compile(r"\]\((?!https?://|#)([^)#\s]+)")
    for doc in DOCS:
        for target in link.findall(_text(doc)):
            assert (doc.parent / target).exists(), (
                f"{doc.relative_to(PROJECT_ROOT)} links to missing {target}"
            )


def test_decision_index_lists_every_record_and_each_is_complete() -> None:
    decisions = PROJECT_ROOT / "docs" / "decisions"
    index = _text(decisions / "README.md")
    records = sorted(p for p in decisions.glob("[0-9][0-9][0-9][0-9]-*.md"))
    assert len(records) >= 19
    for record in records:
        assert f"]({record.name})" in index, record.name
        text = _text(record)
        for heading in ("* Status:", "## Context", "## Decision", "## Consequences"):
            assert heading in text, f"{record.name}: {heading}"
    for dq in ("017", "018", "019", "020", "021", "022", "026"):
        assert f"DQ-R1-{dq}" in index


def test_changelog_keeps_a_changelog_form() -> None:
    changelog = _text(PROJECT_ROOT / "CHANGELOG.md")
    assert changelog.startswith("# Changelog")
    assert "keepachangelog.com" in changelog
    assert re.search(r"^## \[Unreleased\]\n\n### Added\n", changelog, re.M)


@pytest.mark.parametrize("infrastructure", INFRASTRUCTURES, ids=lambda i: i.name)
def test_runbook_profile_table_matches_the_registry(infrastructure: Infrastructure) -> None:
    runbook = _text(PROJECT_ROOT / "docs" / "operator-runbook.md")
    name = infrastructure.name
    row = next(line.strip() for line in runbook.splitlines() if line.strip().startswith(f"| `{name}` |"))
    account = infrastructure.account
    if account == PLATFORM_ROOT_ACCOUNT_PLACEHOLDER:
        assert "placeholder" in row
    else:
        assert f"| {account} |" in row
    assert f"`{infrastructure.default_profile}`" in row

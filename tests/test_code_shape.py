"""The shape the code keeps (issue 19's "done when"): no function in the tools, stacks or
constructs longer than a screen, no module reaching into another package's private names,
exit statuses defined in one module, and no `lib` grab bag under `tools/`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from platform_lib.context_store import PROJECT_ROOT

MAX_FUNCTION_LINES = 60
SHAPED = ("tools", "stacks", "constructs_lib")
PACKAGES = ("tools", "stacks", "constructs_lib", "platform_lib", "apps", "instances")


def _modules(*roots: str) -> list[Path]:
    return sorted(path for root in roots for path in (PROJECT_ROOT / root).rglob("*.py"))


def _package_of(module: str) -> str:
    """`tools.checks.dns` -> `tools.checks`; a top-level module is its own package."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "tools" and len(parts) > 2 else parts[0]


@pytest.mark.parametrize("path", _modules(*SHAPED), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_no_function_is_longer_than_a_screen(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_no_module_imports_a_private_name_from_another_package() -> None:
    found = []
    for path in _modules(*PACKAGES, "tests", "bench"):
        module = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or node.module is None or node.level:
                continue
            if _package_of(node.module) == _package_of(module):
                continue
            found += [f"{module}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert found == []


def test_exit_statuses_are_defined_in_one_module() -> None:
    defining = [
        str(path.relative_to(PROJECT_ROOT))
        for path in _modules("tools")
        if re.search(r"^\s*(EXIT_\w*|class ExitStatus)\b", path.read_text(encoding="utf-8"), re.M)
    ]
    assert defining == ["tools/cli/contract.py"]


def test_there_is_no_grab_bag_package() -> None:
    assert not (PROJECT_ROOT / "tools" / "lib").exists()

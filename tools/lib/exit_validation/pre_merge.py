"""Pre-merge code checks: the lint gates, the test suite, and a synth of every partition stack.

Every command is an argv list run from the project root (no shell strings: nothing to
quote), using the project's own scripts and venv tools - never an npm script.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from platform_lib.context_store import PROJECT_ROOT
from platform_lib.naming import stack_name
from platform_lib.registry import Partition
from tools.lib.exit_validation.results import CheckFailed, CheckResult, run_check

SHELL_SCRIPTS = (
    "amm.sh",
    "scripts/env.sh",
    "scripts/synth",
    "scripts/test",
    "scripts/update-root-golden",
    ".ci/run",
)

Runner = Callable[[Sequence[str], Path], "subprocess.CompletedProcess[str]"]


def run_command(argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, check=False)


@dataclass(frozen=True)
class Gate:
    name: str
    argv: tuple[str, ...]


def lint_gates(root: Path) -> list[Gate]:
    tool = root / ".venv" / "bin"
    return [
        Gate("ruff check", (str(tool / "ruff"), "check", ".")),
        Gate("ruff format", (str(tool / "ruff"), "format", "--check", ".")),
        Gate("mypy (strict)", (str(tool / "mypy"),)),
        Gate("import layering", (str(tool / "lint-imports"),)),
        Gate(
            "shellcheck",
            (str(tool / "shellcheck"), "--external-sources", "--source-path=SCRIPTDIR", *SHELL_SCRIPTS),
        ),
    ]


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    return lines[-1].strip()[:160] if lines else f"exit {result.returncode}"


def _gate_check(gate: Gate, root: Path, runner: Runner) -> Callable[[], str]:
    def check() -> str:
        result = runner(gate.argv, root)
        if result.returncode != 0:
            raise CheckFailed(f"exit {result.returncode}: {_last_line(result)}")
        return _last_line(result)

    return check


def _synth_check(partitions: Sequence[Partition], root: Path, runner: Runner) -> Callable[[], str]:
    def check() -> str:
        result = runner(("./scripts/synth",), root)
        if result.returncode != 0:
            raise CheckFailed(f"exit {result.returncode}: {_last_line(result)}")
        missing = [
            stack_name(p)
            for p in partitions
            if not (root / "cdk.out" / f"{stack_name(p)}.template.json").is_file()
        ]
        if missing:
            raise CheckFailed(f"no template for {', '.join(missing)} in cdk.out")
        return ", ".join(stack_name(p) for p in partitions)

    return check


def pre_merge_checks(
    partitions: Sequence[Partition],
    *,
    run_tests: bool = True,
    root: Path = PROJECT_ROOT,
    runner: Runner = run_command,
) -> list[CheckResult]:
    results = [run_check(gate.name, _gate_check(gate, root, runner)) for gate in lint_gates(root)]
    if run_tests:
        results.append(
            run_check("test suite", _gate_check(Gate("test suite", ("./scripts/test",)), root, runner))
        )
    results.append(run_check("synth partition stacks", _synth_check(partitions, root, runner)))
    return results

"""Pre-merge code checks: the lint gates, the test suite, and a synth of the partition stacks.

Every command is an argv list run from the project root (no shell string, so nothing to
quote or re-interpret), naming a tool of the project's venv or one of its own scripts -
never an npm script. The synth row reads `cdk.out/manifest.json`, which every synth
rewrites, so a template left over from an earlier synth cannot pass for a fresh one.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from platform_lib.context_store import PROJECT_ROOT
from platform_lib.naming import stack_name
from platform_lib.registry import Partition
from tools.aws.cdk import partition_context
from tools.exit_validation.results import CheckFailed, CheckResult, run_check

SHELL_SCRIPT_PLACES = ("amm.sh", "scripts", ".ci")
VENV_BIN = Path(sys.executable).parent  # ruff, mypy, lint-imports, shellcheck of this venv
SETUP_HINT = "run `source scripts/env.sh` to set up the venv and node_modules"
MISSING_COMMAND_EXIT = 127

Runner = Callable[[Sequence[str], Path], "subprocess.CompletedProcess[str]"]
Progress = Callable[[str], None]


def run_command(argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `argv` in `cwd`, capturing its output; a missing command is exit 127, not a crash."""
    try:
        return subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, check=False)
    except (FileNotFoundError, PermissionError) as exc:
        return subprocess.CompletedProcess(
            list(argv), MISSING_COMMAND_EXIT, "", f"{argv[0]}: {exc.strerror}; {SETUP_HINT}"
        )


@dataclass(frozen=True)
class Gate:
    """One command whose exit status is the row's result."""

    name: str
    argv: tuple[str, ...]
    pass_detail: str = ""  # shown when the command passes silently

    def display(self) -> str:
        """The command as an operator would retype it from the project root."""
        first = Path(self.argv[0])
        return " ".join((first.name if first.is_absolute() else self.argv[0], *self.argv[1:]))


def _is_shell_script(path: Path) -> bool:
    if path.suffix == ".sh":
        return True
    first_line = path.read_bytes()[:80].split(b"\n", 1)[0]
    return first_line.startswith(b"#!") and first_line.split(b"/")[-1].split()[-1] in (b"bash", b"sh")


def shell_scripts(root: Path) -> list[str]:
    """`amm.sh` and the shell scripts under `scripts/` and `.ci/`, found rather than listed
    so a new script is checked without anyone remembering to add it here."""
    found: list[Path] = []
    for place in SHELL_SCRIPT_PLACES:
        path = root / place
        found += sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    return [str(p.relative_to(root)) for p in found if p.is_file() and _is_shell_script(p)]


def lint_gates(root: Path, bin_dir: Path = VENV_BIN) -> list[Gate]:
    scripts = shell_scripts(root)
    return [
        Gate("ruff check", (str(bin_dir / "ruff"), "check", ".")),
        Gate("ruff format", (str(bin_dir / "ruff"), "format", "--check", ".")),
        Gate("mypy (strict)", (str(bin_dir / "mypy"),)),
        Gate("import layering", (str(bin_dir / "lint-imports"), "--no-cache")),
        Gate(
            "shellcheck",
            (
                str(bin_dir / "shellcheck"),
                "--format=gcc",
                "--external-sources",
                "--source-path=SCRIPTDIR",
                *scripts,
            ),
            pass_detail=f"{len(scripts)} scripts clean: {', '.join(scripts)}",
        ),
    ]


TEST_SUITE = Gate("test suite", ("./scripts/test",))


def synth_gate(partitions: Sequence[Partition], narrowed: bool) -> Gate:
    """`./scripts/synth`, narrowed with `-c partition=NAME` when one partition is asked for."""
    narrowing = partition_context(partitions[0]) if narrowed and len(partitions) == 1 else ()
    return Gate("synth partition stacks", ("./scripts/synth", *narrowing))


def _output_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()]


def _run_gate(gate: Gate, root: Path, runner: Runner) -> str:
    result = runner(gate.argv, root)
    lines = _output_lines(result)
    if result.returncode != 0:
        last = lines[-1][:200] if lines else "no output"
        raise CheckFailed(f"exit {result.returncode}: {last} (rerun: {gate.display()})")
    return gate.pass_detail or (lines[-1][:200] if lines else "exit 0")


def synthesized_stacks(out_dir: Path) -> dict[str, Path]:
    """Stack name -> template path, as the cloud assembly's manifest lists them."""
    manifest_path = out_dir / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckFailed(f"cannot read {manifest_path}: {exc}") from None
    stacks: dict[str, Path] = {}
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        stacks[properties.get("stackName", artifact_id)] = out_dir / properties["templateFile"]
    return stacks


def _check_synth(gate: Gate, partitions: Sequence[Partition], root: Path, runner: Runner) -> str:
    _run_gate(gate, root, runner)
    stacks = synthesized_stacks(root / "cdk.out")
    wanted = [stack_name(p) for p in partitions]
    missing = [name for name in wanted if name not in stacks]
    if missing:
        raise CheckFailed(f"cdk.out/manifest.json has no {', '.join(missing)} after `{gate.display()}`")
    for name in wanted:
        try:
            template = json.loads(stacks[name].read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CheckFailed(f"template of {name} unreadable: {exc}") from None
        if not isinstance(template, dict) or not template.get("Resources"):
            raise CheckFailed(f"template of {name} ({stacks[name].name}) has no Resources")
    return ", ".join(wanted)


def pre_merge_checks(
    partitions: Sequence[Partition],
    *,
    narrowed: bool = False,
    run_tests: bool = True,
    root: Path = PROJECT_ROOT,
    bin_dir: Path = VENV_BIN,
    runner: Runner = run_command,
    progress: Progress | None = None,
) -> list[CheckResult]:
    """The gates in order; each is a row, and a failing one does not stop the next."""
    gates: list[tuple[Gate, Callable[[Gate], str]]] = [
        (gate, lambda g: _run_gate(g, root, runner)) for gate in lint_gates(root, bin_dir)
    ]
    if run_tests:
        gates.append((TEST_SUITE, lambda g: _run_gate(g, root, runner)))
    gates.append((synth_gate(partitions, narrowed), lambda g: _check_synth(g, partitions, root, runner)))
    results = []
    for gate, check in gates:
        if progress is not None:
            progress(f"running {gate.name}: {gate.display()}")
        results.append(run_check(gate.name, functools.partial(check, gate)))
    return results

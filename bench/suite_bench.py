"""Test-suite benchmark: the full `./scripts/test` on a fresh clone, then the quick loop
(`./scripts/test --quick`), each with its five slowest tests.

The fresh clone is this checkout's HEAD after set-up: it borrows this checkout's installed
toolchains (`.venv`, `node_modules`, symlinked, as set-up would leave them) but has no mypy
cache, no byte-code of the project and no `cdk.out`. The quick loop then runs in that clone.
A regression shows as a number here, never as a timed test. Run: `python -m bench.suite_bench`
after `./scripts/synth` has set up this checkout (about five minutes on two cores).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from platform_lib.context_store import PROJECT_ROOT

TOOLCHAINS = (".venv", "node_modules")
SLOWEST = 5
# What the issues asked on the two-core machine: the full suite at or under three minutes on a
# fresh clone, the quick loop within a minute.
FULL_TARGET_SECONDS = 180.0
QUICK_TARGET_SECONDS = 60.0
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)s (call|setup|teardown)\s+(\S+)")
_PASSED = re.compile(r"(\d+) passed")


@dataclass(frozen=True)
class SuiteRun:
    seconds: float
    returncode: int
    passed: int
    slowest: list[tuple[float, str, str]]
    tail: str


def fresh_clone(destination: Path) -> Path:
    """HEAD of this checkout, cloned, with the installed toolchains linked in."""
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(PROJECT_ROOT), str(destination)], check=True
    )
    for toolchain in TOOLCHAINS:
        source = PROJECT_ROOT / toolchain
        if not source.exists():
            sys.exit(f"error: {source} is missing; run ./scripts/synth once to set up this checkout")
        (destination / toolchain).symlink_to(source)
    return destination


def run_suite(clone: Path, *selection: str) -> SuiteRun:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    started = time.perf_counter()
    result = subprocess.run(
        ["./scripts/test", *selection, "-q", f"--durations={SLOWEST}"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    slowest = [
        (float(m.group(1)), m.group(2), m.group(3))
        for m in map(_DURATION.match, result.stdout.splitlines())
        if m is not None
    ]
    passed = _PASSED.search(result.stdout.splitlines()[-1] if result.stdout else "")
    return SuiteRun(
        seconds=seconds,
        returncode=result.returncode,
        passed=int(passed.group(1)) if passed else 0,
        slowest=slowest[:SLOWEST],
        tail=(result.stdout + result.stderr)[-2000:],
    )


def _report(label: str, run: SuiteRun, target: float) -> None:
    verdict = "within" if run.seconds <= target else "OVER"
    print(
        f"{label:<5} {run.seconds:7.1f} s  ({run.passed} passed, exit {run.returncode}; "
        f"target {target:.0f} s: {verdict})"
    )
    for seconds, phase, test in run.slowest:
        print(f"        {seconds:6.1f} s {phase:<8} {test}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the clone and print where it is")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="suite-bench-"))
    try:
        clone = fresh_clone(folder / "clone")
        print(f"suite benchmark on {os.cpu_count()} CPUs; HEAD cloned to {clone}")
        full = run_suite(clone)
        _report("full", full, FULL_TARGET_SECONDS)
        quick = run_suite(clone, "--quick")
        _report("quick", quick, QUICK_TARGET_SECONDS)
        for run in (full, quick):
            if run.returncode != 0:
                print(run.tail, file=sys.stderr)
                return 1
        return 0
    finally:
        if args.keep:
            print(f"clone kept at {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Set-up's jsii warm-up (scripts/warm-jsii-package-cache.py, ADR-0024): it indexes the
packages it loads, and a broken toolchain is one line naming the fix, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from platform_lib.context_store import PROJECT_ROOT
from tests.support.amm_workspace import jsii_package_cache_root

WARM = PROJECT_ROOT / "scripts" / "warm-jsii-package-cache.py"
INDEX = ".jsii.runtime.v1.json"


def _warm(cache: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(WARM)],
        env={**os.environ, "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(cache), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_set_up_cache_has_every_loaded_package_indexed() -> None:
    """The cache set-up warmed (the one this session's synths use): a warm-up finds nothing
    left to do, and aws-cdk-lib, constructs and cdk-nag each carry their index."""
    cache = Path(jsii_package_cache_root())
    indexed = {p.relative_to(cache).parts[0] for p in cache.glob(f"**/{INDEX}")}
    assert indexed >= {"aws-cdk-lib", "constructs", "cdk-nag"}, (
        f"{cache} is not indexed: run ./scripts/test once, whose set-up warms it"
    )
    result = _warm(cache)
    assert (result.returncode, result.stderr) == (0, "")


def test_a_node_that_cannot_start_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    result = _warm(tmp_path, JSII_NODE=str(tmp_path / "no-node"))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("setup: error: cannot load aws-cdk-lib with node 24 (")
    assert result.stderr.rstrip().endswith("delete .venv and node_modules and re-run to reinstall them")


def test_a_venv_whose_python_no_longer_runs_is_rebuilt_with_one_line(tmp_path: Path) -> None:
    """A runner image that moved its Python leaves `.venv/bin/python` dangling while the venv's
    stamp still matches: set-up says so in one line and builds a working venv instead of
    letting a synth die later with `.venv/bin/python: not found`. (A scratch project with
    nothing to install, so the rebuild is offline and quick; node and jsii already set up.)"""
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    (project / "scripts" / "env.sh").write_text((PROJECT_ROOT / "scripts" / "env.sh").read_text())
    for name in ("requirements.txt", "requirements-dev.txt"):
        (project / name).write_text("# nothing to install\n")
    for name in ("package.json", "package-lock.json"):
        (project / name).write_text("{}\n")
    (project / "node_modules" / ".bin").mkdir(parents=True)
    (project / "node_modules" / ".bin" / "node").symlink_to(PROJECT_ROOT / "node_modules" / ".bin" / "node")
    cache = tmp_path / "jsii-cache"
    cache.mkdir()

    def stamp(*names: str) -> str:
        return subprocess.run(
            ["bash", "-c", 'cat "$@" | sha256sum | cut -d" " -f1', "stamp", *names],
            cwd=project,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    (project / "node_modules" / ".lock.sha256").write_text(stamp("package.json", "package-lock.json") + "\n")
    (cache / ".warm.sha256").write_text(stamp("requirements.txt", "requirements-dev.txt") + "\n")
    venv = project / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (venv / ".requirements.sha256").write_text(stamp("requirements.txt", "requirements-dev.txt") + "\n")
    for python in (venv / "bin").glob("python*"):
        python.unlink()
        python.symlink_to(tmp_path / "a-python-that-went-away")

    result = subprocess.run(
        ["bash", "-c", "source scripts/env.sh && .venv/bin/python -c 'import sys; print(sys.prefix)'"],
        cwd=project,
        env={**os.environ, "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(cache)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "setup: .venv's Python does not run any more (its interpreter moved or went); rebuilding .venv"
    )
    assert result.stdout.strip() == str(venv)

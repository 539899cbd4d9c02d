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
    assert result.stderr.startswith("setup: error: cannot load aws-cdk-lib with node 22 (")
    assert result.stderr.rstrip().endswith("delete .venv and node_modules and re-run to reinstall them")

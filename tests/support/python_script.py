"""Running a few lines of Python as its own process, from the project root (for what only a
whole process shows: its exit code, its streams, its signal handling)."""

from __future__ import annotations

import subprocess
import sys

from platform_lib.context_store import PROJECT_ROOT


def run_python(code: str, *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )

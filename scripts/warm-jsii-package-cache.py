"""Unpack the jsii packages the app loads and let jsii finish their type index (setup step).

jsii keeps unpacked packages in a cache (JSII_RUNTIME_PACKAGE_CACHE_ROOT, which
`scripts/env.sh` points into `.venv/`). The first process that loads a package starts a
background worker that writes a compact type index next to it; every later process that
finds the index skips parsing the package's whole assembly (aws-cdk-lib's is 8 MB
compressed), about 2 s of CPU per synth. A `cdk synth` exits long before that worker is
done, so without this step the index is never written and every synth pays the full
parse. This script imports the app's jsii packages and waits until each unpacked package
has its index, bounded in time: the index is an optimisation, so running out of time (say a
jsii release that names the file differently) prints a note and changes nothing else.

Run by `scripts/env.sh` after installing the Python dependencies; exit status 0 unless the
packages themselves cannot be loaded (one line naming the fix, 1).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

# The index file jsii's runtime writes beside an unpacked package, and the marker it touches
# whenever a process uses that package (jsii 1.142's names).
INDEX_FILE = ".jsii.runtime.v1.json"
USE_MARKER = ".jsii-runtime-package-cache"
BOUND_SECONDS = 60.0
POLL_SECONDS = 0.2


def _unindexed(root: Path, since: float) -> list[Path]:
    """Packages this process loaded (marker touched since `since`) that have no index yet;
    versions left behind by an older lock file are not waited for."""
    waiting = []
    for spec in root.glob("**/.jsii"):
        package = spec.parent
        try:
            used = (package / USE_MARKER).stat().st_mtime >= since
        except OSError:
            used = False
        if used and not (package / INDEX_FILE).exists():
            waiting.append(package)
    return waiting


def _interrupted(signum: int, frame: object) -> None:
    # Ctrl-C reaches jsii's node child too, whose death would otherwise read as a broken install.
    print("setup: interrupted; the next command finishes this step", file=sys.stderr, flush=True)
    os._exit(128 + signum)


def _kill_descendants() -> None:
    """SIGKILL jsii's node processes (children and theirs), found through /proc's parent ids."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.parent.name))
    pending = list(children.get(os.getpid(), []))
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, []))
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _load_timed_out(signum: int, frame: object) -> None:
    # jsii waits forever when it cannot use its package cache (an unwritable folder, say).
    root = os.environ.get("JSII_RUNTIME_PACKAGE_CACHE_ROOT", "")
    print(
        f"setup: error: jsii did not load aws-cdk-lib within {BOUND_SECONDS:.0f} s; check that "
        f"JSII_RUNTIME_PACKAGE_CACHE_ROOT ({root}) is a writable folder, or unset it",
        file=sys.stderr,
        flush=True,
    )
    _kill_descendants()  # a jsii that cannot use its cache spins on
    os._exit(1)


def main() -> int:
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGALRM, _load_timed_out)
    if os.environ.get("JSII_RUNTIME_PACKAGE_CACHE", "").lower() == "disabled":
        return 0  # the operator turned jsii's cache off: nothing to warm
    root = Path(os.environ["JSII_RUNTIME_PACKAGE_CACHE_ROOT"])
    started = time.monotonic()
    since = time.time() - 2.0  # file times may lag the clock a little
    signal.alarm(int(BOUND_SECONDS))
    try:
        import aws_cdk  # noqa: F401  (loading the packages starts jsii's index workers)
        import cdk_nag  # noqa: F401
    except Exception as exc:  # any failure here means a broken install
        print(
            f"setup: error: cannot load aws-cdk-lib with node 24 ({type(exc).__name__}: {exc}); "
            "delete .venv and node_modules and re-run to reinstall them",
            file=sys.stderr,
            flush=True,
        )
        os._exit(1)  # not sys.exit: jsii's half-started kernel would print a traceback at exit
    signal.alarm(0)

    while time.monotonic() - started < BOUND_SECONDS:
        if not _unindexed(root, since):
            return 0
        time.sleep(POLL_SECONDS)
    missing = ", ".join(sorted(str(p.relative_to(root)) for p in _unindexed(root, since)))
    print(
        f"setup: note: jsii wrote no type index for {missing} within {BOUND_SECONDS:.0f} s; "
        "synths still work, each parsing the whole assembly",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Synth benchmark: the full app against an empty CDK app, on the same node.

The empty app is the floor (Python, jsii and node start-up); the ratio says what our
stacks cost on top. Prints both wall times, their ratio and the peak memory of each
process tree. Run: `python -m bench.synth_bench [--runs N]` after `source scripts/env.sh`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from platform_lib.context_store import PROJECT_ROOT

EMPTY_APP = "import aws_cdk as cdk\napp = cdk.App()\napp.synth()\n"
# The empty app with aws-cdk-lib's built-in validator off, as the full app runs: printed so
# the reader sees how much of the floor that validator is.
EMPTY_APP_NO_BUILTIN = (
    "import aws_cdk as cdk\napp = cdk.App(builtin_cloud_formation_validation=False)\napp.synth()\n"
)
RATIO_TARGET = 1.5
MEMORY_TARGET_MIB = 1024


def _tree_rss_kib(root_pid: int) -> int:
    """Sum of VmRSS over `root_pid` and its descendants (read from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid, ppid = int(entry), int(fields["PPid"])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak MiB of the process tree running `argv`."""
    peak = 0
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    returncode = process.wait()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if returncode != 0:
        raise SystemExit(f"error: {' '.join(argv)} exited {returncode}")
    return elapsed, peak / 1024


def cli_context() -> str:
    context = dict(json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"])
    context.update(json.loads((PROJECT_ROOT / "cdk.context.json").read_text()))
    return json.dumps(context)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each app; the median is reported")
    args = parser.parse_args()
    node = PROJECT_ROOT / "node_modules" / ".bin" / "node"
    if not node.exists():
        print("error: node 24 not installed; run scripts/synth once first", file=sys.stderr)
        return 2
    results: dict[str, list[tuple[float, float]]] = {"full": [], "empty": [], "bare": []}
    with tempfile.TemporaryDirectory() as tmp:
        empty_app = Path(tmp) / "empty_app.py"
        empty_app.write_text(EMPTY_APP)
        bare_app = Path(tmp) / "bare_app.py"
        bare_app.write_text(EMPTY_APP_NO_BUILTIN)
        apps = (("full", PROJECT_ROOT / "app.py"), ("empty", empty_app), ("bare", bare_app))
        for run in range(args.runs):
            for name, script in apps:
                outdir = Path(tmp) / f"{name}-{run}"
                env = {
                    **os.environ,
                    "JSII_NODE": str(node),
                    "CDK_OUTDIR": str(outdir),
                    "CDK_CONTEXT_JSON": cli_context() if name == "full" else "{}",
                }
                results[name].append(measure([sys.executable, str(script)], env))
    full_s, empty_s, bare_s = (
        sorted(r[0] for r in results[n])[args.runs // 2] for n in ("full", "empty", "bare")
    )
    full_mib = max(r[1] for r in results["full"])
    empty_mib = max(r[1] for r in results["empty"])
    ratio = full_s / empty_s
    print(
        f"node: {subprocess.run([str(node), '--version'], capture_output=True, text=True, check=True).stdout.strip()}"
    )
    print(f"runs: {args.runs} each (median wall time, max peak memory)")
    print(f"full app synth (5 stacks): {full_s:6.2f} s   peak {full_mib:6.0f} MiB")
    print(f"empty app synth:           {empty_s:6.2f} s   peak {empty_mib:6.0f} MiB")
    print(
        f"empty app, built-in CloudFormation validator off: {bare_s:.2f} s (full/this {full_s / bare_s:.2f})"
    )
    print(
        f"ratio full/empty:          {ratio:6.2f}     target <= {RATIO_TARGET}: {'met' if ratio <= RATIO_TARGET else 'MISSED'}"
    )
    print(
        f"peak memory (full):        {full_mib:6.0f} MiB target < {MEMORY_TARGET_MIB}: "
        f"{'met' if full_mib < MEMORY_TARGET_MIB else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Pre-deploy CLI benchmark: HTTP calls and wall time, first run and re-run.

The CLI runs as the operator runs it (`python -m tools.register_partition_mail_signature`,
a fresh interpreter each time) against the Postmark simulator, which delays every answer by
100 ms. Targets: first run <= 3 calls, re-run <= 2 calls, and wall time no more than 0.5 s
above calls x latency (so start-up, which must not import CDK, stays small).
Run: `python -m bench.predeploy_bench`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from platform_lib.context_store import PROJECT_ROOT
from tests.support.postmark_simulator import PostmarkSimulator

TOKEN = "bench-account-token"  # noqa: S105 (a simulator credential)
CALL_TARGETS = {"first run": 3, "re-run": 2}
OVERHEAD_BUDGET_SECONDS = 0.5


def cdk_imported() -> bool:
    probe = "import sys, tools.register_partition_mail_signature; print('aws_cdk' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.strip() == "True"


def run_once(postmark: PostmarkSimulator, context_file: Path) -> tuple[int, float]:
    before = len(postmark.exchanges)
    env = {**os.environ, "POSTMARK_API_URL": postmark.url, "POSTMARK_ACCOUNT_TOKEN": TOKEN}
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.register_partition_mail_signature",
            "Alpha002",
            "dev",
            "--context-file",
            str(context_file),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return len(postmark.exchanges) - before, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every Postmark answer")
    args = parser.parse_args()
    ok = True
    print(f"CDK imported by the CLI: {'yes (BAD)' if cdk_imported() else 'no'}")
    with tempfile.TemporaryDirectory() as tmp, PostmarkSimulator({TOKEN: "PostmarkNonProd"}) as postmark:
        context_file = Path(tmp) / "cdk.context.json"
        context_file.write_bytes((PROJECT_ROOT / "cdk.context.json").read_bytes())
        postmark.latency = args.latency
        print(f"{'run':<10} {'calls':>5} {'target':>6} {'wall s':>7} {'budget s':>8}")
        for label, target in CALL_TARGETS.items():
            calls, wall = run_once(postmark, context_file)
            budget = calls * args.latency + OVERHEAD_BUDGET_SECONDS
            met = calls <= target and wall <= budget
            ok = ok and met
            print(
                f"{label:<10} {calls:>5} {target:>6} {wall:>7.2f} {budget:>8.2f}  {'met' if met else 'MISSED'}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Running a flow for real: the token-free run log around it, the lines every run starts
with, and the summary it ends with - the same for `amm.sh` and the corporate CLI."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from tools.cli.run_log import RunLog
from tools.operator.flow import Flow, Operation


def run_log_path(folder: Path, tool: str, *names: str) -> Path:
    """`{folder}/{tool}-{UTC time}-{pid}[-{name}…].log`: one file per run, never shared."""
    suffix = "".join(f"-{name}" for name in names if name)
    return folder / f"{tool}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}{suffix}.log"


def execute(
    op: Operation, flow: Flow, *, log_path: Path, started: str, summary: Callable[[Operation, int], None]
) -> int:
    """Open the run log (an unusable one is a usage error, before anything changes), say what
    the run is, run the flow, summarize; the log is closed however the run ends."""
    op.log = RunLog(log_path).open()
    op.outputs_file = log_path.with_suffix(".outputs.json")
    try:
        op.log.say(f"{started}; log: {op.log.path}")
        for line in _opening_lines(op):
            op.log.say(line)
        code = flow.run(op)
        summary(op, code)
        return code
    finally:
        op.log.close()


def _opening_lines(op: Operation) -> Sequence[str]:
    lines = []  # a non-default Postmark is said once, by the flow's first step
    if op.assume_yes:
        lines.append("--yes given: typed confirmations are skipped (diffs are still shown)")
    if op.skip_cascade is not None:
        lines.append(f"--skip-cascade given: {op.skip_cascade}")
    return lines

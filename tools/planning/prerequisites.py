"""The operator tasks the planning documents name and no tool can do (T-O1, T-O4): the plan
shows them as reminders on the first partition's row until the operator records them done.

`./amm.sh plan --done T-O1` records one: a line in a run log of its own
(`{AMM_LOG_DIR}/plan-{time}-{pid}-done.log`). The plan finds the records again in those
logs - at most `MAX_LOGS` files, the first `MAX_LOG_BYTES` of each - so a record lives
where the operator's other run logs live (another clone, another machine: record it there
too).
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass
from pathlib import Path

from tools.cli.contract import UsageError
from tools.cli.run_log import RunLog
from tools.operator.runner import run_log_path
from tools.runtime.text import printable

MAX_LOGS = 500
MAX_LOG_BYTES = 64 * 1024
# The whole record line as record_done writes it (anchored: nothing else on a line can pose as one).
RECORD = re.compile(r"^\[\d\d:\d\d:\d\d\] prerequisite (T-O\d+) recorded done by ", re.MULTILINE)


@dataclass(frozen=True)
class Prerequisite:
    id: str
    task: str
    confirm: str  # how the operator confirms it is done


PREREQUISITES = (
    Prerequisite(
        "T-O1",
        "the DMARC report mailbox dmarc-reports@arda.cards receives mail",
        "send a test message to dmarc-reports@arda.cards and see it arrive (see the runbook's prerequisites)",
    ),
    Prerequisite(
        "T-O4",
        "the non-production Postmark account (PostmarkNonProd) is approved for sending",
        "Postmark's account page shows it approved, not in test mode (see the runbook's prerequisites)",
    ),
)
BY_ID = {p.id: p for p in PREREQUISITES}


def recorded_done(log_dir: Path) -> set[str]:
    """The ids recorded done in the plan's own run logs (bounded in count and size)."""
    done: set[str] = set()
    if not log_dir.is_dir():
        return done
    for path in sorted(log_dir.glob("plan-*-done.log"))[-MAX_LOGS:]:
        try:
            with path.open("rb") as handle:
                text = handle.read(MAX_LOG_BYTES).decode("utf-8", "replace")
        except OSError:
            continue
        done.update(match.group(1) for match in RECORD.finditer(text))
    return done


def _who() -> str:
    """The operator, as one printable word (a container user may have no passwd entry)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid {os.getuid()}"
    return printable(user)[:64] or f"uid {os.getuid()}"


def record_done(log_dir: Path, task_id: str) -> Path:
    """Write the record; UsageError for an unknown id (before anything is written)."""
    prerequisite = BY_ID.get(task_id)
    if prerequisite is None:
        raise UsageError(f"unknown operator task {task_id!r}; the tasks are {', '.join(BY_ID)}")
    log = RunLog(run_log_path(log_dir, "plan", "done")).open()
    try:
        log.say(f"prerequisite {prerequisite.id} recorded done by {_who()}: {prerequisite.task}")
    finally:
        log.close()
    assert log.path is not None
    return log.path

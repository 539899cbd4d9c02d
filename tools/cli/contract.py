"""The contract every command keeps: the exit statuses it ends with and the error it stops with.

An `OperatorError` is one line for the operator (`str()`), the exit status the command ends
with, and the lines that show why or what to do (a template diff, cleanup commands). Every
outside party's error is one (`PostmarkError`, `OpError`, `GitHubError`, `AwsProblem`, …), so
`tools.cli.entry.exit_status` turns any of them into its line and its status in one place.
This module imports nothing of the project: every package may depend on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    FAILED = 1  # a gate, step or check failed; drift was found
    USAGE = 2  # bad usage or an unusable setting; nothing was changed
    NOT_CHECKED = 3  # nothing failed, but a probe could not answer: the state is unknown
    HANGUP = 129  # SIGHUP: the terminal closed
    INTERRUPTED = 130  # Ctrl-C
    TERMINATED = 143  # SIGTERM


class PlanStatus(IntEnum):
    """`./amm.sh plan` ends like `terraform plan -detailed-exitcode`, so a script can tell
    "nothing to do" from "something to do" from "could not tell"; a usage error is 1 there."""

    NOTHING_TO_DO = 0
    COULD_NOT_PLAN = 1
    PENDING = 2  # a deploy, a verification or an operator task is waiting


class OperatorError(Exception):
    """Stops the command (or the partition) with one line, an exit status and detail lines."""

    code: ExitStatus | int = ExitStatus.FAILED

    def __init__(
        self, message: str, code: ExitStatus | int | None = None, details: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.details = list(details)


class UsageError(OperatorError):
    """Bad usage or an unusable setting, found before anything changed."""

    code = ExitStatus.USAGE

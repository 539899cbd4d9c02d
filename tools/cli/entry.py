"""How every operator tool starts and ends: redacted output, one line on a signal, exit codes.

`run_tool(main)` installs the redacting logger and turns SIGTERM (`kill`) and SIGHUP (the
terminal closed) into the same orderly stop as Ctrl-C: the exception unwinds through every
`finally`, so children's process groups are ended (`op`, the CDK CLI) and a file being
written is removed before it replaces anything. The tool then says one line and exits 130
(Ctrl-C), 143 (SIGTERM) or 129 (SIGHUP) instead of dying silently or with a traceback.
Files are written atomically, so an interrupted run leaves each either complete or
untouched, and no temporary file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import NoReturn

from tools.secrets import logger

EXIT_INTERRUPTED = 130
EXIT_HANGUP = 129
EXIT_TERMINATED = 143
_SIGNALS = {signal.SIGTERM: ("terminated", EXIT_TERMINATED), signal.SIGHUP: ("hung up", EXIT_HANGUP)}


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived; unwinds like KeyboardInterrupt so `finally` blocks clean up."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _during_cleanup(signum: int, frame: FrameType | None) -> None:
    """A second TERM, HUP or Ctrl-C while the first one's clean-up runs: noted by doing
    nothing (SIG_IGN would make Python report a signal already pending as an error)."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    for other in (*_SIGNALS, signal.SIGINT):  # the clean-up the first signal starts must finish
        signal.signal(other, _during_cleanup)
    raise Terminated(signum)


def _say(message: str) -> None:
    """The last line; the terminal may be gone (SIGHUP), which must not become a traceback."""
    with contextlib.suppress(OSError, ValueError):
        logger.error(message)


def _exit(code: int) -> NoReturn:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        os._exit(code)  # the streams are gone: exit without the interpreter's flush failing again
    sys.exit(code)


def run_tool(main: Callable[[], int]) -> NoReturn:
    logger.install()
    for signum in _SIGNALS:
        signal.signal(signum, _on_signal)
    try:
        code = main()
    except KeyboardInterrupt:
        _say("interrupted; every file is complete or untouched; re-run to finish")
        code = EXIT_INTERRUPTED
    except Terminated as stop:
        what, code = _SIGNALS.get(signal.Signals(stop.signum), ("terminated", EXIT_TERMINATED))
        _say(f"{what}; every file is complete or untouched; re-run to finish")
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno() if sys.__stdout__ else 1)
        code = 1
    _exit(code)

"""How every operator tool starts and ends: redacted output, one line per error, exit codes.

`exit_status(work)` is the one place an error becomes a line and a code: an `OperatorError`
(every outside party's error is one) prints its line (`error: …`, or `{prefix}: error: …`)
and its detail lines and gives its status; a registry or input error from `platform_lib`
is a usage error; `--help` and argparse's own exits give their status. `run_tool(main)`
installs the redacting logger and turns SIGTERM (`kill`) and SIGHUP (the
terminal closed) into the same orderly stop as Ctrl-C: the exception unwinds through every
`finally`, so children's process groups are ended (`op`, the CDK CLI) and a file being
written is removed before it replaces anything. The tool then says one line and exits 130
(Ctrl-C), 143 (SIGTERM) or 129 (SIGHUP) instead of dying silently or with a traceback.
Files are written atomically, so an interrupted run leaves each either complete or
untouched, and no temporary file.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import NoReturn

from platform_lib.errors import PlatformError
from tools.cli.contract import ExitStatus, OperatorError, UsageError
from tools.runtime import signals
from tools.secrets import logger

_SIGNALS = {
    signal.SIGTERM: ("terminated", ExitStatus.TERMINATED),
    signal.SIGHUP: ("hung up", ExitStatus.HANGUP),
}


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived; unwinds like KeyboardInterrupt so `finally` blocks clean up."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _during_cleanup(signum: int, frame: FrameType | None) -> None:
    """A second TERM, HUP or Ctrl-C while the first one's clean-up runs: noted by doing
    nothing (SIG_IGN would make Python report a signal already pending as an error)."""


def _stop(signum: int) -> None:
    """The orderly stop: KeyboardInterrupt for Ctrl-C, Terminated for TERM and HUP."""
    for other in (*_SIGNALS, signal.SIGINT):  # the clean-up the first signal starts must finish
        signal.signal(other, _during_cleanup)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


_finishing: list[bool] = []  # set once the tool exits: a signal then changes nothing


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _finishing:
        return
    if signals.defer(signum):  # a child is being started: stop once it is known to the clean-up
        return
    _stop(signum)


def _unraisable(hook: sys.UnraisableHookArgs) -> None:
    """A stop raised while Python runs a finaliser (an HTTP pool closing) cannot unwind the
    tool, and Python would print "Exception ignored" and carry on: it is kept instead, and the
    tool stops where it next starts a step, a child or a line (and when its work returns)."""
    if not isinstance(hook.exc_value, KeyboardInterrupt | Terminated):
        sys.__unraisablehook__(hook)
    elif not _finishing:  # once exiting, a signal changes nothing
        signals.dropped(
            signal.SIGINT if isinstance(hook.exc_value, KeyboardInterrupt) else hook.exc_value.signum
        )


def report(error: OperatorError, prefix: str = "") -> None:
    """The error's one line on stderr, then its detail lines (both redacted and escaped)."""
    logger.error(str(error), prefix=prefix)
    for line in error.details:
        logger.detail(line)


def exit_status(work: Callable[[], int | None], *, prefix: str = "") -> int:
    """Run a command's body; whatever stops it becomes one line and an exit status here."""
    try:
        result = work()
    except OperatorError as error:
        report(error, prefix)
        return int(error.code)
    except PlatformError as error:  # a registry, placement or context-block input problem
        report(UsageError(str(error)), prefix)
        return int(ExitStatus.USAGE)
    except SystemExit as finished:  # argparse's --help (0)
        return finished.code if isinstance(finished.code, int) else int(ExitStatus.USAGE)
    return int(ExitStatus.OK if result is None else result)


def _say(message: str) -> None:
    """The last line; the terminal may be gone (SIGHUP), which must not become a traceback."""
    with contextlib.suppress(OSError, ValueError):
        logger.error(message)


def _flush() -> None:
    """Flush our output; a terminal that is gone (hung up, closed) gets /dev/null instead,
    so nothing later (exit handlers, the interpreter's own flush) fails on it again."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            os.dup2(null, fd)
        os.close(null)


def _exit(code: int) -> NoReturn:
    """Flush, run the exit handlers (children's groups ended, logging flushed) and leave with
    `code`. A signal from here on changes nothing, and the interpreter's own shutdown is
    skipped: it puts the default signal actions back, so a signal arriving then would end the
    process with that signal's status, silently, instead of `code`."""
    _finishing.append(True)  # from here a signal changes nothing (not masked: children inherit masks)
    _flush()
    with contextlib.suppress(Exception):
        atexit._run_exitfuncs()
    with contextlib.suppress(OSError, ValueError):
        _flush()
    os._exit(code)


def run_tool(main: Callable[[], int]) -> NoReturn:
    """The process around a command: redacting streams, signals as orderly stops, the exit."""
    logger.install()
    signals.install(_stop)
    sys.unraisablehook = _unraisable
    try:  # the handlers go in inside it, so no signal finds the tool outside its stops
        for signum in (*_SIGNALS, signal.SIGINT):
            signal.signal(signum, _on_signal)
        code = main()
        signals.stop_if_dropped()  # a signal came while a finaliser ran, after the last step
    except KeyboardInterrupt:
        _say("interrupted; every file is complete or untouched; re-run to finish")
        code = ExitStatus.INTERRUPTED
    except Terminated as stop:
        what, code = _SIGNALS.get(signal.Signals(stop.signum), ("terminated", ExitStatus.TERMINATED))
        _say(f"{what}; every file is complete or untouched; re-run to finish")
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`): _exit's flush copes
        code = ExitStatus.FAILED
    _exit(int(code))

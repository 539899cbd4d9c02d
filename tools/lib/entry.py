"""How every operator tool starts and ends: redacted output, one line on Ctrl-C, exit codes.

`run_tool(main)` installs the redacting logger, turns SIGTERM into the same orderly stop as
Ctrl-C, and maps an interruption to one line and exit 130 (143 for SIGTERM) instead of a
traceback. Files are written atomically, so an interrupted run leaves each either complete
or untouched, and no temporary file.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import NoReturn

from tools.lib import logger

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(BaseException):
    """SIGTERM arrived; unwinds like KeyboardInterrupt so `finally` blocks clean up."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def run_tool(main: Callable[[], int]) -> NoReturn:
    logger.install()
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        code = main()
    except KeyboardInterrupt:
        logger.error("interrupted; every file is complete or untouched; re-run to finish")
        code = EXIT_INTERRUPTED
    except Terminated:
        logger.error("terminated; every file is complete or untouched; re-run to finish")
        code = EXIT_TERMINATED
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno() if sys.__stdout__ else 1)
        code = 1
    sys.exit(code)

"""Waits with a total time limit, and stopping a child with everything it started.

`within(work, seconds)` runs `work` in a daemon thread and gives up at the limit: a socket
timeout bounds only the gap between bytes, so a server that drips one byte at a time would
otherwise hold a call for ever. The abandoned thread ends on its own socket timeout.

`kill_process_group(process)` stops a child started with `start_new_session=True` together
with every process it started (a CLI's own children would otherwise outlive it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class TimedOut(Exception):
    """`within` gave up at its limit."""


def within(work: Callable[[], T], seconds: float, name: str = "bounded-call") -> T:
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, daemon=True, name=name).start()
    if not done.wait(seconds):
        raise TimedOut
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def kill_process_group(process: subprocess.Popen[Any]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    process.wait()

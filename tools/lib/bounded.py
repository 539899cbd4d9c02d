"""Waits with a total time limit, and text from outside made safe to print.

`within(work, seconds)` runs `work` in a daemon thread and gives up at the limit: a socket
timeout bounds only the gap between bytes, so a server that drips one byte at a time would
otherwise hold a call for ever. The abandoned thread ends on its own socket timeout.

`kill_process_group(process)` stops a child started with `start_new_session=True` together
with every process it started (a CLI's own children would otherwise outlive it).

`printable(text)` escapes what a terminal would act on (control characters, lone
surrogates, bidirectional overrides) so a hostile answer cannot clear the screen, hide an
error line or crash the output encoder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


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


def unprintable(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn") or char in _BIDI_CONTROLS


def printable(text: str) -> str:
    """`text` with every control, surrogate or bidi-override character as a `\\x..` escape."""
    if not any(unprintable(char) for char in text):
        return text
    return "".join(
        f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" if unprintable(c) else c for c in text
    )

"""Waits with a total time limit, and stopping a child with everything it started.

`within(work, seconds)` runs `work` in a daemon thread and gives up at the limit: a socket
timeout bounds only the gap between bytes, so a server that drips one byte at a time would
otherwise hold a call for ever. The abandoned thread ends on its own socket timeout.

`kill_process_group(process)` stops a child started with `start_new_session=True` together
with every process it started (a CLI's own children would otherwise outlive it).
`run_bounded(argv, timeout, limit)` runs a CLI (`op`, `kubectl`) for its output, bounded in
time and size, so a hung or chatty one never holds a tool.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from tools.runtime.signals import deferred, stop_if_dropped

T = TypeVar("T")
_RUNNING: set[subprocess.Popen[bytes]] = set()  # every started child not yet stopped or done
_STARTING = threading.Lock()  # held while a child starts and is recorded, and while exiting
_CLOSING = threading.Event()  # the process is exiting: no new child


class Exiting(Exception):
    """`run_bounded` was asked to start a child while the process exits."""


@atexit.register
def _stop_running_children() -> None:
    """At exit (a deadline passed, a signal), children still running on abandoned threads are
    stopped with everything they started rather than left behind; a thread that would start
    another one now is refused (it waits for the lock, then sees the process closing)."""
    with _STARTING:
        _CLOSING.set()
        running = list(_RUNNING)
    for process in running:
        kill_process_group(process)


EXITED_GRACE_SECONDS = 0.5  # output still in flight once a child has exited


class TimedOut(Exception):
    """`within` gave up at its limit."""


class Background(Generic[T]):
    """Work on a daemon thread, its result asked for with a time limit. Unlike a thread pool's,
    a daemon thread never holds the process open at exit: a plan past its deadline, or
    stopped by a signal, ends at once (the children it ran are stopped at exit too)."""

    def __init__(self, work: Callable[[], T], name: str = "background") -> None:
        self._box: dict[str, Any] = {}
        self._done = threading.Event()

        def run() -> None:
            try:
                self._box["value"] = work()
            except BaseException as exc:  # handed to whoever asks for the result
                self._box["error"] = exc
            finally:
                self._done.set()

        threading.Thread(target=run, daemon=True, name=name).start()

    def result(self, seconds: float) -> T:
        if not self._done.wait(max(0.0, seconds)):
            raise TimedOut
        if "error" in self._box:
            raise self._box["error"]
        value: T = self._box["value"]
        return value


def within(work: Callable[[], T], seconds: float, name: str = "bounded-call") -> T:
    return Background(work, name).result(seconds)


def kill_process_group(process: subprocess.Popen[Any]) -> None:
    """Stop `process` and everything in its group, then forget it (in that order: a signal
    between the two still finds it known to the exit clean-up)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    process.wait()
    forget_child(process)


class TooMuchOutput(Exception):
    """`run_bounded`: the child wrote more than its limit (it was stopped)."""


def start_child(
    argv: Sequence[str], *, cwd: Path | None, env: Mapping[str, str] | None, **streams: Any
) -> subprocess.Popen[bytes]:
    """A child in its own process group (so what it starts can be stopped with it), known to
    the exit clean-up before any signal can stop the run; `forget_child` once it is done.
    `streams`: Popen's stdin, stdout and stderr."""
    stop_if_dropped()  # a stop Python dropped ends the run before another child starts
    started: list[subprocess.Popen[bytes]] = []
    try:
        with deferred(), _STARTING:  # a signal or the exit now would not know the child
            if _CLOSING.is_set():
                raise Exiting(f"not starting {argv[0]}: the process is exiting")
            started.append(
                subprocess.Popen(
                    list(argv),
                    cwd=cwd,
                    env=None if env is None else dict(env),
                    start_new_session=True,
                    **streams,
                )
            )
            _RUNNING.add(started[0])
    except BaseException:
        for child in started:  # the signal held back while it started
            kill_process_group(child)
        raise
    return started[0]


def forget_child(process: subprocess.Popen[Any]) -> None:
    """The child ended or was stopped: the exit clean-up need not stop it."""
    _RUNNING.discard(process)


def run_bounded(
    argv: list[str],
    timeout: float,
    limit: int,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[int | None, bytes, bytes]:
    """(exit code, stdout, stderr) of a child that gets no input, stopped with everything
    it started at `timeout` (exit code None) or past `limit` bytes on either stream
    (TooMuchOutput); output still in flight once it exited is read for a moment only."""
    process = start_child(
        argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    out_fd, err_fd = process.stdout.fileno(), process.stderr.fileno()
    buffers = {out_fd: bytearray(), err_fd: bytearray()}
    deadline = time.monotonic() + timeout
    finished = False
    try:
        with selectors.DefaultSelector() as selector:
            for fd in buffers:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                if process.poll() is not None:
                    deadline = min(deadline, time.monotonic() + EXITED_GRACE_SECONDS)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                for key, _ in selector.select(min(remaining, 0.25)):
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        selector.unregister(key.fd)
                        continue
                    buffers[key.fd] += chunk
                    if len(buffers[key.fd]) > limit:
                        raise TooMuchOutput
        if process.poll() is None:  # its output ended; let it exit within the time left
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.0, deadline - time.monotonic()))
        code = process.poll()
        finished = code is not None
        return (code if finished else None), bytes(buffers[out_fd]), bytes(buffers[err_fd])
    finally:
        kill_process_group(process)  # also what an exited child left behind (`op`'s children)
        process.stdout.close()
        process.stderr.close()

"""A signal that arrives while a child is being started stops the run only once the child is
known to the clean-up: the child is stopped, never left running (the race a loaded machine
showed: `op` started, the pre-deploy hung up before `Popen` returned, `op` ran on)."""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.python_script import run_python
from tools.cli import child_output, entry, run_log
from tools.runtime import bounded, signals


@pytest.fixture
def orderly_stops() -> Iterator[None]:
    """The tools' own signal handling, installed as `run_tool` does, then put back."""
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    state = (signals._STATE.act, list(signals._STATE.pending), list(signals._STATE.dropped))
    signals.install(entry._stop)
    for signum in before:
        signal.signal(signum, entry._on_signal)
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
        signals._STATE.act, signals._STATE.pending, signals._STATE.dropped = (
            state  # nothing left for later tests
        )


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class _SignalledWhileStarting:
    """subprocess.Popen that, once the child runs, has `signum` sent to this process before
    it returns: the signal lands where a real one did, between the start and its record."""

    def __init__(self, signum: int, started: list[int]) -> None:
        self.signum, self.started = signum, started
        self.real = subprocess.Popen

    def __call__(self, *args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        process = self.real(*args, **kwargs)
        self.started.append(process.pid)
        os.kill(os.getpid(), self.signum)
        time.sleep(0.05)  # delivered now, inside the start, unless it is held back
        return process


@pytest.mark.parametrize(
    ("signum", "stop"),
    [
        (signal.SIGTERM, entry.Terminated),
        (signal.SIGHUP, entry.Terminated),
        (signal.SIGINT, KeyboardInterrupt),
    ],
)
def test_a_signal_while_run_bounded_starts_its_child_stops_the_child_too(
    orderly_stops: None, monkeypatch: pytest.MonkeyPatch, signum: int, stop: type[BaseException]
) -> None:
    started: list[int] = []
    monkeypatch.setattr(subprocess, "Popen", _SignalledWhileStarting(signum, started))
    with pytest.raises(stop):
        bounded.run_bounded(["sleep", "30"], 10, 1000)
    (pid,) = started
    assert not _alive(pid), "the child started before the stop was stopped with it"
    assert not bounded._RUNNING


def test_a_signal_while_a_cdk_child_starts_stops_the_child_too(
    orderly_stops: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started: list[int] = []
    monkeypatch.setattr(subprocess, "Popen", _SignalledWhileStarting(signal.SIGTERM, started))
    with pytest.raises(entry.Terminated):
        child_output.stream_child(["sleep", "30"], env=dict(os.environ), cwd=tmp_path, emit=lambda text: None)
    (pid,) = started
    assert not _alive(pid)


def test_outside_a_start_a_signal_stops_at_once(orderly_stops: None) -> None:
    with pytest.raises(entry.Terminated):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # interrupted well before this ends


def test_only_the_main_thread_holds_a_signal_back(orderly_stops: None) -> None:
    """A start on another thread (the plan's survey) neither holds back nor receives the
    main thread's stop."""
    inside, release, seen = threading.Event(), threading.Event(), []

    def other() -> None:
        try:
            with signals.deferred():
                inside.set()
                release.wait(5)
        except BaseException as exc:
            seen.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    with pytest.raises(entry.Terminated):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    release.set()
    thread.join(5)
    assert seen == []


def test_the_first_held_back_signal_decides_and_a_second_changes_nothing(orderly_stops: None) -> None:
    with pytest.raises(entry.Terminated) as stopped, signals.deferred():
        os.kill(os.getpid(), signal.SIGHUP)
        time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
    assert stopped.value.signum == signal.SIGHUP
    assert signals._STATE.pending == [] and signals._STATE.depth == 0


def test_no_child_starts_once_the_exit_clean_up_ran(monkeypatch: pytest.MonkeyPatch) -> None:
    """The exit clean-up stops the children it knows; a thread that would start another one
    afterwards (the plan's survey, abandoned at its deadline) is refused, not left running."""
    monkeypatch.setattr(bounded, "_CLOSING", threading.Event())
    bounded._stop_running_children()
    with pytest.raises(bounded.Exiting, match="not starting sleep: the process is exiting"):
        bounded.run_bounded(["sleep", "30"], 10, 1000)
    assert not bounded._RUNNING


class _Console(io.StringIO):
    """A console whose terminal went away (EIO), or whose reader did (EPIPE)."""

    def __init__(self, error: int) -> None:
        super().__init__()
        self.error = error

    def write(self, text: str) -> int:
        raise OSError(self.error, os.strerror(self.error))

    def flush(self) -> None:
        raise OSError(self.error, os.strerror(self.error))


def test_a_terminal_that_hung_up_still_leaves_the_run_log_whole(tmp_path: Path) -> None:
    """After a hang-up the screen is gone: the clean-up's lines still reach the run log and
    no write error replaces the orderly stop (a pipe whose reader left is still an error)."""
    path = tmp_path / "run.log"
    with path.open("w") as handle:
        tee = run_log._Tee(_Console(errno.EIO), run_log._LogFile(handle, path, io.StringIO()))
        tee.write("end: cdk deploy (exit 143)\n")
        tee.flush()
        broken = run_log._Tee(_Console(errno.EPIPE), run_log._LogFile(handle, path, io.StringIO()))
        with pytest.raises(BrokenPipeError):
            broken.write("more\n")
    assert path.read_text().startswith("end: cdk deploy (exit 143)\n")


def test_a_signal_that_lands_in_a_finaliser_still_stops_the_tool() -> None:
    """A stop raised while Python runs a finaliser (an HTTP pool closing) is dropped by
    Python with "Exception ignored"; the tool keeps it and stops before its next step or
    child: one line and the signal's code, not exit 0 after all its work."""
    script = textwrap.dedent(
        """
        import os, signal, time
        from tools.cli.entry import run_tool
        from tools.runtime.bounded import run_bounded

        class Pool:
            def __del__(self):
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.2)  # the handler runs here, inside the finaliser

        def main():
            Pool()
            for step in range(3):  # the work goes on: the signal must stop it, not wait for its end
                time.sleep(0.5)
                run_bounded(["true"], 10, 1000)  # the next child: the stop comes before it
                print("step", step, "done", flush=True)
            return 0

        run_tool(main)
        """
    )
    result = run_python(script)
    assert result.returncode == 143, result.stderr
    assert "step" not in result.stdout, "stopped before its next child, not when the work ended"
    assert "Exception ignored" not in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.strip().endswith("terminated; every file is complete or untouched; re-run to finish")

"""The run's voice: timestamped lines on stdout and in the run log, both redacted.

Once `RunLog.open` has run, everything the process prints - its own lines, the in-process
tools' output, a child process's output streamed line by line - goes to the console and to
the log file through the redactor, so no registered secret reaches either. `::add-mask::`
lines go to the job's own stdout only (never the log).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from tools.cli.contract import UsageError
from tools.runtime.bounded import kill_process_group
from tools.secrets import logger
from tools.secrets.outside_text import REDACTOR, outside_text


class RunLogUnavailable(UsageError):
    """The run log cannot be created; found before anything changes (a usage error)."""


class _LogFile:
    """The run log's file. A write that fails mid-run (a full disk, a file-size limit) warns
    once on the console and turns the log off: the run goes on, and the CDK child whose output
    is being logged is never stopped by its log."""

    def __init__(self, handle: TextIO, path: Path, console: TextIO) -> None:
        self._handle: TextIO | None = handle
        self._path = path
        self._console = console

    def write(self, text: str) -> None:
        if self._handle is not None:
            try:
                self._handle.write(text)
            except (OSError, ValueError) as exc:
                self._fail(exc)

    def flush(self) -> None:
        if self._handle is not None:
            try:
                self._handle.flush()
            except (OSError, ValueError) as exc:
                self._fail(exc)

    def close(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError, ValueError):
                handle.close()

    def _fail(self, exc: BaseException) -> None:
        self.close()
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        with contextlib.suppress(OSError, ValueError):
            self._console.write(
                f"warning: the run log {self._path} cannot be written any more ({why}); "
                "the run goes on, on the console only\n"
            )
            self._console.flush()


class _Tee(io.TextIOBase):
    def __init__(self, console: TextIO, log: _LogFile) -> None:
        super().__init__()
        self._console = console
        self._log = log

    def write(self, text: str) -> int:
        self._console.write(text)
        self._log.write(text)
        return len(text)

    def flush(self) -> None:
        self._console.flush()
        self._log.flush()

    def isatty(self) -> bool:
        return self._console.isatty()


def _raw(stream: TextIO) -> TextIO:
    return stream.target if isinstance(stream, logger.RedactingStream) else stream


def stamp() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S")


class RunLog:
    """`say` a line, time a `step`, `run` a child process; `path` None means console only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._file: _LogFile | None = None
        self._saved: tuple[TextIO, TextIO] | None = None

    def open(self) -> RunLog:
        logger.send_masks_to(_raw(sys.stdout))
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            except OSError as exc:
                raise RunLogUnavailable(
                    f"cannot create the run log {outside_text(str(self.path), 160)} "
                    f"({exc.strerror or type(exc).__name__}); set AMM_LOG_DIR to a folder you can write"
                ) from None
            handle = open(descriptor, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())
            self._file = _LogFile(handle, self.path, _raw(sys.stderr))
            self._saved = (sys.stdout, sys.stderr)
            tee_out: TextIO = _Tee(_raw(sys.stdout), self._file)  # type: ignore[assignment]
            tee_err: TextIO = _Tee(_raw(sys.stderr), self._file)  # type: ignore[assignment]
            sys.stdout = logger.RedactingStream(tee_out, REDACTOR)
            sys.stderr = logger.RedactingStream(tee_err, REDACTOR)
        return self

    def close(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        if self._saved is not None:
            sys.stdout, sys.stderr = self._saved
            self._saved = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def say(self, message: str) -> None:
        print(f"[{stamp()}] {message}", flush=True)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[list[int]]:
        """Log start and end of a step; the body appends its exit code to the yielded list."""
        started = time.monotonic()
        outcome: list[int] = []
        self.say(f"start: {name}")
        try:
            yield outcome
        finally:
            code = outcome[-1] if outcome else 1
            self.say(f"end: {name} (exit {code}, {time.monotonic() - started:.0f} s)")

    def run(self, name: str, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> int:
        """Run a child process as a step, its output (stderr merged) streamed through the log."""
        with self.step(name) as outcome:
            process = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                bufsize=1,
                start_new_session=True,  # its own group: stopping it stops what it started too
            )
            assert process.stdout is not None
            try:
                for line in process.stdout:
                    sys.stdout.write(line)
                    sys.stdout.flush()
                code = process.wait()
            except BaseException:  # Ctrl-C included: this process is the one the terminal signals
                kill_process_group(process)
                raise
            outcome.append(code)
        return code

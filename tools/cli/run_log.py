"""The run's voice: timestamped lines on stdout and in the run log, both redacted.

Once `RunLog.open` has run, everything the process prints - its own lines, the in-process
tools' output, a child process's output streamed line by line - goes to the console and to
the log file through the redactor, so no registered secret reaches either. `::add-mask::`
lines go to the job's own stdout only (never the log).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from tools.cli.child_output import stream_child
from tools.cli.contract import UsageError
from tools.cli.screen_line import ScreenLine
from tools.runtime import signals
from tools.runtime.text import COLUMN_MOVE, printable, terminal_text
from tools.secrets import logger
from tools.secrets.outside_text import REDACTOR, outside_text

TAIL_CHARACTERS = 8192
TICK_SECONDS = 30.0  # off a terminal, how often a long wait says it is still waiting


def _window_width(console: TextIO) -> int:
    try:
        return os.get_terminal_size(console.fileno()).columns or 80
    except (OSError, ValueError, io.UnsupportedOperation):
        return 80


def no_colour() -> bool:
    """https://no-color.org: a non-empty NO_COLOR turns colour off."""
    return bool(os.environ.get("NO_COLOR", ""))


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

    @property
    def writing(self) -> bool:
        return self._handle is not None

    def _fail(self, exc: BaseException) -> None:
        self.close()
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        with contextlib.suppress(OSError, ValueError):
            self._console.write(
                f"warning: the run log {self._path} cannot be written any more ({why}); "
                "the run goes on, on the console only\n"
            )
            self._console.flush()


@contextlib.contextmanager
def _console_gone_ignored() -> Iterator[None]:
    """A terminal that hung up (EIO) takes no more output; the run log still does, and the
    clean-up a hang-up starts must not end in a traceback for want of a screen."""
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.EIO:
            raise


class _Tee(io.TextIOBase):
    def __init__(self, console: TextIO, log: _LogFile) -> None:
        super().__init__()
        self._console = console
        self._log = log

    def write(self, text: str) -> int:
        with _console_gone_ignored():
            self._console.write(text)
        self._log.write(text)
        return len(text)

    def flush(self) -> None:
        with _console_gone_ignored():
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

    def __init__(self, path: Path | None, *, to_stderr: bool = False) -> None:
        self.path = path
        self._to_stderr = to_stderr  # without a log file: lines and progress on stderr (stdout is a report)
        self._file: _LogFile | None = None
        self._saved: tuple[TextIO, TextIO] | None = None
        self._waiting = False  # a progress line stands open on the terminal
        self._tail = ""  # the end of the last child's output (redacted), for its error message
        self._screen = ScreenLine()  # the terminal's current line as a child draws it

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

    @property
    def output_kept(self) -> str:
        """Where a step's output can be read again: above, and in the run log while it is written."""
        logged = self._file is not None and self._file.writing
        return "its output is above and in the run log" if logged else "its output is above"

    def say(self, message: str) -> None:
        self.waited()
        self._screen.new_line()  # our line ends with a line break: a child's next line starts afresh
        print(f"[{stamp()}] {message}", file=sys.stderr if self._to_stderr else sys.stdout, flush=True)

    def _console(self) -> TextIO:
        """The terminal (or whatever stdout is), without the log file behind it."""
        if self._saved is not None:
            return _raw(self._saved[0])
        return _raw(sys.stderr if self._to_stderr else sys.stdout)

    def waiting(self, message: str) -> None:
        """What a long wait is waiting for: on a terminal one line rewritten in place (the log
        file gets each update as a line); elsewhere one line per update."""
        line = REDACTOR.redact(f"[{stamp()}] {message}")
        console = self._console()
        if not console.isatty():
            if self._file is not None:
                print(line, flush=True)  # the console and the log file, through the tee
            else:
                console.write(printable(line) + "\n")
                console.flush()
            return
        self._screen.new_line()
        console.write(f"\r\x1b[K{printable(line)}")
        console.flush()
        self._waiting = True
        if self._file is not None:
            self._file.write(printable(line) + "\n")
            self._file.flush()

    def waited(self) -> None:
        """End the progress line (the next output starts on a line of its own)."""
        if self._waiting:
            self._waiting = False
            console = self._console()
            console.write("\n")
            console.flush()

    @contextlib.contextmanager
    def ticking(self, what: str, *, every: float = TICK_SECONDS) -> Iterator[None]:
        """Around a long silent wait: `what (N s)` updated each second on a terminal, or a
        line every `every` seconds elsewhere, until the body ends."""
        started, stop = time.monotonic(), threading.Event()
        interval = 1.0 if self._console().isatty() else every

        def tick() -> None:
            while not stop.wait(interval):
                self.waiting(f"{what} ({time.monotonic() - started:.0f} s)")

        ticker = threading.Thread(target=tick, daemon=True, name="progress")
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join()
            self.waited()

    def recent_output(self) -> str:
        """The end of the last child's output (redacted): what a failure message may point at."""
        return self._tail

    def _child_text(self, text: str) -> None:
        """A piece of a child's output: redacted, then its colour kept on a terminal (removed
        elsewhere and in the log file), every other control character escaped."""
        redacted = REDACTOR.redact(text)
        self._tail = (self._tail + redacted)[-TAIL_CHARACTERS:]
        console = self._console()
        colour = console.isatty() and not no_colour()
        shown = terminal_text(redacted, colour=colour)
        console.write(self._as_seen(shown) if colour else shown)  # without colour no code moves the cursor
        console.flush()
        if self._file is not None:
            self._file.write(terminal_text(redacted, colour=False))
            self._file.flush()

    def _as_seen(self, shown: str) -> str:
        """`shown`, unless a line of it, as the terminal would show it after column moves,
        reads a secret that no single piece held: then that line is redrawn redacted. Where
        the model of the line may be wrong (wide characters, a wrapping line), the column
        moves are left out: the text is shown in the order written, the order redacted."""
        out: list[str] = []
        width = _window_width(self._console())
        for index, written in enumerate(shown.split("\n")):
            if index:
                out.append("\n")
                self._screen.new_line()
            part = COLUMN_MOVE.sub("", written) if self._screen.uncertain(written, width) else written
            self._screen.feed(part)
            line = self._screen.text
            redacted = REDACTOR.redact(line) if self._screen.redrawn else line
            if redacted == line:
                out.append(part)
            else:
                out.append("\r\x1b[2K" + printable(redacted))
                self._screen.replace(redacted)
        return "".join(out)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[list[int]]:
        """Log start and end of a step; the body appends its exit code to the yielded list."""
        signals.stop_if_dropped()  # a stop Python dropped (in a finaliser) ends the run before a step
        started = time.monotonic()
        outcome: list[int] = []
        self.say(f"start: {name}")
        try:
            yield outcome
        finally:
            code = outcome[-1] if outcome else 1
            self.say(f"end: {name} (exit {code}, {time.monotonic() - started:.0f} s)")

    def run(self, name: str, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> int:
        """Run a child process as a step, its output (stderr merged) streamed through the log;
        on a terminal it runs on a pseudo-terminal (`tools.cli.child_output`)."""
        with self.step(name) as outcome:
            sys.stdout.flush()
            self._tail = ""
            code = stream_child(argv, env=env, cwd=cwd, emit=self._child_text)
            outcome.append(code)
        return code

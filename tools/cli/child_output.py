"""A child process's output, shown as it comes, and the operator's answers passed back to it.

On a terminal (our stdin and stdout both are) the child runs on a pseudo-terminal: it sees
a terminal, so the CDK CLI keeps its colours and can ask its own questions (`cdk deploy
--require-approval broadening`), and what the operator types reaches it. Anywhere else it
runs on pipes with no input: it sees no terminal, so it decorates nothing and a question it
would ask fails instead of waiting for ever.

Output is handed on in whole lines; a partial line (a prompt such as `(y/n)`) once the
child has been quiet for `IDLE_FLUSH_SECONDS` or has been writing it for
`PARTIAL_LINE_SECONDS`, and a line longer than `MAX_PENDING_CHARACTERS` in pieces of that
size. An end that could be the start of a secret (`Redactor.unsafe_tail`, in any view the
redactor reads) waits for what follows, so each piece the caller redacts holds a secret
whole however the child paces its writing.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import fcntl
import os
import selectors
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from tools.runtime.bounded import forget_child, kill_process_group, start_child
from tools.secrets.outside_text import REDACTOR

IDLE_FLUSH_SECONDS = 0.2
PARTIAL_LINE_SECONDS = 1.0  # a partial line written steadily is shown after this long anyway
EXITED_GRACE_SECONDS = 2.0  # once the child exited, what it left running may write this long more
MAX_PENDING_CHARACTERS = 64 * 1024
READ_BYTES = 65536


def on_a_terminal() -> bool:
    """Our operator is at a terminal: both what we read and what we write are one."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _window_size() -> bytes | None:
    with contextlib.suppress(OSError):
        return fcntl.ioctl(sys.stdout.fileno(), termios.TIOCGWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
    return None


def _pseudo_terminal() -> tuple[int, int]:
    """(ours, the child's), the child's side the size of our terminal."""
    ours, theirs = os.openpty()
    size = _window_size()
    if size is not None:
        fcntl.ioctl(theirs, termios.TIOCSWINSZ, size)
    return ours, theirs


@contextlib.contextmanager
def _keys_to_the_child() -> Iterator[None]:
    """While the child runs, our terminal hands on each key as typed and echoes nothing: the
    child's terminal echoes (or the child's own line editor does), so an answer shows once.
    Ctrl-C still interrupts us (and so stops the child). The terminal is restored however the
    run ends."""
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    keys = termios.tcgetattr(fd)
    keys[3] &= ~(termios.ICANON | termios.ECHO)
    keys[6][termios.VMIN], keys[6][termios.VTIME] = 1, 0
    termios.tcsetattr(fd, termios.TCSANOW, keys)
    try:
        yield
    finally:
        with contextlib.suppress(termios.error, OSError):  # a hung-up terminal has nothing to restore
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


class _Lines:
    """Bytes in, whole lines (or idle or oversized partial lines) out - less any end that could
    be the start of a secret still being written (`Redactor.unsafe_tail`): that end waits for
    what follows, so the redactor sees the secret whole however the child paces its output."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""
        self._pending_since = 0.0
        self._emit = emit

    def _emit_safe(self, text: str) -> str:
        """Emit `text` but its unsafe end; that end is returned (it stays pending)."""
        held = REDACTOR.unsafe_tail(text)
        if held < len(text):
            self._emit(text[: len(text) - held])
        return text[len(text) - held :] if held else ""

    def feed(self, data: bytes) -> None:
        text = self._pending + self._decoder.decode(data)
        cut = text.rfind("\n") + 1
        held = self._emit_safe(text[:cut]) if cut else ""
        if text[cut:] and not self._pending:
            self._pending_since = time.monotonic()
        self._pending = held + text[cut:]
        if self._pending and time.monotonic() - self._pending_since > PARTIAL_LINE_SECONDS:
            self.idle()
        while len(self._pending) > MAX_PENDING_CHARACTERS:
            self._emit(self._pending[:MAX_PENDING_CHARACTERS])
            self._pending = self._pending[MAX_PENDING_CHARACTERS:]

    def idle(self) -> None:
        """The child is quiet: show what it wrote (a prompt waits for an answer), but an end
        that could be a secret's start."""
        if self._pending:
            self._pending = self._emit_safe(self._pending)

    def close(self) -> None:
        self._pending += self._decoder.decode(b"", final=True)
        if self._pending:
            self._emit(self._pending)
            self._pending = ""


@contextlib.contextmanager
def _started(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, interactive: bool
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """The child and the descriptor its output comes from; stopped with everything it
    started if we leave early (Ctrl-C, SIGTERM, an error)."""
    theirs: int | None = None
    ours: int | None = None
    if interactive:
        ours, theirs = _pseudo_terminal()
        streams: dict[str, int] = {"stdin": theirs, "stdout": theirs, "stderr": theirs}
    else:
        streams = {"stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE, "stderr": subprocess.STDOUT}
    process: subprocess.Popen[bytes] | None = None
    finished = False
    try:  # opened before the child exists: whatever stops us from here on stops it too
        process = start_child(argv, cwd=cwd, env=env, **streams)
        if theirs is not None:
            child_side, theirs = theirs, None  # forgotten first: never closed twice
            os.close(child_side)  # the child holds its own copy
        yield process, (ours if ours is not None else process.stdout.fileno())  # type: ignore[union-attr]
        finished = True
    finally:
        if process is not None:
            if not finished or process.poll() is None:
                kill_process_group(process)
            forget_child(process)
        for fd in (theirs, ours):
            if fd is not None:
                os.close(fd)
        if process is not None and process.stdout is not None:
            process.stdout.close()


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, READ_BYTES)
    except OSError as exc:
        if exc.errno == errno.EIO:  # a pseudo-terminal whose child side is closed: the end
            return b""
        raise


def stream_child(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, emit: Callable[[str], None]
) -> int:
    """Run `argv`, handing its output (stderr merged) to `emit` as it comes; its exit status."""
    interactive = on_a_terminal()
    lines = _Lines(emit)
    keys = _keys_to_the_child() if interactive else contextlib.nullcontext()
    with (
        _started(argv, env, cwd, interactive) as (process, output),
        keys,
        selectors.DefaultSelector() as selector,
    ):
        selector.register(output, selectors.EVENT_READ, "child")
        if interactive:
            selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "operator")
        exited_at: float | None = None
        while True:
            events = selector.select(IDLE_FLUSH_SECONDS)
            if process.poll() is not None:
                exited_at = exited_at or time.monotonic()
                if time.monotonic() - exited_at > EXITED_GRACE_SECONDS:
                    break  # what it left running may go on writing: not to us
            if not events:
                lines.idle()
                if exited_at is not None:
                    break  # exited, and quiet: whatever it left running holds no output of ours
                continue
            if not _pass_on(events, selector, output, lines):
                break  # the child's output ended
        lines.close()
        return process.wait()


def _pass_on(
    events: list[tuple[selectors.SelectorKey, int]],
    selector: selectors.BaseSelector,
    output: int,
    lines: _Lines,
) -> bool:
    """The child's output to the lines, the operator's keys to the child; False once the
    child's output ended."""
    going = True
    for key, _ in events:
        data = _read(key.fd)
        if key.data == "operator":
            if data:
                os.write(output, data)
            else:
                selector.unregister(key.fd)  # our input ended: the child sees no more
        elif data:
            lines.feed(data)
        else:
            going = False
    return going

"""One place for the tools' output, which never shows a secret.

`register_secret` adds a value to redact (each of its lines too) and, under GitHub Actions,
first prints `::add-mask::` for each line so the runner masks it before anything else can
print it. `install` wraps stdout and stderr so every write (ours, a library's, a
traceback's) passes through the redactor, and routes uncaught exceptions through it too.
`redact` is for text that leaves by another way (a file, a GitHub issue body). Values are
replaced by `***`.
"""

from __future__ import annotations

import io
import os
import sys
import traceback
from collections.abc import Mapping
from types import TracebackType
from typing import TextIO

from tools.runtime.text import printable
from tools.secrets.outside_text import REDACTOR, Redactor, cut, outside_text
from tools.secrets.token_rule import secret_lines

MESSAGE_LIMIT = 2000  # an error line is our text around outside text already cut shorter
_mask_streams: list[TextIO] = []  # at most one: where `::add-mask::` lines go instead of stdout


class RedactingStream(io.TextIOBase):
    """A text stream that redacts before writing to the stream it wraps."""

    def __init__(self, target: TextIO, redactor: Redactor) -> None:
        super().__init__()
        self.target = target
        self._redactor = redactor

    def write(self, text: str) -> int:
        self.target.write(self._redactor.redact(text))
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", "utf-8")


def _unredacted_stdout() -> TextIO:
    if _mask_streams:
        return _mask_streams[-1]
    stream = sys.stdout
    return stream.target if isinstance(stream, RedactingStream) else stream


def send_masks_to(stream: TextIO) -> None:
    """Write `::add-mask::` lines to `stream` (the job's stdout when ours is captured)."""
    _mask_streams[:] = [stream]


_MASKED: set[str] = set()


def register_secret(secret: str, env: Mapping[str, str] | None = None) -> None:
    """Redact `secret` (and each of its lines) from now on; under GitHub Actions first mask
    each line not masked yet, however short (masking is the runner's, redaction ours)."""
    env = os.environ if env is None else env
    for value in dict.fromkeys([secret, *secret_lines(secret)]):
        REDACTOR.add(value)
    unmasked = [line for line in secret_lines(secret) if line not in _MASKED]
    if unmasked and env.get("GITHUB_ACTIONS") == "true":
        out = _unredacted_stdout()
        for line in unmasked:
            out.write(f"::add-mask::{line}\n")
            _MASKED.add(line)
        out.flush()


def redact(text: str) -> str:
    return REDACTOR.redact(text)


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    text = "".join(traceback.format_exception(kind, value, tb))
    sys.stderr.write(REDACTOR.redact(text))
    sys.stderr.flush()


def install() -> None:
    """Route stdout, stderr and uncaught exceptions through the redactor (idempotent)."""
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout, REDACTOR)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr, REDACTOR)
    sys.excepthook = _excepthook


def info(message: str) -> None:
    print(REDACTOR.redact(message), flush=True)


def note(message: str) -> None:
    """A one-line notice on stderr, prefixed `note:` (stdout may be a report)."""
    print(f"note: {outside_text(message, MESSAGE_LIMIT)}", file=sys.stderr, flush=True)


def error(message: str, prefix: str = "") -> None:
    """A one-line error on stderr, `error: …` (or `{prefix}: error: …`); outside text in it
    cannot drive the terminal."""
    lead = f"{prefix}: " if prefix else ""
    print(f"{lead}error: {outside_text(message, MESSAGE_LIMIT)}", file=sys.stderr, flush=True)


def detail(line: str) -> None:
    """A line that explains an error (a diff, a cleanup command): redacted, control characters
    escaped, cut - its indentation kept."""
    print(cut(printable(REDACTOR.redact(line)), MESSAGE_LIMIT), file=sys.stderr, flush=True)

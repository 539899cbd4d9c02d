"""One place for the tools' output, which never shows a secret.

`register_secret` adds a value to redact; `install` wraps stdout and stderr so every write
(ours, a library's, a traceback's) passes through the redactor, and routes uncaught
exceptions through it too. Values are replaced by `***`.
"""

from __future__ import annotations

import io
import sys
import threading
import traceback
from types import TracebackType
from typing import TextIO

MASK = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary text


class Redactor:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: list[str] = []

    def add(self, secret: str) -> None:
        if len(secret) < _MIN_SECRET_LENGTH:
            return
        with self._lock:
            if secret not in self._secrets:
                self._secrets.append(secret)
                self._secrets.sort(key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


REDACTOR = Redactor()


class RedactingStream(io.TextIOBase):
    """A text stream that redacts before writing to the stream it wraps."""

    def __init__(self, target: TextIO, redactor: Redactor) -> None:
        super().__init__()
        self._target = target
        self._redactor = redactor

    def write(self, text: str) -> int:
        self._target.write(self._redactor.redact(text))
        return len(text)

    def flush(self) -> None:
        self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target, "encoding", "utf-8")


def register_secret(secret: str) -> None:
    REDACTOR.add(secret)


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


def error(message: str) -> None:
    """A one-line error on stderr, prefixed `error:`."""
    line = " ".join(REDACTOR.redact(message).split())
    print(f"error: {line}", file=sys.stderr, flush=True)

"""The one rule for text from outside (Postmark, GitHub, `op`, AWS, DNS) before it is shown,
logged, written to a file or filed in an issue: redact, then escape, then cut.

1. Redact every known secret - in any letter case, and also when whitespace or line breaks
   split it (a server may echo a token wrapped over two lines), or when it comes back
   percent-encoded or JSON-escaped.
2. Make it one line, then escape what a terminal would act on (control characters, lone
   surrogates, bidirectional overrides) - only those: every other character stays as it is.
3. Cut it to a length last, so a cut can never expose part of a secret that step 1 would
   have found whole.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote

MASK = "***"
MIN_SECRET_LENGTH = 8  # shorter values would mask ordinary words (redaction ignores case)
MESSAGE_CHARACTERS = 200
# Control (Cc) and format (Cf: bidi overrides, zero-width characters) characters, lone
# surrogates, private-use and unassigned code points: what can drive or fool a terminal.
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def unprintable(char: str) -> bool:
    return unicodedata.category(char) in _UNPRINTABLE_CATEGORIES


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """`text` with each control, surrogate or bidi-override character as an escape
    (`\\x1b`, `\\u202e`); every other character unchanged."""
    if not any(unprintable(char) for char in text):
        return text
    return "".join(_escape(char) if unprintable(char) else char for char in text)


def _variants(secret: str) -> list[str]:
    """How a secret may come back: as it is, percent-encoded, JSON-escaped."""
    return list(dict.fromkeys([secret, quote(secret, safe=""), secret.replace("/", "\\/")]))


def _pattern(secret: str) -> re.Pattern[str]:
    """`secret` in any case, with any whitespace (line breaks included) between characters."""
    return re.compile(r"\s*".join(re.escape(char) for char in secret), re.IGNORECASE)


class Redactor:
    """The secrets of this process, and the text without them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: list[str] = []
        self._patterns: list[re.Pattern[str]] = []

    def add(self, secret: str) -> bool:
        """Remember `secret`; False when it was already known (or too short to mask)."""
        if len(secret.strip()) < MIN_SECRET_LENGTH:
            return False
        with self._lock:
            if secret in self._secrets:
                return False
            self._secrets.append(secret)
            variants = {v for s in self._secrets for v in _variants(s.strip())}
            # Longest first: a secret that contains another is masked whole.
            self._patterns = [_pattern(v) for v in sorted(variants, key=len, reverse=True)]
            return True

    def redact(self, text: str, extra: Iterable[str] = ()) -> str:
        """`text` without any registered secret (nor any of `extra`)."""
        patterns = self._patterns
        more = [
            _pattern(v) for s in extra if len(s.strip()) >= MIN_SECRET_LENGTH for v in _variants(s.strip())
        ]
        for pattern in [*more, *patterns]:
            text = pattern.sub(MASK, text)
        return text


REDACTOR = Redactor()


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def outside_text(text: str, limit: int = MESSAGE_CHARACTERS, *, secrets: Iterable[str] = ()) -> str:
    """Text from outside as one safe line: redacted (registered secrets and `secrets`), its
    whitespace runs joined to single spaces, control characters escaped, cut to `limit`."""
    return cut(printable(" ".join(REDACTOR.redact(text, secrets).split())), limit)

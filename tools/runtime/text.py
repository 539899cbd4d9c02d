"""Text a terminal would act on: control and format characters, escaped for showing.

`printable(text)` escapes what could drive or fool a terminal (control characters, bidi
overrides, zero-width characters, lone surrogates) and leaves every other character as it
is; the outside-text rule (`tools.secrets.outside_text`) uses it after redacting.
"""

from __future__ import annotations

import unicodedata

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

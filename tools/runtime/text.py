"""Text a terminal would act on: control and format characters, escaped for showing.

`printable(text)` escapes what could drive or fool a terminal (control characters, bidi
overrides, zero-width characters, lone surrogates) and leaves every other character as it
is; the outside-text rule (`tools.secrets.outside_text`) uses it after redacting.
`terminal_text(text, colour=…)` is the same for a child's output, which may keep its colour
codes on a terminal and nothing else.
"""

from __future__ import annotations

import re
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


# What a child may keep on a terminal: colour and weight (SGR), and the line editing a prompt
# does on its own line - go to a column (CHA), erase in the line (EL), erase below the cursor
# (ED 0). Nothing that moves up, clears the screen, or sets a title.
_KEPT = re.compile(r"\x1b\[(?:[0-9;]{0,32}m|[0-9]{0,4}G|[012]?K|0?J)")
COLUMN_MOVE = re.compile(r"\x1b\[[0-9]{0,4}G")  # the one kept code that moves the cursor back
_LINE_PARTS = re.compile(r"(\n|\t)")
_LINE_END = re.compile(r"\r+\n")


def terminal_text(text: str, *, colour: bool) -> str:
    """A child's output made safe to show: line breaks and tabs kept, colour and in-line
    editing codes kept (`colour`, on a terminal) or removed, every other control character
    escaped - a cursor movement up, a screen clear, a title change or a bare carriage return
    from a child cannot redraw what was shown."""
    text = _LINE_END.sub("\n", text)  # a terminal's \r\n, and a line editor's \r\r\n
    shown = []
    for part in _LINE_PARTS.split(text):
        if part in ("\n", "\t"):
            shown.append(part)
            continue
        pieces = _KEPT.split(part)
        codes = _KEPT.findall(part) if colour else [""] * (len(pieces) - 1)
        shown.append(
            printable(pieces[0]) + "".join(c + printable(p) for c, p in zip(codes, pieces[1:], strict=True))
        )
    return "".join(shown)

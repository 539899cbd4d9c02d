"""The views of a text in which the redactor looks for secrets (`tools.secrets.outside_text`).

Each view is the text as someone may read it - case folded, with each of its characters'
span in the text, so that a secret found in the view is masked over everything that showed
it:
* squeezed: without whitespace, control and format characters (a token wrapped over two
  lines, a zero-width space inside it), optionally without terminal escape sequences as a
  whole (a colour code between two of its characters);
* decoded, twice - as a terminal shows it (a backspace or carriage return moves the cursor
  back and what follows overwrites) and as a viewer does (a browser, an editor: neither
  shows): escape sequences and invisible characters left out, escaped characters decoded
  (percent and `\\x` bytes as UTF-8, `\\u` units with their surrogate pairs, JSON's
  one-letter escapes, HTML character references; twice, for an escaped escape, and what
  the decoded controls do applied again), compatibility forms folded (full-width,
  mathematical letters), common look-alike letters and dashes made plain, blank-looking
  letters and combining marks left out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from tools.runtime.text import unprintable

Span = tuple[int, int]
View = tuple[str, list[Span]]

# A terminal escape sequence (colour, cursor, title): invisible on a terminal, so it can sit
# inside a secret without hiding it from a reader - it must not hide it from redaction either.
ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~])"
)  # CSI; OSC, DCS, SOS, PM, APC strings; any other ESC, its intermediates, a final byte (ECMA-48)

# A character written escaped: percent and `\x` bytes, `\u` UTF-16 units, JSON's one-character
# escapes, HTML decimal and hex character references (any number of leading zeros, as
# browsers read them).
_ESCAPED = re.compile(
    r"%(?P<pct>[0-9A-Fa-f]{2})|\\x(?P<hexbyte>[0-9A-Fa-f]{2})|\\u(?P<unit>[0-9A-Fa-f]{4})"
    r"|\\(?P<same>[/\\\"'])|\\(?P<control>[bfnrt])|&#0*(?P<dec>[0-9]{1,7});?|&#[xX]0*(?P<hex>[0-9A-Fa-f]{1,6});?"
)
_CONTROLS = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
# Letters that look blank (Hangul fillers, the Braille blank): a secret spaced out with them
# still reads whole.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Cyrillic and Greek letters that look like Latin ones, dashes that look like a hyphen (the
# common ones; not every confusable Unicode knows).
_LOOK_ALIKE = str.maketrans(
    "аеорсухіјѕԁԛԝАВЕКМНОРСТХІЈЅαβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ\u2010\u2011\u2012\u2013\u2014\u2212",
    "aeopcyxijsdqwABEKMHOPCTXIJSabeikvoptuxABEZHIKMNOPTYX------",
)
# A compatibility form longer than this is not a disguised character (U+FDFA is 18 letters).
_MAX_EXPANSION = 3


_ESCAPE_MARKS = "%\\&"  # what starts an escaped character
_ACTED_ON = "\b\r" + _ESCAPE_MARKS  # what a terminal or a decoder turns into something else


def needs_decoding(text: str) -> bool:
    """Whether a decoded view could read more than the squeezed ones: an escape, a control a
    terminal acts on, or a character beyond ASCII (escape sequences alone the squeezed view
    already leaves out)."""
    return not text.isascii() or any(char in text for char in _ACTED_ON)


def ignorable(char: str) -> bool:
    """What may sit between a secret's characters without hiding it: whitespace (a line
    break), control and format characters (a zero-width space, a soft hyphen, NUL, ESC)."""
    return char.isspace() or unprintable(char)


def ignorable_positions(text: str, single: list[bool] | None = None) -> list[bool]:
    """For each character: whether it may sit inside a secret (see `ignorable`), escape
    sequences included as a whole (`single`: the characters' own answers, if known)."""
    positions = [ignorable(char) for char in text] if single is None else list(single)
    for match in ESCAPE_SEQUENCE.finditer(text):
        positions[match.start() : match.end()] = [True] * (match.end() - match.start())
    return positions


def folded(char: str) -> str:
    lower = char.lower()
    return lower if len(lower) == 1 else char  # one code point per code point: indices stay aligned


def squeezed_view(text: str, skipped: list[bool]) -> View:
    """`text` without its `skipped` characters, case folded."""
    kept = [index for index, skip in enumerate(skipped) if not skip]
    return "".join(folded(text[index]) for index in kept), [(index, index + 1) for index in kept]


def squeezed(text: str) -> str:
    """`text` as the squeezed view reads it: no ignorable character, case folded."""
    return squeezed_view(text, [ignorable(char) for char in text])[0]


def decoded_views(text: str) -> list[View]:
    """`text` as a terminal and as a viewer (a browser, an editor) would show it once decoded
    (see the module): a terminal moves back on a backspace and to the line's start on a
    carriage return, so what follows overwrites; a viewer shows neither."""
    if not any(char in text for char in _ACTED_ON):  # nothing a terminal and a viewer differ on
        return [_decoded(text, terminal=False)]
    return [_decoded(text, terminal=True), _decoded(text, terminal=False)]


def _decoded(text: str, *, terminal: bool) -> View:
    chars, spans = _on_screen(list(text), [(index, index + 1) for index in range(len(text))], terminal)
    for _ in range(2):  # an escaped escape (`%2533` is `%33` is `3`)
        if not any(char in _ESCAPE_MARKS for char in chars):
            break
        chars, spans = _on_screen(*_unescaped(chars, spans), terminal)  # decoded controls act too
    chars, spans = _paired(chars, spans)
    view: list[str] = []
    view_spans: list[Span] = []
    for char, span in zip(chars, spans, strict=True):
        plain = char if char.isascii() else unicodedata.normalize("NFKC", char)
        if len(plain) > _MAX_EXPANSION:
            plain = char
        for shown in plain.translate(_LOOK_ALIKE):
            if ignorable(shown) or shown in _BLANK_LOOKING or unicodedata.category(shown) in ("Mn", "Me"):
                continue
            view.append(folded(shown))
            view_spans.append(span)
    return "".join(view), view_spans


def _on_screen(chars: list[str], spans: list[Span], terminal: bool) -> tuple[list[str], list[Span]]:
    """The characters left visible: escape sequences and ignorable characters out; on a
    terminal a backspace or carriage return moves the cursor back and what follows
    overwrites what was there (a space too: it takes a cell, which shows nothing)."""
    text = "".join(chars)
    hidden = ignorable_positions(text, [False] * len(text)) if "\x1b" in text else [False] * len(text)
    cells: list[tuple[str, Span]] = []  # a blank cell is ""
    line_start = column = 0  # the current line's first cell, and the cursor
    for index, char in enumerate(chars):
        if hidden[index]:
            continue
        if char == "\n":
            line_start = column = len(cells)
            continue
        if terminal and char in "\b\r":
            column = max(column - 1, line_start) if char == "\b" else line_start
            continue
        cell = "" if terminal and char == " " else char
        if (
            cell and ignorable(cell) and not "\ud800" <= cell <= "\udfff"
        ):  # a surrogate half waits for its pair
            continue
        if column < len(cells):  # overwritten: masked with what shows over it
            covered = cells[column][1]
            cells[column] = (cell, (min(covered[0], spans[index][0]), max(covered[1], spans[index][1])))
        else:
            cells.append((cell, spans[index]))
        column += 1
    shown = [(char, span) for char, span in cells if char]
    return [char for char, _ in shown], [span for _, span in shown]


def _paired(chars: list[str], spans: list[Span]) -> tuple[list[str], list[Span]]:
    """Surrogate halves next to each other joined (decoded in different rounds)."""
    if not any("\ud800" <= char <= "\udfff" for char in chars):
        return chars, spans
    out: list[str] = []
    out_spans: list[Span] = []
    for char, span in zip(chars, spans, strict=True):
        if out and "\udc00" <= char <= "\udfff" and "\ud800" <= out[-1] <= "\udbff":
            high = ord(out.pop())
            begin, end = out_spans.pop()
            out.append(chr(0x10000 + ((high - 0xD800) << 10) + (ord(char) - 0xDC00)))
            out_spans.append((min(begin, span[0]), max(end, span[1])))
        else:
            out.append(char)
            out_spans.append(span)
    return out, out_spans


def _unescaped(chars: list[str], spans: list[Span]) -> tuple[list[str], list[Span]]:
    """`chars` with every escaped character decoded, each keeping the span of its escape
    (escaped bytes read together as UTF-8; `\\u` surrogate halves are joined by `_paired`)."""
    text = "".join(chars)
    out: list[str] = []
    out_spans: list[Span] = []
    pending: list[tuple[int, Span]] = []  # bytes of a UTF-8 sequence still being read

    def flush() -> None:
        for char, span in _utf8(pending):
            out.append(char)
            out_spans.append(span)
        pending.clear()

    index = 0
    while index < len(text):
        match = _ESCAPED.match(text, index) if text[index] in "%\\&" else None
        if match is None:
            flush()
            out.append(text[index])
            out_spans.append(spans[index])
            index += 1
            continue
        span = (spans[index][0], spans[match.end() - 1][1])
        index = match.end()
        byte = match["pct"] or match["hexbyte"]
        if byte is not None:
            pending.append((int(byte, 16), span))
            continue
        flush()
        out.append(_escaped_char(match))
        out_spans.append(span)
    flush()
    return out, out_spans


def _escaped_char(match: re.Match[str]) -> str:
    if match["same"]:
        return match["same"]
    if match["control"]:
        return _CONTROLS[match["control"]]
    for group, base in (("unit", 16), ("dec", 10), ("hex", 16)):
        if match[group]:
            code = int(match[group], base)
            return chr(code) if code <= 0x10FFFF else "\ufffd"
    raise AssertionError(match[0])  # every alternative of _ESCAPED is one of the above


def _utf8(pending: list[tuple[int, Span]]) -> Iterator[tuple[str, Span]]:
    """Escaped bytes read as UTF-8 where they form a character, else one character each."""
    index = 0
    while index < len(pending):
        lead = pending[index][0]
        length = (
            2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 4 if 0xF0 <= lead <= 0xF4 else 1
        )
        sequence = pending[index : index + length]
        if length > 1 and len(sequence) == length:
            try:
                char = bytes(value for value, _ in sequence).decode("utf-8")
            except UnicodeDecodeError:
                char = ""
            if char:
                yield char, (sequence[0][1][0], sequence[-1][1][1])
                index += length
                continue
        yield chr(lead), pending[index][1]
        index += 1

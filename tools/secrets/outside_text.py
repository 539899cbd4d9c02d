"""The one rule for text from outside (Postmark, GitHub, `op`, AWS, DNS) before it is shown,
logged, written to a file or filed in an issue: redact, then escape, then cut.

1. Redact every known secret - in any letter case, also when whitespace, line breaks,
   invisible or blank-looking characters or combining marks split it (a server may echo a
   token wrapped over two lines), when any of its characters come back escaped (percent,
   `\\u`, `\\x`, HTML character references), in full-width or other compatibility forms or
   common Cyrillic and Greek look-alike letters, base64- or hex-encoded, and any 8
   consecutive characters of one (a server that echoes half a token shows none of it).
2. Make it one line, then escape what a terminal would act on (control characters, lone
   surrogates, bidirectional overrides) - only those: every other character stays as it is.
3. Cut it to a length last, so a cut can never expose part of a secret that step 1 would
   have found whole.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable

from tools.runtime.text import printable
from tools.secrets.views import (
    Span,
    decoded_views,
    ignorable,
    ignorable_positions,
    needs_decoding,
    squeezed,
    squeezed_view,
)

MASK = "***"
MIN_SECRET_LENGTH = 8  # shorter values would mask ordinary words (redaction ignores case)
FRAGMENT = MIN_SECRET_LENGTH  # any run this long of a secret is masked too
MESSAGE_CHARACTERS = 200


# How many characters of an encoded form make a fragment: as many as encode FRAGMENT
# characters of the secret (hex: two per character; base64: four per three), so a few hex
# digits or base64 letters in ordinary text are never taken for a secret.
HEX_FRAGMENT = 2 * FRAGMENT
BASE64_FRAGMENT = -(-FRAGMENT * 4 // 3)


def _forms(secret: str) -> list[tuple[str, int]]:
    """How a secret may come back, each with its fragment length, squeezed as text is: as it
    is, and as each decoded view reads it (matched against the same views of the text:
    escapes, compatibility forms and look-alikes are read there, see `tools.secrets.views`),
    hex- and base64-encoded."""
    raw = secret.encode("utf-8", "surrogatepass")  # a lone surrogate (from bytes that are not UTF-8) too
    shown = [squeezed(secret), *(view for view, _ in decoded_views(secret))]
    # A text form shorter than a fragment (a secret mostly invisible characters or escapes)
    # would mask those few letters everywhere: only the secret's longer forms are looked for.
    forms = [(form, FRAGMENT) for form in shown if len(form) >= FRAGMENT]
    forms.append((raw.hex(), HEX_FRAGMENT))
    forms += [(squeezed(form), BASE64_FRAGMENT) for form in _base64_forms(raw)]
    return list(dict.fromkeys(form for form in forms if form[0]))


def _base64_forms(secret: bytes) -> list[str]:
    """The characters base64 gives `secret` wherever it sits in what was encoded (after 0, 1
    or 2 other bytes: `Bearer <token>`, `user:<token>`), in either alphabet: only the
    characters that come from the secret's bits alone, so what surrounds it changes none."""
    forms = []
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + secret).decode()
        first = (0, 2, 3)[offset]  # the characters that mix the filler bytes' bits in
        last = (offset + len(secret)) * 4 // 3  # the characters made of whole bytes only
        middle = encoded[first:last]
        forms += [middle, middle.replace("+", "-").replace("/", "_")]
    return forms


HELD_BACK_MINIMUM = 4  # fewer characters of a secret at a stream's end are not held back


class Redactor:
    """The secrets of this process, and the text without them.

    Text is compared in views (`tools.secrets.views`): squeezed - without whitespace, control
    and format characters, and terminal escape sequences (a colour code between two
    characters of a token), case folded - and, for text with escapes, controls or characters
    beyond ASCII, decoded as a terminal and a viewer would show it. Besides every whole
    secret, any `FRAGMENT` consecutive characters of one are masked (of its hex and base64
    forms, as many as encode that many characters): a server that echoes half a token, or a
    message cut through one, shows none of it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: list[str] = []
        self._fragments: frozenset[str] = frozenset()
        self._squeezed: tuple[str, ...] = ()  # each secret's forms, squeezed as text is
        self._longest = 0  # the longest of them

    def add(self, secret: str) -> bool:
        """Remember `secret`; False when it was already known (or too short to mask)."""
        if len(secret.strip()) < MIN_SECRET_LENGTH:
            return False
        with self._lock:
            if secret in self._secrets:
                return False
            self._secrets.append(secret)
            forms = _forms(secret.strip())
            self._fragments = self._fragments | _fragments_in(forms)  # one secret's worth, not all again
            self._squeezed = self._squeezed + tuple(form for form, _ in forms)
            self._longest = max(len(form) for form in self._squeezed)
            return True

    def unsafe_tail(self, text: str) -> int:
        """How many characters at the end of `text` could be the start of a secret still being
        written (HELD_BACK_MINIMUM or more of its characters in a row, as any view reads them,
        an escape still incomplete at the end set aside): a stream holds them back until it
        sees what follows, so a secret written in pieces is found whole. 0 when no secret is
        known or the end matches none."""
        forms, longest = self._squeezed, self._longest
        if not forms:
            return 0
        window = text[-4 * longest :]  # room for ignorable characters and escapes between
        views = [squeezed_view(window, ignorable_positions(window))]
        if needs_decoding(window):
            incomplete = _INCOMPLETE_ESCAPE.search(window)
            views += decoded_views(window[: incomplete.start()] if incomplete else window)
        return max(_held_back(view, spans, forms, longest, len(window)) for view, spans in views)

    def redact(self, text: str, extra: Iterable[str] = ()) -> str:
        """`text` without any registered secret (nor any of `extra`), nor a part of one."""
        fragments = self._fragments
        more = [s for s in extra if len(s.strip()) >= MIN_SECRET_LENGTH]
        if more:
            fragments = fragments | _fragments_of(more)
        if not fragments or len(text) < FRAGMENT:
            return text
        # Views of the text: only single ignorable characters skipped (a token may hold what
        # follows an ESC); escape sequences skipped whole (a colour code inside a token); and,
        # for text with escapes or beyond ASCII, the decoded view a reader would see.
        masked = [False] * len(text)
        single = [ignorable(char) for char in text]
        views = [squeezed_view(text, single)]
        if "\x1b" in text:
            views.append(squeezed_view(text, ignorable_positions(text, single)))
        if needs_decoding(text):
            views += decoded_views(text)
        for view, spans in views:
            for begin, end in _secret_spans(view, spans, fragments):
                masked[begin:end] = [True] * (end - begin)
        if not any(masked):
            return text
        pieces, index = [], 0
        while index < len(text):
            if masked[index]:
                while index < len(text) and masked[index]:
                    index += 1
                pieces.append(MASK)
            else:
                pieces.append(text[index])
                index += 1
        return "".join(pieces)


def _secret_spans(view: str, spans: list[Span], fragments: frozenset[str]) -> list[Span]:
    """Where in the text a fragment of a secret sits, found in `view` (whose characters come
    from `spans` of the text): each run of covered characters is one span, from the first
    to the last character of the text that showed it - what the view left out between
    included."""
    covered = [False] * len(view)
    for length in {len(fragment) for fragment in fragments}:
        for start in range(len(view) - length + 1):
            if view[start : start + length] in fragments:
                covered[start : start + length] = [True] * length
    found: list[Span] = []
    position = 0
    while position < len(view):
        if not covered[position]:
            position += 1
            continue
        first = position
        while position < len(view) and covered[position]:
            position += 1
        run = spans[first:position]  # a terminal's overwrites put them out of order
        found.append((min(begin for begin, _ in run), max(end for _, end in run)))
    return found


# The start of an escape a stream may still be writing (`%3`, `\u00`, `&#x3`, an ESC).
_INCOMPLETE_ESCAPE = re.compile(
    r"(?:%[0-9A-Fa-f]?|\\(?:u[0-9A-Fa-f]{0,3}|x[0-9A-Fa-f]?)?|&(?:#[xX]?[0-9A-Fa-f]*)?|\x1b[\[\]]?[0-?]*)\Z"
)


def _held_back(view: str, spans: list[Span], forms: tuple[str, ...], longest: int, length: int) -> int:
    """How much of a window of `length` characters the longest end of `view` that is part of a
    secret's form (HELD_BACK_MINIMUM characters or more) covers; 0: none. A shorter end of a
    match is a match too, so the search stops at the first end that is not."""
    held = 0
    for size in range(HELD_BACK_MINIMUM, min(len(view), longest) + 1):
        if not any(view[-size:] in form for form in forms):
            break
        held = size
    return length - min(begin for begin, _ in spans[-held:]) if held else 0


def _fragments_of(secrets: Iterable[str]) -> frozenset[str]:
    """Every fragment of every way each secret may come back."""
    return _fragments_in(form for secret in secrets for form in _forms(secret.strip()))


def _fragments_in(forms: Iterable[tuple[str, int]]) -> frozenset[str]:
    found: set[str] = set()
    for form, length in forms:
        if len(form) < length:
            found.add(form)  # a whole short encoded form (an 8-character secret's base64 is 10)
        found.update(form[i : i + length] for i in range(len(form) - length + 1))
    return frozenset(found)


REDACTOR = Redactor()


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


# Outside text longer than this is first cut here: a line is never read that far, and the
# redactor's work grows with the text. The cut may leave the start of a secret at its end,
# shorter than FRAGMENT and so not masked: the last FRAGMENT - 1 characters that are not
# ignorable are dropped with it.
READ_CHARACTERS = 64 * 1024


def _without_tail(text: str, count: int) -> str:
    """`text` without its last `count` characters that are not ignorable (and those between)."""
    end = len(text)
    while end > 0 and count > 0:
        end -= 1
        count -= 0 if ignorable(text[end]) else 1
    return text[:end]


def outside_text(text: str, limit: int = MESSAGE_CHARACTERS, *, secrets: Iterable[str] = ()) -> str:
    """Text from outside as one safe line: redacted (registered secrets and `secrets`), its
    whitespace runs joined to single spaces, control characters escaped, cut to `limit`."""
    read = text[: max(READ_CHARACTERS, 4 * limit)]
    redacted = REDACTOR.redact(read, secrets)
    if len(read) < len(text):
        redacted = _without_tail(redacted, FRAGMENT - 1)
    shown = cut(printable(" ".join(redacted.split())), limit)
    return cut(shown + "…", limit) if len(read) < len(text) and not shown.endswith("…") else shown

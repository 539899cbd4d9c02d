"""The line a terminal shows while a child draws it with the codes it may keep there.

On a terminal a child keeps colour and the in-line editing a prompt does (go to a column,
erase in the line: `tools.runtime.text.terminal_text`). A column move lets text written
out of order read in order on the screen - pieces of a token each too short for the
redactor, drawn right to left. `ScreenLine` follows what the current line shows, so the
run log can check the line as it is seen, not only as it was written. It models one ASCII
cell per character within the window's width; where that may not hold (`uncertain`), the
run log passes no column move at all, so the terminal shows text in the order written.
"""

from __future__ import annotations

import re

MAX_COLUMNS = 4096  # a column beyond this is drawn nowhere we look

# One of the codes terminal_text keeps (SGR colour, CHA column, EL erase in line, ED erase
# below), a tab, or any other single character.
_PIECE = re.compile(r"\x1b\[([0-9;]*)([mGKJ])|(\t)|(.)", re.DOTALL)


class ScreenLine:
    """The current line's cells and cursor, fed with what is written to the terminal."""

    def __init__(self) -> None:
        self._cells: list[str] = []
        self._column = 0
        self.redrawn = False  # the cursor moved back or something was erased on this line

    @property
    def text(self) -> str:
        return "".join(self._cells)

    def feed(self, shown: str) -> None:
        """Follow `shown` (no line break inside) on the current line."""
        for match in _PIECE.finditer(shown):
            parameter, code, tab, char = match.groups()
            if tab:
                self._column = min((self._column // 8 + 1) * 8, MAX_COLUMNS)
            elif code:
                self._code(parameter, code)
            elif char is not None and self._column < MAX_COLUMNS:
                self._cells.extend(" " * (self._column + 1 - len(self._cells)))
                self._cells[self._column] = char
                self._column += 1

    def uncertain(self, shown: str, width: int) -> bool:
        """Whether this line, with `shown` added, may not look on the terminal as this model
        says: a character that is not one ASCII cell (wide, combining, ambiguous) or a line
        that reaches the window's edge (and wraps) puts the real columns out of step."""
        return not (self.text.isascii() and shown.isascii()) or self._column + len(shown) >= width

    def new_line(self) -> None:
        self._cells, self._column, self.redrawn = [], 0, False

    def replace(self, text: str) -> None:
        """The line now shows `text` (redrawn whole), the cursor at its end."""
        self._cells, self._column = list(text[:MAX_COLUMNS]), min(len(text), MAX_COLUMNS)

    def _code(self, parameter: str, code: str) -> None:
        number = int(parameter) if parameter.isdigit() else 0
        if code == "G":
            self._column = min(max(number, 1) - 1, MAX_COLUMNS)
            self.redrawn = True
        elif code == "K" and number == 1:
            self._cells[: self._column + 1] = " " * min(self._column + 1, len(self._cells))
            self.redrawn = True
        elif code == "K" and number == 2:
            self._cells = []
            self.redrawn = True
        elif code in "KJ" and number == 0:  # erase from the cursor to the end of the line
            del self._cells[self._column :]

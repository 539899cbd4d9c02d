"""The one rule for a token, applied where it enters (`op read`, an environment variable).

Surrounding whitespace (a trailing newline or CR from a copy-paste, spaces) is stripped
once, and the *same* value is then checked, used and stored: before this rule the Python
tools trimmed a token that reached the NoEcho parameter untrimmed, so every step passed
while the pods got an unusable secret. What is left must be one word of printable ASCII
of the characters an HTTP credential is made of (Postmark tokens are UUIDs): inner
whitespace, a newline, a control character, a quote or a backslash is refused with one line
that never shows the value.

Register the raw value with `logger.register_secret` before normalising it: under GitHub
Actions that masks each of its lines first.
"""

from __future__ import annotations

from tools.cli.contract import OperatorError
from tools.secrets.outside_text import MIN_SECRET_LENGTH

# RFC 7235 token68: what an HTTP credential is made of (Postmark's are UUIDs). Nothing here
# needs escaping in JSON, repr() or a URL, so an echoed token is always the same text and the
# redactor finds it.
TOKEN_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=")


class TokenRejected(OperatorError):
    """The value cannot be a token; the message names where it came from and the fix."""


def _describe(char: str) -> str:
    if char == "\n":
        return "a line break"
    if char in " \t":
        return "whitespace"
    if ord(char) < 32 or ord(char) == 127:
        return f"a control character (0x{ord(char):02x})"
    return "a character other than printable ASCII"


def normalize_token(raw: str, *, source: str, fix: str) -> str:
    """`raw` without surrounding whitespace; TokenRejected when the rest is not one word.

    `source` says where the value came from (e.g. "`op read op://...`"), `fix` what to do.
    """
    value = raw.strip()
    if not value:
        raise TokenRejected(f"{source} is empty; {fix}")
    if len(value) < MIN_SECRET_LENGTH:
        # Too short to be a credential, and too short to redact (it would mask ordinary words).
        raise TokenRejected(
            f"{source} is {len(value)} characters, too short for a token (Postmark's are 36); {fix}"
        )
    for char in value:
        if not 33 <= ord(char) <= 126:
            raise TokenRejected(f"{source} holds {_describe(char)} inside the token; {fix}")
        if char not in TOKEN_CHARACTERS:
            raise TokenRejected(
                f"{source} holds a character no Postmark token has (only letters, digits and - . _ ~ + / =); {fix}"
            )
    return value


def secret_lines(raw: str) -> list[str]:
    """Every non-empty line of `raw`, each also stripped: what a log could show of it."""
    lines: list[str] = []
    for line in raw.splitlines():
        for candidate in (line, line.strip()):
            if candidate.strip() and candidate not in lines:
                lines.append(candidate)
    return lines

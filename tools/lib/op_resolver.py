"""Resolve a 1Password secret reference with `op read`, with a timeout.

`op read op://vault/item/field` returns the field's value (`op item get --fields` can
return an internal id instead). Each failure is a distinct one-line error naming the fix.
"""

from __future__ import annotations

import shutil
import subprocess

DEFAULT_OP_TIMEOUT_SECONDS = 60.0
_NOT_SIGNED_IN_MARKERS = (
    "not currently signed in",
    "not signed in",
    "no accounts configured",
    "session expired",
)


class OpError(Exception):
    """`op read` could not produce a value; the message names the fix."""


class OpMissing(OpError):
    pass


class OpNotSignedIn(OpError):
    pass


class OpEmptyValue(OpError):
    pass


def read_op_reference(reference: str, *, timeout: float = DEFAULT_OP_TIMEOUT_SECONDS) -> str:
    """The value behind `reference`; never logged, never passed on argv by us."""
    executable = shutil.which("op")
    if executable is None:
        raise OpMissing(
            "the 1Password CLI `op` is not on PATH; install it "
            "(https://developer.1password.com/docs/cli/get-started/) or set POSTMARK_ACCOUNT_TOKEN"
        )
    try:
        result = subprocess.run(
            [executable, "read", "--no-newline", reference],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise OpError(
            f"`op read {reference}` did not finish within {timeout:g} s; unlock 1Password and re-run"
        ) from None
    if result.returncode != 0:
        detail = " ".join(result.stderr.split())
        if any(marker in detail.lower() for marker in _NOT_SIGNED_IN_MARKERS):
            raise OpNotSignedIn("the 1Password CLI is not signed in; run `eval $(op signin)` and re-run")
        raise OpError(f"`op read {reference}` failed ({detail[:160] or f'exit {result.returncode}'})")
    value = result.stdout.strip()
    if not value:
        raise OpEmptyValue(f"`op read {reference}` returned an empty value; store the token in that item")
    return value

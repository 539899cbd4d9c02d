"""Resolve a 1Password secret reference with `op read`, bounded in time and size.

`op read op://vault/item/field` returns the field's value (`op item get --fields` can
return an internal id instead). The value is returned raw: the caller applies the token
rule (`tools.secrets.token_rule`), so trimming happens once, in one place. Each failure is a
distinct one-line error naming the fix. `op` runs in its own process group, which is killed
whenever the read ends early - at the timeout, over `MAX_OUTPUT_BYTES`, on Ctrl-C or SIGTERM -
so neither it nor a child it left behind outlives the tool; a child that keeps the output
open after `op` itself has exited does not hold the read either.
"""

from __future__ import annotations

import shutil

from tools.cli.contract import OperatorError
from tools.runtime.bounded import TooMuchOutput, run_bounded

DEFAULT_OP_TIMEOUT_SECONDS = 30.0
MAX_OUTPUT_BYTES = 64 * 1024
# What `op` documents for the failures an operator can fix, matched on its stderr (which is
# never shown: it may hold the value being read). Each becomes one line of ours.
_KNOWN_FAILURES: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        (
            "not currently signed in",
            "not signed in",
            "no accounts configured",
            "session expired",
            "authorization prompt dismissed",
            "authorization timeout",
        ),
        "the 1Password CLI is not signed in; run `eval $(op signin)` and re-run",
    ),
    (
        (
            "isn't a vault",
            "is not a vault",
            "doesn't seem to be a vault",
            "vault not found",
            "no vault matched",
        ),
        "the vault of `{reference}` is not in your 1Password account (or you may not read it); "
        "check the reference or ask for access",
    ),
    (
        ("isn't an item", "is not an item", "item not found", "no item matched"),
        "the item of `{reference}` is not in its vault; store the token there (see the runbook)",
    ),
    (
        ("isn't a field", "does not have a field", "no field matched", "field not found"),
        "the item of `{reference}` has no such field; store the token in that field",
    ),
    (
        ("invalid secret reference", "invalid reference", "could not parse"),
        "`{reference}` is not a valid secret reference (op://vault/item/field)",
    ),
    (
        (
            "connecting to desktop app",
            "cannot connect to 1password",
            "couldn't connect",
            "connection refused",
            "no such host",
            "network",
        ),
        "`op` could not reach 1Password (the desktop app or the network); unlock 1Password, check "
        "the network and re-run",
    ),
)


class OpError(OperatorError):
    """`op read` could not produce a value; the message names the fix."""


def _failure(reference: str, code: int, stderr: bytes) -> OpError:
    """One line of ours for a failed `op read`; `op`'s own text is never echoed."""
    said = " ".join(stderr.decode("utf-8", "replace").lower().split())
    for markers, message in _KNOWN_FAILURES:
        if any(marker in said for marker in markers):
            return OpError(message.format(reference=reference))
    ended = f"was killed by signal {-code}" if code < 0 else f"failed (exit {code})"
    return OpError(
        f"`op read {reference}` {ended}; run `op read {reference} >/dev/null` yourself "
        "to see why (its message is not shown here: it may hold the value)"
    )


def read_op_reference(reference: str, *, timeout: float = DEFAULT_OP_TIMEOUT_SECONDS) -> str:
    """The raw value behind `reference`; never logged, never passed on argv by us."""
    executable = shutil.which("op")
    if executable is None:
        raise OpError(
            "the 1Password CLI `op` is not on PATH; install it "
            "(https://developer.1password.com/docs/cli/get-started/) or set POSTMARK_ACCOUNT_TOKEN"
        )
    try:
        code, out, err = run_bounded(
            [executable, "read", "--no-newline", reference], timeout, MAX_OUTPUT_BYTES
        )
    except TooMuchOutput:
        raise OpError(
            f"`op read {reference}` wrote more than {MAX_OUTPUT_BYTES} bytes; check the item holds a token"
        ) from None
    except OSError as exc:
        raise OpError(f"cannot run `op` ({exc.strerror or type(exc).__name__}); reinstall it") from None
    if code is None:
        raise OpError(
            f"`op read {reference}` did not finish within {timeout:g} s; unlock 1Password and re-run"
        )
    if code != 0:
        raise _failure(reference, code, err)
    try:
        value = out.decode("utf-8")
    except UnicodeDecodeError:
        raise OpError(f"`op read {reference}` returned bytes that are not text; check the item") from None
    if not value.strip():
        raise OpError(f"`op read {reference}` returned an empty value; store the token in that item")
    return value

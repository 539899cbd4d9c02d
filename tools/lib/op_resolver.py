"""Resolve a 1Password secret reference with `op read`, bounded in time and size.

`op read op://vault/item/field` returns the field's value (`op item get --fields` can
return an internal id instead). The value is returned raw: the caller applies the token
rule (`tools.lib.token_rule`), so trimming happens once, in one place. Each failure is a
distinct one-line error naming the fix; a hung `op` is killed at the timeout, and one that
writes more than `MAX_OUTPUT_BYTES` is killed too.
"""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import time

DEFAULT_OP_TIMEOUT_SECONDS = 30.0
MAX_OUTPUT_BYTES = 64 * 1024
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


def _run_bounded(argv: list[str], timeout: float, limit: int) -> tuple[int | None, bytes, bytes]:
    """(exit code, stdout, stderr); exit code None when killed at the timeout or the size cap."""
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    out_fd, err_fd = process.stdout.fileno(), process.stderr.fileno()
    buffers = {out_fd: bytearray(), err_fd: bytearray()}
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        for fd in buffers:
            selector.register(fd, selectors.EVENT_READ)
        try:
            while selector.get_map():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                for key, _ in selector.select(remaining):
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        selector.unregister(key.fd)
                        continue
                    buffers[key.fd] += chunk
                    if len(buffers[key.fd]) > limit:
                        raise OverflowError
            code = process.wait(max(0.0, deadline - time.monotonic()))
        except (TimeoutError, OverflowError, subprocess.TimeoutExpired) as stop:
            process.kill()
            process.wait()
            if isinstance(stop, OverflowError):
                raise
            return None, b"", bytes(buffers[err_fd])
        finally:
            process.stdout.close()
            process.stderr.close()
    return code, bytes(buffers[out_fd]), bytes(buffers[err_fd])


def read_op_reference(reference: str, *, timeout: float = DEFAULT_OP_TIMEOUT_SECONDS) -> str:
    """The raw value behind `reference`; never logged, never passed on argv by us."""
    executable = shutil.which("op")
    if executable is None:
        raise OpMissing(
            "the 1Password CLI `op` is not on PATH; install it "
            "(https://developer.1password.com/docs/cli/get-started/) or set POSTMARK_ACCOUNT_TOKEN"
        )
    try:
        code, out, err = _run_bounded(
            [executable, "read", "--no-newline", reference], timeout, MAX_OUTPUT_BYTES
        )
    except OverflowError:
        raise OpError(
            f"`op read {reference}` wrote more than {MAX_OUTPUT_BYTES} bytes; check the item holds a token"
        ) from None
    except OSError as exc:
        raise OpError(f"cannot run `op` ({exc.strerror or type(exc).__name__}); reinstall it") from None
    if code is None:
        raise OpError(
            f"`op read {reference}` did not finish within {timeout:g} s; unlock 1Password and re-run"
        )
    detail = " ".join(err.decode("utf-8", "replace").split())
    if code != 0:
        if any(marker in detail.lower() for marker in _NOT_SIGNED_IN_MARKERS):
            raise OpNotSignedIn("the 1Password CLI is not signed in; run `eval $(op signin)` and re-run")
        raise OpError(f"`op read {reference}` failed ({detail[:160] or f'exit {code}'})")
    try:
        value = out.decode("utf-8")
    except UnicodeDecodeError:
        raise OpError(f"`op read {reference}` returned bytes that are not text; check the item") from None
    if not value.strip():
        raise OpEmptyValue(f"`op read {reference}` returned an empty value; store the token in that item")
    return value

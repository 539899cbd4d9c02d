"""Resolve a 1Password secret reference with `op read`, bounded in time and size.

`op read op://vault/item/field` returns the field's value (`op item get --fields` can
return an internal id instead). The value is returned raw: the caller applies the token
rule (`tools.lib.token_rule`), so trimming happens once, in one place. Each failure is a
distinct one-line error naming the fix. `op` runs in its own process group, which is killed
whenever the read ends early - at the timeout, over `MAX_OUTPUT_BYTES`, on Ctrl-C or SIGTERM -
so neither it nor a child it left behind outlives the tool; a child that keeps the output
open after `op` itself has exited does not hold the read either.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import time

from tools.lib.bounded import kill_process_group, printable

DEFAULT_OP_TIMEOUT_SECONDS = 30.0
MAX_OUTPUT_BYTES = 64 * 1024
EXITED_GRACE_SECONDS = 0.5  # output still in flight once `op` has exited
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


class _TooMuchOutput(Exception):
    pass


def _run_bounded(argv: list[str], timeout: float, limit: int) -> tuple[int | None, bytes, bytes]:
    """(exit code, stdout, stderr); exit code None when stopped at the timeout."""
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, so its children can be stopped too
    )
    assert process.stdout is not None and process.stderr is not None
    out_fd, err_fd = process.stdout.fileno(), process.stderr.fileno()
    buffers = {out_fd: bytearray(), err_fd: bytearray()}
    deadline = time.monotonic() + timeout
    finished = False
    try:
        with selectors.DefaultSelector() as selector:
            for fd in buffers:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                if process.poll() is not None:
                    deadline = min(deadline, time.monotonic() + EXITED_GRACE_SECONDS)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                for key, _ in selector.select(min(remaining, 0.25)):
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        selector.unregister(key.fd)
                        continue
                    buffers[key.fd] += chunk
                    if len(buffers[key.fd]) > limit:
                        raise _TooMuchOutput
        if process.poll() is None:  # its output ended; let it exit within the time left
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.0, deadline - time.monotonic()))
        code = process.poll()
        finished = code is not None
        return (code if finished else None), bytes(buffers[out_fd]), bytes(buffers[err_fd])
    finally:
        if not finished:
            kill_process_group(process)
        else:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)  # children `op` left behind
        process.stdout.close()
        process.stderr.close()


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
    except _TooMuchOutput:
        raise OpError(
            f"`op read {reference}` wrote more than {MAX_OUTPUT_BYTES} bytes; check the item holds a token"
        ) from None
    except OSError as exc:
        raise OpError(f"cannot run `op` ({exc.strerror or type(exc).__name__}); reinstall it") from None
    if code is None:
        raise OpError(
            f"`op read {reference}` did not finish within {timeout:g} s; unlock 1Password and re-run"
        )
    detail = printable(" ".join(err.decode("utf-8", "replace").split()))
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

"""`cdk.context.json` on disk: one strict reader and one locked, atomic writer.

The pre-deploy CLI writes `partitionMail:{infra}:{partition}` blocks here and the CDK app
reads them back (through CDK's context, validated by `SendingDomain.parse_block`). The writer keeps
every other key, renders the file one stable way (sorted keys, two-space indent, trailing
newline) and leaves it untouched when nothing changed. Concurrent runs (dev and stage at
once) serialize on an exclusive lock around read-modify-write, so neither loses the other's
block. Writes go to a symlink's target, never replace a file the user cannot write, and
replace the file atomically: a crash, Ctrl-C or malformed file never leaves it half-written
nor a temporary file behind. Reading refuses duplicate keys and non-finite numbers, which
Python's `json` would otherwise drop silently or turn into `Infinity` (not JSON) on write.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Any

from platform_lib.context_block import ContextBlock
from platform_lib.errors import PlatformError

CONTEXT_FILE_NAME = "cdk.context.json"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
PROJECT_CONTEXT_FILE = PROJECT_ROOT / CONTEXT_FILE_NAME
LOCK_WAIT_SECONDS = 30.0
MAX_CONTEXT_BYTES = 4 * 1024 * 1024  # the committed file is ~3 KB
_LOCK_POLL_SECONDS = 0.05


class MalformedContextFile(PlatformError):
    """The context file cannot be used as it is; it is reported and left untouched."""


class ContextWriteFailed(PlatformError):
    """Writing the context file failed (a full disk, a file-size limit); it is unchanged."""


class ContextFileBusy(PlatformError):
    """Another run held the context file's lock for longer than we wait."""


class _Refused(ValueError):
    """A JSON construct the store refuses (duplicate key, non-finite number)."""


def render_context(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Refused(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text} is out of range")
    return value


def _no_constant(text: str) -> Any:
    raise _Refused(f"{text} is not a JSON number")


def parse_context_text(text: str, path: Path) -> dict[str, Any]:
    """Strict JSON: an object, no duplicate keys, only finite numbers."""
    restore = f"fix it or restore it with `git checkout -- {path.name}`, then re-run"
    try:
        data = json.loads(
            text,
            object_pairs_hook=_object_without_duplicates,
            parse_float=_finite_float,
            parse_constant=_no_constant,
        )
    except json.JSONDecodeError as exc:
        raise MalformedContextFile(
            f"{path} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); {restore}"
        ) from None
    except _Refused as exc:
        raise MalformedContextFile(f"{path} is not usable: {exc}; {restore}") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer with thousands of digits
        raise MalformedContextFile(f"{path} is not usable ({type(exc).__name__}); {restore}") from None
    if not isinstance(data, dict):
        raise MalformedContextFile(
            f"{path} must hold a JSON object, not {type(data).__name__}; "
            f"restore it with `git checkout -- {path.name}`, then re-run"
        )
    try:
        render_context(data).encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedContextFile(
            f"{path} holds a string that is not valid Unicode (a lone surrogate); {restore}"
        ) from None
    return data


def read_context(path: Path) -> dict[str, Any]:
    """The file's top-level object; an absent file is an empty context. Only a regular file
    of reasonable size is read: a FIFO would block for ever, a device never end."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise MalformedContextFile(f"cannot read {path} ({exc.strerror}); fix the path and re-run") from None
    if not stat.S_ISREG(info.st_mode):
        raise MalformedContextFile(
            f"{path} is not a regular file; point --context-file at the project's {CONTEXT_FILE_NAME}"
        )
    if info.st_size > MAX_CONTEXT_BYTES:
        raise MalformedContextFile(
            f"{path} is {info.st_size} bytes, more than a context file can be ({MAX_CONTEXT_BYTES}); restore it"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise MalformedContextFile(f"cannot read {path} ({detail}); fix the file and re-run") from None
    return parse_context_text(text, path)


def _target_of(path: Path) -> Path:
    """The file a write must change: a symlink's target (followed to the end), else `path`."""
    return Path(os.path.realpath(path))


def _check_writable(target: Path, shown: Path) -> None:
    if target.exists() and target.stat().st_nlink > 1:
        # Replacing it would split the links: the other names would keep the old content.
        raise MalformedContextFile(
            f"{shown} has {target.stat().st_nlink} hard links, which a safe (atomic) write would split; "
            "make it one file (or a symbolic link) and re-run; it was not changed"
        )
    # No write bit at all counts as read-only even for root, whom `access` always lets write.
    if target.exists() and (not os.access(target, os.W_OK) or not target.stat().st_mode & 0o222):
        raise MalformedContextFile(
            f"{shown} is read-only; make it writable (chmod u+w {shown}) and re-run; it was not changed"
        )
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise MalformedContextFile(
            f"cannot write in {target.parent} (no permission); fix its permissions and re-run"
        )


@contextlib.contextmanager
def locked(
    path: Path, *, wait_seconds: float = LOCK_WAIT_SECONDS, waiting: Callable[[str], None] | None = None
) -> Iterator[Path]:
    """Hold the exclusive lock of the context file at `path`; yields the file to write.

    The lock is on the target's directory (a `flock` on a directory file descriptor), not
    on the file, which each write replaces; nothing is left behind when it is released.
    """
    target = _target_of(path)
    try:
        directory_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise MalformedContextFile(
            f"cannot open the folder of {path} ({exc.strerror}); create it or name another --context-file"
        ) from None
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(directory_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if waiting is not None:  # once: what the run waits for, and for how long at most
                    waiting(f"waiting for another run's lock on {path} (at most {wait_seconds:g} s)")
                    waiting = None
                if time.monotonic() >= deadline:
                    raise ContextFileBusy(
                        f"another run has held the lock on {path} for {wait_seconds:g} s; "
                        "wait for it to finish and re-run"
                    ) from None
                time.sleep(_LOCK_POLL_SECONDS)
        yield target
    finally:
        os.close(directory_fd)  # closing the descriptor releases the lock


def write_context_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write to a temporary file beside the target, fsync it, rename it over the target.

    Call it holding `locked(path)` when the data came from reading the same file. The
    temporary file's name is chosen before it exists, so whatever interrupts the write - a
    full disk, Ctrl-C, SIGTERM, SIGHUP - the clean-up knows what to remove.
    """
    target = _target_of(path)
    _check_writable(target, path)
    text = render_context(data)  # fails (ValueError) before any file exists
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    temporary = target.parent / f".{target.name}.{secrets.token_hex(8)}.tmp"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ContextWriteFailed(
            f"cannot write {path} ({exc.strerror or type(exc).__name__}); it was not changed: "
            "free space or fix the folder, then re-run"
        ) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory_fd)
    finally:
        os.close(directory_fd)


class Stored(Enum):
    """What `put_context_block` did."""

    UNCHANGED = "unchanged"  # the block was there already: no write
    WRITTEN = "written"
    CREATED = "created"  # the file did not exist: it holds this block only


def put_context_block(
    path: Path, key: str, value: ContextBlock, *, waiting: Callable[[str], None] | None = None
) -> Stored:
    """Store a sending domain's block under `key` (no write when it is there already).

    The read, the comparison and the write happen under the file's lock, so a concurrent
    run for another partition is never overwritten with the state this run read earlier.
    """
    block = value.to_json()
    with locked(path, waiting=waiting) as target:
        existed = target.exists()
        data = read_context(target)
        if data.get(key) == block:
            return Stored.UNCHANGED
        write_context_atomically(target, {**data, key: block})
    return Stored.WRITTEN if existed else Stored.CREATED

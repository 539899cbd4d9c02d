"""`cdk.context.json` on disk: one reader and one atomic writer.

The pre-deploy CLI writes `partitionMail:{infra}:{partition}` blocks here and the CDK app
reads them back (through CDK's context, validated by `parse_mail_context`). The writer keeps
every other key, renders the file one stable way (sorted keys, two-space indent, trailing
newline), leaves the file untouched when nothing changed, and replaces it atomically so a
crash or a malformed file never leaves it half-written.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from platform_lib.errors import PlatformError
from platform_lib.mail_context import PartitionMailContext, parse_mail_context
from platform_lib.naming import context_key
from platform_lib.registry import Partition

CONTEXT_FILE_NAME = "cdk.context.json"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
PROJECT_CONTEXT_FILE = PROJECT_ROOT / CONTEXT_FILE_NAME


class MalformedContextFile(PlatformError):
    """The context file is not a JSON object; it is reported and left as it is."""


def render_context(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_context(path: Path) -> dict[str, Any]:
    """The file's top-level object; an absent file is an empty context."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise MalformedContextFile(f"cannot read {path}: {exc}; fix the file and re-run") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedContextFile(
            f"{path} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            f"fix it or restore it with `git checkout -- {path.name}`, then re-run"
        ) from None
    if not isinstance(data, dict):
        raise MalformedContextFile(
            f"{path} must hold a JSON object, not {type(data).__name__}; "
            f"restore it with `git checkout -- {path.name}`, then re-run"
        )
    return data


def write_context_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write to a temporary file beside `path`, fsync it, rename it over `path`."""
    directory = path.parent
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(render_context(data))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_fd)
    finally:
        os.close(directory_fd)


def read_partition_mail_context(path: Path, partition: Partition) -> PartitionMailContext:
    """The partition's block, validated exactly as the CDK app validates it."""
    return parse_mail_context(partition, read_context(path).get(context_key(partition)))


def put_partition_mail_context(path: Path, partition: Partition, value: PartitionMailContext) -> bool:
    """Store the partition's block; False (and no write at all) when it is already there."""
    data = read_context(path)
    key = context_key(partition)
    block = value.to_json()
    if data.get(key) == block:
        return False
    write_context_atomically(path, {**data, key: block})
    return True

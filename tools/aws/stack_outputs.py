"""The run's stack outputs file: what each `cdk deploy` of the run printed as outputs, by stack.

The CDK CLI's `--outputs-file` rewrites its file on each deploy, and one run may deploy
several stacks, so each deploy writes its own part, which is merged here into the run's file
(next to the run log) and removed. A part is the CLI's answer: it is read with a size limit
and checked to be stack → output → text before anything of it is kept.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

MAX_PART_BYTES = 1024 * 1024


class OutputsUnreadable(Exception):
    """A part is missing, too large or not stack → output → text."""


def part_path(outputs_file: Path, stack: str) -> Path:
    return outputs_file.with_name(f".{outputs_file.name}.{stack}.part")


def _shaped(data: Any) -> dict[str, dict[str, str]]:
    if not isinstance(data, dict) or not all(
        isinstance(stack, str)
        and isinstance(outputs, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in outputs.items())
        for stack, outputs in data.items()
    ):
        raise OutputsUnreadable("not stack -> output -> text")
    return data


def _read(path: Path) -> dict[str, dict[str, str]]:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_PART_BYTES + 1)
    except OSError as exc:
        raise OutputsUnreadable(exc.strerror or type(exc).__name__) from None
    if len(raw) > MAX_PART_BYTES:
        raise OutputsUnreadable(f"over {MAX_PART_BYTES} bytes")
    try:
        return _shaped(json.loads(raw.decode("utf-8")))
    except (UnicodeDecodeError, ValueError) as exc:
        raise OutputsUnreadable(f"not JSON ({type(exc).__name__})") from None


def merge_part(part: Path, outputs_file: Path) -> list[str]:
    """Add the part's stacks to the run's file (written whole, then renamed into place); the
    part is removed however it ends. The stacks merged."""
    try:
        found = _read(part)
        kept = _read(outputs_file) if outputs_file.exists() else {}
        kept.update(found)
        temporary = outputs_file.with_name(f".{outputs_file.name}.{secrets.token_hex(6)}.tmp")
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(kept, handle, indent=2, sort_keys=True)
                handle.write("\n")
            os.replace(temporary, outputs_file)
        finally:
            temporary.unlink(missing_ok=True)
        return sorted(found)
    finally:
        part.unlink(missing_ok=True)

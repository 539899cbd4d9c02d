"""A stand-in for the 1Password CLI: `op read [--no-newline] op://...` answers like the real one."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path


def write_fake_op(
    bin_dir: Path,
    *,
    token: str = "",
    tokens: Mapping[str, str] | None = None,
    signed_in: bool = True,
    hang_seconds: float = 0.0,
    suffix: str = "",
    fail_with: str | None = None,
    exit_code: int = 1,
    pid_file: Path | None = None,
) -> Path:
    """Write an executable `op` into `bin_dir`.

    `tokens` maps references to values (others get `token`; `token=""` answers an empty
    value); `suffix` is printed after the value verbatim (e.g. "\\r\\n", a stray CR from a
    paste); `hang_seconds` makes `op read` sit that long first (a locked 1Password);
    `fail_with` is written to stderr before exiting with `exit_code` (how `op` fails);
    `pid_file` receives the fake's process id (to check it did not outlive the read).
    """
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "op"
    record = f"echo $$ > {shlex.quote(str(pid_file))}\n" if pid_file is not None else ""
    if not signed_in:
        body = 'echo "[ERROR] 2026/11/22 12:00:00 You are not currently signed in." >&2\nexit 1\n'
    elif fail_with is not None:
        wait = f"sleep {hang_seconds}\n" if hang_seconds else ""
        body = f"{wait}printf '%s\\n' {shlex.quote(fail_with)} >&2\nexit {exit_code}\n"
    else:
        cases = "".join(
            f"  {shlex.quote(reference)}) value={shlex.quote(value)} ;;\n"
            for reference, value in (tokens or {}).items()
        )
        wait = f"sleep {hang_seconds}\n" if hang_seconds else ""
        body = (
            '[ "$1" = read ] || exit 64\n'
            f"value={shlex.quote(token)}\n"
            f'case "${{@: -1}}" in\n{cases}  *) ;;\nesac\n'
            f"{wait}"
            f'printf "%s%s" "$value" {shlex.quote(suffix)}\n'
        )
    script.write_text("#!/usr/bin/env bash\n" + record + body)
    script.chmod(0o755)
    return script

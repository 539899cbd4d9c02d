"""The settings `amm.sh` reads from its environment, checked before anything changes.

AMM_VERIFY_DEADLINE_SECONDS, AMM_OP_TIMEOUT_SECONDS (defaults in SETTINGS_HELP): finite
numbers of seconds above zero, at most a day. AMM_LOG_DIR (default ./logs): a folder this
user can create or write. POSTMARK_API_URL: https (plain http only to loopback); when it is
not Postmark's own URL the run says so once at start.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from platform_lib.context_store import PROJECT_ROOT
from tools.cli.arguments import MAX_SECONDS
from tools.cli.contract import UsageError
from tools.postmark.client import DEFAULT_POSTMARK_API_URL, api_url_notice, postmark_api_url
from tools.postmark.verification import DEFAULT_DEADLINE_SECONDS
from tools.runtime.text import unprintable
from tools.runtime.urls import UnsafeUrl
from tools.secrets.op import DEFAULT_OP_TIMEOUT_SECONDS
from tools.secrets.outside_text import outside_text

SETTINGS_HELP = f"""\
environment (checked before anything changes): AMM_VERIFY_DEADLINE_SECONDS (default {DEFAULT_DEADLINE_SECONDS:g})
bounds the Postmark verification poll; AMM_OP_TIMEOUT_SECONDS (default {DEFAULT_OP_TIMEOUT_SECONDS:g}) bounds each
`op read`; AMM_LOG_DIR (default ./logs) is where the token-free run log goes;
POSTMARK_API_URL (default {DEFAULT_POSTMARK_API_URL}; plain http only to loopback)."""


class SettingError(UsageError):
    """An environment setting is unusable; the message names the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    verify_deadline: float
    op_timeout: float
    log_dir: Path
    postmark_url: str
    postmark_notice: str | None


def seconds_setting(env: Mapping[str, str], variable: str, default: float) -> float:
    raw = env.get(variable, "")
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(f"{variable}={raw!r} is not a number of seconds; unset it or fix it") from None
    if not (math.isfinite(value) and 0 < value <= MAX_SECONDS):
        raise SettingError(
            f"{variable}={raw!r} must be a number of seconds above 0 and at most {MAX_SECONDS:g}"
        )
    return value


def log_dir_setting(env: Mapping[str, str]) -> Path:
    raw = env.get("AMM_LOG_DIR", "")
    if raw and not raw.strip():
        raise SettingError("AMM_LOG_DIR is blank; unset it or name a folder")
    if any(unprintable(char) for char in raw):
        raise SettingError("AMM_LOG_DIR holds a control character; set it to a folder's path")
    path = Path(raw) if raw else PROJECT_ROOT / "logs"
    shown = outside_text(str(path), 120)
    try:
        if path.exists() and not path.is_dir():
            raise SettingError(f"AMM_LOG_DIR {shown} is not a folder; unset it or name a folder")
        existing = path
        while not existing.exists():
            existing = existing.parent
        if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
            raise SettingError(
                f"AMM_LOG_DIR {shown} cannot be written; fix its permissions or name another folder"
            )
        return path.resolve()
    except (OSError, RuntimeError) as exc:  # a name too long, a loop of links (RuntimeError), no access
        reason = getattr(exc, "strerror", None) or (
            "a loop of links" if isinstance(exc, RuntimeError) else ""
        )
        raise SettingError(
            f"AMM_LOG_DIR {shown} cannot be used ({reason or type(exc).__name__}); name another folder"
        ) from None


def read_settings(env: Mapping[str, str]) -> Settings:
    try:
        url = postmark_api_url(env)
    except UnsafeUrl as exc:
        raise SettingError(str(exc)) from None
    return Settings(
        verify_deadline=seconds_setting(env, "AMM_VERIFY_DEADLINE_SECONDS", DEFAULT_DEADLINE_SECONDS),
        op_timeout=seconds_setting(env, "AMM_OP_TIMEOUT_SECONDS", DEFAULT_OP_TIMEOUT_SECONDS),
        log_dir=log_dir_setting(env),
        postmark_url=url,
        postmark_notice=api_url_notice(url, env),
    )

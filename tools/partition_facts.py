"""Registry facts and checked settings for `amm.sh`, as `KEY=value` lines, so the shell never
composes a name nor trusts a setting it has not had checked.

Usage: python -m tools.partition_facts <infrastructure> [<partition>]

Prints INFRASTRUCTURE, ACCOUNT, DEFAULT_PROFILE, REGION and PARTITIONS (the requested
partition, or every active partition of the infrastructure in rollout order), then for each
partition P: STACK_P, OP_REFERENCE_P, CONTEXT_KEY_P, CONFIRM_P (1 when production); then the
settings `amm.sh` reads from its environment, validated before anything changes:
VERIFY_DEADLINE_SECONDS (AMM_VERIFY_DEADLINE_SECONDS), OP_TIMEOUT_SECONDS
(AMM_OP_TIMEOUT_SECONDS), LOG_DIR (AMM_LOG_DIR) and POSTMARK_API_NOTE (a line to print when
POSTMARK_API_URL is not Postmark's, else empty). Bad input: one line on stderr naming the
valid choices or the fix, exit 2.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from platform_lib.context_store import PROJECT_ROOT
from platform_lib.errors import PlatformError
from platform_lib.naming import context_key, stack_name
from platform_lib.postmark import postmark_credential_op_reference
from platform_lib.registry import (
    InfrastructureRole,
    active_partitions,
    get_infrastructure,
    get_partition_on,
    partition_host_infrastructures,
    requires_production_confirmation,
)
from tools.lib.op_resolver import DEFAULT_OP_TIMEOUT_SECONDS
from tools.lib.postmark_client import PostmarkConfigError, api_url_notice, postmark_api_url

USAGE = "usage: python -m tools.partition_facts <infrastructure> [<partition>]"
DEFAULT_VERIFY_DEADLINE_SECONDS = 300.0
MAX_SETTING_SECONDS = 24 * 3600.0


class SettingError(PlatformError):
    """An environment setting of amm.sh is unusable; the message names the variable."""


def seconds_setting(env: Mapping[str, str], variable: str, default: float) -> float:
    raw = env.get(variable, "")
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(f"{variable}={raw!r} is not a number of seconds; unset it or fix it") from None
    if not (math.isfinite(value) and 0 < value <= MAX_SETTING_SECONDS):
        raise SettingError(
            f"{variable}={raw!r} must be a number of seconds above 0 and at most {MAX_SETTING_SECONDS:g}"
        )
    return value


def log_dir_setting(env: Mapping[str, str]) -> Path:
    raw = env.get("AMM_LOG_DIR", "")
    path = Path(raw) if raw else PROJECT_ROOT / "logs"
    if raw and not raw.strip():
        raise SettingError("AMM_LOG_DIR is blank; unset it or name a folder")
    if path.exists() and not path.is_dir():
        raise SettingError(f"AMM_LOG_DIR {path} is not a folder; unset it or name a folder")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise SettingError(
            f"AMM_LOG_DIR {path} cannot be written; fix its permissions or name another folder"
        )
    return path.resolve()


def settings(env: Mapping[str, str]) -> list[tuple[str, str]]:
    try:
        notice = api_url_notice(postmark_api_url(env), env) or ""
    except PostmarkConfigError as exc:
        raise SettingError(str(exc)) from None
    return [
        (
            "VERIFY_DEADLINE_SECONDS",
            f"{seconds_setting(env, 'AMM_VERIFY_DEADLINE_SECONDS', DEFAULT_VERIFY_DEADLINE_SECONDS):g}",
        ),
        (
            "OP_TIMEOUT_SECONDS",
            f"{seconds_setting(env, 'AMM_OP_TIMEOUT_SECONDS', DEFAULT_OP_TIMEOUT_SECONDS):g}",
        ),
        ("LOG_DIR", str(log_dir_setting(env))),
        ("POSTMARK_API_NOTE", notice),
    ]


def facts(infrastructure: str, partition: str | None) -> list[tuple[str, str]]:
    if not infrastructure.strip():
        raise PlatformError("the infrastructure argument is empty; name one, e.g. Alpha002")
    if partition is not None and not partition.strip():
        raise PlatformError(
            "the partition argument is empty; name one, or leave it out to deploy every active partition"
        )
    infra = get_infrastructure(infrastructure)
    if infra.role is not InfrastructureRole.PARTITION_HOST:
        hosts = ", ".join(i.name for i in partition_host_infrastructures())
        raise PlatformError(f"{infra.name} hosts no partitions; partition infrastructures: {hosts}")
    parts = (
        [get_partition_on(infra.name, partition)] if partition is not None else active_partitions(infra.name)
    )
    rows = [
        ("INFRASTRUCTURE", infra.name),
        ("ACCOUNT", infra.account),
        ("DEFAULT_PROFILE", infra.default_profile),
        ("REGION", infra.region),
        ("PARTITIONS", " ".join(p.name for p in parts)),
    ]
    for part in parts:
        rows += [
            (f"STACK_{part.name}", stack_name(part)),
            (f"OP_REFERENCE_{part.name}", postmark_credential_op_reference(part.name)),
            (f"CONTEXT_KEY_{part.name}", context_key(part)),
            (f"CONFIRM_{part.name}", "1" if requires_production_confirmation(part.name) else "0"),
        ]
    return rows


def main(argv: list[str], env: Mapping[str, str] | None = None) -> int:
    if len(argv) not in (1, 2) or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        rows = facts(argv[0], argv[1] if len(argv) == 2 else None)
        rows += settings(os.environ if env is None else env)
    except PlatformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(f"{key}={value}" for key, value in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

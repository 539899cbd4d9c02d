"""The partition's Postmark account token: from the environment, else from 1Password.

`amm.sh` reads the token once (`python -m tools.amm`, the same rule) and hands it over as
`POSTMARK_ACCOUNT_TOKEN`; run alone, the tools read the partition's 1Password reference with
`op read`. Either way the raw value is registered with the logger's redactor (masked first
under GitHub Actions) before anything else happens, then normalised by the token rule.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from platform_lib.postmark import postmark_credential_op_reference
from platform_lib.registry import Partition
from tools.secrets import logger
from tools.secrets.op import DEFAULT_OP_TIMEOUT_SECONDS, read_op_reference
from tools.secrets.token_rule import normalize_token

TOKEN_ENV_VAR = "POSTMARK_ACCOUNT_TOKEN"  # noqa: S105 (a variable name)


def accepted_token(raw: str, *, source: str, fix: str) -> str:
    """Register `raw` for redaction, apply the token rule, register the result too."""
    logger.register_secret(raw)
    token = normalize_token(raw, source=source, fix=fix)
    logger.register_secret(token)
    return token


def read_op_token(reference: str, *, timeout: float = DEFAULT_OP_TIMEOUT_SECONDS) -> str:
    """`op read reference` under the token rule."""
    return accepted_token(
        read_op_reference(reference, timeout=timeout),
        source=f"`op read {reference}`",
        fix="fix the value in that 1Password item",
    )


def resolve_account_token(partition: Partition, env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(the token, where it came from as an error message names it): the environment's
    POSTMARK_ACCOUNT_TOKEN when set, else the partition's 1Password reference."""
    env = os.environ if env is None else env
    raw = env.get(TOKEN_ENV_VAR, "")
    if raw:
        fix = "set it to the partition's Postmark account token alone"
        return accepted_token(raw, source=TOKEN_ENV_VAR, fix=fix), TOKEN_ENV_VAR
    reference = postmark_credential_op_reference(partition.name)
    return read_op_token(reference), reference

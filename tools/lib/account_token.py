"""The partition's Postmark account token: from the environment, else from 1Password.

`amm.sh` reads the token once and hands it over as `POSTMARK_ACCOUNT_TOKEN`; run alone, the
tools read the partition's 1Password reference with `op read`. Either way the value is
registered with the logger's redactor before anything else happens.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from platform_lib.postmark import postmark_credential_op_reference
from platform_lib.registry import Partition
from tools.lib import logger
from tools.lib.op_resolver import read_op_reference

TOKEN_ENV_VAR = "POSTMARK_ACCOUNT_TOKEN"  # noqa: S105 (a variable name)


def resolve_account_token(partition: Partition, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    token = (env.get(TOKEN_ENV_VAR) or "").strip()
    if not token:
        token = read_op_reference(postmark_credential_op_reference(partition.name))
    logger.register_secret(token)
    return token

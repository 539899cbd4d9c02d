"""The Postmark tokens the plan may use, and nothing more: the drift workflows' variables
(`POSTMARK_NONPROD_ACCOUNT_TOKEN`, `POSTMARK_PROD_ACCOUNT_TOKEN`) when set, or - only when
the operator asks with `--op` - `op read` of the account's 1Password reference. Without a
token an account's Postmark checks are not asked (the plan says so); no other secret is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from platform_lib.registry import PostmarkAccount
from tools.checks.probes import PostmarkDomainsApi
from tools.cli.contract import UsageError
from tools.planning.subjects import PlanTarget
from tools.postmark.client import PostmarkClient, PostmarkLimits
from tools.secrets.account_token import accepted_token, read_op_token
from tools.secrets.token_rule import TokenRejected


def _references(targets: Sequence[PlanTarget]) -> dict[PostmarkAccount, str]:
    """Each account's 1Password reference: the first domain on it, in rollout order."""
    found: dict[PostmarkAccount, str] = {}
    for target in targets:
        for domain in target.domains:
            found.setdefault(domain.postmark_account, domain.token_reference)
    return found


def postmark_apis(
    targets: Sequence[PlanTarget], env: Mapping[str, str], *, use_op: bool, base_url: str, timeout: float
) -> tuple[dict[PostmarkAccount, PostmarkDomainsApi], str]:
    """A client per account with a token, and a line saying where the tokens came from."""
    apis: dict[PostmarkAccount, PostmarkDomainsApi] = {}
    sources, missing = [], []
    for account, reference in _references(targets).items():
        raw = env.get(account.token_env_var, "")
        try:
            if raw:
                token, source = (
                    accepted_token(
                        raw, source=account.token_env_var, fix="set it to that account's token alone"
                    ),
                    account.token_env_var,
                )
            elif use_op:
                token, source = read_op_token(reference), reference
            else:
                missing.append(account.token_env_var)
                continue
        except TokenRejected as exc:
            raise UsageError(str(exc)) from None
        sources.append(source)
        apis[account] = PostmarkClient(
            token,
            base_url=base_url,
            timeout=timeout,
            deadline_seconds=3 * timeout,
            limits=PostmarkLimits(retries=1, backoff_seconds=0.25, max_retry_after_seconds=timeout),
            token_source=source,
        )
    said = f"tokens from {', '.join(sources)}" if sources else ""
    if missing:
        said += ("; " if said else "") + f"not asked without {', '.join(missing)} (set them, or pass --op)"
    return apis, said

"""Postmark facts the platform owns: the account binding and the 1Password reference."""

from __future__ import annotations

from platform_lib.registry import CORPORATE, PostmarkAccount, get_partition, postmark_account_of

__all__ = ["PostmarkAccount", "postmark_account_of", "postmark_credential_op_reference"]


def postmark_credential_op_reference(partition: str) -> str:
    """`op://Arda-{Env}OAM/Postmark/credential`: the partition's account-token reference.

    amm.sh resolves it with `op read`; the CDK app never touches 1Password.
    """
    part = get_partition(partition, require_active=False)
    return f"op://Arda-{part.name.capitalize()}OAM/Postmark/credential"


def corporate_postmark_op_reference() -> str:
    """The PostmarkProd account token's reference for the corporate CLI: the same account (and
    token) demo and prod use, so the same 1Password item (ADR-0023)."""
    return postmark_credential_op_reference(CORPORATE.token_partition)

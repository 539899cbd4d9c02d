"""What drift holds each sending domain to: the domain (`platform_lib.sending_domain`) and the
block of `cdk.context.json` its stack publishes, validated by the parser the CDK app uses.

Partitions: every active partition (or those asked for). The corporate group: the corporate
domain and the Free Kanban Tool's leaf, both against the corporate block the corporate CLI
writes. A missing or malformed block is a configuration error (exit 2), found before any
probe runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from platform_lib.context_store import MalformedContextFile, read_context
from platform_lib.errors import PlatformError
from platform_lib.registry import Partition, active_partitions
from platform_lib.sending_domain import (
    SendingDomain,
    corporate_sending_domain,
    free_kanban_tool_leaf,
    partition_sending_domain,
)
from tools.checks.catalogue import ExpectedDomain
from tools.cli.contract import UsageError


class DriftConfigError(UsageError):
    """A usage or configuration problem (exit code 2); the message names the fix."""


def load_context_file(path: Path) -> dict[str, Any]:
    """The context file through the project's one strict reader (regular file, size cap, no
    duplicate keys or non-finite numbers); drift needs it, so an absent file is an error."""
    if not path.exists():
        raise DriftConfigError(f"context file {path} does not exist")
    try:
        return read_context(path)
    except MalformedContextFile as exc:
        raise DriftConfigError(str(exc)) from None


def expected_domain(domain: SendingDomain, context: dict[str, Any]) -> ExpectedDomain:
    """`domain` held to its block in `context` (DriftConfigError when it is unusable)."""
    try:
        return ExpectedDomain(domain, domain.block_in(context))
    except PlatformError as exc:
        raise DriftConfigError(str(exc)) from None


def partition_expected_domains(
    context_file: Path, partitions: Sequence[Partition] | None = None
) -> list[ExpectedDomain]:
    """Every active partition (or the given ones), validated up front."""
    data = load_context_file(context_file)
    return [expected_domain(partition_sending_domain(p), data) for p in (partitions or active_partitions())]


def corporate_expected_domains(context_file: Path) -> list[ExpectedDomain]:
    """The corporate domain `arda.ardamails.com` on PostmarkProd, DKIM at the parent
    (DQ-R1-009), against its context block - and the Free Kanban Tool's sending leaf, whose
    own records are only its SPF and DMARC (ADR-0023)."""
    data = load_context_file(context_file)
    return [expected_domain(corporate_sending_domain(), data), expected_domain(free_kanban_tool_leaf(), data)]

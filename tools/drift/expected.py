"""What each sending domain should look like: the placement plus where its values come from.

Partitions: the selector, public key and Return-Path target come from the partition's
`partitionMail:{infra}:{partition}` block of `cdk.context.json` (validated by the same
`parse_mail_context` the CDK app uses), and every FQDN from `sending_domain_placement`.

The corporate domain and the Free Kanban Tool's leaf come from `corporate_expected_domains`,
against the corporate block the corporate CLI writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platform_lib.context_store import PROJECT_CONTEXT_FILE, MalformedContextFile, read_context
from platform_lib.errors import PlatformError
from platform_lib.mail_context import PartitionMailContext, parse_context_block, parse_mail_context
from platform_lib.naming import (
    CORPORATE_CLI_COMMAND,
    MAIL_ROOT_DOMAIN,
    amm_command,
    context_key,
    corporate_context_key,
    corporate_zone_name,
    free_kanban_tool_domain,
)
from platform_lib.placement import (
    SendingDomainPlacement,
    corporate_sending_domain_placement,
    sending_domain_placement,
)
from platform_lib.registry import CORPORATE, Partition, PostmarkAccount, active_partitions

DEFAULT_CONTEXT_FILE = PROJECT_CONTEXT_FILE


class DriftConfigError(Exception):
    """A usage or configuration problem (exit code 2); the message names the fix."""


PlacementFor = Callable[[str], SendingDomainPlacement]


@dataclass(frozen=True)
class ExpectedDomain:
    """One sending domain to check.

    `context` (the domain's context block) holds the expected selector, keys and Return-Path
    target; DNS and Postmark are both held to it.
    """

    label: str
    zone_name: str
    account: PostmarkAccount
    placement_for: PlacementFor
    context: PartitionMailContext
    context_source: str
    fix_command: str = ""  # what republishes it (`./amm.sh Alpha002 dev`, `./corporate-cli`)
    leaf_of: str | None = None  # a sending leaf inside this zone: only its SPF and DMARC are its own
    delegating_zone: str = MAIL_ROOT_DOMAIN  # the parent zone that delegates this one


def load_context_file(path: Path) -> dict[str, Any]:
    """The context file through the project's one strict reader (regular file, size cap, no
    duplicate keys or non-finite numbers); drift needs it, so an absent file is an error."""
    if not path.exists():
        raise DriftConfigError(f"context file {path} does not exist")
    try:
        return read_context(path)
    except MalformedContextFile as exc:
        raise DriftConfigError(str(exc)) from None


def partition_expected_domain(partition: Partition, context_data: dict[str, Any]) -> ExpectedDomain:
    key = context_key(partition)
    try:
        context = parse_mail_context(partition, context_data.get(key))
    except PlatformError as exc:
        raise DriftConfigError(str(exc)) from exc

    def placement_for(selector: str) -> SendingDomainPlacement:
        return sending_domain_placement(partition.name, selector)

    return ExpectedDomain(
        label=partition.name,
        zone_name=placement_for(context.dkim_selector).postmark_domain_name,
        account=partition.postmark_account,
        placement_for=placement_for,
        context=context,
        context_source=f"cdk.context.json {key!r}",
        fix_command=amm_command(partition),
    )


def partition_expected_domains(
    context_file: Path, partitions: Sequence[Partition] | None = None
) -> list[ExpectedDomain]:
    """Every active partition (or the given ones), validated up front."""
    data = load_context_file(context_file)
    return [partition_expected_domain(p, data) for p in (partitions or active_partitions())]


def corporate_expected_domains(context_file: Path) -> list[ExpectedDomain]:
    """The corporate domain `arda.ardamails.com` on PostmarkProd, DKIM at the parent
    (DQ-R1-009), against its context block - and the Free Kanban Tool's sending leaf, whose
    own records are only its SPF and DMARC (ADR-0023)."""
    key = corporate_context_key()
    try:
        context = parse_context_block(
            key, load_context_file(context_file).get(key), f"run `{CORPORATE_CLI_COMMAND}`"
        )
    except PlatformError as exc:
        raise DriftConfigError(str(exc)) from exc
    zone = corporate_zone_name()
    corporate = ExpectedDomain(
        label="corporate",
        zone_name=zone,
        account=CORPORATE.postmark_account,
        placement_for=corporate_sending_domain_placement,
        context=context,
        context_source=f"cdk.context.json {key!r}",
        fix_command=CORPORATE_CLI_COMMAND,
    )
    leaf = ExpectedDomain(
        label="free-kanban-tool",
        zone_name=free_kanban_tool_domain(),
        account=CORPORATE.postmark_account,
        placement_for=corporate_sending_domain_placement,
        context=context,
        context_source=f"cdk.context.json {key!r}",
        fix_command=CORPORATE_CLI_COMMAND,
        leaf_of=zone,
    )
    return [corporate, leaf]

"""Sending domains: each partition's, the corporate one, and the Free Kanban Tool's leaf.

One model for everything that identifies a sending domain - its zone and Postmark domain,
its Postmark account, its `cdk.context.json` block, where its records go, which command
writes its block and which one publishes it - built from the registry, the names and the
placement. The CDK stacks, the pre-deploy step, drift, the cascade gate, validate-exit and
the plan all take it from here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from platform_lib.context_block import ContextBlock, parse_context_block
from platform_lib.naming import (
    CORPORATE_CLI_COMMAND,
    FREE_KANBAN_TOOL_STACK_NAME,
    MAIL_ROOT_DOMAIN,
    PRE_DEPLOY_COMMAND,
    RETURN_PATH_LABEL,
    VERIFY_COMMAND,
    ExportKey,
    amm_command,
    context_key,
    corporate_context_key,
    corporate_mail_stack_name,
    corporate_zone_export_name,
    corporate_zone_name,
    encryption_key_secret_name,
    export_name,
    fqdn,
    free_kanban_tool_domain,
    free_kanban_tool_server_token_secret_name,
    partition_zone_name,
    postmark_account_token_secret_name,
    stack_name,
)
from platform_lib.placement import SendingDomainPlacement, anchored_placement
from platform_lib.postmark import corporate_postmark_op_reference, postmark_credential_op_reference
from platform_lib.registry import CORPORATE, Partition, PostmarkAccount


@dataclass(frozen=True)
class SendingDomain:
    """A domain that sends through Postmark with its own DKIM key and Return-Path - or, for a
    leaf (`leaf_of`), with its parent's: the leaf's own records are only SPF and DMARC."""

    label: str  # "dev", "corporate", "free-kanban-tool"
    zone_name: str  # the From domain (for a partition or the corporate group: its zone)
    postmark_account: PostmarkAccount
    token_reference: str  # the 1Password reference of that account's token
    context_key: str  # its block in cdk.context.json (a leaf: its parent's)
    writer: str  # the command that writes its block
    deployer: str  # the command that publishes it
    verifier: str  # the command that asks Postmark to verify it
    infrastructure: str  # whose account its stack is deployed into
    stack_name: str  # the stack that publishes its records
    zone_export: str | None  # the export naming its hosted zone's id (None: a leaf has no zone)
    exports: tuple[str, ...]  # every export its stack publishes
    secret_names: tuple[str, ...]  # the secrets its stack owns
    leaf_of: str | None = None  # the parent whose DKIM key and Return-Path a leaf uses
    encryption_key_secret: str | None = None  # a partition's: projected into its cluster by ESO
    delegating_zone: str = MAIL_ROOT_DOMAIN  # the zone that delegates this one

    @property
    def postmark_domain_name(self) -> str:
        """The Postmark domain, where DKIM and the Return-Path anchor."""
        return self.leaf_of or self.zone_name

    @property
    def return_path_host_name(self) -> str:
        return fqdn(RETURN_PATH_LABEL, self.postmark_domain_name)

    @property
    def is_leaf(self) -> bool:
        return self.leaf_of is not None

    def placement(self, dkim_selector: str) -> SendingDomainPlacement:
        """The four FQDNs for the key published under `dkim_selector`."""
        leaf = self.zone_name.removesuffix("." + self.leaf_of) if self.leaf_of else None
        return anchored_placement(self.postmark_domain_name, dkim_selector, leaf)

    @property
    def fix(self) -> str:
        """What to run when its block is missing or malformed."""
        return f"run `{self.writer}`"

    @property
    def context_source(self) -> str:
        return f"cdk.context.json {self.context_key!r}"

    def parse_block(self, value: Any) -> ContextBlock:
        """Its block, validated (MalformedContextBlock names the key and the fix)."""
        return parse_context_block(self.context_key, value, self.fix)

    def block_in(self, context: Mapping[str, Any]) -> ContextBlock:
        return self.parse_block(context.get(self.context_key))


def partition_sending_domain(partition: Partition) -> SendingDomain:
    """`{partition}.ardamails.com` on the partition's Postmark account."""
    return SendingDomain(
        label=partition.name,
        zone_name=partition_zone_name(partition),
        postmark_account=partition.postmark_account,
        token_reference=postmark_credential_op_reference(partition.name),
        context_key=context_key(partition),
        writer=f"{PRE_DEPLOY_COMMAND} {partition.infrastructure} {partition.name}",
        deployer=amm_command(partition),
        verifier=f"{VERIFY_COMMAND} {partition.infrastructure} {partition.name}",
        infrastructure=partition.infrastructure,
        stack_name=stack_name(partition),
        zone_export=export_name(partition, ExportKey.PARTITION_MAIL_ZONE_ID),
        exports=tuple(export_name(partition, key) for key in ExportKey),
        secret_names=(postmark_account_token_secret_name(partition), encryption_key_secret_name(partition)),
        encryption_key_secret=encryption_key_secret_name(partition),
    )


def corporate_sending_domain() -> SendingDomain:
    """`arda.ardamails.com` on PostmarkProd, DKIM anchored at it (DQ-R1-009)."""
    return SendingDomain(
        label="corporate",
        zone_name=corporate_zone_name(),
        postmark_account=CORPORATE.postmark_account,
        token_reference=corporate_postmark_op_reference(),
        context_key=corporate_context_key(),
        writer=CORPORATE_CLI_COMMAND,
        deployer=CORPORATE_CLI_COMMAND,
        verifier=CORPORATE_CLI_COMMAND,
        infrastructure=CORPORATE.infrastructure,
        stack_name=corporate_mail_stack_name(),
        zone_export=corporate_zone_export_name(),
        exports=(corporate_zone_export_name(),),
        secret_names=(free_kanban_tool_server_token_secret_name(),),
    )


def free_kanban_tool_leaf() -> SendingDomain:
    """`freekanban.arda.ardamails.com`: sends with the corporate domain's key and
    Return-Path, publishes its own SPF and DMARC (ADR-0023)."""
    corporate = corporate_sending_domain()
    return dataclasses.replace(
        corporate,
        label="free-kanban-tool",
        zone_name=free_kanban_tool_domain(),
        stack_name=FREE_KANBAN_TOOL_STACK_NAME,
        zone_export=None,
        exports=(),
        secret_names=(),
        leaf_of=corporate.zone_name,
    )

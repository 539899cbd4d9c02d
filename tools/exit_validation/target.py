"""The deployed partition the post-merge checks look at: its AWS session, DNS probe and context.

The stack description is fetched once and shared by the checks that read it (status, zone
id, exports). A failed fetch is not kept, so each of those checks reports the failure itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions

from platform_lib.mail_context import PartitionMailContext
from platform_lib.naming import (
    PRE_DEPLOY_COMMAND,
    ExportKey,
    context_key,
    export_name,
    partition_zone_name,
    stack_name,
)
from platform_lib.placement import SendingDomainPlacement, sending_domain_placement
from platform_lib.registry import Partition
from tools.dns.probe import DnsProbe
from tools.exit_validation.results import CheckFailed
from tools.postmark.client import PostmarkClient, PostmarkDomain, PostmarkError
from tools.secrets.op import OpError
from tools.secrets.outside_text import outside_text
from tools.secrets.token_rule import TokenRejected


def aws_failure(action: str, exc: Exception) -> CheckFailed:
    """One line for an AWS error: `action: Code: message`, or the botocore text."""
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "ClientError"), outside_text(str(error.get("Message", "")))
        return CheckFailed(f"{action}: {outside_text(str(code), 64)}" + (f": {message}" if message else ""))
    return CheckFailed(f"{action}: {outside_text(str(exc))}")


PostmarkOpener = Callable[[], PostmarkClient]


@dataclass
class PostMergeTarget:
    partition: Partition
    context: PartitionMailContext
    session: boto3.Session
    dns: DnsProbe
    open_postmark: PostmarkOpener
    profile: str | None = None
    _clients: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _stack: dict[str, Any] | None = field(default=None, init=False, repr=False)
    _postmark: PostmarkDomain | CheckFailed | None = field(default=None, init=False, repr=False)

    @property
    def stack_name(self) -> str:
        return stack_name(self.partition)

    @property
    def context_source(self) -> str:
        return f"cdk.context.json {context_key(self.partition)!r}"

    @functools.cached_property
    def placement(self) -> SendingDomainPlacement:
        return self.placement_for(self.context.dkim_selector)

    def placement_for(self, selector: str) -> SendingDomainPlacement:
        return sending_domain_placement(self.partition.name, selector)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            new_client: Any = self.session.client  # typed per service literal; here a plain str
            self._clients[service] = new_client(service)
        return self._clients[service]

    def stack(self) -> dict[str, Any]:
        """`describe_stacks` of this partition's stack (by name: one stack, no pagination)."""
        if self._stack is None:
            try:
                stacks = self.client("cloudformation").describe_stacks(StackName=self.stack_name)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
                raise aws_failure(f"describe stack {self.stack_name}", exc) from None
            self._stack = dict(stacks["Stacks"][0])
        return self._stack

    def postmark_domain(self) -> PostmarkDomain:
        """The partition's domain on its bound Postmark account (read once, failure kept)."""
        if self._postmark is None:
            self._postmark = self._read_postmark_domain()
        if isinstance(self._postmark, CheckFailed):
            raise self._postmark
        return self._postmark

    def _read_postmark_domain(self) -> PostmarkDomain | CheckFailed:
        name = partition_zone_name(self.partition)
        account = self.partition.postmark_account.value
        try:
            with self.open_postmark() as client:
                domain_id = client.find_domain_id(name)
                if domain_id is None:
                    return CheckFailed(
                        f"no domain {name} on {account}; run `{PRE_DEPLOY_COMMAND} "
                        f"{self.partition.infrastructure} {self.partition.name}`"
                    )
                return client.get_domain(domain_id)
        except (PostmarkError, OpError, TokenRejected) as exc:
            return CheckFailed(f"Postmark ({account}): {exc}")

    def export_values(self) -> dict[str, str]:
        """ExportName -> OutputValue of the stack's exported outputs."""
        return {
            output["ExportName"]: output.get("OutputValue", "")
            for output in self.stack().get("Outputs", [])
            if output.get("ExportName")
        }

    def exported(self, key: ExportKey) -> str:
        name = export_name(self.partition, key)
        value = self.export_values().get(name)
        if not value:
            raise CheckFailed(f"stack {self.stack_name} has no output exported as {name}")
        return value

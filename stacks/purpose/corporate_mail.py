"""The corporate instance group (the seeds' Phase 3): `Corporate-Mail` and `FreeKanbanToolMailDns`.

`Corporate-Mail` owns `arda.ardamails.com` (retained): its NS delegation into
`ardamails.com`, SPF and DMARC at its apex, DKIM and Return-Path anchored at
`arda.ardamails.com` (DQ-R1-009) from its own context block, the Free Kanban Tool's Postmark
server token (a NoEcho parameter into the `-I-` secret), and the zone id exported as
`Corporate-I-MailZoneId` (`-I-`: a sibling CDK stack consumes it).

`FreeKanbanToolMailDns` imports that zone id and publishes what the Free Kanban Tool's
sending leaf `freekanban.arda.ardamails.com` needs: the leaf inherits the parent's DKIM key
and Return-Path (they align with it under DMARC's relaxed rules), so it publishes only its
own SPF and DMARC records - RFC 7489 looks DMARC up at the From domain, then at the
organizational domain `ardamails.com`, never at `arda.ardamails.com` (ADR-0023).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnOutput, CfnParameter, Environment, Fn, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from constructs_lib.dns_email_records import DnsEmailRecords, DnsEmailRecordsProps
from constructs_lib.nag import acknowledge
from constructs_lib.postmark_sending_domain import PostmarkSendingDomain, PostmarkSendingDomainProps
from platform_lib.context_block import ContextBlock
from platform_lib.naming import (
    CORPORATE_SLUG,
    FREE_KANBAN_TOOL_SERVER_TOKEN_PARAMETER,
    MAIL_ROOT_DOMAIN,
    ROOT_ZONE_EXPORT_NAME,
    corporate_zone_export_name,
    free_kanban_tool_server_token_secret_name,
    root_delegation_role_arn,
)
from platform_lib.registry import Infrastructure, corporate_infrastructure, root_infrastructure
from platform_lib.sending_domain import SendingDomain, corporate_sending_domain, free_kanban_tool_leaf


@dataclass(frozen=True)
class CorporateMailProps:
    infrastructure: Infrastructure
    domain: SendingDomain
    block: ContextBlock
    same_account_as_root: bool

    @property
    def env(self) -> Environment:
        return Environment(account=self.infrastructure.account, region=self.infrastructure.region)

    @classmethod
    def resolve(cls, context_value: Any) -> CorporateMailProps:
        """Validate the corporate context block (a one-line error naming the corporate CLI)."""
        infrastructure = corporate_infrastructure()
        domain = corporate_sending_domain()
        return cls(
            infrastructure=infrastructure,
            domain=domain,
            block=domain.parse_block(context_value),
            same_account_as_root=infrastructure.account == root_infrastructure().account,
        )


class CorporateMailStack(Stack):
    """`arda.ardamails.com` (retained), delegated from ardamails.com, its mail records, the Free
    Kanban Tool's server-token secret, and the zone id export the leaf's stack imports."""

    def __init__(self, scope: Construct, construct_id: str, props: CorporateMailProps) -> None:
        super().__init__(scope, construct_id, env=props.env)
        zone_name = props.domain.zone_name
        zone = route53.PublicHostedZone(
            self,
            "CorporateMailZone",
            zone_name=zone_name,
            comment="Mail zone of the corporate instance group",
        )
        zone.apply_removal_policy(RemovalPolicy.RETAIN)
        self._delegate(zone, props.same_account_as_root)
        self.mail = PostmarkSendingDomain(
            self, "MailDomain", PostmarkSendingDomainProps(zone, props.domain, props.block)
        )
        self.server_token_secret = self._server_token_secret()
        self.zone = zone
        CfnOutput(self, "MailZoneId", value=zone.hosted_zone_id, export_name=corporate_zone_export_name())

    def _delegate(self, zone: route53.PublicHostedZone, same_account_as_root: bool) -> None:
        """NS records in ardamails.com: directly in the same account (ADR-0023), else through
        the Root delegation role. Retained, so a retained zone stays delegated."""
        if same_account_as_root:
            parent = route53.HostedZone.from_hosted_zone_attributes(
                self,
                "RootZone",
                hosted_zone_id=Fn.import_value(ROOT_ZONE_EXPORT_NAME),
                zone_name=MAIL_ROOT_DOMAIN,
            )
            delegation = route53.ZoneDelegationRecord(
                self,
                "NsDelegation",
                zone=parent,
                record_name=CORPORATE_SLUG,
                name_servers=zone.hosted_zone_name_servers or [],
            )
            delegation.apply_removal_policy(RemovalPolicy.RETAIN)
            return
        route53.CrossAccountZoneDelegationRecord(
            self,
            "NsDelegation",
            delegated_zone=zone,
            parent_hosted_zone_name=MAIL_ROOT_DOMAIN,
            delegation_role=iam.Role.from_role_arn(
                self, "RootDelegationRole", root_delegation_role_arn(), mutable=False
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _server_token_secret(self) -> secretsmanager.Secret:
        token_parameter = CfnParameter(
            self,
            FREE_KANBAN_TOOL_SERVER_TOKEN_PARAMETER,
            type="String",
            no_echo=True,
            min_length=1,
            description="Postmark server token of the FreeKanbanTool server (via the corporate CLI)",
        )
        secret = secretsmanager.Secret(
            self,
            "FreeKanbanToolServerTokenSecret",
            secret_name=free_kanban_tool_server_token_secret_name(),
            description="Postmark server token of the Free Kanban Tool (rotated by re-running the corporate CLI)",
            secret_string_value=SecretValue.cfn_parameter(token_parameter),
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            secret,
            "AwsSolutions::AwsSolutions-SMG4",
            "The server token is issued by Postmark and delivered again by each corporate CLI "
            "run; Secrets Manager cannot rotate it.",
        )
        return secret


@dataclass(frozen=True)
class FreeKanbanToolMailDnsProps:
    env: Environment
    after: Sequence[Stack] = ()  # the stack exporting the corporate zone id


class FreeKanbanToolMailDnsStack(Stack):
    """The Free Kanban Tool's sending leaf in the imported corporate zone: its own SPF and
    DMARC (it uses the corporate domain's DKIM key and Return-Path)."""

    def __init__(self, scope: Construct, construct_id: str, props: FreeKanbanToolMailDnsProps) -> None:
        super().__init__(scope, construct_id, env=props.env)
        leaf = free_kanban_tool_leaf()
        assert leaf.leaf_of is not None
        zone = route53.HostedZone.from_hosted_zone_attributes(
            self,
            "CorporateMailZone",
            hosted_zone_id=Fn.import_value(corporate_zone_export_name()),
            zone_name=leaf.leaf_of,
        )
        self.records = DnsEmailRecords(
            self,
            "LeafRecords",
            DnsEmailRecordsProps(zone=zone, zone_name=leaf.leaf_of, policy_name=leaf.zone_name),
        )
        for stack in props.after:
            self.add_stack_dependency(stack, "imports the corporate zone id it exports")

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

from constructs_lib.dns_email_records import DnsEmailRecords
from constructs_lib.nag import acknowledge
from constructs_lib.postmark_sending_domain import PostmarkSendingDomain
from platform_lib.mail_context import PartitionMailContext, parse_context_block
from platform_lib.naming import (
    CORPORATE_CLI_COMMAND,
    CORPORATE_SLUG,
    FREE_KANBAN_TOOL_SERVER_TOKEN_PARAMETER,
    FREE_KANBAN_TOOL_STACK_NAME,
    MAIL_ROOT_DOMAIN,
    ROOT_ZONE_EXPORT_NAME,
    corporate_context_key,
    corporate_mail_stack_name,
    corporate_zone_export_name,
    corporate_zone_name,
    free_kanban_tool_domain,
    free_kanban_tool_server_token_secret_name,
    root_delegation_role_arn,
)
from platform_lib.placement import corporate_sending_domain_placement
from platform_lib.registry import Infrastructure, corporate_infrastructure, root_infrastructure


@dataclass(frozen=True)
class CorporateMailProps:
    infrastructure: Infrastructure
    mail_context: PartitionMailContext
    same_account_as_root: bool

    @property
    def env(self) -> Environment:
        return Environment(account=self.infrastructure.account, region=self.infrastructure.region)

    @classmethod
    def resolve(cls, context_value: Any) -> CorporateMailProps:
        """Validate the corporate context block (a one-line error naming the corporate CLI)."""
        infrastructure = corporate_infrastructure()
        return cls(
            infrastructure=infrastructure,
            mail_context=parse_context_block(
                corporate_context_key(), context_value, f"run `{CORPORATE_CLI_COMMAND}`"
            ),
            same_account_as_root=infrastructure.account == root_infrastructure().account,
        )


class CorporateMailStack(Stack):
    def __init__(self, scope: Construct, *, props: CorporateMailProps) -> None:
        super().__init__(scope, corporate_mail_stack_name(), env=props.env)
        zone_name = corporate_zone_name()
        zone = route53.PublicHostedZone(
            self,
            "CorporateMailZone",
            zone_name=zone_name,
            comment="Mail zone of the corporate instance group",
        )
        zone.apply_removal_policy(RemovalPolicy.RETAIN)

        if props.same_account_as_root:
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
        else:
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

        PostmarkSendingDomain(
            self,
            zone=zone,
            zone_name=zone_name,
            context=props.mail_context,
            placement_for=corporate_sending_domain_placement,
        )

        token_parameter = CfnParameter(
            self,
            FREE_KANBAN_TOOL_SERVER_TOKEN_PARAMETER,
            type="String",
            no_echo=True,
            min_length=1,
            description="Postmark server token of the FreeKanbanTool server (via the corporate CLI)",
        )
        token_secret = secretsmanager.Secret(
            self,
            "FreeKanbanToolServerTokenSecret",
            secret_name=free_kanban_tool_server_token_secret_name(),
            description="Postmark server token of the Free Kanban Tool (rotated by re-running the corporate CLI)",
            secret_string_value=SecretValue.cfn_parameter(token_parameter),
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            token_secret,
            "AwsSolutions::AwsSolutions-SMG4",
            "The server token is issued by Postmark and delivered again by each corporate CLI "
            "run; Secrets Manager cannot rotate it.",
        )
        self.zone = zone
        CfnOutput(self, "MailZoneId", value=zone.hosted_zone_id, export_name=corporate_zone_export_name())


class FreeKanbanToolMailDnsStack(Stack):
    def __init__(self, scope: Construct, *, env: Environment, after: Sequence[Stack] = ()) -> None:
        super().__init__(scope, FREE_KANBAN_TOOL_STACK_NAME, env=env)
        zone = route53.HostedZone.from_hosted_zone_attributes(
            self,
            "CorporateMailZone",
            hosted_zone_id=Fn.import_value(corporate_zone_export_name()),
            zone_name=corporate_zone_name(),
        )
        DnsEmailRecords(
            self, zone=zone, zone_name=corporate_zone_name(), policy_name=free_kanban_tool_domain()
        )
        for stack in after:
            self.add_stack_dependency(stack, "imports the corporate zone id it exports")

"""`PartitionEmailStack`: a partition's mail sub-zone, records, secrets and roles.

Three small typed interfaces frame it: `PartitionEmailInstanceConfig` (what an instance
module configures), `PartitionEmailProps` (what the stack needs from outside, validated
before any resource exists) and `PartitionEmailOutputs` (what `publish()` exports).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import (
    CfnOutput,
    CfnParameter,
    CfnResource,
    Environment,
    RemovalPolicy,
    SecretValue,
    Stack,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from constructs_lib.allow_creating_dns_records_role import (
    AllowCreatingDnsRecordsRole,
    TrustRoleNamePrefix,
    role_name_prefix_principal,
)
from constructs_lib.nag import acknowledge
from constructs_lib.postmark_sending_domain import PostmarkSendingDomain
from platform_lib.dns_text import DMARC_POLICIES
from platform_lib.errors import PlatformError
from platform_lib.mail_context import PartitionMailContext, parse_mail_context
from platform_lib.naming import (
    MAIL_ROOT_DOMAIN,
    PARTITION_EMAIL_CONTRACT_VERSION,
    PARTITION_EMAIL_WITNESS_OUTPUT,
    POSTMARK_ACCOUNT_TOKEN_PARAMETER,
    ExportKey,
    encryption_key_fallback_role_name,
    encryption_key_secret_name,
    export_name,
    partition_role_name_prefix,
    partition_zone_name,
    postmark_account_token_secret_name,
    root_delegation_role_arn,
    stack_name,
)
from platform_lib.placement import SendingDomainPlacement, sending_domain_placement
from platform_lib.registry import Infrastructure, Partition, get_partition_on, infrastructure_of

ENCRYPTION_KEY_LENGTH = 64


class InvalidPartitionEmailProps(PlatformError):
    """A partition email stack input is wrong; raised before any resource is created."""


@dataclass(frozen=True)
class PartitionEmailInstanceConfig:
    """What an instance module (`instances/{infrastructure}/{partition}.py`) configures."""

    infrastructure: str
    partition: str
    dmarc_policy: str = "none"


@dataclass(frozen=True)
class PartitionEmailProps:
    """Everything the stack needs from outside, resolved and validated up front."""

    partition: Partition
    infrastructure: Infrastructure
    zone_name: str
    placement: SendingDomainPlacement
    mail_context: PartitionMailContext
    dmarc_policy: str
    delegation_role_arn: str
    parent_zone_name: str

    @property
    def env(self) -> Environment:
        return Environment(account=self.infrastructure.account, region=self.infrastructure.region)

    @property
    def stack_name(self) -> str:
        return stack_name(self.partition)

    @classmethod
    def resolve(cls, config: PartitionEmailInstanceConfig, context_value: Any) -> PartitionEmailProps:
        """Validate the instance configuration and its `cdk.context.json` block.

        Raises a PlatformError subclass with one line naming the problem and the fix.
        """
        partition = get_partition_on(config.infrastructure, config.partition)
        if config.dmarc_policy not in DMARC_POLICIES:
            raise InvalidPartitionEmailProps(
                f"instance {config.infrastructure}/{config.partition}: dmarc_policy "
                f"{config.dmarc_policy!r} invalid; valid: {', '.join(DMARC_POLICIES)}"
            )
        mail_context = parse_mail_context(partition, context_value)
        return cls(
            partition=partition,
            infrastructure=infrastructure_of(partition),
            zone_name=partition_zone_name(partition),
            placement=sending_domain_placement(partition.name, mail_context.dkim_selector),
            mail_context=mail_context,
            dmarc_policy=config.dmarc_policy,
            delegation_role_arn=root_delegation_role_arn(),
            parent_zone_name=MAIL_ROOT_DOMAIN,
        )


@dataclass(frozen=True)
class PartitionEmailOutputs:
    """What the stack publishes (tokens until deploy), keyed as the exports are."""

    partition_mail_zone_id: str
    partition_mail_zone_name: str
    email_postmark_account_token_arn: str
    email_encryption_key_arn: str
    email_dns_provisioning_role_arn: str
    email_encryption_key_fallback_role_arn: str

    def by_export_key(self) -> dict[ExportKey, str]:
        return {
            ExportKey.PARTITION_MAIL_ZONE_ID: self.partition_mail_zone_id,
            ExportKey.PARTITION_MAIL_ZONE_NAME: self.partition_mail_zone_name,
            ExportKey.EMAIL_POSTMARK_ACCOUNT_TOKEN_ARN: self.email_postmark_account_token_arn,
            ExportKey.EMAIL_ENCRYPTION_KEY_ARN: self.email_encryption_key_arn,
            ExportKey.EMAIL_DNS_PROVISIONING_ROLE_ARN: self.email_dns_provisioning_role_arn,
            ExportKey.EMAIL_ENCRYPTION_KEY_FALLBACK_ROLE_ARN: self.email_encryption_key_fallback_role_arn,
        }


class PartitionEmailStack(Stack):
    def __init__(self, scope: Construct, *, props: PartitionEmailProps) -> None:
        super().__init__(scope, props.stack_name, env=props.env)
        self.props = props
        partition = props.partition

        zone = route53.PublicHostedZone(
            self,
            "PartitionMailZone",
            zone_name=props.zone_name,
            comment=f"Mail sub-zone of partition {partition.name}",
        )
        zone.apply_removal_policy(RemovalPolicy.RETAIN)

        route53.CrossAccountZoneDelegationRecord(
            self,
            "NsDelegation",
            delegated_zone=zone,
            parent_hosted_zone_name=props.parent_zone_name,
            delegation_role=iam.Role.from_role_arn(
                self, "RootDelegationRole", props.delegation_role_arn, mutable=False
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )

        self._drop_redundant_provider_dependency()
        self._add_mail_records(zone)

        token_parameter = CfnParameter(
            self,
            POSTMARK_ACCOUNT_TOKEN_PARAMETER,
            type="String",
            no_echo=True,
            min_length=1,
            description="Postmark account token for this partition (from 1Password, via amm.sh)",
        )
        token_secret = secretsmanager.Secret(
            self,
            "EmailPostmarkAccountToken",
            secret_name=postmark_account_token_secret_name(partition),
            description="Postmark account token (rotated by re-running amm.sh)",
            secret_string_value=SecretValue.cfn_parameter(token_parameter),
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            token_secret,
            "AwsSolutions::AwsSolutions-SMG4",
            "The Postmark account token is issued by Postmark and rotated by re-running "
            "amm.sh with the new 1Password value; Secrets Manager cannot rotate it.",
        )

        key_secret = secretsmanager.Secret(
            self,
            "EmailEncryptionKey",
            secret_name=encryption_key_secret_name(partition),
            description="Key material for encrypting Postmark server tokens (DQ-R1-019)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=ENCRYPTION_KEY_LENGTH, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            key_secret,
            "AwsSolutions::AwsSolutions-SMG4",
            "Rotation is an operator `update-secret` (DQ-R1-019): pods hold AWSCURRENT and "
            "AWSPREVIOUS and re-encrypt lazily; no rotation Lambda exists yet.",
        )

        dns_role = AllowCreatingDnsRecordsRole(
            self,
            "EmailDnsProvisioningRole",
            trust=TrustRoleNamePrefix(
                account=props.infrastructure.account,
                role_name_prefix=partition_role_name_prefix(partition),
            ),
            hosted_zones=[zone],
            description=f"Partition {partition.name} pods write tenant records in {props.zone_name}",
        )
        acknowledge(
            dns_role.role,
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            "route53:ListHostedZonesByName supports no resource-level scope; record writes "
            "are limited to this partition's zone.",
        )

        fallback_role = iam.Role(
            self,
            "EmailEncryptionKeyFallbackRole",
            role_name=encryption_key_fallback_role_name(partition),
            description="Reads the encryption key for envelopes older than AWSPREVIOUS",
            assumed_by=role_name_prefix_principal(
                props.infrastructure.account, partition_role_name_prefix(partition)
            ),
        )
        fallback_role.add_to_principal_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[key_secret.secret_arn])
        )

        self.outputs = PartitionEmailOutputs(
            partition_mail_zone_id=zone.hosted_zone_id,
            partition_mail_zone_name=props.zone_name,
            email_postmark_account_token_arn=token_secret.secret_arn,
            email_encryption_key_arn=key_secret.secret_arn,
            email_dns_provisioning_role_arn=dns_role.role.role_arn,
            email_encryption_key_fallback_role_arn=fallback_role.role_arn,
        )

    def _add_mail_records(self, zone: route53.IHostedZone) -> None:
        props = self.props
        PostmarkSendingDomain(
            self,
            zone=zone,
            zone_name=props.zone_name,
            context=props.mail_context,
            placement_for=lambda selector: sending_domain_placement(props.partition.name, selector),
            dmarc_policy=props.dmarc_policy,
        )

    def _drop_redundant_provider_dependency(self) -> None:
        """aws-cdk-lib's delegation provider declares `DependsOn` on its role although its
        `Role: GetAtt` already orders them (cfn-lint W3005); dropping it changes nothing."""
        for child in self.node.children:
            if child.node.id.startswith("Custom::CrossAccountZoneDelegation"):
                handler = child.node.try_find_child("Handler")
                if isinstance(handler, CfnResource):
                    handler.add_deletion_override("DependsOn")

    def publish(self) -> PartitionEmailOutputs:
        """Emit the six `{prefix}-API-*` exports and the witness output; `app.py` calls it."""
        for key, value in self.outputs.by_export_key().items():
            CfnOutput(self, key.value, value=value, export_name=export_name(self.props.partition, key))
        CfnOutput(
            self,
            PARTITION_EMAIL_WITNESS_OUTPUT,
            value=witness_value(),
            description="Contract version and the export keys this stack publishes",
        )
        return self.outputs


def witness_value() -> str:
    return f"{PARTITION_EMAIL_CONTRACT_VERSION}:" + ",".join(k.value for k in ExportKey)

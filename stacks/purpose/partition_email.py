"""`PartitionEmailStack`: a partition's mail sub-zone, records, secrets and roles.

Three small typed interfaces frame it: `PartitionEmailInstanceConfig` (what an instance
module configures), `PartitionEmailProps` (what the stack needs from outside, validated
before any resource exists) and `PartitionEmailOutputs` (what `publish()` exports). The
partition's infrastructure, account and names come from the registry and `platform_lib`
alone; an instance module states only the partition's own CDK configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnOutput, CfnParameter, CfnResource, Environment, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from constructs_lib.allow_creating_dns_records_role import (
    AllowCreatingDnsRecordsRole,
    AllowCreatingDnsRecordsRoleProps,
    TrustRoleNamePrefix,
    role_name_prefix_principal,
)
from constructs_lib.nag import acknowledge
from constructs_lib.postmark_sending_domain import PostmarkSendingDomain, PostmarkSendingDomainProps
from platform_lib.context_block import ContextBlock
from platform_lib.dns_text import DMARC_POLICIES
from platform_lib.errors import PlatformError
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
    postmark_account_token_secret_name,
    root_delegation_role_arn,
)
from platform_lib.registry import Infrastructure, Partition, infrastructure_of
from platform_lib.sending_domain import SendingDomain, partition_sending_domain

ENCRYPTION_KEY_LENGTH = 64


class InvalidPartitionEmailProps(PlatformError):
    """A partition email stack input is wrong; raised before any resource is created."""


@dataclass(frozen=True)
class PartitionEmailInstanceConfig:
    """What an instance module (`instances/{infrastructure}/{partition}.py`) configures: the
    partition's own choices. Which partition and infrastructure it is, the module's place says
    (and the registry)."""

    dmarc_policy: str = "none"


@dataclass(frozen=True)
class PartitionEmailProps:
    """Everything the stack needs from outside, resolved and validated up front."""

    partition: Partition
    infrastructure: Infrastructure
    domain: SendingDomain
    block: ContextBlock
    dmarc_policy: str
    delegation_role_arn: str
    parent_zone_name: str

    @property
    def env(self) -> Environment:
        return Environment(account=self.infrastructure.account, region=self.infrastructure.region)

    @property
    def stack_name(self) -> str:
        return self.domain.stack_name

    @classmethod
    def resolve(
        cls, partition: Partition, config: PartitionEmailInstanceConfig, context_value: Any
    ) -> PartitionEmailProps:
        """Validate the instance configuration and the partition's `cdk.context.json` block.

        Raises a PlatformError subclass with one line naming the problem and the fix.
        """
        if config.dmarc_policy not in DMARC_POLICIES:
            raise InvalidPartitionEmailProps(
                f"instance {partition.infrastructure}/{partition.name}: dmarc_policy "
                f"{config.dmarc_policy!r} invalid; valid: {', '.join(DMARC_POLICIES)}"
            )
        domain = partition_sending_domain(partition)
        return cls(
            partition=partition,
            infrastructure=infrastructure_of(partition),
            domain=domain,
            block=domain.parse_block(context_value),
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
    """The zone (delegated into ardamails.com), its mail records, the two secrets and the two
    roles the partition's pods assume; `publish()` adds the exports."""

    def __init__(self, scope: Construct, construct_id: str, props: PartitionEmailProps) -> None:
        super().__init__(scope, construct_id, env=props.env)
        self.props = props
        zone = self._delegated_zone()
        self.mail = PostmarkSendingDomain(
            self,
            "MailDomain",
            PostmarkSendingDomainProps(zone, props.domain, props.block, props.dmarc_policy),
        )
        token_secret = self._token_secret()
        key_secret = self._encryption_key_secret()
        dns_role = self._dns_provisioning_role(zone)
        fallback_role = self._fallback_role(key_secret)
        self.outputs = PartitionEmailOutputs(
            partition_mail_zone_id=zone.hosted_zone_id,
            partition_mail_zone_name=props.domain.zone_name,
            email_postmark_account_token_arn=token_secret.secret_arn,
            email_encryption_key_arn=key_secret.secret_arn,
            email_dns_provisioning_role_arn=dns_role.role.role_arn,
            email_encryption_key_fallback_role_arn=fallback_role.role_arn,
        )

    def _delegated_zone(self) -> route53.PublicHostedZone:
        """The partition's zone (retained), NS-delegated into ardamails.com through the Root
        delegation role (retained too, so a retained zone stays delegated)."""
        props = self.props
        zone = route53.PublicHostedZone(
            self,
            "PartitionMailZone",
            zone_name=props.domain.zone_name,
            comment=f"Mail sub-zone of partition {props.partition.name}",
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
        return zone

    def _drop_redundant_provider_dependency(self) -> None:
        """aws-cdk-lib's delegation provider declares `DependsOn` on its role although its
        `Role: GetAtt` already orders them (cfn-lint W3005); dropping it changes nothing."""
        for child in self.node.children:
            if child.node.id.startswith("Custom::CrossAccountZoneDelegation"):
                handler = child.node.try_find_child("Handler")
                if isinstance(handler, CfnResource):
                    handler.add_deletion_override("DependsOn")

    def _token_secret(self) -> secretsmanager.Secret:
        """The Postmark account token, from the NoEcho parameter amm.sh fills (never in a template)."""
        token_parameter = CfnParameter(
            self,
            POSTMARK_ACCOUNT_TOKEN_PARAMETER,
            type="String",
            no_echo=True,
            min_length=1,
            description="Postmark account token for this partition (from 1Password, via amm.sh)",
        )
        secret = secretsmanager.Secret(
            self,
            "EmailPostmarkAccountToken",
            secret_name=postmark_account_token_secret_name(self.props.partition),
            description="Postmark account token (rotated by re-running amm.sh)",
            secret_string_value=SecretValue.cfn_parameter(token_parameter),
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            secret,
            "AwsSolutions::AwsSolutions-SMG4",
            "The Postmark account token is issued by Postmark and rotated by re-running "
            "amm.sh with the new 1Password value; Secrets Manager cannot rotate it.",
        )
        return secret

    def _encryption_key_secret(self) -> secretsmanager.Secret:
        secret = secretsmanager.Secret(
            self,
            "EmailEncryptionKey",
            secret_name=encryption_key_secret_name(self.props.partition),
            description="Key material for encrypting Postmark server tokens (DQ-R1-019)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=ENCRYPTION_KEY_LENGTH, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            secret,
            "AwsSolutions::AwsSolutions-SMG4",
            "Rotation is an operator `update-secret` (DQ-R1-019): pods hold AWSCURRENT and "
            "AWSPREVIOUS and re-encrypt lazily; no rotation Lambda exists yet.",
        )
        return secret

    def _dns_provisioning_role(self, zone: route53.IHostedZone) -> AllowCreatingDnsRecordsRole:
        props = self.props
        role = AllowCreatingDnsRecordsRole(
            self,
            "EmailDnsProvisioningRole",
            AllowCreatingDnsRecordsRoleProps(
                trust=TrustRoleNamePrefix(
                    account=props.infrastructure.account,
                    role_name_prefix=partition_role_name_prefix(props.partition),
                ),
                hosted_zones=[zone],
                description=f"Partition {props.partition.name} pods write tenant records in {props.domain.zone_name}",
            ),
        )
        acknowledge(
            role.role,
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            "route53:ListHostedZonesByName supports no resource-level scope; record writes "
            "are limited to this partition's zone.",
        )
        return role

    def _fallback_role(self, key_secret: secretsmanager.Secret) -> iam.Role:
        props = self.props
        role = iam.Role(
            self,
            "EmailEncryptionKeyFallbackRole",
            role_name=encryption_key_fallback_role_name(props.partition),
            description="Reads the encryption key for envelopes older than AWSPREVIOUS",
            assumed_by=role_name_prefix_principal(
                props.infrastructure.account, partition_role_name_prefix(props.partition)
            ),
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[key_secret.secret_arn])
        )
        return role

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

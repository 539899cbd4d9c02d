"""Every composed name: zones, stacks, exports, secrets, roles, context keys.

Call sites never build these with f-strings; grep a function here to find every user.
"""

from __future__ import annotations

from enum import StrEnum

from platform_lib.registry import (
    CORPORATE,
    Partition,
    get_infrastructure,
    infrastructure_of,
    root_infrastructure,
)

MAIL_ROOT_DOMAIN = "ardamails.com"
CORPORATE_SLUG = "arda"
ROOT_ZONE_EXPORT_NAME = "arda-ardamails-zone"
ROOT_DELEGATION_ROLE_NAME = "AddNsRecordsToAnyHostedZone"
ROOT_DNS_STACK_NAME = "PlatformRoot-RootDns"
RETURN_PATH_LABEL = "pm-bounces"
DKIM_LABEL = "_domainkey"
DMARC_LABEL = "_dmarc"
DMARC_REPORT_MAILBOX = "dmarc-reports@arda.cards"
DMARC_REPORT_AUTHORIZATION_LABEL = "_report._dmarc"  # RFC 7489 §7.1
POSTMARK_ACCOUNT_TOKEN_PARAMETER = "PostmarkAccountToken"  # noqa: S105 (a name, not a secret)
PARTITION_EMAIL_CONTRACT_VERSION = "partition-email/v1"
PARTITION_EMAIL_WITNESS_OUTPUT = "PartitionEmailContract"
PRE_DEPLOY_COMMAND = "python -m tools.register_partition_mail_signature"
VERIFY_COMMAND = "python -m tools.verify_partition_mail"
AMM_COMMAND = "./amm.sh"
CORPORATE_CLI_COMMAND = "./corporate-cli"
CORPORATE_PUBLISHING_PREFIX = "Corporate"
FREE_KANBAN_TOOL_LEAF = "freekanban"  # the Free Kanban Tool sends from freekanban.arda.ardamails.com
FREE_KANBAN_TOOL_SERVER_NAME = "FreeKanbanTool"  # its Postmark server on PostmarkProd
FREE_KANBAN_TOOL_STACK_NAME = "FreeKanbanToolMailDns"
FREE_KANBAN_TOOL_SERVER_TOKEN_PARAMETER = "FreeKanbanToolServerToken"  # noqa: S105 (a name)


class ExportKey(StrEnum):
    """The six keys a partition email stack publishes as `{prefix}-API-{key}`."""

    PARTITION_MAIL_ZONE_ID = "PartitionMailZoneId"
    PARTITION_MAIL_ZONE_NAME = "PartitionMailZoneName"
    EMAIL_POSTMARK_ACCOUNT_TOKEN_ARN = "EmailPostmarkAccountTokenArn"  # noqa: S105
    EMAIL_ENCRYPTION_KEY_ARN = "EmailEncryptionKeyArn"
    EMAIL_DNS_PROVISIONING_ROLE_ARN = "EmailDnsProvisioningRoleArn"
    EMAIL_ENCRYPTION_KEY_FALLBACK_ROLE_ARN = "EmailEncryptionKeyFallbackRoleArn"


def normal_name(name: str) -> str:
    """A DNS name as compared: case-insensitive, without surrounding space or a trailing dot."""
    return name.strip().rstrip(".").lower()


def fqdn(*labels: str) -> str:
    """Join DNS labels into a lower-case name without the trailing dot."""
    return ".".join(label.strip(".").lower() for label in labels if label)


def partition_zone_name(partition: Partition) -> str:
    """`{partition}.ardamails.com`: the partition's mail sub-zone and Postmark domain."""
    return fqdn(partition.name, MAIL_ROOT_DOMAIN)


def corporate_zone_name() -> str:
    return fqdn(CORPORATE_SLUG, MAIL_ROOT_DOMAIN)


def free_kanban_tool_domain() -> str:
    """`freekanban.arda.ardamails.com`: the Free Kanban Tool's sending leaf (DKIM at the parent)."""
    return fqdn(FREE_KANBAN_TOOL_LEAF, corporate_zone_name())


def corporate_mail_stack_name() -> str:
    """`Corporate-Mail`: the corporate zone, its records and the server-token secret."""
    return f"{CORPORATE_PUBLISHING_PREFIX}-Mail"


def corporate_zone_export_name() -> str:
    """`Corporate-I-MailZoneId`: `-I-` because a sibling CDK stack imports it."""
    return f"{CORPORATE_PUBLISHING_PREFIX}-I-MailZoneId"


def free_kanban_tool_server_token_secret_name() -> str:
    return f"{CORPORATE_PUBLISHING_PREFIX}-I-{FREE_KANBAN_TOOL_SERVER_NAME}ServerToken"


def corporate_context_key() -> str:
    """The `cdk.context.json` key of the corporate domain's DKIM and Return-Path values."""
    return f"corporateMail:{CORPORATE.infrastructure}:{CORPORATE_SLUG}"


def dmarc_host_name(zone_name: str) -> str:
    return fqdn(DMARC_LABEL, zone_name)


def dmarc_report_domain() -> str:
    """The domain of the DMARC `rua` mailbox (`arda.cards`), which this project does not own."""
    return DMARC_REPORT_MAILBOX.rsplit("@", 1)[1]


def dmarc_report_authorization_names(zone_name: str) -> tuple[str, str]:
    """Where the report domain authorizes reports for `zone_name` (RFC 7489 §7.1): the
    specific record `{zone}._report._dmarc.arda.cards`, or the wildcard `*._report._dmarc.arda.cards`."""
    report_zone = fqdn(DMARC_REPORT_AUTHORIZATION_LABEL, dmarc_report_domain())
    return fqdn(zone_name, report_zone), fqdn("*", report_zone)


def stack_name(partition: Partition) -> str:
    """CloudFormation stack names are immutable: `{infrastructure}-{partition}-Email`."""
    return f"{publishing_prefix(partition)}-Email"


def publishing_prefix(partition: Partition) -> str:
    return f"{partition.infrastructure}-{partition.name}"


def export_name(partition: Partition, key: ExportKey) -> str:
    return f"{publishing_prefix(partition)}-API-{key.value}"


def partition_resource_prefix(partition: Partition) -> str:
    """The `fqn` of the source documents: prefixes partition-scoped AWS resource names."""
    return partition.name


def postmark_account_token_secret_name(partition: Partition) -> str:
    return f"{partition_resource_prefix(partition)}-I-EmailPostmarkAccountToken"


# The ExternalSecret that projects the current encryption key into the partition's cluster
# (docs/secret-delivery-pattern.md; the manifests live with the consumer).
ENCRYPTION_KEY_EXTERNAL_SECRET = "email-encryption-key-current"  # noqa: S105 (a name)


def encryption_key_secret_name(partition: Partition) -> str:
    return f"{partition_resource_prefix(partition)}-I-EmailEncryptionKey"


def encryption_key_fallback_role_name(partition: Partition) -> str:
    return f"{partition_resource_prefix(partition)}-EmailEncryptionKeyFallbackRole"


def partition_role_name_prefix(partition: Partition) -> str:
    """Roles named `{partition}-*` (the pod role among them) may chain into partition roles."""
    return f"{partition_resource_prefix(partition)}-"


def role_arn(account: str, role_name: str) -> str:
    return f"arn:aws:iam::{account}:role/{role_name}"


def partition_role_arn_pattern(partition: Partition) -> str:
    """`arn:aws:iam::{account}:role/{partition}-*` for the ArnLike trust condition."""
    account = infrastructure_of(partition).account
    return role_arn(account, partition_role_name_prefix(partition) + "*")


def root_delegation_role_arn() -> str:
    return role_arn(root_infrastructure().account, ROOT_DELEGATION_ROLE_NAME)


def context_key(partition: Partition) -> str:
    """The `cdk.context.json` key holding a partition's DKIM and Return-Path values."""
    return f"partitionMail:{partition.infrastructure}:{partition.name}"


def instance_module(partition: Partition) -> str:
    """Dotted module path of the partition's instance configuration."""
    get_infrastructure(partition.infrastructure)
    return f"instances.{partition.infrastructure}.{partition.name}"


def amm_command(partition: Partition) -> str:
    """The operator's command that deploys (and verifies) `partition`, as fixes name it."""
    return f"{AMM_COMMAND} {partition.infrastructure} {partition.name}"

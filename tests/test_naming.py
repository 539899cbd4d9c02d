from __future__ import annotations

from platform_lib import naming
from platform_lib.naming import ExportKey
from platform_lib.registry import get_partition


def test_partition_names() -> None:
    stage = get_partition("stage")
    assert naming.stack_name(stage) == "Alpha002-stage-Email"
    assert naming.publishing_prefix(stage) == "Alpha002-stage"
    assert naming.partition_zone_name(stage) == "stage.ardamails.com"
    assert naming.postmark_account_token_secret_name(stage) == "stage-I-EmailPostmarkAccountToken"
    assert naming.encryption_key_secret_name(stage) == "stage-I-EmailEncryptionKey"
    assert naming.encryption_key_fallback_role_name(stage) == "stage-EmailEncryptionKeyFallbackRole"
    assert naming.partition_role_arn_pattern(stage) == "arn:aws:iam::139852620346:role/stage-*"
    assert naming.context_key(stage) == "partitionMail:Alpha002:stage"
    assert naming.instance_module(stage) == "instances.Alpha002.stage"


def test_six_export_names() -> None:
    prod = get_partition("prod")
    assert [naming.export_name(prod, key) for key in ExportKey] == [
        "Alpha001-prod-API-PartitionMailZoneId",
        "Alpha001-prod-API-PartitionMailZoneName",
        "Alpha001-prod-API-EmailPostmarkAccountTokenArn",
        "Alpha001-prod-API-EmailEncryptionKeyArn",
        "Alpha001-prod-API-EmailDnsProvisioningRoleArn",
        "Alpha001-prod-API-EmailEncryptionKeyFallbackRoleArn",
    ]


def test_root_names() -> None:
    assert naming.ROOT_ZONE_EXPORT_NAME == "arda-ardamails-zone"
    assert naming.root_delegation_role_arn().endswith(":role/AddNsRecordsToAnyHostedZone")
    assert naming.corporate_zone_name() == "arda.ardamails.com"
    assert naming.fqdn("A.", "Example.COM.") == "a.example.com"


def test_dns_names_compare_without_case_a_trailing_dot_or_surrounding_space() -> None:
    from platform_lib.naming import normal_name

    assert normal_name(" Dev.ArdaMails.com. ") == "dev.ardamails.com"
    assert normal_name("pm.mtasv.net") == "pm.mtasv.net"

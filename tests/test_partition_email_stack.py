from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from platform_lib import naming
from platform_lib.context_block import MalformedContextBlock
from platform_lib.context_store import PROJECT_ROOT
from platform_lib.dns_text import SPF_VALUE, dkim_txt_value, join_txt_strings
from platform_lib.naming import ExportKey
from platform_lib.registry import Partition, active_partitions, get_infrastructure, get_partition
from platform_lib.sending_domain import corporate_sending_domain, free_kanban_tool_leaf
from stacks.purpose.partition_email import (
    InvalidPartitionEmailProps,
    PartitionEmailInstanceConfig,
    PartitionEmailProps,
    witness_value,
)
from tests.synth import Synthesized, project_context, synthesize

PARTITIONS = [p.name for p in active_partitions()]
DEV = get_partition("dev")


def _resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def _one(template: dict[str, Any], type_: str, **props: Any) -> tuple[str, dict[str, Any]]:
    found = [
        (k, v)
        for k, v in _resources(template, type_).items()
        if all(v["Properties"].get(p) == want for p, want in props.items())
    ]
    assert len(found) == 1, (type_, props, found)
    return found[0]


def test_synth_has_root_the_corporate_group_and_every_active_partition(synthesized: Synthesized) -> None:
    corporate = [corporate_sending_domain().stack_name, free_kanban_tool_leaf().stack_name]
    partitions = [naming.stack_name(p) for p in active_partitions()]
    assert sorted(synthesized.stack_names()) == sorted([naming.ROOT_DNS_STACK_NAME, *corporate, *partitions])


@pytest.mark.parametrize(
    ("partition", "stack"), [("dev", "Alpha002-dev-Email"), ("demo", "Alpha001-demo-Email")]
)
def test_stack_name_and_account_follow_the_registry(
    synthesized: Synthesized, partition: str, stack: str
) -> None:
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())
    part = get_partition(partition)
    account = get_infrastructure(part.infrastructure).account
    assert manifest["artifacts"][stack]["environment"] == f"aws://{account}/us-east-1"


@pytest.mark.parametrize("partition", PARTITIONS)
def test_six_exports_by_name_and_value_source(synthesized: Synthesized, partition: str) -> None:
    part = get_partition(partition)
    template = synthesized.template(naming.stack_name(part))
    zone_id, _ = _one(template, "AWS::Route53::HostedZone")
    token_id, _ = _one(
        template, "AWS::SecretsManager::Secret", Name=naming.postmark_account_token_secret_name(part)
    )
    key_id, _ = _one(template, "AWS::SecretsManager::Secret", Name=naming.encryption_key_secret_name(part))
    fallback_id, _ = _one(template, "AWS::IAM::Role", RoleName=naming.encryption_key_fallback_role_name(part))
    (dns_role_id,) = [
        k
        for k, v in _resources(template, "AWS::IAM::Role").items()
        if k.startswith("EmailDnsProvisioningRole")
    ]
    expected = {
        ExportKey.PARTITION_MAIL_ZONE_ID: {"Ref": zone_id},
        ExportKey.PARTITION_MAIL_ZONE_NAME: naming.partition_zone_name(part),
        ExportKey.EMAIL_POSTMARK_ACCOUNT_TOKEN_ARN: {"Ref": token_id},
        ExportKey.EMAIL_ENCRYPTION_KEY_ARN: {"Ref": key_id},
        ExportKey.EMAIL_DNS_PROVISIONING_ROLE_ARN: {"Fn::GetAtt": [dns_role_id, "Arn"]},
        ExportKey.EMAIL_ENCRYPTION_KEY_FALLBACK_ROLE_ARN: {"Fn::GetAtt": [fallback_id, "Arn"]},
    }
    exports = {o["Export"]["Name"]: o["Value"] for o in template["Outputs"].values() if "Export" in o}
    assert exports == {naming.export_name(part, k): v for k, v in expected.items()}
    assert all(name.startswith(f"{part.infrastructure}-{partition}-API-") for name in exports)


@pytest.mark.parametrize("partition", PARTITIONS)
def test_witness_output_names_contract_and_keys(synthesized: Synthesized, partition: str) -> None:
    template = synthesized.template(naming.stack_name(get_partition(partition)))
    witness = template["Outputs"][naming.PARTITION_EMAIL_WITNESS_OUTPUT]
    assert "Export" not in witness
    assert witness["Value"] == witness_value()
    assert witness_value().startswith("partition-email/v1:PartitionMailZoneId,")
    assert witness_value().count(",") == 5


@pytest.mark.parametrize("partition", PARTITIONS)
def test_token_parameter_is_noecho_without_default(synthesized: Synthesized, partition: str) -> None:
    part = get_partition(partition)
    template = synthesized.template(naming.stack_name(part))
    parameter = template["Parameters"]["PostmarkAccountToken"]
    assert parameter["NoEcho"] is True and parameter["Type"] == "String"
    assert "Default" not in parameter
    _, token = _one(
        template, "AWS::SecretsManager::Secret", Name=naming.postmark_account_token_secret_name(part)
    )
    assert token["Properties"]["SecretString"] == {"Ref": "PostmarkAccountToken"}


@pytest.mark.parametrize("partition", PARTITIONS)
def test_retention_policies(synthesized: Synthesized, partition: str) -> None:
    part = get_partition(partition)
    template = synthesized.template(naming.stack_name(part))
    _, zone = _one(template, "AWS::Route53::HostedZone", Name=naming.partition_zone_name(part) + ".")
    _, key = _one(template, "AWS::SecretsManager::Secret", Name=naming.encryption_key_secret_name(part))
    (delegation,) = _resources(template, "Custom::CrossAccountZoneDelegation").values()
    for resource in (zone, key, delegation):
        assert resource["DeletionPolicy"] == "Retain" and resource["UpdateReplacePolicy"] == "Retain"
    assert key["Properties"]["GenerateSecretString"]["PasswordLength"] == 64


@pytest.mark.parametrize("partition", PARTITIONS)
def test_delegation_assumes_the_root_role(synthesized: Synthesized, partition: str) -> None:
    template = Template.from_json(synthesized.template(naming.stack_name(get_partition(partition))))
    template.has_resource_properties(
        "Custom::CrossAccountZoneDelegation",
        {"ParentZoneName": "ardamails.com", "AssumeRoleArn": naming.root_delegation_role_arn()},
    )


def test_delegation_provider_is_ordered_by_its_role_reference_not_depends_on(
    synthesized: Synthesized,
) -> None:
    """ADR-0014: the redundant DependsOn (cfn-lint W3005) is gone; the GetAtt still orders it."""
    template = synthesized.template("Alpha002-dev-Email")
    (handler,) = _resources(template, "AWS::Lambda::Function").values()
    assert "DependsOn" not in handler
    role_ref = handler["Properties"]["Role"]["Fn::GetAtt"]
    assert template["Resources"][role_ref[0]]["Type"] == "AWS::IAM::Role" and role_ref[1] == "Arn"


@pytest.mark.parametrize("partition", PARTITIONS)
def test_mail_records_come_from_context_through_the_placement(
    synthesized: Synthesized, partition: str
) -> None:
    part = get_partition(partition)
    block = project_context()[naming.context_key(part)]
    template = synthesized.template(naming.stack_name(part))
    zone = naming.partition_zone_name(part)
    records = {
        (r["Properties"]["Name"], r["Properties"]["Type"]): r["Properties"]["ResourceRecords"]
        for r in _resources(template, "AWS::Route53::RecordSet").values()
    }
    assert records[(zone + ".", "TXT")] == [f'"{SPF_VALUE}"']
    assert records[(f"_dmarc.{zone}.", "TXT")] == ['"v=DMARC1; p=none; rua=mailto:dmarc-reports@arda.cards"']
    assert records[(f"pm-bounces.{zone}.", "CNAME")] == [block["returnPathTarget"]]
    (dkim,) = records[(f"{block['dkimSelector']}._domainkey.{zone}.", "TXT")]
    strings = dkim[1:-1].split('" "')
    assert len(strings) == 2 and all(len(s) <= 255 for s in strings)
    assert join_txt_strings(strings) == dkim_txt_value(block["dkimPublicKey"])
    assert len(records) == 4


@pytest.mark.parametrize("partition", PARTITIONS)
def test_dns_provisioning_role_is_zone_scoped_and_chained(synthesized: Synthesized, partition: str) -> None:
    part = get_partition(partition)
    template = synthesized.template(naming.stack_name(part))
    zone_id, _ = _one(template, "AWS::Route53::HostedZone")
    ((role_id, role),) = [
        (k, v)
        for k, v in _resources(template, "AWS::IAM::Role").items()
        if k.startswith("EmailDnsProvisioningRole")
    ]
    assert "RoleName" not in role["Properties"]
    assert_trust_is_partition_chained(role, part.name)
    (policy,) = [
        p
        for p in _resources(template, "AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    # The partition is a literal (`@aws-cdk/core:enablePartitionLiterals`: the region is known)
    # and one statement holds both zone actions (`@aws-cdk/aws-iam:minimizePolicies`); ADR-0028.
    zone_arn = {"Fn::Join": ["", ["arn:aws:route53:::hostedzone/", {"Ref": zone_id}]]}
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
            "Effect": "Allow",
            "Resource": zone_arn,
        },
        {"Action": "route53:ListHostedZonesByName", "Effect": "Allow", "Resource": "*"},
    ]


@pytest.mark.parametrize("partition", PARTITIONS)
def test_fallback_role_reads_only_the_key_secret(synthesized: Synthesized, partition: str) -> None:
    part = get_partition(partition)
    template = synthesized.template(naming.stack_name(part))
    key_id, _ = _one(template, "AWS::SecretsManager::Secret", Name=naming.encryption_key_secret_name(part))
    role_id, role = _one(template, "AWS::IAM::Role", RoleName=f"{partition}-EmailEncryptionKeyFallbackRole")
    assert_trust_is_partition_chained(role, part.name)
    (policy,) = [
        p
        for p in _resources(template, "AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": {"Ref": key_id}}
    ]


def assert_trust_is_partition_chained(role: dict[str, Any], partition: str) -> None:
    account = get_infrastructure(get_partition(partition).infrastructure).account
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"]["AWS"] == f"arn:aws:iam::{account}:root"
    assert statement["Condition"] == {
        "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{account}:role/{partition}-*"}
    }


def test_no_template_grants_route53_get_change(synthesized: Synthesized) -> None:
    for name in synthesized.stack_names():
        assert "route53:GetChange" not in synthesized.template_path(name).read_text(), name


def test_no_two_stacks_in_one_account_share_an_explicit_physical_name(synthesized: Synthesized) -> None:
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())
    names: Counter[tuple[str, str, str]] = Counter()
    name_properties = {
        "AWS::IAM::Role": "RoleName",
        "AWS::SecretsManager::Secret": "Name",
        "AWS::IAM::Policy": "PolicyName",
        "AWS::Lambda::Function": "FunctionName",
    }
    for stack in synthesized.stack_names():
        account = manifest["artifacts"][stack]["environment"]
        template = synthesized.template(stack)
        for resource in template["Resources"].values():
            prop = name_properties.get(resource["Type"])
            if (
                prop
                and isinstance(resource["Properties"].get(prop), str)
                and resource["Type"] != "AWS::IAM::Policy"
            ):
                names[(account, resource["Type"], resource["Properties"][prop])] += 1
        for output in template.get("Outputs", {}).values():
            if "Export" in output:
                names[(account, "Export", output["Export"]["Name"])] += 1
    assert names, "expected explicit names to check"
    duplicated = [key for key, count in names.items() if count > 1]
    assert duplicated == []


def test_props_are_validated_before_any_resource() -> None:
    context = project_context()
    good = context["partitionMail:Alpha002:dev"]
    with pytest.raises(
        MalformedContextBlock,
        match=re.escape(
            "has no 'partitionMail:Alpha002:dev'; run `python -m tools.register_partition_mail_signature Alpha002 dev`"
        ),
    ):
        PartitionEmailProps.resolve(DEV, PartitionEmailInstanceConfig(), None)
    with pytest.raises(
        MalformedContextBlock, match="dkimPublicKey: the DKIM public key is not a complete DER"
    ):
        PartitionEmailProps.resolve(
            DEV, PartitionEmailInstanceConfig(), {**good, "dkimPublicKey": "bm90IGEga2V5"}
        )
    with pytest.raises(MalformedContextBlock, match="missing returnPathTarget"):
        PartitionEmailProps.resolve(
            DEV, PartitionEmailInstanceConfig(), {k: v for k, v in good.items() if k != "returnPathTarget"}
        )
    with pytest.raises(InvalidPartitionEmailProps, match="valid: none, quarantine, reject"):
        PartitionEmailProps.resolve(DEV, PartitionEmailInstanceConfig(dmarc_policy="x"), good)
    props = PartitionEmailProps.resolve(DEV, PartitionEmailInstanceConfig(), good)
    assert props.stack_name == "Alpha002-dev-Email"
    assert props.domain.placement(props.block.dkim_selector).dkim_host_name == (
        f"{good['dkimSelector']}._domainkey.dev.ardamails.com"
    )


def test_committed_context_keys_are_2048_bit_rsa() -> None:
    from platform_lib.dkim_key import dkim_key_bits

    context = project_context()
    for partition in active_partitions():
        block = context[naming.context_key(partition)]
        assert dkim_key_bits(block["dkimPublicKey"]) == 2048
        assert block["returnPathTarget"] == "pm.mtasv.net"


def test_exports_are_emitted_only_by_publish() -> None:
    import aws_cdk as cdk

    from stacks.purpose.partition_email import PartitionEmailStack

    props = PartitionEmailProps.resolve(
        DEV, PartitionEmailInstanceConfig(), project_context()["partitionMail:Alpha002:dev"]
    )
    unpublished = PartitionEmailStack(cdk.App(), props.stack_name, props)
    assert Template.from_stack(unpublished).find_outputs("*") == {}
    published = PartitionEmailStack(cdk.App(), props.stack_name, props)
    outputs = published.publish()
    assert len(Template.from_stack(published).find_outputs("*", {"Export": Match.any_value()})) == 6
    assert set(outputs.by_export_key()) == set(ExportKey)


GOLDEN_PARTITIONS = PROJECT_ROOT / "tests" / "golden" / "partitions"


@pytest.fixture(scope="session")
def golden_context_synth(synthesized: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The app with the golden context blocks (single keys, as before rotation existed): the
    session's own synth when the committed blocks are those, else a synth of its own."""
    golden = json.loads((GOLDEN_PARTITIONS / "cdk.context.json").read_text())
    committed = json.loads((PROJECT_ROOT / "cdk.context.json").read_text())
    if all(committed.get(key) == block for key, block in golden.items()):
        return synthesized
    return synthesize(tmp_path_factory.mktemp("golden-partitions"), golden)


@pytest.mark.parametrize("partition", active_partitions(), ids=lambda p: p.name)
def test_partition_templates_are_byte_identical_to_their_golden_files(
    golden_context_synth: Synthesized, partition: Partition
) -> None:
    """Pinned when the context block format grew rotation keys (ADR-0022) and when the mail
    records moved into a construct: a block without rotation synthesizes as before."""
    name = naming.stack_name(partition)
    golden = (GOLDEN_PARTITIONS / f"{name}.template.json").read_bytes()
    assert golden_context_synth.template_path(name).read_bytes() == golden, (
        f"{name} changed; if intended, regenerate tests/golden/partitions/ (see its README) in the same commit"
    )

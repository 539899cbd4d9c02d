"""The corporate instance group's stacks: `Corporate-Mail` and `FreeKanbanToolMailDns`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from platform_lib.context_block import MalformedContextBlock
from platform_lib.context_store import PROJECT_ROOT
from platform_lib.dns_text import SPF_VALUE, dkim_txt_value, dmarc_value, quoted_txt_strings
from stacks.purpose.corporate_mail import CorporateMailProps
from tests.synth import Synthesized

ZONE = "arda.ardamails.com"
LEAF = "freekanban.arda.ardamails.com"
BLOCK = json.loads((PROJECT_ROOT / "cdk.context.json").read_text())["corporateMail:PlatformRoot:arda"]


@pytest.fixture(scope="module")
def corporate(synthesized: Synthesized) -> Template:
    return Template.from_json(synthesized.template("Corporate-Mail"))


@pytest.fixture(scope="module")
def leaf(synthesized: Synthesized) -> Template:
    return Template.from_json(synthesized.template("FreeKanbanToolMailDns"))


def _records(template: Template) -> dict[tuple[str, str], Any]:
    return {
        (r["Properties"]["Name"], r["Properties"]["Type"]): r["Properties"]["ResourceRecords"]
        for r in template.find_resources("AWS::Route53::RecordSet").values()
        if "ResourceRecords" in r["Properties"]
    }


def test_the_corporate_zone_is_retained_delegated_in_the_same_account_and_exported(
    corporate: Template,
) -> None:
    corporate.has_resource(
        "AWS::Route53::HostedZone",
        {"Properties": {"Name": f"{ZONE}."}, "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"},
    )
    corporate.has_resource(
        "AWS::Route53::RecordSet",
        {
            "Properties": {
                "Name": f"{ZONE}.",
                "Type": "NS",
                "HostedZoneId": {"Fn::ImportValue": "arda-ardamails-zone"},
            },
            "DeletionPolicy": "Retain",
        },
    )
    corporate.has_output("MailZoneId", {"Export": {"Name": "Corporate-I-MailZoneId"}})
    assert corporate.find_resources("Custom::CrossAccountZoneDelegation") == {}, (
        "same account: no assume-role"
    )


def test_spf_dmarc_at_the_apex_and_dkim_return_path_anchored_at_arda(corporate: Template) -> None:
    records = _records(corporate)
    assert records[(f"{ZONE}.", "TXT")] == [f'"{SPF_VALUE}"']
    assert records[(f"_dmarc.{ZONE}.", "TXT")] == [f'"{dmarc_value()}"']
    dkim = f"{BLOCK['dkimSelector']}._domainkey.{ZONE}."
    assert records[(dkim, "TXT")] == [quoted_txt_strings(dkim_txt_value(BLOCK["dkimPublicKey"]))]
    assert records[(f"pm-bounces.{ZONE}.", "CNAME")] == [BLOCK["returnPathTarget"]]


def test_the_server_token_is_a_no_echo_parameter_in_its_secret(corporate: Template) -> None:
    corporate.has_parameter("FreeKanbanToolServerToken", {"Type": "String", "NoEcho": True, "MinLength": 1})
    corporate.has_resource(
        "AWS::SecretsManager::Secret",
        {
            "Properties": {
                "Name": "Corporate-I-FreeKanbanToolServerToken",
                "SecretString": {"Ref": "FreeKanbanToolServerToken"},
            },
            "DeletionPolicy": "Delete",
        },
    )


def test_the_leaf_publishes_its_own_spf_and_dmarc_in_the_imported_zone(
    leaf: Template, synthesized: Synthesized
) -> None:
    records = _records(leaf)
    assert records == {
        (f"{LEAF}.", "TXT"): [f'"{SPF_VALUE}"'],
        (f"_dmarc.{LEAF}.", "TXT"): [f'"{dmarc_value()}"'],
    }
    leaf.all_resources_properties(
        "AWS::Route53::RecordSet", {"HostedZoneId": {"Fn::ImportValue": "Corporate-I-MailZoneId"}}
    )
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())
    assert "Corporate-Mail" in manifest["artifacts"]["FreeKanbanToolMailDns"]["dependencies"]


def test_a_missing_corporate_block_names_the_corporate_cli() -> None:
    with pytest.raises(
        MalformedContextBlock, match=r"has no 'corporateMail:PlatformRoot:arda'; run `\./corporate-cli`"
    ):
        CorporateMailProps.resolve(None)

"""`DnsEmailRecords` and `PostmarkSendingDomain` on their own: a bare stack with one hosted
zone, no partition stack around them. What a stack author relies on: the records land at
the names asked for, long DKIM values are split the zone-file way, bad props are refused
before synth, every key of a rotation is published, and the records keep the logical ids
they would have directly under the stack (the golden templates rely on that)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_route53 as route53
from aws_cdk.assertions import Template

from constructs_lib.dns_email_records import (
    DkimTxt,
    DnsEmailRecords,
    DnsEmailRecordsProps,
    InvalidEmailRecords,
)
from constructs_lib.postmark_sending_domain import PostmarkSendingDomain, PostmarkSendingDomainProps
from constructs_lib.template_identity import stack_level_logical_id
from platform_lib.context_block import ContextBlock, DkimKey
from platform_lib.dns_text import SPF_VALUE, dkim_txt_value, dmarc_value
from platform_lib.registry import get_partition
from platform_lib.sending_domain import (
    SendingDomain,
    corporate_sending_domain,
    free_kanban_tool_leaf,
    partition_sending_domain,
)
from tests.support.postmark_simulator import new_dkim_public_key

ZONE = "mail.example.com"
SHORT_KEY = new_dkim_public_key(bits=1024)  # 216 characters: one TXT string
LONG_KEY = new_dkim_public_key(bits=2048)  # 392 characters: two TXT strings
PATH_METADATA = {"aws:cdk:enable-path-metadata": True}  # as the CDK CLI runs the app


def _stack() -> tuple[cdk.Stack, route53.HostedZone]:
    stack = cdk.Stack(cdk.App(context=PATH_METADATA), "Bare")
    return stack, route53.HostedZone(stack, "Zone", zone_name=ZONE)


def _records(template: Mapping[str, Any], record_type: str) -> dict[str, dict[str, Any]]:
    """Logical id → properties of the template's record sets of one type."""
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Route53::RecordSet" and resource["Properties"]["Type"] == record_type
    }


def _by_name(template: Mapping[str, Any], record_type: str) -> dict[str, list[str]]:
    return {p["Name"]: p["ResourceRecords"] for p in _records(template, record_type).values()}


def _synth(**props: Any) -> Mapping[str, Any]:
    stack, zone = _stack()
    DnsEmailRecords(stack, "Mail", DnsEmailRecordsProps(zone=zone, zone_name=ZONE, **props))
    return Template.from_stack(stack).to_json()


def test_records_land_at_the_apex_selectors_and_return_path() -> None:
    template = _synth(
        dkim=[
            DkimTxt("Dkim", f"s1._domainkey.{ZONE}", SHORT_KEY),
            DkimTxt("DkimNext", f"s2._domainkey.{ZONE}", LONG_KEY),
        ],
        return_path_host_name=f"pm-bounces.{ZONE}",
        return_path_target="pm.mtasv.net",
        dmarc_policy="quarantine",
    )
    txt = _by_name(template, "TXT")
    assert txt[f"{ZONE}."] == [f'"{SPF_VALUE}"']
    assert txt[f"_dmarc.{ZONE}."] == [f'"{dmarc_value("quarantine")}"']
    assert txt[f"s1._domainkey.{ZONE}."] == [f'"{dkim_txt_value(SHORT_KEY)}"']
    (long_value,) = txt[f"s2._domainkey.{ZONE}."]
    strings = re.findall(r'"([^"]*)"', long_value)
    assert len(strings) == 2 and all(len(s) <= 255 for s in strings)
    assert long_value == " ".join(f'"{s}"' for s in strings), "strings joined by one space"
    assert "".join(strings) == dkim_txt_value(LONG_KEY)
    assert _by_name(template, "CNAME") == {f"pm-bounces.{ZONE}.": ["pm.mtasv.net"]}


def test_records_keep_the_ids_they_would_have_directly_under_the_stack() -> None:
    template = _synth(
        dkim=[DkimTxt("Dkim", f"s1._domainkey.{ZONE}", SHORT_KEY)],
        return_path_host_name=f"pm-bounces.{ZONE}",
        return_path_target="pm.mtasv.net",
    )
    ids = set(_records(template, "TXT")) | set(_records(template, "CNAME"))
    assert ids == {stack_level_logical_id(n) for n in ("Spf", "Dmarc", "Dkim", "ReturnPath")}
    paths = {r["Metadata"]["aws:cdk:path"] for r in template["Resources"].values() if "Metadata" in r}
    assert "Bare/Spf/Resource" in paths and not any(p.startswith("Bare/Mail/") for p in paths)


def test_stack_level_logical_id_is_what_cdk_allocates() -> None:
    """The formula the constructs rely on, against CDK itself: a record made directly under
    a stack gets exactly `stack_level_logical_id(its id)`."""
    stack, zone = _stack()
    record = route53.TxtRecord(stack, "Spf", zone=zone, values=["v"])
    cname = route53.CnameRecord(stack, "ReturnPath", zone=zone, record_name="x", domain_name="y.example")
    for construct, name in ((record, "Spf"), (cname, "ReturnPath")):
        child = construct.node.default_child
        assert isinstance(child, cdk.CfnElement)
        assert stack.resolve(child.logical_id) == stack_level_logical_id(name)


def test_a_leaf_gets_spf_and_dmarc_at_its_own_name_and_nothing_else() -> None:
    template = _synth(policy_name=f"leaf.{ZONE}")
    assert _by_name(template, "TXT") == {
        f"leaf.{ZONE}.": [f'"{SPF_VALUE}"'],
        f"_dmarc.leaf.{ZONE}.": [f'"{dmarc_value()}"'],
    }
    assert _records(template, "CNAME") == {}


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"dkim": [DkimTxt("Dkim", "s1._domainkey.other.example", SHORT_KEY)]},
            "records outside zone mail.example.com",
        ),
        (
            {"policy_name": "evilmail.example.com"},
            "records outside zone mail.example.com: evilmail.example.com",
        ),
        (
            {"return_path_host_name": f"pm-bounces.{ZONE}"},
            "a Return-Path needs both its host name and its target",
        ),
        ({"return_path_target": "pm.mtasv.net"}, "a Return-Path needs both its host name and its target"),
        (
            {
                "dkim": [
                    DkimTxt("Dkim", f"s._domainkey.{ZONE}", SHORT_KEY),
                    DkimTxt("DkimNext", f"S._domainkey.{ZONE}", SHORT_KEY),
                ]
            },
            "share a host name or a record id",
        ),
        (
            {
                "dkim": [
                    DkimTxt("Dkim", f"a._domainkey.{ZONE}", SHORT_KEY),
                    DkimTxt("Dkim", f"b._domainkey.{ZONE}", SHORT_KEY),
                ]
            },
            "share a host name or a record id",
        ),
    ],
)
def test_bad_props_are_refused_before_anything_is_built(props: dict[str, Any], message: str) -> None:
    stack, zone = _stack()
    with pytest.raises(InvalidEmailRecords, match=re.escape(message)):
        DnsEmailRecords(stack, "Mail", DnsEmailRecordsProps(zone=zone, zone_name=ZONE, **props))
    assert stack.node.try_find_child("Mail") is None, "nothing half-built"


def _sending_domain_template(domain: SendingDomain, block: ContextBlock) -> Mapping[str, Any]:
    stack = cdk.Stack(cdk.App(), "Bare")
    zone = route53.HostedZone(stack, "Zone", zone_name=domain.zone_name)
    PostmarkSendingDomain(stack, "Mail", PostmarkSendingDomainProps(zone=zone, domain=domain, block=block))
    return Template.from_stack(stack).to_json()


def test_a_rotation_block_publishes_every_key_at_its_own_record() -> None:
    domain = partition_sending_domain(get_partition("dev"))
    block = domain.parse_block(
        {
            "dkimSelector": "20260101000000pm",
            "dkimPublicKey": LONG_KEY,
            "returnPathTarget": "pm.mtasv.net",
            "dkimRecord": "DkimNext",
            "dkimRevoked": DkimKey("20250101000000pm", SHORT_KEY, "Dkim").to_json(),
        }
    )
    template = _sending_domain_template(domain, block)
    dkim = {
        logical_id: props["Name"]
        for logical_id, props in _records(template, "TXT").items()
        if "._domainkey." in props["Name"]
    }
    assert dkim == {
        stack_level_logical_id("DkimNext"): "20260101000000pm._domainkey.dev.ardamails.com.",
        stack_level_logical_id("Dkim"): "20250101000000pm._domainkey.dev.ardamails.com.",
    }
    assert _by_name(template, "CNAME") == {"pm-bounces.dev.ardamails.com.": ["pm.mtasv.net"]}


def test_the_corporate_domain_anchors_its_key_at_its_zone() -> None:
    domain = corporate_sending_domain()
    block = domain.parse_block(
        {"dkimSelector": "20260101000000pm", "dkimPublicKey": SHORT_KEY, "returnPathTarget": "pm.mtasv.net"}
    )
    txt = _by_name(_sending_domain_template(domain, block), "TXT")
    assert set(txt) == {
        "arda.ardamails.com.",
        "_dmarc.arda.ardamails.com.",
        "20260101000000pm._domainkey.arda.ardamails.com.",
    }


def test_the_free_kanban_tool_leaf_uses_its_parents_key_placement() -> None:
    """A leaf's placement puts its DKIM at the parent (Postmark's domain), not at the leaf."""
    leaf = free_kanban_tool_leaf()
    placement = leaf.placement("20260101000000pm")
    assert placement.dkim_host_name == "20260101000000pm._domainkey.arda.ardamails.com"
    assert leaf.return_path_host_name == "pm-bounces.arda.ardamails.com"

"""Post-merge checks of one deployed partition, against AWS (boto3) and DNS (dnspython).

Names come from `platform_lib` and the expected DKIM/Return-Path values from the context
block the deploy used; the six exports are read from the stack's own outputs
(`describe_stacks`), never from a paginated `list-exports`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions

from platform_lib.dns_text import SPF_VALUE, dkim_txt_value, dmarc_value
from platform_lib.mail_context import PartitionMailContext
from platform_lib.naming import (
    ExportKey,
    dmarc_host_name,
    encryption_key_secret_name,
    export_name,
    partition_zone_name,
    postmark_account_token_secret_name,
    stack_name,
)
from platform_lib.placement import sending_domain_placement
from platform_lib.registry import Partition
from tools.lib.drift.dns_probe import DnsAnswer, DnsProbe
from tools.lib.exit_validation.results import CheckFailed, CheckResult, run_check

HEALTHY_STACK_STATUSES = ("CREATE_COMPLETE", "UPDATE_COMPLETE")


@dataclass(frozen=True)
class PostMergeTarget:
    partition: Partition
    context: PartitionMailContext
    session: boto3.Session
    dns: DnsProbe


def _joined_txt(answer: DnsAnswer) -> list[str]:
    return ["".join(strings) for strings in answer.values]


def _describe_stack(target: PostMergeTarget) -> dict[str, Any]:
    name = stack_name(target.partition)
    try:
        stacks = target.session.client("cloudformation").describe_stacks(StackName=name)["Stacks"]
    except botocore.exceptions.ClientError as exc:
        raise CheckFailed(f"stack {name} not found ({exc.response['Error'].get('Message', '')})") from None
    stack: dict[str, Any] = stacks[0]
    return stack


def _stack_status(target: PostMergeTarget) -> str:
    status = str(_describe_stack(target)["StackStatus"])
    if status not in HEALTHY_STACK_STATUSES:
        raise CheckFailed(
            f"{stack_name(target.partition)} is {status}, expected {' or '.join(HEALTHY_STACK_STATUSES)}"
        )
    return f"{stack_name(target.partition)} {status}"


def _route53_name_servers(target: PostMergeTarget, zone: str) -> set[str] | None:
    route53 = target.session.client("route53")
    listed = route53.list_hosted_zones_by_name(DNSName=zone + ".", MaxItems="1")["HostedZones"]
    if not listed or listed[0]["Name"].rstrip(".") != zone:
        return None
    zone_info = route53.get_hosted_zone(Id=listed[0]["Id"])
    return {ns.rstrip(".").lower() for ns in zone_info.get("DelegationSet", {}).get("NameServers", [])}


def _ns_delegation(target: PostMergeTarget) -> str:
    zone = partition_zone_name(target.partition)
    answer = target.dns.query(zone, "NS")
    answered = set(answer.single_values())
    if not answered:
        raise CheckFailed(f"NS {zone}: {answer.absent_reason} (not delegated)")
    expected = _route53_name_servers(target, zone)
    if expected is None:
        raise CheckFailed(f"hosted zone {zone} not found in Route 53")
    if answered != expected:
        raise CheckFailed(f"NS {zone} answers {sorted(answered)}, the hosted zone has {sorted(expected)}")
    return f"{len(answered)} name servers match the hosted zone"


def _txt_equals(name: str, expected: str, target: PostMergeTarget, label: str) -> str:
    answer = target.dns.query(name, "TXT")
    values = _joined_txt(answer)
    if not values:
        raise CheckFailed(f"TXT {name}: {answer.absent_reason}")
    if expected not in values:
        shown = "; ".join(v if len(v) <= 60 else v[:57] + "..." for v in values)
        raise CheckFailed(f"TXT {name} is {shown!r}, expected the {label} value")
    return f"TXT {name}"


def _spf(target: PostMergeTarget) -> str:
    return _txt_equals(partition_zone_name(target.partition), SPF_VALUE, target, "SPF")


def _dmarc(target: PostMergeTarget) -> str:
    return _txt_equals(dmarc_host_name(partition_zone_name(target.partition)), dmarc_value(), target, "DMARC")


def _placement(target: PostMergeTarget) -> Any:
    return sending_domain_placement(target.partition.name, target.context.dkim_selector)


def _dkim(target: PostMergeTarget) -> str:
    host = _placement(target).dkim_host_name
    return _txt_equals(host, dkim_txt_value(target.context.dkim_public_key), target, "context's DKIM")


def _return_path(target: PostMergeTarget) -> str:
    host = _placement(target).return_path_host_name
    answer = target.dns.query(host, "CNAME")
    values = answer.single_values()
    expected = target.context.return_path_target.rstrip(".").lower()
    if not values:
        raise CheckFailed(f"CNAME {host}: {answer.absent_reason}")
    if values != [expected]:
        raise CheckFailed(f"CNAME {host} -> {', '.join(values)}, expected {expected}")
    return f"CNAME {host} -> {expected}"


def _secret(name_of: Callable[[Partition], str]) -> Callable[[PostMergeTarget], str]:
    def check(target: PostMergeTarget) -> str:
        name = name_of(target.partition)
        try:
            target.session.client("secretsmanager").describe_secret(SecretId=name)
        except botocore.exceptions.ClientError as exc:
            code = exc.response["Error"].get("Code", "")
            raise CheckFailed(f"secret {name}: {code or exc}") from None
        return f"secret {name}"

    return check


def _exports(target: PostMergeTarget) -> str:
    outputs = _describe_stack(target).get("Outputs", [])
    present = {o.get("ExportName") for o in outputs if o.get("ExportName")}
    expected = [export_name(target.partition, key) for key in ExportKey]
    missing = [name for name in expected if name not in present]
    if missing:
        raise CheckFailed(
            f"{len(expected) - len(missing)}/{len(expected)} exports; missing {', '.join(missing)}"
        )
    return f"{len(expected)}/{len(expected)} exports from the stack's outputs"


POST_MERGE_CHECKS: tuple[tuple[str, Callable[[PostMergeTarget], str]], ...] = (
    ("stack status", _stack_status),
    ("NS delegation", _ns_delegation),
    ("SPF", _spf),
    ("DMARC", _dmarc),
    ("DKIM", _dkim),
    ("Return-Path", _return_path),
    ("token secret", _secret(postmark_account_token_secret_name)),
    ("encryption key secret", _secret(encryption_key_secret_name)),
    ("exports", _exports),
)


def post_merge_checks(target: PostMergeTarget) -> list[CheckResult]:
    return [run_check(name, functools.partial(check, target)) for name, check in POST_MERGE_CHECKS]

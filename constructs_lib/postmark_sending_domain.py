"""`PostmarkSendingDomain`: a Postmark sending domain's DNS, fed by its context block.

The thin, validated layer between a `cdk.context.json` block (the signing key and, during a
rotation, the pending or revoked key, each with its record id - ADR-0022) and
`DnsEmailRecords`: every key the block holds is published at the host its placement gives,
so the key Postmark signs with is in DNS at every moment of a rotation. Partition stacks
and the corporate stack use it alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_route53 as route53
from constructs import Construct

from constructs_lib.dns_email_records import DkimTxt, DnsEmailRecords, DnsEmailRecordsProps
from platform_lib.context_block import ContextBlock
from platform_lib.sending_domain import SendingDomain


@dataclass(frozen=True)
class PostmarkSendingDomainProps:
    zone: route53.IHostedZone
    domain: SendingDomain
    block: ContextBlock
    dmarc_policy: str = "none"


class PostmarkSendingDomain(Construct):
    """Publish a block's keys and Return-Path, with SPF and DMARC, into `props.zone`.

    Exposes `records` (the `DnsEmailRecords`)."""

    def __init__(self, scope: Construct, construct_id: str, props: PostmarkSendingDomainProps) -> None:
        super().__init__(scope, construct_id)
        domain, block = props.domain, props.block
        self.records = DnsEmailRecords(
            self,
            "Records",
            DnsEmailRecordsProps(
                zone=props.zone,
                zone_name=domain.zone_name,
                dkim=[
                    DkimTxt(key.record, domain.placement(key.selector).dkim_host_name, key.public_key)
                    for _, key in block.dkim_keys()
                ],
                return_path_host_name=domain.return_path_host_name,
                return_path_target=block.return_path_target,
                dmarc_policy=props.dmarc_policy,
            ),
        )

"""`PostmarkSendingDomain`: a Postmark sending domain's DNS, fed by its context block.

The thin, validated layer between a `cdk.context.json` block (the signing key and, during a
rotation, the pending or revoked key, each with its record id - ADR-0022) and
`DnsEmailRecords`: every key the block holds is published at the host its placement gives,
so the key Postmark signs with is in DNS at every moment of a rotation. Partition stacks
and the corporate stacks use it alike.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import aws_route53 as route53
from constructs import Construct

from constructs_lib.dns_email_records import DkimTxt, DnsEmailRecords
from platform_lib.mail_context import PartitionMailContext
from platform_lib.placement import SendingDomainPlacement

PlacementFor = Callable[[str], SendingDomainPlacement]


class PostmarkSendingDomain:
    """Publish a context block's keys and Return-Path, with SPF and DMARC, into `zone`."""

    def __init__(
        self,
        scope: Construct,
        *,
        zone: route53.IHostedZone,
        zone_name: str,
        context: PartitionMailContext,
        placement_for: PlacementFor,
        dmarc_policy: str = "none",
    ) -> None:
        signing = placement_for(context.dkim_selector)
        DnsEmailRecords(
            scope,
            zone=zone,
            zone_name=zone_name,
            dkim=[
                DkimTxt(key.record, placement_for(key.selector).dkim_host_name, key.public_key)
                for _, key in context.dkim_keys()
            ],
            return_path_host_name=signing.return_path_host_name,
            return_path_target=context.return_path_target,
            dmarc_policy=dmarc_policy,
        )

"""`DnsEmailRecords`: the mail records of one sending domain, shape-neutral.

SPF and DMARC at a name (the zone apex by default, or any absolute name such as a sending
leaf), one DKIM TXT record per key at the absolute host names a placement gives, and the
Return-Path CNAME; a sending leaf that inherits its parent's DKIM and Return-Path gives
neither. It adds its records to the scope it is given rather than under a
construct of its own, so the logical ids and construct paths are those the partition stack
always had (`Spf`, `Dmarc`, `Dkim`, `ReturnPath`) and a template is byte-identical whether
the stack writes the records itself or through this construct.

DKIM values longer than 255 characters are split into quoted strings, and written through
`RecordSet` because aws-cdk-lib's `TxtRecord` neither splits nor passes quotes through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_route53 as route53
from constructs import Construct

from platform_lib.dns_text import SPF_VALUE, dkim_txt_value, dmarc_value, quoted_txt_strings
from platform_lib.errors import PlatformError
from platform_lib.naming import DMARC_LABEL, dmarc_host_name


class InvalidEmailRecords(PlatformError):
    """A record would land outside its zone, or two would collide; raised before synth."""


@dataclass(frozen=True)
class DkimTxt:
    """One DKIM key to publish: the record's id, its absolute host name, the public key."""

    record_id: str
    host_name: str
    public_key: str


def _within(name: str, zone_name: str) -> bool:
    name, zone_name = name.rstrip(".").lower(), zone_name.rstrip(".").lower()
    return name == zone_name or name.endswith("." + zone_name)


class DnsEmailRecords:
    """Add SPF, DMARC, DKIM and Return-Path records for one sending domain to `scope`."""

    def __init__(
        self,
        scope: Construct,
        *,
        zone: route53.IHostedZone,
        zone_name: str,
        dkim: Sequence[DkimTxt] = (),
        return_path_host_name: str | None = None,
        return_path_target: str | None = None,
        dmarc_policy: str = "none",
        policy_name: str | None = None,
    ) -> None:
        if (return_path_host_name is None) != (return_path_target is None):
            raise InvalidEmailRecords(f"{zone_name}: a Return-Path needs both its host name and its target")
        names = [key.host_name for key in dkim] + [
            n for n in (return_path_host_name, policy_name) if n is not None
        ]
        outside = [name for name in names if not _within(name, zone_name)]
        if outside:
            raise InvalidEmailRecords(f"records outside zone {zone_name}: {', '.join(outside)}")
        hosts = [key.host_name.lower() for key in dkim]
        ids = [key.record_id for key in dkim]
        if len(set(hosts)) != len(hosts) or len(set(ids)) != len(ids):
            raise InvalidEmailRecords(f"two DKIM keys of {zone_name} share a host name or a record id")

        if policy_name is None:  # SPF and DMARC at the zone apex, as the partition stacks have them
            spf_name, dmarc_name = None, DMARC_LABEL
        else:
            spf_name, dmarc_name = policy_name + ".", dmarc_host_name(policy_name) + "."
        self.spf = route53.TxtRecord(scope, "Spf", zone=zone, record_name=spf_name, values=[SPF_VALUE])
        self.dmarc = route53.TxtRecord(
            scope, "Dmarc", zone=zone, record_name=dmarc_name, values=[dmarc_value(dmarc_policy)]
        )
        self.dkim = [
            route53.RecordSet(
                scope,
                key.record_id,
                zone=zone,
                record_type=route53.RecordType.TXT,
                record_name=key.host_name + ".",
                target=route53.RecordTarget.from_values(quoted_txt_strings(dkim_txt_value(key.public_key))),
            )
            for key in dkim
        ]
        self.return_path = (
            None
            if return_path_host_name is None or return_path_target is None
            else route53.CnameRecord(
                scope,
                "ReturnPath",
                zone=zone,
                record_name=return_path_host_name + ".",
                domain_name=return_path_target,
            )
        )

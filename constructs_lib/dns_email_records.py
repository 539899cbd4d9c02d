"""`DnsEmailRecords`: the mail records of one sending domain.

SPF and DMARC at a name (the zone apex by default, or any absolute name such as a sending
leaf), one DKIM TXT record per key at the absolute host names a placement gives, and the
Return-Path CNAME; a sending leaf that inherits its parent's DKIM and Return-Path gives
neither. The records keep the logical ids they had when stacks wrote them directly
(`constructs_lib.template_identity`), so moving them here changed no template.

DKIM values longer than 255 characters are split here into quoted strings of at most 255
characters, joined by a space (`"…" "…"`, the zone-file form the source documents use) and
written through `RecordSet`, which passes them through unchanged: aws-cdk-lib's `TxtRecord`
splits long values too, but joins the strings without a space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import CfnResource
from aws_cdk import aws_route53 as route53
from constructs import Construct

from constructs_lib.template_identity import keep_stack_level_identity
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


@dataclass(frozen=True)
class DnsEmailRecordsProps:
    zone: route53.IHostedZone
    zone_name: str
    dkim: Sequence[DkimTxt] = ()
    return_path_host_name: str | None = None
    return_path_target: str | None = None
    dmarc_policy: str = "none"
    policy_name: str | None = None  # where SPF and DMARC go (None: the zone apex)

    def validate(self) -> None:
        if (self.return_path_host_name is None) != (self.return_path_target is None):
            raise InvalidEmailRecords(
                f"{self.zone_name}: a Return-Path needs both its host name and its target"
            )
        names = [key.host_name for key in self.dkim] + [
            n for n in (self.return_path_host_name, self.policy_name) if n is not None
        ]
        outside = [name for name in names if not _within(name, self.zone_name)]
        if outside:
            raise InvalidEmailRecords(f"records outside zone {self.zone_name}: {', '.join(outside)}")
        hosts = [key.host_name.lower() for key in self.dkim]
        ids = [key.record_id for key in self.dkim]
        if len(set(hosts)) != len(hosts) or len(set(ids)) != len(ids):
            raise InvalidEmailRecords(f"two DKIM keys of {self.zone_name} share a host name or a record id")


def _within(name: str, zone_name: str) -> bool:
    name, zone_name = name.rstrip(".").lower(), zone_name.rstrip(".").lower()
    return name == zone_name or name.endswith("." + zone_name)


class DnsEmailRecords(Construct):
    """SPF, DMARC, DKIM and Return-Path records of one sending domain, in `props.zone`.

    Exposes `spf`, `dmarc`, `dkim` (one record set per key) and `return_path` (or None)."""

    def __init__(self, scope: Construct, construct_id: str, props: DnsEmailRecordsProps) -> None:
        props.validate()
        super().__init__(scope, construct_id)
        zone = props.zone
        if props.policy_name is None:  # SPF and DMARC at the zone apex, as the partition stacks have them
            spf_name, dmarc_name = None, DMARC_LABEL
        else:
            spf_name, dmarc_name = props.policy_name + ".", dmarc_host_name(props.policy_name) + "."
        self.spf = route53.TxtRecord(self, "Spf", zone=zone, record_name=spf_name, values=[SPF_VALUE])
        self.dmarc = route53.TxtRecord(
            self, "Dmarc", zone=zone, record_name=dmarc_name, values=[dmarc_value(props.dmarc_policy)]
        )
        self.dkim = [
            route53.RecordSet(
                self,
                key.record_id,
                zone=zone,
                record_type=route53.RecordType.TXT,
                record_name=key.host_name + ".",
                target=route53.RecordTarget.from_values(quoted_txt_strings(dkim_txt_value(key.public_key))),
            )
            for key in props.dkim
        ]
        self.return_path = (
            None
            if props.return_path_host_name is None or props.return_path_target is None
            else route53.CnameRecord(
                self,
                "ReturnPath",
                zone=zone,
                record_name=props.return_path_host_name + ".",
                domain_name=props.return_path_target,
            )
        )
        for record in (self.spf, self.dmarc, *self.dkim, self.return_path):
            if record is not None:
                resource = record.node.default_child
                assert isinstance(resource, CfnResource)
                keep_stack_level_identity(resource, record.node.id)

"""Root DNS stack (PlatformRoot account): `ardamails.com` and the NS delegation role.

Its template is pinned byte for byte by `tests/golden/PlatformRoot-RootDns.template.json`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import CfnOutput, Environment, RemovalPolicy, Stack
from aws_cdk import aws_route53 as route53
from constructs import Construct

from constructs_lib.allow_creating_dns_records_role import (
    AllowCreatingDnsRecordsRole,
    AllowCreatingDnsRecordsRoleProps,
    TrustNamedAccounts,
)
from constructs_lib.nag import acknowledge
from platform_lib.naming import (
    MAIL_ROOT_DOMAIN,
    ROOT_DELEGATION_ROLE_NAME,
    ROOT_ZONE_EXPORT_NAME,
)


@dataclass(frozen=True)
class RootDnsProps:
    env: Environment
    delegating_accounts: Sequence[str]  # the accounts whose stacks write NS records upstream
    delegated_zone_names: Sequence[str]  # the only names they may write

    def validate(self) -> None:
        if not self.delegating_accounts or not self.delegated_zone_names:
            raise ValueError("RootDnsStack needs at least one delegating account and one delegated zone")


class RootDnsStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, props: RootDnsProps) -> None:
        props.validate()
        super().__init__(scope, construct_id, env=props.env)
        delegating_accounts, delegated_zone_names = props.delegating_accounts, props.delegated_zone_names

        zone = route53.PublicHostedZone(self, "ArdamailsZone", zone_name=MAIL_ROOT_DOMAIN)
        zone.apply_removal_policy(RemovalPolicy.RETAIN)
        self.zone = zone

        CfnOutput(
            self,
            "ArdamailsZoneId",
            value=zone.hosted_zone_id,
            export_name=ROOT_ZONE_EXPORT_NAME,
        )

        delegation = AllowCreatingDnsRecordsRole(
            self,
            "NsDelegationRole",
            AllowCreatingDnsRecordsRoleProps(
                trust=TrustNamedAccounts(accounts=sorted(set(delegating_accounts))),
                hosted_zones=[zone],
                record_types=["NS"],
                record_names=delegated_zone_names,
                record_actions=["UPSERT", "DELETE"],
                role_name=ROOT_DELEGATION_ROLE_NAME,
                description="Partition stacks write their sub-zone's NS records into ardamails.com",
            ),
        )
        self.delegation_role = delegation.role
        acknowledge(
            delegation.role,
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            "route53:ListHostedZonesByName supports no resource-level scope; "
            "the delegation handler needs it to find ardamails.com by name.",
        )

"""`AllowCreatingDnsRecordsRole`: an IAM role that may write records into given zones only.

One construct serves two trusts: named accounts (cross-account NS delegation into the root
zone) and STS chaining from roles of one name prefix (a partition's pods). `route53:GetChange`
is never granted: it needs the account-wide `change/*` scope and nothing here waits on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_iam as iam
from aws_cdk import aws_route53 as route53
from constructs import Construct

from platform_lib.naming import fqdn, role_arn


@dataclass(frozen=True)
class TrustNamedAccounts:
    """Trust the root principals of these AWS accounts (cross-account delegation writers)."""

    accounts: Sequence[str]


@dataclass(frozen=True)
class TrustRoleNamePrefix:
    """Trust this account's principal, limited by `ArnLike aws:PrincipalArn` to roles
    whose name starts with `role_name_prefix` (STS chaining from a partition's pod role)."""

    account: str
    role_name_prefix: str


DnsRecordsRoleTrust = TrustNamedAccounts | TrustRoleNamePrefix

RECORD_ACTIONS = ("UPSERT", "DELETE", "CREATE")


@dataclass(frozen=True)
class AllowCreatingDnsRecordsRoleProps:
    """Who may assume the role, the zones it may write, and how narrowly: `record_types`,
    `record_names` and `record_actions` narrow the writes through Route 53's IAM condition
    keys. Without `role_name` CloudFormation names the role, so two instances in one account
    never collide (the stage deploy in the operator log failed on exactly that)."""

    trust: DnsRecordsRoleTrust
    hosted_zones: Sequence[route53.IHostedZone]
    record_types: Sequence[str] | None = None
    record_names: Sequence[str] | None = None
    record_actions: Sequence[str] | None = None
    role_name: str | None = None
    description: str | None = None

    def validate(self, construct_id: str) -> None:
        if not self.hosted_zones:
            raise ValueError(f"{construct_id}: hosted_zones must name at least one zone")
        _check_trust(construct_id, self.trust)
        unknown = sorted(set(self.record_actions or ()) - set(RECORD_ACTIONS))
        if unknown:
            raise ValueError(
                f"{construct_id}: record_actions {unknown} invalid; valid: {', '.join(RECORD_ACTIONS)}"
            )

    def conditions(self) -> dict[str, dict[str, list[str]]] | None:
        """The IAM conditions that narrow `ChangeResourceRecordSets` (None: no narrowing)."""
        narrowing = {
            "route53:ChangeResourceRecordSetsRecordTypes": sorted(set(self.record_types or ())),
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": sorted(
                {fqdn(n) for n in self.record_names or ()}
            ),
            "route53:ChangeResourceRecordSetsActions": sorted(set(self.record_actions or ())),
        }
        kept = {key: values for key, values in narrowing.items() if values}
        return {"ForAllValues:StringEquals": kept} if kept else None


class AllowCreatingDnsRecordsRole(Construct):
    """A role allowed `ChangeResourceRecordSets` and `ListResourceRecordSets` on the given
    hosted zones and `ListHostedZonesByName` (which has no resource scope). Exposes `role`."""

    def __init__(self, scope: Construct, construct_id: str, props: AllowCreatingDnsRecordsRoleProps) -> None:
        props.validate(construct_id)
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            role_name=props.role_name,
            description=props.description,
            assumed_by=_principal(props.trust),
        )
        zone_arns = [zone.hosted_zone_arn for zone in props.hosted_zones]
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["route53:ChangeResourceRecordSets"],
                resources=zone_arns,
                conditions=props.conditions(),
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["route53:ListResourceRecordSets"], resources=zone_arns)
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["route53:ListHostedZonesByName"], resources=["*"])
        )


def _check_trust(construct_id: str, trust: DnsRecordsRoleTrust) -> None:
    if isinstance(trust, TrustNamedAccounts):
        if not trust.accounts:
            raise ValueError(f"{construct_id}: trust.accounts must name at least one account")
    elif not trust.role_name_prefix:
        raise ValueError(f"{construct_id}: trust.role_name_prefix must not be empty")


def _principal(trust: DnsRecordsRoleTrust) -> iam.IPrincipal:
    if isinstance(trust, TrustNamedAccounts):
        principals = [iam.AccountPrincipal(account) for account in trust.accounts]
        return principals[0] if len(principals) == 1 else iam.CompositePrincipal(*principals)
    return role_name_prefix_principal(trust.account, trust.role_name_prefix)


def role_name_prefix_principal(account: str, role_name_prefix: str) -> iam.IPrincipal:
    """The account principal narrowed to roles named `{role_name_prefix}*` (STS chaining)."""
    return iam.AccountPrincipal(account).with_conditions(
        {"ArnLike": {"aws:PrincipalArn": role_arn(account, role_name_prefix + "*")}}
    )

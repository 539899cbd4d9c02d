from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_route53 as route53
from aws_cdk.assertions import Template

from constructs_lib.allow_creating_dns_records_role import (
    AllowCreatingDnsRecordsRole,
    AllowCreatingDnsRecordsRoleProps,
    TrustNamedAccounts,
    TrustRoleNamePrefix,
)

ACCOUNT = "123456789012"


def _template(**kwargs: Any) -> dict[str, Any]:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
    zone = route53.PublicHostedZone(stack, "Zone", zone_name="z.example.com")
    AllowCreatingDnsRecordsRole(stack, "R", AllowCreatingDnsRecordsRoleProps(hosted_zones=[zone], **kwargs))
    return dict(Template.from_stack(stack).to_json())


def _statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    (policy,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def _role(template: dict[str, Any]) -> dict[str, Any]:
    (role,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    return dict(role)


def test_named_accounts_trust_each_account_root() -> None:
    template = _template(trust=TrustNamedAccounts(accounts=["111111111111", "222222222222"]))
    trust = _role(template)["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    principals = [s["Principal"]["AWS"]["Fn::Join"][1][-1] for s in trust]
    assert principals == [":iam::111111111111:root", ":iam::222222222222:root"]
    assert all("Condition" not in s for s in trust)


def test_sts_chaining_trusts_the_account_with_arnlike_on_the_prefix() -> None:
    template = _template(trust=TrustRoleNamePrefix(account=ACCOUNT, role_name_prefix="dev-"))
    (statement,) = _role(template)["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"] == {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/dev-*"}}
    assert statement["Action"] == "sts:AssumeRole"


def test_permissions_are_zone_scoped_and_never_get_change() -> None:
    template = _template(trust=TrustRoleNamePrefix(account=ACCOUNT, role_name_prefix="dev-"))
    statements = _statements(template)
    assert [s["Action"] for s in statements] == [
        "route53:ChangeResourceRecordSets",
        "route53:ListResourceRecordSets",
        "route53:ListHostedZonesByName",
    ]
    zone_arn = statements[0]["Resource"]
    assert zone_arn["Fn::Join"][1][-1] == {"Ref": "ZoneA5DE4B68"}
    assert statements[1]["Resource"] == zone_arn
    assert statements[2]["Resource"] == "*"
    assert "Condition" not in statements[0]
    assert "route53:GetChange" not in str(template)


def test_record_type_name_and_action_conditions() -> None:
    template = _template(
        trust=TrustNamedAccounts(accounts=["111111111111"]),
        record_types=["NS"],
        record_names=["B.example.com.", "a.example.com"],
        record_actions=["UPSERT", "DELETE"],
    )
    assert _statements(template)[0]["Condition"] == {
        "ForAllValues:StringEquals": {
            "route53:ChangeResourceRecordSetsRecordTypes": ["NS"],
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["a.example.com", "b.example.com"],
            "route53:ChangeResourceRecordSetsActions": ["DELETE", "UPSERT"],
        }
    }


def test_role_name_is_left_to_cloudformation_unless_given() -> None:
    unnamed = _template(trust=TrustNamedAccounts(accounts=["111111111111"]))
    assert "RoleName" not in _role(unnamed)["Properties"]
    named = _template(trust=TrustNamedAccounts(accounts=["111111111111"]), role_name="Fixed")
    assert _role(named)["Properties"]["RoleName"] == "Fixed"


def test_two_unnamed_instances_in_one_stack_get_distinct_roles() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
    zone = route53.PublicHostedZone(stack, "Zone", zone_name="z.example.com")
    for name in ("A", "B"):
        AllowCreatingDnsRecordsRole(
            stack,
            name,
            AllowCreatingDnsRecordsRoleProps(hosted_zones=[zone], trust=TrustRoleNamePrefix(ACCOUNT, "dev-")),
        )
    roles = Template.from_stack(stack).find_resources("AWS::IAM::Role")
    assert len(roles) == 2 and all("RoleName" not in r["Properties"] for r in roles.values())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"trust": TrustNamedAccounts(accounts=[])}, "at least one account"),
        ({"trust": TrustRoleNamePrefix(ACCOUNT, "")}, "role_name_prefix"),
        ({"trust": TrustNamedAccounts(["1"]), "record_actions": ["MERGE"]}, "valid: UPSERT, DELETE, CREATE"),
    ],
)
def test_bad_configuration_is_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _template(**kwargs)


def test_zones_are_required() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S")
    with pytest.raises(ValueError, match="hosted_zones"):
        AllowCreatingDnsRecordsRole(
            stack, "R", AllowCreatingDnsRecordsRoleProps(hosted_zones=[], trust=TrustNamedAccounts(["1"]))
        )

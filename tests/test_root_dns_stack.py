"""The Root template is pinned byte for byte. Regenerate on purpose with
`scripts/update-golden` and commit the golden file in the same change."""

from __future__ import annotations

from aws_cdk.assertions import Match, Template

from platform_lib.context_store import PROJECT_ROOT
from platform_lib.naming import ROOT_DNS_STACK_NAME, corporate_zone_name, partition_zone_name
from platform_lib.registry import active_partitions
from tests.synth import Synthesized

GOLDEN = PROJECT_ROOT / "tests" / "golden" / f"{ROOT_DNS_STACK_NAME}.template.json"
# Every zone the registry delegates: the active partitions' and the corporate group's.
DELEGATED = sorted([*(partition_zone_name(p) for p in active_partitions()), corporate_zone_name()])


def test_root_template_is_byte_identical_to_the_golden_file(synthesized: Synthesized) -> None:
    synthesized_bytes = synthesized.template_path(ROOT_DNS_STACK_NAME).read_bytes()
    assert synthesized_bytes == GOLDEN.read_bytes(), (
        "Root DNS template changed; if intended run scripts/update-golden and commit it"
    )


def test_root_zone_is_retained_and_exported(synthesized: Synthesized) -> None:
    template = Template.from_json(synthesized.template(ROOT_DNS_STACK_NAME))
    template.has_resource(
        "AWS::Route53::HostedZone",
        {
            "Properties": {"Name": "ardamails.com."},
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    template.has_output("*", {"Export": {"Name": "arda-ardamails-zone"}})


def test_delegation_role_writes_only_ns_records_of_registered_sub_zones(synthesized: Synthesized) -> None:
    template = Template.from_json(synthesized.template(ROOT_DNS_STACK_NAME))
    template.has_resource_properties("AWS::IAM::Role", {"RoleName": "AddNsRecordsToAnyHostedZone"})
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "route53:ChangeResourceRecordSets",
                                "Condition": {
                                    "ForAllValues:StringEquals": {
                                        "route53:ChangeResourceRecordSetsRecordTypes": ["NS"],
                                        "route53:ChangeResourceRecordSetsActions": ["DELETE", "UPSERT"],
                                        "route53:ChangeResourceRecordSetsNormalizedRecordNames": DELEGATED,
                                    }
                                },
                            }
                        )
                    ]
                )
            }
        },
    )

from __future__ import annotations

import pytest

from platform_lib import registry
from platform_lib.errors import SuspendedPartition, UnknownInfrastructure, UnknownPartition
from platform_lib.postmark import postmark_credential_op_reference
from platform_lib.registry import PostmarkAccount


def test_registry_matches_the_design_table() -> None:
    assert [(i.name, i.account, i.default_profile, i.region) for i in registry.INFRASTRUCTURES] == [
        ("PlatformRoot", registry.PLATFORM_ROOT_ACCOUNT_PLACEHOLDER, "Admin-PlatformRoot", "us-east-1"),
        ("Alpha001", "009765408297", "Admin-Alpha1", "us-east-1"),
        ("Alpha002", "139852620346", "Alpha002-Admin", "us-east-1"),
    ]
    assert [(p.name, p.infrastructure, p.postmark_account) for p in registry.active_partitions()] == [
        ("dev", "Alpha002", PostmarkAccount.NON_PROD),
        ("stage", "Alpha002", PostmarkAccount.NON_PROD),
        ("demo", "Alpha001", PostmarkAccount.PROD),
        ("prod", "Alpha001", PostmarkAccount.PROD),
    ]


def test_accounts_are_twelve_digits_and_names_unique() -> None:
    assert all(len(i.account) == 12 and i.account.isdigit() for i in registry.INFRASTRUCTURES)
    names = [p.name for p in registry.all_partitions()]
    assert len(names) == len(set(names))


def test_unknown_infrastructure_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownInfrastructure, match="valid: PlatformRoot, Alpha001, Alpha002"):
        registry.get_infrastructure("Alpha003")


def test_unknown_partition_lists_the_active_ones() -> None:
    with pytest.raises(UnknownPartition, match="active: dev, stage, demo, prod"):
        registry.get_partition("qa")


def test_suspended_partition_is_refused_where_an_active_one_is_needed() -> None:
    with pytest.raises(SuspendedPartition, match="'kyle' is suspended"):
        registry.get_partition("kyle")
    assert registry.get_partition("kyle", require_active=False).name == "kyle"


def test_partition_on_the_wrong_infrastructure_names_the_right_one() -> None:
    with pytest.raises(
        UnknownPartition, match="is on Alpha002, not Alpha001; active on Alpha001: demo, prod"
    ):
        registry.get_partition_on("Alpha001", "dev")


def test_suspended_partition_on_its_infrastructure_lists_the_active_ones() -> None:
    with pytest.raises(SuspendedPartition, match="active on Alpha002: dev, stage"):
        registry.get_partition_on("Alpha002", "kyle")


def test_active_partitions_of_an_unknown_infrastructure_fails() -> None:
    with pytest.raises(UnknownInfrastructure):
        registry.active_partitions("Nope")


def test_postmark_binding_is_fixed() -> None:
    assert registry.postmark_account_of("kyle") is PostmarkAccount.NON_PROD
    assert registry.postmark_account_of("prod") is PostmarkAccount.PROD
    assert PostmarkAccount.PROD.token_env_var == "POSTMARK_PROD_ACCOUNT_TOKEN"


@pytest.mark.parametrize(
    ("partition", "reference"),
    [
        ("dev", "op://Arda-DevOAM/Postmark/credential"),
        ("stage", "op://Arda-StageOAM/Postmark/credential"),
        ("demo", "op://Arda-DemoOAM/Postmark/credential"),
        ("prod", "op://Arda-ProdOAM/Postmark/credential"),
        ("kyle", "op://Arda-KyleOAM/Postmark/credential"),
    ],
)
def test_postmark_credential_op_reference(partition: str, reference: str) -> None:
    assert postmark_credential_op_reference(partition) == reference


def test_root_infrastructure_and_partition_hosts() -> None:
    assert registry.root_infrastructure().name == "PlatformRoot"
    assert [i.name for i in registry.partition_host_infrastructures()] == ["Alpha001", "Alpha002"]
    assert registry.requires_production_confirmation("prod")
    assert not registry.requires_production_confirmation("demo")

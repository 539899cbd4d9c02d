"""The CDK app's body: the root DNS stack, the corporate instance group's two stacks, and one
`PartitionEmailStack` per active partition.

`-c partition=NAME` and/or `-c infrastructure=NAME` narrow the app to the matching stacks
(the corporate stacks belong to the corporate infrastructure, PlatformRoot by default).
Instance modules are loaded by the name `platform_lib` gives them, so adding a partition is
one instance module plus its registry entry.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from platform_lib.errors import PlatformError
from platform_lib.naming import (
    ROOT_DNS_STACK_NAME,
    context_key,
    corporate_context_key,
    corporate_zone_name,
    instance_module,
    partition_zone_name,
)
from platform_lib.registry import (
    Partition,
    active_partitions,
    corporate_infrastructure,
    get_infrastructure,
    get_partition,
    partition_host_infrastructures,
    root_infrastructure,
)
from platform_lib.sending_domain import free_kanban_tool_leaf
from stacks.purpose.corporate_mail import (
    CorporateMailProps,
    CorporateMailStack,
    FreeKanbanToolMailDnsProps,
    FreeKanbanToolMailDnsStack,
)
from stacks.purpose.partition_email import (
    PartitionEmailInstanceConfig,
    PartitionEmailProps,
    PartitionEmailStack,
)
from stacks.root_dns import RootDnsProps, RootDnsStack


class MissingInstance(PlatformError):
    """An active partition has no instance module."""


@dataclass(frozen=True)
class StackSelection:
    include_root: bool
    partitions: list[Partition]
    include_corporate: bool = False

    @classmethod
    def from_context(cls, app: cdk.App) -> StackSelection:
        partition_name = app.node.try_get_context("partition")
        infrastructure_name = app.node.try_get_context("infrastructure")
        partitions = active_partitions()
        include_root = partition_name is None
        include_corporate = partition_name is None
        if infrastructure_name is not None:
            infra = get_infrastructure(str(infrastructure_name))
            partitions = [p for p in partitions if p.infrastructure == infra.name]
            include_root = include_root and infra == root_infrastructure()
            include_corporate = include_corporate and infra == corporate_infrastructure()
        if partition_name is not None:
            wanted = get_partition(str(partition_name))
            if infrastructure_name is not None and wanted.infrastructure != infrastructure_name:
                raise PlatformError(
                    f"partition {wanted.name!r} is on {wanted.infrastructure}, not {infrastructure_name}"
                )
            partitions = [wanted]
        return cls(include_root=include_root, partitions=partitions, include_corporate=include_corporate)


def load_instance_config(partition: Partition) -> PartitionEmailInstanceConfig:
    module_name = instance_module(partition)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        path = module_name.replace(".", "/") + ".py"
        raise MissingInstance(
            f"active partition {partition.name!r} has no instance module; add {path}"
        ) from exc
    config = getattr(module, "CONFIG", None)
    if not isinstance(config, PartitionEmailInstanceConfig):
        raise MissingInstance(f"{module_name} must define CONFIG = PartitionEmailInstanceConfig(...)")
    return config


def new_app(**props: Any) -> cdk.App:
    """A CDK App without aws-cdk-lib's built-in "CloudFormation Validate" plugin.

    The tests run the pinned cfn-lint over every synthesized template (zero errors and
    warnings); the built-in copy of those rules costs about 3 s of every synth.
    """
    return cdk.App(builtin_cloud_formation_validation=False, **props)


def build_app(app: cdk.App | None = None) -> cdk.App:
    """Add the selected stacks (and the cdk-nag validation plugin) to `app`."""
    app = app or new_app()
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())
    selection = StackSelection.from_context(app)

    if selection.include_root:
        root = root_infrastructure()
        RootDnsStack(
            app,
            ROOT_DNS_STACK_NAME,
            RootDnsProps(
                env=cdk.Environment(account=root.account, region=root.region),
                delegating_accounts=[i.account for i in partition_host_infrastructures()],
                delegated_zone_names=[partition_zone_name(p) for p in active_partitions()]
                + [corporate_zone_name()],
            ),
        )

    # Resolve every partition's props before creating any stack: one bad block fails fast.
    all_props = [
        PartitionEmailProps.resolve(
            partition, load_instance_config(partition), app.node.try_get_context(context_key(partition))
        )
        for partition in selection.partitions
    ]
    corporate_props = (
        CorporateMailProps.resolve(app.node.try_get_context(corporate_context_key()))
        if selection.include_corporate
        else None
    )
    for props in all_props:
        PartitionEmailStack(app, props.stack_name, props).publish()
    if corporate_props is not None:
        corporate = CorporateMailStack(app, corporate_props.domain.stack_name, corporate_props)
        leaf = free_kanban_tool_leaf()
        FreeKanbanToolMailDnsStack(
            app, leaf.stack_name, FreeKanbanToolMailDnsProps(corporate_props.env, [corporate])
        )
    return app


def main() -> int:
    try:
        app = build_app()
    except PlatformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    app.synth()
    return 0

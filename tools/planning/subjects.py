"""What the plan looks at, in rollout order: the Root stack, each active partition, the
corporate instance group. Each names its stacks, the command that deploys it, the sending
domains the check catalogue judges, and the partitions it waits for in the cascade - all
from the registry and the operator's targets, so the plan and `amm.sh` cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from platform_lib.naming import ROOT_DNS_STACK_NAME
from platform_lib.registry import Partition, active_partitions, root_infrastructure
from platform_lib.sending_domain import SendingDomain, free_kanban_tool_leaf
from tools.aws.cdk import ROOT_CONTEXT
from tools.operator.gates import ROOT_DEPLOY_COMMAND
from tools.operator.targets import corporate_target, partition_target


class Kind(StrEnum):
    ROOT = "root"
    PARTITION = "partition"
    CORPORATE = "corporate"


@dataclass(frozen=True)
class PlanTarget:
    name: str  # "PlatformRoot-RootDns", "dev", "corporate"
    kind: Kind
    infrastructure: str
    stacks: tuple[str, ...]
    deploy_command: str
    domains: tuple[SendingDomain, ...] = ()  # what the checks judge (none for Root)
    verify_command: str | None = None
    needs: tuple[str, ...] = ()  # partitions verified live before it deploys
    context_args: tuple[str, ...] = ROOT_CONTEXT  # the CDK context that synthesizes its stacks

    @property
    def context_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d.context_key for d in self.domains))


def root_target() -> PlanTarget:
    return PlanTarget(
        name=ROOT_DNS_STACK_NAME,
        kind=Kind.ROOT,
        infrastructure=root_infrastructure().name,
        stacks=(ROOT_DNS_STACK_NAME,),
        deploy_command=ROOT_DEPLOY_COMMAND,
    )


def partition_plan_target(partition: Partition) -> PlanTarget:
    target = partition_target(partition)
    return PlanTarget(
        name=partition.name,
        kind=Kind.PARTITION,
        infrastructure=partition.infrastructure,
        stacks=tuple(s.stack for s in target.stacks),
        deploy_command=target.domain.deployer,
        domains=(target.domain,),
        verify_command=target.domain.verifier,
        needs=tuple(p.name for p in target.needs),
        context_args=target.context_args,
    )


def corporate_plan_target() -> PlanTarget:
    target = corporate_target()
    return PlanTarget(
        name="corporate",
        kind=Kind.CORPORATE,
        infrastructure=target.domain.infrastructure,
        stacks=tuple(s.stack for s in target.stacks),
        deploy_command=target.domain.deployer,
        domains=(target.domain, free_kanban_tool_leaf()),
        verify_command=target.domain.verifier,
        context_args=target.context_args,
    )


def plan_targets() -> list[PlanTarget]:
    """Root, the active partitions in rollout order (the registry's), the corporate group:
    the corporate group waits for no partition and no partition waits for it."""
    return [root_target(), *(partition_plan_target(p) for p in active_partitions()), corporate_plan_target()]

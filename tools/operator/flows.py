"""The three flows, built from the same steps: partitions (`./amm.sh <infrastructure> …`),
the corporate instance group (`./corporate-cli`) and the Root stack (`./amm.sh PlatformRoot`)."""

from __future__ import annotations

from collections.abc import Sequence

from platform_lib.naming import ROOT_DNS_STACK_NAME
from platform_lib.registry import Partition
from tools.operator.deploy_steps import (
    ConfirmAgainIfChanged,
    Deploy,
    DiffAndConfirm,
    FinishRotation,
    PreDeploy,
    ReadToken,
    RotationState,
    ServerToken,
    Verify,
)
from tools.operator.flow import Flow, Operation, Step, TargetRun, TargetSteps
from tools.operator.gate_steps import (
    CascadeGate,
    DelegationGate,
    FailedFirstDeployGate,
    Preflight,
    RootPlaceholderGate,
    RootUnchangedGate,
)
from tools.operator.root_steps import DeployRoot, DiffAndConfirmRoot, RootDeployedAsSynthesized, SynthRoot
from tools.operator.settings import Settings
from tools.operator.targets import DeployTarget, corporate_target, partition_target


def target_steps(op: Operation, target: DeployTarget) -> list[Step]:
    """One target's steps, in order; what differs between targets comes from the target.

    Every deploy shows its `cdk diff` first. A target with a typed confirmation (production,
    the corporate group) shows it before the token is read (ADR-0016) and again when the
    pre-deploy changed its block; any other shows it once, right before the deploy, so the
    diff shown is the one deployed."""
    state = TargetRun(target)
    confirmed = target.confirmation_word is not None
    steps: list[Step] = [FailedFirstDeployGate(state)]
    if target.partition is not None:
        steps.append(CascadeGate(state))
    if confirmed:
        steps.append(DiffAndConfirm(state))
    steps += [ReadToken(state), RotationState(state, "start"), PreDeploy(state, rotate=op.rotate_dkim)]
    if target.creates_server is not None:
        steps.append(ServerToken(state))
    steps.append(ConfirmAgainIfChanged(state) if confirmed else DiffAndConfirm(state))
    steps += [Deploy(state, stack) for stack in target.stacks]
    steps.append(Verify(state))
    if op.rotate_dkim:
        steps.append(FinishRotation(state))
    steps.append(RotationState(state, "end"))
    return steps


def _title(op: Operation, what: str) -> str:
    return f"{what} (profile {op.profile}, region {op.region})"


def _notes(settings: Settings) -> list[Step]:
    return [Note(f"(note: {settings.postmark_notice})")] if settings.postmark_notice else []


class Note:
    """A line the plan shows (and the run logs) that is not an action."""

    def __init__(self, line: str) -> None:
        self.line = line

    def describe(self, op: Operation) -> list[str]:
        return [self.line]

    def run(self, op: Operation) -> None:
        return None


def partitions_flow(op: Operation, partitions: Sequence[Partition]) -> Flow:
    opening: list[Step] = [
        *_notes(op.settings),
        RootPlaceholderGate(),
        Preflight(op.infrastructure.name),
        DelegationGate(),
        RootUnchangedGate(),
    ]
    parts = []
    for partition in partitions:
        target = partition_target(partition)
        parts.append(TargetSteps(f"partition {partition.name}:", target, target_steps(op, target)))
    return Flow(_title(op, op.infrastructure.name), opening, parts)


def corporate_flow(op: Operation) -> Flow:
    target = corporate_target()
    opening: list[Step] = [
        *_notes(op.settings),
        RootPlaceholderGate(),
        Preflight(f"{op.infrastructure.name} (the corporate instance group)"),
        RootUnchangedGate(),
    ]
    parts = [TargetSteps(f"{target.name} ({target.domain.zone_name}):", target, target_steps(op, target))]
    return Flow(_title(op, "the corporate instance group"), opening, parts)


def root_flow(op: Operation) -> Flow:
    steps: list[Step] = [
        *_notes(op.settings),
        RootPlaceholderGate(deploying_root=True),
        Preflight(op.infrastructure.name),
        SynthRoot(),
        DiffAndConfirmRoot(),
        DeployRoot(),
        RootDeployedAsSynthesized(),
    ]
    return Flow(_title(op, f"{op.infrastructure.name} ({ROOT_DNS_STACK_NAME})"), steps)

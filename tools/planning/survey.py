"""The plan's facts, gathered read-only and at once: the synthesized templates, each stack as
CloudFormation has it, the diff between the two, the context blocks, and the check
catalogue's verdicts (Postmark, DNS, AWS, and the cluster when asked) for every domain.

The synth, each infrastructure's AWS reads and the checks run side by side, bounded in total
by the plan's deadline; whatever has not answered by then is "could not check". An
infrastructure whose credentials fail is recorded with its one-line problem and the others
carry on. Nothing is written outside a temporary folder; no secret is read except the
Postmark tokens the operator gave (see `tools.planning.tokens`).
"""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from platform_lib.context_block import ContextBlock
from platform_lib.context_store import read_context
from platform_lib.errors import PlatformError
from platform_lib.registry import PostmarkAccount
from tools.aws import cdk as cdk_cli
from tools.aws.deployment import Deployments, InfrastructureSessions, TemplateNotJson
from tools.aws.session import AwsProblem
from tools.aws.template_diff import DiffUnavailable, StackDiff, diff_templates, template_problem
from tools.checks.catalogue import ExpectedDomain
from tools.checks.probes import KubeView, PostmarkDirectory, PostmarkDomainsApi, Sources
from tools.checks.report import CheckReport, Judged, evaluate
from tools.dns.probe import DnsProbe
from tools.planning.subjects import PlanTarget
from tools.runtime.bounded import Background, TimedOut

T = TypeVar("T")
ALL = "*"  # the synth error that stands for every target


class BlockState(StrEnum):
    MISSING = "missing"  # not written yet: the deploy's pre-deploy step writes it
    MALFORMED = "malformed"  # written, but not a block: its writer rewrites it
    UNREADABLE = "unreadable"  # the context file itself cannot be read


@dataclass(frozen=True)
class BlockProblem:
    state: BlockState
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class StackState:
    name: str
    status: str | None  # None: not deployed
    updated: datetime | None = None
    template: Mapping[str, Any] | None = None  # as deployed (None: not deployed or unreadable)


@dataclass
class Survey:
    synthesized: dict[str, dict[str, Any]] = field(default_factory=dict)  # stack -> template
    synth_errors: dict[str, str] = field(default_factory=dict)  # target name (or ALL) -> why
    stacks: dict[str, StackState] = field(default_factory=dict)
    aws_errors: dict[str, str] = field(default_factory=dict)  # infrastructure -> why
    diffs: dict[str, StackDiff] = field(default_factory=dict)
    diff_error: str | None = None  # the diff of every stack failed
    stack_diff_errors: dict[str, str] = field(default_factory=dict)  # one stack's template is not usable
    blocks: dict[str, ContextBlock | BlockProblem] = field(
        default_factory=dict
    )  # context key -> block or why not
    judged: list[Judged] = field(default_factory=list)
    checks_error: str | None = None
    elapsed_seconds: float = 0.0

    def synth_error(self, target: PlanTarget) -> str | None:
        return self.synth_errors.get(target.name) or self.synth_errors.get(ALL)


@dataclass(frozen=True)
class SurveySettings:
    sessions: InfrastructureSessions
    dns: DnsProbe
    postmark: Mapping[PostmarkAccount, PostmarkDomainsApi]  # only the accounts with a token
    kube: KubeView | None
    context_file: Path
    deadline_seconds: float
    probe_timeout: float


def _load_templates(folder: Path) -> dict[str, dict[str, Any]]:
    templates: dict[str, dict[str, Any]] = {}
    for path in folder.glob("*.template.json"):
        templates[path.name.removesuffix(".template.json")] = json.loads(path.read_text(encoding="utf-8"))
    return templates


def synthesize(
    targets: Sequence[PlanTarget], deadline: float
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Every stack at once; when that fails (a partition without its context block), each
    target on its own, so one target's problem stays on its own row - all within `deadline`
    (a `time.monotonic()` instant)."""
    folder = Path(tempfile.mkdtemp(prefix="plan-synth-"))
    try:
        problem = cdk_cli.synth_quietly(folder, timeout=_remaining(deadline))
        if problem is None:
            return _load_templates(folder), {}
        templates: dict[str, dict[str, Any]] = {}
        errors: dict[str, str] = {}
        by_context: dict[tuple[str, ...], list[str]] = {}  # Root and the corporate group share one
        for target in targets:
            by_context.setdefault(target.context_args, []).append(target.name)
        for index, (context, names) in enumerate(by_context.items()):
            if time.monotonic() >= deadline:
                errors.update(dict.fromkeys(names, "not synthesized within the plan's deadline"))
                continue
            own = folder / str(index)
            problem = cdk_cli.synth_quietly(own, context, timeout=_remaining(deadline))
            if problem is None:
                templates.update(_load_templates(own))
            else:
                errors.update(dict.fromkeys(names, problem))
        return templates, errors
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def read_stacks(aws: Deployments, infrastructure: str, stacks: Sequence[str]) -> list[StackState]:
    """Each stack's status, last update and deployed template, in the infrastructure's account
    (the description the checks read too: `aws` asks once)."""
    found = []
    for stack in stacks:
        described = aws.described(infrastructure, stack)
        if described is None:
            found.append(StackState(stack, None))
            continue
        status = str(described["StackStatus"])
        updated = described.get("LastUpdatedTime") or described.get("CreationTime")
        template = _usable_template(aws, infrastructure, stack) if status != "REVIEW_IN_PROGRESS" else None
        found.append(StackState(stack, status, updated if isinstance(updated, datetime) else None, template))
    return found


def _usable_template(aws: Deployments, infrastructure: str, stack: str) -> Mapping[str, Any] | None:
    """None: not a JSON object (a template this project never deploys): no diff."""
    try:
        return aws.template(infrastructure, stack)
    except TemplateNotJson:
        return None


def read_blocks(targets: Sequence[PlanTarget], context_file: Path) -> dict[str, ContextBlock | BlockProblem]:
    """Each target's context block, or what is wrong with it: missing, malformed, or the file
    unreadable."""
    try:
        context = read_context(context_file)
    except PlatformError as exc:
        problem = BlockProblem(BlockState.UNREADABLE, str(exc))
        return {key: problem for t in targets for key in t.context_keys}
    blocks: dict[str, ContextBlock | BlockProblem] = {}
    for target in targets:
        for domain in target.domains:
            if domain.context_key in blocks:
                continue
            try:
                blocks[domain.context_key] = domain.block_in(context)
            except PlatformError as exc:
                state = (
                    BlockState.MISSING if context.get(domain.context_key) is None else BlockState.MALFORMED
                )
                blocks[domain.context_key] = BlockProblem(state, str(exc))
    return blocks


def judge(
    targets: Sequence[PlanTarget],
    blocks: Mapping[str, ContextBlock | BlockProblem],
    settings: SurveySettings,
    aws: Deployments,
) -> list[Judged]:
    """The catalogue's verdicts for every domain with a usable block; a domain on a Postmark
    account without a token is judged without Postmark (its Postmark checks are not asked)."""
    subjects = [
        ExpectedDomain(domain, block)
        for target in targets
        for domain in target.domains
        if isinstance(block := blocks.get(domain.context_key), ContextBlock)
    ]
    judged: list[Judged] = []
    for with_postmark in (True, False):
        group = [s for s in subjects if (s.domain.postmark_account in settings.postmark) is with_postmark]
        if not group:
            continue
        directory = PostmarkDirectory(settings.postmark) if with_postmark else None
        sources = Sources(settings.dns, directory, aws, settings.kube)
        report: CheckReport = evaluate("plan", group, sources, timeout=settings.probe_timeout)
        judged += report.judged
    return judged


def _remaining(deadline: float) -> float:
    return max(0.1, deadline - time.monotonic())


def _result(work: Background[T], deadline: float, what: str) -> T:
    try:
        return work.result(_remaining(deadline))
    except TimedOut:
        raise AwsProblem(f"{what} did not answer within the plan's deadline") from None


def survey(targets: Sequence[PlanTarget], settings: SurveySettings) -> Survey:
    """Gather everything side by side; bounded in total by `settings.deadline_seconds`."""
    started = time.monotonic()
    deadline = started + settings.deadline_seconds
    found = Survey(blocks=read_blocks(targets, settings.context_file))
    by_infrastructure: dict[str, list[str]] = {}
    for target in targets:
        by_infrastructure.setdefault(target.infrastructure, []).extend(target.stacks)
    # Daemon threads: whatever has not answered by the deadline is abandoned, never waited for.
    synth = Background(lambda: synthesize(targets, deadline), "plan-synth")
    aws = Deployments(settings.sessions)  # one description per stack for the rows and the checks
    reads = {
        infra: Background(functools.partial(read_stacks, aws, infra, stacks), f"plan-aws-{infra}")
        for infra, stacks in by_infrastructure.items()
    }
    checks = Background(lambda: judge(targets, found.blocks, settings, aws), "plan-checks")
    _collect_stacks(found, reads, deadline)
    _collect(found, synth, checks, deadline)
    found.elapsed_seconds = time.monotonic() - started
    return found


def _collect_stacks(
    found: Survey, reads: Mapping[str, Background[list[StackState]]], deadline: float
) -> None:
    for infra, future in reads.items():
        try:
            for state in _result(future, deadline, f"AWS ({infra})"):
                found.stacks[state.name] = state
        except AwsProblem as exc:
            found.aws_errors[infra] = str(exc)


def _collect(
    found: Survey,
    synth: Background[tuple[dict[str, dict[str, Any]], dict[str, str]]],
    checks: Background[list[Judged]],
    deadline: float,
) -> None:
    try:
        found.synthesized, found.synth_errors = synth.result(_remaining(deadline))
    except TimedOut:
        found.synth_errors = {ALL: "cdk synth did not finish within the plan's deadline"}
    _diff(found, deadline)
    try:
        found.judged = checks.result(_remaining(deadline))
    except TimedOut:
        found.checks_error = "the checks did not finish within the plan's deadline"
    except Exception as exc:  # a check run that broke must not hide the stacks and diffs
        found.checks_error = f"the checks failed ({type(exc).__name__}: {exc})"


def _diff(found: Survey, deadline: float) -> None:
    pairs = []
    for name, state in found.stacks.items():
        if name not in found.synthesized or (state.status is not None and state.template is None):
            continue
        problem = template_problem(state.template) if state.template is not None else None
        if problem is not None:
            found.stack_diff_errors[name] = f"the deployed template of {name} is not usable: {problem}"
            continue
        pairs.append((name, state.template, found.synthesized[name]))
    try:
        found.diffs = diff_templates(pairs, timeout=_remaining(deadline))
    except DiffUnavailable as exc:
        found.diff_error = str(exc)

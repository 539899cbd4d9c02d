"""From the survey to the plan: one row per target with what it needs, and the next safe command.

A row's action, in this order of precedence: the target could not be checked (its account's
credentials, a synth or diff that failed, a probe that did not answer) → `could not check`;
it has no usable context block, is not deployed, or its diff is not empty → `deploy`;
Postmark has not verified it → `verify`; anything else drifted → `fix` (re-running its
deploy republishes from the committed context); else `nothing to do`. A deploy waits for
what `amm.sh`'s gates wait for: the Root stack deployed and unchanged, and (a partition)
every partition its cascade rule names verified live - the catalogue's `LIVE` checks. A
deploy that waits is `blocked`, naming on what.

The plan's status is `terraform plan -detailed-exitcode`'s: 1 when a shown row could not be
checked, else 2 when any shown row has something to do or an operator task is not recorded
done, else 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

import tools.checks  # noqa: F401 (registers every check: LIVE_IDS reads the catalogue)
from platform_lib.context_block import ContextBlock
from platform_lib.registry import (
    PostmarkAccount,
    get_infrastructure,
    is_placeholder_account,
    root_infrastructure,
)
from tools.aws.template_diff import StackDiff
from tools.checks.catalogue import CheckId, Tag, selected
from tools.checks.findings import Finding, Seam, Status
from tools.checks.report import Judged
from tools.cli.contract import PlanStatus
from tools.operator.gates import stack_refusal
from tools.planning.prerequisites import PREREQUISITES, Prerequisite
from tools.planning.subjects import Kind, PlanTarget
from tools.planning.survey import BlockProblem, BlockState, Survey

VERIFICATION = frozenset({CheckId.POSTMARK_DKIM_VERIFIED, CheckId.POSTMARK_RETURN_PATH_VERIFIED})
LIVE_IDS = frozenset(c.id for c in selected(tags=[Tag.LIVE]))  # what the cascade gate asks


class Action(StrEnum):
    NOTHING = "nothing to do"
    DEPLOY = "deploy"
    VERIFY = "verify"
    FIX = "fix"
    BLOCKED = "blocked"
    COULD_NOT_CHECK = "could not check"


READY = frozenset({Action.DEPLOY, Action.VERIFY, Action.FIX})


@dataclass(frozen=True)
class StackLine:
    name: str
    status: str | None  # CloudFormation's, None: not deployed
    updated: datetime | None
    shown: str  # "CREATE_COMPLETE, updated 2026-12-01 11:58 UTC", "not deployed", "could not check: …"
    diff: StackDiff | None
    diff_shown: str
    unknown: str | None  # why this stack could not be checked


@dataclass(frozen=True)
class Row:
    target: PlanTarget
    stacks: tuple[StackLine, ...]
    context: str
    postmark: str
    dns: str
    live: bool | None  # verified live (a partition); None: unknown or not a partition
    live_shown: str
    findings: tuple[Finding, ...]
    action: Action
    why: str
    next: str | None
    blocked_by: tuple[str, ...] = ()
    reminders: tuple[Prerequisite, ...] = ()


@dataclass(frozen=True)
class Plan:
    rows: tuple[Row, ...]
    status: PlanStatus
    next: str | None
    also_ready: tuple[str, ...]
    generated_at: datetime
    elapsed_seconds: float
    resolver: str
    postmark: str  # where the Postmark tokens came from, or why Postmark was not asked


@dataclass(frozen=True)
class Facts:
    """What `decide` needs besides the survey."""

    postmark_accounts: frozenset[PostmarkAccount]  # accounts with a token: their checks were asked
    kube_partitions: frozenset[str]  # partitions given a kube context
    done: frozenset[str]  # operator tasks recorded done
    resolver: str
    postmark: str
    profiles: Mapping[str, str] = field(default_factory=dict)  # infrastructure -> the profile used


def _stack_line(target: PlanTarget, stack: str, survey: Survey) -> StackLine:
    state = survey.stacks.get(stack)
    aws = survey.aws_errors.get(target.infrastructure)
    if state is None:
        why = aws or "AWS did not answer"
        return StackLine(stack, None, None, f"could not check: {why}", None, "unknown", why)
    shown = "not deployed"
    if state.status is not None:
        when = f", {state.updated.astimezone(UTC):%Y-%m-%d %H:%M}" if state.updated else ""
        shown = f"{state.status}{when}"
    synth = survey.synth_error(target)
    diff = survey.diffs.get(stack)
    if synth is not None:
        return StackLine(stack, state.status, state.updated, shown, None, "could not synthesize", synth)
    if diff is None:
        why = (
            survey.stack_diff_errors.get(stack)
            or survey.diff_error
            or (
                f"the deployed template of {stack} is not readable JSON"
                if state.status
                else "no synthesized template"
            )
        )
        return StackLine(stack, state.status, state.updated, shown, None, "could not diff", why)
    diff_shown = (
        diff.summary()
        if state.status
        else f"not deployed: {len(diff.added)} to add"
        + ("; IAM broadened" if diff.permissions_broadened else "")
    )
    return StackLine(stack, state.status, state.updated, shown, diff, diff_shown, None)


def _findings(target: PlanTarget, judged: Sequence[Judged], facts: Facts) -> tuple[Finding, ...]:
    found = []
    for item in judged:
        if item.subject.domain not in target.domains or item.finding is None:
            continue
        if item.check.id is CheckId.KUBE_ENCRYPTION_KEY and target.name not in facts.kube_partitions:
            continue  # the cluster was not asked about this partition
        found.append(item.finding)
    return tuple(found)


def _failed(findings: Sequence[Finding], seam: Seam | None = None) -> list[Finding]:
    return [f for f in findings if f.failed and (seam is None or f.seam is seam)]


def _postmark_shown(target: PlanTarget, findings: Sequence[Finding], facts: Facts) -> str:
    if not target.domains:
        return "-"
    account = target.domains[0].postmark_account
    if account not in facts.postmark_accounts:
        return f"not asked (no {account.value} token: set {account.token_env_var}, or pass --op)"
    failed = _failed(findings, Seam.POSTMARK)
    if failed:
        return failed[0].message
    return f"DKIM and Return-Path verified on {account.value}"


def _dns_shown(target: PlanTarget, findings: Sequence[Finding]) -> str:
    if not target.domains:
        return "-"
    failed = _failed(findings, Seam.DNS)
    if failed:
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        return f"{failed[0].check}: {failed[0].message}{more}"
    warned = [f for f in findings if f.status is Status.WARN]
    return "serves the stack's records" + (f"; warning: {warned[0].message}" if warned else "")


def _context_shown(target: PlanTarget, survey: Survey, findings: Sequence[Finding]) -> str:
    shown = []
    for key in target.context_keys:
        block = survey.blocks.get(key)
        if isinstance(block, ContextBlock):
            others = ", ".join(f"{role.value} {k.selector}" for role, k in block.dkim_keys()[1:])
            shown.append(f"{key}: signing {block.dkim_selector}" + (f"; {others}" if others else ""))
        else:
            shown.append(str(block))
    rotation = [f for f in findings if f.check == CheckId.ROTATION_POSTMARK]
    if rotation:
        shown.append(f"rotation: {rotation[0].message}")
    return "; ".join(shown) or "-"


def _live(target: PlanTarget, findings: Sequence[Finding]) -> tuple[bool | None, str]:
    if target.kind is not Kind.PARTITION:
        return None, "-"
    live = [f for f in findings if f.check in LIVE_IDS and f.domain == target.domains[0].zone_name]
    drifted = [f for f in live if f.status is Status.DRIFT]
    if drifted:
        return False, f"not live: {drifted[0].check}: {drifted[0].message}"
    errors = [f for f in live if f.status is Status.ERROR]
    if errors or not live:
        return None, f"unknown: {errors[0].message}" if errors else "unknown: not checked"
    return True, "verified live"


def _stack_problem(row: Row, facts: Facts) -> tuple[Action, str, str | None] | None:
    """A stack whose state the gates refuse (its clean-up comes first, whether or not its
    diff could be read), or whose state or diff could not be read."""
    refused = _refused(row, facts)
    if refused is not None:
        return Action.FIX, refused, None
    unknown = next((s.unknown for s in row.stacks if s.unknown), None)
    if unknown is not None:
        return Action.COULD_NOT_CHECK, unknown, None
    return None


def _own_action(row: Row, survey: Survey, facts: Facts) -> tuple[Action, str, str | None]:
    """What the target needs, before the cascade is considered."""
    target = row.target
    if target.infrastructure in survey.aws_errors:  # the account itself: nothing else is known
        return Action.COULD_NOT_CHECK, survey.aws_errors[target.infrastructure], None
    problems = [b for key in target.context_keys if isinstance(b := survey.blocks.get(key), BlockProblem)]
    if problems:
        return _block_action(target, problems[0])
    stack_problem = _stack_problem(row, facts)
    if stack_problem is not None:
        return stack_problem
    pending = [s for s in row.stacks if s.status is None or (s.diff is not None and not s.diff.empty)]
    if pending:
        return Action.DEPLOY, "; ".join(f"{s.name}: {s.diff_shown}" for s in pending), target.deploy_command
    return _checked_action(row, facts)


def _checked_action(row: Row, facts: Facts) -> tuple[Action, str, str | None]:
    """Deployed as this checkout synthesizes it: what the checks say. "Nothing to do" only
    when everything was asked and answered."""
    target = row.target
    errors = [f for f in row.findings if f.status is Status.ERROR]
    if errors:
        return Action.COULD_NOT_CHECK, f"{errors[0].check}: {errors[0].message}", None
    drifted = [f for f in row.findings if f.status is Status.DRIFT]
    if any(f.check in VERIFICATION for f in drifted):
        return Action.VERIFY, "Postmark has not verified it yet", target.verify_command
    if drifted:
        return Action.FIX, f"{drifted[0].check}: {drifted[0].message}", target.deploy_command
    account = target.domains[0].postmark_account
    if account not in facts.postmark_accounts:
        return (
            Action.COULD_NOT_CHECK,
            f"deployed as synthesized, but Postmark was not asked (set {account.token_env_var}, or pass --op)",
            None,
        )
    if target.kind is Kind.PARTITION and row.live is not True:
        return (
            Action.COULD_NOT_CHECK,
            f"deployed as synthesized, but its live state is {row.live_shown}",
            None,
        )
    return Action.NOTHING, "deployed as this checkout synthesizes it, and live", None


def _block_action(target: PlanTarget, problem: BlockProblem) -> tuple[Action, str, str | None]:
    """A missing block is written by the deploy (its pre-deploy step); a malformed one by its
    writer; an unreadable context file means nothing about the target is known."""
    if problem.state is BlockState.UNREADABLE:
        return Action.COULD_NOT_CHECK, problem.message, None
    if problem.state is BlockState.MALFORMED:
        return Action.FIX, problem.message, target.domains[0].writer
    return (
        Action.DEPLOY,
        f"no context block yet ({problem.message}); the deploy's pre-deploy step writes it",
        target.deploy_command,
    )


def _refused(row: Row, facts: Facts) -> str | None:
    """A stack in a state `amm.sh`'s failed-deploy gate refuses (a rolled-back first deploy,
    an update under way): what must happen first, in the gate's words, with the profile this
    plan used for the account (`--profile` included)."""
    infrastructure = get_infrastructure(row.target.infrastructure)
    profile = facts.profiles.get(infrastructure.name, infrastructure.default_profile)
    for stack in row.stacks:
        if stack.status is not None:
            refusal = stack_refusal(stack.name, stack.status, profile, infrastructure.region)
            if refusal is not None:
                return refusal
    return None


def _root_action(row: Row, facts: Facts) -> tuple[Action, str, str | None]:
    if is_placeholder_account(root_infrastructure()):
        return (
            Action.FIX,
            f"the PlatformRoot account is still the placeholder {root_infrastructure().account}",
            "set the real PlatformRoot account id in platform_lib/registry.py (see the runbook)",
        )
    stack_problem = _stack_problem(row, facts)
    if stack_problem is not None:
        return stack_problem
    (stack,) = row.stacks
    if stack.status is None or (stack.diff is not None and not stack.diff.empty):
        return Action.DEPLOY, stack.diff_shown, row.target.deploy_command
    return Action.NOTHING, "deployed as this checkout synthesizes it", None


def _base_row(target: PlanTarget, survey: Survey, facts: Facts) -> Row:
    findings = _findings(target, survey.judged, facts)
    live, live_shown = _live(target, findings)
    return Row(
        target=target,
        stacks=tuple(_stack_line(target, stack, survey) for stack in target.stacks),
        context=_context_shown(target, survey, findings) if target.domains else "-",
        postmark=_postmark_shown(target, findings, facts),
        dns=_dns_shown(target, findings),
        live=live,
        live_shown=live_shown,
        findings=findings,
        action=Action.NOTHING,
        why="",
        next=None,
    )


def _with_action(row: Row, survey: Survey, facts: Facts) -> Row:
    action, why, command = (
        _root_action(row, facts) if row.target.kind is Kind.ROOT else _own_action(row, survey, facts)
    )
    return Row(**{**row.__dict__, "action": action, "why": why, "next": command})


def _blockers(row: Row, rows: Mapping[str, Row], root: Row) -> tuple[str, ...]:
    """What a deploy of this row waits for: Root deployed and unchanged, the cascade."""
    waits = [] if root.action is Action.NOTHING else [root.target.name]
    for need in row.target.needs:
        other = rows.get(need)
        if other is None or other.live is not True:
            waits.append(need)
    return tuple(waits)


def _cascade(row: Row, rows: Mapping[str, Row], root: Row) -> Row:
    if row.target.kind is Kind.ROOT or row.action is not Action.DEPLOY:
        return row
    waits = _blockers(row, rows, root)
    if not waits:
        return row
    names = ", ".join(w if w == root.target.name else f"{w} verified live" for w in waits)
    return Row(
        **{
            **row.__dict__,
            "action": Action.BLOCKED,
            "why": f"{row.why}; waits for {names}",
            "next": None,
            "blocked_by": waits,
        }
    )


def _reminded(rows: list[Row], done: frozenset[str]) -> list[Row]:
    first = next((i for i, r in enumerate(rows) if r.target.kind is Kind.PARTITION), None)
    waiting = tuple(p for p in PREREQUISITES if p.id not in done)
    if first is None or not waiting:
        return rows
    rows[first] = Row(**{**rows[first].__dict__, "reminders": waiting})
    return rows


def decide(targets: Sequence[PlanTarget], survey: Survey, facts: Facts, shown: Sequence[str]) -> Plan:
    """The plan over every target; `shown` names the rows the operator asked for (the
    cascade still reads the others)."""
    rows = [_with_action(_base_row(t, survey, facts), survey, facts) for t in targets]
    by_name = {r.target.name: r for r in rows}
    root = next(r for r in rows if r.target.kind is Kind.ROOT)
    rows = _reminded([_cascade(r, by_name, root) for r in rows], facts.done)
    visible = tuple(r for r in rows if r.target.name in shown)
    ready = [r.next for r in visible if r.action in READY and r.next]
    reminders = [p for r in visible for p in r.reminders]
    if not ready and reminders and not any(r.action is Action.COULD_NOT_CHECK for r in visible):
        ready = [
            f"confirm {reminders[0].id} ({reminders[0].task}), then `./amm.sh plan --done {reminders[0].id}`"
        ]
    return Plan(
        rows=visible,
        status=_status(visible, survey),
        next=ready[0] if ready else None,
        also_ready=tuple(ready[1:]),
        generated_at=datetime.now(UTC),
        elapsed_seconds=survey.elapsed_seconds,
        resolver=facts.resolver,
        postmark=facts.postmark,
    )


def _status(rows: Sequence[Row], survey: Survey) -> PlanStatus:
    if survey.checks_error or any(r.action is Action.COULD_NOT_CHECK for r in rows):
        return PlanStatus.COULD_NOT_PLAN
    if any(r.action is not Action.NOTHING or r.reminders for r in rows):
        return PlanStatus.PENDING
    return PlanStatus.NOTHING_TO_DO

"""The plan, shown three ways: a table with the details under it (a terminal), Markdown (a
GitHub job summary) and JSON (`docs/plan.schema.json`, `schemaVersion` 1). Every text that
came from outside (AWS, Postmark, DNS, `kubectl`) already passed the outside-text rule where
it was read; the table cuts long cells so one row stays one line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tools.cli.contract import PlanStatus
from tools.planning.decide import Action, Plan, Row
from tools.runtime.text import printable

SCHEMA_VERSION = 1
CELL = 36  # the widest a table cell gets before it is cut
VERDICTS = {
    PlanStatus.NOTHING_TO_DO: "nothing to do",
    PlanStatus.PENDING: "changes or actions pending",
    PlanStatus.COULD_NOT_PLAN: "could not plan every row",
}


def _cut(text: str, width: int = CELL) -> str:
    text = printable(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _stack_cell(row: Row) -> str:
    return "; ".join(s.shown for s in row.stacks)


def _diff_cell(row: Row) -> str:
    return (
        "; ".join(s.diff_shown for s in row.stacks)
        if len(row.stacks) == 1
        else "; ".join(f"{s.name}: {s.diff_shown}" for s in row.stacks)
    )


def _heading(plan: Plan) -> str:
    return (
        f"plan (read-only) at {plan.generated_at:%Y-%m-%d %H:%M} UTC in {plan.elapsed_seconds:.1f} s; "
        f"DNS via {plan.resolver}; Postmark: {plan.postmark or 'not asked'}"
    )


def _table(rows: Sequence[Row]) -> list[str]:
    header = ("TARGET", "STACK", "DIFF", "LIVE", "ACTION")
    cells = [
        (r.target.name, _cut(_stack_cell(r), 42), _cut(_diff_cell(r)), _cut(r.live_shown, 24), r.action.value)
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *cells]
    ]


def _details(row: Row) -> list[str]:
    lines = [f"{row.target.name} ({row.target.infrastructure}: {', '.join(row.target.stacks)})"]
    facts = [("why", row.why)]
    if row.target.domains:
        facts += [
            ("context", row.context),
            ("postmark", row.postmark),
            ("dns", row.dns),
            ("cascade", row.live_shown),
        ]
    if row.blocked_by:
        facts.append(("waits for", ", ".join(row.blocked_by)))
    for prerequisite in row.reminders:
        facts.append(
            (
                "reminder",
                f"{prerequisite.id}: {prerequisite.task} - {prerequisite.confirm}; then "
                f"`./amm.sh plan --done {prerequisite.id}`",
            )
        )
    facts.append(("next", row.next or "-"))
    lines += [f"  {name:<9} {printable(value)}" for name, value in facts]
    return lines


def _next_lines(plan: Plan) -> list[str]:
    lines = [f"next: {plan.next or 'nothing to do'}"]
    if plan.also_ready:
        lines.append(f"also ready: {'; '.join(plan.also_ready)}")
    lines.append(f"exit {int(plan.status)}: {VERDICTS[plan.status]}")
    return lines


def render_table(plan: Plan) -> str:
    lines = [_heading(plan), "", *_table(plan.rows), ""]
    for row in plan.rows:
        lines += [*_details(row), ""]
    return "\n".join([*lines, *_next_lines(plan)])


def _md(text: str) -> str:
    return printable(text).replace("|", "\\|")


def render_markdown(plan: Plan) -> str:
    lines = [f"## Rollout plan: {VERDICTS[plan.status]}", "", _heading(plan) + ".", ""]
    lines += ["| Target | Stack | Diff | Live | Action | Next |", "|---|---|---|---|---|---|"]
    lines += [
        f"| `{r.target.name}` | {_md(_stack_cell(r))} | {_md(_diff_cell(r))} | {_md(r.live_shown)} | "
        f"{r.action.value} | {_md(r.next or '-')} |"
        for r in plan.rows
    ]
    lines += ["", *(f"- {_md(line)}" for line in _next_lines(plan)), ""]
    why = [f"- `{r.target.name}`: {_md(r.why)}" for r in plan.rows if r.action is not Action.NOTHING]
    return "\n".join([*lines, *(["### Why", "", *why, ""] if why else [])])


def _stack_json(row: Row) -> list[dict[str, Any]]:
    stacks = []
    for line in row.stacks:
        diff: dict[str, Any] = {"state": "unknown", "error": line.unknown}
        if line.diff is not None:
            diff = {
                "state": "not-deployed"
                if line.status is None
                else ("no-changes" if line.diff.empty else "changes"),
                "add": line.diff.added,
                "change": line.diff.changed,
                "replace": line.diff.replaced,
                "remove": line.diff.removed,
                "otherChanges": list(line.diff.other_changes),
                "permissionsBroadened": line.diff.permissions_broadened,
                "securityGroupsBroadened": line.diff.security_groups_broadened,
                "error": None,
            }
        stacks.append(
            {
                "name": line.name,
                "status": line.status,
                "lastUpdated": line.updated.isoformat() if line.updated else None,
                "diff": diff,
            }
        )
    return stacks


def _row_json(row: Row) -> dict[str, Any]:
    return {
        "name": row.target.name,
        "kind": row.target.kind.value,
        "infrastructure": row.target.infrastructure,
        "stacks": _stack_json(row),
        "context": row.context,
        "postmark": row.postmark,
        "dns": row.dns,
        "live": row.live,
        "liveDetail": row.live_shown,
        "checks": [
            {"id": f.check, "domain": f.domain, "status": f.status.value, "message": f.message}
            for f in row.findings
        ],
        "blockedBy": list(row.blocked_by),
        "reminders": [{"id": p.id, "task": p.task, "confirm": p.confirm} for p in row.reminders],
        "action": row.action.value,
        "why": row.why,
        "next": row.next,
    }


def render_json(plan: Plan) -> str:
    return json.dumps(
        {
            "schemaVersion": SCHEMA_VERSION,
            "generatedAt": plan.generated_at.isoformat(),
            "elapsedSeconds": round(plan.elapsed_seconds, 3),
            "exitStatus": int(plan.status),
            "verdict": VERDICTS[plan.status],
            "resolver": plan.resolver,
            "postmark": plan.postmark,
            "targets": [_row_json(r) for r in plan.rows],
            "next": plan.next,
            "alsoReady": list(plan.also_ready),
        },
        indent=2,
    )

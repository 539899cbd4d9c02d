"""Three renderings of a report: a human table, JSON, and a Markdown issue body."""

from __future__ import annotations

import json
import os

from tools.checks.findings import Finding, Status
from tools.checks.report import CheckReport as DriftReport

_MARK = {Status.OK: "ok", Status.DRIFT: "DRIFT", Status.ERROR: "ERROR", Status.WARN: "WARN"}


def _summary(report: DriftReport) -> str:
    return (
        f"{len(report.domains)} domain(s), {len(report.findings)} check(s): "
        f"{report.count(Status.OK)} ok, {report.count(Status.DRIFT)} drift, {report.count(Status.ERROR)} error, "
        f"{report.count(Status.WARN)} warning"
    )


def verdict(report: DriftReport) -> str:
    """What the run found, in the words its exit status stands for."""
    if report.drifted:
        return "drift detected"
    if not report.clean:
        return "could not check"
    return "clean" + (f" ({len(report.warnings)} warning(s))" if report.warnings else "")


def render_table(report: DriftReport, *, failures_only: bool = False) -> str:
    rows = [f for f in report.findings if f.status is not Status.OK or not failures_only]
    header = ("DOMAIN", "CHECK", "STATUS", "DETAIL")
    cells = [(f.domain, f.check, _MARK[f.status], f.message) for f in rows]
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(3)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(row[:3], widths, strict=True)), row[3]])
        for row in [header, *cells]
    ]
    said = verdict(report)
    lines.append("")
    lines.append(
        f"{report.tool}: {said if report.clean else said.upper()} - {_summary(report)} in "
        f"{report.elapsed_seconds:.2f}s (resolver {report.resolver})"
    )
    return "\n".join(lines)


def render_json(report: DriftReport) -> str:
    return json.dumps(
        {
            "tool": report.tool,
            "clean": report.clean,
            "verdict": verdict(report),
            "resolver": report.resolver,
            "domains": list(report.domains),
            "elapsedSeconds": round(report.elapsed_seconds, 3),
            "counts": {s.value: report.count(s) for s in Status},
            "findings": [f.to_json() for f in report.findings],
        },
        indent=2,
        sort_keys=True,
    )


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_rows(findings: list[Finding]) -> list[str]:
    rows = ["| Domain | Check | Status | Detail |", "|---|---|---|---|"]
    rows += [f"| `{f.domain}` | `{f.check}` | {_MARK[f.status]} | {_md_cell(f.message)} |" for f in findings]
    return rows


def run_url() -> str | None:
    """Link to the GitHub Actions run, when running in one."""
    server, repo, run = (
        os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None


def render_markdown(report: DriftReport) -> str:
    said = verdict(report)
    lines = [
        f"## {report.tool}: {said[0].upper()}{said[1:]}",
        "",
        f"{_summary(report)}; resolver `{report.resolver}`.",
        "",
    ]
    if not report.clean and not report.drifted:
        lines += [
            "Nothing was found to differ, but some checks could not run (their probe failed): the live "
            "state is unknown, not wrong. See the ERROR rows.",
            "",
        ]
    url = run_url()
    if url:
        lines += [f"Run: {url}", ""]
    if report.failures:
        lines += ["### Failing checks", "", *_md_rows(report.failures), ""]
    if report.warnings:
        lines += ["### Warnings (they hold nothing back)", "", *_md_rows(report.warnings), ""]
    lines += [
        "<details><summary>All checks</summary>",
        "",
        *_md_rows(list(report.findings)),
        "",
        "</details>",
        "",
    ]
    return "\n".join(lines)

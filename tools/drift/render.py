"""Three renderings of a report: a human table, JSON, and a Markdown issue body."""

from __future__ import annotations

import json
import os

from tools.checks.findings import Finding, Status
from tools.checks.report import CheckReport as DriftReport

_MARK = {Status.OK: "ok", Status.DRIFT: "DRIFT", Status.ERROR: "ERROR"}


def _summary(report: DriftReport) -> str:
    return (
        f"{len(report.domains)} domain(s), {len(report.findings)} check(s): "
        f"{report.count(Status.OK)} ok, {report.count(Status.DRIFT)} drift, {report.count(Status.ERROR)} error"
    )


def render_table(report: DriftReport, *, failures_only: bool = False) -> str:
    rows = [f for f in report.findings if f.failed or not failures_only]
    header = ("DOMAIN", "CHECK", "STATUS", "DETAIL")
    cells = [(f.domain, f.check, _MARK[f.status], f.message) for f in rows]
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(3)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(row[:3], widths, strict=True)), row[3]])
        for row in [header, *cells]
    ]
    verdict = "clean" if report.clean else "DRIFT DETECTED"
    lines.append("")
    lines.append(
        f"{report.tool}: {verdict} - {_summary(report)} in {report.elapsed_seconds:.2f}s (resolver {report.resolver})"
    )
    return "\n".join(lines)


def render_json(report: DriftReport) -> str:
    return json.dumps(
        {
            "tool": report.tool,
            "clean": report.clean,
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
    verdict = "No drift" if report.clean else "Drift detected"
    lines = [f"## {report.tool}: {verdict}", "", f"{_summary(report)}; resolver `{report.resolver}`.", ""]
    url = run_url()
    if url:
        lines += [f"Run: {url}", ""]
    if report.failures:
        lines += ["### Failing checks", "", *_md_rows(report.failures), ""]
    lines += [
        "<details><summary>All checks</summary>",
        "",
        *_md_rows(list(report.findings)),
        "",
        "</details>",
        "",
    ]
    return "\n".join(lines)

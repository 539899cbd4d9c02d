"""Post-merge checks of one deployed partition: the catalogue's `POST_MERGE` checks, one row each.

The same checks drift and the cascade gate run (`tools.checks`), with AWS access besides:
the stack's status, secrets and exports, and the NS answer compared with the delegation set
of the hosted zone the stack created. Every row runs even when an earlier one failed; a
check that cannot judge because another failed says which.
"""

from __future__ import annotations

from tools.checks.catalogue import ExpectedDomain, Tag
from tools.checks.findings import Status
from tools.checks.probes import Sources
from tools.checks.report import Judged, evaluate
from tools.exit_validation.results import CheckResult, Verdict

_VERDICTS = {
    Status.OK: Verdict.PASS,
    Status.DRIFT: Verdict.FAIL,
    Status.ERROR: Verdict.NOT_CHECKED,  # the probe could not answer: unknown, not wrong
    Status.WARN: Verdict.WARN,
}


def _row(judged: Judged, everything: list[Judged]) -> CheckResult:
    if judged.finding is not None:
        return CheckResult(judged.check.title, _VERDICTS[judged.finding.status], judged.finding.message)
    shared = set(judged.check.probes)
    blocker = next(
        (
            j
            for j in everything
            if j.finding is not None and j.finding.failed and shared & set(j.check.probes)
        ),
        None,
    )
    why = f"'{blocker.check.title}' failed" if blocker is not None else "nothing to judge"
    return CheckResult(judged.check.title, Verdict.NOT_CHECKED, f"not checked: {why}")


def post_merge_checks(expected: ExpectedDomain, sources: Sources, *, timeout: float) -> list[CheckResult]:
    report = evaluate("validate-exit", [expected], sources, tags=[Tag.POST_MERGE], timeout=timeout)
    judged = list(report.judged)
    return [_row(item, judged) for item in judged]

"""One row per check, and the table that ends in `N/M PASS` (plus the warnings and the rows
that could not be checked, by name), and the exit status the rows add up to."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from tools.cli.contract import ExitStatus
from tools.secrets.outside_text import outside_text

DETAIL_CHARACTERS = 600


class Verdict(StrEnum):
    PASS = "PASS"  # noqa: S105 (a verdict)
    FAIL = "FAIL"
    WARN = "WARN"  # an advisory row: named in the summary, the exit status unchanged
    NOT_CHECKED = (
        "NOT CHECKED"  # the row could not be judged (a probe failed, a tool is missing): never a pass
    )


@dataclass(frozen=True)
class CheckResult:
    """One row; its detail may quote DNS, AWS or Postmark, so it is held to the outside-text
    rule (redacted, one line, control characters escaped, cut) when the row is made."""

    name: str
    verdict: Verdict
    detail: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "detail", outside_text(self.detail, DETAIL_CHARACTERS))

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASS


def run_check(name: str, check: Callable[[], str]) -> CheckResult:
    """Run one check: it returns a detail on success and raises CheckFailed (or anything) on
    failure. A crash in one check becomes its FAIL row and never hides the other rows."""
    try:
        return CheckResult(name, Verdict.PASS, check())
    except CheckFailed as exc:
        return CheckResult(name, Verdict.FAIL, str(exc))
    except Exception as exc:
        return CheckResult(name, Verdict.FAIL, f"{type(exc).__name__}: {exc}")


class CheckFailed(Exception):
    """The check ran and found the thing wrong; the message says what."""


def _named(results: Sequence[CheckResult], verdict: Verdict) -> str:
    names = [r.name for r in results if r.verdict is verdict]
    return f", {len(names)} {verdict.value} ({', '.join(names)})" if names else ""


def summary_line(results: Sequence[CheckResult]) -> str:
    """`14/16 PASS, 1 WARN (DMARC report authorization), 1 NOT CHECKED (…)`."""
    passed = sum(r.passed for r in results)
    return (
        f"{passed}/{len(results)} PASS{_named(results, Verdict.WARN)}{_named(results, Verdict.NOT_CHECKED)}"
    )


def exit_for(results: Sequence[CheckResult]) -> ExitStatus:
    """1 when a row fails; else 3 when a row could not be checked; else 0 (warnings allowed)."""
    verdicts = {r.verdict for r in results}
    if Verdict.FAIL in verdicts:
        return ExitStatus.FAILED
    if Verdict.NOT_CHECKED in verdicts:
        return ExitStatus.NOT_CHECKED
    return ExitStatus.OK


def render_table(title: str, results: Sequence[CheckResult]) -> str:
    width = max([len(r.name) for r in results] + [5])
    mark = max(len(v.value) for v in {r.verdict for r in results} | {Verdict.PASS}) + 1
    lines = [title, f"  {'check':<{width}}  {'result':<{mark}} detail"]
    lines += [f"  {r.name:<{width}}  {r.verdict.value:<{mark}} {r.detail}" for r in results]
    lines.append(summary_line(results))
    return "\n".join(lines)

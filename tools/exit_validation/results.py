"""One PASS/FAIL row per check, and the table that ends in `N/M PASS`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tools.secrets.outside_text import outside_text

DETAIL_CHARACTERS = 600


@dataclass(frozen=True)
class CheckResult:
    """One row; its detail may quote DNS, AWS or Postmark, so it is held to the outside-text
    rule (redacted, one line, control characters escaped, cut) when the row is made."""

    name: str
    passed: bool
    detail: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "detail", outside_text(self.detail, DETAIL_CHARACTERS))


def run_check(name: str, check: Callable[[], str]) -> CheckResult:
    """Run one check: it returns a detail on success and raises CheckFailed (or anything) on
    failure. A crash in one check becomes its FAIL row and never hides the other rows."""
    try:
        return CheckResult(name, True, check())
    except CheckFailed as exc:
        return CheckResult(name, False, str(exc))
    except Exception as exc:
        return CheckResult(name, False, f"{type(exc).__name__}: {exc}")


class CheckFailed(Exception):
    """The check ran and found the thing wrong; the message says what."""


def render_table(title: str, results: Sequence[CheckResult]) -> str:
    width = max([len(r.name) for r in results] + [5])
    lines = [title, f"  {'check':<{width}}  result  detail"]
    lines += [f"  {r.name:<{width}}  {'PASS' if r.passed else 'FAIL':<6}  {r.detail}" for r in results]
    passed = sum(r.passed for r in results)
    lines.append(f"{passed}/{len(results)} PASS")
    return "\n".join(lines)

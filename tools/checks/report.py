"""Evaluating checks: ask every probe the selected checks need, concurrently, then judge.

One run for drift, the cascade gate, validate-exit and the plan: each names its subjects,
its sources (DNS always; Postmark and AWS where it has them) and the tags it selects by.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tools.checks.catalogue import Check, ExpectedDomain, Observations, Probe, Tag, selected
from tools.checks.findings import Finding, Status
from tools.checks.probes import Sources, probes_for
from tools.checks.runner import run_probes

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_WORKERS = 128


@dataclass(frozen=True)
class Judged:
    """One check of one domain: its finding, or None when another check says why it could not judge."""

    subject: ExpectedDomain
    check: Check
    finding: Finding | None


@dataclass(frozen=True)
class CheckReport:
    tool: str
    resolver: str
    domains: tuple[str, ...]
    judged: tuple[Judged, ...]
    elapsed_seconds: float

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(j.finding for j in self.judged if j.finding is not None)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.failed]

    @property
    def clean(self) -> bool:
        return not self.failures

    @property
    def drifted(self) -> bool:
        return any(f.status is Status.DRIFT for f in self.findings)

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.WARN]

    def count(self, status: Status) -> int:
        return sum(1 for f in self.findings if f.status is status)


def evaluate(
    tool: str,
    subjects: Sequence[ExpectedDomain],
    sources: Sources,
    *,
    tags: Iterable[Tag] = (),
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    workers: int = DEFAULT_WORKERS,
) -> CheckReport:
    """Judge each subject by the checks selected by `tags` that `sources` can answer."""
    started = time.monotonic()
    cannot, wanted_tags = sources.cannot_answer(), tuple(tags)
    plans = [(s, selected(tags=wanted_tags, without=cannot, leaf=s.domain.is_leaf)) for s in subjects]
    probes: dict[tuple[int, Probe], Callable[[], Any]] = {}
    for index, (subject, checks) in enumerate(plans):
        needed = {probe for item in checks for probe in item.probes}
        for probe, ask in probes_for(subject, sources, needed).items():
            probes[(index, probe)] = ask
    outcomes = run_probes(probes, timeout=timeout, workers=workers)
    judged: list[Judged] = []
    for index, (subject, checks) in enumerate(plans):
        observations = Observations({probe: o for (i, probe), o in outcomes.items() if i == index})
        judged += [Judged(subject, item, item.judge(subject, observations)) for item in checks]
    return CheckReport(
        tool=tool,
        resolver=str(sources.dns.address),
        domains=tuple(s.zone_name for s in subjects),
        judged=tuple(judged),
        elapsed_seconds=time.monotonic() - started,
    )

"""Run probes concurrently, each with its own time limit, never letting one hide the others.

A bounded pool of daemon worker threads takes probes from a queue. A probe's clock starts
when a worker picks it up; a probe still running `timeout` seconds later is recorded as
timed out (its thread is abandoned, and being a daemon it never holds the process open).
An exception becomes a failed outcome carrying the message. A stuck worker is replaced so
the probes still queued behind it start on time.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A probe's value, or why there is none."""

    value: T | None = None
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text or type(exc).__name__


def run_probes(
    probes: Mapping[K, Callable[[], Any]], *, timeout: float, workers: int = 64
) -> dict[K, Outcome[Any]]:
    """Run every probe; return an outcome for each key (value, error or timeout)."""
    tasks: queue.Queue[tuple[K, Callable[[], Any]]] = queue.Queue()
    for key, probe in probes.items():
        tasks.put((key, probe))
    results: dict[K, Outcome[Any]] = {}
    started: dict[K, float] = {}
    changed = threading.Condition()

    def work() -> None:
        while True:
            try:
                key, probe = tasks.get_nowait()
            except queue.Empty:
                return
            with changed:
                started[key] = time.monotonic()
            try:
                outcome: Outcome[Any] = Outcome(value=probe())
            except Exception as exc:
                outcome = Outcome(failure=_describe(exc))
            with changed:
                results.setdefault(key, outcome)
                changed.notify_all()

    for _ in range(max(1, min(workers, len(probes)))):
        threading.Thread(target=work, daemon=True, name="drift-probe").start()

    with changed:
        while len(results) < len(probes):
            now = time.monotonic()
            next_deadline = now + timeout
            for key, began in started.items():
                if key in results:
                    continue
                if now - began >= timeout:
                    results[key] = Outcome(failure=f"timed out after {timeout:g}s")
                    # Its worker is stuck: replace it so queued probes still start.
                    threading.Thread(target=work, daemon=True, name="drift-probe").start()
                else:
                    next_deadline = min(next_deadline, began + timeout)
            if len(results) < len(probes):
                changed.wait(max(0.01, next_deadline - now))
    return {key: results[key] for key in probes}

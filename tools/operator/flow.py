"""The operator flow: steps that can each describe and run themselves.

A `Flow` is its opening steps (the gates every run passes once) and, per target, that
target's steps. `--dry-run` prints what each step describes; the real run logs the same
lines (`step: …`) before running each step - so the plan printed is the plan run, and a
test holds the two to each other. A step that fails raises an `OperatorError`: in the
opening it stops the run; in a target's steps it stops that target, and every later target
that depends on it in the cascade is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from platform_lib.registry import Infrastructure, depends_on
from tools.aws.cdk import aws_env
from tools.aws.deployment import InfrastructureSessions
from tools.cli.contract import ExitStatus, OperatorError
from tools.cli.entry import report
from tools.cli.run_log import RunLog
from tools.dns.probe import ResolverAddress
from tools.operator.settings import Settings
from tools.operator.targets import DeployTarget
from tools.runtime.signals import deferred


@dataclass
class Operation:
    """What one invocation decided before it changes anything, and what its steps learn."""

    infrastructure: Infrastructure  # the run's own (PlatformRoot for Root and the corporate group)
    profile: str
    region: str
    root_profile: str
    settings: Settings
    resolver: ResolverAddress
    assume_yes: bool = False
    rotate_dkim: bool = False
    fix_return_path: bool = False
    skip_cascade: str | None = None
    log: RunLog = field(default_factory=lambda: RunLog(None))
    sessions: InfrastructureSessions = field(default_factory=InfrastructureSessions)
    tokens: dict[str, str] = field(default_factory=dict, repr=False)  # by 1Password reference
    synthesized_root: dict[str, Any] | None = None
    assembly: Path | None = None  # the Root cloud assembly a Root deploy diffs and deploys
    assemblies: list[Path] = field(default_factory=list)  # every one the run made, removed at its end
    outputs_file: Path | None = None  # the run's stack outputs, next to its log
    outcomes: dict[str, str] = field(default_factory=dict)

    def cdk_env(self) -> dict[str, str]:
        return aws_env(self.profile, self.region)

    @contextlib.contextmanager
    def scratch(self) -> Iterator[None]:
        """Temporary files of the run (its cloud assemblies), removed however it ends."""
        try:
            yield
        finally:
            with deferred():  # a signal now would leave the later folders behind
                for folder in self.assemblies:
                    shutil.rmtree(folder, ignore_errors=True)

    def new_assembly(self, prefix: str = "amm-assembly-") -> Path:
        """A new empty folder (private to this user) for a cloud assembly of the run."""
        folder = Path(tempfile.mkdtemp(prefix=prefix))
        self.assemblies.append(folder)
        return folder


@dataclass
class TargetRun:
    """What a target's steps learn as they run (the token, the block before the pre-deploy)."""

    target: DeployTarget
    token: str | None = field(default=None, repr=False)
    server_token: str | None = field(default=None, repr=False)
    block_shown: Any = None  # the block its last diff was synthesized from
    assembly: Path | None = None  # the cloud assembly its last diff synthesized: what it deploys


class Step(Protocol):
    def describe(self, op: Operation) -> list[str]:
        """What the step will do, as the dry run prints it and the run logs it."""
        ...

    def run(self, op: Operation) -> bool | None:
        """Do it; an OperatorError stops. True: nothing more to do (the flow ends, done)."""
        ...


@runtime_checkable
class KnownOffline(Protocol):
    """A step whose refusal is known without contacting anything (the Root placeholder): the
    dry run prints the whole plan, then says the refusal and exits 1."""

    def refusal(self, op: Operation) -> str | None: ...


@dataclass
class TargetSteps:
    heading: str
    target: DeployTarget
    steps: Sequence[Step]


@dataclass
class Flow:
    title: str  # e.g. "Alpha001 (profile Admin-Alpha1, region us-east-1)"
    opening: Sequence[Step]
    targets: Sequence[TargetSteps] = ()

    def dry_run(self, op: Operation) -> int:
        """Print every step; a step already known to refuse makes it exit 1 (after the plan)."""
        print(f"plan for {self.title}; nothing will be contacted:")
        steps = [*self.opening, *(step for part in self.targets for step in part.steps)]
        for step in self.opening:
            for line in step.describe(op):
                print(f"  {line}")
        for part in self.targets:
            print(part.heading)
            for step in part.steps:
                for line in step.describe(op):
                    print(f"  {line}")
        refusals = [r for s in steps if isinstance(s, KnownOffline) and (r := s.refusal(op)) is not None]
        if refusals:
            raise OperatorError(f"this run would stop before anything changes: {refusals[0]}")
        return ExitStatus.OK

    def run(self, op: Operation) -> int:
        """Run every step; the first failure's exit status (0 when every target succeeded)."""
        with op.scratch():
            try:
                for step in self.opening:
                    if _run_step(step, op):
                        return ExitStatus.OK
            except OperatorError as exc:
                report(exc)
                return int(exc.code)
            return self._run_targets(op)

    def _run_targets(self, op: Operation) -> int:
        final = 0
        failed: list[DeployTarget] = []
        for part in self.targets:
            blocker = next((f for f in failed if _needs(part.target, f)), None)
            if blocker is not None:
                op.outcomes[part.target.name] = f"SKIPPED: needs {blocker.name}, which failed in this run"
                op.log.say(f"{part.target.name}: not attempted: it needs {blocker.name}, which failed")
                final = final or ExitStatus.FAILED
                continue
            started = datetime.now(UTC)
            op.log.say(f"step: {part.heading}")
            try:
                for step in part.steps:
                    if _run_step(step, op):
                        break
            except OperatorError as exc:
                report(exc)
                op.outcomes[part.target.name] = f"FAILED, exit {exc.code} ({_seconds_since(started):.0f} s)"
                failed.append(part.target)
                final = final or int(exc.code)
                continue
            op.outcomes[part.target.name] = f"ok ({_seconds_since(started):.0f} s)"
        return final


def _run_step(step: Step, op: Operation) -> bool:
    for line in step.describe(op):
        op.log.say(f"step: {line}")
    return bool(step.run(op))


def _needs(target: DeployTarget, failed: DeployTarget) -> bool:
    if target.partition is None or failed.partition is None:
        return False
    return depends_on(target.partition, failed.partition)


def _seconds_since(started: datetime) -> float:
    return (datetime.now(UTC) - started).total_seconds()

"""The flow's gates as steps: each describes what it will check and logs its decision
(`gate (…): ok - …` or `REFUSED`, then the error that says what to do)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from platform_lib.context_store import PROJECT_CONTEXT_FILE
from platform_lib.naming import ROOT_DNS_STACK_NAME, amm_command, root_delegation_role_arn
from platform_lib.registry import root_infrastructure
from platform_lib.sending_domain import partition_sending_domain
from tools.aws import cdk as cdk_cli
from tools.aws.deployment import Deployments, WrongAccount, checked_session
from tools.aws.session import AwsProblem
from tools.cli.contract import OperatorError
from tools.operator import gates
from tools.operator.cascade import verify_live
from tools.operator.flow import Operation, TargetRun
from tools.operator.tokens import token_for

CASCADE_TIMEOUT_SECONDS = 10.0


def gate(op: Operation, name: str, check: Callable[[], str]) -> None:
    """Run a gate (its verdict, or GateRefused/AwsProblem) and log the decision."""
    try:
        verdict = check()
    except (gates.GateRefused, AwsProblem):
        op.log.say(f"gate ({name}): REFUSED")
        raise
    op.log.say(f"gate ({name}): ok - {verdict}")


@dataclass
class RootPlaceholderGate:
    """No deploy while the PlatformRoot account is the placeholder (known offline, so the
    dry run says the verdict too, and a dry run that would be refused here exits 1)."""

    deploying_root: bool = False

    def describe(self, op: Operation) -> list[str]:
        refused = self.refusal(op)
        now = f"REFUSED NOW - {refused}" if refused else f"ok now - {self._check()}"
        return [f"gate (Root placeholder): {now}"]

    def refusal(self, op: Operation) -> str | None:
        try:
            self._check()
        except gates.GateRefused as exc:
            return str(exc)
        return None

    def run(self, op: Operation) -> None:
        gate(op, "Root placeholder", self._check)

    def _check(self) -> str:
        return gates.root_placeholder(deploying_root=self.deploying_root)


@dataclass
class Preflight:
    """`op` and the CDK CLI present; the run's profile is its infrastructure's account."""

    what: str  # e.g. "Alpha001", "PlatformRoot (the corporate instance group)"

    def describe(self, op: Operation) -> list[str]:
        return [
            f"pre-flight: `op` and the CDK CLI present; profile {op.profile} must be account {op.infrastructure.account}"
        ]

    def run(self, op: Operation) -> None:
        if shutil.which("op") is None:
            raise OperatorError("1Password CLI 'op' not found on PATH; install it and run 'op signin'")
        if not cdk_cli.CDK.exists():
            raise OperatorError(
                "the CDK CLI is missing from node_modules; run ./scripts/synth once to install the toolchain"
            )
        infra = op.infrastructure
        session = checked_session(op.profile, infra, f"pass --profile NAME for account {infra.account}")
        op.sessions.remember(infra.name, session)
        op.log.say(
            f"pre-flight: tools present; profile {op.profile} is account {infra.account} ({self.what})"
        )


class DelegationGate:
    """From the partitions' account, assume the Root delegation role and find ardamails.com:
    what the NS-delegation resource will do."""

    def describe(self, op: Operation) -> list[str]:
        return [f"gate (delegation): assume {root_delegation_role_arn()} and find ardamails.com"]

    def run(self, op: Operation) -> None:
        session, profile = op.sessions.of(op.infrastructure.name)
        gate(op, "delegation", lambda: gates.delegation(session, profile, op.infrastructure))


def root_session(op: Operation) -> Any:
    """The PlatformRoot account's session (the run's own when it is the same profile)."""
    root = root_infrastructure()
    if op.root_profile == op.profile and op.infrastructure.name == root.name:
        return op.sessions.of(root.name)[0]
    try:
        return checked_session(op.root_profile, root, f"pass --root-profile NAME for account {root.account}")
    except WrongAccount:
        raise
    except AwsProblem as exc:
        raise AwsProblem(f"{exc} (the Root profile; pass --root-profile NAME)") from None


class RootUnchangedGate:
    """This checkout's Root stack equals the deployed one (read with the Root profile)."""

    def describe(self, op: Operation) -> list[str]:
        return [
            f"gate (Root unchanged): cdk synth {ROOT_DNS_STACK_NAME}; compare with the deployed one "
            f"(profile {op.root_profile})"
        ]

    def run(self, op: Operation) -> None:
        synthesized = cdk_cli.synth_root_template(op.log)
        session = root_session(op)
        gate(op, "Root unchanged", lambda: gates.root_unchanged(synthesized, session, op.root_profile))


@dataclass
class FailedFirstDeployGate:
    """No half-made deploy in the way: the stack absent or in a known-good state, and no
    retained zone or secret without a stack."""

    state: TargetRun

    def describe(self, op: Operation) -> list[str]:
        target = self.state.target
        secrets = ", ".join(target.retained_secrets)
        return [
            f"gate (failed first deploy): stack {target.domain.stack_name} absent or known-good; "
            f"no zone {target.domain.zone_name} or secret {secrets} left without it"
        ]

    def run(self, op: Operation) -> None:
        target = self.state.target
        session, profile = op.sessions.of(target.infrastructure.name)
        gate(
            op,
            "failed first deploy",
            lambda: gates.failed_first_deploy(
                session,
                stack=target.domain.stack_name,
                zone=target.domain.zone_name,
                secrets=target.retained_secrets,
                what=target.name,
                profile=profile,
                region=target.infrastructure.region,
            ),
        )


@dataclass
class CascadeGate:
    """Every partition the target's rule names is verified live now (or --skip-cascade)."""

    state: TargetRun

    def describe(self, op: Operation) -> list[str]:
        target = self.state.target
        needs = ", ".join(p.name for p in target.needs)
        if not needs:
            return [f"gate (cascade): {target.name} is first in the cascade"]
        if op.skip_cascade is not None:
            return [f"gate (cascade): SKIPPED ({op.skip_cascade}); would need {needs} verified live"]
        return [
            f"gate (cascade): {needs} verified live (Postmark; DNS via {op.resolver}; NS = each one's hosted zone)"
        ]

    def run(self, op: Operation) -> None:
        target = self.state.target
        if not target.needs:
            op.log.say(f"gate (cascade): ok - {target.name} is first in the cascade")
            return
        if op.skip_cascade is not None:
            names = ", ".join(p.name for p in target.needs)
            op.log.say(f"gate (cascade): SKIPPED by --skip-cascade ({op.skip_cascade}); {names} not checked")
            return
        problems, unverified = [], []
        for earlier in target.needs:
            verdict = verify_live(
                earlier,
                token_for(op, partition_sending_domain(earlier).token_reference),
                base_url=op.settings.postmark_url,
                resolver=op.resolver,
                context_file=PROJECT_CONTEXT_FILE,
                timeout=CASCADE_TIMEOUT_SECONDS,
                aws=Deployments(op.sessions),
            )
            if verdict.verified:
                op.log.say(
                    f"gate (cascade): {earlier.name} verified live (Postmark: DKIM and Return-Path verified; "
                    f"DNS via {op.resolver}: NS = its hosted zone's delegation set, SPF, DMARC, DKIM, Return-Path)"
                )
                continue
            op.log.say(f"gate (cascade): {earlier.name} NOT verified live")
            unverified.append(earlier)
            problems += [f"{earlier.name}: {problem}" for problem in verdict.problems]
        if unverified:
            first = unverified[0]
            raise OperatorError(
                f"{target.name} needs {', '.join(p.name for p in target.needs)} verified live first; {first.name} is "
                f"not: deploy and verify it (`{amm_command(first)}`), or pass --skip-cascade REASON",
                details=problems,
            )

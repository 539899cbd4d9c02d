"""The steps `amm.sh` and the corporate CLI share (DQ-R1-022: one implementation, two
operator surfaces): a stop with one line, gates that log their decision, the AWS
pre-flight, the Root session, a token read once per reference, the Root synth, deploys."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3

from platform_lib.registry import root_infrastructure
from tools.aws import cdk as cdk_cli
from tools.aws.session import AwsProblem, caller_account, session_for
from tools.cli.run_log import RunLog
from tools.operator import gates
from tools.secrets import logger
from tools.secrets.account_token import read_op_token
from tools.secrets.op import OpError
from tools.secrets.token_rule import TokenRejected

EXIT_FAILED = 1


class Stop(Exception):
    """This step (or the run) stops here; the message is the one error line."""

    def __init__(self, message: str, code: int = EXIT_FAILED, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.details = list(details)


def report(stop: Stop) -> None:
    logger.error(str(stop))
    for line in stop.details:
        logger.detail(line)


def gate(log: RunLog, name: str, check: Callable[[], str]) -> None:
    """Run a gate (returning its verdict, or raising GateRefused) and log the decision."""
    try:
        verdict = check()
    except gates.GateRefused as exc:
        log.say(f"gate ({name}): REFUSED")
        raise Stop(str(exc), details=exc.details) from None
    except AwsProblem as exc:
        log.say(f"gate ({name}): REFUSED")
        raise Stop(str(exc)) from None
    log.say(f"gate ({name}): ok - {verdict}")


def preflight(log: RunLog, *, what: str, account: str, profile: str, region: str) -> boto3.Session:
    """`op` and the CDK CLI present; `profile` is `account` (the one `what` lives in)."""
    if shutil.which("op") is None:
        raise Stop("1Password CLI 'op' not found on PATH; install it and run 'op signin'")
    if not cdk_cli.CDK.exists():
        raise Stop(
            "the CDK CLI is missing from node_modules; run ./scripts/synth once to install the toolchain"
        )
    try:
        session = session_for(profile, region)
        found = caller_account(session, profile)
    except AwsProblem as exc:
        raise Stop(str(exc)) from None
    if found != account:
        raise Stop(
            f"AWS profile '{profile}' is account {found}, but {what} is {account}; pass --profile NAME for account {account}"
        )
    log.say(f"pre-flight: tools present; profile {profile} is account {found} ({what})")
    return session


def root_session(root_profile: str) -> boto3.Session:
    root = root_infrastructure()
    try:
        session = session_for(root_profile, root.region)
        found = caller_account(session, root_profile)
    except AwsProblem as exc:
        raise Stop(f"{exc} (the Root profile; pass --root-profile NAME)") from None
    if found != root.account:
        raise Stop(
            f"AWS profile '{root_profile}' is account {found}, but PlatformRoot is {root.account}; "
            f"pass --root-profile NAME for account {root.account}"
        )
    return session


@dataclass
class Tokens:
    """Tokens read in this run, once per 1Password reference."""

    log: RunLog
    timeout: float
    read: dict[str, str] = field(default_factory=dict)

    def get(self, reference: str) -> str:
        if reference not in self.read:
            with self.log.step(f"op read {reference}") as outcome:
                try:
                    self.read[reference] = read_op_token(reference, timeout=self.timeout)
                except (OpError, TokenRejected) as exc:
                    outcome.append(EXIT_FAILED)
                    raise Stop(str(exc)) from None
                outcome.append(0)
        return self.read[reference]


def synth_root(log: RunLog) -> dict[str, Any]:
    try:
        return cdk_cli.synth_root_template(log)
    except cdk_cli.CdkFailed as exc:
        raise Stop(str(exc), exc.code) from None


def deploy(
    log: RunLog,
    stack: str,
    context: tuple[str, ...],
    env: Mapping[str, str],
    secret: tuple[str, str] | None = None,
    *,
    extra: Sequence[str] = (),
) -> None:
    try:
        cdk_cli.deploy(log, stack, context, env, secret, extra=extra)
    except cdk_cli.CdkFailed as exc:
        raise Stop(str(exc), exc.code) from None


def diff(log: RunLog, stack: str, context: tuple[str, ...], env: Mapping[str, str]) -> None:
    try:
        cdk_cli.diff(log, stack, context, env)
    except cdk_cli.CdkFailed as exc:
        raise Stop(str(exc), exc.code) from None

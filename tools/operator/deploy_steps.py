"""A target's deploy as steps: the diff and typed confirmation, the token, the pre-deploy
(Postmark registration and the context block), `cdk deploy`, Postmark verification, and the
end of a DKIM rotation."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Any

from platform_lib.context_store import PROJECT_CONTEXT_FILE, read_context
from platform_lib.errors import PlatformError
from tools.aws import cdk as cdk_cli
from tools.cli.contract import ExitStatus, OperatorError
from tools.operator.confirm import typed_confirmation
from tools.operator.flow import Operation, TargetRun
from tools.operator.targets import StackDeploy
from tools.operator.tokens import token_for
from tools.postmark.client import PostmarkClient, PostmarkError
from tools.postmark.registration import register_and_record
from tools.postmark.rotation import DkimStateError, dkim_state
from tools.postmark.servers import PostmarkServerAdmin
from tools.postmark.verification import render, verify_domain
from tools.secrets import logger


def _block(state: TargetRun) -> Any:
    return read_context(PROJECT_CONTEXT_FILE).get(state.target.domain.context_key)


def _published(state: TargetRun) -> frozenset[tuple[str, str, str]] | None:
    try:
        return state.target.domain.parse_block(_block(state)).published()
    except PlatformError:
        return None


def _diff_and_confirm(op: Operation, state: TargetRun) -> None:
    """The first diff synthesizes the target's stacks into a new cloud assembly; the other
    stacks' diffs and the deploys read that assembly, so what is shown is what is deployed."""
    target = state.target
    state.block_shown = _block(state)  # what the assembly is synthesized from
    folder = op.new_assembly()
    for index, stack in enumerate(target.stacks):
        source = (
            cdk_cli.synthesizing_into(target.context_args, folder) if index == 0 else cdk_cli.assembly(folder)
        )
        cdk_cli.diff(op.log, stack.stack, source, op.cdk_env())
    if state.assembly is not None:
        shutil.rmtree(state.assembly, ignore_errors=True)  # replaced: never deployed now
    state.assembly = folder
    if target.confirmation_word is not None:
        typed_confirmation(
            target.confirmation_word,
            target.confirmation_prompt,
            assume_yes=op.assume_yes,
            log=op.log,
            what=target.confirmation_kind,
        )


@dataclass
class DiffAndConfirm:
    """`cdk diff` of the target's stacks, then its typed confirmation (or `--yes`, logged)."""

    state: TargetRun

    def describe(self, op: Operation) -> list[str]:
        target = self.state.target
        context = " ".join(target.context_args)
        lines = [
            f"cdk diff {s.stack} {context} --output <a new cloud assembly> --method template (shown)"
            if index == 0
            else f"cdk diff {s.stack} --app <that assembly> --method template (shown)"
            for index, s in enumerate(target.stacks)
        ]
        if target.confirmation_word is not None:
            how = (
                "confirmed by --yes, after the diff"
                if op.assume_yes
                else f"type '{target.confirmation_word}' to confirm"
            )
            lines.append(f"({how})")
        return lines

    def run(self, op: Operation) -> None:
        _diff_and_confirm(op, self.state)


@dataclass
class ConfirmAgainIfChanged:
    """The block changed since the diff (the pre-deploy wrote a first block or a new key, or
    another run did): the template to deploy is no longer the one confirmed, so its diff is
    shown and confirmed again."""

    state: TargetRun

    def describe(self, op: Operation) -> list[str]:
        return [
            f"if {self.state.target.domain.context_key} changed since the diff (the pre-deploy, or another "
            "run): the diff again, confirmed again"
        ]

    def run(self, op: Operation) -> None:
        if _block(self.state) != self.state.block_shown:
            op.log.say(
                f"{self.state.target.domain.context_key} changed since the diff (the pre-deploy step, or "
                "another run): the diff to confirm is now this one"
            )
            _diff_and_confirm(op, self.state)


@dataclass
class ReadToken:
    state: TargetRun

    def describe(self, op: Operation) -> list[str]:
        reference = self.state.target.domain.token_reference
        return [
            f"op read --no-newline {reference}   # within {op.settings.op_timeout:g} s; masked; the token rule"
        ]

    def run(self, op: Operation) -> None:
        self.state.token = token_for(op, self.state.target.domain.token_reference)


def _token(state: TargetRun) -> str:
    if state.token is None:
        raise OperatorError(f"no token was read for {state.target.name}")
    return state.token


@dataclass
class RotationState:
    """Postmark's DKIM rotation state, logged at the start and the end of a deploy. At the
    start a Postmark that cannot be reached or refuses the token stops the target (the
    pre-deploy's first call would, a moment later)."""

    state: TargetRun
    at: str  # "start" or "end"

    def describe(self, op: Operation) -> list[str]:
        stop = " (Postmark unreachable or refusing: stop here)" if self.at == "start" else ""
        return [f"DKIM rotation state at {self.at}{stop}"]

    def run(self, op: Operation) -> None:
        op.log.say(f"DKIM rotation state at {self.at}: {self._state(op)}")

    def _state(self, op: Operation) -> str:
        domain = self.state.target.domain
        try:
            with PostmarkClient(
                _token(self.state),
                base_url=op.settings.postmark_url,
                timeout=10,
                deadline_seconds=30,
                token_source=domain.token_reference,
            ) as client:
                domain_id = client.find_domain_id(domain.postmark_domain_name)
                if domain_id is None:
                    return f"no Postmark domain {domain.postmark_domain_name} yet"
                return dkim_state(client.get_domain(domain_id), domain).describe()
        except PostmarkError as exc:
            if self.at == "start":
                raise OperatorError(f"{exc}; nothing was deployed") from None
            return f"unknown ({exc})"
        except DkimStateError as exc:
            return f"unknown ({exc})"


@dataclass
class PreDeploy:
    """Register the domain with Postmark (find or create; never a server) and write its block."""

    state: TargetRun
    rotate: bool = False

    def describe(self, op: Operation) -> list[str]:
        domain = self.state.target.domain
        rotation = "; start a DKIM rotation" if self.rotate else ""
        return [
            f"pre-deploy: register {domain.postmark_domain_name} on {domain.postmark_account.value} "
            f"(find or create; never a server){rotation}; write {domain.context_key} (no write when unchanged)"
        ]

    def run(self, op: Operation) -> None:
        pre_deploy(op, self.state, rotate=self.rotate)


def pre_deploy(op: Operation, state: TargetRun, *, rotate: bool) -> None:
    name = f"pre-deploy {state.target.label}" + (" --rotate-dkim" if rotate else "")
    with op.log.step(name) as outcome:
        outcome.append(ExitStatus.FAILED)
        with PostmarkClient(
            _token(state), base_url=op.settings.postmark_url, token_source=state.target.domain.token_reference
        ) as client:
            register_and_record(
                client,
                state.target.domain,
                PROJECT_CONTEXT_FILE,
                fix_return_path=op.fix_return_path,
                rotate=rotate,
            )
        outcome.append(ExitStatus.OK)


@dataclass
class ServerToken:
    """Find or create the target's Postmark server (the one place a server is ever created)
    and take its token, which a stack's NoEcho parameter carries."""

    state: TargetRun

    def describe(self, op: Operation) -> list[str]:
        return [f"find or create the Postmark server {self.state.target.creates_server}"]

    def run(self, op: Operation) -> None:
        name = self.state.target.creates_server
        assert name is not None
        with op.log.step(f"Postmark server {name}") as outcome:
            outcome.append(ExitStatus.FAILED)
            with PostmarkServerAdmin(
                _token(self.state),
                base_url=op.settings.postmark_url,
                token_source=self.state.target.domain.token_reference,
            ) as admin:
                server, created = admin.found_or_created(name)
                logger.info(
                    f"Postmark server {server.name} {'created' if created else 'found'} (id {server.id})"
                )
            if not server.api_tokens:
                raise OperatorError(
                    f"Postmark server {server.name} has no API token; add one in Postmark and re-run"
                )
            self.state.server_token = server.api_tokens[0]  # redacted since PostmarkServer.from_api read it
            outcome.append(ExitStatus.OK)


def _secret(state: TargetRun, stack: StackDeploy) -> tuple[str, str] | None:
    if stack.secret_parameter is None:
        return None
    value = state.server_token if stack.carries == "server token" else state.token
    if value is None:
        raise OperatorError(f"no {stack.carries} for {stack.stack}")
    return stack.secret_parameter, value


def approval(op: Operation, state: TargetRun) -> str:
    """A typed confirmation (production, corporate) or --yes already approved the diff; any
    other deploy lets the CDK CLI ask before it broadens IAM or security groups."""
    confirmed = state.target.confirmation_word is not None or op.assume_yes
    return cdk_cli.NEVER_ASK if confirmed else cdk_cli.ASK_ON_BROADENING


def _deploy(op: Operation, state: TargetRun, stack: StackDeploy) -> None:
    extra = ("--exclusively",) if stack.exclusively else ()
    if state.assembly is None or not (state.assembly / "manifest.json").is_file():
        raise OperatorError(
            f"the diff of {stack.stack} did not synthesize it ({op.log.output_kept}); nothing was deployed"
        )
    if _block(state) != state.block_shown:
        raise OperatorError(
            f"{state.target.domain.context_key} in cdk.context.json changed after the diff was shown "
            "(another run, or an edit); nothing was deployed: re-run to see and confirm the new diff"
        )
    cdk_cli.deploy(
        op.log,
        stack.stack,
        cdk_cli.assembly(state.assembly),
        op.cdk_env(),
        _secret(state, stack),
        approval=approval(op, state),
        outputs_file=op.outputs_file,
        extra=extra,
    )


@dataclass
class Deploy:
    state: TargetRun
    stack: StackDeploy

    def describe(self, op: Operation) -> list[str]:
        asks = approval(op, self.state)
        flags = " ".join(["--app <the assembly last diffed>", *cdk_cli.deploy_flags(asks)])
        line = f"cdk deploy {self.stack.stack} {flags}" + (" --exclusively" if self.stack.exclusively else "")
        line += " --outputs-file <the run's outputs file>"
        if self.stack.secret_parameter is not None:
            line += (
                f" --parameters {self.stack.secret_parameter}=***   # the {self.stack.carries}, via "
                "scripts/cdk-with-secret-parameter.cjs: it stays off every command line"
            )
        if asks == cdk_cli.NEVER_ASK:
            return [line]
        return [
            line,
            "(the CDK CLI asks before widening IAM or security groups: on a terminal you answer y/n, "
            "without one the deploy stops; --yes: it does not ask)",
        ]

    def run(self, op: Operation) -> None:
        _deploy(op, self.state, self.stack)


@dataclass
class Verify:
    """Ask Postmark to verify DKIM and the Return-Path, polling up to the deadline."""

    state: TargetRun

    def describe(self, op: Operation) -> list[str]:
        zone = self.state.target.domain.postmark_domain_name
        return [
            f"verify DKIM and Return-Path of {zone} with Postmark (poll up to {op.settings.verify_deadline:g} s)"
        ]

    def run(self, op: Operation) -> None:
        target, deadline = self.state.target, op.settings.verify_deadline
        with op.log.step(f"verify Postmark {target.name}") as outcome:
            outcome.append(ExitStatus.FAILED)
            with PostmarkClient(
                _token(self.state),
                base_url=op.settings.postmark_url,
                deadline_seconds=deadline + 30,
                token_source=target.domain.token_reference,
            ) as client:
                try:
                    verification = verify_domain(
                        client, target.domain, deadline_seconds=deadline, progress=op.log.waiting
                    )
                finally:
                    op.log.waited()
            logger.info(render(verification, target.domain.postmark_account.value))
            if not verification.verified:
                raise OperatorError(
                    f"{target.name} is deployed but not verified in Postmark yet after {deadline:g} s (DNS may still "
                    f"be propagating): re-run `{target.domain.verifier}` later"
                )
            outcome.append(ExitStatus.OK)


@dataclass
class FinishRotation:
    """The new key verified: Postmark signs with it and the old one is revoked. Record that in
    the block; when that changes the records, the diff (and confirmation) and a deploy again."""

    state: TargetRun

    def describe(self, op: Operation) -> list[str]:
        confirmation = ", the confirmation" if self.state.target.confirmation_word is not None else ""
        return [
            f"record the rotation state in {self.state.target.domain.context_key} (pre-deploy again); if that "
            f"changes its records: the diff{confirmation} and cdk deploy again"
        ]

    def run(self, op: Operation) -> None:
        before = _published(self.state)
        pre_deploy(op, self.state, rotate=False)
        if _published(self.state) != before:
            op.log.say(
                f"recording the rotation changed the records of {self.state.target.domain.context_key}"
            )
            _diff_and_confirm(op, self.state)
            _deploy(op, self.state, self.state.target.stacks[0])

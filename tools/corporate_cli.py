"""corporate-cli: provision the corporate instance group, with the same rules as `amm.sh`.

    ./corporate-cli [--profile NAME] [--root-profile NAME] [--fix-return-path] [--dry-run] [--yes]

Registry and settings checks; the Root placeholder gate; the pre-flight (the profile is the
corporate infrastructure's account, PlatformRoot by default); the Root-unchanged gate (the
corporate zone is delegated from `ardamails.com`); the failed-first-deploy gate for
`Corporate-Mail`; `cdk diff` of both stacks and a typed confirmation (PostmarkProd is
production: type `arda`, or `--yes`, which is logged); the masked `op read` of the
PostmarkProd token; then: register `arda.ardamails.com` on PostmarkProd (find or create)
and write its context block; find or create the `FreeKanbanTool` Postmark server - the one
place a server is ever created - and deliver its server token as a NoEcho parameter into
the `-I-` secret; deploy `Corporate-Mail` and `FreeKanbanToolMailDns`; verify DKIM and the
Return-Path. Every step is logged to the console and a token-free run log. The steps are
`amm.sh`'s own (`tools/operator/`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from platform_lib.context_store import PROJECT_CONTEXT_FILE, put_context_block, read_context
from platform_lib.errors import PlatformError
from platform_lib.mail_context import PartitionMailContext, parse_context_block
from platform_lib.naming import (
    CORPORATE_CLI_COMMAND,
    CORPORATE_SLUG,
    FREE_KANBAN_TOOL_SERVER_NAME,
    FREE_KANBAN_TOOL_SERVER_TOKEN_PARAMETER,
    FREE_KANBAN_TOOL_STACK_NAME,
    RETURN_PATH_LABEL,
    ROOT_DNS_STACK_NAME,
    corporate_context_key,
    corporate_mail_stack_name,
    corporate_zone_name,
    fqdn,
    free_kanban_tool_server_token_secret_name,
)
from platform_lib.placement import corporate_sending_domain_placement
from platform_lib.postmark import corporate_postmark_op_reference
from platform_lib.registry import CORPORATE, corporate_infrastructure, root_infrastructure
from tools.aws import cdk as cdk_cli
from tools.cli.arguments import ToolArgumentParser, visible
from tools.cli.entry import run_tool
from tools.cli.run_log import RunLog, RunLogUnavailable
from tools.operator import gates
from tools.operator.confirm import NotConfirmed, typed_confirmation
from tools.operator.settings import SettingError, Settings, read_settings
from tools.operator.steps import (
    Stop,
    Tokens,
    deploy,
    diff,
    gate,
    preflight,
    report,
    root_session,
    synth_root,
)
from tools.postmark.client import PostmarkError
from tools.postmark.registration import RegistrationError, SendingDomain, register_and_record, register_domain
from tools.postmark.servers import PostmarkServerAdmin
from tools.postmark.verification import render, verify_domain
from tools.secrets import logger

EXIT_FAILED, EXIT_USAGE = 1, 2
CORPORATE_CONTEXT = ("-c", f"infrastructure={CORPORATE.infrastructure}")


def corporate_sending_domain() -> SendingDomain:
    zone = corporate_zone_name()
    return SendingDomain(
        postmark_domain_name=zone,
        return_path_host_name=fqdn(RETURN_PATH_LABEL, zone),
        placement_for=corporate_sending_domain_placement,
        context_key=corporate_context_key(),
        fix=f"run `{CORPORATE_CLI_COMMAND}`",
    )


def _parser() -> ToolArgumentParser:
    parser = ToolArgumentParser(
        prog=CORPORATE_CLI_COMMAND,
        description=(
            "Provision the corporate instance group (arda.ardamails.com on PostmarkProd, the Free Kanban "
            "Tool's server and sending leaf) behind the same gates as ./amm.sh: Root placeholder, "
            "Root unchanged, failed first deploy, the diffs and a typed confirmation."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "environment: the same settings as ./amm.sh (AMM_VERIFY_DEADLINE_SECONDS, AMM_OP_TIMEOUT_SECONDS, "
            "AMM_LOG_DIR, POSTMARK_API_URL).\nexit status: 0 deployed and verified; 1 a gate, step or verification "
            "failed; 2 usage or setting error; 130 interrupted."
        ),
    )
    infra = corporate_infrastructure()
    parser.add_argument(
        "--profile", metavar="NAME", type=visible, help=f"AWS profile (default: {infra.default_profile})"
    )
    parser.add_argument(
        "--root-profile",
        metavar="NAME",
        type=visible,
        help="AWS profile of the PlatformRoot account (default: the registry's)",
    )
    parser.add_argument(
        "--fix-return-path",
        action="store_true",
        help="if the Postmark domain has another Return-Path domain, change it in Postmark",
    )
    parser.add_argument(
        "--rotate-dkim",
        action="store_true",
        help="rotate the corporate DKIM key (refused while a rotation is in progress)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the ordered plan and contact nothing")
    parser.add_argument(
        "--yes", action="store_true", help=f"skip typing '{CORPORATE_SLUG}' (the diffs are still shown)"
    )
    return parser


def _plan(settings: Settings, profile: str, assume_yes: bool, rotate: bool) -> None:
    infra = corporate_infrastructure()
    print(
        f"plan for the corporate instance group ({infra.name}, profile {profile}); nothing will be contacted:"
    )
    for line in (
        f"(note: {settings.postmark_notice})" if settings.postmark_notice else None,
        "gate (Root placeholder)",
        f"pre-flight: profile {profile} must be account {infra.account}",
        f"gate (Root unchanged): cdk synth {ROOT_DNS_STACK_NAME}; compare with the deployed one",
        f"gate (failed first deploy): stack {corporate_mail_stack_name()}, zone {corporate_zone_name()}",
        f"cdk diff {corporate_mail_stack_name()}; cdk diff {FREE_KANBAN_TOOL_STACK_NAME} (shown)",
        "(confirmed by --yes, after the diffs)" if assume_yes else f"(type '{CORPORATE_SLUG}' to confirm)",
        f"op read --no-newline {corporate_postmark_op_reference()}   # masked; the token rule",
        f"register {corporate_zone_name()} on {CORPORATE.postmark_account.value}"
        + ("; start a DKIM rotation" if rotate else "")
        + f"; write {corporate_context_key()} (changed: the diffs again, confirmed again)",
        f"find or create the Postmark server {FREE_KANBAN_TOOL_SERVER_NAME}",
        f"cdk deploy {corporate_mail_stack_name()} --parameters {FREE_KANBAN_TOOL_SERVER_TOKEN_PARAMETER}=***",
        f"cdk deploy {FREE_KANBAN_TOOL_STACK_NAME} --exclusively",
        f"verify DKIM and Return-Path of {corporate_zone_name()}",
        (
            f"record the rotation state in {corporate_context_key()}; if that changes its records: "
            f"the diffs, confirmation and cdk deploy {corporate_mail_stack_name()} again"
        )
        if rotate
        else None,
    ):
        if line:
            print(f"  {line}")


def _diffs_and_confirmation(log: RunLog, env: dict[str, str], assume_yes: bool) -> None:
    for stack in (corporate_mail_stack_name(), FREE_KANBAN_TOOL_STACK_NAME):
        diff(log, stack, CORPORATE_CONTEXT, env)
    try:
        typed_confirmation(
            CORPORATE_SLUG,
            f"Deploying the corporate mail domain {corporate_zone_name()} (PostmarkProd; the diffs are above).",
            assume_yes=assume_yes,
            log=log,
            what="corporate deploy",
        )
    except NotConfirmed as exc:
        raise Stop(str(exc)) from None


def _block() -> Any:
    return read_context(PROJECT_CONTEXT_FILE).get(corporate_context_key())


def _previous() -> PartitionMailContext | None:
    try:
        return parse_context_block(corporate_context_key(), _block(), "")
    except PlatformError:
        return None


def _flow(log: RunLog, args: argparse.Namespace, settings: Settings, profile: str, root_profile: str) -> None:
    infra = corporate_infrastructure()
    gate(log, "Root placeholder", gates.root_placeholder)
    session = preflight(
        log,
        what=f"{infra.name} (the corporate instance group)",
        account=infra.account,
        profile=profile,
        region=infra.region,
    )
    synthesized = synth_root(log)
    root = session if root_profile == profile else root_session(root_profile)
    gate(log, "Root unchanged", lambda: gates.root_unchanged(synthesized, root, root_profile))
    gate(
        log,
        "failed first deploy",
        lambda: gates.failed_first_deploy_of(
            session,
            stack=corporate_mail_stack_name(),
            zone=corporate_zone_name(),
            secrets=(free_kanban_tool_server_token_secret_name(),),
            what="the corporate instance group",
            profile=profile,
            region=infra.region,
        ),
    )
    env = cdk_cli.aws_env(profile, infra.region)
    _diffs_and_confirmation(log, env, args.yes)
    tokens = Tokens(log, settings.op_timeout)
    token = tokens.get(corporate_postmark_op_reference())
    block_before = _block()
    target = corporate_sending_domain()
    with log.step(f"register {corporate_zone_name()}") as outcome:
        try:
            with PostmarkServerAdmin(token, base_url=settings.postmark_url) as client:
                register_and_record(
                    client,
                    target,
                    PROJECT_CONTEXT_FILE,
                    CORPORATE.postmark_account.value,
                    fix_return_path=args.fix_return_path,
                    rotate=args.rotate_dkim,
                    previous=_previous(),
                )
                server = client.find_server(FREE_KANBAN_TOOL_SERVER_NAME)
                if server is None:
                    server = client.create_server(FREE_KANBAN_TOOL_SERVER_NAME)
                    logger.info(f"Postmark server {server.name} created (id {server.id})")
                else:
                    logger.info(f"Postmark server {server.name} found (id {server.id})")
        except (PostmarkError, RegistrationError, PlatformError, OSError) as exc:
            outcome.append(EXIT_FAILED)
            raise Stop(str(exc)) from None
        if not server.api_tokens:
            outcome.append(EXIT_FAILED)
            raise Stop(f"Postmark server {server.name} has no API token; add one in Postmark and re-run")
        server_token = server.api_tokens[0]  # redacted since PostmarkServer.from_api read it
        outcome.append(0)
    if _block() != block_before:
        log.say(f"the registration changed {target.context_key}: the diffs to confirm are now these")
        _diffs_and_confirmation(log, env, args.yes)
    _deploy_corporate_mail(log, env, server_token)
    deploy(log, FREE_KANBAN_TOOL_STACK_NAME, CORPORATE_CONTEXT, env, None, extra=("--exclusively",))
    with log.step(f"verify Postmark {corporate_zone_name()}") as outcome:
        try:
            with PostmarkServerAdmin(
                token, base_url=settings.postmark_url, deadline_seconds=settings.verify_deadline + 30
            ) as client:
                verification = verify_domain(
                    client,
                    corporate_zone_name(),
                    CORPORATE_CLI_COMMAND,
                    deadline_seconds=settings.verify_deadline,
                )
        except PostmarkError as exc:
            outcome.append(EXIT_FAILED)
            raise Stop(str(exc)) from None
        logger.info(render(verification, CORPORATE.postmark_account.value))
        outcome.append(0 if verification.verified else EXIT_FAILED)
    if not verification.verified:
        raise Stop(f"{corporate_zone_name()} is deployed but not verified in Postmark yet (see above)")
    if args.rotate_dkim:  # the new key signs now: record it, and deploy only if that changed records
        previous = _previous()
        with log.step("record the DKIM rotation state") as outcome:
            try:
                with PostmarkServerAdmin(token, base_url=settings.postmark_url) as client:
                    registration = register_domain(client, target, fix_return_path=False, previous=previous)
                put_context_block(PROJECT_CONTEXT_FILE, target.context_key, registration.context)
                logger.info(f"DKIM rotation state at end: {registration.state.describe()}")
            except (PostmarkError, RegistrationError, PlatformError, OSError) as exc:
                outcome.append(EXIT_FAILED)
                raise Stop(str(exc)) from None
            outcome.append(0)
        if previous is None or registration.context.published() != previous.published():
            log.say(f"recording the rotation changed the records of {target.context_key}")
            _diffs_and_confirmation(log, env, args.yes)
            _deploy_corporate_mail(log, env, server_token)


def _deploy_corporate_mail(log: RunLog, env: dict[str, str], server_token: str) -> None:
    deploy(
        log,
        corporate_mail_stack_name(),
        CORPORATE_CONTEXT,
        env,
        (FREE_KANBAN_TOOL_SERVER_TOKEN_PARAMETER, server_token),
        extra=("--exclusively",),
    )


def _log_path(settings: Settings) -> Path:
    return settings.log_dir / f"corporate-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}.log"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = read_settings(os.environ)
    except SettingError as exc:
        logger.error(str(exc))
        return EXIT_USAGE
    infra = corporate_infrastructure()
    profile = args.profile or infra.default_profile
    root_profile = args.root_profile or root_infrastructure().default_profile
    if args.dry_run:
        _plan(settings, profile, args.yes, args.rotate_dkim)
        return 0
    try:
        log = RunLog(_log_path(settings)).open()
    except RunLogUnavailable as exc:
        logger.error(str(exc))
        return EXIT_USAGE
    try:
        log.say(f"corporate-cli ({infra.name}); log: {log.path}")
        if settings.postmark_notice:
            log.say(f"note: {settings.postmark_notice}")
        if args.yes:
            log.say("--yes given: the typed confirmation is skipped (diffs are still shown)")
        try:
            _flow(log, args, settings, profile, root_profile)
        except Stop as exc:
            report(exc)
            log.say(f"summary: FAILED, exit {exc.code}")
            return exc.code
        log.say(
            f"summary: {corporate_mail_stack_name()} and {FREE_KANBAN_TOOL_STACK_NAME} deployed; "
            f"{corporate_zone_name()} verified"
        )
        return 0
    finally:
        log.close()


if __name__ == "__main__":
    run_tool(main)

"""amm.sh's body: the operator flow that deploys partition mail stacks, and the Root stack.

    ./amm.sh [options] <infrastructure> (<partition> | --all-partitions)   (amm.sh sets up the toolchain)

For partitions: registry check, settings check, the Root placeholder gate, the AWS
pre-flight, the delegation and Root-unchanged gates; then per partition, in rollout order:
the failed-first-deploy gate, the cascade gate, the production diff and typed confirmation,
`op read` (masked, the token rule; only once every gate has passed, so a refused run never
reads a secret), Postmark's DKIM rotation state (Postmark unreachable or refusing stops
here, before the pre-deploy repeats the same call), pre-deploy, `cdk deploy`, Postmark
verification. A partition that fails stops the partitions of the run that depend on it in
the cascade.
`./amm.sh PlatformRoot` deploys the Root stack: diff, typed confirmation, deploy, and the
Root-unchanged gate. Every step is logged (start, end, exit code, duration) to the console
and a token-free run log.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from platform_lib.context_store import PROJECT_CONTEXT_FILE, read_context
from platform_lib.errors import PlatformError
from platform_lib.mail_context import parse_mail_context
from platform_lib.naming import (
    POSTMARK_ACCOUNT_TOKEN_PARAMETER,
    ROOT_DNS_STACK_NAME,
    ExportKey,
    amm_command,
    context_key,
    export_name,
    partition_zone_name,
    root_delegation_role_arn,
    stack_name,
)
from platform_lib.placement import postmark_domain_placement, sending_domain_placement
from platform_lib.postmark import postmark_credential_op_reference
from platform_lib.registry import (
    Infrastructure,
    InfrastructureRole,
    Partition,
    active_partitions,
    cascade_prerequisites,
    depends_on,
    get_infrastructure,
    get_partition_on,
    infrastructure_of,
    requires_production_confirmation,
    root_infrastructure,
)
from tools import register_partition_mail_signature, verify_partition_mail
from tools.aws import cdk as cdk_cli
from tools.aws.hosted_zone import stack_zone_delegation_set
from tools.aws.session import AwsProblem, caller_account, session_for
from tools.cli.arguments import ToolArgumentParser, visible
from tools.cli.entry import run_tool
from tools.cli.run_log import RunLog, RunLogUnavailable
from tools.dns.probe import DEFAULT_RESOLVER, ResolverAddress, parse_resolver
from tools.drift.core import HostedNameServers
from tools.drift.expected import DriftConfigError
from tools.operator import gates
from tools.operator.cascade import verify_live
from tools.operator.confirm import NotConfirmed, typed_confirmation
from tools.operator.settings import SettingError, Settings, read_settings
from tools.operator.steps import Stop, Tokens, deploy, gate, preflight, report, root_session, synth_root
from tools.postmark.client import ANNOUNCED_ENV_VAR, PostmarkClient, PostmarkError
from tools.postmark.rotation import DkimStateError, dkim_state
from tools.secrets import logger
from tools.secrets.account_token import TOKEN_ENV_VAR

EXIT_FAILED, EXIT_USAGE = 1, 2
CASCADE_TIMEOUT_SECONDS = 10.0

USAGE = """usage: ./amm.sh [--profile NAME] [--region R] [--root-profile NAME] [--resolver IP[:PORT]]
               [--skip-cascade REASON] [--rotate-dkim] [--dry-run] [--yes]
               <infrastructure> (<partition> | --all-partitions)"""
DESCRIPTION = """\
Deploys the partition mail stack of <partition> on <infrastructure>, or with
--all-partitions of every active partition of <infrastructure> in rollout order; `./amm.sh
PlatformRoot` deploys the Root stack. Gates run before anything changes: the PlatformRoot
account is set, the Root delegation role works, the deployed Root stack equals this
checkout's, no failed first deploy is in the way, and every partition earlier in the
cascade is verified live; a production partition shows its `cdk diff` before the typed
confirmation."""
EPILOG = """\
environment (checked before anything changes): AMM_VERIFY_DEADLINE_SECONDS (default 300)
bounds the Postmark verification poll; AMM_OP_TIMEOUT_SECONDS (default 30) bounds each
`op read`; AMM_LOG_DIR (default ./logs) is where the token-free run log goes;
POSTMARK_API_URL (default https://api.postmarkapp.com; plain http only to loopback).

exit status: 0 every partition deployed and verified; otherwise the first failure's code
(1 a gate, step or verification failed; 2 usage or setting error; 130 interrupted)."""


def _parser() -> ToolArgumentParser:
    parser = ToolArgumentParser(
        prog="./amm.sh",
        usage=USAGE.removeprefix("usage: "),
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("infrastructure", help="infrastructure name, e.g. Alpha002, or PlatformRoot")
    parser.add_argument("partition", nargs="?", help="active partition on that infrastructure, e.g. dev")
    parser.add_argument(
        "--all-partitions",
        action="store_true",
        help="deploy every active partition of <infrastructure> in rollout order (instead of naming one)",
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        type=visible,
        help="AWS profile (default: the registry's for the infrastructure)",
    )
    parser.add_argument(
        "--region",
        metavar="R",
        type=visible,
        help="AWS region (default: the registry's for the infrastructure)",
    )
    parser.add_argument(
        "--root-profile",
        metavar="NAME",
        type=visible,
        help="AWS profile of the PlatformRoot account, to read the deployed Root stack (default: the registry's)",
    )
    parser.add_argument(
        "--resolver",
        metavar="IP[:PORT]",
        default=DEFAULT_RESOLVER,
        help=f"DNS resolver the cascade gate asks (default {DEFAULT_RESOLVER})",
    )
    parser.add_argument(
        "--skip-cascade",
        metavar="REASON",
        type=visible,
        help="deploy without the earlier partitions verified live; REASON goes into the run log and summary",
    )
    parser.add_argument(
        "--rotate-dkim",
        action="store_true",
        help="rotate the partition's DKIM key: rotate, publish both keys, deploy, verify (one partition only)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the ordered plan (token shown as ***) and contact nothing",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="skip typing the name that production partitions and the Root stack require (the diff is still shown)",
    )
    return parser


@dataclass
class Run:
    """Everything one invocation decided before it starts changing things."""

    args: argparse.Namespace
    infrastructure: Infrastructure
    partitions: list[Partition]
    profile: str
    region: str
    root_profile: str
    resolver: ResolverAddress
    settings: Settings
    log: RunLog
    outcomes: dict[str, str] = field(default_factory=dict)
    tokens: Tokens = field(default_factory=lambda: Tokens(RunLog(None), 1.0))
    sessions: dict[str, boto3.Session] = field(default_factory=dict)  # by infrastructure name

    @property
    def assume_yes(self) -> bool:
        return bool(self.args.yes)

    @property
    def rotate_dkim(self) -> bool:
        return bool(self.args.rotate_dkim)

    @property
    def skip_cascade(self) -> str | None:
        reason: str | None = self.args.skip_cascade
        return reason


# ---- set-up ----------------------------------------------------------------------------------
def _blank(value: str | None) -> bool:
    return value is not None and not value.strip()


def _selected(
    infrastructure: str, partition: str | None, every: bool
) -> tuple[Infrastructure, list[Partition]]:
    """What the run deploys. Every partition only when asked for by name (--all-partitions):
    a missing partition is never read as "all of them" (prod included)."""
    infra = get_infrastructure(infrastructure)
    if infra.role is InfrastructureRole.ROOT_DNS:
        if partition is not None or every:
            raise PlatformError(
                f"{infra.name} hosts no partitions; deploy its Root stack with `./amm.sh {infra.name}`"
            )
        return infra, []
    if partition is not None and every:
        raise PlatformError(
            f"name one partition or pass --all-partitions, not both (partition {partition!r})"
        )
    if partition is not None:
        return infra, [get_partition_on(infra.name, partition)]
    names = ", ".join(p.name for p in active_partitions(infra.name)) or "(none)"
    if not every:
        raise PlatformError(
            f"name the partition of {infra.name} to deploy ({names}), or pass --all-partitions to deploy "
            "them all in rollout order"
        )
    return infra, active_partitions(infra.name)


def _log_path(settings: Settings, infrastructure: str, partition: str | None) -> Path:
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}"
    suffix = f"-{partition}" if partition else ""
    return settings.log_dir / f"amm-{run_id}-{infrastructure}{suffix}.log"


# ---- the plan (--dry-run) --------------------------------------------------------------------
def _plan(run: Run) -> None:
    infra = run.infrastructure
    print(f"plan for {infra.name} (profile {run.profile}, region {run.region}); nothing will be contacted:")

    def step(text: str) -> None:
        print(f"  {text}")

    if run.settings.postmark_notice:
        step(f"(note: {run.settings.postmark_notice})")
    try:
        placeholder = gates.root_placeholder()
    except gates.GateRefused as exc:
        placeholder = f"REFUSED NOW: {exc}"
    step(f"gate (Root placeholder): {placeholder}")
    root = root_infrastructure()
    if infra.role is InfrastructureRole.ROOT_DNS:
        step(f"pre-flight: profile {run.profile} must be account {root.account}")
        step(f"cdk synth {ROOT_DNS_STACK_NAME} into a cloud assembly; cdk diff of that assembly (shown)")
        step(
            "(type 'PlatformRoot' to confirm)"
            if not run.assume_yes
            else "(confirmed by --yes, after the diff)"
        )
        step(
            f"cdk deploy {ROOT_DNS_STACK_NAME} --app <that assembly> --require-approval never --progress events"
        )
        step(f"gate (Root unchanged): the deployed {ROOT_DNS_STACK_NAME} equals the synthesized one")
        return
    step(f"pre-flight: profile {run.profile} must be account {infra.account}")
    step(f"gate (delegation): assume {root_delegation_role_arn()} and find ardamails.com")
    step(
        f"gate (Root unchanged): cdk synth {ROOT_DNS_STACK_NAME}; compare with the deployed one (profile {run.root_profile})"
    )
    for partition in run.partitions:
        print(f"partition {partition.name}:")
        step(f"gate (failed first deploy): stack {stack_name(partition)}, zone and key secret")
        needs = ", ".join(p.name for p in cascade_prerequisites(partition))
        if not needs:
            step(f"gate (cascade): {partition.name} is first in the cascade")
        elif run.skip_cascade is not None:
            step(f"gate (cascade): SKIPPED ({run.skip_cascade}); would need {needs} verified live")
        else:
            step(f"gate (cascade): {needs} verified live (Postmark, DNS via {run.resolver})")
        if requires_production_confirmation(partition.name):
            step(f"cdk diff {stack_name(partition)} -c partition={partition.name} --method template (shown)")
            step(
                "(production: confirmed by --yes, after the diff)"
                if run.assume_yes
                else f"(production: type '{partition.name}' to confirm)"
            )
        step(
            f"op read --no-newline {postmark_credential_op_reference(partition.name)}   "
            f"# within {run.settings.op_timeout:g} s; masked; the token rule"
        )
        step("DKIM rotation state at start (Postmark unreachable or refusing: stop here)")
        rotate = " --rotate-dkim" if run.rotate_dkim else ""
        step(
            "POSTMARK_ACCOUNT_TOKEN=*** python -m tools.register_partition_mail_signature "
            f"{infra.name} {partition.name}{rotate}"
        )
        step(
            f"cdk deploy {stack_name(partition)} -c partition={partition.name} --require-approval never --progress events "
            "--parameters PostmarkAccountToken=***   # via scripts/cdk-with-secret-parameter.cjs: the token stays off every command line"
        )
        step(
            f"POSTMARK_ACCOUNT_TOKEN=*** python -m tools.verify_partition_mail {infra.name} {partition.name} "
            f"--deadline {run.settings.verify_deadline:g}"
        )
        if run.rotate_dkim:
            step("pre-deploy again: record that the new key signs and the old one is revoked (same records)")


# ---- gates and steps -------------------------------------------------------------------------
def _gate(run: Run, name: str, check: Callable[[], str]) -> None:
    gate(run.log, name, check)


def _preflight(run: Run, account: str, profile: str) -> boto3.Session:
    return preflight(
        run.log, what=run.infrastructure.name, account=account, profile=profile, region=run.region
    )


def _token(run: Run, partition: Partition) -> str:
    """The partition's token from its own 1Password reference (once per run)."""
    return run.tokens.get(postmark_credential_op_reference(partition.name))


def _infrastructure_session(run: Run, infrastructure: Infrastructure) -> tuple[boto3.Session, str]:
    """(session, profile) of an infrastructure: the run's own, or the registry's default
    profile checked to be that account (an earlier partition may live in another account)."""
    profile = (
        run.profile if infrastructure.name == run.infrastructure.name else infrastructure.default_profile
    )
    if infrastructure.name not in run.sessions:
        session = session_for(profile, infrastructure.region)
        found = caller_account(session, profile)
        if found != infrastructure.account:
            raise AwsProblem(
                f"AWS profile {profile!r} is account {found}, not {infrastructure.name}'s {infrastructure.account}; "
                f"configure profile {profile} for account {infrastructure.account}"
            )
        run.sessions[infrastructure.name] = session
    return run.sessions[infrastructure.name], profile


def _hosted_name_servers(run: Run, partition: Partition) -> HostedNameServers:
    """How the cascade reads `partition`'s hosted zone delegation set (in its own account)."""

    def read(_: object) -> frozenset[str]:
        session, profile = _infrastructure_session(run, infrastructure_of(partition))
        return stack_zone_delegation_set(
            session,
            stack=stack_name(partition),
            export=export_name(partition, ExportKey.PARTITION_MAIL_ZONE_ID),
            zone=partition_zone_name(partition),
            profile=profile,
        )

    return read


def _cascade(run: Run, partition: Partition) -> None:
    needed = cascade_prerequisites(partition)
    if not needed:
        run.log.say(f"gate (cascade): ok - {partition.name} is first in the cascade")
        return
    if run.skip_cascade is not None:
        run.log.say(
            f"gate (cascade): SKIPPED by --skip-cascade ({run.skip_cascade}); "
            f"{', '.join(p.name for p in needed)} not checked"
        )
        return
    problems: list[str] = []
    unverified: list[Partition] = []
    for earlier in needed:
        token = _token(run, earlier)
        verdict = verify_live(
            earlier,
            token,
            base_url=run.settings.postmark_url,
            resolver=run.resolver,
            context_file=PROJECT_CONTEXT_FILE,
            timeout=CASCADE_TIMEOUT_SECONDS,
            hosted_ns=_hosted_name_servers(run, earlier),
        )
        if verdict.verified:
            run.log.say(
                f"gate (cascade): {earlier.name} verified live (Postmark: DKIM and Return-Path verified; "
                f"DNS via {run.resolver}: NS = its hosted zone's delegation set, SPF, DMARC, DKIM, Return-Path)"
            )
        else:
            run.log.say(f"gate (cascade): {earlier.name} NOT verified live")
            unverified.append(earlier)
            problems += [f"{earlier.name}: {problem}" for problem in verdict.problems]
    if unverified:
        first = unverified[0]
        raise Stop(
            f"{partition.name} needs {', '.join(p.name for p in needed)} verified live first; {first.name} is "
            f"not: deploy and verify it (`{amm_command(first)}`), or pass "
            "--skip-cascade REASON",
            details=problems,
        )


def _context_block(partition: Partition) -> Any:
    return read_context(PROJECT_CONTEXT_FILE).get(context_key(partition))


def _production_diff_and_confirmation(
    run: Run, partition: Partition, env: Mapping[str, str], again: bool
) -> None:
    stack = stack_name(partition)
    if again:
        run.log.say(
            f"the pre-deploy step changed {context_key(partition)}: the diff to confirm is now this one"
        )
    try:
        cdk_cli.diff(run.log, stack, cdk_cli.partition_context(partition), env)
    except cdk_cli.CdkFailed as exc:
        raise Stop(str(exc), exc.code) from None
    try:
        typed_confirmation(
            partition.name,
            f"Deploying production partition {partition.name} (the diff is above).",
            assume_yes=run.assume_yes,
            log=run.log,
            what="production deploy",
        )
    except NotConfirmed as exc:
        raise Stop(str(exc)) from None


def _step_env(token: str) -> dict[str, str]:
    return {**os.environ, TOKEN_ENV_VAR: token, ANNOUNCED_ENV_VAR: "1"}


def _deploy_partition(run: Run, partition: Partition, session: boto3.Session) -> None:
    infra = run.infrastructure
    _gate(
        run,
        "failed first deploy",
        lambda: gates.failed_first_deploy(session, partition, run.profile, run.region),
    )
    _cascade(run, partition)
    env = cdk_cli.aws_env(run.profile, run.region)
    production = requires_production_confirmation(partition.name)
    if production:
        _production_diff_and_confirmation(run, partition, env, again=False)
    token = _token(run, partition)
    run.log.say(f"DKIM rotation state at start: {_rotation_state(run, partition, token, strict=True)}")
    block_before = _context_block(partition)
    _pre_deploy(run, partition, token, rotate=run.rotate_dkim)
    if production and _context_block(partition) != block_before:
        _production_diff_and_confirmation(run, partition, env, again=True)
    _cdk_deploy(run, partition, env, token)
    with run.log.step(f"verify Postmark {partition.name}") as outcome:
        outcome.append(
            verify_partition_mail.main(
                [infra.name, partition.name, "--deadline", f"{run.settings.verify_deadline:g}"],
                _step_env(token),
            )
        )
    if outcome[-1] != 0:
        raise Stop(f"{partition.name} is deployed but not verified in Postmark yet (see above)", outcome[-1])
    if run.rotate_dkim:
        # The new key verified: Postmark now signs with it and the old one is revoked. Record
        # that in the block; the records (and so the template) stay the same.
        published_before = _published(partition)
        _pre_deploy(run, partition, token, rotate=False)
        if _published(partition) != published_before:
            if production:
                _production_diff_and_confirmation(run, partition, env, again=True)
            _cdk_deploy(run, partition, env, token)
    run.log.say(f"DKIM rotation state at end: {_rotation_state(run, partition, token)}")


def _pre_deploy(run: Run, partition: Partition, token: str, *, rotate: bool) -> None:
    infra = run.infrastructure
    argv = [infra.name, partition.name, *(["--rotate-dkim"] if rotate else [])]
    name = f"pre-deploy {infra.name} {partition.name}" + (" --rotate-dkim" if rotate else "")
    with run.log.step(name) as outcome:
        outcome.append(register_partition_mail_signature.main(argv, _step_env(token)))
    if outcome[-1] != 0:
        raise Stop(
            f"the pre-deploy step of {partition.name} failed (exit {outcome[-1]}); nothing was deployed",
            outcome[-1],
        )


def _cdk_deploy(run: Run, partition: Partition, env: Mapping[str, str], token: str) -> None:
    deploy(
        run.log,
        stack_name(partition),
        cdk_cli.partition_context(partition),
        env,
        (POSTMARK_ACCOUNT_TOKEN_PARAMETER, token),
    )


def _published(partition: Partition) -> frozenset[tuple[str, str, str]] | None:
    try:
        return parse_mail_context(partition, _context_block(partition)).published()
    except PlatformError:
        return None


def _rotation_state(run: Run, partition: Partition, token: str, *, strict: bool = False) -> str:
    """Postmark's DKIM rotation state of the partition's domain, for the run log. `strict`
    (at the start): a Postmark failure stops the partition, as the pre-deploy's same first
    call would a moment later; after the deploy it is said, not fatal."""
    name = postmark_domain_placement(partition.name).postmark_domain_name
    try:
        with PostmarkClient(
            token, base_url=run.settings.postmark_url, timeout=10, deadline_seconds=30
        ) as client:
            domain_id = client.find_domain_id(name)
            if domain_id is None:
                return f"no Postmark domain {name} yet"
            return dkim_state(
                client.get_domain(domain_id), lambda s: sending_domain_placement(partition.name, s)
            ).describe()
    except PostmarkError as exc:
        if strict:
            raise Stop(f"{exc}; nothing was deployed") from None
        return f"unknown ({exc})"
    except DkimStateError as exc:
        return f"unknown ({exc})"


def _partitions_flow(run: Run) -> int:
    infra = run.infrastructure
    _gate(run, "Root placeholder", gates.root_placeholder)
    session = _preflight(run, infra.account, run.profile)
    run.sessions[infra.name] = session
    _gate(run, "delegation", lambda: gates.delegation(session, run.profile, infra))
    synthesized = synth_root(run.log)
    root = root_session(run.root_profile)
    _gate(run, "Root unchanged", lambda: gates.root_unchanged(synthesized, root, run.root_profile))
    final = 0
    failed: list[Partition] = []
    for partition in run.partitions:
        blocker = next((f for f in failed if depends_on(partition, f)), None)
        if blocker is not None:
            run.outcomes[partition.name] = f"SKIPPED: needs {blocker.name}, which failed in this run"
            run.log.say(f"{partition.name}: not attempted: it needs {blocker.name}, which failed")
            final = final or EXIT_FAILED
            continue
        started = datetime.now(UTC)
        try:
            _deploy_partition(run, partition, session)
        except Stop as exc:
            report(exc)
            seconds = (datetime.now(UTC) - started).total_seconds()
            run.outcomes[partition.name] = f"FAILED, exit {exc.code} ({seconds:.0f} s)"
            failed.append(partition)
            final = final or exc.code
            continue
        seconds = (datetime.now(UTC) - started).total_seconds()
        run.outcomes[partition.name] = f"ok ({seconds:.0f} s)"
    return final


def _root_flow(run: Run) -> int:
    root = run.infrastructure
    _gate(run, "Root placeholder", gates.root_placeholder)
    session = _preflight(run, root.account, run.profile)
    with tempfile.TemporaryDirectory(prefix="amm-root-assembly-") as folder:
        return _root_deploy(run, session, Path(folder))


def _root_deploy(run: Run, session: boto3.Session, folder: Path) -> int:
    """Synthesize Root once; show, deploy and check that same cloud assembly."""
    root = run.infrastructure
    try:
        synthesized = cdk_cli.synth_root_template(run.log, folder)
    except cdk_cli.CdkFailed as exc:
        raise Stop(str(exc), exc.code) from None
    try:
        deployed = gates.deployed_root_template(session, run.profile)
    except gates.GateRefused as exc:
        raise Stop(str(exc)) from None
    if deployed == synthesized:
        run.log.say(
            f"gate (Root unchanged): ok - {ROOT_DNS_STACK_NAME} is already deployed as synthesized; nothing to do"
        )
        run.outcomes[ROOT_DNS_STACK_NAME] = "ok (unchanged)"
        return 0
    env = cdk_cli.aws_env(run.profile, run.region)
    try:
        cdk_cli.diff(run.log, ROOT_DNS_STACK_NAME, cdk_cli.assembly(folder), env)
        typed_confirmation(
            root.name,
            f"Deploying the Root stack {ROOT_DNS_STACK_NAME} (ardamails.com; the diff is above).",
            assume_yes=run.assume_yes,
            log=run.log,
            what="Root deploy",
        )
        cdk_cli.deploy(run.log, ROOT_DNS_STACK_NAME, cdk_cli.assembly(folder), env, None)
    except NotConfirmed as exc:
        raise Stop(str(exc)) from None
    except cdk_cli.CdkFailed as exc:
        raise Stop(str(exc), exc.code) from None
    _gate(run, "Root unchanged", lambda: gates.root_unchanged(synthesized, session, run.profile))
    run.outcomes[ROOT_DNS_STACK_NAME] = "ok (deployed)"
    return 0


def _summary(run: Run) -> None:
    run.log.say(f"summary for {run.infrastructure.name}:")
    if run.infrastructure.role is InfrastructureRole.ROOT_DNS:
        run.log.say(f"  {ROOT_DNS_STACK_NAME:<22} {run.outcomes.get(ROOT_DNS_STACK_NAME, 'not deployed')}")
        return
    for partition in run.partitions:
        outcome = run.outcomes.get(partition.name, "not attempted (the run stopped at a gate)")
        run.log.say(f"  {partition.name:<8} {stack_name(partition):<22} {outcome}")
    if run.skip_cascade is not None:
        run.log.say(f"  cascade gate skipped: {run.skip_cascade}")


# ---- entry -----------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if _blank(args.infrastructure) or _blank(args.partition):
        # An empty partition once read as "every partition" (prod included): never again.
        logger.error(
            "an empty or blank argument was given; name the infrastructure and partition (see ./amm.sh --help)"
        )
        return EXIT_USAGE
    dashed = [value for value in (args.infrastructure, args.partition) if value and value.startswith("-")]
    if dashed:
        logger.error(
            f"{dashed[0]!r} is an option, not a name; options go before the names (see ./amm.sh --help)"
        )
        return EXIT_USAGE
    if args.rotate_dkim and args.partition is None:
        logger.error(
            "--rotate-dkim rotates one partition's key: name the partition, e.g. ./amm.sh --rotate-dkim Alpha002 dev"
        )
        return EXIT_USAGE
    if args.skip_cascade is not None and not args.skip_cascade.strip():
        logger.error("--skip-cascade needs a reason, e.g. --skip-cascade 'dev verified by hand, ticket 123'")
        return EXIT_USAGE
    try:
        infra, partitions = _selected(args.infrastructure, args.partition, args.all_partitions)
        settings = read_settings(os.environ)
        resolver = parse_resolver(args.resolver)
    except (PlatformError, SettingError, DriftConfigError) as exc:
        logger.error(str(exc))
        return EXIT_USAGE
    root = root_infrastructure()
    run = Run(
        args=args,
        infrastructure=infra,
        partitions=partitions,
        profile=args.profile or infra.default_profile,
        region=args.region or infra.region,
        root_profile=args.root_profile or root.default_profile,
        resolver=resolver,
        settings=settings,
        log=RunLog(None),
    )
    if args.dry_run:
        _plan(run)
        return 0
    try:
        run.log = RunLog(_log_path(settings, infra.name, args.partition)).open()
    except RunLogUnavailable as exc:
        logger.error(str(exc))
        return EXIT_USAGE
    run.tokens = Tokens(run.log, settings.op_timeout)
    try:
        run.log.say(f"amm.sh {infra.name} {args.partition or '(all active partitions)'}; log: {run.log.path}")
        if settings.postmark_notice:
            run.log.say(f"note: {settings.postmark_notice}")
        if args.yes:
            run.log.say("--yes given: typed confirmations are skipped (diffs are still shown)")
        if run.skip_cascade is not None:
            run.log.say(f"--skip-cascade given: {run.skip_cascade}")
        try:
            code = _root_flow(run) if infra.role is InfrastructureRole.ROOT_DNS else _partitions_flow(run)
        except Stop as exc:
            report(exc)
            code = exc.code
        _summary(run)
        return code
    finally:
        run.log.close()


if __name__ == "__main__":
    run_tool(main)

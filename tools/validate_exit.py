"""Exit validation of the partition mail work, as PASS/FAIL rows ending in `N/M PASS`.

    python -m tools.validate_exit                       # pre-merge code checks
    python -m tools.validate_exit dev                   # pre-merge, synth narrowed to dev
    python -m tools.validate_exit dev --post-merge      # the deployed partition: AWS + DNS

Exit 0 when every row passes or only warns; 1 when any fails; 3 when none fails but one
could not be checked; 2 for bad usage or configuration.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from platform_lib.context_store import PROJECT_ROOT, read_context
from platform_lib.registry import active_partitions, get_infrastructure, get_partition
from platform_lib.sending_domain import partition_sending_domain
from tools.aws.deployment import Deployments, InfrastructureSessions
from tools.aws.session import AwsProblem
from tools.checks.catalogue import ExpectedDomain
from tools.checks.probes import OpenedOnFirstUse, PostmarkDirectory, Sources
from tools.cli.arguments import ToolArgumentParser, add_context_file_argument, seconds, visible
from tools.cli.contract import UsageError
from tools.cli.entry import exit_status, run_tool
from tools.cli.run_log import RunLog
from tools.dns.probe import DnsProbe, parse_resolver, system_resolver_address
from tools.exit_validation.post_merge import post_merge_checks
from tools.exit_validation.pre_merge import VENV_BIN, Runner, pre_merge_checks, run_command
from tools.exit_validation.results import CheckResult, exit_for, render_table
from tools.kube.kubectl import PartitionClusters
from tools.postmark.client import PostmarkClient, api_url_notice, postmark_api_url
from tools.runtime.urls import UnsafeUrl
from tools.secrets import logger
from tools.secrets.account_token import resolve_account_token

DNS_TIMEOUT_SECONDS = 5.0
POST_MERGE_PROBE_SECONDS = 30.0  # each probe: a DNS answer, a Postmark lookup, an AWS read

EPILOG = """\
modes:
  (no partition)            pre-merge: ruff check, ruff format --check, mypy, lint-imports,
                            shellcheck (amm.sh, scripts/, .ci/), ./scripts/test, and
                            ./scripts/synth with every active partition's stack in cdk.out
  <partition>               the same, with the synth narrowed to that partition
                            (./scripts/synth -c partition=<partition>)
  <partition> --post-merge  the deployed partition, read-only: stack status, NS delegation,
                            SPF, DMARC, DKIM, Return-Path, DMARC report authorization at
                            arda.cards, the Postmark domain (exists, DKIM and Return-Path
                            verified, its DKIM key = DNS), both secrets, the six exports,
                            and the encryption key projected into the partition's cluster
                            by External Secrets Operator (--kube-context NAME; without it
                            that row is NOT CHECKED); the Postmark token from
                            POSTMARK_ACCOUNT_TOKEN, else `op read`
  --post-merge alone        a usage error: name the partition

rows: PASS, FAIL, WARN (advisory: the DMARC report authorization at arda.cards, which this
project does not own; named in the summary, the exit status unchanged) or NOT CHECKED (a
probe failed or a tool is missing: never a pass).

exit status: 0 every row PASS or WARN, 1 any row FAIL, 3 no FAIL but a row NOT CHECKED,
2 usage or configuration error"""


def _parser() -> ToolArgumentParser:
    parser = ToolArgumentParser(
        prog="python -m tools.validate_exit",
        description=(
            "Exit validation: pre-merge code checks, or (--post-merge) the deployed partition's\n"
            "AWS and DNS state. Prints one PASS/FAIL row per check, then N/M PASS."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("partition", nargs="?", help="active partition, e.g. dev")
    parser.add_argument(
        "--post-merge", action="store_true", help="check the deployed partition (needs <partition>)"
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        type=visible,
        help="post-merge: AWS profile (default: the registry's for the partition's infrastructure)",
    )
    parser.add_argument(
        "--resolver",
        metavar="IP[:PORT]",
        help="post-merge: DNS resolver to ask (default: the system's first name server)",
    )
    parser.add_argument(
        "--dns-timeout",
        type=seconds,
        default=DNS_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"post-merge: seconds to wait for each DNS answer (default {DNS_TIMEOUT_SECONDS:g})",
    )
    parser.add_argument(
        "--kube-context",
        metavar="NAME",
        type=visible,
        help="post-merge: kubeconfig context of the partition's cluster, for the ESO row (read-only kubectl)",
    )
    parser.add_argument(
        "--kube-namespace",
        metavar="NAME",
        type=visible,
        help="post-merge: namespace of the partition's ExternalSecrets (default: the context's)",
    )
    add_context_file_argument(parser, "post-merge: the context the deploy used")
    parser.add_argument(
        "--skip-tests",
        action="store_true",
        help="pre-merge: leave out the ./scripts/test row (e.g. when CI has just run it)",
    )
    return parser


def _verdict(title: str, results: Sequence[CheckResult]) -> int:
    logger.info(render_table(title, results))
    return exit_for(results)


def _post_merge(args: argparse.Namespace) -> int:
    partition = get_partition(args.partition)
    infrastructure = get_infrastructure(partition.infrastructure)
    domain = partition_sending_domain(partition)
    expected = ExpectedDomain(domain, domain.block_in(read_context(args.context_file)))
    resolver = parse_resolver(args.resolver) if args.resolver else system_resolver_address()
    profile = args.profile or infrastructure.default_profile
    env = os.environ
    try:
        notice = api_url_notice(postmark_api_url(env), env)
    except UnsafeUrl:
        notice = None  # the Postmark rows report the unusable URL
    if notice:
        logger.note(notice)

    def open_postmark() -> PostmarkClient:
        token, source = resolve_account_token(partition, env)
        return PostmarkClient(token, base_url=postmark_api_url(env), token_source=source)

    sessions = InfrastructureSessions({infrastructure.name: profile})
    try:
        sessions.of(infrastructure.name)  # a profile that does not exist is a usage error
    except AwsProblem as exc:
        raise UsageError(str(exc)) from None
    contexts = {partition.name: args.kube_context} if args.kube_context else {}
    sources = Sources(
        DnsProbe(resolver, args.dns_timeout),
        PostmarkDirectory({partition.postmark_account: OpenedOnFirstUse(open_postmark)}),
        Deployments(sessions),
        PartitionClusters(contexts, args.kube_namespace),
    )
    title = (
        f"post-merge validation of {partition.name} ({infrastructure.name} {infrastructure.region}, "
        f"profile {profile}, resolver {resolver}):"
    )
    _progress(
        f"checking {partition.name}: AWS (profile {profile}), DNS (resolver {resolver}) and Postmark "
        f"({partition.postmark_account.value}) at once, each question up to {POST_MERGE_PROBE_SECONDS:g} s"
    )
    with PROGRESS.ticking(f"validate-exit: still waiting for AWS, DNS and Postmark about {partition.name}"):
        results = post_merge_checks(expected, sources, timeout=POST_MERGE_PROBE_SECONDS)
    return _verdict(title, results)


PROGRESS = RunLog(None, to_stderr=True)  # progress on stderr: stdout is the table


def _progress(line: str) -> None:
    PROGRESS.say(f"validate-exit: {line}")


def _ticking(runner: Runner) -> Runner:
    """A row's command, with a line saying it still runs (each second on a terminal)."""

    def run(argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        with PROGRESS.ticking(f"validate-exit: still running {Path(argv[0]).name}"):
            return runner(argv, cwd)

    return run


def _pre_merge(args: argparse.Namespace, root: Path, runner: Runner, bin_dir: Path) -> int:
    narrowed = args.partition is not None
    partitions = [get_partition(args.partition)] if narrowed else active_partitions()
    results = pre_merge_checks(
        partitions,
        narrowed=narrowed,
        run_tests=not args.skip_tests,
        root=root,
        bin_dir=bin_dir,
        runner=_ticking(runner),
        progress=_progress,
    )
    scope = f"partition {args.partition}" if narrowed else "every active partition"
    return _verdict(f"pre-merge validation ({scope}):", results)


def _check_usage(args: argparse.Namespace) -> None:
    """Options that belong to the other mode are refused rather than silently ignored."""
    if args.post_merge and not args.partition:
        raise UsageError(
            "--post-merge needs a partition, e.g. `python -m tools.validate_exit dev --post-merge`"
        )
    if args.post_merge and args.skip_tests:
        raise UsageError("--skip-tests is a pre-merge option; --post-merge runs no tests")
    if not args.post_merge and (args.profile or args.resolver or args.kube_context or args.kube_namespace):
        raise UsageError(
            "--profile, --resolver, --kube-context and --kube-namespace need --post-merge (without it the "
            "pre-merge code checks run)"
        )


def main(
    argv: Sequence[str] | None = None,
    *,
    root: Path = PROJECT_ROOT,
    runner: Runner = run_command,
    bin_dir: Path = VENV_BIN,
) -> int:
    """The CLI; `root`, `runner` and `bin_dir` let tests run pre-merge without subprocesses."""

    def validate() -> int:
        args = _parser().parse_args(argv)
        _check_usage(args)
        return _post_merge(args) if args.post_merge else _pre_merge(args, root, runner, bin_dir)

    return exit_status(validate)


if __name__ == "__main__":
    run_tool(main)

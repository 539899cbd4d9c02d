"""The command line both drift drivers share: options, configuration checks, exit codes.

Exit codes (`STATUS_HELP`): 0 clean (warnings allowed), 1 drift found, 3 could not check (no
drift, but a probe failed: Postmark unreachable or refusing the token, a DNS timeout), 2
usage or configuration error (missing token variable, malformed context, bad --resolver,
GitHub issue failure). With `--open-issue`, drift files (or comments on) the drift issue and
"could not check" its own issue, so an outage never reads as drift.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from platform_lib.context_store import PROJECT_CONTEXT_FILE
from platform_lib.registry import PostmarkAccount
from tools.checks.catalogue import ExpectedDomain
from tools.checks.probes import PostmarkDirectory, PostmarkDomainsApi, Sources
from tools.checks.report import DEFAULT_TIMEOUT_SECONDS, DEFAULT_WORKERS, CheckReport, evaluate
from tools.cli.arguments import ToolArgumentParser, check_report_path, port, seconds
from tools.cli.contract import ExitStatus, OperatorError
from tools.cli.entry import exit_status, run_tool
from tools.dns.probe import AUTHORITATIVE_PORT, DEFAULT_RESOLVER, DnsProbe, parse_resolver
from tools.drift.expected import DriftConfigError
from tools.drift.render import render_json, render_markdown, render_table
from tools.github.issues import GitHubIssues, GitHubSearchIncomplete, GitHubSettings
from tools.postmark.client import (
    DEFAULT_POSTMARK_API_URL,
    PostmarkClient,
    PostmarkLimits,
    api_url_notice,
    postmark_api_url,
)
from tools.secrets import logger
from tools.secrets.account_token import accepted_token
from tools.secrets.token_rule import TokenRejected

STATUS_HELP = """\
exit status: 0 clean (warnings, e.g. the DMARC report authorization, are shown and allowed);
1 drift found; 3 could not check (no drift found, but a probe failed: Postmark unreachable or
refusing a token, a DNS timeout); 2 usage or configuration error."""


@dataclass(frozen=True)
class DriverSpec:
    tool: str  # e.g. "runtime-platform-drift"
    module: str  # e.g. "tools.runtime_platform_drift"
    description: str
    issue_title: str  # the drift issue
    could_not_check_title: str  # the issue for a run that could not check
    issue_labels: tuple[str, ...]
    accounts: tuple[PostmarkAccount, ...]  # whose token variables its --help names
    build_expected: Callable[[argparse.Namespace], list[ExpectedDomain]]
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None


def _epilog(spec: DriverSpec) -> str:
    variables = "\n".join(
        f"  {account.token_env_var:<32} the {account.value} account token" for account in spec.accounts
    )
    return (
        f"environment:\n{variables}\n  POSTMARK_API_URL                 Postmark's API (default "
        f"{DEFAULT_POSTMARK_API_URL})\n  GITHUB_TOKEN, GITHUB_REPOSITORY  with --open-issue\n\n{STATUS_HELP}"
    )


def _parser(spec: DriverSpec) -> ToolArgumentParser:
    parser = ToolArgumentParser(
        prog=f"python -m {spec.module}",
        description=spec.description,
        epilog=_epilog(spec),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--resolver",
        default=DEFAULT_RESOLVER,
        metavar="IP[:PORT]",
        help=f"DNS resolver to query (default {DEFAULT_RESOLVER})",
    )
    parser.add_argument(
        "--authoritative-port",
        type=port,
        default=AUTHORITATIVE_PORT,
        metavar="PORT",
        help="port the parent zone's name servers answer on when asked who a zone is delegated to "
        f"(default {AUTHORITATIVE_PORT}; another only for a lab DNS server)",
    )
    parser.add_argument(
        "--context-file",
        type=Path,
        default=PROJECT_CONTEXT_FILE,
        metavar="PATH",
        help="cdk.context.json to read expectations from (default: the project's)",
    )
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"time limit of each probe (default {DEFAULT_TIMEOUT_SECONDS:g})",
    )
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    parser.add_argument(
        "--markdown",
        metavar="PATH",
        help="also write the Markdown report to PATH (appended; '-' for stdout), e.g. $GITHUB_STEP_SUMMARY",
    )
    parser.add_argument(
        "--open-issue",
        action="store_true",
        help="on drift, open a labelled GitHub issue (or comment on the open one); "
        "needs GITHUB_TOKEN and GITHUB_REPOSITORY, optional GITHUB_API_URL",
    )
    if spec.add_arguments:
        spec.add_arguments(parser)
    return parser


def account_tokens(expected: Sequence[ExpectedDomain], env: Mapping[str, str]) -> dict[PostmarkAccount, str]:
    """The token of every Postmark account the expected domains live on, under the token rule
    and registered for redaction (masked first under GitHub Actions)."""
    tokens: dict[PostmarkAccount, str] = {}
    for account in dict.fromkeys(e.domain.postmark_account for e in expected):
        raw = env.get(account.token_env_var, "")
        if not raw:
            users = ", ".join(e.zone_name for e in expected if e.domain.postmark_account is account)
            raise DriftConfigError(
                f"{account.token_env_var} is not set (the {account.value} token, needed for {users})"
            )
        try:
            tokens[account] = accepted_token(
                raw, source=account.token_env_var, fix=f"set it to the {account.value} account token alone"
            )
        except TokenRejected as exc:  # drift's token variables are its configuration
            raise DriftConfigError(str(exc)) from None
    return tokens


def _emit(report: CheckReport, args: argparse.Namespace) -> None:
    print(render_json(report) if args.json else render_table(report))
    if args.markdown == "-":
        print(render_markdown(report))
    elif args.markdown:
        with open(args.markdown, "a", encoding="utf-8") as out:
            out.write(logger.redact(render_markdown(report)))


def make_domains_api(token: str, base_url: str, timeout: float, token_source: str) -> PostmarkDomainsApi:
    """The project's Postmark client; a daily check retries briefly, the next run retries again.
    Each probe is cut off at `timeout` by the runner; the client's own deadline matches it."""
    return PostmarkClient(
        token,
        base_url=base_url,
        timeout=timeout,
        deadline_seconds=2 * timeout,
        limits=PostmarkLimits(retries=2, backoff_seconds=0.25, max_retry_after_seconds=timeout),
        token_source=token_source,
    )


def _detect(
    spec: DriverSpec,
    args: argparse.Namespace,
    env: Mapping[str, str],
    api_factory: Callable[[str, str, float, str], PostmarkDomainsApi],
) -> int:
    if args.workers < 1:
        raise DriftConfigError("--workers must be at least 1")
    base_url = postmark_api_url(env)
    address = parse_resolver(args.resolver)
    check_report_path(args.markdown)
    expected = spec.build_expected(args)
    tokens = account_tokens(expected, env)
    github = GitHubSettings.from_env(env) if args.open_issue else None
    notice = api_url_notice(base_url, env)
    if notice:
        print(f"{spec.tool}: note: {notice}", file=sys.stderr)
    postmark = PostmarkDirectory(
        {
            account: api_factory(token, base_url, args.timeout, account.token_env_var)
            for account, token in tokens.items()
        }
    )
    dns = DnsProbe(address, args.timeout, authoritative_port=args.authoritative_port)
    report = evaluate(spec.tool, expected, Sources(dns, postmark), timeout=args.timeout, workers=args.workers)
    _emit(report, args)
    if report.clean:
        return ExitStatus.OK
    if github is not None:
        _file_issue(spec, github, report)
    return ExitStatus.FAILED if report.drifted else ExitStatus.NOT_CHECKED


def _file_issue(spec: DriverSpec, github: GitHubSettings, report: CheckReport) -> None:
    """Drift files the drift issue; a run that only could not check files its own, so an
    outage is never read as drift (nor closes over a real drift issue)."""
    title, what = (
        (spec.issue_title, "drift found")
        if report.drifted
        else (spec.could_not_check_title, "the check could not complete")
    )
    try:
        result = GitHubIssues(github).open_or_comment(
            title, logger.redact(render_markdown(report)), spec.issue_labels
        )
    except GitHubSearchIncomplete as exc:
        raise OperatorError(
            f"{what}, but whether its issue is open could not be checked ({exc}); no new issue was filed "
            "- re-run later",
            ExitStatus.USAGE,
        ) from None
    except OperatorError as exc:
        raise OperatorError(f"{what} but the issue could not be filed: {exc}", ExitStatus.USAGE) from None
    print(f"{spec.tool}: {result.action} issue #{result.number} {result.url}".rstrip(), file=sys.stderr)


def main(
    spec: DriverSpec,
    argv: Sequence[str] | None = None,
    *,
    api_factory: Callable[[str, str, float, str], PostmarkDomainsApi] = make_domains_api,
    env: Mapping[str, str] | None = None,
) -> int:
    environment = os.environ if env is None else env
    return exit_status(
        lambda: _detect(spec, _parser(spec).parse_args(argv), environment, api_factory), prefix=spec.tool
    )


def run(spec: DriverSpec) -> None:
    """A driver's command-line entry: redacted output, one line on Ctrl-C."""
    run_tool(lambda: main(spec))

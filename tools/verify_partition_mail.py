"""Post-deploy: ask Postmark to verify the partition's DKIM and Return-Path, then report.

    python -m tools.verify_partition_mail <infrastructure> <partition> [--deadline SECONDS]

Postmark checks DNS asynchronously: the first `verifyDkim` after a deploy usually still
answers "not verified", and a call a few seconds later succeeds. DKIM counts as verified
when Postmark says so and no key is pending any more (a rotation's new key included). So this polls both checks
with a bounded exponential backoff until both are verified or the deadline passes, and
prints a status table. Exit 0 when both are verified, 1 when not (or Postmark fails), 2 on
bad usage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from platform_lib.naming import VERIFY_COMMAND
from platform_lib.registry import get_partition_on
from platform_lib.sending_domain import partition_sending_domain
from tools.cli.arguments import (
    ToolArgumentParser,
    add_partition_arguments,
    add_postmark_timeout_argument,
    seconds,
)
from tools.cli.contract import ExitStatus, OperatorError
from tools.cli.entry import exit_status, run_tool
from tools.cli.run_log import RunLog
from tools.postmark.client import PostmarkClient, api_url_notice, postmark_api_url
from tools.postmark.verification import DEFAULT_DEADLINE_SECONDS, render, verify_domain
from tools.secrets import logger
from tools.secrets.account_token import TOKEN_ENV_VAR, resolve_account_token


def _parser() -> ToolArgumentParser:
    parser = ToolArgumentParser(
        prog=VERIFY_COMMAND,
        description=(
            "Ask Postmark to verify the partition's DKIM and Return-Path records and poll with "
            "a bounded backoff until both are verified or the deadline passes; print a status "
            f"table. The account token comes from {TOKEN_ENV_VAR}, else from `op read`."
        ),
        epilog="Exit status: 0 both verified, 1 not verified by the deadline or a failure, 2 usage error.",
    )
    add_partition_arguments(parser)
    parser.add_argument(
        "--deadline",
        type=seconds,
        default=DEFAULT_DEADLINE_SECONDS,
        metavar="SECONDS",
        help=f"give up after this long (default {DEFAULT_DEADLINE_SECONDS:g})",
    )
    add_postmark_timeout_argument(parser)
    return parser


def _verify(argv: Sequence[str] | None, env: Mapping[str, str] | None) -> int:
    args = _parser().parse_args(argv)
    partition = get_partition_on(args.infrastructure, args.partition)
    base_url = postmark_api_url(env)
    notice = api_url_notice(base_url, env)
    if notice:
        logger.note(notice)
    token, token_source = resolve_account_token(partition, env)
    # The poll stops asking at --deadline; its last round of calls may still be under way.
    with PostmarkClient(
        token,
        base_url=base_url,
        timeout=args.timeout,
        deadline_seconds=args.deadline + 3 * args.timeout,
        token_source=token_source,
    ) as client:
        progress = RunLog(None)
        domain = partition_sending_domain(partition)
        try:
            verification = verify_domain(
                client,
                domain,
                deadline_seconds=args.deadline,
                progress=progress.waiting,
            )
        finally:
            progress.waited()
    logger.info(render(verification, partition.postmark_account.value))
    if not verification.verified:
        raise OperatorError(
            f"{verification.domain_name} is not verified after {args.deadline:g} s; DNS may still be "
            f"propagating: re-run `{domain.verifier}` later, or check "
            f"the records with `python -m tools.validate_exit {partition.name} --post-merge`"
        )
    return ExitStatus.OK


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    return exit_status(lambda: _verify(argv, env))


def cli() -> None:
    run_tool(main)


if __name__ == "__main__":
    cli()

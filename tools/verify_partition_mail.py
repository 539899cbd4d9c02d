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

import time
from collections.abc import Callable, Mapping, Sequence

from platform_lib.errors import PlatformError
from platform_lib.naming import PRE_DEPLOY_COMMAND
from platform_lib.placement import postmark_domain_placement
from platform_lib.registry import Partition, get_partition_on
from tools.cli.arguments import (
    ToolArgumentParser,
    add_partition_arguments,
    add_postmark_timeout_argument,
    seconds,
)
from tools.cli.entry import run_tool
from tools.postmark.client import (
    PostmarkClient,
    PostmarkError,
    api_url_notice,
    postmark_api_url,
)
from tools.postmark.verification import Verification, render, verify_domain
from tools.secrets import logger
from tools.secrets.account_token import TOKEN_ENV_VAR, resolve_account_token
from tools.secrets.op import OpError
from tools.secrets.token_rule import TokenRejected

EXIT_VERIFIED, EXIT_NOT_VERIFIED, EXIT_USAGE = 0, 1, 2
DEFAULT_DEADLINE_SECONDS = 300.0


def _parser() -> ToolArgumentParser:
    parser = ToolArgumentParser(
        prog="python -m tools.verify_partition_mail",
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


def verify(
    client: PostmarkClient,
    partition: Partition,
    *,
    deadline_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Verification:
    """The partition's domain through the shared verification (tools.postmark.verification)."""
    return verify_domain(
        client,
        postmark_domain_placement(partition.name).postmark_domain_name,
        f"{PRE_DEPLOY_COMMAND} {partition.infrastructure} {partition.name}",
        deadline_seconds=deadline_seconds,
        sleep=sleep,
        clock=clock,
    )


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code if isinstance(exc.code, int) else EXIT_USAGE)
    try:
        partition = get_partition_on(args.infrastructure, args.partition)
        base_url = postmark_api_url(env)
    except (PlatformError, PostmarkError) as exc:
        logger.error(str(exc))
        return EXIT_USAGE
    notice = api_url_notice(base_url, env)
    if notice:
        logger.note(notice)
    try:
        token = resolve_account_token(partition, env)
        # The poll stops asking at --deadline; its last round of calls may still be under way.
        with PostmarkClient(
            token,
            base_url=base_url,
            timeout=args.timeout,
            deadline_seconds=args.deadline + 3 * args.timeout,
        ) as client:
            verification = verify(client, partition, deadline_seconds=args.deadline)
    except (OpError, TokenRejected, PostmarkError) as exc:
        logger.error(str(exc))
        return EXIT_NOT_VERIFIED
    logger.info(render(verification, partition.postmark_account.value))
    if verification.verified:
        return EXIT_VERIFIED
    logger.error(
        f"{verification.domain_name} is not verified after {args.deadline:g} s; DNS may still be "
        f"propagating: re-run `python -m tools.verify_partition_mail {partition.infrastructure} "
        f"{partition.name}` later, or check the records with `python -m tools.validate_exit "
        f"{partition.name} --post-merge`"
    )
    return EXIT_NOT_VERIFIED


def cli() -> None:
    run_tool(main)


if __name__ == "__main__":
    cli()

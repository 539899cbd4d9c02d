"""Pre-deploy: register the partition's sending domain with Postmark, write its DKIM context.

    python -m tools.register_partition_mail_signature <infrastructure> <partition>

Finds `{partition}.ardamails.com` on the partition's Postmark account (or creates it with
the placement's Return-Path domain) and writes what the stack must publish to
`cdk.context.json` as `partitionMail:{infra}:{partition}`: the key Postmark signs with, plus
the pending key during a rotation, or the revoked key until Postmark says it is safe to
remove (ADR-0022), and the Return-Path CNAME target. `--rotate-dkim` starts a rotation
(refused while one is in progress). It never creates a Postmark server. Exit 0 on success,
1 on a Postmark, 1Password or file failure, 2 on bad usage.
"""

from __future__ import annotations

import sys

if __package__ in (None, ""):  # run as a script: the project root instead of tools/, whose
    import os  # packages (operator, secrets, dns) would shadow the standard library's

    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from collections.abc import Mapping, Sequence
from pathlib import Path

from platform_lib.context_store import (
    CONTEXT_FILE_NAME,
    read_context,
)
from platform_lib.errors import PlatformError
from platform_lib.mail_context import PartitionMailContext, fix_hint, parse_mail_context
from platform_lib.naming import context_key
from platform_lib.placement import postmark_domain_placement, sending_domain_placement
from platform_lib.registry import Partition, get_partition_on
from tools.cli.arguments import (
    ToolArgumentParser,
    add_context_file_argument,
    add_partition_arguments,
    add_postmark_timeout_argument,
    seconds,
)
from tools.cli.entry import run_tool
from tools.postmark.client import (
    DEFAULT_DEADLINE_SECONDS,
    PostmarkClient,
    PostmarkError,
    api_url_notice,
    postmark_api_url,
)
from tools.postmark.registration import (
    RegistrationError,
    SendingDomain,
    register_and_record,
)
from tools.secrets import logger
from tools.secrets.account_token import TOKEN_ENV_VAR, resolve_account_token
from tools.secrets.op import OpError
from tools.secrets.token_rule import TokenRejected

EXIT_FAILED = 1
EXIT_USAGE = 2


def _parser() -> ToolArgumentParser:
    parser = ToolArgumentParser(
        prog="python -m tools.register_partition_mail_signature",
        description=(
            "Register {partition}.ardamails.com with the partition's Postmark account (find or "
            "create; never a server) and write its DKIM selector, public key and Return-Path "
            f"target into {CONTEXT_FILE_NAME}. The account token comes from {TOKEN_ENV_VAR}, "
            "else from `op read` of the partition's 1Password reference; the API base from "
            "POSTMARK_API_URL."
        ),
        epilog="Exit status: 0 done, 1 Postmark/1Password/file failure, 2 usage error.",
        add_help=False,
    )
    add_partition_arguments(parser)
    add_context_file_argument(parser, "context file to update")
    parser.add_argument(
        "--rotate-dkim",
        action="store_true",
        help="start a DKIM key rotation in Postmark and write both keys (refused while one is in progress)",
    )
    parser.add_argument(
        "--fix-return-path",
        action="store_true",
        help="if the existing Postmark domain has another Return-Path domain, change it in Postmark",
    )
    add_postmark_timeout_argument(parser)
    parser.add_argument(
        "--deadline",
        type=seconds,
        default=DEFAULT_DEADLINE_SECONDS,
        metavar="SECONDS",
        help=f"give up on Postmark after this long in total (default {DEFAULT_DEADLINE_SECONDS:g})",
    )
    parser.add_argument("-h", "--help", action="store_true", help="show this help and exit 2")
    return parser


def partition_sending_domain(partition: Partition) -> SendingDomain:
    placement = postmark_domain_placement(partition.name)
    return SendingDomain(
        postmark_domain_name=placement.postmark_domain_name,
        return_path_host_name=placement.return_path_host_name,
        placement_for=lambda selector: sending_domain_placement(partition.name, selector),
        context_key=context_key(partition),
        fix=fix_hint(partition),
    )


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = _parser()
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or any(a in ("-h", "--help") for a in args_list):
        parser.print_help(sys.stdout if args_list else sys.stderr)
        return EXIT_USAGE
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse printed the usage line and the problem
        return int(exc.code or EXIT_USAGE)
    try:
        partition = get_partition_on(args.infrastructure, args.partition)
    except PlatformError as exc:
        logger.error(str(exc))
        return EXIT_USAGE

    context_file: Path = args.context_file
    key = context_key(partition)
    try:
        base_url = postmark_api_url(env)
    except PostmarkError as exc:
        logger.error(str(exc))
        return EXIT_USAGE
    notice = api_url_notice(base_url, env)
    if notice:
        logger.note(notice)
    try:
        existing = read_context(context_file)  # a malformed file stops us before Postmark is contacted
        try:
            previous: PartitionMailContext | None = parse_mail_context(partition, existing.get(key))
        except PlatformError:
            previous = None  # no usable block yet: every key takes a fresh record
        token = resolve_account_token(partition, env)
        with PostmarkClient(
            token, base_url=base_url, timeout=args.timeout, deadline_seconds=args.deadline
        ) as client:
            register_and_record(
                client,
                partition_sending_domain(partition),
                context_file,
                partition.postmark_account.value,
                fix_return_path=args.fix_return_path,
                rotate=args.rotate_dkim,
                previous=previous,
            )
    except (PlatformError, OpError, TokenRejected, PostmarkError, RegistrationError, OSError) as exc:
        logger.error(str(exc))
        return EXIT_FAILED
    return 0


def cli() -> None:
    """The command-line entry: all output goes through the redacting logger."""
    run_tool(main)


if __name__ == "__main__":
    cli()

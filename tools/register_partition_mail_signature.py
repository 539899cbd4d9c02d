"""Pre-deploy: register the partition's sending domain with Postmark, write its DKIM context.

    python -m tools.register_partition_mail_signature <infrastructure> <partition>

Finds `{partition}.ardamails.com` on the partition's Postmark account (or creates it with
the placement's Return-Path domain) and writes what the stack must publish to
`cdk.context.json` as `partitionMail:{infra}:{partition}`: the key Postmark signs with, plus
the pending key during a rotation, or the revoked key until Postmark says it is safe to
remove (ADR-0022), and the Return-Path CNAME target. `--rotate-dkim` starts a rotation
(refused while one is in progress). It never creates a Postmark server. Exit 0 on success,
1 on a Postmark, 1Password or file failure, 2 on bad usage (`--help` exits 0, ADR-0026).
"""

from __future__ import annotations

import sys

if __package__ in (None, ""):  # run as a script: the project root instead of tools/, whose
    import os  # packages (operator, secrets, dns) would shadow the standard library's

    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from collections.abc import Mapping, Sequence

from platform_lib.context_store import CONTEXT_FILE_NAME
from platform_lib.naming import PRE_DEPLOY_COMMAND
from platform_lib.registry import get_partition_on
from platform_lib.sending_domain import partition_sending_domain
from tools.cli.arguments import (
    ToolArgumentParser,
    add_context_file_argument,
    add_partition_arguments,
    add_postmark_timeout_argument,
    seconds,
)
from tools.cli.entry import exit_status, run_tool
from tools.postmark.client import DEFAULT_DEADLINE_SECONDS, PostmarkClient, api_url_notice, postmark_api_url
from tools.postmark.registration import register_and_record
from tools.secrets import logger
from tools.secrets.account_token import TOKEN_ENV_VAR, resolve_account_token


def _parser() -> ToolArgumentParser:
    parser = ToolArgumentParser(
        prog=PRE_DEPLOY_COMMAND,
        description=(
            "Register {partition}.ardamails.com with the partition's Postmark account (find or "
            "create; never a server) and write its DKIM selector, public key and Return-Path "
            f"target into {CONTEXT_FILE_NAME}. The account token comes from {TOKEN_ENV_VAR}, "
            "else from `op read` of the partition's 1Password reference; the API base from "
            "POSTMARK_API_URL."
        ),
        epilog="Exit status: 0 done, 1 Postmark/1Password/file failure, 2 usage error.",
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
    return parser


def _pre_deploy(argv: Sequence[str] | None, env: Mapping[str, str] | None) -> None:
    args = _parser().parse_args(argv)
    partition = get_partition_on(args.infrastructure, args.partition)
    domain = partition_sending_domain(partition)
    base_url = postmark_api_url(env)
    notice = api_url_notice(base_url, env)
    if notice:
        logger.note(notice)
    token, token_source = resolve_account_token(partition, env)
    with PostmarkClient(
        token,
        base_url=base_url,
        timeout=args.timeout,
        deadline_seconds=args.deadline,
        token_source=token_source,
    ) as client:
        register_and_record(
            client, domain, args.context_file, fix_return_path=args.fix_return_path, rotate=args.rotate_dkim
        )


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    return exit_status(lambda: _pre_deploy(argv, env))


def cli() -> None:
    """The command-line entry: all output goes through the redacting logger."""
    run_tool(main)


if __name__ == "__main__":
    cli()

"""Exit validation of the partition mail work, as PASS/FAIL rows ending in `N/M PASS`.

    python -m tools.validate_exit                       # pre-merge code checks
    python -m tools.validate_exit dev                   # pre-merge, synth narrowed to dev
    python -m tools.validate_exit dev --post-merge      # the deployed partition: AWS + DNS

Exit 0 only when every row passes; 1 when any fails; 2 for bad usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import boto3
import botocore.exceptions

from platform_lib.context_store import read_partition_mail_context
from platform_lib.errors import PlatformError
from platform_lib.registry import active_partitions, get_infrastructure, get_partition
from tools.lib import logger
from tools.lib.cli_args import add_context_file_argument
from tools.lib.drift.dns_probe import DEFAULT_RESOLVER, DnsProbe, parse_resolver
from tools.lib.drift.expected import DriftConfigError
from tools.lib.exit_validation.post_merge import PostMergeTarget, post_merge_checks
from tools.lib.exit_validation.pre_merge import pre_merge_checks
from tools.lib.exit_validation.results import render_table

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
DNS_TIMEOUT_SECONDS = 5.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.validate_exit",
        description=(
            "Without --post-merge: pre-merge code checks (ruff, mypy, import layering, shellcheck, "
            "the test suite, and a synth of every partition stack, or only <partition>'s). With "
            "<partition> --post-merge: the deployed partition - stack status, NS delegation, SPF, "
            "DMARC, DKIM, Return-Path, both secrets and the six exports."
        ),
        epilog="Exit status: 0 all PASS, 1 any FAIL, 2 usage error.",
    )
    parser.add_argument("partition", nargs="?", help="active partition, e.g. dev")
    parser.add_argument(
        "--post-merge", action="store_true", help="check the deployed partition (needs <partition>)"
    )
    parser.add_argument(
        "--profile", metavar="NAME", help="AWS profile (default: the registry's for the partition)"
    )
    parser.add_argument(
        "--resolver",
        metavar="IP[:PORT]",
        default=DEFAULT_RESOLVER,
        help=f"DNS resolver for the post-merge checks (default {DEFAULT_RESOLVER})",
    )
    add_context_file_argument(parser, "context the deploy used")
    parser.add_argument(
        "--dns-timeout",
        type=float,
        default=DNS_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"post-merge: seconds to wait for each DNS answer (default {DNS_TIMEOUT_SECONDS:g})",
    )
    parser.add_argument(
        "--skip-tests",
        action="store_true",
        help="pre-merge: leave out the test-suite row (when CI just ran it)",
    )
    return parser


def _post_merge(args: argparse.Namespace) -> int:
    partition = get_partition(args.partition)
    infrastructure = get_infrastructure(partition.infrastructure)
    context = read_partition_mail_context(args.context_file, partition)
    resolver = parse_resolver(args.resolver)
    profile = args.profile or infrastructure.default_profile
    try:
        session = boto3.Session(profile_name=profile, region_name=infrastructure.region)
    except botocore.exceptions.ProfileNotFound:
        raise PlatformError(
            f"AWS profile {profile!r} not found in your AWS config; pass --profile NAME"
        ) from None
    target = PostMergeTarget(partition, context, session, DnsProbe(resolver, args.dns_timeout))
    results = post_merge_checks(target)
    logger.info(
        render_table(
            f"post-merge validation of {partition.name} ({infrastructure.name}, profile {profile}, "
            f"resolver {resolver}):",
            results,
        )
    )
    return EXIT_PASS if all(r.passed for r in results) else EXIT_FAIL


def _pre_merge(args: argparse.Namespace) -> int:
    partitions = [get_partition(args.partition)] if args.partition else active_partitions()
    results = pre_merge_checks(partitions, run_tests=not args.skip_tests)
    logger.info(render_table("pre-merge validation:", results))
    return EXIT_PASS if all(r.passed for r in results) else EXIT_FAIL


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code if isinstance(exc.code, int) else EXIT_USAGE)
    if args.post_merge and not args.partition:
        logger.error("--post-merge needs a partition, e.g. `python -m tools.validate_exit dev --post-merge`")
        return EXIT_USAGE
    try:
        return _post_merge(args) if args.post_merge else _pre_merge(args)
    except (PlatformError, DriftConfigError) as exc:
        logger.error(str(exc))
        return EXIT_USAGE


if __name__ == "__main__":
    logger.install()
    sys.exit(main())

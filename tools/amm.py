"""amm.sh's body: deploy partition mail stacks, or the Root stack, behind the rollout gates.

    ./amm.sh [options] <infrastructure> (<partition> | --all-partitions)   (amm.sh sets up the toolchain)
    ./amm.sh [options] PlatformRoot

Arguments in, one flow out (`tools.operator.flows`): the partitions' flow - the Root
placeholder, pre-flight, delegation and Root-unchanged gates, then per partition in rollout
order the failed-first-deploy and cascade gates, the production diff and typed confirmation,
`op read`, the DKIM rotation state, pre-deploy, `cdk deploy`, Postmark verification - or the
Root stack's. `--dry-run` prints the flow's steps; the run logs the same lines.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from platform_lib.naming import ROOT_DNS_STACK_NAME, stack_name
from platform_lib.registry import (
    Infrastructure,
    InfrastructureRole,
    Partition,
    active_partitions,
    get_infrastructure,
    get_partition_on,
    root_infrastructure,
)
from tools import plan
from tools.aws.deployment import InfrastructureSessions
from tools.cli.arguments import ToolArgumentParser, visible
from tools.cli.contract import UsageError
from tools.cli.entry import exit_status, run_tool
from tools.dns.probe import DEFAULT_RESOLVER, parse_resolver
from tools.operator.flow import Operation
from tools.operator.flows import partitions_flow, root_flow
from tools.operator.runner import execute, run_log_path
from tools.operator.settings import SETTINGS_HELP, read_settings

USAGE = """usage: ./amm.sh [--profile NAME] [--region R] [--root-profile NAME] [--resolver IP[:PORT]]
               [--skip-cascade REASON] [--rotate-dkim] [--dry-run] [--yes]
               <infrastructure> (<partition> | --all-partitions)
       ./amm.sh plan [<infrastructure> [<partition>]]   (read-only: where the rollout stands; see ./amm.sh plan --help)"""
DESCRIPTION = """\
Deploys the partition mail stack of <partition> on <infrastructure>, or with
--all-partitions of every active partition of <infrastructure> in rollout order; `./amm.sh
PlatformRoot` deploys the Root stack. Gates run before anything changes: the PlatformRoot
account is set, the Root delegation role works, the deployed Root stack equals this
checkout's, no failed first deploy is in the way, and every partition earlier in the
cascade is verified live; a production partition shows its `cdk diff` before the typed
confirmation."""
EPILOG = f"""\
{SETTINGS_HELP}

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
    _add_aws_arguments(parser)
    _add_run_arguments(parser)
    return parser


def _add_aws_arguments(parser: ToolArgumentParser) -> None:
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


def _add_run_arguments(parser: ToolArgumentParser) -> None:
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


def _check_words(args: argparse.Namespace) -> None:
    if any(v is not None and not v.strip() for v in (args.infrastructure, args.partition)):
        # An empty partition once read as "every partition" (prod included): never again.
        raise UsageError(
            "an empty or blank argument was given; name the infrastructure and partition (see ./amm.sh --help)"
        )
    dashed = [value for value in (args.infrastructure, args.partition) if value and value.startswith("-")]
    if dashed:
        raise UsageError(
            f"{dashed[0]!r} is an option, not a name; options go before the names (see ./amm.sh --help)"
        )
    if args.rotate_dkim and args.partition is None:
        raise UsageError(
            "--rotate-dkim rotates one partition's key: name the partition, e.g. ./amm.sh --rotate-dkim Alpha002 dev"
        )
    if args.skip_cascade is not None and not args.skip_cascade.strip():
        raise UsageError(
            "--skip-cascade needs a reason, e.g. --skip-cascade 'dev verified by hand, ticket 123'"
        )


def _selected(
    infrastructure: str, partition: str | None, every: bool
) -> tuple[Infrastructure, list[Partition]]:
    """What the run deploys. Every partition only when asked for by name (--all-partitions):
    a missing partition is never read as "all of them" (prod included)."""
    infra = get_infrastructure(infrastructure)
    if infra.role is InfrastructureRole.ROOT_DNS:
        if partition is not None or every:
            raise UsageError(
                f"{infra.name} hosts no partitions; deploy its Root stack with `./amm.sh {infra.name}`"
            )
        return infra, []
    if partition is not None and every:
        raise UsageError(f"name one partition or pass --all-partitions, not both (partition {partition!r})")
    if partition is not None:
        return infra, [get_partition_on(infra.name, partition)]
    if not every:
        names = ", ".join(p.name for p in active_partitions(infra.name)) or "(none)"
        raise UsageError(
            f"name the partition of {infra.name} to deploy ({names}), or pass --all-partitions to deploy "
            "them all in rollout order"
        )
    return infra, active_partitions(infra.name)


def _operation(args: argparse.Namespace, infra: Infrastructure) -> Operation:
    profile = args.profile or infra.default_profile
    return Operation(
        infrastructure=infra,
        profile=profile,
        region=args.region or infra.region,
        root_profile=args.root_profile or root_infrastructure().default_profile,
        settings=read_settings(os.environ),
        resolver=parse_resolver(args.resolver),
        assume_yes=args.yes,
        rotate_dkim=args.rotate_dkim,
        skip_cascade=args.skip_cascade,
        sessions=InfrastructureSessions({infra.name: profile}),
    )


def _summary(partitions: Sequence[Partition]) -> Callable[[Operation, int], None]:
    def summarize(op: Operation, code: int) -> None:
        op.log.say(f"summary for {op.infrastructure.name}:")
        if not partitions:
            op.log.say(f"  {ROOT_DNS_STACK_NAME:<22} {op.outcomes.get(ROOT_DNS_STACK_NAME, 'not deployed')}")
            return
        for partition in partitions:
            outcome = op.outcomes.get(partition.name, "not attempted (the run stopped at a gate)")
            op.log.say(f"  {partition.name:<8} {stack_name(partition):<22} {outcome}")
        if op.skip_cascade is not None:
            op.log.say(f"  cascade gate skipped: {op.skip_cascade}")

    return summarize


def _amm(args: argparse.Namespace) -> int:
    _check_words(args)
    infra, partitions = _selected(args.infrastructure, args.partition, args.all_partitions)
    op = _operation(args, infra)
    flow = root_flow(op) if infra.role is InfrastructureRole.ROOT_DNS else partitions_flow(op, partitions)
    if args.dry_run:
        return flow.dry_run(op)
    return execute(
        op,
        flow,
        log_path=run_log_path(op.settings.log_dir, "amm", infra.name, args.partition or ""),
        started=f"amm.sh {infra.name} {args.partition or '(all active partitions)'}",
        summary=_summary(partitions),
    )


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["plan"]:  # `./amm.sh plan …`: the read-only plan, its own exit statuses
        return plan.main(words[1:])
    return exit_status(lambda: _amm(_parser().parse_args(words)))


if __name__ == "__main__":
    run_tool(main)

"""corporate-cli: provision the corporate instance group, with the same steps as `amm.sh`.

    ./corporate-cli [--profile NAME] [--root-profile NAME] [--fix-return-path] [--rotate-dkim] [--dry-run] [--yes]

Arguments in, one flow out (`tools.operator.flows.corporate_flow`): the Root placeholder,
pre-flight and Root-unchanged gates, then for the corporate target the failed-first-deploy
gate, `cdk diff` of both stacks and a typed confirmation (PostmarkProd is production: type
`arda`, or `--yes`, which is logged), the masked `op read` of the PostmarkProd token, the
registration of `arda.ardamails.com` and its context block, the `FreeKanbanTool` Postmark
server (the one place a server is ever created; its token goes as a NoEcho parameter into
the `-I-` secret), `cdk deploy` of `Corporate-Mail` and `FreeKanbanToolMailDns`, Postmark
verification. `--dry-run` prints the same steps the run logs.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from platform_lib.naming import CORPORATE_CLI_COMMAND, CORPORATE_SLUG, FREE_KANBAN_TOOL_STACK_NAME
from platform_lib.registry import corporate_infrastructure, root_infrastructure
from platform_lib.sending_domain import corporate_sending_domain
from tools.aws.deployment import InfrastructureSessions
from tools.cli.arguments import ToolArgumentParser, visible
from tools.cli.entry import exit_status, run_tool
from tools.dns.probe import DEFAULT_RESOLVER, parse_resolver
from tools.operator.flow import Operation
from tools.operator.flows import corporate_flow
from tools.operator.runner import execute, run_log_path
from tools.operator.settings import SETTINGS_HELP, read_settings
from tools.operator.targets import corporate_target


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
            f"{SETTINGS_HELP}\n\nexit status: 0 deployed and verified; 1 a gate, step or verification "
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


def _summarize(op: Operation, code: int) -> None:
    target = corporate_target()
    if code:
        op.log.say(f"summary: FAILED, exit {code}")
        return
    op.log.say(
        f"summary: {target.domain.stack_name} and {FREE_KANBAN_TOOL_STACK_NAME} deployed; "
        f"{corporate_sending_domain().zone_name} verified"
    )


def _corporate(args: argparse.Namespace) -> int:
    infra = corporate_infrastructure()
    profile = args.profile or infra.default_profile
    op = Operation(
        infrastructure=infra,
        profile=profile,
        region=infra.region,
        root_profile=args.root_profile or root_infrastructure().default_profile,
        settings=read_settings(os.environ),
        resolver=parse_resolver(DEFAULT_RESOLVER),
        assume_yes=args.yes,
        rotate_dkim=args.rotate_dkim,
        fix_return_path=args.fix_return_path,
        sessions=InfrastructureSessions({infra.name: profile}),
    )
    flow = corporate_flow(op)
    if args.dry_run:
        return flow.dry_run(op)
    return execute(
        op,
        flow,
        log_path=run_log_path(op.settings.log_dir, "corporate"),
        started=f"corporate-cli ({infra.name})",
        summary=_summarize,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return exit_status(lambda: _corporate(_parser().parse_args(argv)))


if __name__ == "__main__":
    run_tool(main)

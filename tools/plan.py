"""`./amm.sh plan` (or `python -m tools.plan`): where the rollout stands, read-only.

    ./amm.sh plan [options] [<infrastructure> [<partition>]]

For the Root stack, every active partition in rollout order and the corporate instance
group: each stack's status and last update, its diff against the deployed template, the
context block, Postmark, DNS (the check catalogue), the cascade, and the next safe command.
Nothing is changed and nothing is deployed; the only secrets read are the Postmark tokens
the operator provides (the drift variables, or `op read` with `--op`).

Exit status like `terraform plan -detailed-exitcode`: 0 nothing to do, 2 changes or actions
pending, 1 could not plan every row (a usage error is 1 too, so 2 always means "pending").
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from platform_lib.context_store import PROJECT_CONTEXT_FILE
from platform_lib.errors import PlatformError
from platform_lib.registry import get_infrastructure, get_partition_on
from tools.aws.deployment import InfrastructureSessions
from tools.cli.arguments import (
    ToolArgumentParser,
    check_report_path,
    seconds,
    visible,
)
from tools.cli.contract import OperatorError, PlanStatus, UsageError
from tools.cli.entry import exit_status, run_tool
from tools.dns.probe import DEFAULT_RESOLVER, DnsProbe, parse_resolver
from tools.kube.kubectl import PartitionClusters
from tools.operator.settings import read_settings
from tools.planning.decide import Facts, decide
from tools.planning.prerequisites import PREREQUISITES, record_done, recorded_done
from tools.planning.render import render_json, render_markdown, render_table
from tools.planning.subjects import Kind, PlanTarget, plan_targets
from tools.planning.survey import SurveySettings, survey
from tools.planning.tokens import postmark_apis
from tools.secrets import logger

DEFAULT_DEADLINE_SECONDS = 240.0
PROBE_TIMEOUT_SECONDS = 10.0
EPILOG = f"""\
Postmark: tokens from POSTMARK_NONPROD_ACCOUNT_TOKEN / POSTMARK_PROD_ACCOUNT_TOKEN when set,
or with --op from each account's 1Password reference; an account without a token is not
asked (its rows say so). AWS: each infrastructure's registry profile (--profile INFRA=NAME
to change one); an account whose credentials fail is "could not check", the other rows
still print. Operator tasks: {", ".join(f"{p.id} ({p.task})" for p in PREREQUISITES)}.

exit status: 0 nothing to do; 2 changes or actions pending; 1 could not plan every row (or
a usage error)."""


def _parser() -> ToolArgumentParser:
    parser = ToolArgumentParser(
        prog="./amm.sh plan",
        description="Where the rollout stands, read-only, and the next safe command.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "infrastructure",
        nargs="?",
        help="only this infrastructure's rows (PlatformRoot: Root and the corporate group)",
    )
    parser.add_argument("partition", nargs="?", help="only this partition's row")
    _add_output_arguments(parser)
    _add_source_arguments(parser)
    parser.add_argument(
        "--done",
        metavar="TASK",
        type=visible,
        help="record an operator task done (T-O1, T-O4) in a run log, then plan",
    )
    return parser


def _add_output_arguments(parser: ToolArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the plan as JSON (docs/plan.schema.json)")
    parser.add_argument(
        "--markdown",
        metavar="PATH",
        help="also append the plan as Markdown to PATH ('-': stdout), e.g. $GITHUB_STEP_SUMMARY",
    )
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_DEADLINE_SECONDS,
        metavar="SECONDS",
        help=f"the whole plan's time limit (default {DEFAULT_DEADLINE_SECONDS:g})",
    )


def _add_source_arguments(parser: ToolArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="INFRA=NAME",
        type=visible,
        help="AWS profile for an infrastructure (repeatable)",
    )
    parser.add_argument(
        "--resolver",
        default=DEFAULT_RESOLVER,
        metavar="IP[:PORT]",
        help=f"DNS resolver (default {DEFAULT_RESOLVER})",
    )
    parser.add_argument(
        "--op", action="store_true", help="read the Postmark tokens not in the environment with `op read`"
    )
    parser.add_argument(
        "--kube-context",
        action="append",
        default=[],
        metavar="[PARTITION=]NAME",
        type=visible,
        help="check the encryption key in a partition's cluster (ESO); repeatable",
    )
    parser.add_argument(
        "--kube-namespace",
        metavar="NAME",
        type=visible,
        help="namespace of the ExternalSecrets (default: the context's)",
    )


def _pairs(values: Sequence[str], option: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values:
        key, sep, name = value.partition("=")
        if not sep or not key.strip() or not name.strip():
            raise UsageError(f"{option} {value!r} must be KEY=NAME")
        if key.strip() in found:
            raise UsageError(f"{option} names {key.strip()} twice; give it once")
        found[key.strip()] = name.strip()
    return found


def _profiles(values: Sequence[str]) -> dict[str, str]:
    """`--profile INFRA=NAME`: an infrastructure the registry knows (never silently unused)."""
    profiles = _pairs(values, "--profile")
    for infrastructure in profiles:
        get_infrastructure(infrastructure)  # PlatformError: unknown infrastructure, with the valid ones
    return profiles


def _shown(targets: Sequence[PlanTarget], infrastructure: str | None, partition: str | None) -> list[str]:
    """The rows the operator asked for (the registry checks the names)."""
    if infrastructure is None:
        return [t.name for t in targets]
    infra = get_infrastructure(infrastructure)
    if partition is not None:
        return [get_partition_on(infra.name, partition).name]
    rows = [t.name for t in targets if t.infrastructure == infra.name]
    if not rows:
        raise UsageError(f"{infra.name} has nothing to plan")
    return rows


def _kube(values: Sequence[str], shown: Sequence[str], targets: Sequence[PlanTarget]) -> dict[str, str]:
    partitions = [t.name for t in targets if t.kind is Kind.PARTITION and t.name in shown]
    plain = [v for v in values if "=" not in v]
    if plain and (len(plain) > 1 or len(partitions) != 1):
        raise UsageError(
            "--kube-context NAME alone needs exactly one partition planned; use --kube-context PARTITION=NAME"
        )
    contexts = _pairs([v for v in values if "=" in v], "--kube-context")
    unknown = sorted(set(contexts) - set(partitions))
    if unknown:
        raise UsageError(
            f"--kube-context names {', '.join(unknown)}, not a partition being planned ({', '.join(partitions)})"
        )
    return {**contexts, **({partitions[0]: plain[0]} if plain else {})}


def _plan(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    settings = read_settings(env)
    check_report_path(args.markdown)
    targets = plan_targets()
    shown = _shown(targets, args.infrastructure, args.partition)
    contexts = _kube(args.kube_context, shown, targets)
    resolver = parse_resolver(args.resolver)
    profiles = _profiles(args.profile)
    if args.done is not None:  # recorded only once every other argument is known good
        logger.info(f"recorded in {record_done(settings.log_dir, args.done)}")
    if settings.postmark_notice:
        logger.note(settings.postmark_notice)
    apis, postmark_said = postmark_apis(
        targets, env, use_op=args.op, base_url=settings.postmark_url, timeout=PROBE_TIMEOUT_SECONDS
    )
    sessions = InfrastructureSessions(profiles)
    found = survey(
        targets,
        SurveySettings(
            sessions=sessions,
            dns=DnsProbe(resolver, PROBE_TIMEOUT_SECONDS),
            postmark=apis,
            kube=PartitionClusters(contexts, args.kube_namespace) if contexts else None,
            context_file=PROJECT_CONTEXT_FILE,  # what the synth reads too: the project's
            deadline_seconds=args.timeout,
            probe_timeout=PROBE_TIMEOUT_SECONDS,
        ),
    )
    facts = Facts(
        frozenset(apis),
        frozenset(contexts),
        frozenset(recorded_done(settings.log_dir)),
        str(resolver),
        postmark_said,
        {t.infrastructure: sessions.profile_of(t.infrastructure) for t in targets},
    )
    plan = decide(targets, found, facts, shown)
    print(render_json(plan) if args.json else render_table(plan), flush=True)
    if args.markdown == "-":
        print(render_markdown(plan))
    elif args.markdown:
        _append(Path(args.markdown), logger.redact(render_markdown(plan)) + "\n")
    return int(plan.status)


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:  # a full disk, a dangling link: the plan above stands, the file does not
        raise OperatorError(
            f"the plan is above, but --markdown {path} could not be written ({exc.strerror or type(exc).__name__})",
            PlanStatus.COULD_NOT_PLAN,
        ) from None


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    environment = os.environ if env is None else env

    def work() -> int:
        try:
            return _plan(_parser().parse_args(argv), environment)
        except (UsageError, PlatformError) as exc:  # 2 means "pending" here: bad usage is 1
            raise OperatorError(str(exc), PlanStatus.COULD_NOT_PLAN) from None

    return exit_status(work, prefix="plan")


if __name__ == "__main__":
    run_tool(main)

"""runtime-platform-drift: assert Postmark, DNS and cdk.context.json agree for every active partition.

    python -m tools.runtime_platform_drift [--resolver IP[:PORT]] [--json] [--markdown PATH]
                                           [--open-issue] [--partition NAME ...]

Postmark account tokens come from POSTMARK_NONPROD_ACCOUNT_TOKEN / POSTMARK_PROD_ACCOUNT_TOKEN
(one per account, `PostmarkAccount.token_env_var`), the API base from POSTMARK_API_URL.
Exit 0 clean, 1 drift, 3 could not check, 2 usage or configuration error (`--help`). Shares its core with corporate-drift
(DQ-R1-018); on drift, `--open-issue` files an issue labelled `drift` + `runtime-platform`.
"""

from __future__ import annotations

import argparse

from platform_lib.errors import PlatformError
from platform_lib.registry import active_partitions, get_partition
from tools.checks.catalogue import ExpectedDomain
from tools.cli.arguments import name
from tools.drift.driver import DriverSpec, run
from tools.drift.expected import DriftConfigError, partition_expected_domains


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--partition",
        action="append",
        type=name,
        metavar="NAME",
        help="check only this active partition (repeatable; default: every active partition)",
    )


def _build_expected(args: argparse.Namespace) -> list[ExpectedDomain]:
    try:
        partitions = [get_partition(name) for name in args.partition] if args.partition else None
    except PlatformError as exc:
        raise DriftConfigError(str(exc)) from exc
    return partition_expected_domains(args.context_file, partitions)


SPEC = DriverSpec(
    tool="runtime-platform-drift",
    module="tools.runtime_platform_drift",
    description="Assert Postmark + DNS + cdk.context.json agree for every active partition.",
    issue_title="runtime-platform-drift: partition mail drift detected",
    could_not_check_title="runtime-platform-drift: could not check partition mail (Postmark or DNS did not answer)",
    issue_labels=("drift", "runtime-platform"),
    accounts=tuple(dict.fromkeys(p.postmark_account for p in active_partitions())),
    build_expected=_build_expected,
    add_arguments=_add_arguments,
)


if __name__ == "__main__":
    run(SPEC)

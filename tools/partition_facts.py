"""Registry facts for `amm.sh`, as `KEY=value` lines, so the shell never composes a name.

Usage: python -m tools.partition_facts <infrastructure> [<partition>]

Prints INFRASTRUCTURE, ACCOUNT, DEFAULT_PROFILE, REGION and PARTITIONS (the requested
partition, or every active partition of the infrastructure in rollout order), then for each
partition P: STACK_P, OP_REFERENCE_P, CONTEXT_KEY_P, CONFIRM_P (1 when production). Bad
input: one line on stderr listing the valid choices, exit 2.
"""

from __future__ import annotations

import sys

from platform_lib.errors import PlatformError
from platform_lib.naming import context_key, stack_name
from platform_lib.postmark import postmark_credential_op_reference
from platform_lib.registry import (
    InfrastructureRole,
    active_partitions,
    get_infrastructure,
    get_partition_on,
    partition_host_infrastructures,
    requires_production_confirmation,
)

USAGE = "usage: python -m tools.partition_facts <infrastructure> [<partition>]"


def facts(infrastructure: str, partition: str | None) -> list[tuple[str, str]]:
    infra = get_infrastructure(infrastructure)
    if infra.role is not InfrastructureRole.PARTITION_HOST:
        hosts = ", ".join(i.name for i in partition_host_infrastructures())
        raise PlatformError(f"{infra.name} hosts no partitions; partition infrastructures: {hosts}")
    parts = [get_partition_on(infra.name, partition)] if partition else active_partitions(infra.name)
    rows = [
        ("INFRASTRUCTURE", infra.name),
        ("ACCOUNT", infra.account),
        ("DEFAULT_PROFILE", infra.default_profile),
        ("REGION", infra.region),
        ("PARTITIONS", " ".join(p.name for p in parts)),
    ]
    for part in parts:
        rows += [
            (f"STACK_{part.name}", stack_name(part)),
            (f"OP_REFERENCE_{part.name}", postmark_credential_op_reference(part.name)),
            (f"CONTEXT_KEY_{part.name}", context_key(part)),
            (f"CONFIRM_{part.name}", "1" if requires_production_confirmation(part.name) else "0"),
        ]
    return rows


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2) or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        rows = facts(argv[0], argv[1] if len(argv) == 2 else None)
    except PlatformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(f"{key}={value}" for key, value in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""AWS checks of a deployed partition: stack status, the two secrets, the six exports.

Each returns a detail on success and raises CheckFailed saying exactly what is wrong. The
exports are read from the stack's own outputs (`describe_stacks`), never from the
account-wide, paginated `list-exports`.
"""

from __future__ import annotations

from collections.abc import Callable

import botocore.exceptions

from platform_lib.naming import ExportKey, export_name
from platform_lib.registry import Partition
from tools.exit_validation.results import CheckFailed
from tools.exit_validation.target import PostMergeTarget, aws_failure

HEALTHY_STACK_STATUSES = ("CREATE_COMPLETE", "UPDATE_COMPLETE")
CURRENT_STAGE = "AWSCURRENT"


def stack_status(target: PostMergeTarget) -> str:
    stack = target.stack()
    status = str(stack["StackStatus"])
    if status not in HEALTHY_STACK_STATUSES:
        reason = stack.get("StackStatusReason")
        raise CheckFailed(
            f"{target.stack_name} is {status}, expected {' or '.join(HEALTHY_STACK_STATUSES)}"
            + (f" ({reason})" if reason else "")
        )
    return f"{target.stack_name} {status}"


def secret_check(name_of: Callable[[Partition], str]) -> Callable[[PostMergeTarget], str]:
    """The secret exists, is not scheduled for deletion, and has a current value."""

    def check(target: PostMergeTarget) -> str:
        name = name_of(target.partition)
        try:
            secret = target.client("secretsmanager").describe_secret(SecretId=name)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            raise aws_failure(f"secret {name}", exc) from None
        if secret.get("DeletedDate"):
            raise CheckFailed(
                f"secret {name} is scheduled for deletion (DeletedDate {secret['DeletedDate']:%Y-%m-%d}); "
                f"restore it with `aws secretsmanager restore-secret --secret-id {name}`"
            )
        stages = secret.get("VersionIdsToStages", {})
        if not any(CURRENT_STAGE in labels for labels in stages.values()):
            raise CheckFailed(f"secret {name} has no {CURRENT_STAGE} version (no value to read)")
        return f"secret {name} ({CURRENT_STAGE})"

    return check


def exports(target: PostMergeTarget) -> str:
    present = target.export_values()
    expected = [export_name(target.partition, key) for key in ExportKey]
    missing = [name for name in expected if name not in present]
    if missing:
        raise CheckFailed(
            f"{len(expected) - len(missing)}/{len(expected)} exports in the outputs of "
            f"{target.stack_name}; missing {', '.join(missing)}"
        )
    return f"{len(expected)}/{len(expected)} exports in the outputs of {target.stack_name}"

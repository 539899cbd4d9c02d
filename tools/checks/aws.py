"""AWS's seam (where a tool has AWS access): the stack is in a healthy state, its secrets hold a
current value, and it publishes every export. Its zone's delegation is `dns.delegation`'s."""

from __future__ import annotations

from typing import Any

from tools.checks.catalogue import CheckId, ExpectedDomain, Observations, Probe, Tag, check
from tools.checks.findings import Finding, Seam, drift, error, ok

SEAM = Seam.AWS
HEALTHY_STACK_STATUSES = ("CREATE_COMPLETE", "UPDATE_COMPLETE")
CURRENT_STAGE = "AWSCURRENT"


def _stack(expected: ExpectedDomain, obs: Observations, check_id: CheckId) -> dict[str, Any] | Finding:
    outcome, stack = obs[Probe.STACK], expected.domain.stack_name
    if outcome.failure is not None:
        return error(expected.zone_name, SEAM, check_id, outcome.failure)
    if outcome.value is None:
        return drift(
            expected.zone_name,
            SEAM,
            check_id,
            f"stack {stack} is not deployed; run `{expected.domain.deployer}`",
        )
    described: dict[str, Any] = outcome.value
    return described


@check(CheckId.AWS_STACK_STATUS, seam=SEAM, title="stack status", probes=[Probe.STACK], tags=[Tag.POST_MERGE])
def stack_status(expected: ExpectedDomain, obs: Observations) -> Finding:
    described = _stack(expected, obs, CheckId.AWS_STACK_STATUS)
    if isinstance(described, Finding):
        return described
    name, status = expected.domain.stack_name, str(described.get("StackStatus", ""))
    if status not in HEALTHY_STACK_STATUSES:
        reason = described.get("StackStatusReason")
        return drift(
            expected.zone_name,
            SEAM,
            CheckId.AWS_STACK_STATUS,
            f"{name} is {status}, expected {' or '.join(HEALTHY_STACK_STATUSES)}"
            + (f" ({reason})" if reason else ""),
        )
    return ok(expected.zone_name, SEAM, CheckId.AWS_STACK_STATUS, f"{name} {status}")


@check(CheckId.AWS_SECRETS, seam=SEAM, title="secrets", probes=[Probe.SECRETS], tags=[Tag.POST_MERGE])
def secrets(expected: ExpectedDomain, obs: Observations) -> Finding | None:
    """Each secret the stack owns exists, is not scheduled for deletion, and has a current value."""
    if not expected.domain.secret_names:
        return None
    outcome = obs[Probe.SECRETS]
    if outcome.value is None:
        return error(expected.zone_name, SEAM, CheckId.AWS_SECRETS, str(outcome.failure))
    described: dict[str, dict[str, Any] | None] = outcome.value
    problems = [
        p for name in expected.domain.secret_names if (p := _secret_problem(name, described.get(name)))
    ]
    if problems:
        return drift(expected.zone_name, SEAM, CheckId.AWS_SECRETS, "; ".join(problems))
    shown = ", ".join(expected.domain.secret_names)
    return ok(expected.zone_name, SEAM, CheckId.AWS_SECRETS, f"{shown} ({CURRENT_STAGE})")


def _secret_problem(name: str, secret: dict[str, Any] | None) -> str | None:
    if secret is None:
        return f"secret {name} does not exist"
    if secret.get("DeletedDate"):
        return (
            f"secret {name} is scheduled for deletion (DeletedDate {secret['DeletedDate']:%Y-%m-%d}); "
            f"restore it with `aws secretsmanager restore-secret --secret-id {name}`"
        )
    stages = secret.get("VersionIdsToStages", {})
    if not any(CURRENT_STAGE in labels for labels in stages.values()):
        return f"secret {name} has no {CURRENT_STAGE} version (no value to read)"
    return None


@check(CheckId.AWS_EXPORTS, seam=SEAM, title="exports", probes=[Probe.STACK], tags=[Tag.POST_MERGE])
def exports(expected: ExpectedDomain, obs: Observations) -> Finding | None:
    wanted = expected.domain.exports
    if not wanted:
        return None
    described = _stack(expected, obs, CheckId.AWS_EXPORTS)
    if isinstance(described, Finding):
        return described
    present = {
        str(output.get("ExportName")) for output in described.get("Outputs", []) if isinstance(output, dict)
    }
    missing = [name for name in wanted if name not in present]
    stack = expected.domain.stack_name
    if missing:
        return drift(
            expected.zone_name,
            SEAM,
            CheckId.AWS_EXPORTS,
            f"{len(wanted) - len(missing)}/{len(wanted)} exports in the outputs of {stack}; missing {', '.join(missing)}",
        )
    return ok(
        expected.zone_name,
        SEAM,
        CheckId.AWS_EXPORTS,
        f"{len(wanted)}/{len(wanted)} exports in the outputs of {stack}",
    )

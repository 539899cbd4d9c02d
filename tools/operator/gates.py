"""The rollout gates `amm.sh` runs before anything changes (the seeds' cascade, as code).

1. Root placeholder: no partition deploy while the PlatformRoot account is the placeholder.
2. Delegation works: from the partition's account, assume the Root delegation role and find
   `ardamails.com` by name - what the NS-delegation resource will do.
3. Root unchanged: the synthesized Root template equals the deployed one (read with the
   Root profile: the delegation role cannot read CloudFormation).
4. Failed first deploy: the stack is absent or in a known-good state (`UPDATABLE_STATUSES`;
   every other state is refused with its cleanup), and no retained zone or key secret
   exists without a stack (CloudFormation would fail on the name clash half-way).
The cascade gate (every earlier partition verified live) is `tools.operator.cascade`.
Each gate returns a one-line verdict or raises `GateRefused` with one line plus the lines
an operator needs (a template diff, cleanup commands).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

import boto3

from platform_lib.naming import (
    MAIL_ROOT_DOMAIN,
    ROOT_DELEGATION_ROLE_NAME,
    ROOT_DNS_STACK_NAME,
    normal_name,
    root_delegation_role_arn,
)
from platform_lib.registry import (
    Infrastructure,
    is_placeholder_account,
    root_infrastructure,
)
from tools.aws.deployment import deployed_template, described_stack
from tools.aws.session import AWS_ERRORS, AwsProblem, client, error_code, explain
from tools.cli.contract import OperatorError
from tools.secrets.outside_text import outside_text

ROOT_DEPLOY_COMMAND = "./amm.sh PlatformRoot"
MAX_DIFF_LINES = 80
# Known-good stack states: the stack exists, nothing runs on it, and `cdk deploy` can update
# it. Every other state - a list of bad ones always misses one - stops the partition.
UPDATABLE_STATUSES = frozenset(
    {
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",  # a failed update, rolled back: the stack is as it was
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    }
)
# States a failed *first* deploy leaves: the stack cannot be updated, only deleted.
FAILED_CREATE_STATUSES = frozenset({"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED", "DELETE_FAILED"})


class GateRefused(OperatorError):
    """A gate said no; `str()` is one line, `details` the lines that show why or what to do,
    `commands` the clean-up commands among them (the plan quotes those on its own line)."""

    def __init__(
        self, message: str, details: list[str] | None = None, commands: list[str] | None = None
    ) -> None:
        super().__init__(message, details=[*(details or []), *(commands or [])])
        self.commands = [command.strip() for command in commands or []]


def root_placeholder(*, deploying_root: bool = False) -> str:
    """The Root stack's own deploy is told only to set the id (it is the command that follows);
    every other deploy also needs the Root stack deployed first."""
    root = root_infrastructure()
    if is_placeholder_account(root):
        then = (
            "then re-run"
            if deploying_root
            else f"deploy the Root stack with `{ROOT_DEPLOY_COMMAND}`, then re-run"
        )
        raise GateRefused(
            f"the PlatformRoot account is still the placeholder {root.account}: set the real account id "
            f"in the PlatformRoot entry of platform_lib/registry.py (see the runbook), {then}"
        )
    return f"the PlatformRoot account is {root.account} (not the placeholder)"


def delegation(session: boto3.Session, profile: str, infrastructure: Infrastructure) -> str:
    """Assume the Root delegation role from the partition's account and find ardamails.com."""
    role = root_delegation_role_arn()
    try:
        credentials = client(session, "sts").assume_role(
            RoleArn=role, RoleSessionName="amm-delegation-check", DurationSeconds=900
        )["Credentials"]
    except AWS_ERRORS as exc:
        code = error_code(exc)
        if code in ("AccessDenied", "AccessDeniedException", "NoSuchEntity"):
            raise GateRefused(
                f"account {infrastructure.account} (profile {profile}) cannot assume {role} ({code}): deploy "
                f"the Root stack (`{ROOT_DEPLOY_COMMAND}`), which creates {ROOT_DELEGATION_ROLE_NAME} and "
                f"trusts {infrastructure.name}'s account; nothing was changed"
            ) from None
        raise GateRefused(str(explain(exc, profile, f"assuming {role}"))) from None
    assumed = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=infrastructure.region,
    )
    try:
        answer = client(assumed, "route53").list_hosted_zones_by_name(DNSName=MAIL_ROOT_DOMAIN, MaxItems="1")
    except AWS_ERRORS as exc:
        raise GateRefused(
            f"{role} cannot look up {MAIL_ROOT_DOMAIN} ({error_code(exc)}): redeploy the Root stack "
            f"(`{ROOT_DEPLOY_COMMAND}`); nothing was changed"
        ) from None
    zones = [
        z for z in answer.get("HostedZones", []) if normal_name(str(z.get("Name", ""))) == MAIL_ROOT_DOMAIN
    ]
    if not zones:
        raise GateRefused(
            f"{role} finds no {MAIL_ROOT_DOMAIN} zone in the PlatformRoot account: deploy the Root stack "
            f"(`{ROOT_DEPLOY_COMMAND}`); nothing was changed"
        )
    zone_id = str(zones[0].get("Id", "")).rsplit("/", 1)[-1]
    return f"{role} assumed from {profile}; it finds {MAIL_ROOT_DOMAIN} ({zone_id})"


def deployed_root_template(session: boto3.Session, profile: str) -> dict[str, Any] | None:
    """The Root stack's deployed template, or None when there is no such stack."""
    try:
        return deployed_template(client(session, "cloudformation"), ROOT_DNS_STACK_NAME, profile)
    except AwsProblem as exc:
        raise GateRefused(str(exc)) from None


def _lines(template: Mapping[str, Any]) -> list[str]:
    return json.dumps(template, indent=1, sort_keys=True).splitlines()


def template_difference(deployed: Mapping[str, Any], synthesized: Mapping[str, Any]) -> list[str]:
    """A unified diff (deployed → synthesized), at most MAX_DIFF_LINES lines."""
    lines = list(
        difflib.unified_diff(
            _lines(deployed), _lines(synthesized), "deployed", "synthesized", lineterm="", n=2
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... ({len(lines) - MAX_DIFF_LINES} more lines)"]
    return lines


def root_unchanged(synthesized: Mapping[str, Any], session: boto3.Session, profile: str) -> str:
    deployed = deployed_root_template(session, profile)
    if deployed is None:
        raise GateRefused(
            f"the Root stack {ROOT_DNS_STACK_NAME} is not deployed (profile {profile}): deploy it with "
            f"`{ROOT_DEPLOY_COMMAND}`, then re-run"
        )
    if deployed != synthesized:
        raise GateRefused(
            f"the deployed {ROOT_DNS_STACK_NAME} differs from this checkout's: review the difference below, "
            f"deploy it with `{ROOT_DEPLOY_COMMAND}`, then re-run",
            template_difference(deployed, synthesized),
        )
    return f"the deployed {ROOT_DNS_STACK_NAME} equals the synthesized template (profile {profile})"


def _aws(command: str, profile: str, region: str) -> str:
    return f"  aws {command} --profile {profile} --region {region}"


def failed_first_deploy(
    session: boto3.Session,
    *,
    stack: str,
    zone: str,
    secrets: tuple[str, ...],
    what: str,
    profile: str,
    region: str,
) -> str:
    """No half-made target in the way: a rolled-back `stack`, or its retained `zone` or
    `secrets` left without it (CloudFormation would fail on the name clash mid-deploy)."""
    name = stack
    try:
        described = described_stack(client(session, "cloudformation"), name, profile)
    except AwsProblem as exc:
        raise GateRefused(str(exc)) from None
    if described is not None:
        status = str(described["StackStatus"])
        if status in UPDATABLE_STATUSES:
            return f"stack {name} is {status}"
        if status not in FAILED_CREATE_STATUSES:
            raise _not_updatable(name, status, profile, region)
    leftovers, commands = _retained_leftovers(session, zone, secrets, profile, region)
    if described is not None:
        details = [f"stack {name} is {status}", *(f"retained: {item}" for item in leftovers)]
        details += [
            "clean up, then re-run:",
            _aws(f"cloudformation delete-stack --stack-name {name}", profile, region),
        ]
        raise GateRefused(
            f"stack {name} is in {status} after a failed first deploy and cannot be updated; "
            "what exists and the commands to clean it up follow",
            details + commands,
        )
    if leftovers:
        raise GateRefused(
            f"a failed first deploy of {what} left resources without a stack {name}; "
            "what exists and the commands to clean it up (or adopt it, see the runbook) follow",
            [*(f"exists: {item}" for item in leftovers), "clean up, then re-run:", *commands],
        )
    return f"no stack {name} yet and nothing left behind: a first deploy"


def stack_refusal(name: str, status: str, profile: str, region: str) -> str | None:
    """What the failed-deploy gate says of a stack in `status`, with its clean-up commands, on
    one line (None: it lets it through); the plan shows it."""
    if status in UPDATABLE_STATUSES:
        return None
    refused = _not_updatable(name, status, profile, region)
    commands = "; ".join(f"`{command}`" for command in refused.commands)
    return f"{refused} ({commands})" if commands else str(refused)


def _not_updatable(name: str, status: str, profile: str, region: str) -> GateRefused:
    """The refusal for a stack in a state other than known-good (a failed first deploy: what
    the plan says; the gate itself also lists what the stack retained)."""
    shown = outside_text(status, 64) or "(no status)"
    if status in FAILED_CREATE_STATUSES:
        return GateRefused(
            f"stack {name} is {status} after a failed first deploy and cannot be updated; clean it up "
            "(and what it retained: see the runbook), then re-run",
            commands=[_aws(f"cloudformation delete-stack --stack-name {name}", profile, region)],
        )
    if status == "REVIEW_IN_PROGRESS":
        return GateRefused(
            f"stack {name} is REVIEW_IN_PROGRESS: a deploy created its change set and never ran it (or one "
            "is running now); if none is running, delete the empty stack, then re-run",
            commands=[_aws(f"cloudformation delete-stack --stack-name {name}", profile, region)],
        )
    if status.endswith("_IN_PROGRESS"):
        return GateRefused(
            f"stack {name} is {shown}: another operation is under way; wait for it, then re-run"
        )
    if status in ("UPDATE_ROLLBACK_FAILED", "IMPORT_ROLLBACK_FAILED"):
        return GateRefused(
            f"stack {name} is {shown}: a failed update could not be rolled back and the stack cannot be "
            "updated; finish the rollback (skip the resources it names if it fails again, see the runbook), "
            "then re-run",
            commands=[_aws(f"cloudformation continue-update-rollback --stack-name {name}", profile, region)],
        )
    if status == "UPDATE_FAILED":
        return GateRefused(
            f"stack {name} is UPDATE_FAILED (deployed without rollback): roll it back, then re-run",
            commands=[_aws(f"cloudformation rollback-stack --stack-name {name}", profile, region)],
        )
    return GateRefused(
        f"stack {name} is {shown}, a state this tool does not know to be safe to deploy over; "
        "look at it in the CloudFormation console (see the runbook), then re-run"
    )


def _retained_leftovers(
    session: boto3.Session, zone: str, secret_names: tuple[str, ...], profile: str, region: str
) -> tuple[list[str], list[str]]:
    """What a failed first deploy can leave (the retained zone and secrets), and how to remove it."""
    found: list[str] = []
    commands: list[str] = []
    try:
        zones = client(session, "route53").list_hosted_zones_by_name(DNSName=zone, MaxItems="10")
    except AWS_ERRORS as exc:
        raise GateRefused(str(explain(exc, profile, f"listing hosted zones named {zone}"))) from None
    for hosted in zones.get("HostedZones", []):
        if normal_name(str(hosted.get("Name", ""))) != zone:
            continue
        zone_id = str(hosted.get("Id", "")).rsplit("/", 1)[-1]
        found.append(f"hosted zone {zone} ({zone_id})")
        commands.append(
            f"  # delete every record of {zone_id} but its NS and SOA first (Route 53 console, or "
            f"`aws route53 list-resource-record-sets --hosted-zone-id {zone_id}`), then:"
        )
        commands.append(_aws(f"route53 delete-hosted-zone --id {zone_id}", profile, region))
    secrets = client(session, "secretsmanager")
    for secret in secret_names:
        try:
            described = secrets.describe_secret(SecretId=secret)
        except AWS_ERRORS as exc:
            if error_code(exc) == "ResourceNotFoundException":
                continue
            raise GateRefused(str(explain(exc, profile, f"describing secret {secret}"))) from None
        pending = " (scheduled for deletion)" if described.get("DeletedDate") else ""
        found.append(f"secret {secret}{pending}")
        commands.append(
            _aws(
                f"secretsmanager delete-secret --secret-id {secret} --force-delete-without-recovery",
                profile,
                region,
            )
        )
    return found, commands

"""Post-merge Postmark rows: the domain exists on the partition's bound account, DKIM and the
Return-Path are verified there, and the DKIM key Postmark signs with is the one DNS publishes.

The token comes from `POSTMARK_ACCOUNT_TOKEN`, else from the partition's 1Password
reference (the same rule as every tool); the domain is read once and shared by the rows.
A Postmark that cannot answer fails these rows only: the AWS and DNS rows still run.
"""

from __future__ import annotations

from platform_lib.dns_text import dkim_public_key_of, join_txt_strings
from platform_lib.naming import (
    PRE_DEPLOY_COMMAND,
    context_key,
    dmarc_report_authorization_names,
    partition_zone_name,
)
from tools.checks.findings import abbreviate
from tools.checks.judgments import dmarc_report_authorized, postmark_key_for, rotation_postmark_context
from tools.dns.probe import DnsProbeError
from tools.drift.expected import partition_expected_domain
from tools.exit_validation.results import CheckFailed
from tools.exit_validation.target import PostMergeTarget

VERIFY_COMMAND = "python -m tools.verify_partition_mail"


def _account(target: PostMergeTarget) -> str:
    return target.partition.postmark_account.value


def domain_exists(target: PostMergeTarget) -> str:
    domain = target.postmark_domain()
    return f"domain {domain.name} (ID {domain.id}) on {_account(target)}"


def dkim_verified(target: PostMergeTarget) -> str:
    domain = target.postmark_domain()
    if not domain.dkim_verified:
        p = target.partition
        raise CheckFailed(
            f"Postmark reports DKIM not verified for {domain.name} on {_account(target)}; run "
            f"`{VERIFY_COMMAND} {p.infrastructure} {p.name}`"
        )
    return f"DKIM verified for {domain.name}"


def return_path_verified(target: PostMergeTarget) -> str:
    domain = target.postmark_domain()
    if not domain.return_path_verified:
        p = target.partition
        raise CheckFailed(
            f"Postmark reports Return-Path {domain.return_path_domain or '(none)'} not verified; run "
            f"`{VERIFY_COMMAND} {p.infrastructure} {p.name}`"
        )
    return f"Return-Path {domain.return_path_domain} verified"


def dkim_matches_dns(target: PostMergeTarget) -> str:
    domain = target.postmark_domain()
    host = target.placement.dkim_host_name
    found = postmark_key_for(domain, host)
    if found is None:
        p = target.partition
        raise CheckFailed(
            f"Postmark has no DKIM key at {host} (the committed selector); run "
            f"`{PRE_DEPLOY_COMMAND} {p.infrastructure} {p.name}` and deploy"
        )
    field, postmark_key = found
    try:
        answer = target.dns.query(host, "TXT")
    except DnsProbeError as exc:
        raise CheckFailed(str(exc)) from None
    published = [dkim_public_key_of(join_txt_strings(list(record))) for record in answer.values]
    if postmark_key not in published:
        shown = ", ".join(f"p={abbreviate(k)}" for k in published if k) or answer.absent_reason
        raise CheckFailed(
            f"Postmark {field} p={abbreviate(postmark_key)} is not what DNS {host} serves ({shown})"
        )
    return f"Postmark {field} equals the TXT at {host}"


def dmarc_report_authorization(target: PostMergeTarget) -> str:
    zone = partition_zone_name(target.partition)
    try:
        answer = target.dns.query(dmarc_report_authorization_names(zone)[0], "TXT")
    except DnsProbeError as exc:
        raise CheckFailed(str(exc)) from None
    good, message = dmarc_report_authorized(zone, answer)
    if not good:
        raise CheckFailed(message)
    return message


def dkim_rotation(target: PostMergeTarget) -> str:
    """A rotation's other keys are served, and the block matches Postmark's rotation state
    (the drift check's own judgments)."""
    expected = partition_expected_domain(
        target.partition, {context_key(target.partition): target.context.to_json()}
    )
    domain = target.postmark_domain()
    problems = []
    for role, key in target.context.dkim_keys()[1:]:
        host = target.placement_for(key.selector).dkim_host_name
        try:
            answer = target.dns.query(host, "TXT")
        except DnsProbeError as exc:
            raise CheckFailed(str(exc)) from None
        served = [dkim_public_key_of(join_txt_strings(list(record))) for record in answer.values]
        if key.public_key not in served:
            problems.append(f"the {role} key {key.selector} is not published at {host}")
    finding = rotation_postmark_context(expected, domain)
    if finding.failed:
        problems.append(finding.message)
    if problems:
        raise CheckFailed("; ".join(problems))
    return finding.message

"""Registering a Postmark sending domain and the context block its stack publishes - one
implementation for the partitions' pre-deploy CLI and the corporate CLI.

Find the domain on the account (or create it with the placement's Return-Path domain; never
a server), keep its Return-Path where the placement puts it, optionally start a DKIM
rotation, and compute the block: the key Postmark signs with plus the pending or revoked key
of a rotation, each keeping the record it had (ADR-0022).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from platform_lib.context_block import ContextBlock, with_keys
from platform_lib.context_store import PROJECT_CONTEXT_FILE, Stored, put_context_block, read_context
from platform_lib.errors import PlatformError
from platform_lib.sending_domain import SendingDomain
from tools.cli.contract import OperatorError
from tools.postmark.client import PostmarkClient, PostmarkDomain, same_domain_name
from tools.postmark.errors import DOMAIN_EXISTS, found_or_created
from tools.postmark.rotation import DkimState, DkimStateError, dkim_state
from tools.secrets import logger


class RegistrationError(OperatorError):
    """Postmark's domain disagrees with the placement; the message names the fix."""


@dataclass(frozen=True)
class Registration:
    domain: PostmarkDomain
    created: bool
    return_path_fixed: bool
    context: ContextBlock
    state: DkimState
    rotated: bool


def register_domain(
    client: PostmarkClient,
    target: SendingDomain,
    *,
    fix_return_path: bool,
    rotate: bool = False,
    previous: ContextBlock | None = None,
) -> Registration:
    name = target.postmark_domain_name

    def find() -> PostmarkDomain | None:
        domain_id = client.find_domain_id(name)
        return None if domain_id is None else client.get_domain(domain_id)

    domain, created = found_or_created(
        find, lambda: client.create_domain(name, target.return_path_host_name), DOMAIN_EXISTS
    )

    fixed = False
    if not same_domain_name(domain.return_path_domain, target.return_path_host_name):
        if not fix_return_path:
            raise RegistrationError(
                f"Postmark domain {domain.name} has Return-Path {domain.return_path_domain or '(none)'!r}, "
                f"the placement says {target.return_path_host_name!r}; re-run with "
                "--fix-return-path to change it in Postmark"
            )
        domain = client.set_return_path_domain(domain.id, target.return_path_host_name)
        fixed = True

    try:
        state = dkim_state(domain, target)
        rotated = False
        if rotate:
            if state.first_key or state.rotation_in_progress:
                raise RegistrationError(
                    f"cannot start a DKIM rotation for {domain.name}: {state.describe()}; "
                    + (
                        "verify the first key first"
                        if state.first_key
                        else "let the running one finish first"
                    )
                )
            client.rotate_dkim(domain.id)
            domain = client.get_domain(domain.id)
            state = dkim_state(domain, target)
            rotated = True
    except DkimStateError as exc:
        raise RegistrationError(str(exc)) from None
    candidate = with_keys(
        domain.return_path_cname_value.rstrip("."), state.signing, state.pending, state.revoked, previous
    )
    try:
        context = target.parse_block(candidate.to_json())
    except PlatformError as exc:
        raise RegistrationError(
            f"Postmark returned DKIM/Return-Path data the stack cannot use: {exc}"
        ) from None
    return Registration(
        domain=domain, created=created, return_path_fixed=fixed, context=context, state=state, rotated=rotated
    )


def registration_lines(registration: Registration, account: str) -> list[str]:
    """What a registration did, for the operator."""
    domain, ctx = registration.domain, registration.context
    lines = [
        f"Postmark domain {domain.name} {'created' if registration.created else 'found'} (id {domain.id}) on {account}"
    ]
    if registration.return_path_fixed:
        lines.append(f"Return-Path domain changed to {domain.return_path_domain}")
    if registration.rotated:
        lines.append(f"DKIM rotation started for {domain.name}")
    lines.append(f"DKIM rotation state: {registration.state.describe()}")
    keys = "; ".join(f"{role} {key.selector} (record {key.record})" for role, key in ctx.dkim_keys())
    lines.append(f"DKIM keys published: {keys}; Return-Path target {ctx.return_path_target}")
    return lines


def previous_block(target: SendingDomain, context_file: Path) -> ContextBlock | None:
    """The block the file holds now (None when it has none, or an unusable one: then every key
    takes a fresh record); a file that cannot be read at all stops the step before Postmark."""
    context = read_context(context_file)
    try:
        return target.block_in(context)
    except PlatformError:
        return None


def register_and_record(
    client: PostmarkClient, target: SendingDomain, context_file: Path, *, fix_return_path: bool, rotate: bool
) -> Registration:
    """The pre-deploy step for any sending domain (a partition's or the corporate one):
    register it with Postmark, store its block under the context lock, say what happened."""
    try:
        previous = previous_block(target, context_file)
    except PlatformError as exc:  # the context file itself is unusable: a failed step, not usage
        raise OperatorError(str(exc)) from None
    registration = register_domain(
        client, target, fix_return_path=fix_return_path, rotate=rotate, previous=previous
    )
    try:
        stored = put_context_block(
            context_file, target.context_key, registration.context, waiting=logger.info
        )
    except PlatformError as exc:
        raise OperatorError(str(exc)) from None
    if stored is Stored.CREATED:  # a mistyped --context-file or a link to nothing: say so, never silently
        logger.info(
            f"note: {context_file} did not exist; created it with this block only (the CDK app reads "
            f"{PROJECT_CONTEXT_FILE})"
        )
    for line in registration_lines(registration, target.postmark_account.value):
        logger.info(line)
    logger.info(
        f"{target.context_key}: {'unchanged in' if stored is Stored.UNCHANGED else 'written to'} {context_file}"
    )
    return registration

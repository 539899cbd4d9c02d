"""A sending domain's block of `cdk.context.json` (`partitionMail:{infra}:{partition}`, or the
corporate `corporateMail:{infra}:arda`).

One parser for the CDK app (which reads the block at synth) and the pre-deploy CLI (which
writes it), so both agree on what a well-formed block is.

The block carries the key Postmark signs with and, during a rotation (ADR-0022), the
pending or the revoked key, so the stack publishes every key Postmark may use or that mail
in flight was signed with:

    {"dkimSelector": S, "dkimPublicKey": K, "returnPathTarget": T,      # the signing key
     "dkimRecord": "DkimNext",                                         # optional, default "Dkim"
     "dkimPending": {"selector": S2, "publicKey": K2, "record": R2},   # optional
     "dkimRevoked": {"selector": S3, "publicKey": K3, "record": R3}}   # optional

`record` names the stack's TXT record (its CloudFormation logical id) holding the key. A
key keeps its record for its whole life - CloudFormation cannot move a record between
logical ids without deleting the selector the key is published at - so a block written
before rotation existed (no `dkimRecord`, no pending, no revoked) synthesizes exactly as
before, with the signing key in `Dkim`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from platform_lib.dkim_key import InvalidDkimKey, dkim_key_bits
from platform_lib.errors import PlatformError
from platform_lib.slugs import validate_dkim_selector

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
DKIM_RECORDS = ("Dkim", "DkimNext")  # logical ids of the stack's DKIM TXT records
_SIGNING_FIELDS = {"dkimSelector", "dkimPublicKey", "returnPathTarget"}
_OPTIONAL_FIELDS = {"dkimRecord", "dkimPending", "dkimRevoked"}


class MalformedContextBlock(PlatformError):
    """The context block is missing or malformed; the message names the command to run."""


class KeyRole(StrEnum):
    SIGNING = "signing"  # Postmark signs with it now
    PENDING = "pending"  # issued by a rotation; Postmark signs with it once its TXT verifies
    REVOKED = "revoked"  # signed mail still in flight; kept until Postmark says it is safe to remove


@dataclass(frozen=True)
class DkimKey:
    selector: str
    public_key: str
    record: str = DKIM_RECORDS[0]

    def to_json(self) -> dict[str, str]:
        return {"selector": self.selector, "publicKey": self.public_key, "record": self.record}


@dataclass(frozen=True)
class ContextBlock:
    dkim_selector: str
    dkim_public_key: str
    return_path_target: str
    dkim_record: str = DKIM_RECORDS[0]
    pending: DkimKey | None = None
    revoked: DkimKey | None = None

    @property
    def signing(self) -> DkimKey:
        return DkimKey(self.dkim_selector, self.dkim_public_key, self.dkim_record)

    def dkim_keys(self) -> list[tuple[KeyRole, DkimKey]]:
        """Every key the stack publishes, signing key first."""
        found = [(KeyRole.SIGNING, self.signing)]
        if self.pending is not None:
            found.append((KeyRole.PENDING, self.pending))
        if self.revoked is not None:
            found.append((KeyRole.REVOKED, self.revoked))
        return found

    def published(self) -> frozenset[tuple[str, str, str]]:
        """(record, selector, key) of every TXT record: equal sets mean an unchanged template."""
        return frozenset((key.record, key.selector, key.public_key) for _, key in self.dkim_keys())

    def to_json(self) -> dict[str, Any]:
        block: dict[str, Any] = {
            "dkimSelector": self.dkim_selector,
            "dkimPublicKey": self.dkim_public_key,
            "returnPathTarget": self.return_path_target,
        }
        if self.dkim_record != DKIM_RECORDS[0]:
            block["dkimRecord"] = self.dkim_record
        if self.pending is not None:
            block["dkimPending"] = self.pending.to_json()
        if self.revoked is not None:
            block["dkimRevoked"] = self.revoked.to_json()
        return block


def with_keys(
    return_path_target: str,
    signing: tuple[str, str],
    pending: tuple[str, str] | None,
    revoked: tuple[str, str] | None,
    previous: ContextBlock | None,
) -> ContextBlock:
    """A block for these (selector, key) pairs, each selector keeping the record it had in
    `previous`, a new selector taking the first record no kept key holds."""
    kept = {key.selector: key.record for _, key in previous.dkim_keys()} if previous else {}
    wanted = [pair for pair in (signing, pending, revoked) if pair is not None]
    used = {kept[selector] for selector, _ in wanted if selector in kept}
    free = [record for record in DKIM_RECORDS if record not in used]

    def placed(pair: tuple[str, str] | None) -> DkimKey | None:
        if pair is None:
            return None
        selector, public_key = pair
        record = kept.get(selector) or free.pop(0)
        return DkimKey(selector, public_key, record)

    signing_key = placed(signing)
    assert signing_key is not None
    return ContextBlock(
        dkim_selector=signing_key.selector,
        dkim_public_key=signing_key.public_key,
        return_path_target=return_path_target,
        dkim_record=signing_key.record,
        pending=placed(pending),
        revoked=placed(revoked),
    )


def parse_context_block(key: str, value: Any, fix: str) -> ContextBlock:
    """Validate a raw context value; MalformedContextBlock names the key and `fix`."""
    if value is None:
        raise MalformedContextBlock(f"cdk.context.json has no {key!r}; {fix}")
    problem = _problem(value)
    if problem:
        raise MalformedContextBlock(f"cdk.context.json {key!r} is malformed ({problem}); {fix}")
    return ContextBlock(
        dkim_selector=value["dkimSelector"],
        dkim_public_key=value["dkimPublicKey"],
        return_path_target=value["returnPathTarget"],
        dkim_record=value.get("dkimRecord", DKIM_RECORDS[0]),
        pending=_key(value.get("dkimPending")),
        revoked=_key(value.get("dkimRevoked")),
    )


def _key(value: Mapping[str, str] | None) -> DkimKey | None:
    return None if value is None else DkimKey(value["selector"], value["publicKey"], value["record"])


def _selector_problem(name: str, selector: str) -> str | None:
    try:
        if validate_dkim_selector(selector) != selector:
            return f"{name} must be lower case"
    except PlatformError:
        return f"{name} is not a DNS label"
    return None


def _public_key_problem(name: str, key: str) -> str | None:
    try:
        dkim_key_bits(key)
    except InvalidDkimKey as exc:
        return f"{name}: {exc}"
    return None


def _key_problem(name: str, value: Any) -> str | None:
    """What is wrong with a pending or revoked key's object, or None."""
    if not isinstance(value, dict):
        return f"{name} is not an object"
    if set(value) != {"selector", "publicKey", "record"}:
        return f"{name} needs exactly selector, publicKey and record"
    if not all(isinstance(v, str) for v in value.values()):
        return f"{name} values must be strings"
    if value["record"] not in DKIM_RECORDS:
        return f"{name}.record must be one of {', '.join(DKIM_RECORDS)}"
    return _selector_problem(f"{name}.selector", value["selector"]) or _public_key_problem(
        f"{name}.publicKey", value["publicKey"]
    )


def _shape_problem(value: Any) -> str | None:
    """The block's fields: an object with the signing fields, as strings, and no others."""
    if not isinstance(value, dict):
        return "not an object"
    missing = sorted(_SIGNING_FIELDS - value.keys())
    if missing:
        return f"missing {', '.join(missing)}"
    extra = sorted(value.keys() - _SIGNING_FIELDS - _OPTIONAL_FIELDS)
    if extra:
        return f"unexpected {', '.join(extra)}"
    if not all(isinstance(value[k], str) for k in _SIGNING_FIELDS):
        return "values must be strings"
    return None


def _signing_problem(value: dict[str, Any]) -> str | None:
    """The signing key and the Return-Path target."""
    problem = _selector_problem("dkimSelector", value["dkimSelector"]) or _public_key_problem(
        "dkimPublicKey", value["dkimPublicKey"]
    )
    if problem:
        return problem
    if not _HOSTNAME.fullmatch(value["returnPathTarget"]):
        return "returnPathTarget is not a host name"
    if value.get("dkimRecord", DKIM_RECORDS[0]) not in DKIM_RECORDS:
        return f"dkimRecord must be one of {', '.join(DKIM_RECORDS)}"
    return None


def _rotation_problem(value: dict[str, Any]) -> str | None:
    """The rotation's other key: well-formed, one at a time, its own selector and record."""
    others = [name for name in ("dkimPending", "dkimRevoked") if name in value]
    for name in others:
        problem = _key_problem(name, value[name])
        if problem:
            return problem
    if len(others) > 1:
        return "a block holds a pending or a revoked key, not both (one rotation at a time)"
    selectors = [value["dkimSelector"], *(value[name]["selector"] for name in others)]
    records = [value.get("dkimRecord", DKIM_RECORDS[0]), *(value[name]["record"] for name in others)]
    if len(set(selectors)) != len(selectors):
        return "two keys share a selector"
    if len(set(records)) != len(records):
        return "two keys share a DKIM record"
    return None


def _problem(value: Any) -> str | None:
    return _shape_problem(value) or _signing_problem(value) or _rotation_problem(value)

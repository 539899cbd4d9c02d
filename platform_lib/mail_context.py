"""The `partitionMail:{infra}:{partition}` block of `cdk.context.json`.

One parser for the CDK app (which reads the block at synth) and the pre-deploy CLI (which
writes it), so both agree on what a well-formed block is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from platform_lib.dkim_key import InvalidDkimKey, dkim_key_bits
from platform_lib.errors import PlatformError
from platform_lib.naming import PRE_DEPLOY_COMMAND, context_key
from platform_lib.registry import Partition
from platform_lib.slugs import validate_dkim_selector

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class MalformedMailContext(PlatformError):
    """The context block is missing or malformed; the message names the command to run."""


@dataclass(frozen=True)
class PartitionMailContext:
    dkim_selector: str
    dkim_public_key: str
    return_path_target: str

    def to_json(self) -> dict[str, str]:
        return {
            "dkimSelector": self.dkim_selector,
            "dkimPublicKey": self.dkim_public_key,
            "returnPathTarget": self.return_path_target,
        }


def fix_hint(partition: Partition) -> str:
    return f"run `{PRE_DEPLOY_COMMAND} {partition.infrastructure} {partition.name}`"


def parse_mail_context(partition: Partition, value: Any) -> PartitionMailContext:
    """Validate a raw context value; MalformedMailContext names the key and the fix."""
    key = context_key(partition)
    if value is None:
        raise MalformedMailContext(f"cdk.context.json has no {key!r}; {fix_hint(partition)}")
    problem = _problem(value)
    if problem:
        raise MalformedMailContext(
            f"cdk.context.json {key!r} is malformed ({problem}); {fix_hint(partition)}"
        )
    return PartitionMailContext(
        dkim_selector=value["dkimSelector"],
        dkim_public_key=value["dkimPublicKey"],
        return_path_target=value["returnPathTarget"],
    )


def _problem(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "not an object"
    expected = {"dkimSelector", "dkimPublicKey", "returnPathTarget"}
    missing = sorted(expected - value.keys())
    if missing:
        return f"missing {', '.join(missing)}"
    extra = sorted(value.keys() - expected)
    if extra:
        return f"unexpected {', '.join(extra)}"
    if not all(isinstance(value[k], str) for k in expected):
        return "values must be strings"
    try:
        if validate_dkim_selector(value["dkimSelector"]) != value["dkimSelector"]:
            return "dkimSelector must be lower case"
    except PlatformError:
        return "dkimSelector is not a DNS label"
    try:
        dkim_key_bits(value["dkimPublicKey"])
    except InvalidDkimKey as exc:
        return f"dkimPublicKey: {exc}"
    if not _HOSTNAME.fullmatch(value["returnPathTarget"]):
        return "returnPathTarget is not a host name"
    return None

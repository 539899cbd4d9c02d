"""The `partitionMail:{infra}:{partition}` block of `cdk.context.json`.

One parser for the CDK app (which reads the block at synth) and the pre-deploy CLI (which
writes it), so both agree on what a well-formed block is.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from platform_lib.errors import PlatformError
from platform_lib.naming import PRE_DEPLOY_COMMAND, context_key
from platform_lib.registry import Partition
from platform_lib.slugs import validate_dkim_selector

# DER prefix of an RSA SubjectPublicKeyInfo's AlgorithmIdentifier (rsaEncryption OID).
_RSA_ALGORITHM_ID = bytes.fromhex("300d06092a864886f70d0101010500")
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


def rsa_public_key_bits(public_key: str) -> int:
    """Bit length of a base64 DER RSA SubjectPublicKeyInfo; ValueError if it is not one."""
    try:
        der = base64.b64decode(public_key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64") from exc
    if _RSA_ALGORITHM_ID not in der[:24]:
        raise ValueError("not an RSA SubjectPublicKeyInfo")
    # The modulus is the first INTEGER inside the BIT STRING; its length gives the size.
    start = der.index(b"\x02", der.index(_RSA_ALGORITHM_ID) + len(_RSA_ALGORITHM_ID) + 5)
    length_byte = der[start + 1]
    if length_byte & 0x80:
        n = length_byte & 0x7F
        length = int.from_bytes(der[start + 2 : start + 2 + n], "big")
        first = der[start + 2 + n]
    else:
        length = length_byte
        first = der[start + 2]
    return (length - (1 if first == 0 else 0)) * 8


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
        bits = rsa_public_key_bits(value["dkimPublicKey"])
    except (ValueError, IndexError):
        return "dkimPublicKey is not a base64 RSA public key"
    if bits < 1024:
        return f"dkimPublicKey is a {bits}-bit key; at least 1024 bits needed"
    if not _HOSTNAME.fullmatch(value["returnPathTarget"]):
        return "returnPathTarget is not a host name"
    return None

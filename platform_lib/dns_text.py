"""TXT record values: SPF, DMARC, DKIM, and splitting long values into valid strings.

Route 53 rejects character-strings longer than 255 characters, and aws-cdk-lib's TxtRecord
neither splits nor passes quotes through, so the split lives here (one rule for the CDK
stack and the drift check, which joins the strings back).
"""

from __future__ import annotations

from platform_lib.naming import DMARC_REPORT_MAILBOX

MAX_TXT_STRING = 255
POSTMARK_SPF_INCLUDE = "include:spf.mtasv.net"
SPF_VALUE = f"v=spf1 {POSTMARK_SPF_INCLUDE} ~all"
DMARC_POLICIES = ("none", "quarantine", "reject")


def dmarc_value(policy: str = "none") -> str:
    if policy not in DMARC_POLICIES:
        raise ValueError(f"invalid DMARC policy {policy!r}; valid: {', '.join(DMARC_POLICIES)}")
    return f"v=DMARC1; p={policy}; rua=mailto:{DMARC_REPORT_MAILBOX}"


def dkim_txt_value(public_key: str) -> str:
    """The DKIM TXT value Postmark asks for: `k=rsa;p={base64 public key}`."""
    return f"k=rsa;p={public_key}"


def dkim_public_key_of(txt_value: str) -> str | None:
    """The `p=` tag of a DKIM TXT value, or None when there is none."""
    for tag in txt_value.replace(" ", "").split(";"):
        name, _, value = tag.partition("=")
        if name == "p" and value:
            return value
    return None


def split_txt_value(value: str, limit: int = MAX_TXT_STRING) -> list[str]:
    """Split `value` into character-strings of at most `limit` characters (order kept)."""
    if limit < 1:
        raise ValueError("limit must be positive")
    if '"' in value or "\\" in value:
        raise ValueError("TXT values with quotes or backslashes are not supported")
    return [value[i : i + limit] for i in range(0, len(value), limit)] or [""]


def quoted_txt_strings(value: str) -> str:
    """`"part1" "part2"`: the record-set form Route 53 stores as several strings."""
    return " ".join(f'"{part}"' for part in split_txt_value(value))


def join_txt_strings(strings: list[str] | list[bytes]) -> str:
    """Join the character-strings of one TXT record back into the logical value."""
    return "".join(s.decode("ascii") if isinstance(s, bytes) else s for s in strings)

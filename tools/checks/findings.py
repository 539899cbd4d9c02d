"""Findings: one assertion about one sending domain, passed or not, with a precise message."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

from tools.secrets.outside_text import outside_text


class Status(StrEnum):
    OK = "ok"
    DRIFT = "drift"  # the live state disagrees with the expectation
    ERROR = "error"  # the probe could not answer (unreachable, timed out, rejected)
    WARN = "warn"  # an advisory check is not met; it holds nothing back (e.g. a record another team owns)


class Seam(StrEnum):
    POSTMARK = "postmark"
    DNS = "dns"
    CROSS = "cross-seam"
    AWS = "aws"
    KUBERNETES = "kubernetes"


MESSAGE_CHARACTERS = 600


@dataclass(frozen=True)
class Finding:
    """One assertion's result; its message may quote DNS or Postmark, so it is held to the
    outside-text rule (redacted, one line, control characters escaped, cut) when made."""

    domain: str
    seam: Seam
    check: str
    status: Status
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", outside_text(self.message, MESSAGE_CHARACTERS))

    @property
    def failed(self) -> bool:
        """Drift or a probe that could not answer; a warning is not a failure."""
        return self.status in (Status.DRIFT, Status.ERROR)

    def to_json(self) -> dict[str, str]:
        data = asdict(self)
        data["seam"] = self.seam.value
        data["status"] = self.status.value
        return data


def ok(domain: str, seam: Seam, check: str, message: str) -> Finding:
    return Finding(domain, seam, check, Status.OK, message)


def drift(domain: str, seam: Seam, check: str, message: str) -> Finding:
    return Finding(domain, seam, check, Status.DRIFT, message)


def error(domain: str, seam: Seam, check: str, message: str) -> Finding:
    return Finding(domain, seam, check, Status.ERROR, message)


def warn(domain: str, seam: Seam, check: str, message: str) -> Finding:
    return Finding(domain, seam, check, Status.WARN, message)


def abbreviate(value: str, keep: int = 10) -> str:
    """`MIIBIjANBg…IDAQAB`: enough of a long key to tell two apart in a message."""
    return value if len(value) <= 2 * keep + 1 else f"{value[:keep]}…{value[-keep:]}"

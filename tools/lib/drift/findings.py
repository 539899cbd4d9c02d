"""Findings: one assertion about one sending domain, passed or not, with a precise message."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Status(StrEnum):
    OK = "ok"
    DRIFT = "drift"  # the live state disagrees with the expectation
    ERROR = "error"  # the probe could not answer (unreachable, timed out, rejected)


class Seam(StrEnum):
    POSTMARK = "postmark"
    DNS = "dns"
    CROSS = "cross-seam"


@dataclass(frozen=True)
class Finding:
    domain: str
    seam: Seam
    check: str
    status: Status
    message: str

    @property
    def failed(self) -> bool:
        return self.status is not Status.OK

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


def abbreviate(value: str, keep: int = 10) -> str:
    """`MIIBIjANBg…IDAQAB`: enough of a long key to tell two apart in a message."""
    return value if len(value) <= 2 * keep + 1 else f"{value[:keep]}…{value[-keep:]}"

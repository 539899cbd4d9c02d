"""Typed records of Postmark's answers, each checked against the shapes of Postmark's
OpenAPI description before anything reads it.

The description marks no field as required; a record here requires what this project
cannot work without (`ID`, `Name`; `TotalCount` and `Domains` of a listing) and checks the
JSON type of every documented field that is present, so an array for an object, `ID` as a
string, `null` or a missing `ID` is one line naming the operation and the field instead of
a traceback or a silent zero. Unknown fields are ignored (Postmark may add some).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from tools.postmark.errors import PostmarkShapeError
from tools.runtime.text import unprintable

_STRING, _BOOLEAN, _INTEGER = "a string", "a boolean", "an integer"

# DomainInformation (an item of GET /domains).
_DOMAIN_SUMMARY_FIELDS = {
    "ID": _INTEGER,
    "Name": _STRING,
    "SPFVerified": _BOOLEAN,
    "DKIMVerified": _BOOLEAN,
    "WeakDKIM": _BOOLEAN,
    "ReturnPathDomainVerified": _BOOLEAN,
}
# DomainExtendedInformation (GET/PUT /domains/{id}, POST /domains, verifydkim, verifyreturnpath).
_DOMAIN_FIELDS = {
    **_DOMAIN_SUMMARY_FIELDS,
    "SPFHost": _STRING,
    "SPFTextValue": _STRING,
    "DKIMHost": _STRING,
    "DKIMTextValue": _STRING,  # what the live API answers
    "DKIMTestValue": _STRING,  # how the description spells it
    "DKIMPendingHost": _STRING,
    "DKIMPendingTextValue": _STRING,
    "DKIMRevokedHost": _STRING,
    "DKIMRevokedTextValue": _STRING,
    "SafeToRemoveRevokedKeyFromDNS": _BOOLEAN,
    "DKIMUpdateStatus": _STRING,
    "ReturnPathDomain": _STRING,
    "ReturnPathDomainCNAMEValue": _STRING,
}
# DKIMRotationResponse (POST /domains/{id}/rotatedkim): the DKIM part of a domain.
_ROTATION_FIELDS = {
    name: kind
    for name, kind in _DOMAIN_FIELDS.items()
    if name in ("ID", "Name", "WeakDKIM") or "DKIM" in name
}
_REQUIRED = ("ID", "Name")


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, with an article, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _has_type(value: Any, kind: str) -> bool:
    if kind == _INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _BOOLEAN:
        return isinstance(value, bool)
    return isinstance(value, str)


def checked_object(
    data: Any,
    operation: str,
    fields: Mapping[str, str],
    required: tuple[str, ...] = _REQUIRED,
    where: str = "",
) -> Mapping[str, Any]:
    """`data` as an object whose documented fields have their documented types."""
    if not isinstance(data, dict):
        raise PostmarkShapeError(operation, f"{where or 'the body'} is {json_type(data)}, not an object")
    for name in required:
        if name not in data:
            raise PostmarkShapeError(operation, f"{where}{name} is missing")
    for name, kind in fields.items():
        if name in data and not _has_type(data[name], kind):
            raise PostmarkShapeError(operation, f"{where}{name} is {json_type(data[name])}, not {kind}")
        if kind == _STRING and name in data and any(unprintable(char) for char in data[name]):
            raise PostmarkShapeError(operation, f"{where}{name} holds a control or invalid character")
    if "ID" in fields and "ID" in data and data["ID"] <= 0:
        raise PostmarkShapeError(operation, f"{where}ID is {data['ID']}, not a positive integer")
    if "Name" in fields and "Name" in data and not data["Name"].strip():
        raise PostmarkShapeError(operation, f"{where}Name is empty")
    return data


def _text(data: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


@dataclass(frozen=True)
class DomainSummary:
    """An item of the domain listing."""

    id: int
    name: str

    @classmethod
    def from_api(cls, data: Any, operation: str = "listing domains", where: str = "") -> DomainSummary:
        item = checked_object(data, operation, _DOMAIN_SUMMARY_FIELDS, where=where)
        return cls(id=item["ID"], name=item["Name"])


class Listed(Protocol):
    """An item of a listing: every one has its ID."""

    @property
    def id(self) -> int: ...


ItemT = TypeVar("ItemT", bound=Listed)


@dataclass(frozen=True)
class ListingPage(Generic[ItemT]):
    """One page of a listing (`{"TotalCount": N, "<key>": [...]}`: domains, servers)."""

    total_count: int
    items: tuple[ItemT, ...]

    @classmethod
    def from_api(
        cls, data: Any, operation: str, key: str, parse_item: Callable[[Any, str, str], ItemT]
    ) -> ListingPage[ItemT]:
        page = checked_object(data, operation, {"TotalCount": _INTEGER}, required=("TotalCount", key))
        if page["TotalCount"] < 0:
            raise PostmarkShapeError(operation, f"TotalCount is {page['TotalCount']}")
        items = page[key]
        if not isinstance(items, list):
            raise PostmarkShapeError(operation, f"{key} is {json_type(items)}, not an array")
        return cls(
            total_count=page["TotalCount"],
            items=tuple(parse_item(item, operation, f"{key}[{index}].") for index, item in enumerate(items)),
        )


@dataclass(frozen=True)
class PostmarkDomain:
    """The fields of a Postmark domain this project reads (DomainExtendedInformation)."""

    id: int
    name: str
    dkim_host: str
    dkim_text_value: str
    dkim_pending_host: str
    dkim_pending_text_value: str
    dkim_verified: bool
    return_path_domain: str
    return_path_cname_value: str
    return_path_verified: bool
    dkim_revoked_host: str = ""
    dkim_revoked_text_value: str = ""
    safe_to_remove_revoked_key: bool = False
    dkim_update_status: str = ""

    @classmethod
    def from_api(cls, data: Any, operation: str = "reading a domain") -> PostmarkDomain:
        record = checked_object(data, operation, _DOMAIN_FIELDS)
        return cls(
            id=record["ID"],
            name=record["Name"],
            dkim_host=_text(record, "DKIMHost"),
            dkim_text_value=_text(record, "DKIMTextValue", "DKIMTestValue"),
            dkim_pending_host=_text(record, "DKIMPendingHost"),
            dkim_pending_text_value=_text(record, "DKIMPendingTextValue"),
            dkim_verified=record.get("DKIMVerified") is True,
            return_path_domain=_text(record, "ReturnPathDomain"),
            return_path_cname_value=_text(record, "ReturnPathDomainCNAMEValue"),
            return_path_verified=record.get("ReturnPathDomainVerified") is True,
            dkim_revoked_host=_text(record, "DKIMRevokedHost"),
            dkim_revoked_text_value=_text(record, "DKIMRevokedTextValue"),
            safe_to_remove_revoked_key=record.get("SafeToRemoveRevokedKeyFromDNS") is True,
            dkim_update_status=_text(record, "DKIMUpdateStatus"),
        )

    @property
    def has_pending_dkim(self) -> bool:
        return bool(self.dkim_pending_host and self.dkim_pending_text_value)


@dataclass(frozen=True)
class DkimRotation:
    """What `POST /domains/{id}/rotatedkim` answers: the new pending key."""

    domain_id: int
    pending_host: str
    pending_text_value: str

    @classmethod
    def from_api(cls, data: Any, operation: str = "rotating the DKIM key") -> DkimRotation:
        record = checked_object(data, operation, _ROTATION_FIELDS)
        host, value = _text(record, "DKIMPendingHost"), _text(record, "DKIMPendingTextValue")
        if not host or not value:
            raise PostmarkShapeError(operation, "DKIMPendingHost or DKIMPendingTextValue is empty")
        return cls(domain_id=record["ID"], pending_host=host, pending_text_value=value)

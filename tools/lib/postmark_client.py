"""The project's one Postmark Account API client (Domains API subset).

A `requests` session carrying the account token, with timeouts and bounded retries: 429,
5xx and connection failures are retried with exponential backoff (honouring `Retry-After`)
by urllib3's `Retry`; 401 and 422 are reported at once with Postmark's `ErrorCode` and
`Message`. `POST /domains` is never retried on a status (it is not idempotent; a re-run
finds the domain first). There is deliberately no method that creates a Postmark server.

The base URL comes from `POSTMARK_API_URL` (default `https://api.postmarkapp.com`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

DEFAULT_POSTMARK_API_URL = "https://api.postmarkapp.com"
TOKEN_HEADER = "X-Postmark-Account-Token"  # noqa: S105 (a header name)
PAGE_SIZE = 500  # the API's maximum `count`
RETRIED_STATUSES = (429, 500, 502, 503, 504)
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF_SECONDS = 0.5


class PostmarkError(Exception):
    """Postmark could not do what was asked; the message is one line for the operator."""


class PostmarkAuthError(PostmarkError):
    """HTTP 401: the account token was rejected."""


class PostmarkRejected(PostmarkError):
    """HTTP 422: Postmark refused the request; carries its ErrorCode and Message."""

    def __init__(self, operation: str, error_code: int | None, message: str) -> None:
        self.error_code = error_code
        self.postmark_message = message
        super().__init__(f"Postmark refused {operation} (ErrorCode {error_code}: {message})")


class PostmarkUnavailable(PostmarkError):
    """Postmark did not answer usefully after the bounded retries (timeouts, 5xx, 429)."""


def postmark_api_url(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return (env.get("POSTMARK_API_URL") or DEFAULT_POSTMARK_API_URL).rstrip("/")


@dataclass(frozen=True)
class PostmarkDomain:
    """The fields of a Postmark domain this project reads."""

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

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> PostmarkDomain:
        def text(*keys: str) -> str:
            for key in keys:
                value = data.get(key)
                if isinstance(value, str) and value:
                    return value
            return ""

        return cls(
            id=int(data.get("ID", 0)),
            name=text("Name"),
            dkim_host=text("DKIMHost"),
            # The published OpenAPI description spells the field `DKIMTestValue`.
            dkim_text_value=text("DKIMTextValue", "DKIMTestValue"),
            dkim_pending_host=text("DKIMPendingHost"),
            dkim_pending_text_value=text("DKIMPendingTextValue"),
            dkim_verified=data.get("DKIMVerified") is True,
            return_path_domain=text("ReturnPathDomain"),
            return_path_cname_value=text("ReturnPathDomainCNAMEValue"),
            return_path_verified=data.get("ReturnPathDomainVerified") is True,
        )

    @property
    def has_pending_dkim(self) -> bool:
        return bool(self.dkim_pending_host and self.dkim_pending_text_value)


def same_domain_name(a: str, b: str) -> bool:
    """DNS names compare case-insensitively and without a trailing dot."""
    return a.strip().rstrip(".").lower() == b.strip().rstrip(".").lower()


class PostmarkClient:
    """Domains API calls for one account token."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        retries: int = DEFAULT_RETRIES,
        backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
    ) -> None:
        if not token:
            raise PostmarkAuthError("no Postmark account token was given")
        self.base_url = (base_url or postmark_api_url()).rstrip("/")
        self._timeout = timeout
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff_seconds,
            status_forcelist=RETRIED_STATUSES,
            allowed_methods=frozenset({"GET", "PUT"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self._session = requests.Session()
        self._session.mount("http://", HTTPAdapter(max_retries=retry))
        self._session.mount("https://", HTTPAdapter(max_retries=retry))
        self._session.headers.update(
            {"Accept": "application/json", "Content-Type": "application/json", TOKEN_HEADER: token}
        )

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> PostmarkClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            response = self._session.request(
                method, self.base_url + path, params=params, json=body, timeout=self._timeout
            )
        except requests.RequestException as exc:
            if not _is_timeout(exc):
                raise PostmarkUnavailable(
                    f"cannot reach Postmark at {self.base_url} for {operation} ({type(exc).__name__}); "
                    "check the network or POSTMARK_API_URL and re-run"
                ) from None
            raise PostmarkUnavailable(
                f"Postmark did not answer {operation} within {self._timeout:g} s (after retries); "
                "check https://status.postmarkapp.com and re-run"
            ) from None
        status = response.status_code
        if status == 401:
            code, message = _error_body(response)
            raise PostmarkAuthError(
                f"Postmark rejected the account token (HTTP 401, ErrorCode {code}: {message}); "
                "check the token in the partition's 1Password item or POSTMARK_ACCOUNT_TOKEN"
            )
        if status == 422:
            code, message = _error_body(response)
            raise PostmarkRejected(operation, code, message)
        if status >= 400:
            raise PostmarkUnavailable(
                f"Postmark answered {operation} with HTTP {status} (after retries); re-run later"
            )
        try:
            return response.json()
        except ValueError:
            raise PostmarkUnavailable(f"Postmark answered {operation} with a body that is not JSON") from None

    def list_domains(self) -> list[Mapping[str, Any]]:
        """Every domain on the account (all pages); each has at least `ID` and `Name`."""
        domains: list[Mapping[str, Any]] = []
        while True:
            page = self._call(
                "GET",
                "/domains",
                operation="listing domains",
                params={"count": PAGE_SIZE, "offset": len(domains)},
            )
            batch = (page.get("Domains") or []) if isinstance(page, dict) else []
            domains.extend(batch)
            total = int(page.get("TotalCount", 0)) if isinstance(page, dict) else 0
            if not batch or len(domains) >= total:
                return domains

    def find_domain_id(self, name: str) -> int | None:
        """The id of the domain called `name` (case-insensitive), or None."""
        for domain in self.list_domains():
            if same_domain_name(str(domain.get("Name", "")), name):
                return int(domain["ID"])
        return None

    def get_domain_record(self, domain_id: int) -> Mapping[str, Any]:
        result: Mapping[str, Any] = self._call(
            "GET", f"/domains/{domain_id}", operation=f"reading domain {domain_id}"
        )
        return result

    def get_domain(self, domain_id: int) -> PostmarkDomain:
        return PostmarkDomain.from_api(self.get_domain_record(domain_id))

    def create_domain(self, name: str, return_path_domain: str) -> PostmarkDomain:
        return PostmarkDomain.from_api(
            self._call(
                "POST",
                "/domains",
                operation=f"creating domain {name}",
                body={"Name": name, "ReturnPathDomain": return_path_domain},
            )
        )

    def set_return_path_domain(self, domain_id: int, return_path_domain: str) -> PostmarkDomain:
        return PostmarkDomain.from_api(
            self._call(
                "PUT",
                f"/domains/{domain_id}",
                operation=f"changing the Return-Path of domain {domain_id}",
                body={"ReturnPathDomain": return_path_domain},
            )
        )

    def verify_dkim(self, domain_id: int) -> PostmarkDomain:
        return PostmarkDomain.from_api(
            self._call("PUT", f"/domains/{domain_id}/verifyDkim", operation="verifying DKIM")
        )

    def verify_return_path(self, domain_id: int) -> PostmarkDomain:
        return PostmarkDomain.from_api(
            self._call("PUT", f"/domains/{domain_id}/verifyReturnPath", operation="verifying the Return-Path")
        )


def _is_timeout(exc: requests.RequestException) -> bool:
    """True for a timeout, also when urllib3 wrapped the last one after its retries."""
    if isinstance(exc, requests.Timeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, urllib3.exceptions.NewConnectionError):  # a refused connection
        return False
    return isinstance(reason, TimeoutError | urllib3.exceptions.TimeoutError)


def _error_body(response: requests.Response) -> tuple[int | None, str]:
    try:
        data = response.json()
    except ValueError:
        return None, (response.text or "").strip()[:200] or "no message"
    if not isinstance(data, dict):
        return None, "no message"
    code = data.get("ErrorCode")
    return (code if isinstance(code, int) else None), str(data.get("Message") or "no message")

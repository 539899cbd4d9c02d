"""The project's one Postmark Account API client (Domains API subset): the boundary every
answer from Postmark crosses.

What it guarantees, whatever answers at the base URL:
* the account token goes only to the configured host: redirects are never followed (a
  redirect is an error naming the `Location` host), and plain `http://` is refused for any
  host but loopback;
* every call is bounded in total time (a server that drips one byte at a time or never ends
  its body is cut off at the call's limit, not only between bytes), in body size, and in
  attempts; the command as a whole has a deadline too;
* 429, 5xx and connection failures are retried with exponential backoff, honouring a
  `Retry-After` of up to `MAX_RETRY_AFTER_SECONDS` (a longer one is a clear "re-run later");
  401 and 422 are reported at once with Postmark's `ErrorCode` and `Message`;
  `POST /domains` is retried only when Postmark cannot have acted on it (connection refused,
  429): it is not idempotent and a re-run finds the domain first;
* listings stop at the page count `TotalCount` implies and at a hard maximum, and an
  empty or repeated page before the end is an error, never a silent partial answer;
* every answer is parsed into typed records checked against the OpenAPI shapes
  (`tools.postmark.records`).
There is deliberately no method that creates a Postmark server.

The base URL comes from `POSTMARK_API_URL` (default `https://api.postmarkapp.com`).
"""

from __future__ import annotations

import email.utils
import functools
import json
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions

from platform_lib.naming import normal_name
from tools.postmark.errors import (
    PostmarkAuthError,
    PostmarkConfigError,
    PostmarkError,
    PostmarkRedirected,
    PostmarkRejected,
    PostmarkShapeError,
    PostmarkUnavailable,
)
from tools.postmark.records import DkimRotation, DomainSummary, Listed, ListingPage, PostmarkDomain
from tools.runtime.bounded import TimedOut, within
from tools.runtime.urls import check_api_url, loopback_url
from tools.secrets.outside_text import outside_text

__all__ = [
    "DEFAULT_POSTMARK_API_URL",
    "DkimRotation",
    "DomainSummary",
    "PostmarkAuthError",
    "PostmarkClient",
    "PostmarkConfigError",
    "PostmarkDomain",
    "PostmarkError",
    "PostmarkLimits",
    "PostmarkRedirected",
    "PostmarkRejected",
    "PostmarkShapeError",
    "PostmarkUnavailable",
    "api_url_notice",
    "postmark_api_url",
    "same_domain_name",
]

DEFAULT_POSTMARK_API_URL = "https://api.postmarkapp.com"
DEFAULT_TOKEN_SOURCE = "the partition's 1Password item or POSTMARK_ACCOUNT_TOKEN"  # noqa: S105 (a description)
API_URL_ENV_VAR = "POSTMARK_API_URL"
ANNOUNCED_ENV_VAR = "POSTMARK_API_URL_ANNOUNCED"
TOKEN_HEADER = "X-Postmark-Account-Token"  # noqa: S105 (a header name)
PAGE_SIZE = 500  # the API's maximum `count`
MAX_PAGES = 20  # 10,000 domains: far beyond any account here, small enough to hold
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_DEADLINE_SECONDS = 120.0
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF_SECONDS = 0.5
MAX_RETRY_AFTER_SECONDS = 30.0
MAX_BODY_BYTES = 4 * 1024 * 1024
_CHUNK_BYTES = 64 * 1024
_MESSAGE_CHARACTERS = 200
_RAW_MESSAGE_BYTES = 64 * 1024  # read whole enough that a token in it is found before the cut

T = TypeVar("T")
ListedT = TypeVar("ListedT", bound=Listed)


def postmark_api_url(env: Mapping[str, str] | None = None) -> str:
    """The validated base URL from `POSTMARK_API_URL`, else the default."""
    env = os.environ if env is None else env
    return check_api_url(
        env.get(API_URL_ENV_VAR) or DEFAULT_POSTMARK_API_URL, API_URL_ENV_VAR, DEFAULT_POSTMARK_API_URL
    )


def api_url_notice(url: str, env: Mapping[str, str] | None = None) -> str | None:
    """The one line every tool prints at start when Postmark is not the default one (None
    when it is, or when the caller - `amm.sh` - has said so already: ANNOUNCED_ENV_VAR=1)."""
    env = os.environ if env is None else env
    if url.rstrip("/") == DEFAULT_POSTMARK_API_URL or env.get(ANNOUNCED_ENV_VAR) == "1":
        return None
    return f"Postmark API is {url} ({API_URL_ENV_VAR}), not {DEFAULT_POSTMARK_API_URL}"


def same_domain_name(a: str, b: str) -> bool:
    """DNS names compare case-insensitively and without a trailing dot."""
    return normal_name(a) == normal_name(b)


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes


class _CallTimedOut(Exception):
    pass


class _BodyTooLarge(Exception):
    pass


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("non-finite number")
    return value


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


def _retry_after_seconds(value: str | None, now: Callable[[], datetime]) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), else None."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())


@dataclass(frozen=True)
class PostmarkLimits:
    """How hard a client tries: attempts and their backoff, the longest `Retry-After` it
    honours, and the size and page caps of an answer."""

    retries: int = DEFAULT_RETRIES
    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS
    max_retry_after_seconds: float = MAX_RETRY_AFTER_SECONDS
    max_body_bytes: int = MAX_BODY_BYTES
    max_pages: int = MAX_PAGES


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    operation: str
    params: Mapping[str, Any] | None
    body: Mapping[str, Any] | None

    @property
    def idempotent(self) -> bool:
        return self.method in ("GET", "PUT")


@dataclass(frozen=True)
class _Retry:
    """An attempt that failed in a way worth another attempt (if `retryable`), after `wait`."""

    failure: PostmarkError
    retryable: bool
    wait: float


class PostmarkClient:
    """Domains API calls for one account token, within one command's deadline."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
        limits: PostmarkLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        token_source: str = DEFAULT_TOKEN_SOURCE,
    ) -> None:
        if not token:
            raise PostmarkAuthError("no Postmark account token was given")
        for name, value in (("timeout", timeout), ("deadline", deadline_seconds)):
            if not (math.isfinite(value) and value > 0):
                raise PostmarkConfigError(f"the Postmark {name} must be a finite number of seconds above 0")
        self.base_url = (
            check_api_url(base_url, API_URL_ENV_VAR, DEFAULT_POSTMARK_API_URL)
            if base_url
            else postmark_api_url()
        )
        self._token = token
        self._token_source = token_source  # named when Postmark rejects the token
        self._timeout = timeout
        self._limits = limits or PostmarkLimits()
        self._deadline_seconds = deadline_seconds
        self._clock = clock
        self._sleep = sleep
        self._deadline = clock() + deadline_seconds
        self._session = self._new_session()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        # Loopback answers directly: no proxy from the environment sees a plain-http token.
        session.trust_env = not loopback_url(self.base_url)
        session.headers.update(
            {
                "Accept": "application/json",
                "Content-Type": "application/json",
                TOKEN_HEADER: self._token,
            }
        )
        return session

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ---- transport ---------------------------------------------------------------------
    def _redacted(self, text: str) -> str:
        """Server text for a message, under the outside-text rule (its token redacted first)."""
        return outside_text(text, _MESSAGE_CHARACTERS, secrets=(self._token,)) or "no message"

    def _exchange(self, request: _Request, limit: float) -> _Answer:
        """One HTTP exchange, the body read in chunks up to the size cap (a worker thread)."""
        started = time.monotonic()
        response = self._session.request(
            request.method,
            self.base_url + request.path,
            params=request.params,
            json=request.body,
            timeout=(limit, limit),
            stream=True,
            allow_redirects=False,
        )
        try:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self._limits.max_body_bytes:
                raise _BodyTooLarge
            chunks: list[bytes] = []
            size = 0
            for chunk in response.raw.stream(_CHUNK_BYTES, decode_content=True):
                size += len(chunk)
                if size > self._limits.max_body_bytes:
                    raise _BodyTooLarge
                chunks.append(chunk)
                if time.monotonic() - started > limit:
                    raise _CallTimedOut
            return _Answer(response.status_code, dict(response.headers), b"".join(chunks))
        finally:
            response.close()

    def _bounded(self, work: Callable[[], T], limit: float) -> T:
        """Run `work` with a total time limit: a stalled exchange is abandoned, not awaited."""
        try:
            return within(work, limit, "postmark-call")
        except TimedOut:
            # The abandoned exchange keeps its own session; later calls use a fresh one.
            self._session = self._new_session()
            raise _CallTimedOut from None

    def _call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        """The answer's JSON; retried within the limits and the command's deadline."""
        request = _Request(method, path, operation, params, body)
        attempt = 0
        while True:
            remaining = self._deadline - self._clock()
            if remaining <= 0:
                raise PostmarkUnavailable(
                    f"Postmark did not finish {operation} within this command's "
                    f"{self._deadline_seconds:g} s; re-run later"
                )
            outcome = self._attempt(request, min(self._timeout, remaining), attempt)
            if not isinstance(outcome, _Retry):
                return outcome
            if not outcome.retryable or attempt >= self._limits.retries:
                raise outcome.failure
            if outcome.wait >= self._deadline - self._clock():
                raise outcome.failure
            self._sleep(outcome.wait)
            attempt += 1

    def _attempt(self, request: _Request, limit: float, attempt: int) -> Any:
        """One exchange: its JSON, a `_Retry`, or an error that ends the call."""
        wait, operation = self._limits.backoff_seconds * (2**attempt), request.operation
        try:
            answer = self._bounded(functools.partial(self._exchange, request, limit), limit)
        except (_CallTimedOut, requests.Timeout, urllib3.exceptions.TimeoutError):
            failure = (
                f"Postmark did not answer {operation} within {limit:g} s (after {attempt + 1} attempt(s)); "
            )
            return _Retry(
                PostmarkUnavailable(failure + "check https://status.postmarkapp.com and re-run"),
                request.idempotent,
                wait,
            )
        except _BodyTooLarge:
            raise PostmarkUnavailable(
                f"Postmark's answer to {operation} is larger than {self._limits.max_body_bytes} bytes; "
                "check that POSTMARK_API_URL points at Postmark"
            ) from None
        except requests.ConnectionError as exc:
            unreachable = PostmarkUnavailable(
                f"cannot reach Postmark at {self.base_url} for {operation} ({type(exc).__name__}); "
                "check the network or POSTMARK_API_URL and re-run"
            )
            # Refused before anything was sent: safe to repeat even a create.
            return _Retry(unreachable, request.idempotent or _never_connected(exc), wait)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            garbled = f"Postmark's answer to {operation} was cut or garbled ({type(exc).__name__}); re-run"
            return _Retry(PostmarkUnavailable(garbled), request.idempotent, wait)
        return self._judge(request, answer, attempt, wait)

    def _judge(self, request: _Request, answer: _Answer, attempt: int, wait: float) -> Any:
        """What a status means: the JSON (2xx), an error (redirect, 401, 422, others), or a
        `_Retry` (429, 5xx) honouring `Retry-After` up to the limit."""
        status, operation = answer.status, request.operation
        if 300 <= status < 400:
            raise self._redirected(request, answer)
        if status in (401, 422):
            code, message = self._error_body(answer)
            if status == 422:
                raise PostmarkRejected(operation, code, message)
            raise PostmarkAuthError(
                f"Postmark rejected the account token from {self._token_source} (HTTP 401, ErrorCode {code}: "
                f"{message}); put a valid token of that account there"
            )
        if 200 <= status < 300:
            return self._json(answer, operation)
        if status not in RETRIED_STATUSES:
            raise PostmarkUnavailable(f"Postmark answered {operation} with HTTP {status}; re-run later")
        asked = _retry_after_seconds(answer.headers.get("Retry-After"), lambda: datetime.now(UTC))
        if asked is not None and asked > self._limits.max_retry_after_seconds:
            raise PostmarkUnavailable(f"Postmark asks to wait {asked:.0f} s before {operation}; re-run later")
        failure = PostmarkUnavailable(
            f"Postmark answered {operation} with HTTP {status} (after {attempt + 1} attempt(s)); re-run later"
        )
        # A 429 was not acted on: safe to repeat even a create.
        return _Retry(failure, request.idempotent or status == 429, wait if asked is None else asked)

    def _redirected(self, request: _Request, answer: _Answer) -> PostmarkRedirected:
        """A redirect is never followed with the token; the error names where it pointed."""
        raw_location = answer.headers.get("Location", "").strip()
        try:
            where = (
                urlsplit(urljoin(self.base_url + request.path, raw_location)).hostname
                if raw_location
                else None
            )
        except ValueError:
            where = None
        return PostmarkRedirected(
            f"Postmark answered {request.operation} with a redirect (HTTP {answer.status}) to "
            f"{self._redacted(where or 'nowhere (no usable Location)')}; the token is never sent on: "
            "check POSTMARK_API_URL"
        )

    def _json(self, answer: _Answer, operation: str) -> Any:
        try:
            return json.loads(
                answer.body.decode("utf-8"), parse_float=_finite_float, parse_constant=_no_constant
            )
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise PostmarkShapeError(operation, "the body is not JSON") from None

    def _error_body(self, answer: _Answer) -> tuple[int | None, str]:
        try:
            data = json.loads(answer.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None, self._redacted(answer.body[:_RAW_MESSAGE_BYTES].decode("utf-8", "replace"))
        if not isinstance(data, dict):
            return None, "no message"
        code = data.get("ErrorCode")
        message = data.get("Message")
        return (
            code if isinstance(code, int) and not isinstance(code, bool) else None,
            self._redacted(message) if isinstance(message, str) else "no message",
        )

    # ---- listings ----------------------------------------------------------------------
    def _list_all(
        self,
        path: str,
        key: str,
        parse_item: Callable[[Any, str, str], ListedT],
        *,
        operation: str,
        params: Mapping[str, Any] | None = None,
    ) -> list[ListedT]:
        """Every item of a listing (domains, servers), page by page: complete and consistent
        or an error - it stops at the count `TotalCount` gives, at `max_pages`, and refuses a
        repeated item, an oversized page, an early empty page, a count that changes between
        pages or more items than it counts (never a silent partial list)."""
        what = key.lower()
        items: list[ListedT] = []
        seen: set[int] = set()
        total: int | None = None
        for _ in range(self._limits.max_pages):
            page = ListingPage.from_api(
                self._call(
                    "GET",
                    path,
                    operation=operation,
                    params={**(params or {}), "count": PAGE_SIZE, "offset": len(items)},
                ),
                operation,
                key,
                parse_item,
            )
            if total is None:
                total = page.total_count
                if total > self._limits.max_pages * PAGE_SIZE:
                    raise PostmarkShapeError(
                        operation,
                        f"TotalCount {total} is more than the {self._limits.max_pages * PAGE_SIZE} {what} "
                        "this tool reads",
                    )
            ids = _page_ids(page, total, len(items), seen, what=what, operation=operation)
            seen |= ids
            items.extend(page.items)
            if len(items) >= total or not page.items:
                return items
        raise PostmarkUnavailable(
            f"Postmark's listing did not end after {self._limits.max_pages} pages; re-run later"
        )

    # ---- the Domains API ---------------------------------------------------------------
    def list_domains(self) -> list[DomainSummary]:
        """Every domain on the account, read page by page within the bounds above."""
        return self._list_all("/domains", "Domains", DomainSummary.from_api, operation="listing domains")

    def find_domain_id(self, name: str) -> int | None:
        """The id of the domain called `name` (case-insensitive), or None; two domains of that
        name (they differ only in case or a trailing dot) are an error, never a guess."""
        found = [domain for domain in self.list_domains() if same_domain_name(domain.name, name)]
        if len(found) > 1:
            ids = ", ".join(str(domain.id) for domain in found)
            raise PostmarkError(
                f"Postmark has {len(found)} domains named {name} (IDs {ids}); remove the extra one in Postmark"
            )
        return found[0].id if found else None

    def get_domain(self, domain_id: int) -> PostmarkDomain:
        operation = f"reading domain {domain_id}"
        return PostmarkDomain.from_api(
            self._call("GET", f"/domains/{domain_id}", operation=operation), operation
        )

    def create_domain(self, name: str, return_path_domain: str) -> PostmarkDomain:
        operation = f"creating domain {name}"
        return PostmarkDomain.from_api(
            self._call(
                "POST",
                "/domains",
                operation=operation,
                body={"Name": name, "ReturnPathDomain": return_path_domain},
            ),
            operation,
        )

    def set_return_path_domain(self, domain_id: int, return_path_domain: str) -> PostmarkDomain:
        operation = f"changing the Return-Path of domain {domain_id}"
        return PostmarkDomain.from_api(
            self._call(
                "PUT",
                f"/domains/{domain_id}",
                operation=operation,
                body={"ReturnPathDomain": return_path_domain},
            ),
            operation,
        )

    def rotate_dkim(self, domain_id: int) -> DkimRotation:
        """Start a DKIM key rotation: Postmark issues a pending key (not retried on a status:
        a second rotation would replace the first's pending key)."""
        operation = f"rotating the DKIM key of domain {domain_id}"
        return DkimRotation.from_api(
            self._call("POST", f"/domains/{domain_id}/rotatedkim", operation=operation), operation
        )

    def verify_dkim(self, domain_id: int) -> PostmarkDomain:
        operation = "verifying DKIM"
        return PostmarkDomain.from_api(
            self._call("PUT", f"/domains/{domain_id}/verifyDkim", operation=operation), operation
        )

    def verify_return_path(self, domain_id: int) -> PostmarkDomain:
        operation = "verifying the Return-Path"
        return PostmarkDomain.from_api(
            self._call("PUT", f"/domains/{domain_id}/verifyReturnPath", operation=operation), operation
        )


def _page_ids(
    page: ListingPage[Any], total: int, listed: int, seen: set[int], *, what: str, operation: str
) -> set[int]:
    """The ids of a listing's next page (after `listed` items, `seen` their ids), once it is
    consistent with what came before; PostmarkShapeError or PostmarkUnavailable otherwise."""
    if len(page.items) > PAGE_SIZE:
        raise PostmarkShapeError(operation, f"a page holds {len(page.items)} {what} (count {PAGE_SIZE})")
    if page.total_count != total or listed + len(page.items) > total:
        # The listing changed under us or contradicts itself: what it left out is unknown.
        raise PostmarkUnavailable(
            f"Postmark's listing of {what} is inconsistent while {operation} (TotalCount {total}, then "
            f"{page.total_count}, with {listed + len(page.items)} {what} returned); re-run later"
        )
    ids = {item.id for item in page.items}
    if ids & seen or len(ids) < len(page.items):
        raise PostmarkUnavailable(
            f"Postmark repeated {what} while {operation} (offset {listed}); re-run later"
        )
    if not page.items and listed < total:
        raise PostmarkUnavailable(
            f"Postmark's listing ended at {listed} of the {total} {what} it counted; re-run later"
        )
    return ids


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when the connection was refused or never made, so the request was never sent."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)

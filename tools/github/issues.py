"""Open the labelled drift issue through the GitHub REST API, or comment on the open one.

GitHub Actions provides GITHUB_TOKEN (passed in by the workflow), GITHUB_REPOSITORY and
GITHUB_API_URL. An open issue with the same title (and the drift label) gets a comment
instead of a duplicate. The boundary is held like Postmark's:
* the API URL is https (plain http only to loopback, and then no proxy from the
  environment ever sees the token), redirects are never followed with the token;
* GITHUB_REPOSITORY is `owner/name` with no `.` or `..` part, so the token only ever reaches
  `/repos/{owner}/{name}/...`;
* every call is bounded in total time and body size, and answers are checked for the
  documented shape;
* the search for an open issue must complete - a listing that repeats a page, contradicts
  itself or does not end within `MAX_PAGES` pages is `GitHubSearchIncomplete`, so drift
  never files a duplicate because it could not see the open issue;
* GitHub's text in an error goes through the outside-text rule (redacted, escaped, cut).
The body is redacted by the caller.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
import urllib3.exceptions

from tools.cli.contract import OperatorError, UsageError
from tools.runtime.bounded import TimedOut, within
from tools.runtime.urls import check_api_url, loopback_url
from tools.secrets.logger import register_secret
from tools.secrets.outside_text import outside_text
from tools.secrets.token_rule import TokenRejected, normalize_token

DEFAULT_API_URL = "https://api.github.com"
MAX_PAGES = 10
PER_PAGE = 100
MAX_BODY_BYTES = 4 * 1024 * 1024
# GitHub's rules: an owner is 1-39 letters, digits or inner hyphens; a repository name is
# letters, digits, `.`, `-` and `_`, at most 100 characters, and never `.` or `..`.
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$")
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class GitHubSettingsError(UsageError):
    """GITHUB_TOKEN, GITHUB_REPOSITORY or GITHUB_API_URL cannot be used; nothing was sent."""


class GitHubError(OperatorError):
    """The GitHub API refused or failed; the message names the call and the status."""


class GitHubSearchIncomplete(GitHubError):
    """The search for an open issue could not be completed: whether one is open is unknown."""


@dataclass(frozen=True)
class IssueResult:
    action: str  # "opened" or "commented"
    number: int
    url: str


def check_repository(repository: str) -> str:
    """`owner/name`, or GitHubSettingsError: no `.`/`..` part, nothing a URL path would reinterpret."""
    owner, slash, name = repository.partition("/")
    if not slash or not _OWNER.fullmatch(owner) or not _NAME.fullmatch(name) or name in (".", ".."):
        raise GitHubSettingsError(
            f"GITHUB_REPOSITORY {outside_text(repr(repository), 120)} is not owner/name (letters, digits, "
            "'-', and '.' or '_' in the name); set it to the repository, e.g. arda/infrastructure"
        )
    return repository


@dataclass(frozen=True)
class GitHubSettings:
    api_url: str
    repository: str
    token: str = field(repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GitHubSettings:
        env = os.environ if env is None else env
        missing = [name for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not env.get(name)]
        if missing:
            raise GitHubSettingsError(f"--open-issue needs {' and '.join(missing)} in the environment")
        raw = env["GITHUB_TOKEN"]
        register_secret(raw, env)  # masked and redacted before anything can show it
        try:
            token = normalize_token(raw, source="GITHUB_TOKEN", fix="set it to the token alone")
        except TokenRejected as exc:
            raise GitHubSettingsError(str(exc)) from None
        register_secret(token, env)
        repository = check_repository(env["GITHUB_REPOSITORY"])
        api_url = check_api_url(
            env.get("GITHUB_API_URL") or DEFAULT_API_URL, "GITHUB_API_URL", DEFAULT_API_URL
        )
        return cls(api_url=api_url, repository=repository, token=token)


class GitHubIssues:
    def __init__(self, settings: GitHubSettings, *, timeout: float = 15.0) -> None:
        self._settings = settings
        self._timeout = timeout
        owner, name = settings.repository.split("/")
        self._base = f"{settings.api_url}/repos/{quote(owner, safe='')}/{quote(name, safe='')}"
        self._session = self._new_session()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        # Plain http is allowed only to loopback: it answers directly, so no proxy named in
        # the environment ever receives the token in clear text.
        session.trust_env = not loopback_url(self._settings.api_url)
        session.headers.update(
            {
                "Authorization": f"Bearer {self._settings.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "partition-mail-platform-drift",
            }
        )
        return session

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = self._base + path

        def exchange() -> tuple[requests.Response, bytes]:
            response = self._session.request(
                method, url, timeout=self._timeout, allow_redirects=False, stream=True, **kwargs
            )
            try:
                return response, response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
            finally:
                response.close()

        call = f"GitHub API {method} {path}"
        try:
            # A total limit per call: a server dripping bytes defeats a per-read timeout.
            response, raw = within(exchange, self._timeout, "github-call")
        except TimedOut:
            # The abandoned call may still be using the session: later calls get a new one.
            self._session = self._new_session()
            raise GitHubError(f"{call} did not answer within {self._timeout:g} s") from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise GitHubError(f"{call} failed: {type(exc).__name__}") from None
        if len(raw) > MAX_BODY_BYTES:
            raise GitHubError(f"{call} answered more than {MAX_BODY_BYTES} bytes")
        if 300 <= response.status_code < 400:
            raise GitHubError(
                f"{call} answered a redirect (HTTP {response.status_code}); "
                "not followed with the token: check GITHUB_API_URL"
            )
        try:
            data = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError, RecursionError):
            data = None
        if response.status_code >= 400:
            message = data.get("message", "") if isinstance(data, dict) else ""
            said = outside_text(message, secrets=(self._settings.token,)) if isinstance(message, str) else ""
            raise GitHubError(f"{call} failed: HTTP {response.status_code} {said}".rstrip())
        if data is None:
            raise GitHubError(f"{call} answered a body that is not JSON")
        return data

    def find_open_issue(self, title: str, label: str) -> int | None:
        """The number of the open issue titled `title` (labelled `label`), or None - only
        once the listing has ended consistently (GitHubSearchIncomplete otherwise)."""
        seen: set[int] = set()
        for page in range(1, MAX_PAGES + 1):
            issues = self._call(
                "GET",
                "/issues",
                params={"state": "open", "labels": label, "per_page": PER_PAGE, "page": page},
            )
            if not isinstance(issues, list):
                raise GitHubSearchIncomplete("GitHub API GET /issues answered something other than a list")
            if len(issues) > PER_PAGE:
                raise GitHubSearchIncomplete(
                    f"GitHub API GET /issues answered {len(issues)} issues on a page of {PER_PAGE}"
                )
            try:
                numbers = [_issue_number(issue, "GET /issues") for issue in issues]
            except GitHubError as exc:
                raise GitHubSearchIncomplete(str(exc)) from None
            if seen.intersection(numbers) or len(set(numbers)) < len(numbers):
                raise GitHubSearchIncomplete(f"GitHub API GET /issues repeated issues on page {page}")
            seen.update(numbers)
            for issue, number in zip(issues, numbers, strict=True):
                if "pull_request" not in issue and issue.get("title") == title:
                    return number
            if len(issues) < PER_PAGE:
                return None
        raise GitHubSearchIncomplete(f"GitHub API GET /issues did not end after {MAX_PAGES} pages")

    def open_or_comment(self, title: str, body: str, labels: Sequence[str]) -> IssueResult:
        number = self.find_open_issue(title, labels[0])
        if number is not None:
            comment = self._call("POST", f"/issues/{number}/comments", json={"body": body})
            return IssueResult("commented", number, _html_url(comment))
        issue = self._call("POST", "/issues", json={"title": title, "body": body, "labels": list(labels)})
        return IssueResult("opened", _issue_number(issue, "POST /issues"), _html_url(issue))


def _issue_number(issue: Any, call: str) -> int:
    number = issue.get("number") if isinstance(issue, dict) else None
    if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 2**31:
        raise GitHubError(f"GitHub API {call} answered an issue without a number")
    return number


def _html_url(item: Any) -> str:
    url = item.get("html_url") if isinstance(item, dict) else None
    return outside_text("".join(url.split()), 300) if isinstance(url, str) else ""

"""Open the labelled drift issue through the GitHub REST API, or comment on the open one.

GitHub Actions provides GITHUB_TOKEN (passed in by the workflow), GITHUB_REPOSITORY and
GITHUB_API_URL. An open issue with the same title (and the drift label) gets a comment
instead of a duplicate. The boundary is held like Postmark's: the API URL is https (plain
http only to loopback), redirects are never followed with the token, answers are bounded
in size and checked for the documented shape, and the search for an open issue reads at
most `MAX_PAGES` pages. The body is redacted by the caller.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests
import urllib3.exceptions

from tools.lib.bounded import TimedOut, printable, within
from tools.lib.drift.expected import DriftConfigError
from tools.lib.postmark_client import PostmarkConfigError, check_api_url

DEFAULT_API_URL = "https://api.github.com"
MAX_PAGES = 10
MAX_BODY_BYTES = 4 * 1024 * 1024


class GitHubError(Exception):
    """The GitHub API refused or failed; the message names the call and the status."""


@dataclass(frozen=True)
class IssueResult:
    action: str  # "opened" or "commented"
    number: int
    url: str


@dataclass(frozen=True)
class GitHubSettings:
    api_url: str
    repository: str
    token: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GitHubSettings:
        env = os.environ if env is None else env
        missing = [name for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not env.get(name)]
        if missing:
            raise DriftConfigError(f"--open-issue needs {' and '.join(missing)} in the environment")
        repository = env["GITHUB_REPOSITORY"]
        if repository.count("/") != 1 or not all(repository.split("/")):
            raise DriftConfigError(f"GITHUB_REPOSITORY {repository!r} is not owner/name")
        try:
            api_url = check_api_url(env.get("GITHUB_API_URL") or DEFAULT_API_URL, "GITHUB_API_URL")
        except PostmarkConfigError as exc:
            raise DriftConfigError(str(exc)) from None
        return cls(api_url=api_url, repository=repository, token=env["GITHUB_TOKEN"].strip())


class GitHubIssues:
    def __init__(self, settings: GitHubSettings, *, timeout: float = 15.0) -> None:
        self._settings = settings
        self._timeout = timeout
        self._session = self._new_session()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
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
        url = f"{self._settings.api_url}/repos/{self._settings.repository}{path}"

        def exchange() -> tuple[requests.Response, bytes]:
            response = self._session.request(
                method, url, timeout=self._timeout, allow_redirects=False, stream=True, **kwargs
            )
            try:
                return response, response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
            finally:
                response.close()

        try:
            # A total limit per call: a server dripping bytes defeats a per-read timeout.
            response, raw = within(exchange, self._timeout, "github-call")
        except TimedOut:
            # The abandoned call may still be using the session: later calls get a new one.
            self._session = self._new_session()
            raise GitHubError(
                f"GitHub API {method} {path} did not answer within {self._timeout:g} s"
            ) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise GitHubError(f"GitHub API {method} {path} failed: {type(exc).__name__}") from None
        if len(raw) > MAX_BODY_BYTES:
            raise GitHubError(f"GitHub API {method} {path} answered more than {MAX_BODY_BYTES} bytes")
        if 300 <= response.status_code < 400:
            raise GitHubError(
                f"GitHub API {method} {path} answered a redirect (HTTP {response.status_code}); "
                "not followed with the token: check GITHUB_API_URL"
            )
        try:
            data = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            data = None
        if response.status_code >= 400:
            message = str(data.get("message", "")) if isinstance(data, dict) else ""
            raise GitHubError(
                f"GitHub API {method} {path} failed: HTTP {response.status_code} {printable(' '.join(message.split())[:200])}".rstrip()
            )
        if data is None:
            raise GitHubError(f"GitHub API {method} {path} answered a body that is not JSON")
        return data

    def find_open_issue(self, title: str, label: str) -> int | None:
        """The number of the open issue titled `title` (labelled `label`), or None."""
        for page in range(1, MAX_PAGES + 1):
            issues = self._call(
                "GET",
                "/issues",
                params={"state": "open", "labels": label, "per_page": 100, "page": page},
            )
            if not isinstance(issues, list):
                raise GitHubError("GitHub API GET /issues answered something other than a list")
            for issue in issues:
                if isinstance(issue, dict) and "pull_request" not in issue and issue.get("title") == title:
                    return _issue_number(issue, "GET /issues")
            if len(issues) < 100:
                return None
        return None

    def open_or_comment(self, title: str, body: str, labels: Sequence[str]) -> IssueResult:
        number = self.find_open_issue(title, labels[0])
        if number is not None:
            comment = self._call("POST", f"/issues/{number}/comments", json={"body": body})
            return IssueResult("commented", number, _html_url(comment))
        issue = self._call("POST", "/issues", json={"title": title, "body": body, "labels": list(labels)})
        return IssueResult("opened", _issue_number(issue, "POST /issues"), _html_url(issue))


def _issue_number(issue: Any, call: str) -> int:
    number = issue.get("number") if isinstance(issue, dict) else None
    if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
        raise GitHubError(f"GitHub API {call} answered an issue without a number")
    return number


def _html_url(item: Any) -> str:
    url = item.get("html_url") if isinstance(item, dict) else None
    return printable("".join(url.split())[:300]) if isinstance(url, str) else ""

"""Open the labelled drift issue through the GitHub REST API, or comment on the open one.

GitHub Actions provides GITHUB_TOKEN (passed in by the workflow), GITHUB_REPOSITORY and
GITHUB_API_URL. An open issue with the same title (and the drift label) gets a comment
instead of a duplicate.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from tools.lib.drift.expected import DriftConfigError

DEFAULT_API_URL = "https://api.github.com"


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
        api_url = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
        return cls(api_url=api_url, repository=repository, token=env["GITHUB_TOKEN"])


class GitHubIssues:
    def __init__(self, settings: GitHubSettings, *, timeout: float = 15.0) -> None:
        self._settings = settings
        self._timeout = timeout
        self._session = requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"Bearer {settings.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "partition-mail-platform-drift",
            }
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self._settings.api_url}/repos/{self._settings.repository}{path}"
        try:
            response = self._session.request(method, url, timeout=self._timeout, **kwargs)
        except requests.RequestException as exc:
            raise GitHubError(f"GitHub API {method} {path} failed: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            try:
                message = str(response.json().get("message", ""))
            except ValueError:
                message = response.text[:200]
            raise GitHubError(
                f"GitHub API {method} {path} failed: HTTP {response.status_code} {message}".rstrip()
            )
        return response.json()

    def find_open_issue(self, title: str, label: str) -> Mapping[str, Any] | None:
        page = 1
        while True:
            issues = self._call(
                "GET",
                "/issues",
                params={"state": "open", "labels": label, "per_page": 100, "page": page},
            )
            for issue in issues:
                if "pull_request" not in issue and issue.get("title") == title:
                    found: Mapping[str, Any] = issue
                    return found
            if len(issues) < 100:
                return None
            page += 1

    def open_or_comment(self, title: str, body: str, labels: Sequence[str]) -> IssueResult:
        existing = self.find_open_issue(title, labels[0])
        if existing is not None:
            number = int(existing["number"])
            comment = self._call("POST", f"/issues/{number}/comments", json={"body": body})
            return IssueResult("commented", number, str(comment.get("html_url", "")))
        issue = self._call("POST", "/issues", json={"title": title, "body": body, "labels": list(labels)})
        return IssueResult("opened", int(issue["number"]), str(issue.get("html_url", "")))

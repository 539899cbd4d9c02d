"""A loopback stand-in for the slice of the GitHub REST API the drift drivers use.

It records issues and comments in memory: list a repository's issues (state and label
filters, pagination), open an issue, comment on one. Requests without the expected bearer
token get 401, as GitHub answers them. Hostile modes: `listing` = "endless" (every page full
of new issues, for ever) or "repeated" (the same full page at every page number), and
`refuse_with` (every POST answers 422 with that message, e.g. one echoing the token).

`RecordingProxy` is an HTTP proxy that forwards nothing and records what reached it.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_ISSUES = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues$")
_COMMENTS = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<number>\d+)/comments$")


@dataclass
class Issue:
    number: int
    repo: str
    title: str
    body: str
    labels: list[str]
    state: str = "open"
    comments: list[str] = field(default_factory=list)
    pull_request: bool = False

    def to_json(self, base: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "number": self.number,
            "title": self.title,
            "body": self.body,
            "state": self.state,
            "labels": [{"name": name} for name in self.labels],
            "html_url": f"{base}/{self.repo}/issues/{self.number}",
        }
        if self.pull_request:
            data["pull_request"] = {"url": f"{base}/{self.repo}/pull/{self.number}"}
        return data


class GitHubApiStandIn:
    """`with GitHubApiStandIn(token="t") as gh: ...; gh.url is the API base`."""

    def __init__(self, token: str = "ghs_test_token", host: str = "127.0.0.1") -> None:  # noqa: S107
        self.token = token
        self.issues: list[Issue] = []
        self.requests: list[tuple[str, str]] = []
        self.listing = "normal"
        self.refuse_with: str | None = None
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                stand_in._handle(self, "GET")

            def do_POST(self) -> None:
                stand_in._handle(self, "POST")

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> GitHubApiStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_issue(
        self, repo: str, title: str, labels: list[str], *, state: str = "open", pull_request: bool = False
    ) -> Issue:
        with self._lock:
            issue = Issue(len(self.issues) + 1, repo, title, "", labels, state, pull_request=pull_request)
            self.issues.append(issue)
            return issue

    def _reply(self, handler: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        with self._lock:
            self.requests.append((method, handler.path))
        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            self._reply(handler, 401, {"message": "Bad credentials"})
            return
        length = int(handler.headers.get("Content-Length") or 0)
        payload = json.loads(handler.rfile.read(length) or b"{}") if method == "POST" else {}
        if method == "POST" and self.refuse_with is not None:
            self._reply(handler, 422, {"message": self.refuse_with})
            return
        if match := _ISSUES.match(parts.path):
            repo = match["repo"]
            if method == "GET":
                self._reply(handler, 200, self._list(repo, parse_qs(parts.query)))
                return
            if not payload.get("title"):
                self._reply(handler, 422, {"message": "Validation Failed"})
                return
            with self._lock:
                issue = Issue(
                    len(self.issues) + 1,
                    repo,
                    payload["title"],
                    payload.get("body", ""),
                    payload.get("labels", []),
                )
                self.issues.append(issue)
            self._reply(handler, 201, issue.to_json(self.url))
            return
        if (match := _COMMENTS.match(parts.path)) and method == "POST":
            with self._lock:
                found = [
                    i for i in self.issues if i.repo == match["repo"] and i.number == int(match["number"])
                ]
                if found:
                    found[0].comments.append(payload.get("body", ""))
            if not found:
                self._reply(handler, 404, {"message": "Not Found"})
                return
            number = found[0].number
            self._reply(
                handler,
                201,
                {"id": len(found[0].comments), "html_url": f"{self.url}/{match['repo']}/issues/{number}"},
            )
            return
        self._reply(handler, 404, {"message": "Not Found"})

    def _list(self, repo: str, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        state = query.get("state", ["open"])[0]
        labels = [name for name in query.get("labels", [""])[0].split(",") if name]
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        if self.listing != "normal":
            first = 1000 + (page - 1) * per_page if self.listing == "endless" else 1000
            return [
                Issue(first + i, repo, f"another issue {first + i}", "", labels).to_json(self.url)
                for i in range(per_page)
            ]
        with self._lock:
            matching = [
                i
                for i in self.issues
                if i.repo == repo and state in ("all", i.state) and all(n in i.labels for n in labels)
            ]
        chosen = matching[(page - 1) * per_page : page * per_page]
        return [i.to_json(self.url) for i in chosen]


class RecordingProxy:
    """An HTTP proxy stand-in: every request that reaches it is recorded (with its
    Authorization header) and answered 502. `url` is what HTTP_PROXY takes."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.seen: list[tuple[str, str, str]] = []  # (method, target, Authorization)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _record(self) -> None:
                proxy.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                self._record()

            def do_POST(self) -> None:
                self._record()

            def do_CONNECT(self) -> None:
                self._record()

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

"""Postmark servers: the one place this project finds or creates a Postmark server.

Only the corporate CLI uses it, for the Free Kanban Tool's server (a test keeps it so: every
other tool's client, `PostmarkClient`, has no way to create a server). It shares the
client's boundary - redirects refused, total time limits, body cap, typed answers checked
against the OpenAPI shapes (ExtendedServerInfo, ServerListingResponse).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.postmark.client import PostmarkClient
from tools.postmark.errors import SERVER_EXISTS, PostmarkError, PostmarkShapeError, found_or_created
from tools.postmark.records import checked_object, json_type
from tools.secrets.logger import register_secret
from tools.secrets.outside_text import outside_text
from tools.secrets.token_rule import TokenRejected, normalize_token

_SERVER_FIELDS = {"ID": "an integer", "Name": "a string"}


@dataclass(frozen=True)
class PostmarkServer:
    id: int
    name: str
    api_tokens: tuple[str, ...] = field(repr=False)

    @classmethod
    def from_api(cls, data: Any, operation: str, where: str = "") -> PostmarkServer:
        """The server, its API tokens redacted from every output from this moment on and held
        to the token rule like the account tokens (a server token is a secret too)."""
        record = checked_object(data, operation, _SERVER_FIELDS, where=where)
        raw = record.get("ApiTokens", [])
        if not isinstance(raw, list) or not all(isinstance(t, str) and t for t in raw):
            raise PostmarkShapeError(
                operation, f"{where}ApiTokens is {json_type(raw)}, not an array of strings"
            )
        tokens = []
        for index, value in enumerate(raw):
            register_secret(value)
            try:
                tokens.append(
                    normalize_token(
                        value,
                        source=f"Postmark's {where}ApiTokens[{index}]",
                        fix="check the server in Postmark",
                    )
                )
            except TokenRejected as exc:
                raise PostmarkShapeError(operation, str(exc)) from None
        return cls(id=record["ID"], name=record["Name"], api_tokens=tuple(tokens))


class PostmarkServerAdmin(PostmarkClient):
    """The account's servers, for the corporate CLI only."""

    def find_server(self, name: str) -> PostmarkServer | None:
        """The server called exactly `name`, or None - only from a complete, consistent listing
        (every page `TotalCount` promises; the client's listing rules), so a server on a later
        page is found and a listing that lies never leads to a second server being created."""
        operation = f"looking up server {name}"
        servers = self._list_all(
            "/servers", "Servers", PostmarkServer.from_api, operation=operation, params={"name": name}
        )
        found = [server for server in servers if server.name == name]
        if len(found) > 1:
            raise PostmarkShapeError(operation, f"{len(found)} servers are named {name}")
        if not found:
            # A look-alike (another case, spaces around it) is most likely the server meant:
            # creating a second one beside it would split the group's mail between two.
            alike = [server for server in servers if server.name.strip().casefold() == name.casefold()]
            if alike:
                shown = ", ".join(
                    f"{outside_text(repr(server.name), 80)} (ID {server.id})" for server in alike
                )
                raise PostmarkError(
                    f"Postmark has no server named exactly {name}, but {shown}: rename it to {name} in "
                    "Postmark (or remove it), then re-run; no server was created"
                )
        return found[0] if found else None

    def found_or_created(self, name: str) -> tuple[PostmarkServer, bool]:
        """The server called `name`, and whether this run created it (see `found_or_created`)."""
        return found_or_created(
            lambda: self.find_server(name), lambda: self.create_server(name), SERVER_EXISTS
        )

    def create_server(self, name: str) -> PostmarkServer:
        """`POST /servers` (not retried on a status: a re-run finds the server first)."""
        operation = f"creating server {name}"
        return PostmarkServer.from_api(
            self._call("POST", "/servers", operation=operation, body={"Name": name, "Color": "Blue"}),
            operation,
        )

"""What can go wrong talking to Postmark: each error's message is one line for the operator."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tools.cli.contract import ExitStatus, OperatorError

T = TypeVar("T")

# Postmark's API error codes for a name another request has just taken.
DOMAIN_EXISTS = 512  # "Domain already exists"
SERVER_EXISTS = 603  # "This server name already exists."


class PostmarkError(OperatorError):
    """Postmark could not do what was asked; the message is one line naming the fix."""


class PostmarkConfigError(PostmarkError):
    """POSTMARK_API_URL (or a tool's setting) is unusable; nothing was sent."""

    code = ExitStatus.USAGE


class PostmarkAuthError(PostmarkError):
    """HTTP 401: the account token was rejected."""


class PostmarkRejected(PostmarkError):
    """HTTP 422: Postmark refused the request; carries its ErrorCode and Message."""

    def __init__(self, operation: str, error_code: int | None, message: str) -> None:
        self.error_code = error_code
        self.postmark_message = message
        super().__init__(f"Postmark refused {operation} (ErrorCode {error_code}: {message})")


class PostmarkUnavailable(PostmarkError):
    """Postmark did not answer usefully in time (timeouts, 5xx, 429, a cut body)."""


class PostmarkRedirected(PostmarkError):
    """Postmark (or what answers at POSTMARK_API_URL) redirected; the token is never sent on."""


class PostmarkShapeError(PostmarkError):
    """An answer that does not have the documented shape; names the operation and the field."""

    def __init__(self, operation: str, problem: str) -> None:
        self.operation = operation
        problem = problem if len(problem) <= 200 else problem[:200] + "…"
        self.problem = problem
        super().__init__(
            f"Postmark answered {operation} with a body of the wrong shape ({problem}); "
            "check that POSTMARK_API_URL points at Postmark, or re-run later"
        )


def found_or_created(find: Callable[[], T | None], create: Callable[[], T], exists: int) -> tuple[T, bool]:
    """What `find` finds, else what `create` makes, and whether this run created it. One made
    between our look-up and our request (a colleague's run at the same time: Postmark refuses
    ours with the `exists` code) is found again and used."""
    found = find()
    if found is not None:
        return found, False
    try:
        return create(), True
    except PostmarkRejected as exc:
        if exc.error_code != exists:
            raise
        found = find()
        if found is None:
            raise
        return found, False

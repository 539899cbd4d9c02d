"""Check recorded Postmark exchanges against Postmark's published OpenAPI description.

Used on every exchange the simulator records, so both sides are checked at once: the
project client's requests (paths, query parameters, headers, bodies) and the simulator's
responses. The differences between the description and the live API are listed in
`tests/data/README.md` and handled here: paths are matched case-insensitively, and statuses
the description leaves out (401, 429, 503) are checked for the `{ErrorCode, Message}` shape.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from tests.support.postmark_simulator import Exchange

SPEC_PATH = Path(__file__).resolve().parents[1] / "data" / "postmark-account-api.openapi.json"
SPEC_HOST = "https://api.postmarkapp.com"


@functools.cache
def postmark_openapi() -> OpenAPI:
    spec = json.loads(SPEC_PATH.read_text())
    # The description's server is scheme-relative (`//api.postmarkapp.com`); the API is HTTPS.
    spec["servers"] = [{"url": SPEC_HOST}]
    return OpenAPI.from_dict(spec)


@functools.cache
def _described_statuses() -> dict[tuple[str, str], frozenset[str]]:
    spec = json.loads(SPEC_PATH.read_text())
    return {
        (path.lower(), method.lower()): frozenset(operation.get("responses", {}))
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    }


def _spec_path(path: str) -> str:
    """The request path spelled as the description spells it (lower-case action names)."""
    return path.lower()


def _template_of(path: str) -> str:
    parts = ["{domainid}" if part.isdigit() else part for part in _spec_path(path).split("/")]
    return "/".join(parts)


def exchange_problems(exchange: Exchange) -> list[str]:
    """Every way `exchange` disagrees with the description (empty when it agrees)."""
    builder = EnvironBuilder(
        method=exchange.method,
        base_url=SPEC_HOST,
        path=_spec_path(exchange.path),
        query_string=exchange.query,
        headers=[(k, v) for k, v in exchange.headers.items() if k.lower() != "host"],
        data=exchange.body,
    )
    request = WerkzeugOpenAPIRequest(Request(builder.get_environ()))
    label = f"{exchange.method} {exchange.path}"
    problems = [f"request {label}: {error}" for error in postmark_openapi().iter_request_errors(request)]
    # A 401 is answered before the request is understood, so only its shape counts.
    described = _described_statuses().get((_template_of(exchange.path), exchange.method.lower()), frozenset())
    if str(exchange.status) in described:
        response = WerkzeugOpenAPIResponse(
            Response(
                exchange.response_body,
                status=exchange.status,
                headers=exchange.response_headers,
            )
        )
        problems += [
            f"response {exchange.status} to {label}: {error}"
            for error in postmark_openapi().iter_response_errors(request, response)
        ]
    else:
        body = json.loads(exchange.response_body or b"null")
        if not (
            isinstance(body, dict)
            and isinstance(body.get("ErrorCode"), int)
            and isinstance(body.get("Message"), str)
        ):
            problems.append(f"response {exchange.status} to {label}: not an {{ErrorCode, Message}} body")
    return problems

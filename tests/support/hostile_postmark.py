"""A hostile stand-in for Postmark on loopback: each behaviour is one way a server (or what
answers at POSTMARK_API_URL) can misbehave - redirect, drip, never end, lie about shapes,
page forever, ask to wait an hour, echo the token, hand out broken keys.

It speaks HTTP/1.1 over raw sockets so it can break the protocol itself (drip bytes, stall,
close mid-answer). Apart from its one misbehaviour it answers like Postmark for one
account: a listing holding the four partition domains and `arda.ardamails.com`, details
with a valid pending key, and verification calls. `BEHAVIOURS` is the catalogue; the
operator runbook's hostile-input table lists the same names (a test keeps them in step).
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from platform_lib.context_store import PROJECT_ROOT
from tests.support.postmark_simulator import RETURN_PATH_CNAME_TARGET

SELECTOR = "20260101000000pm"
DOMAINS = (
    "dev.ardamails.com",
    "stage.ardamails.com",
    "demo.ardamails.com",
    "prod.ardamails.com",
    "arda.ardamails.com",
)
# The committed context's selectors, so drift compares the keys handed out here, not names.
_CONTEXT = json.loads((PROJECT_ROOT / "cdk.context.json").read_text())
SELECTORS = {
    name: next(
        (v["dkimSelector"] for k, v in _CONTEXT.items() if k.endswith(":" + name.split(".")[0])), SELECTOR
    )
    for name in DOMAINS
}


def _spki(key: Any) -> bytes:
    der: bytes = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return der


_GOOD_DER = _spki(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key())
GOOD_KEY = base64.b64encode(_GOOD_DER).decode()


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def is_listing(self) -> bool:
        return self.method == "GET" and self.path.rstrip("/").lower() == "/domains"


@dataclass(frozen=True)
class Behaviour:
    name: str
    situation: str  # what the server does, for the runbook table
    expect: str  # a fragment of the one line every tool must print (or the drift finding)
    respond: Callable[[HostileContext, Request, socket.socket], None]
    # the tools that reach the misbehaving call (every tool reads the listing first)
    tools: frozenset[str] = frozenset({"pre-deploy", "verify", "runtime-drift", "corporate-drift"})


class HostileContext:
    """What a behaviour may use: the token it should echo, a place to send redirects."""

    def __init__(self, token: str, catcher_url: str) -> None:
        self.token = token
        self.catcher_url = catcher_url


# ---- the sane part of the answers ---------------------------------------------------------
def domain_detail(domain_id: int, *, key: str = GOOD_KEY, **overrides: Any) -> dict[str, Any]:
    name = DOMAINS[domain_id - 1]
    detail: dict[str, Any] = {
        "ID": domain_id,
        "Name": name,
        "SPFHost": name,
        "SPFTextValue": "v=spf1 a mx include:spf.mtasv.net ~all",
        "SPFVerified": False,
        "DKIMVerified": False,
        "WeakDKIM": False,
        "DKIMHost": "",
        "DKIMTextValue": "",
        "DKIMPendingHost": f"{SELECTORS[name]}._domainkey.{name}",
        "DKIMPendingTextValue": f"k=rsa;p={key}",
        "DKIMRevokedHost": "",
        "DKIMRevokedTextValue": "",
        "SafeToRemoveRevokedKeyFromDNS": False,
        "DKIMUpdateStatus": "Pending",
        "ReturnPathDomain": f"pm-bounces.{name}",
        "ReturnPathDomainVerified": False,
        "ReturnPathDomainCNAMEValue": RETURN_PATH_CNAME_TARGET,
    }
    detail.update(overrides)
    return detail


def listing() -> dict[str, Any]:
    return {
        "TotalCount": len(DOMAINS),
        "Domains": [
            {
                "ID": i,
                "Name": name,
                "SPFVerified": False,
                "DKIMVerified": False,
                "WeakDKIM": False,
                "ReturnPathDomainVerified": False,
            }
            for i, name in enumerate(DOMAINS, start=1)
        ],
    }


def _domain_id(request: Request) -> int:
    parts = request.path.strip("/").split("/")
    try:
        value = int(parts[1])
    except (IndexError, ValueError):
        return 1
    return value if 1 <= value <= len(DOMAINS) else 1


def sane(request: Request) -> tuple[int, Any]:
    if request.is_listing:
        return 200, listing()
    return 200, domain_detail(_domain_id(request))


# ---- raw HTTP writing ------------------------------------------------------------------------
def send(
    sock: socket.socket,
    status: int,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json; charset=utf-8",
) -> None:
    head = [
        f"HTTP/1.1 {status} Status",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)


def send_json(sock: socket.socket, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
    send(sock, status, json.dumps(payload).encode(), headers=headers)


def _sane_or(
    twist: Callable[[HostileContext, Request, socket.socket], None], *, listing_too: bool
) -> Callable[[HostileContext, Request, socket.socket], None]:
    """Answer the listing sanely (so a tool goes on to the call that misbehaves) unless `listing_too`."""

    def respond(ctx: HostileContext, request: Request, sock: socket.socket) -> None:
        if request.is_listing and not listing_too:
            status, payload = sane(request)
            send_json(sock, status, payload)
        else:
            twist(ctx, request, sock)

    return respond


def _everywhere(
    twist: Callable[[HostileContext, Request, socket.socket], None],
) -> Callable[[HostileContext, Request, socket.socket], None]:
    return _sane_or(twist, listing_too=True)


def _details(
    twist: Callable[[HostileContext, Request, socket.socket], None],
) -> Callable[[HostileContext, Request, socket.socket], None]:
    return _sane_or(twist, listing_too=False)


# ---- the behaviours -------------------------------------------------------------------------
def _redirect(
    status: int, where: Callable[[HostileContext], str]
) -> Callable[[HostileContext, Request, socket.socket], None]:
    def respond(ctx: HostileContext, request: Request, sock: socket.socket) -> None:
        send(sock, status, b"", headers={"Location": where(ctx) + request.path})

    return respond


def _drip_body(ctx: HostileContext, request: Request, sock: socket.socket) -> None:
    body = json.dumps(sane(request)[1]).encode()
    sock.sendall(
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    )
    for byte in body:
        sock.sendall(bytes([byte]))
        time.sleep(0.2)


def _drip_headers(ctx: HostileContext, request: Request, sock: socket.socket) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
        sock.sendall(bytes([byte]))
        time.sleep(0.2)


def _stall(ctx: HostileContext, request: Request, sock: socket.socket) -> None:
    time.sleep(30)


def _endless_body(ctx: HostileContext, request: Request, sock: socket.socket) -> None:
    sock.sendall(
        b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"Domains": ['
    )
    chunk = b'{"ID": 1, "Name": "x.ardamails.com"},' * 1000
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sock.sendall(chunk)


def _huge_length(ctx: HostileContext, request: Request, sock: socket.socket) -> None:
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{")
    time.sleep(5)


@functools.cache
def _bomb() -> bytes:
    return gzip.compress(b'{"TotalCount": 1, "Domains": [' + b" " * (64 * 1024 * 1024) + b"]}", 9)


def _gzip_bomb(ctx: HostileContext, request: Request, sock: socket.socket) -> None:
    send(sock, 200, _bomb(), headers={"Content-Encoding": "gzip"})


def _json(
    status: int, payload: Callable[[HostileContext, Request], Any], headers: dict[str, str] | None = None
) -> Callable[[HostileContext, Request, socket.socket], None]:
    def respond(ctx: HostileContext, request: Request, sock: socket.socket) -> None:
        send_json(sock, status, payload(ctx, request), headers)

    return respond


def _raw(
    body: bytes, content_type: str = "application/json"
) -> Callable[[HostileContext, Request, socket.socket], None]:
    def respond(ctx: HostileContext, request: Request, sock: socket.socket) -> None:
        send(sock, 200, body, content_type=content_type)

    return respond


def _listing_with(**changes: Any) -> Callable[[HostileContext, Request], Any]:
    def payload(ctx: HostileContext, request: Request) -> Any:
        page = listing()
        for key, value in changes.items():
            if key.startswith("item."):
                page["Domains"][0][key[5:]] = value
            elif key.startswith("drop.item."):
                del page["Domains"][0][key[10:]]
            else:
                page[key] = value
        return page

    return payload


def _endless_pages(ctx: HostileContext, request: Request, sock: socket.socket) -> None:
    """A listing that claims 9,999 domains and hands out one fresh domain per page."""
    offset = int(dict(p.split("=") for p in request.query.split("&") if "=" in p).get("offset", "0"))
    send_json(
        sock, 200, {"TotalCount": 9_999, "Domains": [{"ID": offset + 100, "Name": f"t{offset}.example.com"}]}
    )


def _detail_with(**changes: Any) -> Callable[[HostileContext, Request], Any]:
    def payload(ctx: HostileContext, request: Request) -> Any:
        detail = domain_detail(_domain_id(request))
        for key, value in changes.items():
            if value is _DROP:
                del detail[key]
            else:
                detail[key] = value
        return detail

    return payload


_DROP = object()


def _key_of(der: bytes) -> str:
    return base64.b64encode(der).decode()


def _detail_key(key: str) -> Callable[[HostileContext, Request], Any]:
    return lambda ctx, request: domain_detail(_domain_id(request), key=key)


def _echo(status: int) -> Callable[[HostileContext, Request, socket.socket], None]:
    def respond(ctx: HostileContext, request: Request, sock: socket.socket) -> None:
        send_json(
            sock,
            status,
            {
                "ErrorCode": 10 if status == 401 else 300,
                "Message": f"Token {ctx.token} is not valid for this request: {ctx.token}",
            },
        )

    return respond


def _close(ctx: HostileContext, request: Request, sock: socket.socket) -> None:
    sock.shutdown(socket.SHUT_RDWR)


def _garbage(ctx: HostileContext, request: Request, sock: socket.socket) -> None:
    sock.sendall(b"HELLO THERE\r\n\r\n")


def _cut_body(ctx: HostileContext, request: Request, sock: socket.socket) -> None:
    body = json.dumps(sane(request)[1]).encode()
    sock.sendall(
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body[: len(body) // 2]
    )
    sock.shutdown(socket.SHUT_RDWR)


def _negative_chunk(ctx: HostileContext, request: Request, sock: socket.socket) -> None:
    sock.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n"
    )
    sock.shutdown(socket.SHUT_RDWR)


def _duplicate_names(ctx: HostileContext, request: Request) -> Any:
    page = listing()
    page["Domains"].append({"ID": 99, "Name": "DEV.ardamails.com."})
    page["TotalCount"] += 1
    return page


BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour(
        "redirect-other-host",
        "302 to another host",
        "redirect (HTTP 302) to 127.0.0.2",
        _everywhere(_redirect(302, lambda ctx: ctx.catcher_url)),
    ),
    Behaviour(
        "redirect-to-http",
        "307 to a plain-http URL",
        "redirect (HTTP 307) to api.postmarkapp.com",
        _everywhere(_redirect(307, lambda ctx: "http://api.postmarkapp.com")),
    ),
    Behaviour(
        "redirect-same-host",
        "301 to another path on the same host",
        "redirect (HTTP 301) to 127.0.0.1",
        _everywhere(lambda ctx, r, s: send(s, 301, b"", headers={"Location": "/v2" + r.path})),
    ),
    Behaviour("drip-body", "sends the body one byte every 0.2 s", "did not answer", _everywhere(_drip_body)),
    Behaviour(
        "drip-headers",
        "sends endless headers one byte every 0.2 s",
        "did not answer",
        _everywhere(_drip_headers),
    ),
    Behaviour("stall", "accepts the request and never answers", "did not answer", _everywhere(_stall)),
    Behaviour("endless-body", "streams a body that never ends", "larger than", _everywhere(_endless_body)),
    Behaviour("huge-content-length", "declares a 10 GB body", "larger than", _everywhere(_huge_length)),
    Behaviour(
        "gzip-bomb", "a small gzip body that inflates to 64 MB", "larger than", _everywhere(_gzip_bomb)
    ),
    Behaviour(
        "retry-after-hour",
        "429 with Retry-After: 3600",
        "asks to wait 3600 s",
        _everywhere(
            _json(429, lambda c, r: {"ErrorCode": 429, "Message": "Slow down."}, {"Retry-After": "3600"})
        ),
    ),
    Behaviour(
        "retry-after-date",
        "503 with a Retry-After date a day away",
        "asks to wait",
        _everywhere(
            _json(
                503,
                lambda c, r: {"ErrorCode": 503, "Message": "Later."},
                {"Retry-After": format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)},
            )
        ),
    ),
    Behaviour(
        "always-503",
        "503 on every attempt",
        "HTTP 503",
        _everywhere(_json(503, lambda c, r: {"ErrorCode": 503, "Message": "Unavailable."})),
    ),
    Behaviour(
        "status-418",
        "an undocumented status (418)",
        "HTTP 418",
        _everywhere(_json(418, lambda c, r: {"ErrorCode": 418, "Message": "Teapot."})),
    ),
    Behaviour(
        "total-count-huge",
        "a listing claiming 10^12 domains",
        "TotalCount 1000000000000",
        _everywhere(_json(200, _listing_with(TotalCount=10**12))),
    ),
    Behaviour(
        "endless-pages",
        "a listing that hands out one new domain per page, forever",
        "did not end after",
        _everywhere(_endless_pages),
    ),
    Behaviour(
        "repeated-page",
        "the same page at every offset",
        "repeated domains",
        _everywhere(_json(200, _listing_with(TotalCount=1000))),
    ),
    Behaviour(
        "empty-page",
        "an empty page while TotalCount says 1000",
        "listing ended at 0 of the 1000",
        _everywhere(_json(200, _listing_with(TotalCount=1000, Domains=[]))),
    ),
    Behaviour(
        "body-array",
        "an array where an object belongs",
        "the body is an array, not an object",
        _everywhere(_json(200, lambda c, r: [])),
    ),
    Behaviour(
        "body-null",
        "a JSON null body",
        "the body is null, not an object",
        _everywhere(_json(200, lambda c, r: None)),
    ),
    Behaviour(
        "id-string",
        "a listing item whose ID is a string",
        "Domains[0].ID is a string, not an integer",
        _everywhere(_json(200, _listing_with(**{"item.ID": "1"}))),
    ),
    Behaviour(
        "id-missing",
        "a listing item without ID",
        "Domains[0].ID is missing",
        _everywhere(_json(200, _listing_with(**{"drop.item.ID": True}))),
    ),
    Behaviour(
        "total-count-string",
        "TotalCount as a string",
        "TotalCount is a string, not an integer",
        _everywhere(_json(200, _listing_with(TotalCount="5"))),
    ),
    Behaviour(
        "domains-object",
        "Domains as an object",
        "Domains is an object, not an array",
        _everywhere(_json(200, _listing_with(Domains={}))),
    ),
    Behaviour(
        "not-json",
        "an HTML page with status 200",
        "the body is not JSON",
        _everywhere(_raw(b"<html><body>Welcome</body></html>", "text/html")),
    ),
    Behaviour(
        "nan-json",
        "JSON with NaN",
        "the body is not JSON",
        _everywhere(_raw(b'{"TotalCount": NaN, "Domains": []}')),
    ),
    Behaviour(
        "token-in-401",
        "401 whose message echoes the token",
        "rejected the account token",
        _everywhere(_echo(401)),
    ),
    Behaviour("token-in-422", "422 whose message echoes the token", "refused", _everywhere(_echo(422))),
    Behaviour("token-in-500", "500 whose body echoes the token", "HTTP 500", _everywhere(_echo(500))),
    Behaviour(
        "token-in-location",
        "302 to a URL that carries the token",
        "redirect (HTTP 302)",
        _everywhere(
            lambda ctx, r, s: send(s, 302, b"", headers={"Location": f"https://{ctx.token}.example.com/"})
        ),
    ),
    Behaviour(
        "close-at-once",
        "closes the connection without answering",
        "cannot reach Postmark",
        _everywhere(_close),
    ),
    Behaviour(
        "garbage-status",
        "answers with a line that is not HTTP",
        "cannot reach Postmark",
        _everywhere(_garbage),
    ),
    Behaviour("cut-body", "closes half-way through the body", "cut or garbled", _everywhere(_cut_body)),
    Behaviour(
        "redirect-bad-location",
        "302 to a Location that is not a URL",
        "cut or garbled",
        _everywhere(lambda ctx, r, s: send(s, 302, b"", headers={"Location": "http://[::1"})),
    ),
    Behaviour(
        "redirect-no-location",
        "302 without a Location",
        "redirect (HTTP 302) to nowhere",
        _everywhere(lambda ctx, r, s: send(s, 302, b"")),
    ),
    Behaviour(
        "retry-after-superscript",
        "503 with Retry-After: \u00b2 (a superscript digit)",
        "HTTP 503",
        _everywhere(
            _json(503, lambda c, r: {"ErrorCode": 503, "Message": "Later."}, {"Retry-After": "\u00b2"})
        ),
    ),
    Behaviour(
        "negative-chunk",
        "a chunked body whose first chunk size is -5",
        "cut or garbled",
        _everywhere(_negative_chunk),
    ),
    Behaviour(
        "surrogate-name",
        "a domain name holding a lone surrogate",
        "Domains[0].Name holds a control or invalid character",
        _everywhere(_json(200, _listing_with(**{"item.Name": "dev\ud800.ardamails.com"}))),
    ),
    Behaviour(
        "escapes-in-message",
        "401 whose message holds terminal escapes and a bidi override",
        "rejected the account token",
        _everywhere(
            _json(
                401,
                lambda c, r: {"ErrorCode": 10, "Message": "bad \x1b[2J\x1b]8;;http://x\x07link\u202e evil"},
            )
        ),
    ),
    Behaviour(
        "duplicate-names",
        "two domains named dev.ardamails.com (case and trailing dot apart)",
        "2 domains",
        _everywhere(_json(200, _duplicate_names)),
        frozenset({"pre-deploy", "verify", "runtime-drift"}),
    ),
    Behaviour(
        "detail-id-string",
        "a domain whose ID is a string",
        "ID is a string, not an integer",
        _details(_json(200, _detail_with(ID="1"))),
    ),
    Behaviour(
        "detail-verified-string",
        'DKIMVerified as the string "yes"',
        "DKIMVerified is a string, not a boolean",
        _details(_json(200, _detail_with(DKIMVerified="yes"))),
    ),
    Behaviour(
        "truncated-key",
        "a DKIM key cut to 64 characters",
        "not a complete DER public key",
        _details(_json(200, _detail_key(GOOD_KEY[:64]))),
        frozenset({"pre-deploy", "runtime-drift", "corporate-drift"}),
    ),
    Behaviour(
        "padded-key",
        "a DKIM key padded to 8 KB",
        "characters long",
        _details(_json(200, _detail_key(_key_of(_GOOD_DER + b"\x00" * 6000)))),
        frozenset({"pre-deploy", "runtime-drift", "corporate-drift"}),
    ),
    Behaviour(
        "trailing-bytes-key",
        "a DKIM key with bytes after its DER",
        "not a complete DER public key",
        _details(_json(200, _detail_key(_key_of(_GOOD_DER + b"\x05\x00")))),
        frozenset({"pre-deploy", "runtime-drift", "corporate-drift"}),
    ),
    Behaviour(
        "weak-key",
        "a 512-bit RSA DKIM key",
        "512-bit RSA key",
        _details(
            _json(
                200,
                _detail_key(
                    _key_of(_spki(rsa.RSAPublicNumbers(65537, (1 << 511) + (1 << 100) + 1).public_key()))
                ),
            )
        ),
        frozenset({"pre-deploy", "runtime-drift", "corporate-drift"}),
    ),
    Behaviour(
        "huge-key",
        "an 8192-bit RSA DKIM key",
        "characters long",
        _details(
            _json(
                200,
                _detail_key(
                    _key_of(_spki(rsa.RSAPublicNumbers(65537, (1 << 8191) + (1 << 100) + 1).public_key()))
                ),
            )
        ),
        frozenset({"pre-deploy", "runtime-drift", "corporate-drift"}),
    ),
    Behaviour(
        "ec-key",
        "an EC key where an RSA key belongs",
        "not an RSA key",
        _details(
            _json(200, _detail_key(_key_of(_spki(ec.generate_private_key(ec.SECP256R1()).public_key()))))
        ),
        frozenset({"pre-deploy", "runtime-drift", "corporate-drift"}),
    ),
)


def behaviour(name: str) -> Behaviour:
    return next(b for b in BEHAVIOURS if b.name == name)


# ---- the servers ---------------------------------------------------------------------------
def _read_request(sock: socket.socket) -> Request | None:
    data = b""
    sock.settimeout(5)
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    path, _, query = target.partition("?")
    return Request(method, path, query, headers, rest)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class HostilePostmark:
    """`with HostilePostmark(behaviour, token=T) as h: h.url`; `h.catcher.requests` must stay empty."""

    def __init__(self, behaviour: Behaviour, *, token: str) -> None:
        self.behaviour = behaviour
        self.requests: list[Request] = []
        self.catcher = RequestCatcher()
        self._token = token
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                try:
                    request = _read_request(sock)
                    if request is None:
                        return
                    outer.requests.append(request)
                    outer.behaviour.respond(HostileContext(outer._token, outer.catcher.url), request, sock)
                except OSError:
                    pass  # the client gave up: that is the point

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> HostilePostmark:
        if self.behaviour.name == "gzip-bomb":
            _bomb()  # built before the tool's clock starts
        self.catcher.__enter__()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.catcher.__exit__()


class RequestCatcher:
    """A server on 127.0.0.2 that records every request: where a redirect would send the token."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                try:
                    request = _read_request(self.request)
                    if request is not None:
                        outer.requests.append(request)
                        send_json(self.request, 200, listing())
                except OSError:
                    pass

        self._server = _Server(("127.0.0.2", 0), Handler)
        self.url = f"http://127.0.0.2:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> RequestCatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

"""A Postmark Account API simulator on loopback (the Domains API subset plus `/servers`).

It behaves like the live API where the project depends on it:
* `X-Postmark-Account-Token` selects the account; a missing or unknown token gets 401
  `{ErrorCode: 10, Message}`. Each account has its own domains.
* `POST /domains` issues a selector like `20260526234343pm` and a real RSA-2048 key, held
  as the *pending* key (`DKIMPendingHost`/`DKIMPendingTextValue`) until a DKIM verification
  succeeds, when it moves to `DKIMHost`/`DKIMTextValue`. A duplicate name gets 422.
* `PUT /domains/{id}/verifyDkim` succeeds from the `dkim_verify_attempts`-th call on (the
  live API needs a second call a few seconds after the first); `verifyReturnPath` from the
  `return_path_verify_attempts`-th. Paths are matched case-insensitively, as Postmark does.
* `GET /servers` (count, offset, name) and `POST /servers` answer like the API; every call is
  recorded, so a test of a partition tool can fail on any: only the corporate CLI may
  create a server (the Free Kanban Tool's).
Faults are injected per request (status, latency, Retry-After, N times then success), and
every exchange is recorded for checking against Postmark's OpenAPI description.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

TOKEN_HEADER = "X-Postmark-Account-Token"
RETURN_PATH_CNAME_TARGET = "pm.mtasv.net"
SPF_TEXT = "v=spf1 a mx include:spf.mtasv.net ~all"
ERROR_BAD_TOKEN = 10
ERROR_DOMAIN_NOT_FOUND = 510
ERROR_INVALID_FIELDS = 511
ERROR_DOMAIN_EXISTS = 512


def new_dkim_public_key(bits: int = 2048) -> str:
    """A fresh RSA public key as Postmark publishes it: base64 DER SubjectPublicKeyInfo."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


@dataclass
class SimulatedDomain:
    id: int
    name: str
    return_path_domain: str
    dkim_host: str = ""
    dkim_text_value: str = ""
    dkim_pending_host: str = ""
    dkim_pending_text_value: str = ""
    dkim_verified: bool = False
    return_path_verified: bool = False
    dkim_verify_calls: int = 0
    return_path_verify_calls: int = 0
    dkim_revoked_host: str = ""
    dkim_revoked_text_value: str = ""
    safe_to_remove_revoked_key: bool = False

    def details(self) -> dict[str, Any]:
        return {
            "ID": self.id,
            "Name": self.name,
            "SPFHost": self.name,
            "SPFTextValue": SPF_TEXT,
            "SPFVerified": False,
            "DKIMVerified": self.dkim_verified,
            "WeakDKIM": False,
            "DKIMHost": self.dkim_host,
            "DKIMTextValue": self.dkim_text_value,
            "DKIMPendingHost": self.dkim_pending_host,
            "DKIMPendingTextValue": self.dkim_pending_text_value,
            "DKIMRevokedHost": self.dkim_revoked_host,
            "DKIMRevokedTextValue": self.dkim_revoked_text_value,
            "SafeToRemoveRevokedKeyFromDNS": self.safe_to_remove_revoked_key,
            "DKIMUpdateStatus": "Pending" if self.dkim_pending_host else "Verified",
            "ReturnPathDomain": self.return_path_domain,
            "ReturnPathDomainVerified": self.return_path_verified,
            "ReturnPathDomainCNAMEValue": RETURN_PATH_CNAME_TARGET,
        }

    def rotation(self) -> dict[str, Any]:
        """The DKIMRotationResponse shape: the DKIM part of the details."""
        details = self.details()
        return {k: v for k, v in details.items() if k in ("ID", "Name", "WeakDKIM") or "DKIM" in k}

    @property
    def rotation_in_progress(self) -> bool:
        return bool(self.dkim_pending_host and self.dkim_host) or bool(
            self.dkim_revoked_host and not self.safe_to_remove_revoked_key
        )

    def summary(self) -> dict[str, Any]:
        return {
            "ID": self.id,
            "Name": self.name,
            "SPFVerified": False,
            "DKIMVerified": self.dkim_verified,
            "WeakDKIM": False,
            "ReturnPathDomainVerified": self.return_path_verified,
        }


@dataclass
class Fault:
    """Applied to the next `times` matching requests: a delay, then an error status or not."""

    status: int | None = None
    latency: float = 0.0
    times: int = 1
    method: str | None = None
    path: str | None = None  # a regular expression matched against the lower-case path
    retry_after: int | None = None
    error_code: int | None = None  # the body's ErrorCode (default: the status)
    message: str = "Injected fault."

    def matches(self, method: str, path: str) -> bool:
        if self.times <= 0:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.path is None or re.search(self.path, path) is not None


@dataclass(frozen=True)
class Exchange:
    """One request and the simulator's answer, as seen on the wire."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Account:
    name: str
    domains: dict[int, SimulatedDomain] = field(default_factory=dict)
    servers: list[dict[str, Any]] = field(default_factory=list)


class PostmarkSimulator:
    """Run with `with PostmarkSimulator({token: account_name}) as postmark: postmark.url`."""

    def __init__(
        self,
        accounts: dict[str, str] | None = None,
        *,
        latency: float = 0.0,
        dkim_verify_attempts: int = 2,
        return_path_verify_attempts: int = 1,
        key_bits: int = 2048,
        dns_resolver: str | None = None,
    ) -> None:
        self.accounts: dict[str, Account] = {token: Account(name) for token, name in (accounts or {}).items()}
        self.latency = latency
        self.dkim_verify_attempts = dkim_verify_attempts
        self.return_path_verify_attempts = return_path_verify_attempts
        self.key_bits = key_bits
        # When set ("IP:PORT"), a DKIM key verifies only once that DNS serves its TXT record,
        # as Postmark checks public DNS: a test cannot pass by a record that was never published.
        self.dns_resolver = dns_resolver
        self.exchanges: list[Exchange] = []
        self.arrivals: list[tuple[str, str]] = []  # (method, path) as each request arrives, before any delay
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._rendezvous: tuple[str, re.Pattern[str], threading.Barrier] | None = None
        self._ids = itertools.count(4_200_001)
        self._last_selector_time = datetime(2000, 1, 1, tzinfo=UTC)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "simulator not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> PostmarkSimulator:
        handler = type("Handler", (_Handler,), {"simulator": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> PostmarkSimulator:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # ---- test controls ---------------------------------------------------------------
    def inject(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def add_account(self, token: str, name: str) -> None:
        with self._lock:
            self.accounts[token] = Account(name)

    def add_domain(
        self,
        token: str,
        name: str,
        return_path_domain: str | None = None,
        *,
        verified: bool = False,
        public_key: str | None = None,
        selector: str | None = None,
    ) -> SimulatedDomain:
        """Seed a domain as if created earlier (verified: its key already active).

        `public_key` skips generating a key (seeding hundreds of domains stays fast);
        `selector` replaces the issued one (to mirror a committed context block).
        """
        with self._lock:
            domain = self._create(
                self.accounts[token], name, return_path_domain or f"pm-bounces.{name}", public_key
            )
            if selector is not None:
                domain.dkim_pending_host = f"{selector}._domainkey.{name}"
            if verified:
                self._activate_dkim(domain)
                domain.return_path_verified = True
            return domain

    def domains(self, token: str) -> list[SimulatedDomain]:
        with self._lock:
            return list(self.accounts[token].domains.values())

    def domain_named(self, token: str, name: str) -> SimulatedDomain | None:
        return next((d for d in self.domains(token) if d.name.lower() == name.lower()), None)

    def requests(self, method: str | None = None, path_prefix: str = "") -> list[Exchange]:
        with self._lock:
            return [
                e
                for e in self.exchanges
                if (method is None or e.method == method) and e.path.lower().startswith(path_prefix.lower())
            ]

    @property
    def server_calls(self) -> list[Exchange]:
        """Every `/servers` call: the project must never make one."""
        return self.requests(path_prefix="/servers")

    def rotate_key(self, token: str, name: str) -> SimulatedDomain:
        """Give the domain a fresh pending key directly (a test control; the API's own
        `POST /domains/{id}/rotatedkim` also refuses while a rotation is in progress)."""
        with self._lock:
            domain = next(d for d in self.accounts[token].domains.values() if d.name == name)
            self._new_pending_key(domain)
            return domain

    def reset_log(self) -> None:
        with self._lock:
            self.exchanges.clear()

    # ---- behaviour -------------------------------------------------------------------
    def _next_selector(self) -> str:
        now = datetime.now(UTC).replace(microsecond=0)
        if now <= self._last_selector_time:
            now = self._last_selector_time + timedelta(seconds=1)
        self._last_selector_time = now
        return now.strftime("%Y%m%d%H%M%S") + "pm"

    def _create(
        self, account: Account, name: str, return_path_domain: str, public_key: str | None = None
    ) -> SimulatedDomain:
        domain = SimulatedDomain(id=next(self._ids), name=name, return_path_domain=return_path_domain)
        self._new_pending_key(domain, public_key)
        account.domains[domain.id] = domain
        return domain

    def _new_pending_key(self, domain: SimulatedDomain, public_key: str | None = None) -> None:
        domain.dkim_pending_host = f"{self._next_selector()}._domainkey.{domain.name}"
        domain.dkim_pending_text_value = f"k=rsa;p={public_key or new_dkim_public_key(self.key_bits)}"

    @staticmethod
    def _activate_dkim(domain: SimulatedDomain) -> None:
        """The pending key signs from now on; a key it replaces is revoked, not yet safe to remove."""
        if domain.dkim_pending_host:
            if domain.dkim_host:
                domain.dkim_revoked_host, domain.dkim_revoked_text_value = (
                    domain.dkim_host,
                    domain.dkim_text_value,
                )
                domain.safe_to_remove_revoked_key = False
            domain.dkim_host, domain.dkim_text_value = (
                domain.dkim_pending_host,
                domain.dkim_pending_text_value,
            )
            domain.dkim_pending_host = domain.dkim_pending_text_value = ""
        domain.dkim_verified = True

    def _served(self, host: str, value: str) -> bool:
        """Does the DNS the simulator checks serve `value` as a TXT record at `host`?"""
        if self.dns_resolver is None:
            return True
        import dns.exception
        import dns.resolver

        address, _, port = self.dns_resolver.partition(":")
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [address]
        resolver.port = int(port or 53)
        try:
            answer = resolver.resolve(host, "TXT", lifetime=2.0)
        except dns.exception.DNSException:
            return False
        wanted = value.replace(" ", "")
        return any(b"".join(record.strings).decode().replace(" ", "") == wanted for record in answer)

    def make_revoked_key_safe(self, token: str, name: str) -> None:
        """What Postmark does once no mail signed with the revoked key can still be in flight."""
        with self._lock:
            domain = next(d for d in self.accounts[token].domains.values() if d.name == name)
            domain.safe_to_remove_revoked_key = True

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], token: str | None, body: Any
    ) -> tuple[int, Any]:
        """The simulated API: (status, JSON body)."""
        lower = path.lower().rstrip("/")
        if lower.startswith("/servers"):
            if token not in self.accounts:
                return _bad_token()
            with self._lock:
                return self._servers(self.accounts[token], method, lower, query, body)
        if not lower.startswith("/domains"):
            return 404, {"ErrorCode": 404, "Message": "Not found."}
        if token not in self.accounts:
            return _bad_token()
        account = self.accounts[token]
        with self._lock:
            if lower == "/domains" and method == "GET":
                return self._list(account, query)
            if lower == "/domains" and method == "POST":
                return self._post_domain(account, body)
            match = re.fullmatch(r"/domains/(\d+)(?:/(verifydkim|verifyreturnpath|rotatedkim))?", lower)
            if match is None:
                return 404, {"ErrorCode": 404, "Message": "Not found."}
            domain = account.domains.get(int(match.group(1)))
            if domain is None:
                return 422, {"ErrorCode": ERROR_DOMAIN_NOT_FOUND, "Message": "This domain was not found."}
            action = match.group(2)
            if action is None and method == "GET":
                return 200, domain.details()
            if action is None and method == "PUT":
                return self._edit(domain, body)
            if action is None and method == "DELETE":
                del account.domains[domain.id]
                return 200, {"ErrorCode": 0, "Message": f"Domain {domain.name} removed."}
            if action == "verifydkim" and method == "PUT":
                domain.dkim_verify_calls += 1
                host, value = (
                    (domain.dkim_pending_host, domain.dkim_pending_text_value)
                    if domain.dkim_pending_host
                    else (domain.dkim_host, domain.dkim_text_value)
                )
                if domain.dkim_verify_calls >= self.dkim_verify_attempts and self._served(host, value):
                    self._activate_dkim(domain)
                return 200, domain.details()
            if action == "verifyreturnpath" and method == "PUT":
                domain.return_path_verify_calls += 1
                if domain.return_path_verify_calls >= self.return_path_verify_attempts:
                    domain.return_path_verified = True
                return 200, domain.details()
            if action == "rotatedkim" and method == "POST":
                if not domain.dkim_host:
                    return 422, {
                        "ErrorCode": ERROR_INVALID_FIELDS,
                        "Message": "The DKIM key is not verified yet.",
                    }
                if domain.rotation_in_progress:
                    return 422, {
                        "ErrorCode": ERROR_INVALID_FIELDS,
                        "Message": "A DKIM rotation is already in progress.",
                    }
                self._new_pending_key(domain)
                domain.dkim_verify_calls = 0
                return 200, domain.rotation()
            return 405, {"ErrorCode": 405, "Message": "Method not allowed."}

    def _servers(
        self, account: Account, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        """`GET /servers?count&offset[&name]` and `POST /servers {Name}`, as the API answers."""
        if path == "/servers" and method == "GET":
            try:
                count, offset = int(query["count"][0]), int(query["offset"][0])
            except (KeyError, ValueError, IndexError):
                return 422, {
                    "ErrorCode": ERROR_INVALID_FIELDS,
                    "Message": "The count and offset parameters are required.",
                }
            wanted = (query.get("name") or [""])[0].lower()
            matching = [srv for srv in account.servers if wanted in srv["Name"].lower()]
            return 200, {"TotalCount": len(matching), "Servers": matching[offset : offset + count]}
        if path == "/servers" and method == "POST":
            name = body.get("Name") if isinstance(body, dict) else None
            if not isinstance(name, str) or not name.strip():
                return 422, {"ErrorCode": ERROR_INVALID_FIELDS, "Message": "Invalid 'Name' field."}
            if any(srv["Name"].lower() == name.lower() for srv in account.servers):
                return 422, {"ErrorCode": 603, "Message": "This server name already exists."}
            return 200, self._new_server(account, name, body.get("Color", "Blue"))
        return 405, {"ErrorCode": 405, "Message": "Method not allowed."}

    def _new_server(self, account: Account, name: str, color: str = "Blue") -> dict[str, Any]:
        server = {
            "ID": next(self._ids),
            "Name": name,
            # A UUID, as Postmark issues them (redaction masks any 8 characters of a token, so a
            # made-up token holding the server's name would mask the name too).
            "ApiTokens": [
                str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account.name}/{name}/{len(account.servers)}"))
            ],
            "Color": color,
            "SmtpApiActivated": True,
            "RawEmailEnabled": False,
            "InboundHookUrl": "",
            "TrackOpens": False,
            "TrackLinks": "None",
        }
        account.servers.append(server)
        return server

    def add_server(self, token: str, name: str) -> dict[str, Any]:
        """Seed a server as if created earlier (in Postmark's web UI, or by an earlier run)."""
        with self._lock:
            return self._new_server(self.accounts[token], name)

    def _list(self, account: Account, query: dict[str, list[str]]) -> tuple[int, Any]:
        try:
            count = int(query["count"][0])
            offset = int(query["offset"][0])
        except (KeyError, ValueError, IndexError):
            return 422, {
                "ErrorCode": ERROR_INVALID_FIELDS,
                "Message": "The count and offset parameters are required.",
            }
        if not 1 <= count <= 500 or offset < 0:
            return 422, {
                "ErrorCode": ERROR_INVALID_FIELDS,
                "Message": "Count must be 1-500 and offset 0 or more.",
            }
        ordered = sorted(account.domains.values(), key=lambda d: d.id)
        return 200, {
            "TotalCount": len(ordered),
            "Domains": [d.summary() for d in ordered[offset : offset + count]],
        }

    def _post_domain(self, account: Account, body: Any) -> tuple[int, Any]:
        name = body.get("Name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not re.fullmatch(r"(?:[a-z0-9-]+\.)+[a-z]{2,}", name.lower()):
            return 422, {"ErrorCode": ERROR_INVALID_FIELDS, "Message": "Invalid 'Name' field."}
        if any(d.name.lower() == name.lower() for d in account.domains.values()):
            return 422, {"ErrorCode": ERROR_DOMAIN_EXISTS, "Message": "This domain already exists."}
        return_path = body.get("ReturnPathDomain") or ""
        problem = _return_path_problem(name, return_path)
        if problem:
            return 422, {"ErrorCode": ERROR_INVALID_FIELDS, "Message": problem}
        return 200, self._create(account, name, return_path).details()

    @staticmethod
    def _edit(domain: SimulatedDomain, body: Any) -> tuple[int, Any]:
        return_path = body.get("ReturnPathDomain") if isinstance(body, dict) else None
        if return_path is not None:
            problem = _return_path_problem(domain.name, return_path)
            if problem:
                return 422, {"ErrorCode": ERROR_INVALID_FIELDS, "Message": problem}
            if return_path.lower() != domain.return_path_domain.lower():
                domain.return_path_domain = return_path
                domain.return_path_verified = False
                domain.return_path_verify_calls = 0
        return 200, domain.details()

    def rendezvous(self, method: str, path: str, parties: int) -> None:
        """Hold each matching request until `parties` of them have arrived, then answer all at
        once (e.g. two concurrent runs reach their context write together). Until cleared."""
        with self._lock:
            self._rendezvous = (method, re.compile(path), threading.Barrier(parties, timeout=10))

    def clear_rendezvous(self) -> None:
        with self._lock:
            self._rendezvous = None

    def meet(self, method: str, path: str) -> None:
        with self._lock:
            rendezvous = self._rendezvous
        if rendezvous is not None and rendezvous[0] == method and rendezvous[1].search(path.lower()):
            with contextlib.suppress(threading.BrokenBarrierError):
                rendezvous[2].wait()

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path.lower()):
                    fault.times -= 1
                    return fault
        return None

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)


def _bad_token() -> tuple[int, Any]:
    return 401, {
        "ErrorCode": ERROR_BAD_TOKEN,
        "Message": "No Account API token or an incorrect Account API token was provided in the HTTP headers.",
    }


def _return_path_problem(name: str, return_path: str) -> str | None:
    if not return_path:
        return None
    if not return_path.lower().endswith("." + name.lower()):
        return f"The Return-Path domain must be a subdomain of {name}."
    return None


class _Handler(BaseHTTPRequestHandler):
    simulator: PostmarkSimulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self) -> None:
        simulator = self.simulator
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()}
        with simulator._lock:
            simulator.arrivals.append((self.command, parts.path))
        fault = simulator.take_fault(self.command, parts.path)
        simulator.meet(self.command, parts.path)
        delay = simulator.latency + (fault.latency if fault else 0.0)
        if delay:
            time.sleep(delay)
        extra_headers: dict[str, str] = {}
        status: int
        payload: Any
        if fault is not None and fault.status is not None:
            status = fault.status
            payload = {"ErrorCode": fault.error_code or status, "Message": fault.message}
            if fault.retry_after is not None:
                extra_headers["Retry-After"] = str(fault.retry_after)
        else:
            try:
                body = json.loads(raw_body) if raw_body else None
            except ValueError:
                status, payload = 422, {"ErrorCode": 402, "Message": "Received invalid JSON input."}
            else:
                status, payload = simulator.handle(
                    self.command, parts.path, parse_qs(parts.query), self.headers.get(TOKEN_HEADER), body
                )
        response_body = json.dumps(payload).encode()
        response_headers = {"Content-Type": "application/json; charset=utf-8", **extra_headers}
        simulator.record(
            Exchange(
                method=self.command,
                path=parts.path,
                query=parts.query,
                headers=headers,
                body=raw_body,
                status=status,
                response_headers=response_headers,
                response_body=response_body,
            )
        )
        try:
            self.send_response(status)
            for name, value in response_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response_body)))
            self.end_headers()
            self.wfile.write(response_body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 (http.server's naming)

"""Where a token may be sent: an https:// base URL, or plain http:// to loopback only.

The one rule for every API base a tool sends a token to (`POSTMARK_API_URL`,
`GITHUB_API_URL`): no whitespace or control characters, no query or fragment (even an
empty `?` would move the path the token goes to), no credentials in the URL, an ASCII host
name or IP literal (nothing a library would IDNA-encode or re-read), https - or plain http
to loopback, which then never goes through a proxy from the environment.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from tools.cli.contract import UsageError
from tools.runtime.text import unprintable

_NETLOC = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
)


class UnsafeUrl(UsageError):
    """A base URL a token must not be sent to; nothing was sent."""


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_url(url: str) -> bool:
    return is_loopback(urlsplit(url).hostname or "")


def check_api_url(url: str, source: str, default: str) -> str:
    """`url` without a trailing slash; UnsafeUrl naming `source` when a token must not go there."""
    if any(char.isspace() or unprintable(char) for char in url.strip()):
        # urlsplit would silently drop an inner line break or tab; never guess what was meant.
        raise UnsafeUrl(f"{source} holds whitespace or a control character; set it to one URL")
    if "?" in url or "#" in url:
        raise UnsafeUrl(f"{source} must not have a query or fragment ('?' or '#'); remove it")
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        if parts.port == 0:  # raises ValueError on a malformed port
            raise ValueError("port 0")
    except ValueError:
        raise UnsafeUrl(f"{source} is not a URL; unset it to use {default}") from None
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl(f"{source} must not hold a user name or password; remove them")
    if parts.netloc and not _NETLOC.fullmatch(parts.netloc):
        # Only an ASCII host name or an IP literal, then a port: nothing a library would
        # re-read (IDNA-encode a look-alike, drop what follows `[::1]`).
        raise UnsafeUrl(
            f"{source}'s host {parts.netloc!r} is not an ASCII host name or IP address with an optional "
            f"port; unset it to use {default}"
        )
    if parts.scheme not in ("https", "http") or not host:
        raise UnsafeUrl(f"{source} {url!r} is not an https:// URL; unset it to use {default}")
    if parts.scheme == "http" and not is_loopback(host):
        raise UnsafeUrl(
            f"{source} {url!r} uses plain http:// for {host}, which would send the token "
            "unencrypted; use https:// (plain http is allowed only to loopback)"
        )
    return url.strip().rstrip("/")

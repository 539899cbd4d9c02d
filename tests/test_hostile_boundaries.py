"""The second hostile round: the boundaries besides Postmark's answers - `op`, the GitHub API
behind drift's `--open-issue`, DNS answers, CloudFormation stack states, option parsing,
signals and the run log - each driven through the real tool where one exists.

Every case asserts what the runbook's hostile-input table promises: bounded time, one line,
the right exit code, nothing written or created, and no secret in any output, file or issue.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from platform_lib.context_store import PROJECT_ROOT
from platform_lib.naming import dmarc_report_authorization_names, partition_zone_name
from platform_lib.registry import get_partition
from tests.support.dns_server import LoopbackDnsServer, publish_delegation
from tests.support.fake_op import write_fake_op
from tests.support.github_api import GitHubApiStandIn, RecordingProxy
from tests.support.postmark_simulator import PostmarkSimulator
from tests.support.python_script import run_python
from tests.synth import Synthesized
from tests.test_drift_core import load_zones
from tools.runtime.text import printable
from tools.secrets.outside_text import outside_text
from tools.secrets.token_rule import TOKEN_CHARACTERS

CANARY = "canary-0p-7c1d9e2b-44aa-4f3e-b1c0"
GITHUB_CANARY = "ghs_canaryA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5"
REPO = "arda/infrastructure"
BOUND_SECONDS = 30.0
NOTE = re.compile(r"^(\S+: )?note: ")


def _python(*args: str, env: dict[str, str], cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert time.monotonic() - started < BOUND_SECONDS, f"{args[0]} took too long"
    return result


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip() and not NOTE.match(line)]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return lines[0]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTMARK_", "GITHUB_", "AMM_", "HTTP"))}
    env = {
        k: v
        for k, v in env.items()
        if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    }
    env.update(extra)
    return env


@pytest.fixture
def context_copy(tmp_path: Path) -> Path:
    path = tmp_path / "ctx" / "cdk.context.json"
    path.parent.mkdir()
    path.write_bytes((PROJECT_ROOT / "cdk.context.json").read_bytes())
    return path


# --- 1. `op`'s error text is never echoed -----------------------------------------------------


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        (
            f"[ERROR] 2026/11/30 could not read secret: value {CANARY} failed validation",
            "error: `op read op://Arda-DevOAM/Postmark/credential` failed (exit 1); run `op read "
            "op://Arda-DevOAM/Postmark/credential >/dev/null` yourself to see why (its message is not "
            "shown here: it may hold the value)",
        ),
        (
            f"[ERROR] You are not currently signed in. token={CANARY}",
            "error: the 1Password CLI is not signed in; run `eval $(op signin)` and re-run",
        ),
        (
            f'[ERROR] "Arda-DevOAM" isn\'t a vault in this account ({CANARY})',
            "error: the vault of `op://Arda-DevOAM/Postmark/credential` is not in your 1Password account "
            "(or you may not read it); check the reference or ask for access",
        ),
        (
            f'[ERROR] "Postmark" isn\'t an item in the "Arda-DevOAM" vault\n{CANARY}',
            "error: the item of `op://Arda-DevOAM/Postmark/credential` is not in its vault; store the token "
            "there (see the runbook)",
        ),
    ],
)
def test_a_failing_op_is_one_line_of_ours_and_never_its_own_text(
    tmp_path: Path, context_copy: Path, stderr: str, expected: str
) -> None:
    bin_dir = tmp_path / "bin"
    write_fake_op(bin_dir, fail_with=stderr)
    before = context_copy.read_bytes()
    env = _clean_env(PATH=f"{bin_dir}:/usr/bin:/bin", POSTMARK_API_URL="http://127.0.0.1:9")
    result = _python(
        "tools.register_partition_mail_signature",
        "Alpha002",
        "dev",
        "--context-file",
        str(context_copy),
        env=env,
    )
    assert result.returncode == 1
    assert _one_error_line(result) == expected
    assert CANARY not in result.stdout + result.stderr
    assert context_copy.read_bytes() == before


# --- 2. the outside-text rule: redact, then escape, then cut --------------------------------

_TOKENS = st.text(alphabet=sorted(TOKEN_CHARACTERS), min_size=16, max_size=64)
_AROUND = st.text(alphabet=" !#$%&()*,:;<>?@[]^{|}'\"", max_size=300)
_SPLITS = st.lists(
    st.sampled_from(
        [" ", "\n", "\r\n", "\t", "  \n  ", "\u2028", "\x0b", "\u200b", "\xad", "\x00", "\x1b", "\u202e"]
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(
    token=_TOKENS,
    before=_AROUND,
    after=_AROUND,
    splits=_SPLITS,
    where=st.lists(st.integers(min_value=1, max_value=63), max_size=6),
    upper=st.booleans(),
    limit=st.integers(min_value=1, max_value=400),
)
def test_a_secret_never_survives_the_outside_text_rule(
    token: str, before: str, after: str, splits: list[str], where: list[int], upper: bool, limit: int
) -> None:
    """Whatever whitespace splits the echoed token, whatever its case and wherever the cut
    falls, no character of it reaches the line (the text around it holds none)."""
    echoed = token.upper() if upper else token
    for position, split in sorted(zip(where, splits, strict=False), reverse=True):
        if position < len(echoed):
            echoed = echoed[:position] + split + echoed[position:]
    line = outside_text(before + echoed + after, limit, secrets=(token,))
    assert not set(line) & (TOKEN_CHARACTERS - set("*")), line
    assert len(line) <= limit and "\n" not in line


@settings(max_examples=200, deadline=None)
@given(
    token=_TOKENS,
    before=_AROUND,
    after=_AROUND,
    start=st.integers(min_value=0, max_value=56),
    length=st.integers(min_value=8, max_value=64),
)
def test_no_part_of_a_secret_survives_either(
    token: str, before: str, after: str, start: int, length: int
) -> None:
    """A server echoing only part of a token (eight characters or more) shows none of it."""
    part = token[start : start + length]
    if len(part) < 8:
        return
    line = outside_text(before + part + after, 1000, secrets=(token,))
    assert not set(line) & (TOKEN_CHARACTERS - set("*")), line


@settings(max_examples=200, deadline=None)
@given(token=_TOKENS, text=st.text(max_size=300), cut=st.integers(min_value=1, max_value=400))
def test_a_secret_never_survives_in_any_surrounding_text(token: str, text: str, cut: int) -> None:
    line = outside_text(text[: len(text) // 2] + token + text[len(text) // 2 :], cut, secrets=(token,))
    assert token.lower() not in line.lower()
    assert all(not (0xD800 <= ord(c) <= 0xDFFF) and (c.isprintable() or c == " ") for c in line)


_UUID_CANARY = "3f2a9c1e-7b4d-4e8a-9c2f-1d5e6a7b8c9d"  # a Postmark token's shape


def _spaced(text: str, between: str) -> str:
    return between.join(text)


def _math_digit(digit: str) -> str:
    """A mathematical bold digit as JSON writes it: a `\\u` surrogate pair."""
    code = 0x1D7CE + int(digit) - 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


@pytest.mark.parametrize(
    ("echo", "shown"),
    [
        (base64.b64encode(GITHUB_CANARY.encode()).decode(), "***Q=="),  # the leftover bits of padding
        (base64.b64encode(b"Bearer " + GITHUB_CANARY.encode()).decode(), "QmVhcmVyIG***U="),
        (
            base64.urlsafe_b64encode(b"x-access-token:" + GITHUB_CANARY.encode()).decode(),
            "eC1hY2Nlc3MtdG9rZW46***Q==",
        ),
        (GITHUB_CANARY.encode().hex().upper(), "***"),
        (_spaced(GITHUB_CANARY, "\u3164"), "***"),  # Hangul filler
        (_spaced(GITHUB_CANARY, "\u2800"), "***"),  # Braille blank
        (_spaced(GITHUB_CANARY, "\ufe0f"), "***"),  # variation selector
        ("".join(c + "\u0301" for c in GITHUB_CANARY), "***\u0301"),  # a combining accent on each
        ("".join(c + "\b" + c for c in _UUID_CANARY), "***"),  # overstruck
        ("".join(chr(ord(c) + 0xFEE0) for c in _UUID_CANARY), "***"),  # full-width
        ("".join(chr(0x1D41A + ord(c) - 97) if "a" <= c <= "z" else c for c in _UUID_CANARY), "***"),
        ("".join(f"&#{ord(c)};" for c in _UUID_CANARY), "***"),
        ("".join(f"&#x{ord(c):x};" for c in _UUID_CANARY), "***"),
        ("".join(f"\\u{ord(c):04x}" if i % 2 else c for i, c in enumerate(GITHUB_CANARY)), "***"),
        ("".join(f"%{ord(c):02x}" if i % 2 else c for i, c in enumerate(_UUID_CANARY)), "***"),
        (_UUID_CANARY.replace("-", "%2D"), "***"),
        (_UUID_CANARY.replace("-", "\\u002d"), "***"),
        (_UUID_CANARY.replace("-", "&#45;"), "***"),
        (_UUID_CANARY.replace("-", "\u2010"), "***"),  # a hyphen that is not '-'
        (_UUID_CANARY.replace("-", "\uff0d"), "***"),
        (GITHUB_CANARY.replace("a", "\u0430").replace("c", "\u0441"), "***"),  # Cyrillic look-alikes
        # what a URL decoder, a JSON reader, a browser or a terminal would show
        ("%E2%80%8B".join(_UUID_CANARY), "***"),  # UTF-8 bytes of a zero-width space, escaped
        ("\\xe2\\x80\\x8b".join(_UUID_CANARY), "***"),
        (
            "".join(f"%EF%BC%{0x90 + int(c):02X}" if c.isdigit() else c for c in _UUID_CANARY),
            "***",
        ),  # full-width
        ("".join(c + "%CC%81" for c in _UUID_CANARY), "***%CC%81"),  # a combining accent on each, escaped
        ("".join(_math_digit(c) if c.isdigit() else c for c in _UUID_CANARY), "***"),  # surrogate pairs
        ("".join(f"%3\x1b[0m{c}" if c.isdigit() else c for c in _UUID_CANARY), "***"),  # a colour code in %33
        ("".join(f"%3\u200b{c}" if c.isdigit() else c for c in _UUID_CANARY), "***"),
        ("%08".join(_UUID_CANARY), "***"),  # an escaped backspace: a viewer drops it
        ("\\b".join(_UUID_CANARY), "***"),
        ("&#8;".join(GITHUB_CANARY), "***"),
        ("".join(f"%253{c}" if c.isdigit() else c for c in _UUID_CANARY), "***"),  # an escaped escape
        ("".join(f"&#0000{ord(c)};" if i % 2 == 0 else c for i, c in enumerate(_UUID_CANARY)), "***"),
        ("".join(f"&#x0000{ord(c):x};" if i % 2 == 0 else c for i, c in enumerate(_UUID_CANARY)), "***"),
        # escape sequences a terminal hides whole: charset, save cursor, keypad mode
        (
            _UUID_CANARY[:12]
            + "\x1b(B\x1b[m"
            + _UUID_CANARY[12:20]
            + "\x1b7"
            + _UUID_CANARY[20:28]
            + "\x1b="
            + _UUID_CANARY[28:],
            "***",
        ),
        ("3f2aZc1e\b\b\b\b9c1e-7b4d", "***"),  # backspaces move back: the 9 overwrites the Z
        ("".join(c + "\\u001b[1m" for c in _UUID_CANARY), "***\\u001b[1m"),  # an escaped colour code
        ("".join(c + "X\\b" for c in _UUID_CANARY), "***X\\b"),  # an escaped backspace rubs the X out
        ("3f2a9c1&#92;ud835\\uDC1E", "***"),  # one half of a surrogate pair escaped twice
    ],
)
def test_a_secret_a_reader_could_still_read_is_masked(echo: str, shown: str) -> None:
    """However a server re-encodes, spaces out or disguises a token, what a reader could
    decode back to it is masked; only what carries none of its characters stays."""
    from tools.secrets.outside_text import Redactor

    redactor = Redactor()  # only these two secrets (the process's own may hold others from other tests)
    redactor.add(GITHUB_CANARY)
    redactor.add(_UUID_CANARY)
    assert redactor.redact(f"Bad credentials {echo} refused") == f"Bad credentials {shown} refused"


def test_a_few_encoded_characters_are_not_taken_for_a_secret() -> None:
    """Hex and escapes that encode fewer than 8 of a secret's characters stay as written."""
    from tools.secrets.outside_text import Redactor

    redactor = Redactor()
    redactor.add(_UUID_CANARY)
    for text in ("q=%33%66%30", '"\\u0033\\u0041"', "id=33663261ff", "ref 3f2a9c1 and more"):
        assert redactor.redact(text) == text


def test_a_line_written_over_after_a_carriage_return_is_read_as_shown() -> None:
    from tools.secrets.outside_text import Redactor

    redactor = Redactor()
    redactor.add(_UUID_CANARY)
    assert redactor.redact("XXXX9c1e-7b4d\r3f2a") == "***"  # a terminal shows 3f2a9c1e-7b4d
    assert redactor.redact("XXXX9c1e\r3f2a written over") == "XXXX9c1e\r3f2a written over"  # it shows none


@pytest.mark.parametrize("secret", ["\\u0041\\u0042", "%41%42%43%44", "&#65;&#66;&#67;", "a" + "\u200b" * 7])
def test_a_secret_that_reads_as_few_letters_does_not_mask_them_everywhere(secret: str) -> None:
    from tools.secrets.outside_text import Redactor

    redactor = Redactor()
    redactor.add(secret)
    assert (
        redactor.redact("the aardvark abacus abcd ordinary text") == "the aardvark abacus abcd ordinary text"
    )


def test_greek_nu_is_read_as_v() -> None:
    from tools.secrets.outside_text import Redactor

    redactor = Redactor()
    redactor.add("ghs_k3ePv1dJtScPv6Ex")
    assert redactor.redact("token ghs_k3eP\u03bd1dJtScP\u03bd6Ex") == "token ***"


def test_a_secret_with_escape_characters_is_found_escaped_once() -> None:
    from tools.secrets.outside_text import Redactor

    redactor = Redactor()
    redactor.add("k%41%42%43%44%45%46%47")  # read twice decoded: kABCDEFG
    assert redactor.redact("".join(f"&#{ord(c)};" for c in "k%41%42%43%44%45%46%47")) == "***"


@pytest.mark.parametrize(
    "pieces",
    [
        ["id=3f2a%39c1", "%65-7b4d"],  # a secret's start escaped
        ["id=3f2a%39c1%6", "5-7b4d"],  # an escape cut in two
        [
            "".join(chr(ord(c) + 0xFEE0) for c in _UUID_CANARY[i : i + 6]) for i in range(0, 36, 6)
        ],  # full-width
    ],
)
def test_a_stream_holds_back_an_escaped_start_of_a_secret(pieces: list[str]) -> None:
    """A stream (a child's output) holds back what could be the start of a secret - also
    written escaped or full-width - until it sees what follows."""
    from tools.secrets.outside_text import Redactor

    redactor = Redactor()
    redactor.add(_UUID_CANARY)
    pending, shown = "", ""
    for piece in pieces:
        text = pending + piece
        held = redactor.unsafe_tail(text)
        shown += redactor.redact(text[: len(text) - held])
        pending = text[len(text) - held :]
    shown += redactor.redact(pending)
    assert "***" in shown and "3f2a" not in shown and "\uff13\uff46" not in shown, shown


def test_text_without_a_secret_keeps_its_escapes() -> None:
    text = "100% of it, \\u00e9 and &#233; &amp; \\/ stay as written: \uff46\uff55\uff4c\uff4c \u2713"
    from tools.secrets.outside_text import Redactor

    redactor = Redactor()
    redactor.add(GITHUB_CANARY)
    redactor.add(_UUID_CANARY)
    assert redactor.redact(text) == text


@pytest.mark.parametrize("value", ["abc1234", " abc12 \n"])
def test_a_token_too_short_to_redact_is_refused_where_it_enters(value: str) -> None:
    from tools.secrets.token_rule import TokenRejected, normalize_token

    with pytest.raises(TokenRejected, match="too short for a token"):
        normalize_token(value, source="`op read op://x/y/z`", fix="check the item")


def test_a_secret_holding_bytes_that_are_not_utf8_is_registered_not_a_traceback() -> None:
    """A token variable holding a byte that is not UTF-8 reaches Python as a lone surrogate;
    it is registered (and then refused by the token rule), never a crash."""
    from tools.secrets.outside_text import Redactor

    redactor = Redactor()
    assert redactor.add("3f2a9c1e-7b4d\udcff4e8a-9c2f-1d5e6a7b8c9d")
    assert redactor.redact("echo 3f2a9c1e-7b4d\udcff4e8a refused") == "echo *** refused"


def test_outside_text_reads_a_bounded_part_of_a_huge_message() -> None:
    started = time.monotonic()
    line = outside_text("\ufdfa" * 1_000_000 + GITHUB_CANARY, 200, secrets=(GITHUB_CANARY,))
    assert time.monotonic() - started < 5 and len(line) == 200 and line.endswith("…")


@pytest.mark.parametrize(
    "text",
    [
        " " * (64 * 1024 - 7) + "abcdefghQRSTUVWX tail",  # blanks that join to one space
        "x" * 9 + "abcdefghQRSTUVWX" * 4096 + " tail",  # masked secrets that join to one ***
    ],
)
def test_the_read_cut_leaves_no_start_of_a_secret(text: str) -> None:
    """A message longer than outside_text reads is cut first: what that cut leaves of a
    secret is dropped too, however short the rest of the line becomes."""
    line = outside_text(text, 200, secrets=("abcdefghQRSTUVWX",))
    assert "abc" not in line and line.endswith("…")


def test_printable_escapes_only_the_characters_a_terminal_acts_on() -> None:
    assert printable("Bad \x1b[2J request\u202e") == "Bad \\x1b[2J request\\u202e"
    assert printable("plain text, ünïcode ✓") == "plain text, ünïcode ✓"


# --- 2, 3, 8. the GitHub client --------------------------------------------------------------


@pytest.fixture
def dns(synthesized: Synthesized) -> Iterator[LoopbackDnsServer]:
    with LoopbackDnsServer() as server:
        load_zones(server, synthesized)
        yield server


def _drift_env(**extra: str) -> dict[str, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    return _clean_env(
        POSTMARK_NONPROD_ACCOUNT_TOKEN="nonprod-token-value",
        POSTMARK_PROD_ACCOUNT_TOKEN="prod-token-value",
        POSTMARK_API_URL=closed,
        **extra,
    )


def _drift(dns: LoopbackDnsServer, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _python("tools.corporate_drift", *dns.drift_args(), "--timeout", "3", "--open-issue", env=env)


@pytest.mark.parametrize(
    "message",
    [
        "x" * 190 + f" Bad token {GITHUB_CANARY} refused",  # straddles the 200-character cut
        f"Bad token {GITHUB_CANARY[:8]}\u200b{GITHUB_CANARY[8:]} refused",  # a zero-width space inside it
        f"Bad token {GITHUB_CANARY[:24]}... refused",  # only the start of it
        f"Bad token {GITHUB_CANARY[:20]}\n{GITHUB_CANARY[20:]} refused",  # a line break inside it
        f"Bad token {GITHUB_CANARY.lower()} refused",
        f"Bad token {base64.b64encode(GITHUB_CANARY.encode()).decode()} refused",
        f"Bad token {''.join(chr(ord(c) + 0xFEE0) for c in GITHUB_CANARY)} refused",  # full-width
    ],
)
def test_githubs_echo_of_the_token_is_redacted_before_it_is_cut_or_joined(
    dns: LoopbackDnsServer, message: str
) -> None:
    with GitHubApiStandIn(token=GITHUB_CANARY) as github:
        github.refuse_with = message
        env = _drift_env(GITHUB_TOKEN=GITHUB_CANARY, GITHUB_REPOSITORY=REPO, GITHUB_API_URL=github.url)
        result = _drift(dns, env)
    assert result.returncode == 2
    line = _one_error_line(result)
    assert "drift found but the issue could not be filed" in line and "HTTP 422" in line
    assert "Bad token ***" in line or line.endswith("Bad toke…"), line  # however it was echoed, or cut
    shown = (result.stdout + result.stderr).lower()
    assert GITHUB_CANARY[:12].lower() not in shown and GITHUB_CANARY[-12:].lower() not in shown


def test_a_plain_http_github_on_loopback_never_goes_through_a_proxy(dns: LoopbackDnsServer) -> None:
    with GitHubApiStandIn(token=GITHUB_CANARY) as github, RecordingProxy() as proxy:
        env = _drift_env(
            GITHUB_TOKEN=GITHUB_CANARY,
            GITHUB_REPOSITORY=REPO,
            GITHUB_API_URL=github.url,
            HTTP_PROXY=proxy.url,
            http_proxy=proxy.url,
            ALL_PROXY=proxy.url,
        )
        result = _drift(dns, env)
        assert result.returncode == 1, result.stderr
        assert "opened issue #1" in result.stderr
    assert proxy.seen == []


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"GITHUB_API_URL": "GITHUB_URL#"}, "GITHUB_API_URL must not have a query or fragment ('?' or '#')"),
        ({"GITHUB_API_URL": "GITHUB_URL?"}, "GITHUB_API_URL must not have a query or fragment ('?' or '#')"),
        (
            {"GITHUB_API_URL": "http://api.github.example"},
            "uses plain http:// for api.github.example, which would send the token unencrypted",
        ),
        ({"GITHUB_REPOSITORY": "../user"}, "GITHUB_REPOSITORY '../user' is not owner/name"),
        ({"GITHUB_REPOSITORY": "arda/.."}, "GITHUB_REPOSITORY 'arda/..' is not owner/name"),
        ({"GITHUB_REPOSITORY": "arda/infra/../x"}, "is not owner/name"),
        ({"GITHUB_REPOSITORY": "arda/in fra"}, "is not owner/name"),
        ({"GITHUB_REPOSITORY": "arda/infra\n"}, "GITHUB_REPOSITORY 'arda/infra\\n' is not owner/name"),
        ({"GITHUB_API_URL": "http://[::1]evil"}, "host '[::1]evil' is not an ASCII host name or IP address"),
        ({"GITHUB_API_URL": "https://\u0430pi.github.com"}, "is not an ASCII host name or IP address"),
    ],
)
def test_github_settings_that_would_misdirect_the_token_are_refused_before_any_request(
    dns: LoopbackDnsServer, variables: dict[str, str], message: str
) -> None:
    with GitHubApiStandIn(token=GITHUB_CANARY) as github, RecordingProxy() as proxy:
        env = _drift_env(
            GITHUB_TOKEN=GITHUB_CANARY,
            GITHUB_REPOSITORY=REPO,
            GITHUB_API_URL=github.url,
            HTTP_PROXY=proxy.url,
        )
        env.update({name: value.replace("GITHUB_URL", github.url) for name, value in variables.items()})
        result = _drift(dns, env)
        assert github.requests == []
    assert result.returncode == 2
    assert message in _one_error_line(result)
    assert proxy.seen == []
    assert GITHUB_CANARY not in result.stdout + result.stderr


@pytest.mark.parametrize("listing", ["endless", "repeated"])
def test_an_issue_search_that_does_not_complete_files_nothing(dns: LoopbackDnsServer, listing: str) -> None:
    with GitHubApiStandIn(token=GITHUB_CANARY) as github:
        github.listing = listing
        env = _drift_env(GITHUB_TOKEN=GITHUB_CANARY, GITHUB_REPOSITORY=REPO, GITHUB_API_URL=github.url)
        result = _drift(dns, env)
        posts = [request for request in github.requests if request[0] == "POST"]
    assert result.returncode == 2
    line = _one_error_line(result)
    assert "whether its issue is open could not be checked" in line and "no new issue was filed" in line
    assert ("did not end after 10 pages" if listing == "endless" else "repeated issues on page 2") in line
    assert posts == []


# --- 4, 9, 12. DNS answers ------------------------------------------------------------------


def _runtime_drift_json(dns: LoopbackDnsServer, *extra: str) -> dict[str, Any]:
    result = _python(
        "tools.runtime_platform_drift",
        *dns.drift_args(),
        "--timeout",
        "3",
        "--json",
        *extra,
        env=_drift_env(),
    )
    assert result.returncode == 1, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _finding(report: dict[str, Any], domain: str, check: str) -> dict[str, str]:
    (found,) = [f for f in report["findings"] if f["domain"] == domain and f["check"] == check]
    return {str(k): str(v) for k, v in found.items()}


def test_a_zone_delegated_to_foreign_name_servers_is_drift(dns: LoopbackDnsServer) -> None:
    dns.records.put("dev.ardamails.com", "NS", ["ns1.attacker.example", "ns2.attacker.example"])
    report = _runtime_drift_json(dns, "--partition", "dev")
    delegation = _finding(report, "dev.ardamails.com", "dns.delegation")
    assert delegation["status"] == "drift"
    assert delegation["message"] == (
        "NS dev.ardamails.com answers name servers that are not Route 53's: "
        "ns1.attacker.example, ns2.attacker.example"
    )


_OTHER_ROUTE53 = [
    "ns-7.awsdns-01.com",
    "ns-519.awsdns-01.net",
    "ns-1031.awsdns-01.org",
    "ns-1543.awsdns-01.co.uk",
]


def _drift_with_rogue_parent_servers(
    dns: LoopbackDnsServer, synthesized: Synthesized, rogue: int
) -> tuple[dict[str, Any], list[str]]:
    """Runtime drift for dev while `rogue` of the parent's name servers (sorted; another DNS
    server, on 127.0.0.2) delegate dev to another Route 53 set; the report, the parent's servers."""
    with LoopbackDnsServer(host="127.0.0.2", port=dns.port) as other:
        load_zones(other, synthesized)
        other.records.put("dev.ardamails.com", "NS", _OTHER_ROUTE53)
        parent_servers = sorted(dns.records.get("ardamails.com", "NS"))
        for server in parent_servers[:rogue]:
            dns.records.put(server, "A", ["127.0.0.2"])
        return _runtime_drift_json(dns, "--partition", "dev"), parent_servers


def test_a_parent_that_delegates_elsewhere_than_the_zone_answers_is_drift(
    dns: LoopbackDnsServer, synthesized: Synthesized
) -> None:
    """Every one of the parent's servers delegates dev to another Route 53 set than the one the
    zone itself answers: two zones of one name."""
    report, parent_servers = _drift_with_rogue_parent_servers(dns, synthesized, rogue=4)
    delegation = _finding(report, "dev.ardamails.com", "dns.delegation")
    answered = ", ".join(sorted(dns.records.get("dev.ardamails.com", "NS")))
    assert len(parent_servers) == 4 and delegation["status"] == "drift"
    assert delegation["message"] == (
        f"the parent ardamails.com delegates dev.ardamails.com to {', '.join(sorted(_OTHER_ROUTE53))}, "
        f"but the zone answers {answered}"
    )


def test_a_parent_whose_name_servers_disagree_is_drift(
    dns: LoopbackDnsServer, synthesized: Synthesized
) -> None:
    """Two of the parent's four name servers delegate dev elsewhere, the other two to the
    zone's own servers: resolvers that start from the first two follow another zone, so one
    agreeing server is not enough."""
    report, parent_servers = _drift_with_rogue_parent_servers(dns, synthesized, rogue=2)
    delegation = _finding(report, "dev.ardamails.com", "dns.delegation")
    answered = ", ".join(sorted(dns.records.get("dev.ardamails.com", "NS")))
    said = "; ".join(
        f"{server}: {', '.join(sorted(_OTHER_ROUTE53)) if index < 2 else answered}"
        for index, server in enumerate(parent_servers)
    )
    assert delegation["status"] == "drift"
    assert delegation["message"] == (
        f"the parent ardamails.com's name servers disagree on dev.ardamails.com ({said})"
    )


def test_a_parent_name_server_that_cannot_be_found_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """One of the parent's name servers whose address lookup fails (or that does not answer)
    is passed over - resolvers retry another - while the others' answers count."""
    from tools.dns.probe import DnsProbe, DnsProbeError, ResolverAddress

    servers = ["a.ns.parent", "b.ns.parent", "c.ns.elsewhere"]
    probe = DnsProbe(ResolverAddress("127.0.0.1"), 1.0)

    def addresses(server: str) -> list[str]:
        if server == "c.ns.elsewhere":
            raise DnsProbeError("DNS A c.ns.elsewhere @127.0.0.1:53: no answer within 1s")
        return ["127.0.0.1"]

    monkeypatch.setattr(probe, "_parent_names", lambda parent: servers)
    monkeypatch.setattr(probe, "_addresses", addresses)
    monkeypatch.setattr(probe, "_referral", lambda zone, address: ("ns-1.awsdns-01.com",))
    assert probe.parent_delegation("dev.parent", "parent") == {
        "a.ns.parent": ("ns-1.awsdns-01.com",),
        "b.ns.parent": ("ns-1.awsdns-01.com",),
    }
    silent = DnsProbe(ResolverAddress("127.0.0.1"), 1.0)  # a new probe: addresses are kept per probe
    monkeypatch.setattr(silent, "_parent_names", lambda parent: servers)
    monkeypatch.setattr(silent, "_addresses", lambda server: addresses("c.ns.elsewhere"))
    with pytest.raises(DnsProbeError, match="none of parent's name servers answered"):
        silent.parent_delegation("dev.parent", "parent")


def test_a_matching_delegation_says_what_was_checked(dns: LoopbackDnsServer) -> None:
    result = _python(
        "tools.runtime_platform_drift",
        *dns.drift_args(),
        "--timeout",
        "3",
        "--json",
        "--partition",
        "dev",
        env=_drift_env(),
    )
    report = json.loads(result.stdout)
    delegation = _finding(report, "dev.ardamails.com", "dns.delegation")
    assert delegation["status"] == "ok"
    assert delegation["message"] == (
        "NS dev.ardamails.com: 4 Route 53 name servers, the same at each of the parent ardamails.com's "
        "4 name servers that answered (checked without AWS: not compared with the hosted zone)"
    )


def test_escape_sequences_in_dns_never_reach_the_terminal(dns: LoopbackDnsServer) -> None:
    zone = partition_zone_name(get_partition("dev"))
    selector = json.loads((PROJECT_ROOT / "cdk.context.json").read_text())["partitionMail:Alpha002:dev"]
    host = f"{selector['dkimSelector']}._domainkey.{zone}"
    dns.records.put(host, "TXT", [["k=rsa;p=MIIB\x1b[2J\x1b]0;owned\x07KEY\x9b2J"]])  # \x9b: an 8-bit CSI
    dns.records.put(dmarc_report_authorization_names(zone)[0], "TXT", [["nothing \x1b[31mred"]])
    result = _python(
        "tools.runtime_platform_drift",
        *dns.drift_args(),
        "--timeout",
        "3",
        "--partition",
        "dev",
        env=_drift_env(),
    )
    assert result.returncode == 1
    shown = result.stdout + result.stderr
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert "\\x1b[2J" in result.stdout


class _TruncatingUdpServer:
    """A resolver that answers every UDP query with TC set and has no TCP listener."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            reply = bytearray(data[:12]) + data[12:]
            reply[2] = 0x80 | 0x02 | (data[2] & 0x01)  # QR, TC, keep RD
            reply[3] = 0x80  # RA, NOERROR
            reply[6:12] = b"\x00\x00\x00\x00\x00\x00"
            self.sock.sendto(bytes(reply), peer)


def test_a_truncated_answer_whose_tcp_retry_is_refused_says_so() -> None:
    from tools.dns.probe import DnsProbe, DnsProbeError, ResolverAddress

    server = _TruncatingUdpServer()
    try:
        probe = DnsProbe(ResolverAddress("127.0.0.1", server.port), 2.0)
        with pytest.raises(DnsProbeError) as failed:
            probe.query("dev.ardamails.com", "TXT")
    finally:
        server.sock.close()
    assert "its answer was truncated and the TCP retry was refused" in str(failed.value)


# --- 5. the failed-deploy gate lets through known-good states only ---------------------------

REFUSED_STATES = {
    "UPDATE_ROLLBACK_FAILED": "continue-update-rollback --stack-name Alpha002-dev-Email",
    "IMPORT_ROLLBACK_FAILED": "continue-update-rollback --stack-name Alpha002-dev-Email",
    "UPDATE_FAILED": "rollback-stack --stack-name Alpha002-dev-Email",
    "REVIEW_IN_PROGRESS": "delete-stack --stack-name Alpha002-dev-Email",
    "ROLLBACK_COMPLETE": "delete-stack --stack-name Alpha002-dev-Email",
    "ROLLBACK_FAILED": "delete-stack --stack-name Alpha002-dev-Email",
    "CREATE_FAILED": "delete-stack --stack-name Alpha002-dev-Email",
    "DELETE_FAILED": "delete-stack --stack-name Alpha002-dev-Email",
    "UPDATE_IN_PROGRESS": "another operation is under way",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": "another operation is under way",
    "DELETE_IN_PROGRESS": "another operation is under way",
    "IMPORT_IN_PROGRESS": "another operation is under way",
    "SOMETHING_NEW": "a state this tool does not know to be safe",
}


@pytest.fixture
def stack_in() -> Iterator[Any]:
    """Put Alpha002-dev-Email into any state in an in-process moto; returns the session."""
    import boto3
    from moto import mock_aws
    from moto.cloudformation.models import cloudformation_backends

    with mock_aws():
        session = boto3.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1")
        cloudformation = session.client("cloudformation")
        template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
        cloudformation.create_stack(StackName="Alpha002-dev-Email", TemplateBody=json.dumps(template))

        def put(state: str) -> Any:
            for stack in cloudformation_backends["123456789012"]["us-east-1"].stacks.values():
                stack.status = state
            return session

        yield put


def _dev_gate(gates: Any, session: Any) -> str:
    """The failed-first-deploy gate as `./amm.sh Alpha002 dev` runs it."""
    from tools.operator.targets import partition_target

    target = partition_target(get_partition("dev"))
    return str(
        gates.failed_first_deploy(
            session,
            stack=target.domain.stack_name,
            zone=target.domain.zone_name,
            secrets=target.retained_secrets,
            what=target.name,
            profile="Alpha002-Admin",
            region="us-east-1",
        )
    )


@pytest.mark.parametrize("state", sorted(REFUSED_STATES))
def test_every_state_but_the_known_good_ones_stops_the_partition(stack_in: Any, state: str) -> None:
    from tools.operator import gates

    session = stack_in(state)
    with pytest.raises(gates.GateRefused) as refused:
        _dev_gate(gates, session)
    shown = " ".join([str(refused.value), *refused.value.details])
    assert f"stack Alpha002-dev-Email is {state}" in shown
    assert REFUSED_STATES[state] in shown


_GOOD = {"StackName": "Alpha002-dev-Email", "StackStatus": "UPDATE_COMPLETE"}


@pytest.mark.parametrize(
    "answer",
    [
        {"Stacks": []},
        {"Stacks": {"a": 1}},
        {"Stacks": ["UPDATE_COMPLETE"]},
        {},
        {"Stacks": [_GOOD, {**_GOOD, "StackStatus": "ROLLBACK_COMPLETE"}]},
        {"Stacks": [{**_GOOD, "StackName": "SomethingElse"}]},
        {"Stacks": [{"StackName": "Alpha002-dev-Email"}]},
        {"Stacks": [{**_GOOD, "StackStatus": None}]},
    ],
    ids=[
        "none",
        "not-a-list",
        "not-an-object",
        "no-stacks",
        "two",
        "another-name",
        "no-status",
        "null-status",
    ],
)
def test_a_stack_answer_of_another_shape_is_refused_not_read(
    monkeypatch: pytest.MonkeyPatch, answer: Any
) -> None:
    """The gate reads a state only from the one stack of the name it asked for: a good state
    next to a bad one, or another stack's, never lets a partition through."""
    from tools.operator import gates

    class CloudFormation:
        def describe_stacks(self, **asked: str) -> Any:
            assert asked == {"StackName": "Alpha002-dev-Email"}
            return answer

    monkeypatch.setattr(gates, "client", lambda session, service: CloudFormation())
    with pytest.raises(gates.GateRefused, match="CloudFormation described stack Alpha002-dev-Email as"):
        _dev_gate(gates, None)


@pytest.mark.parametrize(
    "state", ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"]
)
def test_the_known_good_states_pass(stack_in: Any, state: str) -> None:
    from tools.operator import gates

    verdict = _dev_gate(gates, stack_in(state))
    assert verdict == f"stack Alpha002-dev-Email is {state}"


# --- 6. no run widens by accident --------------------------------------------------------------


def _amm(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return _python("tools.amm", *args, env=env or _clean_env(AMM_LOG_DIR="/nonexistent-never-created"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["Alpha001", "--yes"],
            "error: name the partition of Alpha001 to deploy (demo, prod), or pass --all-partitions to deploy "
            "them all in rollout order",
        ),
        (
            ["--dry-run", "Alpha001"],
            "error: name the partition of Alpha001 to deploy (demo, prod), or pass --all-partitions to deploy "
            "them all in rollout order",
        ),
        (["--y", "Alpha001", "demo"], "error: unrecognized arguments: --y; see ./amm.sh --help"),
        (["--dry", "Alpha001", "demo"], "error: unrecognized arguments: --dry; see ./amm.sh --help"),
        (
            ["Alpha001", "--", "-prod"],
            "error: '-prod' is an option, not a name; options go before the names (see ./amm.sh --help)",
        ),
        (
            ["Alpha001", "prod", "--all-partitions"],
            "error: name one partition or pass --all-partitions, not both (partition 'prod')",
        ),
        (
            ["--rotate-dkim", "Alpha001", "--all-partitions"],
            "error: --rotate-dkim rotates one partition's key: name the partition, e.g. ./amm.sh --rotate-dkim "
            "Alpha002 dev",
        ),
    ],
)
def test_a_run_never_widens_to_every_partition_by_accident(args: list[str], message: str) -> None:
    result = _amm(*args)
    assert result.returncode == 2
    assert _one_error_line(result) == message
    assert result.stdout == ""
    assert not Path("/nonexistent-never-created").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--skip-cascade", "\u200b", "Alpha001", "prod"],
            "argument --skip-cascade: '\\u200b' holds a control",
        ),
        (
            ["--profile", "Admin\x1b[31m", "Alpha001", "prod"],
            "argument --profile: 'Admin\\x1b[31m' holds a control",
        ),
        (
            ["--root-profile", "Root\n", "Alpha001", "prod"],
            "argument --root-profile: 'Root\\x0a' holds a control",
        ),
        # an empty value would quietly mean the default, a repeated one "the last wins"
        (["--profile=", "Alpha001", "prod"], "argument --profile: an empty value was given"),
        (["--region", " ", "Alpha001", "prod"], "argument --region: an empty value was given"),
        (["--profile", "a", "--profile", "b", "Alpha001", "prod"], "--profile was given twice; give it once"),
        (
            ["--skip-cascade=--yes", "Alpha001", "prod"],
            "argument --skip-cascade: '--yes' is an option, not a value",
        ),
    ],
)
def test_operator_text_with_invisible_or_control_characters_is_refused(args: list[str], message: str) -> None:
    result = _amm("--dry-run", *args)
    assert result.returncode == 2
    assert message in _one_error_line(result)
    assert "\x1b" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "args", "message"),
    [
        (
            "tools.validate_exit",
            ["dev", "--post-merge", "--profile", ""],
            "argument --profile: an empty value",
        ),
        (
            "tools.validate_exit",
            ["dev", "--post-merge", "--profile", "a", "--profile", "b"],
            "--profile was given twice",
        ),
        (
            "tools.runtime_platform_drift",
            ["--partition", "dev", "--partition", "dev"],
            "--partition dev was given twice",
        ),
        ("tools.runtime_platform_drift", ["--partition=-dev"], "'-dev' is an option, not a name"),
        (
            "tools.plan",
            ["--kube-context", "dev=a", "--kube-context", "dev=a"],
            "--kube-context dev=a was given twice",
        ),
    ],
)
def test_every_tool_refuses_an_option_given_twice_or_empty(
    module: str, args: list[str], message: str
) -> None:
    result = _python(module, *args, env=_clean_env(AMM_LOG_DIR="/nonexistent-never-created"))
    assert result.returncode == (1 if module == "tools.plan" else 2)  # the plan's usage exit is 1 (ADR-0027)
    assert message in _one_error_line(result)


@pytest.mark.parametrize(
    ("module", "args"),
    [
        ("tools.register_partition_mail_signature", ["Alpha002", "dev", "--rot"]),
        ("tools.verify_partition_mail", ["Alpha002", "dev", "--dead=5"]),
        ("tools.runtime_platform_drift", ["--part=dev"]),
        ("tools.corporate_drift", ["--open"]),
        ("tools.validate_exit", ["dev", "--post"]),
        ("tools.corporate_cli", ["--dry"]),
    ],
)
def test_no_tool_accepts_an_abbreviated_option(module: str, args: list[str]) -> None:
    result = _python(module, *args, env=_clean_env())
    assert result.returncode == 2
    assert f"error: unrecognized arguments: {args[-1]}" in _one_error_line(result)


# --- 7. every Postmark listing follows TotalCount ---------------------------------------------


def test_a_server_on_a_later_page_is_found_not_created_again() -> None:
    from tests.support.postmark_openapi import exchange_problems
    from tools.postmark.servers import PostmarkServerAdmin

    token = "prod-token-93c4"
    with PostmarkSimulator({token: "PostmarkProd"}) as postmark:
        for index in range(600):  # the name filter matches all of them: two pages of 500
            postmark.add_server(token, f"FreeKanbanTool-{index:03d}")
        postmark.add_server(token, "FreeKanbanTool")
        with PostmarkServerAdmin(token, base_url=postmark.url) as admin:
            found = admin.find_server("FreeKanbanTool")
    assert found is not None and found.name == "FreeKanbanTool"
    assert [(e.method, e.path) for e in postmark.exchanges] == [("GET", "/servers"), ("GET", "/servers")]
    assert [p for e in postmark.exchanges for p in exchange_problems(e)] == []


def test_a_server_created_by_a_colleague_between_look_up_and_create_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two corporate runs at once: the second's create is refused ("server name already
    exists"); it finds the server again and uses it - no error, no second server."""
    from tools.postmark.servers import PostmarkServerAdmin

    token = "prod-token-93c4"
    real_find = PostmarkServerAdmin.find_server
    looked: list[str] = []
    with PostmarkSimulator({token: "PostmarkProd"}) as postmark:

        def find_then_colleague_creates(self: PostmarkServerAdmin, name: str) -> Any:
            found = real_find(self, name)
            if not looked:
                looked.append(name)
                postmark.add_server(token, name)  # the colleague's run creates it now
            return found

        monkeypatch.setattr(PostmarkServerAdmin, "find_server", find_then_colleague_creates)
        with PostmarkServerAdmin(token, base_url=postmark.url) as admin:
            server, created = admin.found_or_created("FreeKanbanTool")
        names = [e.path for e in postmark.exchanges if e.method == "POST"]
    assert (server.name, created) == ("FreeKanbanTool", False)
    assert names == ["/servers"]  # our one refused create, nothing more


class _ScriptedServerListing:
    """Answers `GET /servers` with `page(offset)` (a listing body) and counts the `POST`s a
    tool sends to create a server (each refused)."""

    def __init__(self, page: Callable[[int], dict[str, Any]]) -> None:
        self.posts = 0
        listing = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                offset = int(parse_qs(urlsplit(self.path).query)["offset"][0])
                body = json.dumps(page(offset)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                listing.posts += 1
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


def _servers(first: int, count: int, name: str = "FreeKanbanTool-{}") -> list[dict[str, Any]]:
    return [{"ID": first + i, "Name": name.format(first + i), "ApiTokens": []} for i in range(count)]


_CONTRADICTING_LISTINGS: dict[str, tuple[Callable[[int], dict[str, Any]], str]] = {
    "claims two servers and holds none": (
        lambda offset: {"TotalCount": 2, "Servers": []},
        "ended at 0 of the 2 servers it counted",
    ),
    "the count grows on the second page": (
        lambda offset: {
            "TotalCount": 501 if offset == 0 else 900,
            "Servers": _servers(1 + offset, 500 if offset == 0 else 1),
        },
        "TotalCount 501, then 900",
    ),
    "the count shrinks on the second page": (
        lambda offset: {
            "TotalCount": 600 if offset == 0 else 100,
            "Servers": _servers(1 + offset, 500 if offset == 0 else 100),
        },
        "TotalCount 600, then 100",
    ),
    "more servers than it counts": (
        lambda offset: {"TotalCount": 1, "Servers": _servers(1, 3)},
        "TotalCount 1, then 1, with 3 servers returned",
    ),
    "more servers over two pages than it counts": (
        lambda offset: {"TotalCount": 600, "Servers": _servers(1 + offset, 500 if offset == 0 else 300)},
        "with 800 servers returned",
    ),
}


@pytest.mark.parametrize("case", sorted(_CONTRADICTING_LISTINGS))
def test_a_server_listing_that_contradicts_itself_creates_no_server(case: str) -> None:
    from tools.postmark.errors import PostmarkUnavailable
    from tools.postmark.servers import PostmarkServerAdmin

    page, message = _CONTRADICTING_LISTINGS[case]
    listing = _ScriptedServerListing(page)
    try:
        with (
            PostmarkServerAdmin("prod-token-93c4", base_url=listing.url) as admin,
            pytest.raises(PostmarkUnavailable, match=re.escape(message)),
        ):
            admin.find_server("FreeKanbanTool")
    finally:
        listing.server.shutdown()
        listing.server.server_close()
    assert listing.posts == 0


@pytest.mark.parametrize("alike", ["freekanbantool", "FreeKanbanTool ", " FREEKANBANTOOL"])
def test_a_look_alike_server_is_named_not_created_beside(alike: str) -> None:
    """Postmark's name filter matches without case: a server that differs from the group's
    only in case or spaces is shown to the operator, never doubled by a second one."""
    from tools.postmark.errors import PostmarkError
    from tools.postmark.servers import PostmarkServerAdmin

    listing = _ScriptedServerListing(lambda offset: {"TotalCount": 1, "Servers": _servers(7, 1, alike)})
    try:
        with (
            PostmarkServerAdmin("prod-token-93c4", base_url=listing.url) as admin,
            pytest.raises(
                PostmarkError, match=re.escape(f"but {alike!r} (ID 7): rename it to FreeKanbanTool")
            ),
        ):
            admin.find_server("FreeKanbanTool")
    finally:
        listing.server.shutdown()
        listing.server.server_close()
    assert listing.posts == 0


# --- 10. signals ---------------------------------------------------------------------------------


def _live_processes_in_group(group: int) -> list[int]:
    """Processes of process group `group` that still run (a killed child waiting to be reaped
    by init is a zombie: it runs nothing)."""
    live = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            live.append(int(entry.name))
    return live


def _still_running_after_a_moment(group: int, seconds: float = 5.0) -> list[int]:
    """`_live_processes_in_group`, allowing the kernel a moment: a SIGKILLed process dies when
    it is next scheduled, which on a loaded machine is not at once."""
    deadline = time.monotonic() + seconds
    while (live := _live_processes_in_group(group)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return live


# What a tool says and its exit code, per signal.
_SAID_ON = {
    signal.SIGHUP: ("hung up", 129),
    signal.SIGTERM: ("terminated", 143),
    signal.SIGINT: ("interrupted", 130),
}


def _start_pre_deploy(context_copy: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """`register_partition_mail_signature Alpha002 dev` on `context_copy`, its streams piped."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "tools.register_partition_mail_signature", "Alpha002", "dev"),
            *("--context-file", str(context_copy)),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _pre_deploy_waiting_on_op(
    context_copy: Path, env: dict[str, str], pid_file: Path
) -> subprocess.Popen[str]:
    """The pre-deploy started, once the (hanging) fake `op` it runs has written its pid."""
    tool = _start_pre_deploy(context_copy, env)
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline, "op never started"
        time.sleep(0.05)
    return tool


@pytest.mark.parametrize(
    ("signum", "code", "word"), [(signal.SIGHUP, 129, "hung up"), (signal.SIGTERM, 143, "terminated")]
)
def test_a_hang_up_or_kill_during_op_read_ends_op_too(
    tmp_path: Path, context_copy: Path, signum: int, code: int, word: str
) -> None:
    bin_dir, pid_file = tmp_path / "bin", tmp_path / "op.pid"
    write_fake_op(bin_dir, token=CANARY, hang_seconds=60, pid_file=pid_file)
    before = context_copy.read_bytes()
    env = _clean_env(PATH=f"{bin_dir}:/usr/bin:/bin", POSTMARK_API_URL="http://127.0.0.1:9")
    tool = _pre_deploy_waiting_on_op(context_copy, env, pid_file)
    op_pid = int(pid_file.read_text())
    tool.send_signal(signum)
    _, err = tool.communicate(timeout=20)
    assert tool.returncode == code
    assert [line for line in err.splitlines() if not NOTE.match(line)] == [
        f"error: {word}; every file is complete or untouched; re-run to finish"
    ]
    assert _still_running_after_a_moment(op_pid) == []  # op and the sleep it started are gone
    assert context_copy.read_bytes() == before
    assert sorted(p.name for p in context_copy.parent.iterdir()) == ["cdk.context.json"]


@pytest.mark.parametrize("second", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_second_signal_during_the_clean_up_changes_nothing(
    tmp_path: Path, context_copy: Path, second: int
) -> None:
    """HUP then a second signal, at once or a moment later (during the clean-up, the last
    line or the exit itself): still one line, the exit code of the signal that line names,
    no traceback (a second signal must not cut the clean-up the first one started, nor the
    exit after it). Which of two signals sent back to back is handled first is the
    kernel's choice when the tool has threads, so either may be the one named."""
    allowed = {
        (f"error: {word}; every file is complete or untouched; re-run to finish", code)
        for word, code in (_SAID_ON[signal.SIGHUP], _SAID_ON[signal.Signals(second)])
    }
    bin_dir, pid_file = tmp_path / "bin", tmp_path / "op.pid"
    write_fake_op(bin_dir, token=CANARY, hang_seconds=60, pid_file=pid_file)
    env = _clean_env(PATH=f"{bin_dir}:/usr/bin:/bin", POSTMARK_API_URL="http://127.0.0.1:9")
    for pause in (0.0, 0.0, 0.005, 0.01, 0.02, 0.04, 0.08):
        pid_file.unlink(missing_ok=True)
        tool = _pre_deploy_waiting_on_op(context_copy, env, pid_file)
        tool.send_signal(signal.SIGHUP)
        time.sleep(pause)
        tool.send_signal(second)  # a no-op once the tool has exited
        _, err = tool.communicate(timeout=20)
        said = [line for line in err.splitlines() if not NOTE.match(line)]
        assert len(said) == 1, (pause, err)
        assert (said[0], tool.returncode) in allowed, (pause, err, tool.returncode)
        assert _still_running_after_a_moment(int(pid_file.read_text())) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_while_the_tool_exits_after_its_work_is_never_silent(
    context_copy: Path, signum: int
) -> None:
    """The pre-deploy has written the context file and is on its way out when a signal comes:
    either it finishes (exit 0, the work is done) or it says one line with the signal's code
    - never a silent death by the signal's default action, never a traceback."""
    word, code = _SAID_ON[signal.Signals(signum)]
    token = "3f2a9c1e-7b4d-4e8a-9c2f-1d5e6a7b8c9d"
    before = context_copy.read_bytes()
    with PostmarkSimulator({token: "PostmarkNonProd"}) as postmark:
        env = _clean_env(POSTMARK_ACCOUNT_TOKEN=token, POSTMARK_API_URL=postmark.url)
        for pause in (0.0, 0.002, 0.005, 0.01, 0.02, 0.04):
            context_copy.write_bytes(before)
            tool = _start_pre_deploy(context_copy, env)
            deadline = time.monotonic() + 30
            while context_copy.read_bytes() == before and tool.poll() is None:
                assert time.monotonic() < deadline, "the context file was never written"
                time.sleep(0.001)
            time.sleep(pause)
            tool.send_signal(signum)  # a no-op once the tool has exited
            _, err = tool.communicate(timeout=20)
            said = [line for line in err.splitlines() if not NOTE.match(line)]
            assert "Traceback" not in err and "Exception ignored" not in err, (pause, err)
            assert tool.returncode in (0, code), (pause, tool.returncode, err)
            if tool.returncode == code:
                assert said == [f"error: {word}; every file is complete or untouched; re-run to finish"], err
            json.loads(context_copy.read_text())
            assert sorted(p.name for p in context_copy.parent.iterdir()) == ["cdk.context.json"]


def test_a_hang_up_in_the_middle_of_the_context_write_leaves_no_temporary_file(
    context_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from platform_lib.context_store import put_context_block
    from platform_lib.naming import context_key
    from tests.support.context import read_partition_mail_context
    from tools.cli import entry

    before = context_copy.read_bytes()
    stage = read_partition_mail_context(context_copy, get_partition("stage"))
    real_fsync = os.fsync

    def hang_up_then_sync(fd: int) -> None:
        os.kill(os.getpid(), signal.SIGHUP)  # the terminal closes while the new file is written
        real_fsync(fd)

    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGHUP, signal.SIGTERM)}
    signal.signal(signal.SIGHUP, entry._on_signal)
    monkeypatch.setattr(os, "fsync", hang_up_then_sync)
    try:
        with pytest.raises(entry.Terminated):
            put_context_block(context_copy, context_key(get_partition("dev")), stage)
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
    assert context_copy.read_bytes() == before
    assert sorted(p.name for p in context_copy.parent.iterdir()) == ["cdk.context.json"]


# --- 11. the run log -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("x" * 300, "cannot be used (File name too long); name another folder"),
        ("/proc/version/logs", "cannot be written; fix its permissions or name another folder"),
    ],
)
def test_an_unusable_log_folder_is_one_line_before_anything_changes(folder: str, message: str) -> None:
    result = _amm("--yes", "Alpha002", "dev", env=_clean_env(AMM_LOG_DIR=folder))
    assert result.returncode == 2
    line = _one_error_line(result)
    assert line.startswith("error: AMM_LOG_DIR ") and message in line


def test_a_folder_where_no_file_can_be_created_is_one_line() -> None:
    """/sys passes a permission check (for root) but refuses every new file."""
    result = _amm("--yes", "Alpha002", "dev", env=_clean_env(AMM_LOG_DIR="/sys"))
    assert result.returncode == 2
    line = _one_error_line(result)
    assert "/sys" in line and "AMM_LOG_DIR" in line


def test_a_log_write_that_fails_mid_run_warns_once_and_the_child_runs_on(tmp_path: Path) -> None:
    """/dev/full accepts the open and refuses every write (ENOSPC): the log turns off with one
    warning, and the child process whose output is being logged finishes normally."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tools.cli.run_log import RunLog\n"
        "log = RunLog(Path('/dev/full')).open()\n"
        "log.say('first line')\n"
        "code = log.run('child', [sys.executable, '-c', 'print(\"child line\"); print(\"second\")'],"
        " env={'PATH': '/usr/bin:/bin'}, cwd=Path('.'))\n"
        "log.say(f'child exit {code}')\n"
        "log.say(f'failures point to: {log.output_kept}')\n"
        "log.close()\n"
    )
    result = run_python(script)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        "warning: the run log /dev/full cannot be written any more (No space left on device); "
        "the run goes on, on the console only"
    ]
    assert "child line" in result.stdout and "child exit 0" in result.stdout
    assert "failures point to: its output is above\n" in result.stdout, "not to a run log no longer written"


# --- 12. a write that fails names its file ----------------------------------------------------------


def test_a_context_write_over_the_file_size_limit_names_the_file(
    postmark: PostmarkSimulator, context_copy: Path
) -> None:
    import resource

    from tests.conftest import NONPROD_TOKEN

    before = context_copy.read_bytes()
    limit = len(before) - 1  # the new file cannot be written whole

    def cap_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = _clean_env(POSTMARK_API_URL=postmark.url, POSTMARK_ACCOUNT_TOKEN=NONPROD_TOKEN)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.register_partition_mail_signature",
            "Alpha002",
            "dev",
            "--context-file",
            str(context_copy),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=cap_file_size,
    )
    assert result.returncode == 1
    assert _one_error_line(result) == (
        f"error: cannot write {context_copy} (File too large); it was not changed: free space or fix the "
        "folder, then re-run"
    )
    assert context_copy.read_bytes() == before
    assert sorted(p.name for p in context_copy.parent.iterdir()) == ["cdk.context.json"]


def test_publish_delegation_gives_route53_shaped_servers() -> None:
    from tests.support.dns_server import RecordTable
    from tools.checks.dns import route53_name_server

    table = RecordTable()
    servers = publish_delegation(table, "dev.ardamails.com")
    assert len(servers) == 4 and all(route53_name_server(s) for s in servers)
    assert all(table.get(s, "A") == ["127.0.0.1"] for s in servers)


@pytest.mark.parametrize(
    ("name", "route53"),
    [
        ("ns-0.awsdns-00.com", True),
        ("ns-511.awsdns-63.com", True),
        ("ns-512.awsdns-12.net", True),
        ("ns-1257.awsdns-29.org", True),
        ("ns-2047.awsdns-01.co.uk", True),
        ("ns-512.awsdns-12.com", False),  # each top-level domain holds its own 512 numbers
        ("ns-100.awsdns-12.net", False),
        ("ns-2048.awsdns-01.co.uk", False),
        ("ns-9999.awsdns-99.com", False),
        ("ns-1.awsdns-1.com", False),
        ("ns-1.awsdns-64.com", False),
        ("ns-01.awsdns-01.com", False),
        ("ns-1.awsdns-01.co", False),
        ("ns-1.awsdns-01.com.evil.example", False),
    ],
)
def test_only_route53s_own_name_servers_count_as_route53(name: str, route53: bool) -> None:
    from tools.checks.dns import route53_name_server

    assert route53_name_server(name) is route53


def test_an_option_in_an_argument_group_is_given_once_too() -> None:
    """The once-only rule lives in the parser's action registry, which argument groups share."""
    from tools.cli.arguments import ToolArgumentParser
    from tools.cli.contract import UsageError

    parser = ToolArgumentParser(prog="tool")
    parser.add_mutually_exclusive_group().add_argument("--profile")
    with pytest.raises(UsageError, match="--profile was given twice"):
        parser.parse_args(["--profile", "a", "--profile", "b"])


def test_the_parent_name_servers_are_asked_side_by_side(monkeypatch: pytest.MonkeyPatch) -> None:
    """A silent parent name server costs the probe one timeout, not one per server: every
    server is asked at the same time (each referral here waits until all three are asked)."""
    from tools.dns.probe import DnsProbe, ResolverAddress

    servers = ["a.ns.parent", "b.ns.parent", "c.ns.parent"]
    all_asked = threading.Barrier(len(servers), timeout=5)
    probe = DnsProbe(ResolverAddress("127.0.0.1"), 1.0)

    def referral(zone: str, address: str) -> tuple[str, ...]:
        all_asked.wait()  # BrokenBarrierError if the servers were asked one after another
        return ("ns-1.awsdns-01.com",)

    monkeypatch.setattr(probe, "_parent_names", lambda parent: servers)
    monkeypatch.setattr(probe, "_addresses", lambda server: ["127.0.0.1"])
    monkeypatch.setattr(probe, "_referral", referral)
    assert set(probe.parent_delegation("dev.parent", "parent")) == set(servers)

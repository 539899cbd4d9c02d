"""The pre-deploy CLI against the Postmark simulator and a fake `op`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from platform_lib.context_store import PROJECT_ROOT
from platform_lib.dns_text import dkim_public_key_of
from platform_lib.registry import get_partition
from tests.conftest import NONPROD_TOKEN, PROD_TOKEN
from tests.support.context import read_partition_mail_context
from tests.support.fake_op import write_fake_op
from tests.support.postmark_simulator import Fault, PostmarkSimulator
from tests.support.python_script import run_python
from tools.register_partition_mail_signature import main

DEV = get_partition("dev")
KEY = "partitionMail:Alpha002:dev"


@pytest.fixture
def context_file(tmp_path: Path) -> Path:
    path = tmp_path / "cdk.context.json"
    path.write_bytes((PROJECT_ROOT / "cdk.context.json").read_bytes())
    return path


def run(
    postmark: PostmarkSimulator, context_file: Path, *args: str, token: str | None = NONPROD_TOKEN
) -> int:
    env = {"POSTMARK_API_URL": postmark.url}
    if token is not None:
        env["POSTMARK_ACCOUNT_TOKEN"] = token
    return main([*args, "--context-file", str(context_file)], env)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("POSTMARK_ACCOUNT_TOKEN", raising=False)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")


def test_first_run_creates_the_domain_and_writes_the_pending_key(
    postmark: PostmarkSimulator, context_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = json.loads(context_file.read_text())
    assert run(postmark, context_file, "Alpha002", "dev") == 0
    (domain,) = postmark.domains(NONPROD_TOKEN)
    assert (domain.name, domain.return_path_domain) == ("dev.ardamails.com", "pm-bounces.dev.ardamails.com")
    block = read_partition_mail_context(context_file, DEV)
    assert block.dkim_selector == domain.dkim_pending_host.split(".")[0]
    assert block.dkim_public_key == dkim_public_key_of(domain.dkim_pending_text_value)
    assert block.return_path_target == "pm.mtasv.net"
    after = json.loads(context_file.read_text())
    assert {k: v for k, v in after.items() if k != KEY} == {k: v for k, v in before.items() if k != KEY}
    assert [(e.method, e.path) for e in postmark.exchanges] == [("GET", "/domains"), ("POST", "/domains")]
    assert postmark.domains(PROD_TOKEN) == []
    out = capsys.readouterr().out
    assert "created" in out and f"{KEY}: written" in out


def test_re_run_changes_nothing(postmark: PostmarkSimulator, context_file: Path) -> None:
    assert run(postmark, context_file, "Alpha002", "dev") == 0
    postmark.reset_log()
    stat = context_file.stat()
    assert run(postmark, context_file, "Alpha002", "dev") == 0
    assert [(e.method, e.path.rsplit("/", 1)[0]) for e in postmark.exchanges] == [
        ("GET", ""),
        ("GET", "/domains"),
    ]
    assert postmark.requests("POST") == []
    after = context_file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)


def test_verified_domain_gives_the_active_key(postmark: PostmarkSimulator, context_file: Path) -> None:
    domain = postmark.add_domain(
        PROD_TOKEN, "Demo.ArdaMails.com", "pm-bounces.demo.ardamails.com", verified=True
    )
    assert run(postmark, context_file, "Alpha001", "demo", token=PROD_TOKEN) == 0
    block = read_partition_mail_context(context_file, get_partition("demo"))
    assert block.dkim_selector == domain.dkim_host.split(".")[0]
    assert block.dkim_public_key == dkim_public_key_of(domain.dkim_text_value)


def test_return_path_mismatch_is_an_error_unless_fixing_is_asked_for(
    postmark: PostmarkSimulator, context_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    postmark.add_domain(NONPROD_TOKEN, "dev.ardamails.com", "bounces.dev.ardamails.com")
    before = context_file.read_bytes()
    assert run(postmark, context_file, "Alpha002", "dev") == 1
    err = capsys.readouterr().err
    assert "--fix-return-path" in err and "pm-bounces.dev.ardamails.com" in err
    assert context_file.read_bytes() == before
    assert postmark.requests("PUT") == []
    assert run(postmark, context_file, "Alpha002", "dev", "--fix-return-path") == 0
    assert postmark.domains(NONPROD_TOKEN)[0].return_path_domain == "pm-bounces.dev.ardamails.com"


def test_dkim_host_outside_the_placement_is_an_error(
    postmark: PostmarkSimulator, context_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    domain = postmark.add_domain(NONPROD_TOKEN, "dev.ardamails.com")
    domain.dkim_pending_host = domain.dkim_pending_host.replace("._domainkey.dev.", "._domainkey.")
    before = context_file.read_bytes()
    assert run(postmark, context_file, "Alpha002", "dev") == 1
    assert "is not where the placement puts it" in capsys.readouterr().err
    assert context_file.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Alpha003", "dev"], "unknown infrastructure 'Alpha003'; valid: PlatformRoot, Alpha001, Alpha002"),
        (["Alpha001", "dev"], "partition 'dev' is on Alpha002, not Alpha001; active on Alpha001: demo, prod"),
        (["Alpha002", "kyle"], "partition 'kyle' is suspended; active on Alpha002: dev, stage"),
        (["Alpha002", "qa"], "unknown partition 'qa'; active on Alpha002: dev, stage"),
    ],
)
def test_registry_errors_exit_2_and_contact_nothing(
    postmark: PostmarkSimulator,
    context_file: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    before = context_file.read_bytes()
    assert run(postmark, context_file, *args) == 2
    err = capsys.readouterr().err
    assert err == f"error: {message}\n"
    assert postmark.exchanges == [] and context_file.read_bytes() == before


@pytest.mark.parametrize("args", [["--help"], ["-h"]])
def test_help_prints_the_usage_and_exits_0(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """As every command's --help does (ADR-0026; ADR-0019 had it exit 2)."""
    assert main(args, {}) == 0
    out = capsys.readouterr().out
    assert "usage: python -m tools.register_partition_mail_signature" in out and "--fix-return-path" in out


def test_no_arguments_is_a_one_line_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([], {}) == 2
    assert capsys.readouterr().err == (
        "error: the following arguments are required: infrastructure, partition; "
        "see python -m tools.register_partition_mail_signature --help\n"
    )


def test_postmark_401(
    postmark: PostmarkSimulator, context_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = context_file.read_bytes()
    assert run(postmark, context_file, "Alpha002", "dev", token="wrong-token") == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith(
        "error: Postmark rejected the account token from POSTMARK_ACCOUNT_TOKEN (HTTP 401, ErrorCode 10"
    )
    assert err.count("error: ") == 1 and err.startswith("note: Postmark API is http://127.0.0.1:")
    assert context_file.read_bytes() == before


def test_postmark_422(
    postmark: PostmarkSimulator, context_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    postmark.inject(
        Fault(status=422, method="POST", error_code=511, message="Invalid 'ReturnPathDomain' field.")
    )
    before = context_file.read_bytes()
    assert run(postmark, context_file, "Alpha002", "dev") == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: Postmark refused creating domain dev.ardamails.com "
        "(ErrorCode 511: Invalid 'ReturnPathDomain' field.)"
    )
    assert context_file.read_bytes() == before


def test_postmark_500_then_success(postmark: PostmarkSimulator, context_file: Path) -> None:
    postmark.inject(Fault(status=500, times=1, method="GET"))
    assert run(postmark, context_file, "Alpha002", "dev") == 0
    assert [e.status for e in postmark.exchanges] == [500, 200, 200]


def test_postmark_timeout(
    postmark: PostmarkSimulator, context_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    postmark.inject(Fault(latency=0.5, times=10))
    before = context_file.read_bytes()
    assert run(postmark, context_file, "Alpha002", "dev", "--timeout", "0.2") == 1
    assert "Postmark did not answer listing domains within 0.2 s" in capsys.readouterr().err
    assert context_file.read_bytes() == before


@pytest.mark.parametrize(
    ("op", "message"),
    [
        ("missing", "the 1Password CLI `op` is not on PATH"),
        ("signed-out", "the 1Password CLI is not signed in; run `eval $(op signin)`"),
        ("empty", "`op read op://Arda-DevOAM/Postmark/credential` returned an empty value"),
    ],
)
def test_1password_failures(
    postmark: PostmarkSimulator,
    context_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    op: str,
    message: str,
) -> None:
    if op != "missing":
        write_fake_op(tmp_path / "bin", token="", signed_in=op != "signed-out")
    before = context_file.read_bytes()
    assert run(postmark, context_file, "Alpha002", "dev", token=None) == 1
    assert capsys.readouterr().err.splitlines()[-1].startswith(f"error: {message}")
    assert postmark.exchanges == [] and context_file.read_bytes() == before


def test_token_from_1password(postmark: PostmarkSimulator, context_file: Path, tmp_path: Path) -> None:
    write_fake_op(tmp_path / "bin", token=NONPROD_TOKEN)
    assert run(postmark, context_file, "Alpha002", "dev", token=None) == 0
    assert {e.headers["X-Postmark-Account-Token"] for e in postmark.exchanges} == {NONPROD_TOKEN}


def test_malformed_context_file_is_left_untouched(
    postmark: PostmarkSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cdk.context.json"
    path.write_bytes(b'{"partitionMail:Alpha002:dev": {,}\n')
    assert run(postmark, path, "Alpha002", "dev") == 1
    assert "is not valid JSON" in capsys.readouterr().err
    assert path.read_bytes() == b'{"partitionMail:Alpha002:dev": {,}\n'
    assert postmark.exchanges == []


CANARY = "canary-token-7d2f0c1e-a9b8"
REJECTED_CANARY = "canary-token-rejected-41c6"


def test_canary_token_never_appears_in_output_or_files(postmark: PostmarkSimulator, tmp_path: Path) -> None:
    """Run as the operator does (a subprocess, script mode too), through success and failure."""
    postmark.add_account(CANARY, "PostmarkNonProd")
    workdir = tmp_path / "work"
    workdir.mkdir()
    context_file = workdir / "cdk.context.json"
    context_file.write_bytes((PROJECT_ROOT / "cdk.context.json").read_bytes())
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("POSTMARK_")},
        "POSTMARK_API_URL": postmark.url,
        "POSTMARK_ACCOUNT_TOKEN": CANARY,
    }
    outputs = []
    runs = (  # (command, working directory, token, expected exit)
        ([sys.executable, "-m", "tools.register_partition_mail_signature"], PROJECT_ROOT, CANARY, 0),
        (
            [sys.executable, str(PROJECT_ROOT / "tools" / "register_partition_mail_signature.py")],
            workdir,
            CANARY,
            0,
        ),
        ([sys.executable, "-m", "tools.register_partition_mail_signature"], PROJECT_ROOT, REJECTED_CANARY, 1),
    )
    for command, cwd, token, expected in runs:
        result = subprocess.run(
            [*command, "Alpha002", "dev", "--context-file", str(context_file)],
            cwd=cwd,
            env={**env, "POSTMARK_ACCOUNT_TOKEN": token},
            capture_output=True,
            text=True,
            check=False,
        )
        outputs.append(result.stdout + result.stderr)
        assert result.returncode == expected, result.stderr
    assert "written to" in outputs[0] and "unchanged in" in outputs[1] and "HTTP 401" in outputs[2]
    assert not [o for o in outputs if CANARY in o or REJECTED_CANARY in o]
    assert {e.headers["X-Postmark-Account-Token"] for e in postmark.exchanges} == {CANARY, REJECTED_CANARY}
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path
            assert REJECTED_CANARY.encode() not in path.read_bytes(), path


def test_logger_redacts_tracebacks() -> None:
    """Even an unexpected crash that carries the token prints it masked."""
    code = (
        "from tools.secrets import logger\n"
        "logger.install()\n"
        f"logger.register_secret({CANARY!r})\n"
        f"print('token is', {CANARY!r})\n"
        f"raise RuntimeError('boom ' + {CANARY!r})\n"
    )
    result = run_python(code)
    assert result.returncode == 1
    assert "token is ***" in result.stdout
    assert "RuntimeError: boom ***" in result.stderr and "Traceback" in result.stderr
    assert CANARY not in result.stdout + result.stderr


def _pre_deploy(
    context_file: Path, url: str, token: str, partition: str, **popen: object
) -> subprocess.Popen[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("POSTMARK_")},
        "POSTMARK_API_URL": url,
        "POSTMARK_ACCOUNT_TOKEN": token,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.register_partition_mail_signature",
            "Alpha002",
            partition,
            "--context-file",
            str(context_file),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_runs_on_two_partitions_keep_both_new_blocks(
    postmark: PostmarkSimulator, context_file: Path
) -> None:
    """20 rounds: dev and stage get new keys, both pre-deploys run at once and are held by the
    simulator until both have read their domain, so both write at the same moment."""
    for name in ("dev.ardamails.com", "stage.ardamails.com"):
        postmark.add_domain(NONPROD_TOKEN, name)
    postmark.rendezvous("GET", r"^/domains/\d+$", parties=2)
    for round_number in range(20):
        domains = {p: postmark.rotate_key(NONPROD_TOKEN, f"{p}.ardamails.com") for p in ("dev", "stage")}
        runs = [_pre_deploy(context_file, postmark.url, NONPROD_TOKEN, p) for p in ("dev", "stage")]
        for run_ in runs:
            out, err = run_.communicate(timeout=60)
            assert run_.returncode == 0, err
            assert "written to" in out
        data = json.loads(context_file.read_text())
        for partition, domain in domains.items():
            block = data[f"partitionMail:Alpha002:{partition}"]
            assert block["dkimSelector"] == domain.dkim_pending_host.split(".")[0], round_number
            assert dkim_public_key_of(domain.dkim_pending_text_value) == block["dkimPublicKey"], round_number
        assert sorted(p.name for p in context_file.parent.iterdir()) == ["cdk.context.json"]


def test_ctrl_c_is_one_line_exit_130_and_writes_nothing(
    postmark: PostmarkSimulator, context_file: Path
) -> None:
    postmark.add_domain(NONPROD_TOKEN, "dev.ardamails.com")
    postmark.inject(Fault(latency=30, method="GET", path=r"^/domains/\d+$"))
    before = context_file.read_bytes()
    run_ = _pre_deploy(context_file, postmark.url, NONPROD_TOKEN, "dev")
    deadline = time.monotonic() + 20
    while ("GET", "/domains/" + str(postmark.domains(NONPROD_TOKEN)[0].id)) not in postmark.arrivals:
        assert time.monotonic() < deadline, "the run never asked for the domain"
        time.sleep(0.05)
    run_.send_signal(signal.SIGINT)
    _, err = run_.communicate(timeout=20)
    assert run_.returncode == 130
    errors = [line for line in err.splitlines() if not line.startswith("note: ")]
    assert errors == ["error: interrupted; every file is complete or untouched; re-run to finish"]
    assert context_file.read_bytes() == before
    assert sorted(p.name for p in context_file.parent.iterdir()) == ["cdk.context.json"]


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (f"  {NONPROD_TOKEN}\r\n", None),
        (f"{NONPROD_TOKEN}\t", None),
        ("nonprod account-token", "POSTMARK_ACCOUNT_TOKEN holds whitespace inside the token"),
        ("nonprod\naccount-token", "POSTMARK_ACCOUNT_TOKEN holds a line break inside the token"),
        ("nonprod\x07token", "POSTMARK_ACCOUNT_TOKEN holds a control character (0x07) inside the token"),
        ("nonprod-tökén", "POSTMARK_ACCOUNT_TOKEN holds a character other than printable ASCII"),
        ("   ", "POSTMARK_ACCOUNT_TOKEN is empty"),
    ],
)
def test_the_token_rule_strips_once_and_refuses_inner_whitespace(
    postmark: PostmarkSimulator,
    context_file: Path,
    capsys: pytest.CaptureFixture[str],
    token: str,
    message: str | None,
) -> None:
    before = context_file.read_bytes()
    code = run(postmark, context_file, "Alpha002", "dev", token=token)
    err = capsys.readouterr().err
    if message is None:
        assert code == 0, err
        assert {e.headers["X-Postmark-Account-Token"] for e in postmark.exchanges} == {NONPROD_TOKEN}
        return
    assert code == 1
    assert err.splitlines()[-1].startswith(f"error: {message}")
    assert postmark.exchanges == [] and context_file.read_bytes() == before


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "-inf", "soon"])
def test_numeric_options_must_be_finite_and_positive(
    postmark: PostmarkSimulator, context_file: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    for option in ("--timeout", "--deadline"):
        assert run(postmark, context_file, "Alpha002", "dev", f"{option}={value}") == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"error: argument {option}: '{value}'")
    assert postmark.exchanges == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://api.postmarkapp.com", "uses plain http:// for api.postmarkapp.com"),
        ("https://user:secret@api.postmarkapp.com", "must not hold a user name or password"),
        ("ftp://api.postmarkapp.com", "is not an https:// URL"),
        ("https://api.postmarkapp.com/?x=1", "must not have a query or fragment"),
        ("https://api.postmarkapp.com?", "must not have a query or fragment"),
        ("https://api.postmarkapp.com#", "must not have a query or fragment"),
    ],
)
def test_an_unsafe_api_url_is_refused_before_anything_is_sent(
    context_file: Path, capsys: pytest.CaptureFixture[str], url: str, message: str
) -> None:
    env = {"POSTMARK_API_URL": url, "POSTMARK_ACCOUNT_TOKEN": NONPROD_TOKEN}
    assert main(["Alpha002", "dev", "--context-file", str(context_file)], env) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "secret" not in err.replace("password", "")


@pytest.mark.parametrize("args", [["", "dev"], ["Alpha002", ""], ["Alpha002", " "]])
def test_blank_names_are_usage_errors(
    postmark: PostmarkSimulator, context_file: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert run(postmark, context_file, *args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: argument")
    assert postmark.exchanges == []


@pytest.mark.parametrize("token", ['nonprod"token', "nonprod\\token", "nonprod'token", "non;prod"])
def test_a_token_with_characters_no_token_has_is_refused(
    postmark: PostmarkSimulator, context_file: Path, capsys: pytest.CaptureFixture[str], token: str
) -> None:
    """Quotes and backslashes would be escaped when echoed (JSON, repr), slipping past redaction."""
    assert run(postmark, context_file, "Alpha002", "dev", token=token) == 1
    err = capsys.readouterr().err
    assert "holds a character no Postmark token has" in err and token not in err
    assert postmark.exchanges == []


def test_a_duration_over_a_day_is_a_usage_error(
    postmark: PostmarkSimulator, context_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(postmark, context_file, "Alpha002", "dev", "--timeout", "1e10") == 2
    assert "is more than a day" in capsys.readouterr().err


def test_the_redactor_finds_a_token_in_any_letter_case() -> None:
    from tools.secrets.outside_text import Redactor

    redactor = Redactor()
    redactor.add("Canary-Token-5f3a9")
    assert (
        redactor.redact("host canary-token-5f3a9.evil.com and CANARY-TOKEN-5F3A9")
        == "host ***.evil.com and ***"
    )


def test_op_children_do_not_outlive_the_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An `op` that answers, exits, and leaves a child holding its output: the read takes the
    answer at once and the child is stopped."""
    from tools.secrets.op import read_op_reference

    marker = tmp_path / "child-still-running"
    fake = tmp_path / "bin" / "op"
    fake.parent.mkdir()
    fake.write_text(f"#!/usr/bin/env bash\nprintf tok-123\n( sleep 5; touch {marker} ) &\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    started = time.monotonic()
    assert read_op_reference("op://a/b/c", timeout=10) == "tok-123"
    assert time.monotonic() - started < 3
    time.sleep(5.5)
    assert not marker.exists(), "the child op left behind was stopped"


def test_a_domain_created_by_a_colleague_between_look_up_and_create_is_used(
    postmark: PostmarkSimulator, context_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs of the same partition at once: the second's create is refused ("Domain
    already exists"); it finds that domain again and goes on, no error, no second domain."""
    from tools.postmark.client import PostmarkClient

    real_find = PostmarkClient.find_domain_id
    looked: list[str] = []

    def find_then_colleague_creates(self: PostmarkClient, name: str) -> int | None:
        found = real_find(self, name)
        if not looked:  # the colleague's run creates it right after our first look-up
            looked.append(name)
            assert run(postmark, context_file.with_name("theirs.json"), "Alpha002", "dev") == 0
        return found

    monkeypatch.setattr(PostmarkClient, "find_domain_id", find_then_colleague_creates)
    (context_file.with_name("theirs.json")).write_bytes(context_file.read_bytes())
    assert run(postmark, context_file, "Alpha002", "dev") == 0
    assert len(postmark.domains(NONPROD_TOKEN)) == 1
    assert read_partition_mail_context(context_file, DEV) == read_partition_mail_context(
        context_file.with_name("theirs.json"), DEV
    )


def test_a_context_file_that_does_not_exist_is_created_with_a_note(
    postmark: PostmarkSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo.json"
    assert run(postmark, missing, "Alpha002", "dev") == 0
    out = capsys.readouterr().out
    assert f"note: {missing} did not exist; created it with this block only" in out
    assert list(json.loads(missing.read_text())) == [KEY]


def test_a_hard_linked_context_file_is_refused_not_split(
    postmark: PostmarkSimulator, context_file: Path
) -> None:
    other = context_file.with_name("other-name.json")
    os.link(context_file, other)
    before = context_file.read_bytes()
    assert run(postmark, context_file, "Alpha002", "dev") == 1
    assert context_file.read_bytes() == before and os.path.samefile(context_file, other)

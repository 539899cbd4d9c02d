"""A child's output as the operator sees it, and the run's progress lines.

Off a terminal the child gets pipes and no input; on one (driven here through a
pseudo-terminal the test holds) it gets a terminal of its own, its questions show before the
operator answers, the answer reaches it, and only its colour survives the trip - never a
cursor movement. Progress lines update in place on a terminal and are plain lines elsewhere.
"""

from __future__ import annotations

import io
import json
import os
import re
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from platform_lib.context_store import PROJECT_ROOT
from tools.aws import cdk as cdk_cli
from tools.aws import stack_outputs
from tools.cli import child_output, run_log
from tools.cli.child_output import IDLE_FLUSH_SECONDS, MAX_PENDING_CHARACTERS, stream_child
from tools.cli.run_log import RunLog
from tools.cli.screen_line import ScreenLine
from tools.runtime.text import terminal_text
from tools.secrets.outside_text import Redactor

CHILD = textwrap.dedent(
    """
    import sys, time
    print("sees a terminal:", sys.stdout.isatty(), sys.stdin.isatty(), flush=True)
    print("\\x1b[32mgreen\\x1b[0m and \\x1b[2J\\x1b[1Acursor", flush=True)
    sys.stdout.write("Do you wish to deploy these changes (y/n) ")
    sys.stdout.flush()
    answer = sys.stdin.readline().strip()
    print("answer:", repr(answer), flush=True)
    sys.exit(0 if answer == "y" else 7)
    """
)


def _child(tmp_path: Path) -> list[str]:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    return [sys.executable, str(script)]


def test_off_a_terminal_the_child_gets_pipes_and_no_input(tmp_path: Path) -> None:
    pieces: list[str] = []
    code = stream_child(_child(tmp_path), env=dict(os.environ), cwd=tmp_path, emit=pieces.append)
    assert code == 7, "its question read the end of its input: no answer, no wait"
    text = "".join(pieces)
    assert "sees a terminal: False False" in text
    assert "Do you wish to deploy these changes (y/n) answer: ''" in text


def test_a_prompt_without_a_line_break_is_shown_once_the_child_is_quiet(tmp_path: Path) -> None:
    script = tmp_path / "prompt.py"
    script.write_text(
        "import sys, time\nsys.stdout.write('type it: '); sys.stdout.flush(); time.sleep(1.5)\n"
    )
    seen: list[tuple[float, str]] = []
    started = time.monotonic()
    stream_child(
        [sys.executable, str(script)],
        env=dict(os.environ),
        cwd=tmp_path,
        emit=lambda text: seen.append((time.monotonic() - started, text)),
    )
    (at, text), *_ = seen
    assert text == "type it: " and at < 1.0 + IDLE_FLUSH_SECONDS, "shown while the child still waits"


def test_an_endless_line_is_handed_on_in_bounded_pieces(tmp_path: Path) -> None:
    script = tmp_path / "long.py"
    script.write_text(f"import sys\nsys.stdout.write('x' * {3 * MAX_PENDING_CHARACTERS + 5})\n")
    pieces: list[str] = []
    stream_child([sys.executable, str(script)], env=dict(os.environ), cwd=tmp_path, emit=pieces.append)
    assert max(len(p) for p in pieces) <= MAX_PENDING_CHARACTERS
    assert sum(len(p) for p in pieces) == 3 * MAX_PENDING_CHARACTERS + 5


RUNNER = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {root!r})
    from pathlib import Path
    from tools.cli.run_log import RunLog
    log = RunLog(Path({log!r})).open()
    try:
        code = log.run("child", {argv!r}, env=dict(os.environ), cwd=Path({cwd!r}))
    finally:
        log.close()
    print("exit", code)
    """
)


def _on_a_terminal(argv: list[str], answer: bytes) -> str:
    """Run `argv` with stdin, stdout and stderr on a pseudo-terminal; answer the question."""
    ours, theirs = os.openpty()
    process = subprocess.Popen(argv, stdin=theirs, stdout=theirs, stderr=theirs, start_new_session=True)
    os.close(theirs)
    output, answered, deadline = b"", False, time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if select.select([ours], [], [], 0.2)[0]:
                try:
                    chunk = os.read(ours, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
            if not answered and b"(y/n) " in output:
                os.write(ours, answer)
                answered = True
            if process.poll() is not None and not select.select([ours], [], [], 0.2)[0]:
                break
        process.wait(timeout=10)
    finally:
        os.close(ours)
    return output.decode("utf-8", "replace").replace("\r\n", "\n")


def test_on_a_terminal_the_child_asks_the_operator_and_keeps_only_its_colour(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    runner = tmp_path / "runner.py"
    runner.write_text(
        RUNNER.format(root=str(PROJECT_ROOT), log=str(log), argv=_child(tmp_path), cwd=str(tmp_path))
    )
    shown = _on_a_terminal([sys.executable, str(runner)], b"y\n")
    assert "sees a terminal: True True" in shown
    assert "answer: 'y'" in shown and "exit 0" in shown, shown
    assert "(y/n) y\n" in shown and shown.count("y\n") == 1, "the answer shows once, where it was typed"
    assert "\x1b[32mgreen\x1b[0m" in shown, "colour kept on the terminal"
    assert "\\x1b[2J\\x1b[1Acursor" in shown, "a cursor movement is shown, not obeyed"
    logged = log.read_text()
    assert "green and \\x1b[2J\\x1b[1Acursor" in logged and "\x1b" not in logged, "no colour in the log"


@pytest.mark.parametrize(
    ("text", "colour", "shown"),
    [
        ("\x1b[1;31mred\x1b[0m\n", True, "\x1b[1;31mred\x1b[0m\n"),
        ("\x1b[1;31mred\x1b[0m\n", False, "red\n"),
        ("a\rb\r\nc\td\x07", True, "a\\x0db\nc\td\\x07"),
        ("y\r\r\nnext\r\n", True, "y\nnext\n"),
        ("\x1b]0;title\x07\x1b[H\x1b[2J\x1b[3A", True, "\\x1b]0;title\\x07\\x1b[H\\x1b[2J\\x1b[3A"),
        ("\x1b[1G\x1b[0Jask (y/n) \x1b[11G\x1b[2K", True, "\x1b[1G\x1b[0Jask (y/n) \x1b[11G\x1b[2K"),
        ("\x1b[1G\x1b[0Jask (y/n) \x1b[11G", False, "ask (y/n) "),
        ("\u202etxt.exe", True, "\\u202etxt.exe"),
        ("\x1b[3Kx", True, "\\x1b[3Kx"),  # an erase no terminal defines: not passed on
    ],
)
def test_terminal_text_keeps_colour_at_most(text: str, colour: bool, shown: str) -> None:
    assert terminal_text(text, colour=colour) == shown


@pytest.fixture
def redactor(monkeypatch: pytest.MonkeyPatch) -> Redactor:
    """A redactor of this test's own, in place of the process's (whose secrets outlive a test)."""
    fresh = Redactor()
    monkeypatch.setattr(run_log, "REDACTOR", fresh)
    monkeypatch.setattr(child_output, "REDACTOR", fresh)
    return fresh


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_updates_one_line_on_a_terminal_and_logs_each_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    log = RunLog(tmp_path / "run.log").open()
    try:
        log.waiting("waiting for Postmark: 10 s left")
        log.waiting("waiting for Postmark: 5 s left")
        log.say("verified")
    finally:
        log.close()
    assert terminal.getvalue().startswith("\r\x1b[K[")
    assert terminal.getvalue().count("\r\x1b[K") == 2 and "5 s left\n[" in terminal.getvalue()
    logged = (tmp_path / "run.log").read_text().splitlines()
    assert [line.split("] ", 1)[1] for line in logged] == [
        "waiting for Postmark: 10 s left",
        "waiting for Postmark: 5 s left",
        "verified",
    ]


def test_a_long_wait_says_it_still_waits_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    log = RunLog(None, to_stderr=True)
    with log.ticking("still running ./scripts/test", every=0.1):
        time.sleep(0.35)
    err = capsys.readouterr().err.splitlines()
    assert len(err) >= 2 and all("still running ./scripts/test (" in line for line in err)
    assert all("\r" not in line and "\x1b" not in line for line in err)


def test_stack_outputs_of_several_deploys_are_merged_and_checked(tmp_path: Path) -> None:
    outputs = tmp_path / "run.outputs.json"
    for stack, value in (("A-Email", "arn:a"), ("B-Email", "arn:b")):
        part = stack_outputs.part_path(outputs, stack)
        part.write_text(json.dumps({stack: {"Arn": value}}))
        assert stack_outputs.merge_part(part, outputs) == [stack]
        assert not part.exists()
    assert json.loads(outputs.read_text()) == {"A-Email": {"Arn": "arn:a"}, "B-Email": {"Arn": "arn:b"}}
    assert oct(outputs.stat().st_mode & 0o777) == "0o600"
    bad = stack_outputs.part_path(outputs, "C")
    for content in ('{"C": {"Arn": 1}}', "[1]", "x" * (stack_outputs.MAX_PART_BYTES + 1)):
        bad.write_text(content)
        with pytest.raises(stack_outputs.OutputsUnreadable):
            stack_outputs.merge_part(bad, outputs)
        assert not bad.exists()
    assert set(json.loads(outputs.read_text())) == {"A-Email", "B-Email"}, "a bad part changes nothing"


def test_no_color_turns_the_cdk_clis_colour_off_and_ours_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cdk_cli.colour_flags() == ()
    assert "--no-color" not in cdk_cli.deploy_flags(cdk_cli.ASK_ON_BROADENING)
    monkeypatch.setenv("NO_COLOR", "1")
    assert cdk_cli.colour_flags() == ("--no-color",)
    assert cdk_cli.deploy_flags(cdk_cli.NEVER_ASK)[-1] == "--no-color"
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    log = RunLog(None)
    log._child_text("\x1b[32mgreen\x1b[0m\n")
    assert terminal.getvalue() == "green\n", "NO_COLOR: no colour even on a terminal"


def test_a_grandchild_that_keeps_writing_does_not_hold_the_run(tmp_path: Path) -> None:
    script = tmp_path / "leaves.py"
    script.write_text(
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time\\nwhile True:\\n print(\"still here\", flush=True); time.sleep(0.05)'])\n"
        "print('child done', flush=True)\n"
    )
    started = time.monotonic()
    pieces: list[str] = []
    code = stream_child([sys.executable, str(script)], env=dict(os.environ), cwd=tmp_path, emit=pieces.append)
    assert code == 0 and time.monotonic() - started < 10, "the child exited: its leftover is not waited for"
    assert "child done" in "".join(pieces)


def test_a_partial_line_written_steadily_is_shown_before_the_end(tmp_path: Path) -> None:
    script = tmp_path / "dots.py"
    script.write_text(
        "import sys, time\nfor _ in range(40):\n    sys.stdout.write('.'); sys.stdout.flush(); time.sleep(0.1)\n"
    )
    seen: list[float] = []
    started = time.monotonic()
    stream_child(
        [sys.executable, str(script)],
        env=dict(os.environ),
        cwd=tmp_path,
        emit=lambda _: seen.append(time.monotonic() - started),
    )
    assert seen and seen[0] < 2.5, "shown while it still writes, not only at the end"


def test_a_secret_split_by_colour_codes_is_redacted_on_the_console_and_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redactor: Redactor
) -> None:
    secret = "9f1c2b7e-4d3a-4c11-8e2f-aa10bb20cc30"
    redactor.add(secret)
    coloured = "".join(f"\x1b[3{i % 7}m{secret[i : i + 5]}" for i in range(0, len(secret), 5)) + "\x1b[0m\n"
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    log = RunLog(tmp_path / "run.log").open()
    try:
        log._child_text(f"token {coloured}")
    finally:
        log.close()
    for text in (terminal.getvalue(), (tmp_path / "run.log").read_text()):
        plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
        assert secret[:8] not in plain and secret[-8:] not in plain and "***" in plain, repr(text)


def test_a_token_drawn_out_of_order_with_column_moves_is_redacted_as_the_terminal_shows_it(
    monkeypatch: pytest.MonkeyPatch, redactor: Redactor
) -> None:
    """A child that writes a token in 4-character pieces, right to left, each placed with a
    column move, never writes 8 of its characters in a row: the terminal still shows it
    whole. The line is checked as it is seen and redrawn redacted."""
    token = "3f2a9c1e-7b4d-4e8a-9c2f-1d5e6a7b8c9d"
    redactor.add(token)
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    log = RunLog(None)
    for start in reversed(range(0, len(token), 4)):
        log._child_text(f"\x1b[{9 + start}G{token[start : start + 4]}")
    log._child_text("\nnext line\n")
    screen = ScreenLine()
    for line in terminal.getvalue().split("\n")[:1]:
        screen.feed(line.rsplit("\r\x1b[2K", 1)[-1])
    assert token[:8] not in screen.text and "***" in screen.text
    assert terminal.getvalue().endswith("\nnext line\n")


def test_column_moves_without_a_secret_reach_the_terminal_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    log = RunLog(None)
    prompt = "\x1b[1G\x1b[0JDo you wish to deploy these changes (y/n)? \x1b[44G"
    log._child_text(prompt)
    assert terminal.getvalue() == prompt


@pytest.mark.parametrize(
    "pieces",
    [
        ["\u5168\u5168" + "9c1e", "\x1b[1G3f2a"],  # wide characters: the real columns differ
        ["x" * 80 + "    9c1e", "\x1b[81G3f2a"],  # past the window's edge: the line wraps
    ],
)
def test_column_moves_are_left_out_where_the_line_cannot_be_followed(
    monkeypatch: pytest.MonkeyPatch, pieces: list[str], redactor: Redactor
) -> None:
    redactor.add("3f2a9c1e-7b4d-4e8a-9c2f-1d5e6a7b8c9d")
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    log = RunLog(None)
    for piece in pieces:
        log._child_text(piece)
    assert "G" not in terminal.getvalue().replace(pieces[0], ""), "no column move reaches the terminal"
    assert terminal.getvalue().endswith("3f2a")  # in the order written


def test_the_line_model_starts_afresh_after_a_line_of_ours(
    monkeypatch: pytest.MonkeyPatch, redactor: Redactor
) -> None:
    """A child that ends without a line break, then our line: the next child's line starts at
    column 1 on the terminal, and so in the model."""
    redactor.add("3f2a9c1e-7b4d-4e8a-9c2f-1d5e6a7b8c9d")
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    log = RunLog(None)
    log._child_text("prompt> ")
    log.say("end: a step")
    log._child_text("    9c1e\x1b[1G3f2a")
    last = terminal.getvalue().rsplit("\n", 1)[-1]
    assert last == "\r\x1b[2K***", last  # the line as seen, redrawn redacted

"""Post-deploy verification against the Postmark simulator: polling, backoff, deadline."""

from __future__ import annotations

import pytest

from platform_lib.registry import get_partition
from platform_lib.sending_domain import partition_sending_domain
from tests.conftest import NONPROD_TOKEN
from tests.support.postmark_simulator import PostmarkSimulator
from tools.postmark.client import PostmarkClient
from tools.postmark.verification import verify_domain
from tools.verify_partition_mail import main

DEV = partition_sending_domain(get_partition("dev"))


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def env_for(postmark: PostmarkSimulator) -> dict[str, str]:
    return {"POSTMARK_ACCOUNT_TOKEN": NONPROD_TOKEN, "POSTMARK_API_URL": postmark.url}


@pytest.fixture
def dev_domain(postmark: PostmarkSimulator) -> PostmarkSimulator:
    postmark.add_domain(NONPROD_TOKEN, "dev.ardamails.com", public_key="AAAA")
    return postmark


def test_second_dkim_call_verifies_after_one_backoff(dev_domain: PostmarkSimulator) -> None:
    clock = FakeClock()
    with PostmarkClient(NONPROD_TOKEN, base_url=dev_domain.url) as client:
        result = verify_domain(client, DEV, deadline_seconds=300, sleep=clock.sleep, clock=clock)
    assert result.verified
    assert (result.dkim.attempts, result.return_path.attempts) == (2, 1)
    assert clock.sleeps == [2.0]
    calls = [e.path.rsplit("/", 1)[-1] for e in dev_domain.requests("PUT")]
    assert calls == ["verifyDkim", "verifyReturnPath", "verifyDkim"], "only pending checks are repeated"
    (domain,) = dev_domain.domains(NONPROD_TOKEN)
    assert domain.dkim_host and not domain.dkim_pending_host, "the key moved to active"


def test_backoff_doubles_is_capped_and_stops_at_the_deadline(dev_domain: PostmarkSimulator) -> None:
    dev_domain.dkim_verify_attempts = 10**6
    clock = FakeClock()
    with PostmarkClient(NONPROD_TOKEN, base_url=dev_domain.url) as client:
        result = verify_domain(client, DEV, deadline_seconds=100, sleep=clock.sleep, clock=clock)
    assert not result.verified and result.return_path.verified
    assert clock.sleeps == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 10.0]
    assert result.dkim.attempts == len(clock.sleeps) + 1


def test_each_poll_says_what_is_still_unverified_and_how_long_is_left(dev_domain: PostmarkSimulator) -> None:
    """A simulator that verifies DKIM on the fourth call: three progress lines, one per wait,
    each naming what is pending, the time spent and the time left."""
    dev_domain.dkim_verify_attempts = 4
    dev_domain.return_path_verify_attempts = 2
    clock, heard = FakeClock(), list[str]()
    with PostmarkClient(NONPROD_TOKEN, base_url=dev_domain.url) as client:
        result = verify_domain(
            client, DEV, deadline_seconds=60, sleep=clock.sleep, clock=clock, progress=heard.append
        )
    assert result.verified
    assert heard == [
        "waiting for Postmark to verify dev.ardamails.com: DKIM and Return-Path not verified yet "
        "(0 s elapsed, 60 s left; asking again in 2 s)",
        "waiting for Postmark to verify dev.ardamails.com: DKIM not verified yet "
        "(2 s elapsed, 58 s left; asking again in 4 s)",
        "waiting for Postmark to verify dev.ardamails.com: DKIM not verified yet "
        "(6 s elapsed, 54 s left; asking again in 8 s)",
    ]


def test_main_prints_progress_lines_off_a_terminal(
    dev_domain: PostmarkSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    dev_domain.dkim_verify_attempts = 2
    assert main(["Alpha002", "dev", "--deadline", "20"], env_for(dev_domain)) == 0
    out = capsys.readouterr().out
    waits = [line for line in out.splitlines() if "waiting for Postmark to verify" in line]
    assert len(waits) == 1 and waits[0].endswith(
        "DKIM not verified yet (0 s elapsed, 20 s left; asking again in 2 s)"
    )
    assert "\r" not in out and "\x1b" not in out, "nothing decorates output that is not a terminal"


def test_main_reports_a_verified_table(
    dev_domain: PostmarkSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["Alpha002", "dev", "--deadline", "10"], env_for(dev_domain)) == 0
    out = capsys.readouterr().out
    assert "Postmark verification of dev.ardamails.com (PostmarkNonProd" in out
    assert "DKIM         verified      2" in out and "Return-Path  verified      1" in out


def test_main_fails_when_the_deadline_passes(
    dev_domain: PostmarkSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    dev_domain.dkim_verify_attempts = 10**6
    assert main(["Alpha002", "dev", "--deadline", "0.001"], env_for(dev_domain)) == 1
    captured = capsys.readouterr()
    assert "DKIM         NOT VERIFIED  1" in captured.out
    errors = [line for line in captured.err.splitlines() if not line.startswith("note: ")]
    assert len(errors) == 1 and errors[0].startswith("error: dev.ardamails.com is not verified after 0.001 s")


def test_missing_domain_names_the_pre_deploy_command(
    postmark: PostmarkSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["Alpha002", "dev"], env_for(postmark)) == 1
    assert "run `python -m tools.register_partition_mail_signature Alpha002 dev`" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["Alpha001", "dev"], ["Alpha002", "kyle"], ["Nope", "dev"]])
def test_registry_errors_exit_2_without_contacting_postmark(
    postmark: PostmarkSimulator, args: list[str]
) -> None:
    assert main(args, env_for(postmark)) == 2
    assert postmark.exchanges == []

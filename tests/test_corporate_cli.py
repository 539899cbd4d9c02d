"""The corporate CLI end to end: the real script and CDK CLI, moto (PlatformRoot's account),
the Postmark simulator with its servers endpoint, a DNS stand-in serving moto's Route 53, and
a fake `op`. A second run changes nothing; the tokens are nowhere; bad input is one line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from platform_lib.dns_text import SPF_VALUE, dkim_txt_value, dmarc_value, quoted_txt_strings
from tests.support.amm_workspace import (
    NONPROD_TOKEN,
    PROD_TOKEN,
    ROOT_ACCOUNT,
    Workspace,
    deploy_root_directly,
    files_containing,
    golden_root_template,
    logged_steps,
    new_workspace,
    planned_steps,
    records,
    route53_view,
)
from tests.support.dns_server import LoopbackDnsServer
from tests.support.moto_server import MotoServer
from tests.support.postmark_openapi import exchange_problems
from tests.support.postmark_simulator import PostmarkSimulator
from tests.test_drift_core import authorize_dmarc_reports

pytestmark = pytest.mark.cdk_cli  # ./amm.sh or ./corporate-cli with the real CDK CLI

ZONE = "arda.ardamails.com"
LEAF = "freekanban.arda.ardamails.com"


def run(workspace: Workspace, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["./corporate-cli", *args],
        cwd=workspace.root,
        env=workspace.env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def corporate_logs(workspace: Workspace) -> list[Path]:
    return sorted((workspace.root / "logs").glob("corporate-*.log"))


@pytest.mark.e2e
@pytest.mark.xdist_group("corporate-cli")
def test_the_corporate_cli_provisions_the_corporate_group_and_a_second_run_changes_nothing(
    tmp_path: Path,
) -> None:
    with MotoServer(account=None) as cloud, LoopbackDnsServer() as dns:
        dns.live = route53_view(cloud, (ROOT_ACCOUNT,))
        authorize_dmarc_reports(dns, [ZONE, LEAF])
        simulator = PostmarkSimulator(
            {NONPROD_TOKEN: "PostmarkNonProd", PROD_TOKEN: "PostmarkProd"},
            dkim_verify_attempts=1,
            dns_resolver=dns.address,
            key_bits=1024,
        )
        with simulator:
            workspace = new_workspace(tmp_path, cloud, postmark_url=simulator.url)
            tokens_before = files_containing(tmp_path, PROD_TOKEN.encode())
            workspace.bootstrap("Admin-PlatformRoot")
            deploy_root_directly(cloud, golden_root_template())

            refused = run(workspace, stdin="corporate\n")
            assert refused.returncode == 1
            assert (
                refused.stderr.strip().splitlines()[-1]
                == "error: confirmation did not match 'arda'; nothing was deployed"
            )
            assert simulator.exchanges == [] and simulator.server_calls == []

            plan = run(workspace, "--dry-run")
            assert plan.returncode == 0, plan.stderr
            logs_before = set(corporate_logs(workspace))
            first = run(workspace, stdin="arda\narda\n")
            assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
            (first_log,) = set(corporate_logs(workspace)) - logs_before
            assert planned_steps(plan) == logged_steps(first_log), (
                "the dry run printed the steps the run took"
            )
            out = first.stdout
            assert out.index("end: cdk diff FreeKanbanToolMailDns") < out.index(
                "corporate deploy of arda confirmed"
            )
            assert "Postmark server FreeKanbanTool created" in out
            (server,) = simulator.accounts[PROD_TOKEN].servers
            domain = simulator.domain_named(PROD_TOKEN, ZONE)
            assert domain is not None and domain.dkim_verified and domain.return_path_verified
            block = workspace.block("corporateMail:PlatformRoot:arda")
            assert dkim_txt_value(block["dkimPublicKey"]) == domain.dkim_text_value

            found = records(cloud, ROOT_ACCOUNT, ZONE)
            assert found[(ZONE, "TXT")] == [f'"{SPF_VALUE}"']
            assert found[(f"_dmarc.{ZONE}", "TXT")] == [f'"{dmarc_value()}"']
            dkim_host = f"{block['dkimSelector']}._domainkey.{ZONE}"
            assert found[(dkim_host, "TXT")] == [quoted_txt_strings(dkim_txt_value(block["dkimPublicKey"]))]
            assert found[(f"pm-bounces.{ZONE}", "CNAME")] == ["pm.mtasv.net"]
            assert found[(LEAF, "TXT")] == [f'"{SPF_VALUE}"']
            assert found[(f"_dmarc.{LEAF}", "TXT")] == [f'"{dmarc_value()}"']
            secret = cloud.client_in(ROOT_ACCOUNT, "secretsmanager").get_secret_value(
                SecretId="Corporate-I-FreeKanbanToolServerToken"
            )
            assert secret["SecretString"] == server["ApiTokens"][0]

            context_after = workspace.context()
            calls = len(simulator.exchanges)
            second = run(workspace, "--yes")
            assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-2000:]
            assert "Postmark server FreeKanbanTool found" in second.stdout
            assert not [e for e in simulator.exchanges[calls:] if e.method == "POST"], (
                "the second run created nothing"
            )
            assert workspace.context() == context_after
            assert second.stdout.lower().count("no changes") >= 2

        assert [p for e in simulator.exchanges for p in exchange_problems(e)] == []
        assert len(simulator.accounts[PROD_TOKEN].servers) == 1
        for result in (refused, first, second):
            for secret_value in (PROD_TOKEN, server["ApiTokens"][0]):
                assert secret_value not in result.stdout + result.stderr
        assert files_containing(tmp_path, PROD_TOKEN.encode()) == tokens_before
        assert files_containing(tmp_path, server["ApiTokens"][0].encode()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "error: unrecognized arguments: --bogus; see ./corporate-cli --help"),
        (["extra"], "error: unrecognized arguments: extra; see ./corporate-cli --help"),
        ([""], "error: unrecognized arguments: ''; see ./corporate-cli --help"),
    ],
)
def test_bad_arguments_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    with MotoServer(account=None) as cloud:
        workspace = new_workspace(tmp_path, cloud)
        result = run(workspace, *args)
    assert result.returncode == 2 and result.stderr.strip() == message


def test_a_placeholder_root_account_refuses_the_corporate_deploy(tmp_path: Path) -> None:
    with MotoServer(account=None) as cloud:
        workspace = new_workspace(tmp_path, cloud, root_account=None)
        result = run(workspace, "--yes")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("error: the PlatformRoot account is still the placeholder")
    )

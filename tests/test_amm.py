"""`amm.sh` for real: the script, the real CDK CLI, moto_server with three accounts, the
Postmark simulator, a loopback DNS server and a fake `op`, on a temporary copy of the project.

Most tests stop at a gate or at Postmark (a closed port) and share one moto server in which
the Root stack is already deployed; the tests that deploy or stage a broken account get
their own server. `test_the_full_cascade_on_moto` runs the rollout of the planning
documents end to end: Root, dev, {stage, demo}, prod.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from platform_lib.context_store import PROJECT_ROOT
from platform_lib.dns_text import SPF_VALUE, dkim_txt_value, dmarc_value, quoted_txt_strings
from platform_lib.naming import postmark_account_token_secret_name
from platform_lib.registry import get_partition
from tests.support.amm_workspace import (
    ALPHA001,
    ALPHA002,
    NODE,
    NONPROD_TOKEN,
    PROD_TOKEN,
    ROOT_ACCOUNT,
    Workspace,
    deploy_root_directly,
    files_containing,
    golden_root_template,
    logged_steps,
    new_workspace,
    op_tokens,
    planned_steps,
    publish_zone,
    records,
)
from tests.support.dns_server import LoopbackDnsServer
from tests.support.fake_op import write_fake_op
from tests.support.moto_server import MotoServer
from tests.support.postmark_openapi import exchange_problems
from tests.support.postmark_simulator import PostmarkSimulator

pytestmark = pytest.mark.cdk_cli  # ./amm.sh or ./corporate-cli with the real CDK CLI

SKIP = ["--skip-cascade", "cascade staged by the test"]
SGR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def cloud() -> Iterator[MotoServer]:
    """One moto server holding three accounts, the Root stack deployed in PlatformRoot's."""
    with MotoServer(account=None) as server:
        deploy_root_directly(server, golden_root_template())
        yield server


@pytest.fixture
def workspace(tmp_path: Path, cloud: MotoServer) -> Workspace:
    return new_workspace(tmp_path, cloud)


def last_error(result: subprocess.CompletedProcess[str]) -> str:
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors, result.stdout[-3000:] + result.stderr[-3000:]
    return errors[-1]


def _assert_nothing_written(workspace: Workspace, before: bytes) -> None:
    assert workspace.context() == before
    assert not (workspace.root / "cdk.out").exists()


def _stacks(cloud: MotoServer, account: str) -> list[str]:
    return [s["StackName"] for s in cloud.client_in(account, "cloudformation").describe_stacks()["Stacks"]]


# --- arguments, settings, pre-flight ----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Alpha003", "dev"], "unknown infrastructure 'Alpha003'; valid: PlatformRoot, Alpha001, Alpha002"),
        (["Alpha001", "dev"], "partition 'dev' is on Alpha002, not Alpha001; active on Alpha001: demo, prod"),
        (["Alpha002", "kyle"], "partition 'kyle' is suspended; active on Alpha002: dev, stage"),
        (
            ["PlatformRoot", "dev"],
            "PlatformRoot hosts no partitions; deploy its Root stack with `./amm.sh PlatformRoot`",
        ),
    ],
)
def test_bad_registry_input_is_one_line_and_exit_2(
    workspace: Workspace, args: list[str], message: str
) -> None:
    before = workspace.context()
    result = workspace.run(*args)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {message}"
    _assert_nothing_written(workspace, before)


def test_usage_and_help(workspace: Workspace) -> None:
    help_result = workspace.run("--help")
    assert help_result.returncode == 0 and help_result.stdout.startswith("usage: ./amm.sh [--profile NAME]")
    assert workspace.run().returncode == 2
    unknown = workspace.run("--force", "Alpha002")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "error: unrecognized arguments: --force; see ./amm.sh --help"


@pytest.mark.parametrize(
    "args", [["--yes", "Alpha001", ""], ["--yes", "Alpha001", " "], ["", "dev"], ["Alpha002", "\t"]]
)
def test_an_empty_or_blank_argument_is_a_usage_error(workspace: Workspace, args: list[str]) -> None:
    """`./amm.sh --yes Alpha001 ""` once planned demo and prod: an empty partition is no partition."""
    before = workspace.context()
    result = workspace.run(*args)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: an empty or blank argument was given; name the infrastructure and partition (see ./amm.sh --help)"
    )
    assert result.stdout == ""
    _assert_nothing_written(workspace, before)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "AMM_VERIFY_DEADLINE_SECONDS",
            "nan",
            "AMM_VERIFY_DEADLINE_SECONDS='nan' must be a number of seconds",
        ),
        ("AMM_VERIFY_DEADLINE_SECONDS", "-5", "AMM_VERIFY_DEADLINE_SECONDS='-5' must be a number of seconds"),
        ("AMM_OP_TIMEOUT_SECONDS", "soon", "AMM_OP_TIMEOUT_SECONDS='soon' is not a number of seconds"),
        ("POSTMARK_API_URL", "http://postmark.example.com", "uses plain http:// for postmark.example.com"),
        ("AMM_LOG_DIR", "/proc/version", "AMM_LOG_DIR /proc/version is not a folder"),
    ],
)
def test_settings_are_checked_before_anything_changes(
    workspace: Workspace, variable: str, value: str, message: str
) -> None:
    workspace.env[variable] = value
    before = workspace.context()
    result = workspace.run("Alpha002", "dev")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    _assert_nothing_written(workspace, before)
    assert not (workspace.root / "logs").exists()


def test_the_placeholder_root_account_refuses_every_partition_deploy(
    tmp_path: Path, cloud: MotoServer
) -> None:
    workspace = new_workspace(tmp_path, cloud, root_account=None)
    before = workspace.context()
    result = workspace.run("--yes", "Alpha001", "--all-partitions")
    assert result.returncode == 1
    assert last_error(result) == (
        "error: the PlatformRoot account is still the placeholder 000000000000: set the real account id in the "
        "PlatformRoot entry of platform_lib/registry.py (see the runbook), deploy the Root stack with "
        "`./amm.sh PlatformRoot`, then re-run"
    )
    assert "gate (Root placeholder): REFUSED" in result.stdout
    assert "pre-flight" not in result.stdout
    _assert_nothing_written(workspace, before)


def test_wrong_aws_account_stops_before_anything_changes(workspace: Workspace) -> None:
    before = workspace.context()
    result = workspace.run("--profile", "Alpha002-Admin", "Alpha001", "demo")
    assert result.returncode == 1
    assert last_error(result) == (
        f"error: AWS profile 'Alpha002-Admin' is account {ALPHA002}, but Alpha001 is {ALPHA001}; "
        f"pass --profile NAME for account {ALPHA001}"
    )
    _assert_nothing_written(workspace, before)


def test_unknown_profile_is_reported(workspace: Workspace) -> None:
    result = workspace.run("--profile", "Nope", "Alpha002", "dev")
    assert result.returncode == 1
    assert last_error(result) == "error: AWS profile 'Nope' not found in your AWS config; pass --profile NAME"


def test_a_failing_credential_process_is_one_line_naming_the_profile(workspace: Workspace) -> None:
    config = Path(workspace.env["AWS_CONFIG_FILE"])
    config.write_text("[profile Alpha002-Admin]\nregion = us-east-1\ncredential_process = /bin/false\n")
    result = workspace.run("Alpha002", "dev")
    assert result.returncode == 1
    assert [line for line in result.stderr.splitlines() if line.strip()] == [
        "error: the credential provider of AWS profile 'Alpha002-Admin' failed (custom-process); "
        "fix it in your AWS config or run `aws sso login --profile Alpha002-Admin`"
    ]


def test_missing_op_is_reported(workspace: Workspace) -> None:
    (workspace.bin_dir / "op").unlink()
    before = workspace.context()
    result = workspace.run("Alpha002", "dev")
    assert result.returncode == 1
    assert last_error(result) == "error: 1Password CLI 'op' not found on PATH; install it and run 'op signin'"
    _assert_nothing_written(workspace, before)


def test_dry_run_prints_the_plan_and_contacts_nothing(workspace: Workspace) -> None:
    (workspace.bin_dir / "op").unlink()  # would fail if called
    workspace.env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # would fail if contacted
    result = workspace.run("--dry-run", "Alpha001", "--all-partitions")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        lines[0] == "plan for Alpha001 (profile Admin-Alpha1, region us-east-1); nothing will be contacted:"
    )
    assert (
        f"  gate (Root placeholder): ok now - the PlatformRoot account is {ROOT_ACCOUNT} (not the placeholder)"
        in lines
    )
    assert "  (type 'prod' to confirm)" in lines
    assert (
        "  gate (cascade): stage, demo verified live (Postmark; DNS via 8.8.8.8:53; NS = each one's hosted zone)"
        in lines
    )
    deploys = [line for line in lines if "cdk deploy" in line]
    assert deploys == [
        f"  cdk deploy Alpha001-{p}-Email --app <the assembly last diffed> --require-approval {asks} --progress events "
        "--outputs-file <the run's outputs file> --parameters PostmarkAccountToken=***   # the account token, "
        "via scripts/cdk-with-secret-parameter.cjs: it stays off every command line"
        for p, asks in (("demo", "broadening"), ("prod", "never"))  # prod: its name is typed instead
    ]
    demo_diff = lines.index(
        "  cdk diff Alpha001-demo-Email -c partition=demo --output <a new cloud assembly> --method template (shown)"
    )
    assert demo_diff + 1 == lines.index(deploys[0]), "a non-production deploy shows its diff right before"
    assert lines[demo_diff + 2].startswith("  (the CDK CLI asks before widening IAM or security groups")
    diff = lines.index(
        "  cdk diff Alpha001-prod-Email -c partition=prod --output <a new cloud assembly> --method template (shown)"
    )
    assert lines.index("partition demo:") < lines.index("partition prod:") < diff
    assert diff < lines.index("  (type 'prod' to confirm)")
    assert not (workspace.root / "logs").exists()


@pytest.mark.parametrize(
    ("args", "advice"),
    [
        (["Alpha002", "dev"], "deploy the Root stack with `./amm.sh PlatformRoot`, then re-run"),
        (["PlatformRoot"], "platform_lib/registry.py (see the runbook), then re-run"),
    ],
)
def test_a_dry_run_that_would_be_refused_prints_the_whole_plan_and_exits_1(
    tmp_path: Path, cloud: MotoServer, args: list[str], advice: str
) -> None:
    """The placeholder Root account is known offline: the plan is printed whole (the operator
    sees every step), then one error line says the run would stop, exit 1. The Root stack's
    own dry run is told to set the id, not to run the command it is the dry run of."""
    workspace = new_workspace(tmp_path, cloud, root_account=None)
    result = workspace.run("--dry-run", *args)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("plan for ")
    assert (
        "  gate (Root placeholder): REFUSED NOW - the PlatformRoot account is still the placeholder"
        in "\n".join(lines)
    )
    assert any("cdk deploy" in line for line in lines), "the whole plan, not just up to the refusal"
    (error,) = result.stderr.strip().splitlines()
    assert error.startswith("error: this run would stop before anything changes: the PlatformRoot account")
    assert error.endswith(advice)
    if args == ["PlatformRoot"]:
        assert "./amm.sh PlatformRoot" not in error
    assert not (workspace.root / "logs").exists()


# --- the gates before anything changes ------------------------------------------------------


def test_a_missing_root_stack_stops_at_the_delegation_gate(tmp_path: Path, cloud: MotoServer) -> None:
    """The PlatformRoot account holds nothing yet: the delegation role finds no ardamails.com,
    so the run stops before the zone or any secret exists."""
    workspace = new_workspace(tmp_path, cloud, root_account="222222222222")
    before = workspace.context()
    result = workspace.run("Alpha002", "dev")
    assert result.returncode == 1
    assert last_error(result) == (
        "error: arn:aws:iam::222222222222:role/AddNsRecordsToAnyHostedZone finds no ardamails.com zone in the "
        "PlatformRoot account: deploy the Root stack (`./amm.sh PlatformRoot`); nothing was changed"
    )
    zones = cloud.client_in(ALPHA002, "route53").list_hosted_zones()["HostedZones"]
    assert [z["Name"] for z in zones] == []
    assert "Alpha002-dev-Email" not in _stacks(cloud, ALPHA002)
    _assert_nothing_written(workspace, before)


def test_a_changed_root_stack_stops_partition_deploys_and_shows_the_difference(
    tmp_path: Path, cloud: MotoServer
) -> None:
    changed = golden_root_template()
    changed["Outputs"]["Handmade"] = {"Value": "edited in the console"}
    deploy_root_directly(cloud, changed, account="333333333333")
    workspace = new_workspace(tmp_path, cloud, root_account="333333333333")
    before = workspace.context()
    result = workspace.run("Alpha002", "dev")
    assert result.returncode == 1
    assert last_error(result) == (
        "error: the deployed PlatformRoot-RootDns differs from this checkout's: review the difference below, "
        "deploy it with `./amm.sh PlatformRoot`, then re-run"
    )
    assert '-  "Handmade": {' in result.stderr and "--- deployed" in result.stderr
    assert "gate (delegation): ok" in result.stdout and "gate (Root unchanged): REFUSED" in result.stdout
    assert "start: op read" not in result.stdout
    _assert_nothing_written(workspace, before)


def test_the_cascade_refuses_stage_while_dev_is_not_verified_live(workspace: Workspace) -> None:
    before = workspace.context()
    result = workspace.run("Alpha002", "stage")
    assert result.returncode == 1
    assert last_error(result) == (
        "error: stage needs dev verified live first; dev is not: deploy and verify it "
        "(`./amm.sh Alpha002 dev`), or pass --skip-cascade REASON"
    )
    assert (
        "dev: postmark.domain: Postmark not checked: PostmarkNonProd: cannot reach Postmark" in result.stderr
    )
    assert "gate (cascade): dev NOT verified live" in result.stdout
    assert "start: pre-deploy" not in result.stdout
    assert "stage    Alpha002-stage-Email   FAILED, exit 1" in result.stdout
    _assert_nothing_written(workspace, before)


@pytest.fixture
def failing_cloud() -> Iterator[MotoServer]:
    """A moto server on which a first deploy of dev's stack ends in ROLLBACK_COMPLETE."""
    with MotoServer(account=None, failing_first_deploys=("Alpha002-dev-Email",)) as server:
        deploy_root_directly(server, golden_root_template())
        yield server


def _first_deploy_that_failed(cloud: MotoServer) -> None:
    """What a failed first deploy leaves: the stack rolled back, its retained zone and key."""
    template = {
        "Resources": {
            "Zone": {"Type": "AWS::Route53::HostedZone", "Properties": {"Name": "dev.ardamails.com."}},
            "Key": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {"Name": "dev-I-EmailEncryptionKey"},
            },
        }
    }
    cloudformation = cloud.client_in(ALPHA002, "cloudformation")
    change_set = cloudformation.create_change_set(
        StackName="Alpha002-dev-Email",
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=json.dumps(template),
    )
    cloudformation.execute_change_set(ChangeSetName=change_set["Id"])


def test_a_rolled_back_first_deploy_is_named_with_its_cleanup(
    tmp_path: Path, failing_cloud: MotoServer
) -> None:
    _first_deploy_that_failed(failing_cloud)
    workspace = new_workspace(tmp_path, failing_cloud)
    before = workspace.context()
    result = workspace.run("Alpha002", "dev")
    assert result.returncode == 1
    assert last_error(result) == (
        "error: stack Alpha002-dev-Email is in ROLLBACK_COMPLETE after a failed first deploy and cannot be "
        "updated; what exists and the commands to clean it up follow"
    )
    details = result.stderr.splitlines()
    assert "retained: secret dev-I-EmailEncryptionKey" in details
    assert any(line.startswith("retained: hosted zone dev.ardamails.com (") for line in details)
    assert (
        "  aws cloudformation delete-stack --stack-name Alpha002-dev-Email --profile Alpha002-Admin "
        "--region us-east-1"
    ) in details
    assert (
        "  aws secretsmanager delete-secret --secret-id dev-I-EmailEncryptionKey --force-delete-without-recovery "
        "--profile Alpha002-Admin --region us-east-1"
    ) in details
    assert "start: op read" not in result.stdout
    _assert_nothing_written(workspace, before)


def test_an_orphaned_zone_and_key_are_named_with_their_cleanup(tmp_path: Path) -> None:
    with MotoServer(account=None) as server:
        deploy_root_directly(server, golden_root_template())
        zone = server.client_in(ALPHA002, "route53").create_hosted_zone(
            Name="dev.ardamails.com", CallerReference="x"
        )
        zone_id = zone["HostedZone"]["Id"].rsplit("/", 1)[-1]
        server.client_in(ALPHA002, "secretsmanager").create_secret(
            Name="dev-I-EmailEncryptionKey", SecretString="k"
        )
        workspace = new_workspace(tmp_path, server)
        result = workspace.run("Alpha002", "dev")
    assert result.returncode == 1
    assert last_error(result) == (
        "error: a failed first deploy of dev left resources without a stack Alpha002-dev-Email; what exists and "
        "the commands to clean it up (or adopt it, see the runbook) follow"
    )
    details = result.stderr.splitlines()
    assert f"exists: hosted zone dev.ardamails.com ({zone_id})" in details
    assert "exists: secret dev-I-EmailEncryptionKey" in details
    assert (
        f"  aws route53 delete-hosted-zone --id {zone_id} --profile Alpha002-Admin --region us-east-1"
        in details
    )


# --- secrets, Postmark, production ------------------------------------------------------------


def test_op_not_signed_in_is_reported(workspace: Workspace) -> None:
    write_fake_op(workspace.bin_dir, signed_in=False)
    before = workspace.context()
    result = workspace.run("Alpha002", "dev")
    assert result.returncode == 1
    assert (
        last_error(result) == "error: the 1Password CLI is not signed in; run `eval $(op signin)` and re-run"
    )
    _assert_nothing_written(workspace, before)


def test_a_hung_op_read_is_cut_off(workspace: Workspace) -> None:
    write_fake_op(workspace.bin_dir, token=NONPROD_TOKEN, hang_seconds=30)
    workspace.env["AMM_OP_TIMEOUT_SECONDS"] = "1"
    before = workspace.context()
    result = workspace.run("Alpha002", "dev", timeout=60)
    assert result.returncode == 1
    assert last_error(result) == (
        "error: `op read op://Arda-DevOAM/Postmark/credential` did not finish within 1 s; unlock 1Password and re-run"
    )
    _assert_nothing_written(workspace, before)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("canary two", "holds whitespace inside the token"),
        ("canary\nsecond-line", "holds a line break inside the token"),
        ("   ", "returned an empty value"),
    ],
)
def test_a_malformed_token_from_op_is_refused_with_one_line(
    workspace: Workspace, token: str, message: str
) -> None:
    write_fake_op(workspace.bin_dir, token=token)
    workspace.env["GITHUB_ACTIONS"] = "true"
    before = workspace.context()
    result = workspace.run("Alpha002", "dev")
    assert result.returncode == 1
    last = last_error(result)
    assert last.startswith("error: `op read op://Arda-DevOAM/Postmark/credential`") and message in last
    masked = [
        line.removeprefix("::add-mask::")
        for line in result.stdout.splitlines()
        if line.startswith("::add-mask::")
    ]
    assert masked == [line for line in token.splitlines() if line.strip()], (
        "every line of the raw value is masked first"
    )
    assert "start: pre-deploy" not in result.stdout
    _assert_nothing_written(workspace, before)


@pytest.fixture(scope="module")
def unreachable_postmark_run(
    cloud: MotoServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Workspace, bytes, subprocess.CompletedProcess[str]]:
    """One run of dev under GitHub Actions with Postmark at a closed port, which the next
    three tests read (the same run, three properties)."""
    workspace = new_workspace(tmp_path_factory.mktemp("unreachable"), cloud)
    workspace.env["GITHUB_ACTIONS"] = "true"
    before = workspace.context()
    return workspace, before, workspace.run("Alpha002", "dev")


def test_postmark_unreachable_stops_before_the_pre_deploy(
    unreachable_postmark_run: tuple[Workspace, bytes, subprocess.CompletedProcess[str]],
) -> None:
    """The rotation-state lookup is the first Postmark call: unreachable, the partition stops
    there with one error (the pre-deploy would only repeat it), nothing written."""
    workspace, before, result = unreachable_postmark_run
    assert result.returncode == 1
    output = result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: cannot reach Postmark at {workspace.env['POSTMARK_API_URL']} for listing domains "
        "(ConnectionError); check the network or POSTMARK_API_URL and re-run; nothing was deployed"
    ]
    assert "start: pre-deploy" not in output and "start: cdk deploy" not in output
    assert "dev      Alpha002-dev-Email     FAILED, exit 1" in output
    _assert_nothing_written(workspace, before)


def test_github_actions_masks_the_token_before_any_other_use(
    unreachable_postmark_run: tuple[Workspace, bytes, subprocess.CompletedProcess[str]],
) -> None:
    """Under GitHub Actions the only place the token is printed is the `::add-mask::` line,
    right after `op read`, before the token's first use; the run log never holds it."""
    workspace, _, result = unreachable_postmark_run
    lines = result.stdout.splitlines()
    with_token = [i for i, line in enumerate(lines) if NONPROD_TOKEN in line]
    assert [lines[i] for i in with_token] == [f"::add-mask::{NONPROD_TOKEN}"]
    assert with_token[0] < next(i for i, line in enumerate(lines) if "end: op read" in line)
    assert NONPROD_TOKEN not in result.stderr
    (log,) = workspace.logs()
    text = log.read_text()
    assert NONPROD_TOKEN not in text and "start: op read op://Arda-DevOAM/Postmark/credential" in text


def test_a_non_default_postmark_api_is_announced_once(
    unreachable_postmark_run: tuple[Workspace, bytes, subprocess.CompletedProcess[str]],
) -> None:
    _, _, result = unreachable_postmark_run
    notes = [line for line in (result.stdout + result.stderr).splitlines() if "note: Postmark API is" in line]
    assert len(notes) == 1 and "(POSTMARK_API_URL), not https://api.postmarkapp.com" in notes[0]


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("", "error: deploying prod needs confirmation: type 'prod' at the prompt, or pass --yes"),
        ("production\n", "error: confirmation did not match 'prod'; nothing was deployed"),
    ],
)
def test_prod_shows_its_diff_then_needs_its_name_typed(
    workspace: Workspace, cloud: MotoServer, stdin: str, message: str
) -> None:
    before = workspace.context()
    result = workspace.run(*SKIP, "Alpha001", "prod", stdin=stdin)
    assert result.returncode == 1
    assert "Type its name to continue" in result.stderr
    assert last_error(result) == message
    out = result.stdout
    assert out.index("start: cdk diff Alpha001-prod-Email") < out.index("end: cdk diff Alpha001-prod-Email")
    assert "AWS::Route53::HostedZone" in out, "the diff lists the stack's resources"
    assert "start: op read" not in out, "asked before the 1Password read"
    assert workspace.context() == before
    assert "Alpha001-prod-Email" not in _stacks(cloud, ALPHA001)


@pytest.mark.parametrize(
    ("args", "stdin"), [(["Alpha001", "prod"], "prod\n"), (["--yes", "Alpha001", "prod"], None)]
)
def test_prod_confirmed_goes_on_to_the_pre_deploy(
    workspace: Workspace, args: list[str], stdin: str | None
) -> None:
    """Confirmed, the run reaches Postmark (unreachable here): reported, nothing deployed."""
    before = workspace.context()
    result = workspace.run(*SKIP, *args, stdin=stdin)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert output.index("end: cdk diff Alpha001-prod-Email") < output.index(
        "production deploy of prod confirmed"
    )
    if stdin is None:
        assert "--yes given: typed confirmations are skipped (diffs are still shown)" in output
        assert "production deploy of prod confirmed by --yes" in output
    else:
        assert "production deploy of prod confirmed by typing its name" in output
    assert "cannot reach Postmark" in output and "check the network or POSTMARK_API_URL" in output
    assert "start: cdk deploy" not in output
    assert PROD_TOKEN not in output
    assert workspace.context() == before


def test_after_a_failed_demo_prod_is_never_attempted(workspace: Workspace) -> None:
    before = workspace.context()
    result = workspace.run(*SKIP, "--yes", "Alpha001", "--all-partitions")
    assert result.returncode == 1
    out = result.stdout
    summary = out[out.index("summary for Alpha001:") :]
    assert "demo     Alpha001-demo-Email    FAILED, exit 1" in summary
    assert "prod     Alpha001-prod-Email    SKIPPED: needs demo, which failed in this run" in summary
    assert "cascade gate skipped: cascade staged by the test" in summary
    assert "gate (cascade): SKIPPED by --skip-cascade (cascade staged by the test)" in out
    assert "start: cdk diff Alpha001-prod-Email" not in out
    (log,) = workspace.logs()
    assert "--skip-cascade given: cascade staged by the test" in log.read_text()
    assert workspace.context() == before


def test_secret_parameter_wrapper_refuses_an_empty_value() -> None:
    wrapper = [str(NODE), "scripts/cdk-with-secret-parameter.cjs"]
    env = {k: v for k, v in os.environ.items() if k != "POSTMARK_ACCOUNT_TOKEN"}
    usage = subprocess.run(wrapper, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)
    assert usage.returncode == 2 and usage.stderr.startswith(
        "usage: node scripts/cdk-with-secret-parameter.cjs"
    )
    empty = subprocess.run(
        [*wrapper, "PostmarkAccountToken", "POSTMARK_ACCOUNT_TOKEN", "deploy", "X"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert empty.returncode == 2
    assert empty.stderr == (
        "error: POSTMARK_ACCOUNT_TOKEN is empty; it must hold the value of parameter PostmarkAccountToken\n"
    )


# --- the rollout, end to end ------------------------------------------------------------------


def _gate_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.split("] ", 1)[1] for line in result.stdout.splitlines() if "] gate (" in line]


@pytest.mark.e2e
@pytest.mark.xdist_group("amm-cascade")
def test_the_full_cascade_on_moto(tmp_path: Path) -> None:
    """Root, then dev → {stage, demo} → prod, with every gate deciding on live state: Postmark
    (the simulator) and public DNS (the loopback server, fed with what moto's Route 53 holds
    once a zone is deployed). A token with a trailing CR is stored stripped; a second run of
    dev changes nothing; no token appears anywhere."""
    simulator = PostmarkSimulator(
        {NONPROD_TOKEN: "PostmarkNonProd", PROD_TOKEN: "PostmarkProd"}, dkim_verify_attempts=1
    )
    with MotoServer(account=None) as cloud, simulator, LoopbackDnsServer() as dns:
        workspace = new_workspace(tmp_path, cloud, postmark_url=simulator.url)
        workspace.extra_args = ["--resolver", dns.address]
        # The 1Password items hold the tokens with a stray CR and newline after them.
        write_fake_op(workspace.bin_dir, tokens=op_tokens(), suffix="\r\n")
        holding_tokens_before = files_containing(tmp_path, NONPROD_TOKEN.encode()) + files_containing(
            tmp_path, PROD_TOKEN.encode()
        )
        workspace.bootstrap("Admin-PlatformRoot", "Alpha002-Admin", "Admin-Alpha1")
        runs: list[subprocess.CompletedProcess[str]] = []

        root = workspace.run("--yes", "PlatformRoot")
        runs.append(root)
        assert root.returncode == 0, root.stdout[-3000:] + root.stderr[-2000:]
        assert "start: cdk diff PlatformRoot-RootDns" in root.stdout
        assert _gate_lines(root)[-1].startswith(
            "gate (Root unchanged): ok - the deployed PlatformRoot-RootDns equals"
        )

        early_demo = workspace.run("Alpha001", "demo")
        runs.append(early_demo)
        assert early_demo.returncode == 1
        assert "demo needs dev verified live first; dev is not" in early_demo.stderr
        assert "Alpha001-demo-Email" not in _stacks(cloud, ALPHA001)

        plan = workspace.run("--dry-run", "Alpha002", "dev")
        assert plan.returncode == 0, plan.stderr
        logs_before = set(workspace.logs())
        # At a terminal, as an operator runs it: the first deploy creates IAM roles, so the CDK
        # CLI (--require-approval broadening) shows them and asks; the operator answers y.
        dev = workspace.run_on_terminal("Alpha002", "dev", answers={"(y/n)": "y\n"})
        runs.append(dev)
        assert dev.returncode == 0, dev.stdout[-4000:]
        (dev_log,) = set(workspace.logs()) - logs_before
        assert planned_steps(plan) == logged_steps(dev_log), "the dry run printed the steps the run took"
        shown = SGR.sub("", dev.stdout)
        assert "Do you wish to deploy these changes" in shown and "IAM Statement Changes" in shown
        assert shown.index("end: cdk diff Alpha002-dev-Email") < shown.index(
            "start: cdk deploy Alpha002-dev-Email"
        )
        assert "\x1b[" in dev.stdout, "the CDK CLI keeps its colour on a terminal"
        logged = dev_log.read_text()
        assert "\x1b" not in logged and "Do you wish to deploy these changes" in logged
        outputs = json.loads(dev_log.with_suffix(".outputs.json").read_text())
        assert set(outputs) == {"Alpha002-dev-Email"} and outputs["Alpha002-dev-Email"], (
            "the stack outputs, kept"
        )
        assert _gate_lines(dev) == [
            f"gate (Root placeholder): ok - the PlatformRoot account is {ROOT_ACCOUNT} (not the placeholder)",
            f"gate (delegation): ok - arn:aws:iam::{ROOT_ACCOUNT}:role/AddNsRecordsToAnyHostedZone assumed from "
            f"Alpha002-Admin; it finds ardamails.com ({_root_zone_id(cloud)})",
            "gate (Root unchanged): ok - the deployed PlatformRoot-RootDns equals the synthesized template "
            "(profile Admin-PlatformRoot)",
            "gate (failed first deploy): ok - no stack Alpha002-dev-Email yet and nothing left behind: a first deploy",
            "gate (cascade): ok - dev is first in the cascade",
        ]
        publish_zone(dns, cloud, ALPHA002, "dev.ardamails.com")

        # Public DNS says dev is delegated to someone else's servers, and its DKIM record holds
        # terminal escapes: dev is not live, and nothing of the escapes reaches the screen.
        served = dns.records.get("dev.ardamails.com", "NS")
        dkim_host = (
            f"{workspace.block('partitionMail:Alpha002:dev')['dkimSelector']}._domainkey.dev.ardamails.com"
        )
        served_dkim = dns.records.get(dkim_host, "TXT")
        dns.records.put("dev.ardamails.com", "NS", ["ns1.attacker.example", "ns2.attacker.example"])
        dns.records.put(dkim_host, "TXT", [["k=rsa;p=\x1b[2J\x1b]0;owned\x07"]])
        hijacked = workspace.run("Alpha002", "stage")
        runs.append(hijacked)
        assert hijacked.returncode == 1
        assert "stage needs dev verified live first; dev is not" in hijacked.stderr
        delegation = [line for line in hijacked.stderr.splitlines() if line.startswith("dev: dns.delegation")]
        assert delegation == [
            "dev: dns.delegation: NS dev.ardamails.com answers ns1.attacker.example, ns2.attacker.example; "
            f"its hosted zone's delegation set is {', '.join(sorted(served))}"
        ]
        assert "\x1b" not in hijacked.stdout + hijacked.stderr and "\\x1b[2J" in hijacked.stderr
        assert "Alpha002-stage-Email" not in _stacks(cloud, ALPHA002)
        dns.records.put("dev.ardamails.com", "NS", served)
        dns.records.put(dkim_host, "TXT", served_dkim)

        alpha001 = workspace.run("--yes", "Alpha001", "--all-partitions")
        runs.append(alpha001)
        assert alpha001.returncode == 1
        assert "gate (cascade): dev verified live" in alpha001.stdout
        summary = alpha001.stdout[alpha001.stdout.index("summary for Alpha001:") :]
        assert "demo     Alpha001-demo-Email    ok" in summary
        assert "prod     Alpha001-prod-Email    FAILED, exit 1" in summary
        assert "prod needs stage, demo verified live first; stage is not" in alpha001.stderr
        publish_zone(dns, cloud, ALPHA001, "demo.ardamails.com")

        # Without a terminal, a deploy that widens IAM (stage's first: its roles) stops at the
        # CDK CLI's question, with one line saying what to do; nothing is deployed.
        unasked = workspace.run("Alpha002", "stage")
        runs.append(unasked)
        assert unasked.returncode == 1
        assert last_error(unasked) == (
            "error: cdk deploy Alpha002-stage-Email failed (exit 1); the change broadens IAM or security-group "
            "permissions (the table above) and the CDK CLI asks before deploying it, but this run has no terminal "
            "to ask on: review the diff, then re-run on a terminal to answer, or with --yes"
        )
        assert "IAM Statement Changes" in unasked.stdout
        assert "Alpha002-stage-Email" not in _stacks(cloud, ALPHA002)
        stage = workspace.run("--yes", "Alpha002", "stage")
        runs.append(stage)
        assert stage.returncode == 0, stage.stdout[-4000:] + stage.stderr[-2000:]
        publish_zone(dns, cloud, ALPHA002, "stage.ardamails.com")

        # Typed twice: once after the diff, once more because the pre-deploy step wrote
        # prod's first key, which changes the diff that will be deployed.
        prod = workspace.run("Alpha001", "prod", stdin="prod\nprod\n")
        runs.append(prod)
        assert prod.returncode == 0, prod.stdout[-4000:] + prod.stderr[-2000:]
        cascade = [line for line in _gate_lines(prod) if line.startswith("gate (cascade)")]
        assert [line.split(" verified live")[0] for line in cascade] == [
            "gate (cascade): stage",
            "gate (cascade): demo",
        ]
        out = prod.stdout
        assert out.index("end: cdk diff Alpha001-prod-Email") < out.index("confirmed by typing its name")
        changed = out.index(
            "partitionMail:Alpha001:prod changed since the diff (the pre-deploy step, or another run): the diff "
            "to confirm is now this one"
        )
        assert out.index("start: pre-deploy Alpha001 prod") < changed
        assert (
            changed
            < out.rindex("confirmed by typing its name")
            < out.index("start: cdk deploy Alpha001-prod-Email")
        )

        context_after = workspace.context()
        again = workspace.run("Alpha002", "dev")  # nothing changes: no question, no terminal needed
        runs.append(again)
        assert again.returncode == 0, again.stdout[-3000:]
        assert "partitionMail:Alpha002:dev: unchanged" in again.stdout
        assert "no changes" in again.stdout.lower()
        assert workspace.context() == context_after

        for partition, account, token in (
            ("dev", ALPHA002, NONPROD_TOKEN),
            ("stage", ALPHA002, NONPROD_TOKEN),
            ("demo", ALPHA001, PROD_TOKEN),
            ("prod", ALPHA001, PROD_TOKEN),
        ):
            zone = f"{partition}.ardamails.com"
            block = workspace.block(
                f"partitionMail:{'Alpha002' if account == ALPHA002 else 'Alpha001'}:{partition}"
            )
            domain = simulator.domain_named(token, zone)
            assert domain is not None and domain.dkim_verified and domain.return_path_verified
            assert dkim_txt_value(block["dkimPublicKey"]) == domain.dkim_text_value
            found = records(cloud, account, zone)
            assert found[(zone, "TXT")] == [f'"{SPF_VALUE}"']
            assert found[(f"_dmarc.{zone}", "TXT")] == [f'"{dmarc_value()}"']
            dkim_host = f"{block['dkimSelector']}._domainkey.{zone}"
            assert found[(dkim_host, "TXT")] == [quoted_txt_strings(dkim_txt_value(block["dkimPublicKey"]))]
            assert found[(f"pm-bounces.{zone}", "CNAME")] == [block["returnPathTarget"]]
            secret = cloud.client_in(account, "secretsmanager").get_secret_value(
                SecretId=postmark_account_token_secret_name(get_partition(partition))
            )
            assert secret["SecretString"] == token, "the NoEcho parameter got the stripped token"

    assert simulator.server_calls == [], "a Postmark server must never be created"
    assert [p for e in simulator.exchanges for p in exchange_problems(e)] == []
    for result in runs:
        assert NONPROD_TOKEN not in result.stdout + result.stderr
        assert PROD_TOKEN not in result.stdout + result.stderr
    assert len(workspace.logs()) == len(runs)
    holding_tokens_after = files_containing(tmp_path, NONPROD_TOKEN.encode()) + files_containing(
        tmp_path, PROD_TOKEN.encode()
    )
    assert holding_tokens_after == holding_tokens_before
    left = [p.name for p in (tmp_path / "tmp").iterdir() if p.name.startswith("amm-")]
    assert left == [], "every run removes the cloud assemblies it diffed and deployed"


def _root_zone_id(cloud: MotoServer) -> str:
    zones = cloud.client_in(ROOT_ACCOUNT, "route53").list_hosted_zones_by_name(DNSName="ardamails.com")[
        "HostedZones"
    ]
    return str(zones[0]["Id"]).rsplit("/", 1)[-1]

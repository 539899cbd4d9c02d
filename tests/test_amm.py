"""`amm.sh` end to end: the real script, the real CDK CLI, moto_server, the Postmark
simulator and a fake `op`, on a temporary copy of the project."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from platform_lib.dns_text import SPF_VALUE, dkim_txt_value, dmarc_value, quoted_txt_strings
from platform_lib.naming import postmark_account_token_secret_name
from platform_lib.registry import get_partition
from tests.support.fake_op import write_fake_op
from tests.support.moto_server import MotoServer
from tests.support.postmark_openapi import exchange_problems
from tests.support.postmark_simulator import PostmarkSimulator
from tests.synth import PROJECT_ROOT

ALPHA001 = "009765408297"
ALPHA002 = "139852620346"
NODE = PROJECT_ROOT / "node_modules" / ".bin" / "node"
CANARY = "canary-0f3c9a7e-5d1b-4e2a-9c8f-7b6a5d4c3b2a"


@dataclass
class Workspace:
    root: Path
    env: dict[str, str]

    def run(
        self, *args: str, stdin: str | None = None, timeout: int = 600
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["./amm.sh", *args],
            cwd=self.root,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def context(self) -> bytes:
        return (self.root / "cdk.context.json").read_bytes()

    def written_files(self) -> list[Path]:
        skip = {".venv", "node_modules"}
        return [
            p
            for p in self.root.rglob("*")
            if p.is_file() and not (set(p.relative_to(self.root).parts) & skip)
        ]


def copy_project(destination: Path) -> Path:
    """Tracked and new files of the project; the installed toolchains are symlinked."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for relative in listed:
        source = PROJECT_ROOT / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    for toolchain in (".venv", "node_modules"):
        (destination / toolchain).symlink_to(PROJECT_ROOT / toolchain)
    return destination


def aws_profiles(path: Path, endpoint: str) -> dict[str, str]:
    """An AWS config with the registry's profile names and static moto credentials."""
    config = path / "aws-config"
    config.write_text(
        "".join(
            f"[profile {name}]\nregion = us-east-1\naws_access_key_id = testing\naws_secret_access_key = testing\n\n"
            for name in ("Alpha002-Admin", "Admin-Alpha1")
        )
    )
    return {
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(path / "no-credentials"),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def base_env(tmp: Path, bin_dir: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POSTMARK_", "GITHUB_"))}
    return {
        **keep,
        "PATH": f"{bin_dir}:{keep['PATH']}",
        "HOME": str(tmp / "home"),
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "AMM_VERIFY_DEADLINE_SECONDS": "20",
    }


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer(account=ALPHA002) as server:
        yield server


def new_workspace(tmp_path: Path, moto: MotoServer) -> Workspace:
    """A project copy, a fake `op` answering the canary, AWS profiles pointing at `moto`,
    and Postmark at a closed port (tests that need Postmark start the simulator)."""
    root = copy_project(tmp_path / "project")
    bin_dir = tmp_path / "bin"
    write_fake_op(bin_dir, token=CANARY)
    (tmp_path / "home").mkdir()
    env = {**base_env(tmp_path, bin_dir), **aws_profiles(tmp_path, moto.endpoint_url)}
    env["POSTMARK_API_URL"] = closed_port_url()
    return Workspace(root, env)


@pytest.fixture
def workspace(tmp_path: Path, moto: MotoServer) -> Workspace:
    return new_workspace(tmp_path, moto)


def _assert_nothing_written(workspace: Workspace, before: bytes) -> None:
    assert workspace.context() == before
    assert not (workspace.root / "cdk.out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Alpha003", "dev"], "unknown infrastructure 'Alpha003'; valid: PlatformRoot, Alpha001, Alpha002"),
        (["Alpha001", "dev"], "partition 'dev' is on Alpha002, not Alpha001; active on Alpha001: demo, prod"),
        (["Alpha002", "kyle"], "partition 'kyle' is suspended; active on Alpha002: dev, stage"),
        (["PlatformRoot"], "PlatformRoot hosts no partitions; partition infrastructures: Alpha001, Alpha002"),
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
    assert (
        unknown.returncode == 2
        and unknown.stderr.strip() == "error: unknown option --force; see ./amm.sh --help"
    )


def test_wrong_aws_account_stops_before_anything_changes(workspace: Workspace) -> None:
    before = workspace.context()
    result = workspace.run("Alpha001", "demo")  # moto answers as Alpha002's account
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: AWS profile 'Admin-Alpha1' is account {ALPHA002}, but Alpha001 is 009765408297; "
        "pass --profile NAME for account 009765408297"
    )
    _assert_nothing_written(workspace, before)


def test_unknown_profile_is_reported(workspace: Workspace) -> None:
    result = workspace.run("--profile", "Nope", "Alpha002", "dev")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: AWS profile 'Nope' not found in your AWS config; pass --profile NAME"
    )


@pytest.mark.parametrize(
    "args", [["--yes", "Alpha001", ""], ["--yes", "Alpha001", " "], ["", "dev"], ["Alpha002", "\t"]]
)
def test_an_empty_or_blank_argument_is_a_usage_error(workspace: Workspace, args: list[str]) -> None:
    """`./amm.sh --yes Alpha001 ""` once planned demo and prod: an empty partition is no partition."""
    before = workspace.context()
    result = workspace.run(*args)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: an empty or blank argument was given; name the infrastructure and partition "
        "(see ./amm.sh --help)"
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


def test_a_hung_op_read_is_cut_off(workspace: Workspace, tmp_path: Path) -> None:
    write_fake_op(tmp_path / "bin", token=CANARY, hang_seconds=30)
    workspace.env["AMM_OP_TIMEOUT_SECONDS"] = "1"
    before = workspace.context()
    result = workspace.run("Alpha002", "dev", timeout=25)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: `op read op://Arda-DevOAM/Postmark/credential` did not finish within 1 s; "
        "unlock 1Password and re-run"
    )
    _assert_nothing_written(workspace, before)


@pytest.mark.parametrize(
    ("token", "suffix", "message"),
    [
        ("canary two", "", "holds whitespace inside the token"),
        ("canary\nsecond-line", "", "holds a line break inside the token"),
        ("   ", "", "returned an empty value"),
    ],
)
def test_a_malformed_token_from_op_is_refused_with_one_line(
    workspace: Workspace, tmp_path: Path, token: str, suffix: str, message: str
) -> None:
    write_fake_op(tmp_path / "bin", token=token, suffix=suffix)
    workspace.env["GITHUB_ACTIONS"] = "true"
    before = workspace.context()
    result = workspace.run("Alpha002", "dev")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: `op read op://Arda-DevOAM/Postmark/credential`") and message in last
    masked = [line for line in result.stdout.splitlines() if line.startswith("::add-mask::")]
    assert [m.removeprefix("::add-mask::") for m in masked] == [
        line for line in token.splitlines() if line.strip()
    ], "every line of the raw value is masked first"
    assert "start: pre-deploy" not in result.stdout
    _assert_nothing_written(workspace, before)


def test_a_failing_credential_process_is_one_line_naming_the_profile(
    workspace: Workspace, tmp_path: Path
) -> None:
    config = Path(workspace.env["AWS_CONFIG_FILE"])
    config.write_text("[profile Alpha002-Admin]\nregion = us-east-1\ncredential_process = /bin/false\n")
    result = workspace.run("Alpha002", "dev")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "error: the credential provider of AWS profile 'Alpha002-Admin' failed (custom-process); "
        "fix it in your AWS config or run `aws sso login --profile Alpha002-Admin`"
    ]


def test_a_non_default_postmark_api_is_announced_once(workspace: Workspace) -> None:
    result = workspace.run("Alpha002", "dev")  # Postmark at a closed loopback port
    notes = [line for line in result.stdout.splitlines() if "note: Postmark API is" in line]
    assert len(notes) == 1 and "(POSTMARK_API_URL), not https://api.postmarkapp.com" in notes[0]


def test_missing_op_is_reported(workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "bin" / "op").unlink()
    before = workspace.context()
    result = workspace.run("Alpha002", "dev")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: 1Password CLI 'op' not found on PATH; install it and run 'op signin'"
    )
    _assert_nothing_written(workspace, before)


def test_op_not_signed_in_is_reported(workspace: Workspace, tmp_path: Path) -> None:
    write_fake_op(tmp_path / "bin", token="", signed_in=False)
    before = workspace.context()
    result = workspace.run("Alpha002", "dev")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: the 1Password CLI is not signed in; run `eval $(op signin)` and re-run"
    )
    _assert_nothing_written(workspace, before)


def test_dry_run_prints_the_plan_and_contacts_nothing(workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "bin" / "op").unlink()  # would fail if called
    workspace.env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # would fail if contacted
    result = workspace.run("--dry-run", "Alpha001")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        lines[0] == "plan for Alpha001 (profile Admin-Alpha1, region us-east-1); nothing will be contacted:"
    )
    assert "  (production: type 'prod' to confirm)" in lines
    deploys = [line for line in lines if "cdk deploy" in line]
    assert deploys == [
        f"  cdk deploy Alpha001-{p}-Email -c partition={p} --require-approval never --progress events "
        "--parameters PostmarkAccountToken=***   # via scripts/cdk-with-secret-parameter.cjs: "
        "the token stays off every command line"
        for p in ("demo", "prod")
    ]
    assert lines.index("partition demo:") < lines.index("partition prod:")
    assert not (workspace.root / "logs").exists()
    assert CANARY not in result.stdout + result.stderr


@pytest.fixture(scope="module")
def moto_alpha001() -> Iterator[MotoServer]:
    with MotoServer(account=ALPHA001) as server:
        yield server


@pytest.fixture
def alpha001_workspace(tmp_path: Path, moto_alpha001: MotoServer) -> Workspace:
    return new_workspace(tmp_path, moto_alpha001)


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("", "error: deploying prod needs confirmation: type 'prod' at the prompt, or pass --yes"),
        ("production\n", "error: confirmation did not match 'prod'; nothing was deployed"),
    ],
)
def test_prod_needs_its_name_typed(alpha001_workspace: Workspace, stdin: str, message: str) -> None:
    before = alpha001_workspace.context()
    result = alpha001_workspace.run("Alpha001", "prod", stdin=stdin)
    assert result.returncode == 1
    assert "Type its name to continue" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == message
    assert "op read" not in result.stdout.replace("op read --no-newline", ""), (
        "asked before the 1Password read"
    )
    _assert_nothing_written(alpha001_workspace, before)


@pytest.mark.parametrize(
    ("args", "stdin"), [(["Alpha001", "prod"], "prod\n"), (["--yes", "Alpha001", "prod"], None)]
)
def test_prod_confirmed_goes_on_to_the_pre_deploy(
    alpha001_workspace: Workspace, args: list[str], stdin: str | None
) -> None:
    """Confirmed, the run reaches Postmark (unreachable here): reported, nothing deployed."""
    before = alpha001_workspace.context()
    result = alpha001_workspace.run(*args, stdin=stdin)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    if stdin:
        assert "production deploy of prod confirmed by typing its name" in output
    assert "cannot reach Postmark" in output and "check the network or POSTMARK_API_URL" in output
    assert "start: cdk deploy" not in output
    assert CANARY not in output
    _assert_nothing_written(alpha001_workspace, before)


def test_postmark_unreachable_stops_before_deploy(workspace: Workspace) -> None:
    before = workspace.context()
    result = workspace.run("Alpha002", "dev")
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "error: cannot reach Postmark at" in output
    assert "start: cdk deploy" not in output
    assert "dev      Alpha002-dev-Email     FAILED, exit 1" in output
    _assert_nothing_written(workspace, before)


def _records(moto: MotoServer, zone_name: str) -> dict[tuple[str, str], list[str]]:
    route53 = moto.client("route53")
    zones = [z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == zone_name + "."]
    assert len(zones) == 1, zones
    sets = route53.list_resource_record_sets(HostedZoneId=zones[0]["Id"])["ResourceRecordSets"]
    return {
        (s["Name"].rstrip("."), s["Type"]): [r["Value"] for r in s.get("ResourceRecords", [])] for s in sets
    }


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        if needle in path.read_bytes():
            found.append(path)
    return found


@pytest.mark.e2e
def test_amm_deploys_dev_end_to_end_and_a_second_run_changes_nothing(
    workspace: Workspace, moto: MotoServer, tmp_path: Path
) -> None:
    # The canary is in the fake `op` and in this test's own copied source, nowhere else.
    holding_canary_before = _files_containing(tmp_path, CANARY.encode())
    # The 1Password item holds the token with a stray CR and newline after it: the token rule
    # strips them once, and the value stored in Secrets Manager is the stripped token.
    write_fake_op(tmp_path / "bin", token=CANARY, suffix="\r\n")
    simulator = PostmarkSimulator({CANARY: "PostmarkNonProd"}, dkim_verify_attempts=2)
    with simulator:
        workspace.env["POSTMARK_API_URL"] = simulator.url
        bootstrap = subprocess.run(
            ["node_modules/.bin/cdk", "bootstrap", f"aws://{ALPHA002}/us-east-1"],
            cwd=workspace.root,
            env={**workspace.env, "AWS_PROFILE": "Alpha002-Admin", "JSII_NODE": str(NODE)},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert bootstrap.returncode == 0, bootstrap.stderr[-2000:]

        first = workspace.run("Alpha002", "dev")
        assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
        context_after_first = workspace.context()
        block = json.loads(context_after_first)["partitionMail:Alpha002:dev"]
        domain = simulator.domain_named(CANARY, "dev.ardamails.com")
        assert domain is not None and domain.dkim_verified and domain.return_path_verified
        assert block["dkimSelector"] == domain.dkim_host.split(".")[0], "the run wrote Postmark's key"
        assert dkim_txt_value(block["dkimPublicKey"]) == domain.dkim_text_value
        assert "DKIM         verified" in first.stdout and "Return-Path  verified" in first.stdout

        cloudformation = moto.client("cloudformation")
        stack = cloudformation.describe_stacks(StackName="Alpha002-dev-Email")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        records = _records(moto, "dev.ardamails.com")
        assert records[("dev.ardamails.com", "TXT")] == [f'"{SPF_VALUE}"']
        assert records[("_dmarc.dev.ardamails.com", "TXT")] == [f'"{dmarc_value()}"']
        dkim_host = f"{block['dkimSelector']}._domainkey.dev.ardamails.com"
        assert records[(dkim_host, "TXT")] == [quoted_txt_strings(dkim_txt_value(block["dkimPublicKey"]))]
        assert records[("pm-bounces.dev.ardamails.com", "CNAME")] == [block["returnPathTarget"]]
        secret = moto.client("secretsmanager").get_secret_value(
            SecretId=postmark_account_token_secret_name(get_partition("dev"))
        )
        assert secret["SecretString"] == CANARY, "the NoEcho parameter got the stripped token"

        simulator_calls_after_first = len(simulator.exchanges)
        second = workspace.run("Alpha002", "dev")
        assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-2000:]
        second_calls = simulator.exchanges[simulator_calls_after_first:]
        assert not [e for e in second_calls if e.method == "POST"], "the second run created nothing"
        assert workspace.context() == context_after_first
        assert "partitionMail:Alpha002:dev: unchanged" in second.stdout
        assert "no changes" in second.stdout.lower()
        assert cloudformation.describe_stacks(StackName="Alpha002-dev-Email")["Stacks"][0]["StackStatus"] == (
            "CREATE_COMPLETE"
        )
        assert _records(moto, "dev.ardamails.com") == records

    assert simulator.server_calls == [], "a Postmark server must never be created"
    assert [p for e in simulator.exchanges for p in exchange_problems(e)] == []
    for result in (bootstrap, first, second):
        assert CANARY not in result.stdout + result.stderr
    logs = list((workspace.root / "logs").glob("amm-*.log"))
    assert len(logs) == 2 and all("end: cdk deploy" in log.read_text() for log in logs)
    assert _files_containing(tmp_path, CANARY.encode()) == holding_canary_before


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


def test_all_partitions_run_in_turn_and_a_failure_does_not_stop_the_next(workspace: Workspace) -> None:
    """Without a partition every active one is attempted (rollout order) and summarized."""
    before = workspace.context()
    result = workspace.run("Alpha002")
    assert result.returncode == 1
    output = result.stdout
    assert output.index("start: pre-deploy Alpha002 dev") < output.index("start: pre-deploy Alpha002 stage")
    summary = output[output.index("summary for Alpha002:") :]
    assert "dev      Alpha002-dev-Email     FAILED, exit 1" in summary
    assert "stage    Alpha002-stage-Email   FAILED, exit 1" in summary
    _assert_nothing_written(workspace, before)


def test_github_actions_masks_the_token_before_any_other_use(workspace: Workspace) -> None:
    """Under GitHub Actions the only place the token is printed is the `::add-mask::` line,
    before any step that uses it; the run log never holds it."""
    workspace.env["GITHUB_ACTIONS"] = "true"
    result = workspace.run("Alpha002", "dev")  # Postmark is unreachable: the pre-deploy fails
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    with_token = [i for i, line in enumerate(lines) if CANARY in line]
    assert [lines[i] for i in with_token] == [f"::add-mask::{CANARY}"]
    assert with_token[0] < next(i for i, line in enumerate(lines) if "start: pre-deploy" in line)
    assert CANARY not in result.stderr
    (log,) = (workspace.root / "logs").glob("amm-*.log")
    assert CANARY not in log.read_text() and "start: pre-deploy Alpha002 dev" in log.read_text()

"""validate-exit: post-merge checks against moto (a deploy mirrored through boto3) and the
loopback DNS server; pre-merge rows through an injected command runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.cloudformation.models import cloudformation_backends

from platform_lib.naming import encryption_key_secret_name, postmark_account_token_secret_name
from platform_lib.registry import active_partitions, get_partition
from tests.support.dns_server import LoopbackDnsServer, records_from_templates
from tests.synth import PROJECT_ROOT, Synthesized
from tools.lib.exit_validation.pre_merge import pre_merge_checks
from tools.validate_exit import main

DEV = get_partition("dev")
STACK = "Alpha002-dev-Email"
ZONE = "dev.ardamails.com"
MOTO_ACCOUNT = "123456789012"


@dataclass
class Deployed:
    dns: LoopbackDnsServer
    template: dict[str, Any]

    def run(self, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
        code = main(["dev", "--post-merge", "--resolver", self.dns.address, *extra])
        return code, capsys.readouterr().out

    def create_stack(self, drop_export: str | None = None) -> None:
        """The stack as CloudFormation reports it after a deploy: the synthesized outputs
        (names and export names) with literal values, around a stand-in resource."""
        outputs = {
            key: {"Value": f"value-of-{key}", **({"Export": output["Export"]} if "Export" in output else {})}
            for key, output in self.template["Outputs"].items()
            if output.get("Export", {}).get("Name") != drop_export
        }
        body = {"Resources": {"StandIn": {"Type": "AWS::SNS::Topic"}}, "Outputs": outputs}
        boto3.client("cloudformation", region_name="us-east-1").create_stack(
            StackName=STACK, TemplateBody=json.dumps(body)
        )


@pytest.fixture
def deployed(synthesized: Synthesized, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployed]:
    config = tmp_path / "aws-config"
    config.write_text(
        "[profile Alpha002-Admin]\nregion = us-east-1\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    for name, value in {
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    template = synthesized.template(STACK)
    with mock_aws(), LoopbackDnsServer() as dns:
        zone = boto3.client("route53", region_name="us-east-1").create_hosted_zone(
            Name=ZONE, CallerReference="validate-exit-test"
        )
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        for name in (postmark_account_token_secret_name(DEV), encryption_key_secret_name(DEV)):
            secrets.create_secret(Name=name, SecretString="not-a-real-value")
        table = records_from_templates({STACK: template}, {ZONE: zone["DelegationSet"]["NameServers"]})
        for name in table.names():
            for rtype in ("NS", "TXT", "CNAME"):
                if values := table.get(name, rtype):
                    dns.records.put(name, rtype, values)
        state = Deployed(dns, template)
        state.create_stack()
        yield state


def test_all_checks_pass(deployed: Deployed, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = deployed.run(capsys)
    assert code == 0, out
    assert out.rstrip().endswith("9/9 PASS")
    assert "FAIL" not in out
    assert "6/6 exports from the stack's outputs" in out


def _stack_rolled_back(d: Deployed) -> None:
    (stack,) = cloudformation_backends[MOTO_ACCOUNT]["us-east-1"].stacks.values()
    stack.status = "UPDATE_ROLLBACK_COMPLETE"


def _drop_secret(name: str) -> Callable[[Deployed], None]:
    def drop(d: Deployed) -> None:
        boto3.client("secretsmanager", region_name="us-east-1").delete_secret(
            SecretId=name, ForceDeleteWithoutRecovery=True
        )

    return drop


def _recreate_stack_without_export(d: Deployed) -> None:
    boto3.client("cloudformation", region_name="us-east-1").delete_stack(StackName=STACK)
    d.create_stack(drop_export="Alpha002-dev-API-EmailEncryptionKeyArn")


DKIM_HOST = "20260526234343pm._domainkey.dev.ardamails.com"
BREAKAGES: dict[str, tuple[Callable[[Deployed], None], str]] = {
    "stack status": (
        _stack_rolled_back,
        "Alpha002-dev-Email is UPDATE_ROLLBACK_COMPLETE, expected CREATE_COMPLETE or UPDATE_COMPLETE",
    ),
    "NS delegation": (
        lambda d: d.dns.records.delete(ZONE, "NS"),
        "NS dev.ardamails.com: no records (not delegated)",
    ),
    "SPF": (
        lambda d: d.dns.records.put(ZONE, "TXT", [["v=spf1 -all"]]),
        "TXT dev.ardamails.com is 'v=spf1 -all', expected the SPF value",
    ),
    "DMARC": (
        lambda d: d.dns.records.delete("_dmarc." + ZONE, "TXT"),
        "TXT _dmarc.dev.ardamails.com: NXDOMAIN",
    ),
    "DKIM": (
        lambda d: d.dns.records.put(DKIM_HOST, "TXT", [["k=rsa;p=AAAA"]]),
        f"TXT {DKIM_HOST} is 'k=rsa;p=AAAA', expected the context's DKIM value",
    ),
    "Return-Path": (
        lambda d: d.dns.records.put("pm-bounces." + ZONE, "CNAME", ["bounces.example.net"]),
        "CNAME pm-bounces.dev.ardamails.com -> bounces.example.net, expected pm.mtasv.net",
    ),
    "token secret": (
        _drop_secret("dev-I-EmailPostmarkAccountToken"),
        "secret dev-I-EmailPostmarkAccountToken: ResourceNotFoundException",
    ),
    "encryption key secret": (
        _drop_secret("dev-I-EmailEncryptionKey"),
        "secret dev-I-EmailEncryptionKey: ResourceNotFoundException",
    ),
    "exports": (
        _recreate_stack_without_export,
        "5/6 exports; missing Alpha002-dev-API-EmailEncryptionKeyArn",
    ),
}


@pytest.mark.parametrize("check", list(BREAKAGES))
def test_each_check_fails_on_its_own(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], check: str
) -> None:
    breakage, detail = BREAKAGES[check]
    breakage(deployed)
    code, out = deployed.run(capsys)
    assert code == 1
    failed = [line for line in out.splitlines() if "  FAIL  " in line]
    assert len(failed) == 1, out
    assert failed[0].split("FAIL", 1)[0].strip() == check
    assert failed[0].split("FAIL", 1)[1].strip() == detail
    assert out.rstrip().endswith("8/9 PASS")


def test_unreachable_resolver_is_a_fail_row_not_a_crash(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed.dns.latency_seconds = 1.0  # beyond the DNS timeout below
    code, out = deployed.run(capsys, "--dns-timeout", "0.3")
    assert code == 1
    dns_rows = [line for line in out.splitlines() if line.split("  ")[1:2] and "DnsProbeError" in line]
    assert len(dns_rows) == 5 and out.rstrip().endswith("4/9 PASS")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--post-merge"], "error: --post-merge needs a partition"),
        (["qa", "--post-merge"], "error: unknown partition 'qa'; active: dev, stage, demo, prod"),
        (["kyle", "--post-merge"], "error: partition 'kyle' is suspended; active: dev, stage, demo, prod"),
        (
            ["dev", "--post-merge", "--resolver", "dns.google"],
            "error: --resolver 'dns.google': expected IP[:PORT]",
        ),
    ],
)
def test_bad_usage_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_help_runs_as_documented() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools.validate_exit", "--help"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
    )
    assert result.returncode == 0
    for option in ("--post-merge", "--profile NAME", "--resolver IP[:PORT]", "--skip-tests"):
        assert option in result.stdout


class RecordingRunner:
    """Stands in for subprocess: records argv, fails the commands named in `failing`."""

    def __init__(self, failing: Sequence[str] = (), synth_writes: bool = True) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.failing = failing
        self.synth_writes = synth_writes

    def __call__(self, argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        self.calls.append(tuple(argv))
        if argv[0] == "./scripts/synth" and self.synth_writes:
            (cwd / "cdk.out").mkdir(exist_ok=True)
            for partition in active_partitions():
                (
                    cwd / "cdk.out" / f"{partition.infrastructure}-{partition.name}-Email.template.json"
                ).write_text("{}")
        failed = any(Path(argv[0]).name == name or " ".join(argv[:2]).endswith(name) for name in self.failing)
        return subprocess.CompletedProcess(
            list(argv), 1 if failed else 0, "ok\n", "boom: it broke\n" if failed else ""
        )


def test_pre_merge_rows_run_existing_commands_from_the_project(tmp_path: Path) -> None:
    runner = RecordingRunner()
    results = pre_merge_checks(active_partitions(), root=tmp_path, runner=runner)
    assert [r.name for r in results] == [
        "ruff check",
        "ruff format",
        "mypy (strict)",
        "import layering",
        "shellcheck",
        "test suite",
        "synth partition stacks",
    ]
    assert all(r.passed for r in results)
    for argv in runner.calls:  # every command exists in the real project (no missing npm script)
        executable = (
            PROJECT_ROOT / Path(argv[0]).relative_to(tmp_path)
            if argv[0].startswith(str(tmp_path))
            else PROJECT_ROOT / argv[0]
        )
        assert executable.is_file() and os.access(executable, os.X_OK), argv
    shellchecked = next(c for c in runner.calls if c[0].endswith("shellcheck"))
    assert all((PROJECT_ROOT / script).is_file() for script in shellchecked[3:])
    assert (
        results[-1].detail
        == "Alpha002-dev-Email, Alpha002-stage-Email, Alpha001-demo-Email, Alpha001-prod-Email"
    )


def test_a_failing_gate_is_a_fail_row_and_the_others_still_run(tmp_path: Path) -> None:
    results = pre_merge_checks(
        active_partitions(), root=tmp_path, runner=RecordingRunner(failing=["mypy"]), run_tests=False
    )
    assert [(r.name, r.passed) for r in results if not r.passed] == [("mypy (strict)", False)]
    assert results[2].detail == "exit 1: boom: it broke"
    assert len(results) == 6 and "test suite" not in [r.name for r in results]


def test_synth_without_a_partition_template_fails(tmp_path: Path) -> None:
    results = pre_merge_checks(
        [DEV], root=tmp_path, runner=RecordingRunner(synth_writes=False), run_tests=False
    )
    assert results[-1].passed is False
    assert results[-1].detail == "no template for Alpha002-dev-Email in cdk.out"

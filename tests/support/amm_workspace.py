"""A place to run `amm.sh` for real: a copy of the project with the PlatformRoot account set,
AWS profiles that land in three accounts of one moto server (through AssumeRole, as an
SSO profile lands in its account), a fake `op` answering each partition's reference, and
helpers that stand in for what happens outside (Root deployed, DNS published).
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platform_lib.context_store import PROJECT_ROOT
from platform_lib.naming import ROOT_DNS_STACK_NAME
from platform_lib.postmark import postmark_credential_op_reference
from platform_lib.registry import active_partitions
from tests.support.dns_server import LoopbackDnsServer
from tests.support.fake_op import write_fake_op
from tests.support.moto_server import MotoServer

CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # colour and line editing, as a terminal shows them

ROOT_ACCOUNT = "210987654321"
ALPHA001 = "009765408297"
ALPHA002 = "139852620346"
NODE = PROJECT_ROOT / "node_modules" / ".bin" / "node"
CDK = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"
NONPROD_TOKEN = "canary-nonprod-0f3c9a7e-5d1b-4e2a-9c8f"
PROD_TOKEN = "canary-prod-7b6a5d4c-3b2a-4e1f-8d7c"
TOKENS_BY_ACCOUNT = {"PostmarkNonProd": NONPROD_TOKEN, "PostmarkProd": PROD_TOKEN}
GOLDEN_ROOT = PROJECT_ROOT / "tests" / "golden" / f"{ROOT_DNS_STACK_NAME}.template.json"
PROFILES = {"Alpha002-Admin": ALPHA002, "Admin-Alpha1": ALPHA001, "Admin-PlatformRoot": ROOT_ACCOUNT}


def op_tokens() -> dict[str, str]:
    """Each partition's 1Password reference answers its Postmark account's token."""
    return {
        postmark_credential_op_reference(p.name): TOKENS_BY_ACCOUNT[p.postmark_account.value]
        for p in active_partitions()
    }


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


def set_root_account(project: Path, account: str) -> None:
    """What the operator does once: the real PlatformRoot account id in the registry."""
    registry = project / "platform_lib" / "registry.py"
    text = registry.read_text()
    patched, count = re.subn(
        r'(name="PlatformRoot",\n\s+account=)PLATFORM_ROOT_ACCOUNT_PLACEHOLDER', rf'\1"{account}"', text
    )
    assert count == 1, "the PlatformRoot entry moved; update set_root_account"
    registry.write_text(patched)


def aws_config(folder: Path, endpoint: str, profiles: Mapping[str, str]) -> dict[str, str]:
    """Profiles with the registry's names, each assuming a role in its account on moto."""
    config = folder / "aws-config"
    lines = [
        "[profile moto]",
        "region = us-east-1",
        "aws_access_key_id = testing",
        "aws_secret_access_key = testing",
        "",
    ]
    for name, account in profiles.items():
        lines += [
            f"[profile {name}]",
            "region = us-east-1",
            f"role_arn = arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
            "source_profile = moto",
            "",
        ]
    config.write_text("\n".join(lines))
    return {
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "no-credentials"),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def jsii_package_cache_root() -> str:
    """The jsii package cache the test session uses: set-up's, in the venv (ADR-0024; the
    conftest names it when pytest is started by hand).

    A workspace gets a fresh HOME so that no AWS or CDK setting of the machine leaks into a
    run; the jsii cache is content-addressed and shared on purpose, or every workspace would
    unpack aws-cdk-lib again and every synth would parse its whole assembly.
    """
    return os.environ["JSII_RUNTIME_PACKAGE_CACHE_ROOT"]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@dataclass
class Workspace:
    root: Path
    env: dict[str, str]
    bin_dir: Path
    extra_args: list[str] = field(default_factory=list)

    def run(
        self, *args: str, stdin: str | None = None, timeout: int = 600
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["./amm.sh", *self.extra_args, *args],
            cwd=self.root,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def run_on_terminal(
        self, *args: str, answers: Mapping[str, str], timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """`./amm.sh` as an operator at a terminal runs it: stdin, stdout and stderr on a
        pseudo-terminal; each time the output ends with a key of `answers` (a prompt), its
        value is typed. The output (stdout and stderr as one, `\r\n` as `\n`) is stdout."""
        ours, theirs = os.openpty()
        process = subprocess.Popen(
            ["./amm.sh", *self.extra_args, *args],
            cwd=self.root,
            env=self.env,
            stdin=theirs,
            stdout=theirs,
            stderr=theirs,
            start_new_session=True,
        )
        os.close(theirs)
        output, answered = b"", 0
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([ours], [], [], 0.2)
                if ready:
                    try:
                        chunk = os.read(ours, 65536)
                    except OSError:  # EIO: every holder of the terminal's other side is gone
                        break
                    if not chunk:
                        break
                    output += chunk
                text = CSI.sub("", output.decode("utf-8", "replace"))
                for prompt, answer in answers.items():
                    if text.count(prompt) > answered and text.rstrip().endswith(prompt.rstrip()):
                        os.write(ours, answer.encode())
                        answered += 1
                if not ready and process.poll() is not None:
                    break
            code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            if process.poll() is None:
                os.killpg(process.pid, 9)
            os.close(ours)
        shown = output.decode("utf-8", "replace").replace("\r\n", "\n")
        return subprocess.CompletedProcess(process.args, code, shown, "")

    def context(self) -> bytes:
        return (self.root / "cdk.context.json").read_bytes()

    def block(self, key: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.context())[key]
        return value

    def logs(self) -> list[Path]:
        return sorted((self.root / "logs").glob("amm-*.log"))

    def bootstrap(self, *profiles: str) -> None:
        for profile in profiles:
            account = PROFILES[profile]
            result = subprocess.run(
                [str(CDK), "bootstrap", f"aws://{account}/us-east-1", "--profile", profile],
                cwd=self.root,
                env={**self.env, "JSII_NODE": str(NODE)},
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert result.returncode == 0, result.stderr[-2000:]


def new_workspace(
    tmp_path: Path,
    moto: MotoServer,
    *,
    root_account: str | None = ROOT_ACCOUNT,
    postmark_url: str | None = None,
) -> Workspace:
    """A project copy (PlatformRoot account set unless `root_account` is None), a fake `op`,
    AWS profiles on `moto`, and Postmark at `postmark_url` (default: a closed port)."""
    project = copy_project(tmp_path / "project")
    if root_account is not None:
        set_root_account(project, root_account)
    bin_dir = tmp_path / "bin"
    write_fake_op(bin_dir, tokens=op_tokens())
    (tmp_path / "home").mkdir(exist_ok=True)
    (tmp_path / "tmp").mkdir(exist_ok=True)  # the runs' temporary files (cloud assemblies), to check
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POSTMARK_", "GITHUB_", "AMM_"))}
    profiles = {**PROFILES, "Admin-PlatformRoot": root_account or ROOT_ACCOUNT}
    env = {
        **keep,
        "PATH": f"{bin_dir}:{keep['PATH']}",
        "HOME": str(tmp_path / "home"),
        "TMPDIR": str(tmp_path / "tmp"),
        "JSII_RUNTIME_PACKAGE_CACHE_ROOT": jsii_package_cache_root(),
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "AMM_VERIFY_DEADLINE_SECONDS": "20",
        "POSTMARK_API_URL": postmark_url or closed_port_url(),
        **aws_config(tmp_path, moto.endpoint_url, profiles),
    }
    return Workspace(project, env, bin_dir)


def deploy_root_directly(moto: MotoServer, template: Mapping[str, Any], account: str = ROOT_ACCOUNT) -> None:
    """The Root stack as `./amm.sh PlatformRoot` leaves it, without the CDK CLI (fast): the
    bootstrap version parameter its template checks, then the stack from `template`."""
    session = moto.session_in(account)
    session.client("ssm", endpoint_url=moto.endpoint_url).put_parameter(
        Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String", Overwrite=True
    )
    cloudformation = session.client("cloudformation", endpoint_url=moto.endpoint_url)
    cloudformation.create_stack(
        StackName=ROOT_DNS_STACK_NAME,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )


def golden_root_template() -> dict[str, Any]:
    template: dict[str, Any] = json.loads(GOLDEN_ROOT.read_text())
    return template


def publish_zone(dns: LoopbackDnsServer, moto: MotoServer, account: str, zone: str) -> None:
    """What public DNS serves once a deployed zone is delegated: its records and name servers,
    plus the DMARC report authorization arda.cards publishes for it."""
    route53 = moto.client_in(account, "route53")
    hosted = [z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == zone + "."]
    assert len(hosted) == 1, hosted
    zone_id = hosted[0]["Id"]
    name_servers = route53.get_hosted_zone(Id=zone_id)["DelegationSet"]["NameServers"]
    dns.records.put(zone, "NS", name_servers)
    for record_set in route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]:
        name, rtype = record_set["Name"].rstrip("."), record_set["Type"]
        values = [r["Value"] for r in record_set.get("ResourceRecords", [])]
        if rtype == "TXT":
            dns.records.put(name, "TXT", [re.findall(r'"([^"]*)"', value) for value in values])
        elif rtype == "CNAME":
            dns.records.put(name, "CNAME", [v.rstrip(".") for v in values])
    dns.records.put(f"{zone}._report._dmarc.arda.cards", "TXT", [["v=DMARC1"]])


def route53_view(
    moto: MotoServer, accounts: tuple[str, ...]
) -> Callable[[str, str], dict[str, list[Any]] | None]:
    """Public DNS as Route 53 serves it the moment a deploy writes a record: every hosted zone
    of `accounts` on `moto`, looked up live for each query (for `LoopbackDnsServer.live`)."""

    def lookup(name: str, rtype: str) -> dict[str, list[Any]] | None:
        best: tuple[str, str, Any] | None = None
        for account in accounts:
            route53 = moto.client_in(account, "route53")
            for zone in route53.list_hosted_zones()["HostedZones"]:
                zone_name = zone["Name"].rstrip(".").lower()
                if (name == zone_name or name.endswith("." + zone_name)) and (
                    best is None or len(zone_name) > len(best[0])
                ):
                    best = (zone_name, zone["Id"], route53)
        if best is None:
            return None
        found: dict[str, list[Any]] = {}
        for record_set in best[2].list_resource_record_sets(HostedZoneId=best[1])["ResourceRecordSets"]:
            if record_set["Name"].rstrip(".").lower() != name:
                continue
            values = [r["Value"] for r in record_set.get("ResourceRecords", [])]
            if record_set["Type"] == "TXT":
                found["TXT"] = [re.findall(r'"([^"]*)"', value) for value in values]
            elif record_set["Type"] in ("CNAME", "NS"):
                found[record_set["Type"]] = [v.rstrip(".") for v in values]
        return found or None

    return lookup


def records(moto: MotoServer, account: str, zone: str) -> dict[tuple[str, str], list[str]]:
    route53 = moto.client_in(account, "route53")
    zones = [z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == zone + "."]
    assert len(zones) == 1, zones
    sets = route53.list_resource_record_sets(HostedZoneId=zones[0]["Id"])["ResourceRecordSets"]
    return {
        (s["Name"].rstrip("."), s["Type"]): [r["Value"] for r in s.get("ResourceRecords", [])] for s in sets
    }


def files_containing(root: Path, needle: bytes) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        if needle in path.read_bytes():
            found.append(path)
    return found


def planned_steps(plan: subprocess.CompletedProcess[str]) -> list[str]:
    """The dry run's steps, as lines: what follows its one-line heading."""
    lines = plan.stdout.splitlines()
    assert lines[0].startswith("plan for ") and len(lines) > 5, plan.stdout
    return [line.strip() for line in lines[1:]]


def logged_steps(log: Path) -> list[str]:
    """The steps a run logged (`<time> step: <line>`), in order."""
    marker = " step: "
    return [line.split(marker, 1)[1] for line in log.read_text().splitlines() if marker in line]

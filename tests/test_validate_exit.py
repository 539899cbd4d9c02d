"""validate-exit: post-merge checks against moto (a deploy mirrored through boto3) and the
loopback DNS server serving the synthesized records; pre-merge rows through an injected
command runner, so the test suite never runs itself."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.cloudformation.models import cloudformation_backends
from moto.server import ThreadedMotoServer

from platform_lib.context_store import PROJECT_CONTEXT_FILE, PROJECT_ROOT
from platform_lib.naming import (
    ExportKey,
    encryption_key_secret_name,
    export_name,
    postmark_account_token_secret_name,
)
from platform_lib.registry import active_partitions, get_partition
from tests.conftest import NONPROD_TOKEN
from tests.support.context import read_partition_mail_context
from tests.support.dns_server import LoopbackDnsServer, records_from_templates
from tests.support.fake_kubectl import external_secret, synced_cluster, write_cluster, write_fake_kubectl
from tests.support.postmark_simulator import PostmarkSimulator
from tests.synth import Synthesized
from tests.test_drift_core import OTHER_KEY, authorize_dmarc_reports
from tools import validate_exit
from tools.checks.findings import abbreviate
from tools.dns.probe import NoSystemResolver, ResolverAddress, parse_resolver, system_resolver_address
from tools.exit_validation.pre_merge import VENV_BIN, run_command, shell_scripts
from tools.validate_exit import main

DEV = get_partition("dev")
STACK = "Alpha002-dev-Email"
ZONE = "dev.ardamails.com"
REGION = "us-east-1"
MOTO_ACCOUNT = "139852620346"  # Alpha002's, so the pre-flight's account check passes
CONTEXT = read_partition_mail_context(PROJECT_CONTEXT_FILE, DEV)
CONTEXT_SOURCE = "cdk.context.json 'partitionMail:Alpha002:dev'"
DKIM_HOST = f"{CONTEXT.dkim_selector}._domainkey.{ZONE}"
ALL_CHECKS = [  # the catalogue's post_merge checks, in its order
    "stack status",
    "Postmark domain",
    "Postmark DKIM verified",
    "Postmark Return-Path verified",
    "NS delegation",
    "SPF",
    "DMARC",
    "DMARC report authorization",
    "DKIM",
    "Return-Path",
    "Postmark DKIM = DNS",
    "DKIM rotation keys in DNS",
    "DKIM rotation state",
    "secrets",
    "exports",
    "encryption key in the cluster (ESO)",
]
ROWS = len(ALL_CHECKS)


ROW = re.compile(r"^  (?P<name>\S.*?)\s{2,}(?P<verdict>PASS|FAIL|WARN|NOT CHECKED)\s+(?P<detail>.*)$")


def rows(out: str) -> dict[str, tuple[str, str]]:
    """check name -> (PASS/FAIL/WARN/NOT CHECKED, detail), parsed from the table."""
    found = (ROW.match(line) for line in out.splitlines())
    return {m["name"]: (m["verdict"], m["detail"].strip()) for m in found if m}


def summary(out: str) -> str:
    return out.rstrip().splitlines()[-1]


# --- post-merge ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dns_server() -> Iterator[LoopbackDnsServer]:
    """One server for the module (stopping one takes ~1 s); each test resets its records."""
    with LoopbackDnsServer() as server:
        yield server


@dataclass
class Deployed:
    dns: LoopbackDnsServer
    template: dict[str, Any]
    zone_id: str
    name_servers: list[str]
    postmark: PostmarkSimulator
    cluster_file: Path
    context_file: Path = PROJECT_CONTEXT_FILE
    kube: tuple[str, ...] = ("--kube-context", "dev-cluster")

    def run(self, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
        timeout = () if "--dns-timeout" in extra else ("--dns-timeout", "2")  # an option is given once
        code = main(
            [
                *("dev", "--post-merge", "--resolver", self.dns.address, *timeout),
                *("--context-file", str(self.context_file), *self.kube, *extra),
            ]
        )
        return code, capsys.readouterr().out

    def cluster(self, clusters: dict[str, Any]) -> None:
        write_cluster(self.cluster_file, clusters)

    def stack_body(self, drop_export: str | None = None) -> dict[str, Any]:
        """The stack as CloudFormation reports it after a deploy: the synthesized outputs
        (keys and export names) with literal values - the zone id the real one - around a
        stand-in resource."""
        zone_id_export = export_name(DEV, ExportKey.PARTITION_MAIL_ZONE_ID)
        outputs = {}
        for key, output in self.template["Outputs"].items():
            name = output.get("Export", {}).get("Name")
            if name is not None and name == drop_export:
                continue
            value = self.zone_id if name == zone_id_export else f"value-of-{key}"
            outputs[key] = {"Value": value, **({"Export": {"Name": name}} if name else {})}
        return {"Resources": {"StandIn": {"Type": "AWS::SNS::Topic"}}, "Outputs": outputs}

    def create_stack(self, drop_export: str | None = None) -> None:
        boto3.client("cloudformation", region_name=REGION).create_stack(
            StackName=STACK, TemplateBody=json.dumps(self.stack_body(drop_export))
        )


def _write_aws_config(tmp_path: Path) -> None:
    """The registry's default profile for Alpha002, with moto's dummy credentials."""
    (tmp_path / "aws-config").write_text(
        f"[profile Alpha002-Admin]\nregion = {REGION}\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )


def _aws_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", MOTO_ACCOUNT)
    _write_aws_config(tmp_path)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)


def _serve_records(dns: LoopbackDnsServer, template: dict[str, Any], name_servers: list[str]) -> None:
    dns.latency_seconds = 0.0
    for name in dns.records.names():
        for rtype in ("NS", "TXT", "CNAME", "A"):
            dns.records.delete(name, rtype)
    table = records_from_templates({STACK: template}, {ZONE: name_servers})
    for name in table.names():
        for rtype in ("NS", "TXT", "CNAME"):
            if values := table.get(name, rtype):
                dns.records.put(name, rtype, values)
    authorize_dmarc_reports(dns, [ZONE])


@pytest.fixture
def deployed(
    synthesized: Synthesized,
    dns_server: LoopbackDnsServer,
    postmark: PostmarkSimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Deployed]:
    """dev as `./amm.sh Alpha002 dev` leaves it: zone, secrets, stack, public records, and
    its verified domain on PostmarkNonProd holding the committed key."""
    _aws_profile(tmp_path, monkeypatch)
    cluster_file = tmp_path / "cluster.json"
    write_fake_kubectl(tmp_path / "bin", cluster_file)
    write_cluster(cluster_file, synced_cluster(encryption_key_secret_name(DEV)))
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    postmark.add_domain(
        NONPROD_TOKEN, ZONE, verified=True, public_key=CONTEXT.dkim_public_key, selector=CONTEXT.dkim_selector
    )
    monkeypatch.setenv("POSTMARK_ACCOUNT_TOKEN", NONPROD_TOKEN)
    monkeypatch.setenv("POSTMARK_API_URL", postmark.url)
    template = synthesized.template(STACK)
    with mock_aws():
        created = boto3.client("route53", region_name=REGION).create_hosted_zone(
            Name=ZONE, CallerReference="validate-exit-test"
        )
        secrets = boto3.client("secretsmanager", region_name=REGION)
        for name in (postmark_account_token_secret_name(DEV), encryption_key_secret_name(DEV)):
            secrets.create_secret(Name=name, SecretString="not-a-real-value")
        name_servers = created["DelegationSet"]["NameServers"]
        _serve_records(dns_server, template, name_servers)
        state = Deployed(
            dns_server,
            template,
            created["HostedZone"]["Id"].split("/")[-1],
            name_servers,
            postmark,
            cluster_file,
        )
        state.create_stack()
        yield state


def test_all_checks_pass(deployed: Deployed, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = deployed.run(capsys)
    assert code == 0, out
    assert out.splitlines()[0] == (
        f"post-merge validation of dev (Alpha002 us-east-1, profile Alpha002-Admin, resolver {deployed.dns.address}):"
    )
    table = rows(out)
    assert list(table) == ALL_CHECKS
    assert {verdict for verdict, _ in table.values()} == {"PASS"}
    assert out.rstrip().endswith(f"{ROWS}/{ROWS} PASS")
    assert table["stack status"][1] == "Alpha002-dev-Email CREATE_COMPLETE"
    assert table["NS delegation"][1] == (
        f"NS {ZONE} answers the hosted zone's delegation set (4 name servers, read through AWS)"
    )
    assert table["exports"][1] == "6/6 exports in the outputs of Alpha002-dev-Email"
    assert table["secrets"][1] == "dev-I-EmailPostmarkAccountToken, dev-I-EmailEncryptionKey (AWSCURRENT)"


def _stack_rolled_back(d: Deployed) -> None:
    (stack,) = cloudformation_backends[MOTO_ACCOUNT][REGION].stacks.values()
    stack.status = "UPDATE_ROLLBACK_COMPLETE"


def _delete_secret(name: str, **how: Any) -> Callable[[Deployed], None]:
    def delete(d: Deployed) -> None:
        boto3.client("secretsmanager", region_name=REGION).delete_secret(SecretId=name, **how)

    return delete


def _recreate_stack_without_export(d: Deployed) -> None:
    boto3.client("cloudformation", region_name=REGION).delete_stack(StackName=STACK)
    d.create_stack(drop_export="Alpha002-dev-API-EmailEncryptionKeyArn")


WRONG_KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrong"


def _pending_key_in_postmark(d: Deployed, selector: str) -> None:
    """A rotation started in Postmark that no deploy has published yet."""
    domain = d.postmark.domain_named(NONPROD_TOKEN, ZONE)
    assert domain is not None
    domain.dkim_pending_host = f"{selector}._domainkey.{ZONE}"
    domain.dkim_pending_text_value = f"k=rsa;p={CONTEXT.dkim_public_key}"


PENDING_SELECTOR = "20270101000000pm"


def _pending_key_in_the_block_only(d: Deployed) -> None:
    """The block (the deploy's context) holds a pending key DNS does not serve."""
    data = json.loads(PROJECT_CONTEXT_FILE.read_text())
    data["partitionMail:Alpha002:dev"]["dkimPending"] = {
        "selector": PENDING_SELECTOR,
        "publicKey": OTHER_KEY,
        "record": "DkimNext",
    }
    d.context_file = _scratch_context(data)


def _scratch_context(data: dict[str, Any]) -> Path:
    path = Path(tempfile.mkdtemp(prefix="validate-exit-context-")) / "cdk.context.json"
    path.write_text(json.dumps(data))
    return path


BREAKAGES: dict[str, tuple[str, Callable[[Deployed], None], str]] = {
    "stack rolled back": (
        "stack status",
        _stack_rolled_back,
        "Alpha002-dev-Email is UPDATE_ROLLBACK_COMPLETE, expected CREATE_COMPLETE or UPDATE_COMPLETE",
    ),
    "zone not delegated": (
        "NS delegation",
        lambda d: d.dns.records.delete(ZONE, "NS"),
        "zone dev.ardamails.com is not delegated: NS query returned no records",
    ),
    "SPF without Postmark": (
        "SPF",
        lambda d: d.dns.records.put(ZONE, "TXT", [["v=spf1 -all"]]),
        "SPF at dev.ardamails.com does not include Postmark (include:spf.mtasv.net): 'v=spf1 -all'",
    ),
    "DMARC missing": (
        "DMARC",
        lambda d: d.dns.records.delete("_dmarc." + ZONE, "TXT"),
        "no DMARC record at _dmarc.dev.ardamails.com (NXDOMAIN)",
    ),
    "DKIM key differs from the context": (
        "DKIM",
        lambda d: d.dns.records.put(DKIM_HOST, "TXT", [[f"k=rsa;p={WRONG_KEY}"]]),
        f"wrong DKIM key at {DKIM_HOST}: DNS has p={abbreviate(WRONG_KEY)} ({len(WRONG_KEY)} chars), "
        f"{CONTEXT_SOURCE} has p={abbreviate(CONTEXT.dkim_public_key)} ({len(CONTEXT.dkim_public_key)} chars)",
    ),
    "Return-Path elsewhere": (
        "Return-Path",
        lambda d: d.dns.records.put("pm-bounces." + ZONE, "CNAME", ["bounces.example.net"]),
        "Return-Path CNAME pm-bounces.dev.ardamails.com points at bounces.example.net; "
        f"{CONTEXT_SOURCE} expects pm.mtasv.net",
    ),
    "token secret deleted": (
        "secrets",
        _delete_secret("dev-I-EmailPostmarkAccountToken", ForceDeleteWithoutRecovery=True),
        "secret dev-I-EmailPostmarkAccountToken does not exist",
    ),
    "encryption key scheduled for deletion": (
        "secrets",
        _delete_secret("dev-I-EmailEncryptionKey", RecoveryWindowInDays=7),
        "secret dev-I-EmailEncryptionKey is scheduled for deletion (DeletedDate {date}); "
        "restore it with `aws secretsmanager restore-secret --secret-id dev-I-EmailEncryptionKey`",
    ),
    "an export missing": (
        "exports",
        _recreate_stack_without_export,
        "5/6 exports in the outputs of Alpha002-dev-Email; missing Alpha002-dev-API-EmailEncryptionKeyArn",
    ),
    "parent still delegates to an old zone": (
        "NS delegation",
        lambda d: d.dns.records.put(ZONE, "NS", ["ns-1.old-zone.test", "ns-2.old-zone.test"]),
        "NS dev.ardamails.com answers ns-1.old-zone.test, ns-2.old-zone.test; its hosted zone's delegation set "
        "is {name_servers}",
    ),
    "two SPF records": (
        "SPF",
        lambda d: d.dns.records.put(
            ZONE, "TXT", [["v=spf1 include:spf.mtasv.net ~all"], ["v=spf1 include:other.example ~all"]]
        ),
        "2 SPF records at dev.ardamails.com; exactly one is allowed (RFC 7208)",
    ),
    "arda.cards does not authorize the reports": (
        "DMARC report authorization",
        lambda d: d.dns.records.delete(f"{ZONE}._report._dmarc.arda.cards", "TXT"),
        "DMARC aggregate reports for dev.ardamails.com to mailto:dmarc-reports@arda.cards are not "
        'authorized: arda.cards (not managed here) must publish TXT "v=DMARC1" at '
        "dev.ardamails.com._report._dmarc.arda.cards (or *._report._dmarc.arda.cards) - RFC 7489 §7.1; "
        "DNS answered NXDOMAIN",
    ),
    "no domain on Postmark": (
        "Postmark domain",
        lambda d: d.postmark.accounts[NONPROD_TOKEN].domains.clear(),
        "no domain dev.ardamails.com on PostmarkNonProd (domains there: none); run "
        "`python -m tools.register_partition_mail_signature Alpha002 dev`",
    ),
    "DKIM not verified in Postmark": (
        "Postmark DKIM verified",
        lambda d: setattr(d.postmark.domain_named(NONPROD_TOKEN, ZONE), "dkim_verified", False),
        "Postmark reports DKIM not verified for dev.ardamails.com on PostmarkNonProd; run "
        "`python -m tools.verify_partition_mail Alpha002 dev`",
    ),
    "Return-Path not verified in Postmark": (
        "Postmark Return-Path verified",
        lambda d: setattr(d.postmark.domain_named(NONPROD_TOKEN, ZONE), "return_path_verified", False),
        "Postmark reports Return-Path pm-bounces.dev.ardamails.com not verified; run "
        "`python -m tools.verify_partition_mail Alpha002 dev`",
    ),
    "Postmark signs with a key DNS does not serve": (
        "Postmark DKIM = DNS",
        lambda d: setattr(
            d.postmark.domain_named(NONPROD_TOKEN, ZONE), "dkim_text_value", f"k=rsa;p={WRONG_KEY}"
        ),
        f"Postmark DKIMTextValue p={abbreviate(WRONG_KEY)} is not what DNS {DKIM_HOST} serves "
        f"(p={abbreviate(CONTEXT.dkim_public_key)})",
    ),
    "a pending key Postmark issued is not published": (
        "DKIM rotation state",
        lambda d: _pending_key_in_postmark(d, "20270101000000pm"),
        "Postmark's pending key 20270101000000pm is not published, so Postmark cannot verify it; "
        "re-run `./amm.sh Alpha002 dev`",
    ),
    "a pending key in the block is not in DNS": (
        "DKIM rotation keys in DNS",
        _pending_key_in_the_block_only,
        f"the pending key {PENDING_SELECTOR} is not published at {PENDING_SELECTOR}._domainkey.{ZONE}",
    ),
    "the ExternalSecret is not synced": (
        "encryption key in the cluster (ESO)",
        lambda d: d.cluster(_cluster_with(ready="False", reason="SecretSyncedError", message="AccessDenied")),
        "ExternalSecret email-encryption-key-current is not synced (Ready=False, reason SecretSyncedError): "
        "AccessDenied",
    ),
    "no ExternalSecret in the cluster": (
        "encryption key in the cluster (ESO)",
        lambda d: d.cluster({"dev-cluster": {"namespace": "default"}}),
        "no ExternalSecret email-encryption-key-current in the cluster; apply the partition's ESO manifests "
        "(docs/secret-delivery-pattern.md)",
    ),
    "the ExternalSecret reads another partition's key": (
        "encryption key in the cluster (ESO)",
        lambda d: d.cluster(synced_cluster("stage-I-EmailEncryptionKey")),
        "ExternalSecret email-encryption-key-current reads stage-I-EmailEncryptionKey, not dev-I-EmailEncryptionKey: "
        "the wrong cluster or manifest?",
    ),
    "synced, but the Secret is gone": (
        "encryption key in the cluster (ESO)",
        lambda d: d.cluster(_cluster_with(secrets=[])),
        "ExternalSecret email-encryption-key-current reports SecretSynced but its Secret "
        "email-encryption-key-current does not exist",
    ),
    "DKIM split inside a string": (
        "DKIM",
        lambda d: d.dns.records.put(
            DKIM_HOST, "TXT", [[f"k=rsa;p={CONTEXT.dkim_public_key[:200]} ", CONTEXT.dkim_public_key[200:]]]
        ),
        f"DKIM TXT at {DKIM_HOST} is split wrongly: its 2 strings join to a value that differs from "
        f"k=rsa;p={CONTEXT.dkim_public_key[:8]}… only by framing (string 1 ends with ' ')",
    ),
}


def _cluster_with(*, secrets: list[str] | None = None, **status: str) -> dict[str, Any]:
    cluster = synced_cluster(encryption_key_secret_name(DEV))
    cluster["dev-cluster"]["externalSecrets"]["email-encryption-key-current"] = external_secret(
        encryption_key_secret_name(DEV), **status
    )
    if secrets is not None:
        cluster["dev-cluster"]["secrets"] = secrets
    return cluster


def _expected_detail(template: str, d: Deployed) -> str:
    """Fill in what only the run knows: moto's zone id and name servers, a deletion date."""
    values = {
        "zone_id": d.zone_id,
        "name_servers": ", ".join(sorted(server.lower() for server in d.name_servers)),
    }
    if "{date}" in template:
        secret = boto3.client("secretsmanager", region_name=REGION).describe_secret(
            SecretId="dev-I-EmailEncryptionKey"
        )
        values["date"] = f"{secret['DeletedDate']:%Y-%m-%d}"
    return template.format(**values)


# A breakage may rightly fail a second row too: DNS serving another key than the context's is
# also DNS serving another key than Postmark's.
ALSO_FAILS = {
    "DKIM key differs from the context": ["Postmark DKIM = DNS"],
    "a pending key in the block is not in DNS": ["DKIM rotation state"],
}
# Rows that cannot judge when another failed: NOT CHECKED, never a pass (nor a second FAIL).
NOT_JUDGED = {
    "no domain on Postmark": [
        "Postmark DKIM verified",
        "Postmark Return-Path verified",
        "Postmark DKIM = DNS",
        "DKIM rotation state",
    ],
}
ADVISORY = {"DMARC report authorization"}


def test_every_check_has_a_breakage() -> None:
    assert {check for check, _, _ in BREAKAGES.values()} == set(ALL_CHECKS)


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_each_check_fails_on_its_own(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], breakage: str
) -> None:
    check, break_it, detail = BREAKAGES[breakage]
    break_it(deployed)
    code, out = deployed.run(capsys)
    table = rows(out)
    assert list(table) == ALL_CHECKS
    also, unjudged = ALSO_FAILS.get(breakage, []), NOT_JUDGED.get(breakage, [])
    failed = [name for name, (verdict, _) in table.items() if verdict == "FAIL"]
    warned = [name for name, (verdict, _) in table.items() if verdict == "WARN"]
    not_checked = [name for name, (verdict, _) in table.items() if verdict == "NOT CHECKED"]
    assert table[check][1] == _expected_detail(detail, deployed)
    assert sorted(not_checked) == sorted(unjudged), out
    passed = ROWS - 1 - len(also) - len(unjudged)
    if check in ADVISORY:  # a warning: named in the summary, the exit status unchanged
        assert code == 0 and warned == [check] and failed == [], out
        assert summary(out) == f"{passed}/{ROWS} PASS, 1 WARN ({check})"
        return
    assert code == 1
    assert sorted(failed) == sorted([check, *also]), out
    assert summary(out).startswith(f"{passed}/{ROWS} PASS")


def test_a_missing_stack_fails_the_rows_that_read_it_and_only_those(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    boto3.client("cloudformation", region_name=REGION).delete_stack(StackName=STACK)
    code, out = deployed.run(capsys)
    table = rows(out)
    missing = "stack Alpha002-dev-Email is not deployed; run `./amm.sh Alpha002 dev`"
    assert code == 1
    assert {name: detail for name, (verdict, detail) in table.items() if verdict == "FAIL"} == {
        "stack status": missing,
        "exports": missing,
    }
    assert table["NS delegation"] == (
        "NOT CHECKED",
        f"NS {ZONE} answers, but the stack's hosted zone is unknown: stack Alpha002-dev-Email "
        "has no output exported as Alpha002-dev-API-PartitionMailZoneId: is it deployed?",
    )
    assert summary(out) == f"{ROWS - 3}/{ROWS} PASS, 1 NOT CHECKED (NS delegation)"


def test_an_unanswering_resolver_fails_the_dns_rows_and_the_aws_rows_still_run(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed.dns.latency_seconds = 0.5  # beyond the DNS timeout below
    code, out = deployed.run(capsys, "--dns-timeout", "0.1")
    table = rows(out)
    address = str(parse_resolver(deployed.dns.address))
    assert code == 3, "nothing is known to be wrong: could not check"
    assert table["NS delegation"] == (
        "NOT CHECKED",
        f"DNS probe failed: DNS NS {ZONE} @{address}: no answer within 0.1s",
    )
    assert table["DKIM"] == (
        "NOT CHECKED",
        f"DNS probe failed: DNS TXT {DKIM_HOST} @{address}: no answer within 0.1s",
    )
    assert [n for n, (v, _) in table.items() if v == "NOT CHECKED"] == [
        "NS delegation",
        "SPF",
        "DMARC",
        "DMARC report authorization",
        "DKIM",
        "Return-Path",
        "Postmark DKIM = DNS",
    ]
    assert summary(out).startswith(f"{ROWS - 7}/{ROWS} PASS, 7 NOT CHECKED (NS delegation, SPF,")


def test_without_a_kube_context_the_eso_row_is_not_checked_never_passed(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed.kube = ()
    code, out = deployed.run(capsys)
    assert code == 3, out
    assert rows(out)["encryption key in the cluster (ESO)"] == (
        "NOT CHECKED",
        "not checked: no kube context given for dev: pass --kube-context NAME (its cluster's)",
    )


@pytest.mark.parametrize(
    ("cluster", "path", "detail"),
    [
        (
            {},
            None,
            "not checked: kube context 'dev-cluster' is not in your kubeconfig; pass the partition cluster's context",
        ),
        (
            {"dev-cluster": {"noCrd": True}},
            None,
            "not checked: the cluster of context 'dev-cluster' has no externalsecret resource type: is External "
            "Secrets Operator installed?",
        ),
        (None, "/nonexistent-bin", "not checked: kubectl not found on PATH; install it to check the cluster"),
    ],
)
def test_a_cluster_that_cannot_be_asked_is_not_checked(
    deployed: Deployed,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    cluster: dict[str, Any] | None,
    path: str | None,
    detail: str,
) -> None:
    if cluster is not None:
        deployed.cluster(cluster)
    if path is not None:
        monkeypatch.setenv("PATH", path)
    code, out = deployed.run(capsys)
    assert code == 3, out
    assert rows(out)["encryption key in the cluster (ESO)"] == ("NOT CHECKED", detail)


def test_kubectl_is_asked_read_only_and_never_for_the_secret_value(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = deployed.run(capsys, "--kube-namespace", "default")
    assert code == 0
    calls = [
        json.loads(line) for line in (deployed.cluster_file.parent / "calls.log").read_text().splitlines()
    ]
    assert [call[call.index("get") :] for call in calls] == [
        ["get", "externalsecret", "email-encryption-key-current", "--output", "json"],
        ["get", "secret", "email-encryption-key-current", "--output", "name"],
    ]
    assert all(call[:2] == ["--context", "dev-cluster"] and "--request-timeout" in call for call in calls)
    assert all(call[call.index("--namespace") + 1] == "default" for call in calls)


def test_without_resolver_the_system_resolver_is_asked(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        validate_exit, "system_resolver_address", lambda: parse_resolver(deployed.dns.address)
    )
    code = main(["dev", "--post-merge", *deployed.kube])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"resolver {deployed.dns.address}):" in out.splitlines()[0]


def test_system_resolver_is_the_first_name_server_of_resolv_conf(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text("search example.internal\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n")
    assert system_resolver_address(str(conf)) == ResolverAddress("192.0.2.53", 53)
    conf.write_text("search example.internal\n")
    with pytest.raises(NoSystemResolver, match=r"no name server in .*; pass --resolver IP\[:PORT\]"):
        system_resolver_address(str(conf))


# --- usage and configuration errors ---------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--post-merge"], "error: --post-merge needs a partition"),
        (["qa", "--post-merge"], "error: unknown partition 'qa'; active: dev, stage, demo, prod"),
        (["qa"], "error: unknown partition 'qa'; active: dev, stage, demo, prod"),
        (["kyle", "--post-merge"], "error: partition 'kyle' is suspended; active: dev, stage, demo, prod"),
        (
            ["dev", "--post-merge", "--resolver", "dns.google"],
            "error: --resolver 'dns.google': expected IP[:PORT]",
        ),
        (
            ["dev", "--profile", "Alpha002-Admin"],
            "error: --profile, --resolver, --kube-context and --kube-namespace need --post-merge",
        ),
        (
            ["dev", "--kube-context", "dev-cluster"],
            "error: --profile, --resolver, --kube-context and --kube-namespace need --post-merge",
        ),
        (["dev", "--post-merge", "--skip-tests"], "error: --skip-tests is a pre-merge option"),
        (
            ["dev", "--post-merge", "--profile", "NoSuchProfile", "--resolver", "127.0.0.1"],
            "error: AWS profile 'NoSuchProfile' not found in your AWS config; pass --profile NAME",
        ),
    ],
)
def test_bad_usage_exits_2_with_one_line_and_runs_nothing(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    message: str,
) -> None:
    _aws_profile(tmp_path, monkeypatch)
    runner = RecordingRunner()
    assert main(argv, root=tmp_path, runner=runner) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(message) and captured.err.count("\n") == 1, captured.err
    assert captured.out == "" and runner.calls == []


def test_a_missing_context_block_names_the_pre_deploy_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "cdk.context.json"
    empty.write_text("{}\n")
    assert main(["dev", "--post-merge", "--resolver", "127.0.0.1", "--context-file", str(empty)]) == 2
    assert capsys.readouterr().err == (
        "error: cdk.context.json has no 'partitionMail:Alpha002:dev'; "
        "run `python -m tools.register_partition_mail_signature Alpha002 dev`\n"
    )


def _run_module(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.validate_exit", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env if env is not None else {**os.environ},
        timeout=60,
    )


def test_help_and_a_usage_error_as_a_process() -> None:
    helped = _run_module("--help", env={**os.environ, "COLUMNS": "200"})
    assert helped.returncode == 0
    assert helped.stdout.startswith(
        "usage: python -m tools.validate_exit [-h] [--post-merge] [--profile NAME]"
    )
    for text in (
        "--resolver IP[:PORT]",
        "--skip-tests",
        "<partition> --post-merge",
        "./scripts/synth -c partition",
    ):
        assert text in helped.stdout, text
    refused = _run_module("qa", "--post-merge")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == "error: unknown partition 'qa'; active: dev, stage, demo, prod\n"


def test_a_process_reaches_aws_through_aws_endpoint_url(deployed: Deployed, tmp_path: Path) -> None:
    """The real entry point, sent to moto (serving the fixture's deploy) by AWS_ENDPOINT_URL alone."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        }
        result = _run_module("dev", "--post-merge", "--resolver", deployed.dns.address, env=env)
    finally:
        server.stop()
    assert result.returncode == 3, result.stdout + result.stderr  # no --kube-context: the ESO row not checked
    assert result.stdout.rstrip().endswith(
        f"{ROWS - 1}/{ROWS} PASS, 1 NOT CHECKED (encryption key in the cluster (ESO))"
    )
    assert result.stderr.startswith("note: Postmark API is")


# --- pre-merge ------------------------------------------------------------------------------


class RecordingRunner:
    """Stands in for subprocess: records argv; fails the commands named in `failing` (by
    executable name, `ruff check`/`ruff format` by sub-command); the synth writes a cloud
    assembly listing `synthesized` stacks (default: every active partition's)."""

    def __init__(self, failing: Sequence[str] = (), synthesized: Sequence[str] | None = None) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.failing = failing
        self.synthesized = (
            synthesized
            if synthesized is not None
            else [f"{p.infrastructure}-{p.name}-Email" for p in active_partitions()]
        )

    @staticmethod
    def command(argv: Sequence[str]) -> str:
        name = Path(argv[0]).name
        return f"{name} {argv[1]}" if name == "ruff" else argv[0] if argv[0].startswith("./") else name

    def __call__(self, argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        self.calls.append(tuple(argv))
        command = self.command(argv)
        if command == "./scripts/synth" and command not in self.failing:
            out = cwd / "cdk.out"
            out.mkdir(exist_ok=True)
            artifacts = {}
            for name in self.synthesized:
                (out / f"{name}.template.json").write_text('{"Resources": {"Zone": {}}}')
                artifacts[name] = {
                    "type": "aws:cloudformation:stack",
                    "properties": {"templateFile": f"{name}.template.json"},
                }
            (out / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))
        if command in self.failing:
            return subprocess.CompletedProcess(list(argv), 1, "checking...\n", f"{command}: it broke here\n")
        return subprocess.CompletedProcess(list(argv), 0, f"{command}: fine\n", "")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root with shell scripts to find (and a node script that is not one)."""
    (tmp_path / "scripts").mkdir()
    (tmp_path / "amm.sh").write_text("#!/usr/bin/env bash\n")
    (tmp_path / "scripts" / "synth").write_text("#!/usr/bin/env bash\n")
    (tmp_path / "scripts" / "env.sh").write_text("# shellcheck shell=bash\n")
    (tmp_path / "scripts" / "helper.cjs").write_text("#!/usr/bin/env node\n")
    return tmp_path


def _pre_merge(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], runner: RecordingRunner
) -> tuple[int, str, str]:
    code = main(argv, root=project, runner=runner, bin_dir=VENV_BIN)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_pre_merge_runs_every_gate_as_an_argv_from_the_project_root(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = RecordingRunner()
    code, out, err = _pre_merge(project, capsys, [], runner)
    assert code == 0, out
    bin_dir = str(VENV_BIN)
    assert runner.calls == [
        (f"{bin_dir}/ruff", "check", "."),
        (f"{bin_dir}/ruff", "format", "--check", "."),
        (f"{bin_dir}/mypy",),
        (f"{bin_dir}/lint-imports", "--no-cache"),
        (
            f"{bin_dir}/shellcheck",
            "--format=gcc",
            "--external-sources",
            "--source-path=SCRIPTDIR",
            "amm.sh",
            "scripts/env.sh",
            "scripts/synth",
        ),
        ("./scripts/test",),
        ("./scripts/synth",),
    ]
    table = rows(out)
    assert list(table) == [
        "ruff check",
        "ruff format",
        "mypy (strict)",
        "import layering",
        "shellcheck",
        "test suite",
        "synth partition stacks",
    ]
    assert table["synth partition stacks"] == (
        "PASS",
        "Alpha002-dev-Email, Alpha002-stage-Email, Alpha001-demo-Email, Alpha001-prod-Email",
    )
    assert table["shellcheck"] == ("PASS", "3 scripts clean: amm.sh, scripts/env.sh, scripts/synth")
    assert out.splitlines()[0] == "pre-merge validation (every active partition):"
    assert out.rstrip().endswith("7/7 PASS")
    assert "validate-exit: running test suite: ./scripts/test" in err


def test_every_pre_merge_command_exists_in_the_project(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The seed's script called an npm script that did not exist; these all do."""
    runner = RecordingRunner()
    _pre_merge(project, capsys, [], runner)
    for argv in runner.calls:
        executable = PROJECT_ROOT / argv[0] if argv[0].startswith("./") else Path(argv[0])
        assert executable.is_file() and os.access(executable, os.X_OK), argv
        assert "npm" not in argv
    assert {"amm.sh", "scripts/env.sh", "scripts/synth", "scripts/test", ".ci/run"} <= set(
        shell_scripts(PROJECT_ROOT)
    )
    assert "scripts/cdk-with-secret-parameter.cjs" not in shell_scripts(PROJECT_ROOT)


def test_a_failing_gate_is_a_fail_row_the_others_still_run_and_the_exit_is_1(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = RecordingRunner(failing=["mypy", "./scripts/test"])
    code, out, _ = _pre_merge(project, capsys, [], runner)
    assert code == 1
    assert len(runner.calls) == 7
    failed = {name: detail for name, (verdict, detail) in rows(out).items() if verdict == "FAIL"}
    assert failed == {
        "mypy (strict)": "exit 1: mypy: it broke here (rerun: mypy)",
        "test suite": "exit 1: ./scripts/test: it broke here (rerun: ./scripts/test)",
    }
    assert out.rstrip().endswith("5/7 PASS")


def test_a_partition_narrows_the_synth_and_skip_tests_drops_the_suite(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = RecordingRunner(synthesized=["PlatformRoot-RootDns", "Alpha002-dev-Email"])
    code, out, _ = _pre_merge(project, capsys, ["dev", "--skip-tests"], runner)
    assert code == 0, out
    assert ("./scripts/test",) not in runner.calls
    assert runner.calls[-1] == ("./scripts/synth", "-c", "partition=dev")
    assert rows(out)["synth partition stacks"] == ("PASS", "Alpha002-dev-Email")
    assert out.splitlines()[0] == "pre-merge validation (partition dev):"
    assert out.rstrip().endswith("6/6 PASS")


def test_a_stale_template_does_not_pass_for_a_fresh_synth(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "cdk.out").mkdir()
    (project / "cdk.out" / "Alpha002-dev-Email.template.json").write_text('{"Resources": {"Old": {}}}')
    runner = RecordingRunner(synthesized=["PlatformRoot-RootDns"])
    code, out, _ = _pre_merge(project, capsys, ["dev", "--skip-tests"], runner)
    assert code == 1
    assert rows(out)["synth partition stacks"] == (
        "FAIL",
        "cdk.out/manifest.json has no Alpha002-dev-Email after `./scripts/synth -c partition=dev`",
    )


def test_a_failing_synth_is_a_fail_row(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _pre_merge(project, capsys, ["--skip-tests"], RecordingRunner(failing=["./scripts/synth"]))
    assert code == 1
    assert rows(out)["synth partition stacks"] == (
        "FAIL",
        "exit 1: ./scripts/synth: it broke here (rerun: ./scripts/synth)",
    )


def test_a_missing_tool_is_exit_127_with_the_set_up_hint(tmp_path: Path) -> None:
    result = run_command([str(tmp_path / "no-such-tool"), "--version"], tmp_path)
    assert result.returncode == 127
    assert result.stderr.endswith(
        "no-such-tool: No such file or directory; run `source scripts/env.sh` to set up the venv and node_modules"
    )

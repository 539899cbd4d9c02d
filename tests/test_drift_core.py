"""The shared drift core against a real loopback DNS server serving the synthesized zones.

Postmark is a small in-process double of the `PostmarkDomainsApi` interface here; the
drivers are exercised end to end (HTTP Postmark simulator, subprocesses) in
test_drift_drivers.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from platform_lib.context_store import PROJECT_ROOT
from platform_lib.dns_text import SPF_VALUE, dkim_txt_value, dmarc_value, split_txt_value
from platform_lib.naming import (
    corporate_zone_name,
    dmarc_host_name,
    dmarc_report_authorization_names,
    partition_zone_name,
)
from platform_lib.placement import corporate_sending_domain_placement, sending_domain_placement
from platform_lib.registry import PostmarkAccount, active_partitions
from tests.support.dns_server import LoopbackDnsServer, publish_delegation, records_from_templates
from tests.synth import Synthesized
from tools.checks.catalogue import ExpectedDomain
from tools.checks.findings import Status
from tools.checks.probes import PostmarkDirectory, Sources
from tools.checks.report import CheckReport as DriftReport
from tools.checks.report import evaluate
from tools.checks.runner import run_probes
from tools.dns.probe import DnsProbe, parse_resolver
from tools.drift.expected import (
    DriftConfigError,
    corporate_expected_domains,
    load_context_file,
    partition_expected_domains,
)
from tools.drift.render import render_json, render_markdown, render_table
from tools.postmark.client import DomainSummary, PostmarkDomain

CONTEXT_FILE = PROJECT_ROOT / "cdk.context.json"
OTHER_KEY = (  # a real RSA-2048 key other than any in cdk.context.json
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAkR6nMW9sbM0N4IZn6KMiHXAXLLT2Xm4L00/4DH7kSr0hP06Qaory/mDWroCs"
    "fySXbjDLo7AUfokgjWzcoaPESxzzyS0x9d7ulqA9xSoPpgsw3rvcxJts/+O7H7SG3RkwoIJcaSDSgNP+GOWFSrseHnWWowdzGPW+M2pz"
    "794T/7nmcljJ5uMIXyeYbxShm8XPTvSub+6w2U/VM8SdvP97sSmBRT76O7LT0vhzoBZ12T6TLQBKNvUF3cOUEWji78i+Gv1byzuarFjY"
    "Ct8YVL21lgZvZJqxKq272xqebDMoa1nPFLQWex0XX4FZCDnJrGN/iWgzH8ILZNKNX9TFKPRM2wIDAQAB"
)
THIRD_KEY = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA4uxpcaPMdx6ueE1NQ2+MxDStXaphCmPJ2E4bqhymCdyQ+qc8m0UQYoijNdZj"
    "69LNluJ/XWYB1maRJrmSRk5aPxQqdozGBCENAmlduvTE6VPye6qQYp9+9AMqEs2jc1xRkl5WEBqXbfl9MNRdwo/pvsbHMfL0xpfffAXC"
    "4bISvH/3DBL1f7f21X3eYnpT5mpNTNjltUpYIs3D7RhFsaYdE6KvOpuCsxs+ksdyp/jgDggUEmkfJI17CEBFmai8O57TNVsvCTPbX1LM"
    "b7AjZkTZ07QaRr/Oa83+cu5ZwMXtyeGShYgACEBm4PJ85B5YbKRz6ztBYiAECxMa7oMJDWJSOQIDAQAB"
)
CORPORATE_SELECTOR = "20250101000000pm"


class FakeDomainsApi:
    """In-process `PostmarkDomainsApi`: domains by id; optional failure or delay."""

    def __init__(self) -> None:
        self.domains: dict[int, dict[str, Any]] = {}
        self.failure: Exception | None = None
        self.delay = 0.0

    def add(self, **fields: Any) -> dict[str, Any]:
        domain_id = len(self.domains) + 1
        self.domains[domain_id] = {"ID": domain_id, **fields}
        return self.domains[domain_id]

    def _serve(self) -> None:
        if self.delay:
            time.sleep(self.delay)
        if self.failure:
            raise self.failure

    def list_domains(self) -> list[DomainSummary]:
        self._serve()
        return [DomainSummary.from_api({"ID": d["ID"], "Name": d["Name"]}) for d in self.domains.values()]

    def get_domain(self, domain_id: int) -> PostmarkDomain:
        self._serve()
        return PostmarkDomain.from_api(dict(self.domains[domain_id]))


def postmark_record(zone: str, host: str, key: str, return_path_host: str) -> dict[str, Any]:
    return {
        "Name": zone,
        "DKIMHost": host,
        "DKIMTextValue": dkim_txt_value(key),
        "DKIMPendingHost": "",
        "DKIMPendingTextValue": "",
        "DKIMVerified": True,
        "ReturnPathDomain": return_path_host,
        "ReturnPathDomainCNAMEValue": "pm.mtasv.net",
        "ReturnPathDomainVerified": True,
    }


@pytest.fixture
def partitions_expected() -> list[ExpectedDomain]:
    return partition_expected_domains(CONTEXT_FILE)


@pytest.fixture
def apis(partitions_expected: list[ExpectedDomain]) -> dict[PostmarkAccount, FakeDomainsApi]:
    """Both accounts holding exactly what cdk.context.json and the placement say."""
    result = {account: FakeDomainsApi() for account in PostmarkAccount}
    for expected in partitions_expected:
        placement = expected.signing
        result[expected.domain.postmark_account].add(
            **postmark_record(
                placement.postmark_domain_name,
                placement.dkim_host_name,
                expected.block.dkim_public_key,
                placement.return_path_host_name,
            )
        )
    return result


@pytest.fixture
def dns(synthesized: Synthesized) -> Iterator[LoopbackDnsServer]:
    """A real DNS server on loopback answering with the synthesized zones' records."""
    with LoopbackDnsServer() as server:
        load_zones(server, synthesized)
        yield server


def load_zones(server: LoopbackDnsServer, synthesized: Synthesized) -> None:
    """The synthesized stacks' records, plus what arda.cards publishes for DMARC reports."""
    table = records_from_templates(synthesized.templates())
    for name in table.names():
        for rtype in ("NS", "TXT", "CNAME", "A"):
            values = table.get(name, rtype)
            if values:
                server.records.put(name, rtype, values)
    authorize_dmarc_reports(
        server, [*(partition_zone_name(p) for p in active_partitions()), corporate_zone_name()]
    )


def authorize_dmarc_reports(server: LoopbackDnsServer, zones: list[str]) -> None:
    """The records arda.cards publishes so receivers send it reports for `zones` (RFC 7489 §7.1)."""
    for zone in zones:
        server.records.put(dmarc_report_authorization_names(zone)[0], "TXT", [["v=DMARC1"]])


def run(
    expected: list[ExpectedDomain],
    apis: Mapping[PostmarkAccount, FakeDomainsApi],
    dns: LoopbackDnsServer,
    timeout: float = 3.0,
) -> DriftReport:
    probe = DnsProbe(parse_resolver(dns.address), timeout, authoritative_port=dns.port)
    return evaluate("test-drift", expected, Sources(probe, PostmarkDirectory(apis)), timeout=timeout)


def failures(report: DriftReport) -> dict[tuple[str, str], str]:
    return {(f.domain, f.check): f.message for f in report.failures}


def dev() -> Any:
    (part,) = [p for p in active_partitions() if p.name == "dev"]
    context = load_context_file(CONTEXT_FILE)["partitionMail:Alpha002:dev"]
    return part, sending_domain_placement("dev", context["dkimSelector"]), context


def test_clean_state_has_no_findings_to_report(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    report = run(partitions_expected, apis, dns)
    assert report.clean, render_table(report, failures_only=True)
    assert set(report.domains) == {partition_zone_name(p) for p in active_partitions()}
    checks = {f.check for f in report.findings if f.domain == "dev.ardamails.com"}
    assert {
        "postmark.domain",
        "postmark.name",
        "postmark.dkim_host",
        "postmark.return_path_domain",
        "postmark.dkim_verified",
        "postmark.return_path_verified",
        "dns.delegation",
        "dns.spf",
        "dns.dmarc",
        "dns.dkim",
        "dns.return_path",
        "cross.dkim_key.postmark_context",
        "cross.dkim_key.postmark_dns",
        "cross.return_path.postmark_context",
        "cross.return_path.postmark_dns",
    } <= checks


def test_missing_dkim_record(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    _, placement, _ = dev()
    dns.records.delete(placement.dkim_host_name, "TXT")
    found = failures(run(partitions_expected, apis, dns))
    assert found == {
        (
            "dev.ardamails.com",
            "dns.dkim",
        ): f"missing DKIM record: no TXT at {placement.dkim_host_name} (NXDOMAIN)"
    }


def test_wrong_dkim_key_in_dns(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    _, placement, _ = dev()
    dns.records.put(placement.dkim_host_name, "TXT", [split_txt_value(dkim_txt_value(OTHER_KEY))])
    found = failures(run(partitions_expected, apis, dns))
    assert set(found) == {
        ("dev.ardamails.com", "dns.dkim"),
        ("dev.ardamails.com", "cross.dkim_key.postmark_dns"),
    }
    assert found[("dev.ardamails.com", "dns.dkim")].startswith(
        f"wrong DKIM key at {placement.dkim_host_name}: DNS has p="
    )
    assert "cdk.context.json 'partitionMail:Alpha002:dev'" in found[("dev.ardamails.com", "dns.dkim")]


def test_dkim_strings_joined_with_a_space_are_split_wrongly(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    _, placement, context = dev()
    first, second = split_txt_value(dkim_txt_value(context["dkimPublicKey"]), 200)
    dns.records.put(placement.dkim_host_name, "TXT", [[first + " ", second]])
    found = failures(run(partitions_expected, apis, dns))
    message = found[("dev.ardamails.com", "dns.dkim")]
    assert "is split wrongly" in message and "string 1 ends with ' '" in message


def test_dkim_published_with_literal_quotes_is_split_wrongly(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    _, placement, context = dev()
    first, second = split_txt_value(dkim_txt_value(context["dkimPublicKey"]), 200)
    dns.records.put(placement.dkim_host_name, "TXT", [[f'"{first}"', f'"{second}"']])
    message = failures(run(partitions_expected, apis, dns))[("dev.ardamails.com", "dns.dkim")]
    assert "is split wrongly" in message and "string 1 starts with '\"'" in message


def test_dkim_split_so_that_joining_differs(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    _, placement, context = dev()
    first, second = split_txt_value(dkim_txt_value(context["dkimPublicKey"]))
    dns.records.put(placement.dkim_host_name, "TXT", [[first[:-1], second]])  # a character lost at the cut
    message = failures(run(partitions_expected, apis, dns))[("dev.ardamails.com", "dns.dkim")]
    key_length = len(context["dkimPublicKey"])
    assert f"({key_length - 1} chars)" in message and f"({key_length} chars)" in message


def test_wrong_return_path_target(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    _, placement, _ = dev()
    dns.records.put(placement.return_path_host_name, "CNAME", ["bounces.example.net"])
    found = failures(run(partitions_expected, apis, dns))
    assert found[("dev.ardamails.com", "dns.return_path")] == (
        f"Return-Path CNAME {placement.return_path_host_name} points at bounces.example.net; "
        "cdk.context.json 'partitionMail:Alpha002:dev' expects pm.mtasv.net"
    )
    assert ("dev.ardamails.com", "cross.return_path.postmark_dns") in found


def test_zone_not_delegated(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    dns.records.delete("stage.ardamails.com", "NS")
    found = failures(run(partitions_expected, apis, dns))
    assert found == {
        (
            "stage.ardamails.com",
            "dns.delegation",
        ): "zone stage.ardamails.com is not delegated: NS query returned no records"
    }


def test_postmark_name_mismatch_leaf_registered_instead(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    (record,) = [
        d for d in apis[PostmarkAccount.NON_PROD].domains.values() if d["Name"] == "dev.ardamails.com"
    ]
    record["Name"] = "mail.dev.ardamails.com"
    found = failures(run(partitions_expected, apis, dns))
    assert found[("dev.ardamails.com", "postmark.name")] == (
        "PostmarkNonProd has no domain named dev.ardamails.com; found 'mail.dev.ardamails.com' instead "
        "(placement expects Name 'dev.ardamails.com')"
    )


def test_postmark_domain_missing_names_the_account(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    prod = apis[PostmarkAccount.PROD]
    prod.domains = {k: v for k, v in prod.domains.items() if v["Name"] != "prod.ardamails.com"}
    found = failures(run(partitions_expected, apis, dns))
    assert found == {
        (
            "prod.ardamails.com",
            "postmark.domain",
        ): "no domain prod.ardamails.com on PostmarkProd (domains there: demo.ardamails.com); "
        "run `python -m tools.register_partition_mail_signature Alpha001 prod`"
    }


def test_pending_dkim_host_not_matching_the_selector(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    _, placement, context = dev()
    (record,) = [
        d for d in apis[PostmarkAccount.NON_PROD].domains.values() if d["Name"] == "dev.ardamails.com"
    ]
    record.update(
        DKIMHost="",
        DKIMTextValue="",
        DKIMPendingHost="20991231000000pm._domainkey.dev.ardamails.com",
        DKIMPendingTextValue=dkim_txt_value(context["dkimPublicKey"]),
        DKIMVerified=False,
    )
    found = failures(run(partitions_expected, apis, dns))
    assert found[("dev.ardamails.com", "postmark.dkim_host")] == (
        "DKIMPendingHost '20991231000000pm._domainkey.dev.ardamails.com' does not match selector "
        f"'{context['dkimSelector']}' from cdk.context.json 'partitionMail:Alpha002:dev' "
        f"(placement: '{placement.dkim_host_name}')"
    )
    assert found[("dev.ardamails.com", "postmark.dkim_verified")] == (
        "Postmark reports DKIM not verified for dev.ardamails.com on PostmarkNonProd; "
        "run `python -m tools.verify_partition_mail Alpha002 dev`"
    )


def test_postmark_unverified(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    (record,) = [d for d in apis[PostmarkAccount.PROD].domains.values() if d["Name"] == "demo.ardamails.com"]
    record.update(DKIMVerified=False, ReturnPathDomainVerified=False)
    found = failures(run(partitions_expected, apis, dns))
    assert found == {
        (
            "demo.ardamails.com",
            "postmark.dkim_verified",
        ): "Postmark reports DKIM not verified for demo.ardamails.com on PostmarkProd; "
        "run `python -m tools.verify_partition_mail Alpha001 demo`",
        (
            "demo.ardamails.com",
            "postmark.return_path_verified",
        ): "Postmark reports Return-Path pm-bounces.demo.ardamails.com not verified; "
        "run `python -m tools.verify_partition_mail Alpha001 demo`",
    }


def test_postmark_key_differs_from_context(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    (record,) = [d for d in apis[PostmarkAccount.PROD].domains.values() if d["Name"] == "prod.ardamails.com"]
    record["DKIMTextValue"] = dkim_txt_value(THIRD_KEY)
    found = failures(run(partitions_expected, apis, dns))
    assert set(found) == {
        ("prod.ardamails.com", "cross.dkim_key.postmark_context"),
        ("prod.ardamails.com", "cross.dkim_key.postmark_dns"),
    }
    assert found[("prod.ardamails.com", "cross.dkim_key.postmark_context")].startswith(
        "Postmark DKIMTextValue p="
    )


def test_postmark_unreachable_is_reported_and_dns_still_checked(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    apis[PostmarkAccount.NON_PROD].failure = ConnectionError("connection refused")
    report = run(partitions_expected, apis, dns)
    found = failures(report)
    assert found == {
        (
            "dev.ardamails.com",
            "postmark.domain",
        ): "Postmark not checked: PostmarkNonProd: connection refused",
        (
            "stage.ardamails.com",
            "postmark.domain",
        ): "Postmark not checked: PostmarkNonProd: connection refused",
    }
    assert {f.status for f in report.failures} == {Status.ERROR}
    assert not report.drifted and not report.clean, "could not check: neither drift nor clean"
    dev_dns = [f for f in report.findings if f.domain == "dev.ardamails.com" and f.check.startswith("dns.")]
    assert len(dev_dns) == 7 and all(not f.failed for f in dev_dns)


def test_slow_postmark_times_out_without_hiding_other_results(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    apis[PostmarkAccount.PROD].delay = 5.0
    started = time.monotonic()
    report = run(partitions_expected, apis, dns, timeout=0.5)
    assert time.monotonic() - started < 2.5
    found = failures(report)
    assert found == {
        ("demo.ardamails.com", "postmark.domain"): "Postmark not checked: timed out after 0.5s",
        ("prod.ardamails.com", "postmark.domain"): "Postmark not checked: timed out after 0.5s",
    }
    assert sum(1 for f in report.findings if f.domain == "dev.ardamails.com" and not f.failed) >= 15


def test_slow_dns_times_out_per_probe(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    dns.latency_seconds = 2.0
    report = run(partitions_expected, apis, dns, timeout=0.5)
    dns_failures = [f for f in report.failures if f.seam.value == "dns"]
    assert len(dns_failures) == 24 and all(f.status is Status.ERROR for f in dns_failures)
    assert all("within 0.5s" in f.message or "timed out" in f.message for f in dns_failures)
    assert not [f for f in report.failures if f.seam.value == "postmark"]


def test_renderings(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    dns.records.delete("stage.ardamails.com", "NS")
    report = run(partitions_expected, apis, dns)
    data = json.loads(render_json(report))
    assert data["clean"] is False and data["counts"]["drift"] == 1
    assert {"domain", "seam", "check", "status", "message"} == set(data["findings"][0])
    markdown = render_markdown(report)
    assert markdown.startswith("## test-drift: Drift detected")
    assert "| `stage.ardamails.com` | `dns.delegation` | DRIFT |" in markdown.split("<details>")[0]
    table = render_table(report)
    assert "DRIFT DETECTED" in table.splitlines()[-1]


def test_malformed_context_is_a_configuration_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = load_context_file(CONTEXT_FILE)
    data["partitionMail:Alpha002:dev"]["dkimPublicKey"] = "not-a-key"
    bad = tmp_path / "cdk.context.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(DriftConfigError, match=r"'partitionMail:Alpha002:dev' is malformed"):
        partition_expected_domains(bad)


# --- corporate: the corporate block, as for partitions, plus the Free Kanban Tool's leaf ----


CORPORATE_BLOCK = {
    "dkimSelector": CORPORATE_SELECTOR,
    "dkimPublicKey": OTHER_KEY,
    "returnPathTarget": "pm.mtasv.net",
}
LEAF = "freekanban.arda.ardamails.com"


@pytest.fixture
def corporate(
    dns: LoopbackDnsServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[ExpectedDomain], dict[PostmarkAccount, FakeDomainsApi]]:
    context_file = tmp_path_factory.mktemp("corporate") / "cdk.context.json"
    context_file.write_text(json.dumps({"corporateMail:PlatformRoot:arda": CORPORATE_BLOCK}))
    expected = corporate_expected_domains(context_file)
    placement = corporate_sending_domain_placement(CORPORATE_SELECTOR)
    zone = placement.postmark_domain_name
    publish_delegation(dns.records, zone)
    for name in (zone, LEAF):
        dns.records.put(name, "TXT", [[SPF_VALUE]])
        dns.records.put(dmarc_host_name(name), "TXT", [[dmarc_value()]])
    dns.records.put(placement.dkim_host_name, "TXT", [split_txt_value(dkim_txt_value(OTHER_KEY))])
    dns.records.put(placement.return_path_host_name, "CNAME", ["pm.mtasv.net"])
    authorize_dmarc_reports(dns, [zone, LEAF])
    api = FakeDomainsApi()
    api.add(Name=LEAF, DKIMHost="x._domainkey.freekanban.arda.ardamails.com")
    api.add(**postmark_record(zone, placement.dkim_host_name, OTHER_KEY, placement.return_path_host_name))
    return expected, {PostmarkAccount.PROD: api}


def test_corporate_clean(corporate, dns) -> None:  # type: ignore[no-untyped-def]
    expected, apis = corporate
    report = run(expected, apis, dns)
    assert report.clean, render_table(report, failures_only=True)
    assert report.domains == ("arda.ardamails.com", LEAF)
    assert {f.check for f in report.findings if f.domain == LEAF} == {
        "dns.spf",
        "dns.dmarc",
        "dns.dmarc_report_authorization",
    }


def test_corporate_dkim_anchored_at_a_leaf_is_drift(corporate, dns) -> None:  # type: ignore[no-untyped-def]
    expected, apis = corporate
    record = apis[PostmarkAccount.PROD].domains[2]
    record["DKIMHost"] = f"{CORPORATE_SELECTOR}._domainkey.{LEAF}"
    found = failures(run(expected, apis, dns))
    assert found[("arda.ardamails.com", "postmark.dkim_host")].startswith(
        f"DKIMHost '{CORPORATE_SELECTOR}._domainkey.{LEAF}' does not match selector '{CORPORATE_SELECTOR}'"
    )


def test_corporate_dns_key_must_equal_the_block(corporate, dns) -> None:  # type: ignore[no-untyped-def]
    expected, apis = corporate
    placement = corporate_sending_domain_placement(CORPORATE_SELECTOR)
    dns.records.put(placement.dkim_host_name, "TXT", [split_txt_value(dkim_txt_value(THIRD_KEY))])
    found = failures(run(expected, apis, dns))
    assert set(found) == {
        ("arda.ardamails.com", "dns.dkim"),
        ("arda.ardamails.com", "cross.dkim_key.postmark_dns"),
    }
    assert found[("arda.ardamails.com", "dns.dkim")].startswith("wrong DKIM key at")


def test_a_leaf_without_its_own_dmarc_is_drift(corporate, dns) -> None:  # type: ignore[no-untyped-def]
    """RFC 7489 looks DMARC up at the From domain, then at ardamails.com - never at arda.ardamails.com."""
    expected, apis = corporate
    dns.records.delete(dmarc_host_name(LEAF), "TXT")
    found = failures(run(expected, apis, dns))
    assert found == {(LEAF, "dns.dmarc"): f"no DMARC record at _dmarc.{LEAF} (NXDOMAIN)"}


def test_corporate_postmark_down_still_checks_dns(corporate, dns) -> None:  # type: ignore[no-untyped-def]
    expected, apis = corporate
    apis[PostmarkAccount.PROD].failure = ConnectionError("boom")
    report = run(expected, apis, dns)
    assert set(failures(report)) == {("arda.ardamails.com", "postmark.domain")}
    ok_checks = {f.check for f in report.findings if not f.failed and f.domain == "arda.ardamails.com"}
    assert {"dns.delegation", "dns.spf", "dns.dmarc", "dns.dkim", "dns.return_path"} <= ok_checks


# --- runner -------------------------------------------------------------------------------


def test_runner_replaces_a_stuck_worker_so_queued_probes_still_run() -> None:
    release = threading.Event()
    outcomes = run_probes(
        {"stuck": lambda: release.wait(10), "next": lambda: "ran", "boom": lambda: 1 / 0},
        timeout=0.3,
        workers=1,
    )
    release.set()
    assert outcomes["stuck"].failure == "timed out after 0.3s"
    assert outcomes["next"].value == "ran"
    assert outcomes["boom"].failure == "division by zero"


def test_missing_dmarc_report_authorization_names_the_record_to_add(partitions_expected, apis, dns) -> None:  # type: ignore[no-untyped-def]
    dns.records.delete("dev.ardamails.com._report._dmarc.arda.cards", "TXT")
    report = run(partitions_expected, apis, dns)
    assert report.clean, "a warning holds nothing back"
    (warning,) = report.warnings
    assert (warning.domain, warning.check, warning.status) == (
        "dev.ardamails.com",
        "dns.dmarc_report_authorization",
        Status.WARN,
    )
    message = warning.message
    table = render_table(report)
    assert "clean (1 warning(s))" in table.splitlines()[-1] and "WARN" in table
    assert "### Warnings (they hold nothing back)" in render_markdown(report)
    assert (
        'arda.cards (not managed here) must publish TXT "v=DMARC1" at dev.ardamails.com._report._dmarc.arda.cards'
        in message
    )
    assert "(or *._report._dmarc.arda.cards)" in message

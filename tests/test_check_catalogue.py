"""Each check of the catalogue, alone: one passing and one failing case per `CheckId`, on
observations built by hand (the probes' own behaviour is tested with real DNS, Postmark and
AWS stand-ins elsewhere). A check without both cases fails `test_every_check_has_a_pass_and_a_fail`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from platform_lib.context_block import DkimKey
from platform_lib.context_store import PROJECT_CONTEXT_FILE, read_context
from platform_lib.dns_text import SPF_VALUE, dkim_txt_value, dmarc_value, split_txt_value
from platform_lib.naming import ExportKey, encryption_key_secret_name, export_name
from platform_lib.registry import PostmarkAccount, get_partition
from platform_lib.sending_domain import partition_sending_domain
from tests.support.dns_server import route53_name_servers
from tests.test_drift_core import OTHER_KEY
from tools.checks.catalogue import CATALOGUE, CheckId, ExpectedDomain, Observations, Probe, Tag, selected
from tools.checks.findings import Finding, Status
from tools.checks.probes import PostmarkLookup
from tools.checks.runner import Outcome
from tools.dns.probe import DnsAnswer
from tools.kube.kubectl import ExternalSecretState
from tools.postmark.client import PostmarkDomain

DEV = get_partition("dev")
DOMAIN = partition_sending_domain(DEV)
EXPECTED = ExpectedDomain(DOMAIN, DOMAIN.block_in(read_context(PROJECT_CONTEXT_FILE)))
SIGNING = EXPECTED.signing
ZONE = DOMAIN.zone_name
NAME_SERVERS = route53_name_servers(ZONE)


def _txt(name: str, *values: str) -> DnsAnswer:
    return DnsAnswer(name, "TXT", tuple(tuple(split_txt_value(v)) for v in values))


def _postmark(**fields: Any) -> PostmarkDomain:
    record = {
        "ID": 7,
        "Name": ZONE,
        "DKIMHost": SIGNING.dkim_host_name,
        "DKIMTextValue": dkim_txt_value(EXPECTED.block.dkim_public_key),
        "DKIMVerified": True,
        "ReturnPathDomain": SIGNING.return_path_host_name,
        "ReturnPathDomainCNAMEValue": "pm.mtasv.net",
        "ReturnPathDomainVerified": True,
        **fields,
    }
    return PostmarkDomain.from_api(record)


def _good() -> dict[Probe, Outcome[Any]]:
    """Every probe answering what the block says (what a healthy deploy looks like)."""
    secrets = {name: {"VersionIdsToStages": {"v1": ["AWSCURRENT"]}} for name in DOMAIN.secret_names}
    return {
        Probe.POSTMARK: Outcome(PostmarkLookup(PostmarkAccount.NON_PROD, _postmark(), True, (ZONE,))),
        Probe.NS: Outcome(DnsAnswer(ZONE, "NS", tuple((n,) for n in NAME_SERVERS))),
        Probe.PARENT_NS: Outcome({"ns-1.awsdns-01.com": tuple(sorted(NAME_SERVERS))}),
        Probe.HOSTED_NS: Outcome(frozenset(NAME_SERVERS)),
        Probe.APEX_TXT: Outcome(_txt(ZONE, SPF_VALUE)),
        Probe.DMARC_TXT: Outcome(_txt(f"_dmarc.{ZONE}", dmarc_value())),
        Probe.DMARC_REPORT: Outcome(_txt(f"{ZONE}._report._dmarc.arda.cards", "v=DMARC1")),
        Probe.DKIM_TXT: Outcome(_txt(SIGNING.dkim_host_name, dkim_txt_value(EXPECTED.block.dkim_public_key))),
        Probe.RETURN_PATH: Outcome(DnsAnswer(SIGNING.return_path_host_name, "CNAME", (("pm.mtasv.net",),))),
        Probe.ROTATION_TXT: Outcome({}),
        Probe.STACK: Outcome(
            {
                "StackStatus": "CREATE_COMPLETE",
                "Outputs": [{"ExportName": export_name(DEV, key)} for key in ExportKey],
            }
        ),
        Probe.SECRETS: Outcome(secrets),
        Probe.EXTERNAL_SECRET: Outcome(_external_secret()),
    }


def _external_secret(**fields: Any) -> ExternalSecretState:
    return dataclasses.replace(
        ExternalSecretState(
            name="email-encryption-key-current",
            found=True,
            ready_status="True",
            reason="SecretSynced",
            remote_keys=(encryption_key_secret_name(DEV),),
            target="email-encryption-key-current",
            target_exists=True,
        ),
        **fields,
    )


def _with(probe: Probe, value: Any) -> dict[Probe, Outcome[Any]]:
    outcomes = _good()
    outcomes[probe] = Outcome(value)
    return outcomes


def _without(probe: Probe) -> dict[Probe, Outcome[Any]]:
    outcomes = _good()
    del outcomes[probe]
    return outcomes


def _postmark_with(**fields: Any) -> dict[Probe, Outcome[Any]]:
    return _with(Probe.POSTMARK, PostmarkLookup(PostmarkAccount.NON_PROD, _postmark(**fields), True, (ZONE,)))


PENDING = DkimKey("20270101000000pm", OTHER_KEY, "DkimNext")
ROTATING = ExpectedDomain(DOMAIN, dataclasses.replace(EXPECTED.block, pending=PENDING))

# check id -> (expected domain, outcomes) for a pass, and for a fail with a word of its message
Case = tuple[ExpectedDomain, dict[Probe, Outcome[Any]]]
PASSES: dict[CheckId, Case] = {check_id: (EXPECTED, _good()) for check_id in CheckId}
PASSES[CheckId.DNS_DELEGATION] = (EXPECTED, _without(Probe.HOSTED_NS))  # the parent's evidence
PASSES[CheckId.ROTATION_DNS] = (
    ROTATING,
    _with(Probe.ROTATION_TXT, {PENDING.selector: _txt("x", dkim_txt_value(OTHER_KEY))}),
)
FAILS: dict[CheckId, tuple[Case, str]] = {
    CheckId.KUBE_ENCRYPTION_KEY: (
        (
            EXPECTED,
            _with(Probe.EXTERNAL_SECRET, _external_secret(ready_status="False", reason="SecretSyncedError")),
        ),
        "is not synced (Ready=False, reason SecretSyncedError)",
    ),
    CheckId.AWS_STACK_STATUS: (
        (EXPECTED, _with(Probe.STACK, {"StackStatus": "UPDATE_ROLLBACK_COMPLETE"})),
        "expected CREATE_COMPLETE",
    ),
    CheckId.POSTMARK_DOMAIN: (
        (EXPECTED, _with(Probe.POSTMARK, PostmarkLookup(PostmarkAccount.NON_PROD, None, False, ()))),
        "no domain dev.ardamails.com",
    ),
    CheckId.POSTMARK_NAME: (
        (EXPECTED, _postmark_with(Name="DEV.ardamails.com")),
        "differs from the placement",
    ),
    CheckId.POSTMARK_DKIM_HOST: (
        (EXPECTED, _postmark_with(DKIMHost="x._domainkey.dev.ardamails.com")),
        "does not match",
    ),
    CheckId.POSTMARK_RETURN_PATH_DOMAIN: (
        (EXPECTED, _postmark_with(ReturnPathDomain="bounces.example.com")),
        "differs",
    ),
    CheckId.POSTMARK_DKIM_VERIFIED: ((EXPECTED, _postmark_with(DKIMVerified=False)), "DKIM not verified"),
    CheckId.POSTMARK_RETURN_PATH_VERIFIED: (
        (EXPECTED, _postmark_with(ReturnPathDomainVerified=False)),
        "not verified",
    ),
    CheckId.DNS_DELEGATION: (
        (EXPECTED, _with(Probe.NS, DnsAnswer(ZONE, "NS", (("ns1.attacker.example",),)))),
        "its hosted zone's delegation set is",
    ),
    CheckId.DNS_SPF: (
        (EXPECTED, _with(Probe.APEX_TXT, _txt(ZONE, "v=spf1 -all"))),
        "does not include Postmark",
    ),
    CheckId.DNS_DMARC: ((EXPECTED, _with(Probe.DMARC_TXT, _txt(f"_dmarc.{ZONE}"))), "no DMARC record"),
    CheckId.DNS_DMARC_REPORT_AUTHORIZATION: (
        (EXPECTED, _with(Probe.DMARC_REPORT, _txt("x"))),
        "are not authorized",
    ),
    CheckId.DNS_DKIM: (
        (EXPECTED, _with(Probe.DKIM_TXT, _txt(SIGNING.dkim_host_name, dkim_txt_value(OTHER_KEY)))),
        "wrong DKIM key",
    ),
    CheckId.DNS_RETURN_PATH: (
        (EXPECTED, _with(Probe.RETURN_PATH, DnsAnswer("x", "CNAME", (("elsewhere.example",),)))),
        "points at elsewhere.example",
    ),
    CheckId.CROSS_DKIM_KEY_POSTMARK_CONTEXT: (
        (EXPECTED, _postmark_with(DKIMTextValue=dkim_txt_value(OTHER_KEY))),
        "differs from cdk.context.json",
    ),
    CheckId.CROSS_DKIM_KEY_POSTMARK_DNS: (
        (EXPECTED, _with(Probe.DKIM_TXT, _txt(SIGNING.dkim_host_name, dkim_txt_value(OTHER_KEY)))),
        "is not what DNS",
    ),
    CheckId.CROSS_RETURN_PATH_POSTMARK_CONTEXT: (
        (EXPECTED, _postmark_with(ReturnPathDomainCNAMEValue="other.mtasv.net")),
        "differs from cdk.context.json",
    ),
    CheckId.CROSS_RETURN_PATH_POSTMARK_DNS: (
        (EXPECTED, _with(Probe.RETURN_PATH, DnsAnswer("x", "CNAME", (("elsewhere.example",),)))),
        "differs from DNS",
    ),
    CheckId.ROTATION_DNS: ((ROTATING, _with(Probe.ROTATION_TXT, {})), "is not published"),
    CheckId.ROTATION_POSTMARK: ((ROTATING, _good()), "is none Postmark has"),
    CheckId.AWS_SECRETS: (
        (EXPECTED, _with(Probe.SECRETS, {DOMAIN.secret_names[0]: None})),
        "does not exist",
    ),
    CheckId.AWS_EXPORTS: ((EXPECTED, _with(Probe.STACK, {"StackStatus": "CREATE_COMPLETE"})), "missing"),
}


def _judge(check_id: CheckId, case: Case) -> Finding:
    expected, outcomes = case
    finding = CATALOGUE[check_id].judge(expected, Observations(outcomes))
    assert finding is not None, f"{check_id} did not judge"
    assert finding.check == check_id
    return finding


def test_every_check_has_a_pass_and_a_fail() -> None:
    assert set(CATALOGUE) == set(CheckId), "every id is registered by its seam module"
    assert set(FAILS) == set(CheckId)


@pytest.mark.parametrize("check_id", list(CheckId), ids=str)
def test_the_check_passes_on_a_healthy_deploy(check_id: CheckId) -> None:
    finding = _judge(check_id, PASSES[check_id])
    assert finding.status is Status.OK, finding.message


@pytest.mark.parametrize("check_id", list(CheckId), ids=str)
def test_the_check_fails_on_its_own_breakage(check_id: CheckId) -> None:
    case, words = FAILS[check_id]
    finding = _judge(check_id, case)
    advisory = check_id is CheckId.DNS_DMARC_REPORT_AUTHORIZATION  # another team's record: a warning
    assert finding.status is (Status.WARN if advisory else Status.DRIFT), finding.message
    assert finding.failed is not advisory
    assert words in finding.message


def test_a_probe_that_failed_is_an_error_not_drift() -> None:
    outcomes = _good()
    outcomes[Probe.APEX_TXT] = Outcome(failure="DNS TXT dev.ardamails.com @8.8.8.8:53: no answer within 5s")
    finding = _judge(CheckId.DNS_SPF, (EXPECTED, outcomes))
    assert finding.status is Status.ERROR and "no answer within 5s" in finding.message


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (lambda: selected(tags=[Tag.LIVE]), {"postmark.domain", "dns.delegation", "dns.dkim"}),
        (lambda: selected(leaf=True), {"dns.spf", "dns.dmarc", "dns.dmarc_report_authorization"}),
    ],
)
def test_tools_select_checks_by_tag(selection: Callable[[], Any], expected: set[str]) -> None:
    chosen = {str(c.id) for c in selection()}
    assert expected <= chosen
    if expected == {"dns.spf", "dns.dmarc", "dns.dmarc_report_authorization"}:
        assert chosen == expected


def test_drift_without_aws_runs_no_aws_check() -> None:
    from tools.checks.catalogue import AWS_PROBES

    chosen = {c.id for c in selected(without=AWS_PROBES)}
    assert CheckId.DNS_DELEGATION in chosen
    assert not chosen & {CheckId.AWS_STACK_STATUS, CheckId.AWS_SECRETS, CheckId.AWS_EXPORTS}
    assert datetime.now(UTC)  # (the catalogue is pure: no clock, no network)

"""DKIM key rotation through the pre-deploy CLI, the block format and the stack (ADR-0022):
at every step the key Postmark signs with is in the block, every key keeps its record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from platform_lib.context_block import KeyRole, MalformedContextBlock, with_keys
from platform_lib.context_store import PROJECT_ROOT
from platform_lib.dns_text import dkim_public_key_of
from platform_lib.registry import get_partition
from platform_lib.sending_domain import partition_sending_domain
from tests.conftest import NONPROD_TOKEN
from tests.support.context import read_partition_mail_context
from tests.support.postmark_simulator import PostmarkSimulator, SimulatedDomain
from tests.synth import project_context
from tools.register_partition_mail_signature import main

DEV = get_partition("dev")
ZONE = "dev.ardamails.com"


@pytest.fixture
def context_file(tmp_path: Path) -> Path:
    path = tmp_path / "cdk.context.json"
    path.write_bytes((PROJECT_ROOT / "cdk.context.json").read_bytes())
    return path


def run(postmark: PostmarkSimulator, context_file: Path, *args: str) -> int:
    env = {"POSTMARK_API_URL": postmark.url, "POSTMARK_ACCOUNT_TOKEN": NONPROD_TOKEN}
    return main(["Alpha002", "dev", "--context-file", str(context_file), *args], env)


def key_of(host: str, value: str) -> tuple[str, str]:
    return host.split(".", 1)[0], dkim_public_key_of(value) or ""


def published(context_file: Path) -> dict[str, tuple[str, str, str]]:
    """role -> (record, selector, key) of the block."""
    block = read_partition_mail_context(context_file, DEV)
    return {role.value: (key.record, key.selector, key.public_key) for role, key in block.dkim_keys()}


def verified(postmark: PostmarkSimulator) -> SimulatedDomain:
    domain = postmark.add_domain(NONPROD_TOKEN, ZONE, verified=True)
    return domain


def test_a_full_rotation_keeps_the_signing_key_published_and_every_key_in_its_record(
    postmark: PostmarkSimulator, context_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    domain = verified(postmark)
    old = key_of(domain.dkim_host, domain.dkim_text_value)
    assert run(postmark, context_file) == 0
    assert published(context_file) == {"signing": ("Dkim", *old)}

    assert run(postmark, context_file, "--rotate-dkim") == 0
    assert [e.path.rsplit("/", 1)[-1] for e in postmark.requests("POST")] == ["rotatedkim"]
    new = key_of(domain.dkim_pending_host, domain.dkim_pending_text_value)
    assert published(context_file) == {"signing": ("Dkim", *old), "pending": ("DkimNext", *new)}
    out = capsys.readouterr().out
    assert "DKIM rotation started" in out and "rotation pending: Postmark signs with" in out

    before = context_file.read_bytes()
    assert run(postmark, context_file, "--rotate-dkim") == 1
    assert "cannot start a DKIM rotation for dev.ardamails.com: rotation pending" in capsys.readouterr().err
    assert context_file.read_bytes() == before

    for _ in range(postmark.dkim_verify_attempts):  # Postmark sees the new TXT record
        postmark.handle("PUT", f"/domains/{domain.id}/verifydkim", {}, NONPROD_TOKEN, None)
    assert run(postmark, context_file) == 0
    assert published(context_file) == {"signing": ("DkimNext", *new), "revoked": ("Dkim", *old)}
    assert "rotation verified" in capsys.readouterr().out

    postmark.make_revoked_key_safe(NONPROD_TOKEN, ZONE)
    assert run(postmark, context_file) == 0
    assert published(context_file) == {"signing": ("DkimNext", *new)}
    assert "rotation done" in capsys.readouterr().out

    assert run(postmark, context_file, "--rotate-dkim") == 0
    newer = key_of(domain.dkim_pending_host, domain.dkim_pending_text_value)
    assert published(context_file) == {"signing": ("DkimNext", *new), "pending": ("Dkim", *newer)}


def test_a_rotation_of_a_key_never_verified_is_refused(
    postmark: PostmarkSimulator, context_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    postmark.add_domain(NONPROD_TOKEN, ZONE)
    before = context_file.read_bytes()
    assert run(postmark, context_file, "--rotate-dkim") == 1
    err = capsys.readouterr().err
    assert "cannot start a DKIM rotation for dev.ardamails.com: no rotation (first key" in err
    assert "verify the first key first" in err
    assert context_file.read_bytes() == before
    assert postmark.requests("POST") == []


def _block(**extra: Any) -> dict[str, Any]:
    block: dict[str, Any] = dict(
        json.loads((PROJECT_ROOT / "cdk.context.json").read_text())["partitionMail:Alpha002:dev"]
    )
    block.update(extra)
    return block


OTHER = _block()["dkimPublicKey"]


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"dkimRecord": "Dkim9"}, "dkimRecord must be one of Dkim, DkimNext"),
        (
            {"dkimPending": {"selector": "x1", "publicKey": OTHER}},
            "dkimPending needs exactly selector, publicKey and record",
        ),
        (
            {"dkimPending": {"selector": "x1", "publicKey": "AAAA", "record": "DkimNext"}},
            "dkimPending.publicKey",
        ),
        (
            {"dkimPending": {"selector": "x1", "publicKey": OTHER, "record": "Dkim"}},
            "two keys share a DKIM record",
        ),
        (
            {
                "dkimPending": {"selector": "x1", "publicKey": OTHER, "record": "DkimNext"},
                "dkimRevoked": {"selector": "x2", "publicKey": OTHER, "record": "DkimNext"},
            },
            "not both",
        ),
    ],
)
def test_malformed_rotation_fields_name_the_problem(extra: dict[str, Any], problem: str) -> None:
    with pytest.raises(MalformedContextBlock, match=problem.replace(".", r"\.")):
        partition_sending_domain(DEV).parse_block(_block(**extra))


def test_a_block_written_before_rotation_existed_reads_and_writes_back_unchanged() -> None:
    block = _block()
    context = partition_sending_domain(DEV).parse_block(block)
    assert context.to_json() == block
    assert [role for role, _ in context.dkim_keys()] == [KeyRole.SIGNING]


def test_new_selectors_take_the_free_record_and_kept_ones_stay() -> None:
    previous = partition_sending_domain(DEV).parse_block(_block())
    a = (previous.dkim_selector, previous.dkim_public_key)
    b = ("20270101000000pm", OTHER)
    pending = with_keys("pm.mtasv.net", a, b, None, previous)
    assert (pending.dkim_record, pending.pending and pending.pending.record) == ("Dkim", "DkimNext")
    verified_state = with_keys("pm.mtasv.net", b, None, a, pending)
    assert (verified_state.dkim_record, verified_state.revoked and verified_state.revoked.record) == (
        "DkimNext",
        "Dkim",
    )
    assert verified_state.published() == pending.published(), "the same records: the template does not change"


def test_the_stack_publishes_every_key_of_a_rotation_block() -> None:
    import aws_cdk as cdk

    from apps.partition_mail import load_instance_config
    from stacks.purpose.partition_email import PartitionEmailProps, PartitionEmailStack

    block = _block(dkimPending={"selector": "20270101000000pm", "publicKey": OTHER, "record": "DkimNext"})
    app = cdk.App(context=project_context())
    props = PartitionEmailProps.resolve(DEV, load_instance_config(DEV), block)
    template = Template.from_stack(PartitionEmailStack(app, props.stack_name, props))
    records = {
        logical: resource["Properties"]["Name"]
        for logical, resource in template.find_resources("AWS::Route53::RecordSet").items()
        if resource["Properties"]["Type"] == "TXT" and "_domainkey" in str(resource["Properties"]["Name"])
    }
    assert sorted(records.values()) == sorted(
        [
            f"{block['dkimSelector']}._domainkey.dev.ardamails.com.",
            "20270101000000pm._domainkey.dev.ardamails.com.",
        ]
    )
    assert {logical.rstrip("0123456789ABCDEF") for logical in records} == {"Dkim", "DkimNext"}

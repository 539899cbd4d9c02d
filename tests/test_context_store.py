"""The `cdk.context.json` store: atomic, stable, and silent when nothing changes."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from platform_lib.context_store import (
    MalformedContextFile,
    put_partition_mail_context,
    read_context,
    read_partition_mail_context,
    render_context,
)
from platform_lib.mail_context import MalformedMailContext
from platform_lib.registry import get_partition
from tests.synth import PROJECT_ROOT

DEV = get_partition("dev")
COMMITTED = PROJECT_ROOT / "cdk.context.json"


@pytest.fixture
def context_file(tmp_path: Path) -> Path:
    path = tmp_path / "cdk.context.json"
    path.write_bytes(COMMITTED.read_bytes())
    return path


def test_committed_file_is_in_the_stores_format() -> None:
    assert COMMITTED.read_text() == render_context(read_context(COMMITTED))


def test_every_active_partitions_block_reads_back() -> None:
    for name in ("dev", "stage", "demo", "prod"):
        block = read_partition_mail_context(COMMITTED, get_partition(name))
        assert block.return_path_target == "pm.mtasv.net"


def test_unchanged_block_does_not_touch_the_file(context_file: Path) -> None:
    before = context_file.stat()
    same = read_partition_mail_context(context_file, DEV)
    assert put_partition_mail_context(context_file, DEV, same) is False
    after = context_file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_changed_block_is_written_and_other_keys_kept(context_file: Path) -> None:
    data = json.loads(context_file.read_text())
    data["some-other-key"] = {"kept": True}
    context_file.write_text(json.dumps(data))
    stage = read_partition_mail_context(context_file, get_partition("stage"))
    assert put_partition_mail_context(context_file, DEV, stage) is True
    written = json.loads(context_file.read_text())
    assert written["partitionMail:Alpha002:dev"] == stage.to_json()
    assert written["some-other-key"] == {"kept": True}
    assert {k: v for k, v in written.items() if k != "partitionMail:Alpha002:dev"} == {
        k: v for k, v in data.items() if k != "partitionMail:Alpha002:dev"
    }
    assert context_file.read_text() == render_context(written)
    assert [p.name for p in context_file.parent.iterdir()] == ["cdk.context.json"], "no temporary left"


def test_missing_file_is_created(tmp_path: Path) -> None:
    path = tmp_path / "cdk.context.json"
    block = read_partition_mail_context(COMMITTED, DEV)
    assert put_partition_mail_context(path, DEV, block) is True
    assert json.loads(path.read_text()) == {"partitionMail:Alpha002:dev": block.to_json()}


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", ""])
def test_malformed_file_is_reported_and_left_byte_identical(tmp_path: Path, content: str) -> None:
    path = tmp_path / "cdk.context.json"
    path.write_text(content)
    block = read_partition_mail_context(COMMITTED, DEV)
    with pytest.raises(MalformedContextFile, match=r"cdk\.context\.json"):
        put_partition_mail_context(path, DEV, block)
    assert path.read_text() == content


def test_a_failed_write_leaves_the_old_file(context_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = context_file.read_bytes()
    stage = read_partition_mail_context(context_file, get_partition("stage"))

    def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        put_partition_mail_context(context_file, DEV, stage)
    assert context_file.read_bytes() == before
    assert [p.name for p in context_file.parent.iterdir()] == ["cdk.context.json"]


def test_missing_block_names_the_pre_deploy_command(tmp_path: Path) -> None:
    path = tmp_path / "cdk.context.json"
    path.write_text("{}")
    with pytest.raises(
        MalformedMailContext,
        match=re.escape("python -m tools.register_partition_mail_signature Alpha002 dev"),
    ):
        read_partition_mail_context(path, DEV)

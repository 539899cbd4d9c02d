"""The `cdk.context.json` store: atomic, stable, and silent when nothing changes."""

from __future__ import annotations

import errno
import json
import os
import re
import threading
import time
from pathlib import Path

import pytest

from platform_lib.context_block import MalformedContextBlock
from platform_lib.context_store import (
    PROJECT_ROOT,
    ContextFileBusy,
    ContextWriteFailed,
    MalformedContextFile,
    Stored,
    locked,
    put_context_block,
    read_context,
    render_context,
)
from platform_lib.naming import context_key
from platform_lib.registry import active_partitions, get_partition
from tests.support.context import read_partition_mail_context

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
    for name in [p.name for p in active_partitions()]:
        block = read_partition_mail_context(COMMITTED, get_partition(name))
        assert block.return_path_target == "pm.mtasv.net"


def test_unchanged_block_does_not_touch_the_file(context_file: Path) -> None:
    before = context_file.stat()
    same = read_partition_mail_context(context_file, DEV)
    assert put_context_block(context_file, context_key(DEV), same) is Stored.UNCHANGED
    after = context_file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_changed_block_is_written_and_other_keys_kept(context_file: Path) -> None:
    data = json.loads(context_file.read_text())
    data["some-other-key"] = {"kept": True}
    context_file.write_text(json.dumps(data))
    stage = read_partition_mail_context(context_file, get_partition("stage"))
    assert put_context_block(context_file, context_key(DEV), stage) is Stored.WRITTEN
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
    assert put_context_block(path, context_key(DEV), block) is Stored.CREATED
    assert json.loads(path.read_text()) == {"partitionMail:Alpha002:dev": block.to_json()}


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", ""])
def test_malformed_file_is_reported_and_left_byte_identical(tmp_path: Path, content: str) -> None:
    path = tmp_path / "cdk.context.json"
    path.write_text(content)
    block = read_partition_mail_context(COMMITTED, DEV)
    with pytest.raises(MalformedContextFile, match=r"cdk\.context\.json"):
        put_context_block(path, context_key(DEV), block)
    assert path.read_text() == content


def test_a_failed_write_leaves_the_old_file(context_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = context_file.read_bytes()
    stage = read_partition_mail_context(context_file, get_partition("stage"))

    def fail(*_: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(ContextWriteFailed) as failed:
        put_context_block(context_file, context_key(DEV), stage)
    assert str(failed.value) == (
        f"cannot write {context_file} (No space left on device); it was not changed: "
        "free space or fix the folder, then re-run"
    )
    assert context_file.read_bytes() == before
    assert [p.name for p in context_file.parent.iterdir()] == ["cdk.context.json"]


def test_missing_block_names_the_pre_deploy_command(tmp_path: Path) -> None:
    path = tmp_path / "cdk.context.json"
    path.write_text("{}")
    with pytest.raises(
        MalformedContextBlock,
        match=re.escape("python -m tools.register_partition_mail_signature Alpha002 dev"),
    ):
        read_partition_mail_context(path, DEV)


def test_a_write_through_a_symlink_updates_the_target(context_file: Path, tmp_path: Path) -> None:
    link = tmp_path / "link" / "cdk.context.json"
    link.parent.mkdir()
    link.symlink_to(context_file)
    stage = read_partition_mail_context(context_file, get_partition("stage"))
    assert put_context_block(link, context_key(DEV), stage) is Stored.WRITTEN
    assert link.is_symlink(), "the symlink is kept, not replaced by a plain file"
    assert json.loads(context_file.read_text())["partitionMail:Alpha002:dev"] == stage.to_json()
    assert sorted(p.name for p in link.parent.iterdir()) == ["cdk.context.json"]


def test_a_read_only_file_is_refused_not_replaced(context_file: Path) -> None:
    before = context_file.read_bytes()
    context_file.chmod(0o444)
    stage = read_partition_mail_context(context_file, get_partition("stage"))
    with pytest.raises(MalformedContextFile, match=r"is read-only; make it writable \(chmod u\+w"):
        put_context_block(context_file, context_key(DEV), stage)
    assert context_file.read_bytes() == before
    assert context_file.stat().st_mode & 0o777 == 0o444
    assert [p.name for p in context_file.parent.iterdir()] == ["cdk.context.json"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"a": 1e400}', "the number 1e400 is out of range"),
        ('{"a": -1e400}', "the number -1e400 is out of range"),
        ('{"a": NaN}', "NaN is not a JSON number"),
        ('{"a": Infinity}', "Infinity is not a JSON number"),
        ('{"a": 1, "a": 2}', "the key 'a' appears twice in one object"),
        ('{"x": {"b": 1, "b": 1}}', "the key 'b' appears twice in one object"),
        ('{"a": ' + "1" * 5000 + "}", "is not usable (ValueError)"),
    ],
)
def test_non_standard_json_is_refused_with_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "cdk.context.json"
    path.write_text(content)
    block = read_partition_mail_context(COMMITTED, DEV)
    with pytest.raises(MalformedContextFile) as error:
        put_context_block(path, context_key(DEV), block)
    assert message in str(error.value) and "\n" not in str(error.value)
    assert path.read_text() == content


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(
    context_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = context_file.read_bytes()
    stage = read_partition_mail_context(context_file, get_partition("stage"))

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        put_context_block(context_file, context_key(DEV), stage)
    assert context_file.read_bytes() == before
    assert [p.name for p in context_file.parent.iterdir()] == ["cdk.context.json"]


def test_a_held_lock_makes_the_writer_wait_then_proceed(context_file: Path) -> None:
    stage = read_partition_mail_context(context_file, get_partition("stage"))
    released = threading.Event()

    def hold() -> None:
        with locked(context_file):
            time.sleep(0.5)
        released.set()

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.1)
    assert put_context_block(context_file, context_key(DEV), stage) is Stored.WRITTEN
    assert released.is_set(), "the write waited for the lock"
    holder.join()


def test_a_lock_held_too_long_is_one_line(context_file: Path) -> None:
    before = context_file.read_bytes()
    with (
        locked(context_file),
        pytest.raises(ContextFileBusy, match="another run has held the lock"),
        locked(context_file, wait_seconds=0.2),
    ):
        pass
    assert context_file.read_bytes() == before


def test_a_fifo_or_device_is_refused_without_reading_it(tmp_path: Path) -> None:
    fifo = tmp_path / "cdk.context.json"
    os.mkfifo(fifo)
    with pytest.raises(MalformedContextFile, match="is not a regular file"):
        read_context(fifo)  # would block for ever on open()
    with pytest.raises(MalformedContextFile, match="is not a regular file"):
        read_context(Path("/dev/zero"))  # would never end


def test_an_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cdk.context.json"
    path.write_text('{"a": "' + "x" * (5 * 1024 * 1024) + '"}')
    with pytest.raises(MalformedContextFile, match="more than a context file can be"):
        read_context(path)


def test_a_lone_surrogate_is_refused_on_reading(tmp_path: Path) -> None:
    path = tmp_path / "cdk.context.json"
    path.write_text('{"a": "\\ud800"}')
    with pytest.raises(MalformedContextFile, match="not valid Unicode"):
        read_context(path)

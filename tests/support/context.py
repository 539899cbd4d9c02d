"""Reading a partition's context block in tests, exactly as the CDK app validates it."""

from __future__ import annotations

from pathlib import Path

from platform_lib.context_block import ContextBlock
from platform_lib.context_store import read_context
from platform_lib.registry import Partition
from platform_lib.sending_domain import partition_sending_domain


def read_partition_mail_context(path: Path, partition: Partition) -> ContextBlock:
    """The partition's block in the context file at `path`."""
    return partition_sending_domain(partition).block_in(read_context(path))

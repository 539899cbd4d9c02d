"""Partition `demo` on Alpha001."""

from stacks.purpose.partition_email import PartitionEmailInstanceConfig

CONFIG = PartitionEmailInstanceConfig()

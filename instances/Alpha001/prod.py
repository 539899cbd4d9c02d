"""Partition `prod` on Alpha001."""

from stacks.purpose.partition_email import PartitionEmailInstanceConfig

CONFIG = PartitionEmailInstanceConfig()

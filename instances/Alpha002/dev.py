"""Partition `dev` on Alpha002."""

from stacks.purpose.partition_email import PartitionEmailInstanceConfig

CONFIG = PartitionEmailInstanceConfig()

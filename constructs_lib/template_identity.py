"""Keeping a resource's identity when it moves into a construct.

CloudFormation knows a resource by its logical id, and CDK derives that id from the
construct path: moving the mail records from the stack into the `DnsEmailRecords`
construct would give every record a new id, and a deploy would delete and recreate each
DNS record (a mail outage) for nothing. `keep_stack_level_identity` gives a resource the
logical id and `aws:cdk:path` it had directly under its stack, so the template stays byte
for byte what it was (the golden templates pin that).
"""

from __future__ import annotations

import hashlib

from aws_cdk import CfnResource, Stack

PATH_METADATA = "aws:cdk:path"


def stack_level_logical_id(name: str) -> str:
    """The logical id CDK allocates to the resource of an L2 construct `name` directly under a
    stack: the name, then the first 8 hex digits (upper case) of the MD5 of `name/Resource`."""
    return name + hashlib.md5(f"{name}/Resource".encode(), usedforsecurity=False).hexdigest()[:8].upper()


def keep_stack_level_identity(resource: CfnResource, name: str) -> None:
    """`resource` keeps the logical id and path it had as `{stack}/{name}/Resource`."""
    stack = Stack.of(resource)
    resource.override_logical_id(stack_level_logical_id(name))
    if resource.cfn_options.metadata and PATH_METADATA in resource.cfn_options.metadata:
        resource.add_metadata(PATH_METADATA, f"{stack.node.path}/{name}/Resource")

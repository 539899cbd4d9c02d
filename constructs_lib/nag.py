"""cdk-nag acknowledgments in one place: every one carries a reason, and a test proves the
finding it covers is real by synthesizing once without them."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge an AwsSolutions finding on `construct` (and its children).

    `rule_id` is the prefixed form (`AwsSolutions::AwsSolutions-SMG4`, or with a finding
    detail such as `AwsSolutions::AwsSolutions-IAM5[Resource::*]`).
    """
    if not rule_id.startswith("AwsSolutions::AwsSolutions-"):
        raise ValueError(f"acknowledgment id {rule_id!r} must start with 'AwsSolutions::'")
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledgment {rule_id!r} needs a real reason")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))

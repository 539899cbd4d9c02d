"""A deployed stack's hosted zone and its delegation set, read through AWS.

The zone is found through the stack's own exported output (its zone id), never by name: a
retained zone from an earlier deploy can have the same name, and a parent still delegating
to that one must not pass. Used where a tool has AWS access (the cascade gate, validate-exit,
the plan) to hold "delegated" to "delegated to this zone".
"""

from __future__ import annotations

from typing import Any

from platform_lib.naming import normal_name
from tools.aws.session import AWS_ERRORS, AwsProblem, client, explain


class ZoneUnknown(AwsProblem):
    """The stack's hosted zone cannot be read; the message says why and what to run."""


def exported_outputs(described: dict[str, Any] | None) -> dict[str, str]:
    """ExportName -> OutputValue of a described stack's exported outputs (none: not deployed)."""
    outputs = described.get("Outputs", []) if described else []
    return {
        str(output["ExportName"]): str(output.get("OutputValue", ""))
        for output in outputs
        if isinstance(output, dict) and output.get("ExportName")
    }


def zone_delegation_set(session: Any, zone_id: str, zone: str, profile: str | None) -> frozenset[str]:
    """The name servers Route 53 assigned to hosted zone `zone_id`, which must be `zone`."""
    zone_id = zone_id.rsplit("/", 1)[-1]
    try:
        hosted = client(session, "route53").get_hosted_zone(Id=zone_id)
    except AWS_ERRORS as exc:
        raise ZoneUnknown(str(explain(exc, profile, f"reading hosted zone {zone_id}"))) from None
    name = normal_name(str(hosted.get("HostedZone", {}).get("Name", "")))
    if name != zone:
        raise ZoneUnknown(f"hosted zone {zone_id} is {name or 'unnamed'}, not {zone}")
    servers = hosted.get("DelegationSet", {}).get("NameServers", [])
    found = frozenset(normal_name(server) for server in servers if isinstance(server, str))
    if not found:
        raise ZoneUnknown(f"hosted zone {zone_id} ({zone}) has no delegation set")
    return found


def stack_zone_delegation_set(
    session: Any, described: dict[str, Any] | None, *, stack: str, export: str, zone: str, profile: str | None
) -> frozenset[str]:
    """The delegation set of the hosted zone `stack` created (found by its `export` among the
    outputs of `described`, the stack as CloudFormation describes it)."""
    zone_id = exported_outputs(described).get(export)
    if not zone_id:
        raise ZoneUnknown(f"stack {stack} has no output exported as {export}: is it deployed?")
    return zone_delegation_set(session, zone_id, zone, profile)

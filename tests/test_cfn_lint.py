from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from platform_lib.registry import active_partitions
from tests.synth import Synthesized


def test_every_synthesized_template_is_cfn_lint_clean(synthesized: Synthesized) -> None:
    paths = [str(synthesized.template_path(name)) for name in synthesized.stack_names()]
    assert len(paths) == 3 + len(active_partitions())  # Root, the two corporate stacks, each partition
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", *paths],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""

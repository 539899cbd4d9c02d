from __future__ import annotations

import subprocess
import sys
from typing import Any

import aws_cdk as cdk
import pytest

from apps.partition_mail import MissingInstance, build_app, load_instance_config, new_app
from platform_lib.context_store import PROJECT_ROOT
from platform_lib.errors import PlatformError, SuspendedPartition, UnknownInfrastructure
from platform_lib.registry import Partition, PartitionStatus, PostmarkAccount, all_partitions
from tests.synth import project_context


def _stacks(**context: Any) -> list[str]:
    app = new_app(context={**project_context(), **context})
    build_app(app)
    return sorted(c.node.id for c in app.node.children if isinstance(c, cdk.Stack))


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"partition": "dev"}, ["Alpha002-dev-Email"]),
        ({"infrastructure": "Alpha001"}, ["Alpha001-demo-Email", "Alpha001-prod-Email"]),
        (
            {"infrastructure": "PlatformRoot"},
            ["Corporate-Mail", "FreeKanbanToolMailDns", "PlatformRoot-RootDns"],
        ),
        ({"infrastructure": "Alpha002", "partition": "stage"}, ["Alpha002-stage-Email"]),
    ],
)
def test_context_narrows_the_app(context: dict[str, str], expected: list[str]) -> None:
    assert _stacks(**context) == expected


def test_bad_selection_is_a_clear_error() -> None:
    with pytest.raises(UnknownInfrastructure, match="valid: PlatformRoot, Alpha001, Alpha002"):
        _stacks(infrastructure="Alpha9")
    suspended = [p for p in all_partitions() if not p.is_active]
    for partition in suspended:
        with pytest.raises(SuspendedPartition):
            _stacks(partition=partition.name)
    with pytest.raises(PlatformError, match="'dev' is on Alpha002, not Alpha001"):
        _stacks(infrastructure="Alpha001", partition="dev")


def test_missing_instance_module_names_the_file_to_add() -> None:
    ghost = Partition("ghost", PartitionStatus.ACTIVE, "Alpha002", PostmarkAccount.NON_PROD)
    with pytest.raises(MissingInstance, match=r"add instances/Alpha002/ghost\.py"):
        load_instance_config(ghost)


def test_missing_context_block_fails_synth_with_one_line_naming_the_command(tmp_path: Any) -> None:
    """`python app.py` as the CDK CLI runs it, with one partition's block removed."""
    context = project_context()
    del context["partitionMail:Alpha001:prod"]
    import json

    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=PROJECT_ROOT,
        env={
            **__import__("os").environ,
            "CDK_CONTEXT_JSON": json.dumps(context),
            "CDK_OUTDIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: cdk.context.json has no 'partitionMail:Alpha001:prod'; "
        "run `python -m tools.register_partition_mail_signature Alpha001 prod`"
    ]
    assert list(tmp_path.iterdir()) == []

"""What a deploy shows is what it deploys: the target's first `cdk diff` synthesizes into a
new cloud assembly, the other stacks' diffs and every `cdk deploy` read that assembly
(`--app`), and a re-shown diff (the pre-deploy changed the block) makes a new one."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from platform_lib.registry import get_partition
from tools.aws import cdk as cdk_cli
from tools.cli.contract import OperatorError
from tools.operator import deploy_steps
from tools.operator.flow import Operation, TargetRun
from tools.operator.targets import corporate_target, partition_target


class _Log:
    """Records each CDK CLI step's argv instead of running it."""

    output_kept = "its output is above and in the run log"

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.synthesizes = True

    def run(self, name: str, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> int:
        self.calls.append((name, list(argv)))
        if "--output" in argv and self.synthesizes:  # what a diff that synthesized leaves
            (Path(argv[argv.index("--output") + 1]) / "manifest.json").write_text("{}")
        return 0

    def say(self, line: str) -> None:
        return None


class _Op:
    """The parts of an Operation the diff and deploy steps use."""

    def __init__(self, base: Path) -> None:
        self.base = base  # where the assemblies go (the test's own folder)
        self.log = _Log()
        self.assume_yes = True
        self.outputs_file = None
        self.assemblies: list[Path] = []

    def cdk_env(self) -> dict[str, str]:
        return {}

    def new_assembly(self, prefix: str = "amm-assembly-") -> Path:
        folder = Path(tempfile.mkdtemp(prefix=prefix, dir=self.base))
        self.assemblies.append(folder)
        return folder


def _argument(argv: list[str], flag: str) -> str | None:
    return argv[argv.index(flag) + 1] if flag in argv else None


@pytest.mark.parametrize(
    "target", [partition_target(get_partition("dev")), corporate_target()], ids=["partition", "corporate"]
)
def test_every_deploy_reads_the_assembly_its_diff_synthesized(target: Any, tmp_path: Path) -> None:
    op, state = _Op(tmp_path), TargetRun(target, token="t", server_token="s")
    operation = cast(Operation, op)
    deploy_steps._diff_and_confirm(operation, state)
    for stack in target.stacks:
        deploy_steps._deploy(operation, state, stack)
    (folder,) = op.assemblies
    diffs = [argv for name, argv in op.log.calls if name.startswith("cdk diff")]
    deploys = [argv for name, argv in op.log.calls if name.startswith("cdk deploy")]
    assert len(diffs) == len(deploys) == len(target.stacks)
    assert _argument(diffs[0], "--output") == str(folder) and "--app" not in diffs[0]
    assert target.context_args[1] in diffs[0], "the first diff synthesizes the target"
    for argv in [*diffs[1:], *deploys]:
        assert _argument(argv, "--app") == str(folder), argv
        assert "--output" not in argv and target.context_args[1] not in argv, "no second synth"


def test_a_diff_shown_again_makes_a_new_assembly_and_the_deploy_reads_that_one(tmp_path: Path) -> None:
    op, state = _Op(tmp_path), TargetRun(partition_target(get_partition("prod")), token="t")
    operation = cast(Operation, op)
    deploy_steps._diff_and_confirm(operation, state)
    deploy_steps._diff_and_confirm(operation, state)  # the pre-deploy changed the block
    deploy_steps._deploy(operation, state, state.target.stacks[0])
    first, second = op.assemblies
    (deploy,) = [argv for name, argv in op.log.calls if name.startswith("cdk deploy")]
    assert first != second and _argument(deploy, "--app") == str(second)
    assert not first.exists(), "the replaced assembly is removed at once"


def test_a_block_changed_after_the_diff_is_not_deployed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Another run (or an edit) changed the block while the operator read the diff: the
    assembly shown is no longer what the block says, so nothing is deployed."""
    op, state = _Op(tmp_path), TargetRun(partition_target(get_partition("prod")), token="t")
    operation = cast(Operation, op)
    deploy_steps._diff_and_confirm(operation, state)
    monkeypatch.setattr(deploy_steps, "_block", lambda state: {"changed": "by another run"})
    with pytest.raises(OperatorError, match="changed after the diff was shown"):
        deploy_steps._deploy(operation, state, state.target.stacks[0])
    assert [name for name, _ in op.log.calls if name.startswith("cdk deploy")] == []
    deploy_steps.ConfirmAgainIfChanged(state).run(operation)  # so the flow shows it again
    assert len([name for name, _ in op.log.calls if name.startswith("cdk diff")]) == 2
    deploy_steps._deploy(operation, state, state.target.stacks[0])


def test_a_diff_that_did_not_synthesize_is_not_deployed(tmp_path: Path) -> None:
    op, state = _Op(tmp_path), TargetRun(partition_target(get_partition("dev")), token="t")
    op.log.synthesizes = False  # the diff failed before writing its assembly
    operation = cast(Operation, op)
    deploy_steps._diff_and_confirm(operation, state)
    with pytest.raises(OperatorError, match="did not synthesize it"):
        deploy_steps._deploy(operation, state, state.target.stacks[0])
    assert [name for name, _ in op.log.calls if name.startswith("cdk deploy")] == []


def test_a_deploy_without_a_diffed_assembly_deploys_nothing(tmp_path: Path) -> None:
    op, state = _Op(tmp_path), TargetRun(partition_target(get_partition("dev")), token="t")
    with pytest.raises(OperatorError, match="did not synthesize it"):
        deploy_steps._deploy(cast(Operation, op), state, state.target.stacks[0])
    assert op.log.calls == []


def test_the_cli_arguments_name_the_folder() -> None:
    folder = Path("/tmp/assembly")
    assert cdk_cli.synthesizing_into(("-c", "partition=dev"), folder) == (
        "-c",
        "partition=dev",
        "--output",
        "/tmp/assembly",
    )
    assert cdk_cli.assembly(folder) == ("--app", "/tmp/assembly")

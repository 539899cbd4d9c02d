"""The project's CDK CLI, run as steps of the run log: synth, diff, deploy.

Always the pinned CLI in `node_modules/` on node 24 (set up by `scripts/env.sh`). A deploy
that needs the Postmark token gets it through `scripts/cdk-with-secret-parameter.cjs`, which
reads it from the environment, so it is on no command line (ADR-0018).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from platform_lib.context_store import PROJECT_ROOT
from platform_lib.naming import ROOT_DNS_STACK_NAME
from platform_lib.registry import Partition, root_infrastructure
from tools.aws import stack_outputs
from tools.cli.contract import OperatorError
from tools.cli.run_log import RunLog, no_colour
from tools.runtime.bounded import TooMuchOutput, run_bounded
from tools.secrets.account_token import TOKEN_ENV_VAR
from tools.secrets.outside_text import outside_text

CDK = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"
NODE = PROJECT_ROOT / "node_modules" / ".bin" / "node"
SECRET_WRAPPER = PROJECT_ROOT / "scripts" / "cdk-with-secret-parameter.cjs"
PROGRESS_FLAGS = ("--progress", "events")
NEVER_ASK = "never"  # the operator already confirmed (typed the name, or --yes after the diff)
ASK_ON_BROADENING = "broadening"  # the CDK CLI asks, on a terminal, before widening IAM or security groups
TTY_REFUSAL = "terminal (TTY) is not attached"  # the CDK CLI's words when it cannot ask
SECRET_ENV_VAR = "CDK_SECRET_PARAMETER_VALUE"  # noqa: S105 (a variable name): read and removed by the wrapper


class CdkFailed(OperatorError):
    """A CDK CLI step exited non-zero; `why` says what to do, or where its output is."""

    def __init__(self, step: str, code: int, why: str) -> None:
        super().__init__(f"{step} failed (exit {code}); {why}", code)


def deploy_flags(approval: str) -> tuple[str, ...]:
    return ("--require-approval", approval, *PROGRESS_FLAGS, *colour_flags())


def colour_flags() -> tuple[str, ...]:
    """NO_COLOR (https://no-color.org) reaches the CDK CLI as --no-color; otherwise it colours
    only what it writes to a terminal (our pseudo-terminal, when the operator is at one)."""
    return ("--no-color",) if no_colour() else ()


def partition_context(partition: Partition) -> tuple[str, ...]:
    """The CDK context that narrows the app to `partition`'s stack."""
    return ("-c", f"partition={partition.name}")


def infrastructure_context(infrastructure: str) -> tuple[str, ...]:
    """The CDK context that narrows the app to the stacks of `infrastructure`."""
    return ("-c", f"infrastructure={infrastructure}")


ROOT_CONTEXT = infrastructure_context(root_infrastructure().name)  # Root (and the corporate stacks)


def without_secrets(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without the variables that may carry a token: only the deploy wrapper's own
    environment ever holds a secret, never a CDK child's."""
    return {k: v for k, v in env.items() if k not in (TOKEN_ENV_VAR, SECRET_ENV_VAR)}


def aws_env(profile: str, region: str) -> dict[str, str]:
    env = without_secrets(os.environ)
    env.update(AWS_PROFILE=profile, AWS_REGION=region, AWS_DEFAULT_REGION=region)
    return env


def synth_root_template(log: RunLog, folder: Path | None = None) -> dict[str, Any]:
    """The Root stack as this checkout synthesizes it, into `folder` (a cloud assembly the
    Root deploy then diffs and deploys as it is) or a temporary folder, never cdk.out."""
    if folder is None:
        with tempfile.TemporaryDirectory(prefix="amm-root-synth-") as temporary:
            return synth_root_template(log, Path(temporary))
    step = f"cdk synth {ROOT_DNS_STACK_NAME}"
    code = log.run(
        step,
        [str(CDK), "synth", ROOT_DNS_STACK_NAME, *ROOT_CONTEXT, "--quiet", "-o", str(folder)],
        env=without_secrets(os.environ),
        cwd=PROJECT_ROOT,
    )
    if code != 0:
        raise CdkFailed(step, code, log.output_kept)
    template: dict[str, Any] = json.loads(
        (folder / f"{ROOT_DNS_STACK_NAME}.template.json").read_text(encoding="utf-8")
    )
    return template


SYNTH_TIMEOUT_SECONDS = 300.0
MAX_SYNTH_OUTPUT_BYTES = 4 * 1024 * 1024


def synth_quietly(
    folder: Path, context: Sequence[str] = (), *, timeout: float = SYNTH_TIMEOUT_SECONDS
) -> str | None:
    """Synthesize the stacks `context` selects (all without) into `folder`, offline, its
    output kept to itself; None when it worked, else the one line that says why."""
    env = without_secrets(os.environ)
    env["PATH"] = f"{NODE.parent}{os.pathsep}{env.get('PATH', '')}"  # node 24 for the CLI and jsii
    env["JSII_NODE"] = str(NODE)
    try:
        code, out, err = run_bounded(
            [str(CDK), "synth", *context, "--quiet", "-o", str(folder)],
            timeout,
            MAX_SYNTH_OUTPUT_BYTES,
            cwd=PROJECT_ROOT,
            env=env,
        )
    except TooMuchOutput:
        return f"cdk synth wrote more than {MAX_SYNTH_OUTPUT_BYTES} bytes"
    except OSError as exc:
        return f"cannot run the CDK CLI ({exc.strerror or type(exc).__name__}); run ./scripts/synth once"
    if code is None:
        return f"cdk synth did not finish within {timeout:g} s"
    if code != 0:
        said = [line for line in (err + out).decode("utf-8", "replace").splitlines() if line.strip()]
        reason = next((line for line in said if "error" in line.lower()), said[-1] if said else "")
        return f"cdk synth failed (exit {code}): {outside_text(reason, 300)}"
    return None


def assembly(folder: Path) -> tuple[str, ...]:
    """CLI arguments that diff or deploy the cloud assembly in `folder` as synthesized (no
    second synth: what was compared or shown is what is deployed)."""
    return ("--app", str(folder))


def synthesizing_into(context: Sequence[str], folder: Path) -> tuple[str, ...]:
    """CLI arguments that synthesize the stacks `context` selects into `folder` as part of
    the command (a diff), so a deploy can then take `assembly(folder)`."""
    return (*context, "--output", str(folder))


def diff(log: RunLog, stack: str, source: tuple[str, ...], env: Mapping[str, str]) -> None:
    """Show `cdk diff` of `stack` against the deployed template (no token needed); `source`
    is context to synthesize with (and where to), or an assembly to read."""
    step = f"cdk diff {stack}"
    code = log.run(
        step,
        [str(CDK), "diff", stack, *source, "--method", "template", *colour_flags()],
        env=env,
        cwd=PROJECT_ROOT,
    )
    if code not in (0, 1):  # 1 only says "there are differences" when --fail is set
        raise CdkFailed(step, code, log.output_kept)


def deploy(
    log: RunLog,
    stack: str,
    source: tuple[str, ...],
    env: Mapping[str, str],
    secret: tuple[str, str] | None,
    *,
    approval: str = NEVER_ASK,
    outputs_file: Path | None = None,
    extra: Sequence[str] = (),
) -> None:
    """`cdk deploy stack`; `secret` = (parameter, value) goes through the wrapper, in its
    environment only, so the value is on no command line. The stack's outputs are merged
    into `outputs_file` (the run's, next to its log)."""
    step = f"cdk deploy {stack}"
    flags = [*source, *deploy_flags(approval), *extra]
    part = None if outputs_file is None else stack_outputs.part_path(outputs_file, stack)
    if part is not None:
        flags += ["--outputs-file", str(part)]
    if secret is None:
        argv = [str(CDK), "deploy", stack, *flags]
        child_env = dict(env)
    else:
        parameter, value = secret
        argv = [str(NODE), str(SECRET_WRAPPER), parameter, SECRET_ENV_VAR, "deploy", stack, *flags]
        child_env = {**env, SECRET_ENV_VAR: value}
    try:
        code = log.run(step, argv, env=child_env, cwd=PROJECT_ROOT)
    finally:
        if part is not None and outputs_file is not None:
            _keep_outputs(log, part, outputs_file)
    if code != 0:
        raise CdkFailed(step, code, _why(log, approval))


def _keep_outputs(log: RunLog, part: Path, outputs_file: Path) -> None:
    if not part.exists():
        return  # the deploy stopped before writing outputs
    try:
        stacks = stack_outputs.merge_part(part, outputs_file)
    except (stack_outputs.OutputsUnreadable, OSError) as exc:
        log.say(
            f"warning: the stack outputs could not be kept in {outputs_file} ({exc}); the deploy is unaffected"
        )
        return
    log.say(f"outputs of {', '.join(stacks)} in {outputs_file}")


def _why(log: RunLog, approval: str) -> str:
    """The one thing the operator can do about a refused approval; otherwise, see the output."""
    if approval == ASK_ON_BROADENING and TTY_REFUSAL in log.recent_output():
        return (
            "the change broadens IAM or security-group permissions (the table above) and the CDK CLI asks "
            "before deploying it, but this run has no terminal to ask on: review the diff, then re-run on a "
            "terminal to answer, or with --yes"
        )
    return log.output_kept

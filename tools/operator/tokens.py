"""The tokens a run reads from 1Password: each reference once, under the token rule, as a
timed step of the run log (`op read …`), redacted everywhere from the moment it is read."""

from __future__ import annotations

from tools.cli.contract import ExitStatus, OperatorError
from tools.operator.flow import Operation
from tools.secrets.account_token import read_op_token


def token_for(op: Operation, reference: str) -> str:
    if reference not in op.tokens:
        with op.log.step(f"op read {reference}") as outcome:
            try:
                op.tokens[reference] = read_op_token(reference, timeout=op.settings.op_timeout)
            except OperatorError:
                outcome.append(ExitStatus.FAILED)
                raise
            outcome.append(ExitStatus.OK)
    return op.tokens[reference]

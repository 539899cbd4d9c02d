"""The typed confirmation production deploys need: the operator types the name, or `--yes`."""

from __future__ import annotations

import sys

from tools.cli.contract import OperatorError
from tools.cli.run_log import RunLog


class NotConfirmed(OperatorError):
    """The operator did not confirm; the message says how to."""


def typed_confirmation(name: str, prompt: str, *, assume_yes: bool, log: RunLog, what: str) -> None:
    """Ask for `name` to be typed (stdin), unless `assume_yes`; either way the run log says how."""
    if assume_yes:
        log.say(f"{what} of {name} confirmed by --yes")
        return
    sys.stderr.write(f"{prompt} Type its name to continue: ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if not answer:
        sys.stderr.write("\n")
        raise NotConfirmed(f"deploying {name} needs confirmation: type '{name}' at the prompt, or pass --yes")
    if not sys.stdin.isatty():
        sys.stderr.write("\n")  # piped input: end the prompt line as a terminal would
    if answer.strip() != name:
        raise NotConfirmed(f"confirmation did not match '{name}'; nothing was deployed")
    log.say(f"{what} of {name} confirmed by typing its name")

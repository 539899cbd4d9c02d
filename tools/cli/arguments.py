"""Arguments every tool takes, spelled, checked and explained once.

`ToolArgumentParser` reports a bad argument as a `UsageError` (one line, `error: ...; see
--help`, exit 2) instead of argparse's usage block, and takes no abbreviated options; `seconds` accepts only finite numbers above zero and
at most a day (`0`, `-1`, `nan`, `inf` and `1e300` are usage errors), and `name` refuses
empty or blank words.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from platform_lib.context_store import CONTEXT_FILE_NAME, PROJECT_CONTEXT_FILE
from tools.cli.contract import UsageError
from tools.postmark.client import DEFAULT_TIMEOUT_SECONDS
from tools.runtime.text import printable, unprintable


class _StoreOnce(argparse._StoreAction):
    """An option that takes one value, given at most once: `--profile a --profile b` is an
    error, never "the last one wins" (which one the operator meant is unknown)."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: Any, values: Any, option_string: str | None = None
    ) -> None:
        given: set[str] = parser.__dict__["_given_once"]
        if self.dest in given:
            parser.error(f"{option_string or self.dest} was given twice; give it once")
        given.add(self.dest)
        super().__call__(parser, namespace, values, option_string)


class _AppendDistinct(argparse._AppendAction):
    """A repeatable option whose values differ: the same value twice (a partition checked
    twice) is an error."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: Any, values: Any, option_string: str | None = None
    ) -> None:
        if values in (getattr(namespace, self.dest, None) or []):
            parser.error(f"{option_string or self.dest} {values} was given twice")
        super().__call__(parser, namespace, values, option_string)


class ToolArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors and no abbreviations: `--y` is not `--yes`, and an
    option misspelt is an error, never another option. An option that takes a value is
    given at most once, a repeatable one never twice with the same value."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        # The registry argument groups share: every option added anywhere takes these.
        self.register("action", None, _StoreOnce)
        self.register("action", "store", _StoreOnce)
        self.register("action", "append", _AppendDistinct)

    def parse_known_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        self.__dict__["_given_once"] = set()  # each parse starts with nothing given
        return super().parse_known_args(args, namespace)

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:  # quoted when blank: `unrecognized arguments: ''` rather than nothing at all
            shown = " ".join(a if a.strip() else repr(a) for a in extras)
            self.error(f"unrecognized arguments: {shown}")
        return parsed

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{' '.join(message.split())}; see {self.prog} --help")


MAX_SECONDS = 24 * 3600.0  # a day: far beyond any wait here, small enough for every timer


def seconds(text: str) -> float:
    """A duration in seconds: a finite number above zero, at most a day."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number of seconds above 0")
    if value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"{text!r} is more than a day ({MAX_SECONDS:g} s)")
    return value


def port(text: str) -> int:
    """A TCP/UDP port: 1-65535."""
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1-65535)")
    return int(text)


def visible(text: str) -> str:
    """Operator text (a profile, a region, a reason): not empty (which would quietly mean the
    default), not an option (`--skip-cascade=--yes`), no control or invisible characters,
    which would reach the terminal and the run log as they are or hide what was given."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty value was given")
    if text.startswith("-") and " " not in text:  # as argparse reads it: "- checked by hand" is text
        raise argparse.ArgumentTypeError(f"'{printable(text)}' is an option, not a value")
    if any(unprintable(char) for char in text):
        raise argparse.ArgumentTypeError(f"'{printable(text)}' holds a control or invisible character")
    return text


def name(text: str) -> str:
    """A registry name: not empty, no surrounding blanks, not an option."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty name was given")
    if text.startswith("-"):
        raise argparse.ArgumentTypeError(f"{text!r} is an option, not a name; options go before the names")
    if text != text.strip():
        raise argparse.ArgumentTypeError(f"{text!r} has surrounding blanks")
    return text


def check_report_path(value: str | None, option: str = "--markdown") -> None:
    """A report file must be writable before any probe runs (GITHUB_STEP_SUMMARY, a file);
    `-` is stdout."""
    if value is None or value == "-":
        return
    if not value.strip():
        raise UsageError(f"{option} needs a path ('-' for stdout)")
    try:
        folder = Path(value).parent
        if not folder.is_dir():
            raise UsageError(
                f"{option} {value}: the folder {folder} does not exist; create it or pick another path"
            )
        if Path(value).is_dir():
            raise UsageError(f"{option} {value} is a folder; give a file path")
        if Path(value).is_symlink() and not Path(value).exists():
            raise UsageError(f"{option} {value} is a link to nothing; give a file path")
        if not os.access(folder, os.W_OK) or (Path(value).exists() and not os.access(value, os.W_OK)):
            raise UsageError(f"{option} {value} is not writable; fix its permissions or pick another path")
    except OSError as exc:  # a name too long, a loop of links
        raise UsageError(
            f"{option} {printable(value)[:120]} is not a usable path ({exc.strerror or type(exc).__name__})"
        ) from None


def add_partition_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("infrastructure", type=name, help="infrastructure name, e.g. Alpha002")
    parser.add_argument("partition", type=name, help="active partition on that infrastructure, e.g. dev")


def add_postmark_timeout_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"time limit of each Postmark call, body included (default {DEFAULT_TIMEOUT_SECONDS:g})",
    )


def add_context_file_argument(parser: argparse.ArgumentParser, purpose: str) -> None:
    parser.add_argument(
        "--context-file",
        type=Path,
        default=PROJECT_CONTEXT_FILE,
        help=f"{purpose} (default: the project's {CONTEXT_FILE_NAME})",
    )

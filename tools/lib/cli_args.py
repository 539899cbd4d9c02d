"""Arguments every partition tool takes, spelled and explained once."""

from __future__ import annotations

import argparse
from pathlib import Path

from platform_lib.context_store import CONTEXT_FILE_NAME, PROJECT_CONTEXT_FILE
from tools.lib.postmark_client import DEFAULT_TIMEOUT_SECONDS


def add_partition_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("infrastructure", help="infrastructure name, e.g. Alpha002")
    parser.add_argument("partition", help="active partition on that infrastructure, e.g. dev")


def add_postmark_timeout_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"per-request Postmark timeout (default {DEFAULT_TIMEOUT_SECONDS:g})",
    )


def add_context_file_argument(parser: argparse.ArgumentParser, purpose: str) -> None:
    parser.add_argument(
        "--context-file",
        type=Path,
        default=PROJECT_CONTEXT_FILE,
        help=f"{purpose} (default: the project's {CONTEXT_FILE_NAME})",
    )
